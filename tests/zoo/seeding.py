"""Seeding targets for the seeding checks (``kind="seeding"``): each wrong one samples a law other
than the k-means++ it declares, and is caught by seeding_distribution; ``correct_plain`` is the
control, a plain D² seeding written out in numpy."""

from __future__ import annotations

import numpy as np

import harness


def _d2(X, chosen):
    diff = X[:, None, :] - X[chosen][None, :, :]
    return np.einsum("nkd,nkd->nk", diff, diff).min(axis=1)


def _seeding(X, k, seed, weight):
    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(seed)
    chosen = [int(rng.integers(X.shape[0]))]
    for _ in range(1, k):
        w = weight(_d2(X, chosen), rng)
        chosen.append(int(rng.choice(X.shape[0], p=w / w.sum())) if w.sum() > 0 else int(rng.integers(X.shape[0])))
    return X[chosen].copy()


@harness.target(kind="seeding", method="plain-k-means++")
def correct_plain(X, k, *, seed=None):
    """Plain k-means++: the first row uniform, each next ∝ D² (the control; passes)."""
    return _seeding(X, k, seed, lambda d2, rng: d2)


@harness.target(kind="seeding", method="plain-k-means++")
def proportional_to_distance(X, k, *, seed=None):
    """Bug: each next center ∝ D, not D² (a forgotten square).  Caught by: seeding_distribution."""
    return _seeding(X, k, seed, lambda d2, rng: np.sqrt(d2))


@harness.target(kind="seeding", method="plain-k-means++")
def first_row_fixed(X, k, *, seed=None):
    """Bug: the first center is always row 0 (a seed used only for the later draws).  Caught by:
    seeding_distribution (the first center is not uniform)."""
    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(seed)
    chosen = [0]
    for _ in range(1, k):
        d2 = _d2(X, chosen)
        chosen.append(int(rng.choice(X.shape[0], p=d2 / d2.sum())))
    return X[chosen].copy()


@harness.target(kind="seeding", method="greedy-k-means++")
def farthest_point(X, k, *, seed=None):
    """Bug: after a uniform first center, each next is the farthest point (the deterministic
    "maximin" seeding) instead of a draw.  Caught by: seeding_distribution."""
    X = np.asarray(X, dtype=np.float64)
    chosen = [int(np.random.default_rng(seed).integers(X.shape[0]))]
    for _ in range(1, k):
        chosen.append(int(np.argmax(_d2(X, chosen))))
    return X[chosen].copy()


@harness.target(kind="seeding", method="plain-k-means++")
def uniform_rows(X, k, *, seed=None):
    """Bug: k distinct rows uniformly, declared as k-means++.  Caught by: seeding_distribution."""
    X = np.asarray(X, dtype=np.float64)
    return X[np.random.default_rng(seed).choice(X.shape[0], size=k, replace=False)].copy()
