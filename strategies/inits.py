"""Initial centers for a case: the ordinary starts and the adversarial ones (see ``INIT_KINDS``).

Every init is a deterministic function of (kind, X, mixture, k, init_seed), so a case record that
names them rebuilds the same start; the record also stores the array itself.
"""

from __future__ import annotations

import numpy as np

from harness.clustering import kmeans as api
from harness.numerics import kernels


def build_init(kind: str, X, mixture, k: int, init_seed: int):
    """Return the (k, d) float64 start of ``kind`` (None for ``"none"``)."""
    rng = np.random.default_rng(init_seed)
    n, d = X.shape
    if kind == "none":
        return None
    if kind == "truth":
        truth = np.asarray(mixture.centers, dtype=np.float64)
        if k <= len(truth):
            return truth[:k].copy()
        extra = X[rng.choice(n, size=k - len(truth), replace=False)]
        return np.vstack([truth, extra])
    if kind == "k-means++":
        return kernels.kmeans_plusplus(X, k, rng, greedy=True)[0].astype(np.float64)
    if kind == "random":
        return X[rng.choice(n, size=k, replace=False)].astype(np.float64)
    if kind == "fixed-point":
        return fixed_point_init(X, k, init_seed)
    if kind == "duplicated":
        base = kernels.kmeans_plusplus(X, k, rng, greedy=True)[0].astype(np.float64)
        if k >= 2:
            dup = rng.integers(0, k, size=max(1, k // 2))
            targets = rng.choice(k, size=len(dup), replace=False)
            base[targets] = base[dup]
        return base
    if kind == "one-cluster":
        s = int(rng.integers(mixture.k))
        members = np.flatnonzero(_nearest_true(X, mixture) == s)
        pool = members if len(members) >= k else np.arange(n)
        return X[rng.choice(pool, size=k, replace=len(pool) < k)].astype(np.float64)
    if kind == "far":
        base = kernels.kmeans_plusplus(X, k, rng, greedy=True)[0].astype(np.float64)
        lo, hi = X.min(axis=0), X.max(axis=0)
        span = float(np.max(hi - lo)) or 1.0
        n_far = max(1, k // 3) if k > 1 else 0
        for j in rng.choice(k, size=n_far, replace=False) if n_far else []:
            direction = rng.standard_normal(d)
            direction /= np.linalg.norm(direction) or 1.0
            base[j] = (lo + hi) / 2 + direction * 10 * span
        return base
    raise ValueError(f"unknown init kind {kind!r}")


def _nearest_true(X, mixture):
    labels, _ = kernels.assign_labels(np.ascontiguousarray(X, dtype=np.float64), np.asarray(mixture.centers))
    return labels


def fixed_point_init(X, k: int, init_seed: int):
    """A Lloyd fixed point (our reference Lloyd from k-means++); empty cells are re-seeded at the
    farthest points and Lloyd re-run, so the result has no empty cluster when that is possible."""
    rng = np.random.default_rng(init_seed)
    centers = kernels.kmeans_plusplus(X, k, rng, greedy=True)[0]
    for _ in range(5):
        r = api.lloyd(X, centers, max_iter=1000)
        counts = np.bincount(r.labels, minlength=k)
        if counts.min() > 0:
            return r.centers.astype(np.float64)
        _, sq = kernels.assign_labels(X, r.centers)
        far = np.argsort(-sq)[: int(np.sum(counts == 0))]
        centers = r.centers.copy()
        centers[counts == 0] = X[far]
    return r.centers.astype(np.float64)
