"""numba-jitted inner loops of Lloyd's algorithm and k-means++.

Each ``_name`` kernel writes into caller-provided buffers and never validates; the public wrapper
``name`` allocates the outputs.  Plain-numpy references live in :mod:`harness.reference`.  Input
validation happens once, in :mod:`harness.api`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from harness.config import NUMBA_FLAGS, UPDATE_BLOCK_ROWS

__all__ = ["assign_labels", "update_centers", "objective", "lloyd", "kmeans_plusplus"]


@numba.njit(parallel=True, **NUMBA_FLAGS)
def _assign_labels(X, centers, labels, min_sqdist):  # pragma: no cover - jitted
    """Nearest center of each row of ``X``; ties go to the lowest index.

    Squared distances are accumulated in float64 from the exact differences
    ``x - c`` (not the ``|x|^2 - 2<x,c> + |c|^2`` expansion, which cancels catastrophically for
    data far from the origin).  One row at a time, so no ``(n, k)`` matrix exists.
    """
    n, d = X.shape
    k = centers.shape[0]
    for i in numba.prange(n):
        best = np.inf
        best_j = 0
        for j in range(k):
            s = 0.0
            for t in range(d):
                diff = np.float64(X[i, t]) - np.float64(centers[j, t])
                s += diff * diff
            if s < best:
                best = s
                best_j = j
        labels[i] = best_j
        min_sqdist[i] = best


@numba.njit(parallel=True, **NUMBA_FLAGS)
def _block_sums(X, labels, block_sums, block_counts, block_rows):  # pragma: no cover - jitted
    """Per-block float64 sums and counts of the rows of each cluster (rows in order in a block)."""
    n, d = X.shape
    n_blocks = block_sums.shape[0]
    for b in numba.prange(n_blocks):
        block_sums[b, :, :] = 0.0
        block_counts[b, :] = 0
        stop = min(n, (b + 1) * block_rows)
        for i in range(b * block_rows, stop):
            j = labels[i]
            block_counts[b, j] += 1
            for t in range(d):
                block_sums[b, j, t] += np.float64(X[i, t])


@numba.njit(**NUMBA_FLAGS)
def _combine_blocks(block_sums, block_counts, old_centers, new_centers, counts):  # pragma: no cover
    """Add the block partial sums in block order (so the result is independent of the thread
    count), divide by the counts, and keep the previous center of an empty cluster."""
    n_blocks, k, d = block_sums.shape
    for j in range(k):
        c = 0
        for b in range(n_blocks):
            c += block_counts[b, j]
        counts[j] = c
        for t in range(d):
            if c == 0:
                new_centers[j, t] = old_centers[j, t]
            else:
                s = 0.0
                for b in range(n_blocks):
                    s += block_sums[b, j, t]
                new_centers[j, t] = s / c


@numba.njit(**NUMBA_FLAGS)
def _lloyd(X, centers, max_iter, block_rows, labels, min_sqdist, out_centers):  # pragma: no cover
    """Lloyd's iteration from ``centers`` to an exact fixed point (Lemma 2) or ``max_iter`` updates.

    Returns ``(n_iter, converged)``.  On return ``labels`` are the nearest centers of
    ``out_centers`` (ties to the lowest index); when converged, every non-empty center is also the
    mean of its cell, because the last update did not change a single label.
    """
    n, d = X.shape
    k = centers.shape[0]
    n_blocks = (n + block_rows - 1) // block_rows
    block_sums = np.empty((n_blocks, k, d), dtype=np.float64)
    block_counts = np.empty((n_blocks, k), dtype=np.int64)
    counts = np.empty(k, dtype=np.int64)
    previous = np.empty(n, dtype=labels.dtype)
    current = np.empty((k, d), dtype=out_centers.dtype)
    current[:, :] = centers
    _assign_labels(X, current, labels, min_sqdist)
    n_iter = 0
    converged = False
    while n_iter < max_iter:
        _block_sums(X, labels, block_sums, block_counts, block_rows)
        _combine_blocks(block_sums, block_counts, current, out_centers, counts)
        current[:, :] = out_centers
        previous[:] = labels
        _assign_labels(X, current, labels, min_sqdist)
        n_iter += 1
        changed = False
        for i in range(n):
            if labels[i] != previous[i]:
                changed = True
                break
        if not changed:
            converged = True
            break
    out_centers[:, :] = current
    return n_iter, converged


@numba.njit(**NUMBA_FLAGS)
def _kmeans_plusplus(X, first, uniforms, out_centers, out_indices):  # pragma: no cover - jitted
    """k-means++ seeding (Arthur & Vassilvitskii 2007), greedy when ``uniforms`` has >1 column.

    ``uniforms[c - 1, t]`` in [0, 1) draws candidate ``t`` for center ``c`` with probability
    proportional to the squared distance to the nearest chosen center (D^2 sampling); the candidate
    that lowers the potential most is kept, the first one on ties.  If every point already
    coincides with a chosen center (fewer distinct points than k) the potential is 0 and the
    candidate is drawn uniformly.
    """
    n, d = X.shape
    k, n_trials = out_centers.shape[0], uniforms.shape[1]
    closest = np.empty(n, dtype=np.float64)
    candidate_closest = np.empty(n, dtype=np.float64)
    best_closest = np.empty(n, dtype=np.float64)
    cumulative = np.empty(n, dtype=np.float64)
    out_indices[0] = first
    for i in range(n):
        s = 0.0
        for t in range(d):
            diff = np.float64(X[i, t]) - np.float64(X[first, t])
            s += diff * diff
        closest[i] = s
    for c in range(1, k):
        total = 0.0
        for i in range(n):
            total += closest[i]
            cumulative[i] = total
        best_potential = np.inf
        best_index = 0
        for trial in range(n_trials):
            u = uniforms[c - 1, trial]
            if total > 0.0:
                idx = np.searchsorted(cumulative, u * total, side="right")
                if idx >= n:
                    idx = n - 1
                # skip zero-weight points that searchsorted can land on through rounding
                while closest[idx] == 0.0 and idx + 1 < n:
                    idx += 1
            else:
                idx = min(int(u * n), n - 1)
            potential = 0.0
            for i in range(n):
                s = 0.0
                for t in range(d):
                    diff = np.float64(X[i, t]) - np.float64(X[idx, t])
                    s += diff * diff
                candidate_closest[i] = min(closest[i], s)
                potential += candidate_closest[i]
            if potential < best_potential:
                best_potential = potential
                best_index = idx
                best_closest[:] = candidate_closest
        out_indices[c] = best_index
        closest[:] = best_closest
    for c in range(k):
        for t in range(d):
            out_centers[c, t] = X[out_indices[c], t]


# ----------------------------------------------------------------------------------------------
# Public wrappers: allocate outputs, call the kernel.  No validation (see harness.api).


def assign_labels(X, centers):
    """Nearest center of each point. ``X : (n, d)``, ``centers : (k, d)`` of the same dtype.

    Returns ``labels : (n,) int64`` (ties to the lowest index) and ``min_sqdist : (n,) float64``.
    """
    n = X.shape[0]
    labels = np.empty(n, dtype=np.int64)
    min_sqdist = np.empty(n, dtype=np.float64)
    _assign_labels(X, centers, labels, min_sqdist)
    return labels, min_sqdist


def update_centers(X, labels, centers, block_rows=UPDATE_BLOCK_ROWS):
    """Means of the cells (Lemma 2's center-of-mass map on a sample), in ``X.dtype``.

    Sums are accumulated in float64 in a fixed order.  An empty cluster keeps its previous
    center (the documented policy).  Returns ``(new_centers : (k, d), counts : (k,) int64)``.
    """
    n, d = X.shape
    k = centers.shape[0]
    n_blocks = max(1, (n + block_rows - 1) // block_rows)
    block_sums = np.empty((n_blocks, k, d), dtype=np.float64)
    block_counts = np.empty((n_blocks, k), dtype=np.int64)
    new_centers = np.empty((k, d), dtype=X.dtype)
    counts = np.empty(k, dtype=np.int64)
    _block_sums(X, labels, block_sums, block_counts, block_rows)
    _combine_blocks(block_sums, block_counts, centers, new_centers, counts)
    return new_centers, counts


def objective(X, centers):
    """The k-means objective G_n of eq. (1): sum over points of the squared distance to the nearest
    center, accumulated in float64."""
    _, min_sqdist = assign_labels(X, centers)
    return float(np.sum(min_sqdist))


def lloyd(X, centers, max_iter, block_rows=UPDATE_BLOCK_ROWS):
    """Run Lloyd's algorithm from ``centers``; see :func:`_lloyd`.

    Returns ``(centers, labels, min_sqdist, n_iter, converged)``.
    """
    n = X.shape[0]
    k, d = centers.shape
    labels = np.empty(n, dtype=np.int64)
    min_sqdist = np.empty(n, dtype=np.float64)
    out = np.empty((k, d), dtype=X.dtype)
    n_iter, converged = _lloyd(
        X, np.ascontiguousarray(centers, dtype=X.dtype), max_iter, block_rows, labels, min_sqdist, out
    )
    return out, labels, min_sqdist, int(n_iter), bool(converged)


def kmeans_plusplus(X, k, rng, greedy=True):
    """k-means++ seeding; ``greedy`` uses 2 + floor(ln k) candidates per step (as scikit-learn).

    ``rng`` is a :class:`numpy.random.Generator`; all random numbers are drawn here, outside the
    kernel, so the result is the same with and without the JIT.  Returns ``(centers, indices)``.
    """
    n = X.shape[0]
    n_trials = 2 + int(math.log(k)) if greedy else 1
    first = int(rng.integers(n))
    uniforms = rng.random((max(k - 1, 0), n_trials))
    out = np.empty((k, X.shape[1]), dtype=X.dtype)
    indices = np.empty(k, dtype=np.int64)
    _kmeans_plusplus(X, first, uniforms, out, indices)
    return out, indices


def cache_is_warm() -> bool:
    """Whether compiled kernels are already in numba's on-disk cache (so start-up is fast)."""
    import glob
    import os

    from harness.config import JIT_DISABLED

    if JIT_DISABLED:
        return True
    here = os.path.dirname(os.path.abspath(__file__))
    dirs = [os.path.join(here, "__pycache__")]
    if os.environ.get("NUMBA_CACHE_DIR"):
        dirs.append(os.environ["NUMBA_CACHE_DIR"])
    try:
        from numba.misc.appdirs import AppDirs

        dirs.append(AppDirs(appname="numba", appauthor=False).user_cache_dir)
    except Exception:  # pragma: no cover - numba internals moved
        pass
    return any(glob.glob(os.path.join(d, "**", "kernels._lloyd-*.nbi"), recursive=True) for d in dirs)
