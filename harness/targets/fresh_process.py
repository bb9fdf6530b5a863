"""A target loaded by spec in a fresh interpreter: a spawned subprocess (never forked from this
one) with its own explicit ``PYTHONHASHSEED``, for what the checks cannot see in one process:
randomness that differs between processes, the memory layout of the arrays a target is handed
(built there, because pickling loses strides and the read-only flag), and the calls of a seeding
target.  It knows nothing of checks; the worker (:mod:`harness.targets.worker`) stays the one way
to run an isolated k-means fit.

Protocol: pickled requests on the child's stdin, pickled replies on a duplicate of its stdout; the
child points fd 1 at fd 2 first, so a target that prints cannot corrupt the replies.
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
import traceback
import warnings
import weakref

import numpy as np

from harness.targets.failures import BadOutput, TargetCrashed, TargetRaised, TargetTimeout
from harness.targets.fit import Fit, modified_inputs, normalise_output

__all__ = ["LAYOUTS", "FreshProcess", "layout_array"]

#: The memory layouts a target is handed in the layout check: C-ordered, Fortran-ordered, a strided
#: view (every other row and column of a larger buffer whose other entries are NaN) and read-only.
LAYOUTS = ("C", "F", "strided", "read-only")


def layout_array(X, layout: str, dtype) -> np.ndarray:
    """``X`` as a new array of ``dtype`` in ``layout`` (one of :data:`LAYOUTS`)."""
    X = np.asarray(X)
    if layout == "C":
        return np.array(X, dtype=dtype, order="C", copy=True)
    if layout == "F":
        return np.array(X, dtype=dtype, order="F", copy=True)
    if layout == "strided":
        # the gaps hold NaN: a target that reads the buffer as if it were contiguous sees them
        buffer = np.full((2 * X.shape[0], 2 * X.shape[1]), np.nan, dtype=dtype)
        buffer[::2, ::2] = X
        return buffer[::2, ::2]
    if layout == "read-only":
        out = np.array(X, dtype=dtype, copy=True)
        out.setflags(write=False)
        return out
    raise ValueError(f"layout: expected one of {LAYOUTS}, got {layout!r}")


def call_fit(target, X, k, *, init=None, seed=None, layout=None, dtype=None) -> Fit:
    """One k-means call of ``target`` (a Target) on ``X`` built in ``layout`` (None: a plain copy) in
    this process; raises :class:`TargetRaised` or :class:`BadOutput` like the runner."""
    given = layout_array(X, layout or "C", dtype or X.dtype)
    before = np.array(given, copy=True)
    init_given = None if init is None else np.array(init, copy=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = target.fit(given, k, init=init_given, seed=seed)
    except (Exception, SystemExit) as exc:
        raise TargetRaised(type(exc).__name__, str(exc), "".join(traceback.format_exception(exc))) from exc
    try:
        fit = normalise_output(out)
    except Exception as exc:  # noqa: BLE001 - a malformed answer is the target's failure
        raise BadOutput(str(exc)) from None
    modified = modified_inputs(given, before, init_given, init)
    if modified:
        from dataclasses import replace  # noqa: PLC0415 - rare path

        fit = replace(fit, input_unchanged=False, modified_inputs=modified)
    return fit


def call_seeding(target, X, k, seeds) -> tuple[list, bool]:
    """A seeding target's centers for each seed (each call on its own copy of X) and whether every
    call left its copy unchanged; raises :class:`TargetRaised` when a call raises."""
    out, unchanged = [], True
    for seed in seeds:
        given = np.array(X, copy=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                centers = target.fit(given, k, seed=seed)
        except (Exception, SystemExit) as exc:
            raise TargetRaised(type(exc).__name__, str(exc), "".join(traceback.format_exception(exc))) from exc
        unchanged = unchanged and np.array_equal(given, X)
        out.append(centers if isinstance(centers, np.ndarray) else np.asarray(centers))
    return out, unchanged


class FreshProcess:
    """``spec`` loaded in a fresh interpreter with ``PYTHONHASHSEED=hash_seed``; :meth:`fit` and
    :meth:`seeding` call it there, each reply within ``timeout`` seconds (None: no limit)."""

    def __init__(self, spec: str, *, hash_seed: int, timeout: float | None = None):
        if not isinstance(spec, str):
            raise TypeError(f"a fresh process loads a target by spec, got {type(spec).__name__}")
        self.spec, self.hash_seed, self.timeout = spec, int(hash_seed), timeout
        env = dict(os.environ, PYTHONHASHSEED=str(self.hash_seed))
        self._proc = subprocess.Popen(  # spawned: a new interpreter, not a fork of this one
            [sys.executable, "-m", "harness.targets.fresh_process", spec],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self._finalizer = weakref.finalize(self, _shutdown, self._proc)
        self._ready = None

    def ready(self) -> dict:
        """Wait for the child to load the target: its declaration and the hash seed it runs with."""
        if self._ready is None:
            self._ready = self._reply(None if self.timeout is None else max(self.timeout, 120.0))
        return self._ready

    def _reply(self, timeout):
        out = self._proc.stdout
        if timeout is not None:
            readable, _, _ = select.select([out], [], [], timeout)
            if not readable:
                self.close()
                raise TargetTimeout(f"timeout: no answer within {timeout:g} s in the fresh process")
        try:
            kind, payload = pickle.load(out)
        except (EOFError, pickle.UnpicklingError) as exc:
            code = self._proc.poll()
            raise TargetCrashed(f"crashed: the fresh process ended (exit code {code}) ({exc})") from None
        if kind == "raised":
            raise TargetRaised(*payload)
        if kind == "bad-output":
            raise BadOutput(payload)
        if kind == "load-error":
            raise TargetCrashed(f"the fresh process could not load {self.spec!r}: {payload}")
        return payload

    def _request(self, request):
        self.ready()
        try:
            pickle.dump(request, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise TargetCrashed(f"crashed: the fresh process is gone ({exc})") from None
        return self._reply(self.timeout)

    def fit(self, X, k, *, init=None, seed=None, layout=None, dtype=None) -> Fit:
        """One k-means call there, on ``X`` built there in ``layout`` and ``dtype`` (None: as given)."""
        payload = self._request(
            ("fit", np.asarray(X), k, init, seed, layout, None if dtype is None else np.dtype(dtype).str)
        )
        return Fit(**payload, raw_centers=payload["centers"], raw_labels=payload["labels"])

    def seeding(self, X, k, seeds) -> tuple[list, bool]:
        """A seeding target's centers for each of ``seeds`` there (see :func:`call_seeding`)."""
        return self._request(("seeding", np.asarray(X), k, list(seeds)))

    def close(self) -> None:
        self._finalizer()


def _shutdown(proc) -> None:
    try:
        proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _serve(spec: str) -> None:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the target's prints go to stderr, never into the replies
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer

    def send(kind, payload):
        pickle.dump((kind, payload), replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()

    from harness.targets.loader import load_target  # noqa: PLC0415 - the child's own import, after the fds are set

    try:
        target = load_target(spec)
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        send("load-error", f"{type(exc).__name__}: {exc}")
        return
    send("ready", {"declaration": target.record(), "hash_seed": os.environ.get("PYTHONHASHSEED")})
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:
            return
        try:
            if request[0] == "fit":
                _, X, k, init, seed, layout, dtype = request
                fit = call_fit(target, X, k, init=init, seed=seed, layout=layout, dtype=dtype or X.dtype)
                send(
                    "ok",
                    {
                        "centers": np.asarray(fit.raw_centers),
                        "labels": np.asarray(fit.raw_labels),
                        "converged": fit.converged,
                        "n_iter": fit.n_iter,
                        "input_unchanged": fit.input_unchanged,
                        "modified_inputs": fit.modified_inputs,
                    },
                )
            else:
                _, X, k, seeds = request
                send("ok", call_seeding(target, X, k, seeds))
        except TargetRaised as exc:
            send("raised", (exc.type_name, exc.message, exc.traceback_text))
        except BadOutput as exc:
            send("bad-output", str(exc))
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable answer
            send("bad-output", f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    _serve(sys.argv[1])
