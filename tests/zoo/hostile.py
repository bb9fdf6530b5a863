"""Hostile k-means targets: each attacks the harness rather than being subtly wrong.

Run them only isolated (``kmeans-harness verify tests/zoo/hostile.py:hang --timeout 3``): in-process,
``hang`` never returns, ``segfault`` and ``exit_3`` end the harness and ``eat_memory`` eats the
machine.  ``tests/test_isolation.py`` expects, for every check that calls the target:

| name | does | status |
|---|---|---|
| `hang` | sleeps forever | timeout |
| `segfault` | reads address 0 (``ctypes.string_at(0)``) | crashed (signal 11) |
| `exit_3` | ``os._exit(3)`` | crashed (exit code 3) |
| `raises` | raises ``RuntimeError`` | error (with the traceback) |
| `returns_string` | returns ``"centers"`` | fail (output contract) |
| `returns_none` | returns None | fail (output contract) |
| `nan_centers` | all centers NaN | fail (output contract) |
| `huge_array` | centers of shape (10⁶, 10⁶), a broadcast view of 8 TB | fail (output contract) |
| `eat_memory` | allocates 64 MiB blocks until it dies | out-of-memory |
| `exits_quietly` | ``sys.exit(0)`` (a ``SystemExit``, not a process exit) | error |
"""

from __future__ import annotations

import ctypes
import os
import sys
import time

import numpy as np


def _honest(X, k):
    X = np.asarray(X, dtype=np.float64)
    return X[:k].copy(), np.minimum(np.arange(len(X)), k - 1)


def hang(X, k, *, init=None, seed=None):
    while True:
        time.sleep(3600)


def segfault(X, k, *, init=None, seed=None):
    ctypes.string_at(0)


def exit_3(X, k, *, init=None, seed=None):
    os._exit(3)


def raises(X, k, *, init=None, seed=None):
    raise RuntimeError("hostile target: refusing to cluster")


def exits_quietly(X, k, *, init=None, seed=None):
    sys.exit(0)


def returns_string(X, k, *, init=None, seed=None):
    return "centers"


def returns_none(X, k, *, init=None, seed=None):
    return None


def nan_centers(X, k, *, init=None, seed=None):
    centers, labels = _honest(X, k)
    return np.full_like(centers, np.nan), labels


def huge_array(X, k, *, init=None, seed=None):
    _, labels = _honest(X, k)
    return np.broadcast_to(np.float64(0.0), (10**6, 10**6)), labels


def eat_memory(X, k, *, init=None, seed=None):
    hoard = []
    while True:
        hoard.append(np.ones(8 * 2**20))  # 64 MiB, touched so that it is really resident
