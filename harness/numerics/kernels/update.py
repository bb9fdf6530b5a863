"""The update step: cell means from per-block float64 partial sums, combined in block order.

The centers do not depend on the thread count.  Nothing here assigns labels or computes distances.
"""

from __future__ import annotations

import numba
import numpy as np

from harness.config import NUMBA_FLAGS, UPDATE_BLOCK_ROWS
from harness.numerics.kernels.threads import kernel_threads


@numba.njit(**NUMBA_FLAGS)
def _accumulate_block(X, labels, lo, hi, sums, counts):  # pragma: no cover - jitted
    """Float64 sums and counts of the rows ``lo:hi`` per cluster, rows in order (one update block)."""
    sums[:, :] = 0.0
    counts[:] = 0
    for i in range(lo, hi):
        j = labels[i]
        counts[j] += 1
        for t in range(X.shape[1]):
            sums[j, t] += np.float64(X[i, t])


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
    with kernel_threads(n * d):
        _block_sums(X, labels, block_sums, block_counts, block_rows)
    _combine_blocks(block_sums, block_counts, centers, new_centers, counts)
    return new_centers, counts
