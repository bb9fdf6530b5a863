"""Plain-numpy references for the kernels in :mod:`harness.numerics.kernels`: short, obviously right, slow.

Tests compare each kernel ``name`` with ``name_ref`` here.  Nothing here is used on a hot path.
"""

from __future__ import annotations

import math

import numpy as np


def sqdist_ref(X, centers):
    """All squared distances ``(n, k)`` in float64, from exact differences."""
    diff = np.asarray(X, dtype=np.float64)[:, None, :] - np.asarray(centers, dtype=np.float64)[None]
    return np.einsum("nkd,nkd->nk", diff, diff)


#: Most elements of the (rows, k, d) differences :func:`assign_labels_ref` holds at once (32 MiB).
REFERENCE_CHUNK_ELEMENTS = 2**22


def assign_labels_ref(X, centers):
    """Nearest center (first index on ties) and the squared distance to it; rows in chunks, so
    that no more than ``REFERENCE_CHUNK_ELEMENTS`` differences exist at once (rows are independent)."""
    n = X.shape[0]
    k, d = centers.shape
    rows = max(1, REFERENCE_CHUNK_ELEMENTS // max(1, k * d))
    labels = np.empty(n, dtype=np.int64)
    best = np.empty(n, dtype=np.float64)
    for lo in range(0, n, rows):
        D = sqdist_ref(X[lo : lo + rows], centers)
        labels[lo : lo + rows] = np.argmin(D, axis=1)
        best[lo : lo + rows] = D[np.arange(D.shape[0]), labels[lo : lo + rows]]
    return labels, best


def update_centers_ref(X, labels, centers):
    """Cell means in float64, cast to ``X.dtype``; an empty cell keeps its previous center."""
    k = centers.shape[0]
    X64 = np.asarray(X, dtype=np.float64)
    new = np.array(centers, dtype=X.dtype, copy=True)
    counts = np.bincount(labels, minlength=k).astype(np.int64)
    order = np.argsort(labels, kind="stable")  # the rows of each cell together, in row order
    starts = np.concatenate([[0], np.cumsum(counts)])
    for j in range(k):
        if counts[j]:
            new[j] = X64[order[starts[j] : starts[j + 1]]].mean(axis=0)
    return new, counts


def objective_ref(X, centers):
    """Eq. (1): the sum of squared distances to the nearest center (float64)."""
    return float(sqdist_ref(X, centers).min(axis=1).sum())


def lloyd_ref(X, centers, max_iter):
    """Lloyd's algorithm with the same stopping rule as the kernel: stop after the first update
    that changes no label.  Returns ``(centers, labels, n_iter, converged)``."""
    current = np.array(centers, dtype=X.dtype, copy=True)
    labels, _ = assign_labels_ref(X, current)
    for n_iter in range(1, max_iter + 1):
        current, _ = update_centers_ref(X, labels, current)
        new_labels, _ = assign_labels_ref(X, current)
        if np.array_equal(new_labels, labels):
            return current, new_labels, n_iter, True
        labels = new_labels
    return current, labels, max_iter, False


SEEDING_BLOCK_ROWS = 64  # harness.numerics.kernels.SEEDING_BLOCK_ROWS: the blocks of the two-level sums


def _block_sums_ref(v):
    """Sums of ``v`` over consecutive blocks of 64, each added in order from its first element."""
    pad = (-len(v)) % SEEDING_BLOCK_ROWS
    blocks = np.concatenate([v, np.zeros(pad)]).reshape(-1, SEEDING_BLOCK_ROWS)
    return np.cumsum(blocks, axis=1)[:, -1]  # cumsum is sequential; trailing zeros change nothing


def _d2_sample_ref(closest, block_cumulative, u):
    """D² sampling by inverse transform in two levels (see harness.numerics.kernels._d2_sample)."""
    n = len(closest)
    total = block_cumulative[-1]
    if not total > 0:
        return min(int(u * n), n - 1)
    target = u * total
    b = min(int(np.searchsorted(block_cumulative, target, side="right")), len(block_cumulative) - 1)
    lo, hi = b * SEEDING_BLOCK_ROWS, min(n, (b + 1) * SEEDING_BLOCK_ROWS)
    prefix = block_cumulative[b - 1] if b > 0 else 0.0
    hits = np.flatnonzero(prefix + np.cumsum(closest[lo:hi]) > target)  # cumsum: sequential from 0.0
    if len(hits):
        return lo + int(hits[0])
    positive = np.flatnonzero(closest > 0)  # u·total rounded up to the total: the last positive row
    return int(positive[-1]) if len(positive) else 0


def kmeans_plusplus_ref(X, k, rng, greedy=True):
    """k-means++ with the same random numbers as :func:`harness.numerics.kernels.kmeans_plusplus`, and the
    same order of summation: a potential is the sum of per-64-row block sums, in block order."""
    n = X.shape[0]
    n_trials = 2 + int(math.log(k)) if greedy else 1
    first = int(rng.integers(n))
    uniforms = rng.random((max(k - 1, 0), n_trials))
    X64 = np.asarray(X, dtype=np.float64)
    indices = [first]
    closest = ((X64 - X64[first]) ** 2).sum(axis=1)
    for c in range(1, k):
        block_cumulative = np.cumsum(_block_sums_ref(closest))
        best = None
        for u in uniforms[c - 1]:
            idx = _d2_sample_ref(closest, block_cumulative, u)
            cand = np.minimum(closest, ((X64 - X64[idx]) ** 2).sum(axis=1))
            potential = np.cumsum(_block_sums_ref(cand))[-1]
            if best is None or potential < best[0]:
                best = (potential, idx, cand)
        indices.append(best[1])
        closest = best[2]
    indices = np.array(indices, dtype=np.int64)
    return X[indices].astype(X.dtype), indices


def kmeans_1d_optimal_ref(x, k):
    """The exact optimum of eq. (1) in one dimension by dynamic programming over sorted points
    (optimal 1-D clusters are contiguous).  O(k n^2) time: for small n only.

    Costs of contiguous segments come from prefix sums of the data centered on its median, which
    keeps the cancellation in Σx² − (Σx)²/m at the scale of the data's spread, not its offset.
    Returns the optimal objective value.
    """
    x = np.sort(np.asarray(x, dtype=np.float64).ravel())
    n = len(x)
    x = x - np.median(x)
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])
    i = np.arange(n + 1)[:, None]
    j = np.arange(n + 1)[None, :]
    m = np.maximum(j - i, 1)
    cost = (s2[j] - s2[i]) - (s1[j] - s1[i]) ** 2 / m  # cost[i, j] of points i..j-1
    cost = np.where(j > i, np.maximum(cost, 0.0), np.inf)
    best = cost[0].copy()  # best[j]: one cluster on the first j points
    for _ in range(1, min(k, n)):
        best = np.min(best[:, None] + cost, axis=0)
    return float(best[n])
