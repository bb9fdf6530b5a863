"""k-means++ seeding (Arthur & Vassilvitskii 2007), greedy or plain: D² sampling in two levels of block sums.

All random numbers are drawn outside the kernels, so the seeding is the same with and without the JIT
and for any thread count.  Nothing here runs Lloyd's iteration.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from harness.config import NUMBA_FLAGS
from harness.numerics.kernels.threads import kernel_threads

#: Rows per block in :func:`_candidate_sqdists`: a block is copied coordinate-major (d × 64
#: float64, 32 KiB for d = 64: one L1 cache) so that the distance loop runs across points.
#: Measured on a 2-core AMD EPYC at (10⁵, 64) with 7 candidates: 64 rows 1.6× faster than 256.
SEEDING_BLOCK_ROWS = 64


@numba.njit(parallel=True, **NUMBA_FLAGS)
def _blocks_by_coordinate(X, blocks):  # pragma: no cover - jitted
    """``blocks[b, t, i] = float64(X[b·SEEDING_BLOCK_ROWS + i, t])`` (zero past the last row)."""
    n, d = X.shape
    for b in numba.prange(blocks.shape[0]):
        lo = b * SEEDING_BLOCK_ROWS
        rows = min(n, lo + SEEDING_BLOCK_ROWS) - lo
        for i in range(SEEDING_BLOCK_ROWS):
            for t in range(d):
                blocks[b, t, i] = np.float64(X[lo + i, t]) if i < rows else 0.0


@numba.njit(parallel=True, **NUMBA_FLAGS)
def _candidate_sqdists(X, blocks, candidates, closest, out, block_sums):  # pragma: no cover - jitted
    """``out[c, i] = min(closest[i], |X[i] - X[candidates[c]]|^2)`` for every candidate c, and
    ``block_sums[c, b]`` = the sum of ``out[c]`` over block b's rows, added in row order from 0.0.

    Each squared distance is the float64 sum over t = 0, 1, ... of ``(x_t - c_t)^2`` in coordinate
    order, as in :func:`_sqdists`; the loop runs across the points of a block copied
    coordinate-major (``blocks`` from :func:`_blocks_by_coordinate`, made once per seeding: a
    k-means++ step has only a few candidates, and copying the block at every step cost more than
    the distances), so it vectorises without reassociating any sum.  The block sums make a
    potential a sum of ⌈n/64⌉ terms instead of n, in an order that does not depend on the threads.
    """
    n, d = X.shape
    m = candidates.shape[0]
    n_blocks = blocks.shape[0]
    for b in numba.prange(n_blocks):
        lo = b * SEEDING_BLOCK_ROWS
        rows = min(n, lo + SEEDING_BLOCK_ROWS) - lo
        block_t = blocks[b]
        acc = np.empty((4, SEEDING_BLOCK_ROWS), dtype=np.float64)
        # four candidates per pass over the block (each coordinate loaded once for four), as in
        # :func:`_nearest_two_rows`; every sum starts from 0.0 and runs in coordinate order
        a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
        c = 0
        while c < m:
            width = min(4, m - c)
            for i in range(rows):
                a0[i] = 0.0
                a1[i] = 0.0
                a2[i] = 0.0
                a3[i] = 0.0
            # a last group of fewer than four repeats its last candidate (computed, never stored):
            # cheaper than one pass over the block per leftover candidate
            i0 = candidates[c]
            i1 = candidates[min(c + 1, m - 1)]
            i2 = candidates[min(c + 2, m - 1)]
            i3 = candidates[min(c + 3, m - 1)]
            for t in range(d):
                x0 = np.float64(X[i0, t])
                x1 = np.float64(X[i1, t])
                x2 = np.float64(X[i2, t])
                x3 = np.float64(X[i3, t])
                for i in range(rows):
                    x = block_t[t, i]
                    e0 = x - x0
                    e1 = x - x1
                    e2 = x - x2
                    e3 = x - x3
                    a0[i] += e0 * e0
                    a1[i] += e1 * e1
                    a2[i] += e2 * e2
                    a3[i] += e3 * e3
            for r in range(width):
                ar = acc[r]
                for i in range(rows):
                    ar[i] = min(closest[lo + i], ar[i])
                    out[c + r, lo + i] = ar[i]
            # the block sums, the (up to) four candidates' chains interleaved to hide the latency
            s0 = 0.0
            s1 = 0.0
            s2 = 0.0
            s3 = 0.0
            for i in range(rows):
                s0 += a0[i]
                s1 += a1[i]
                s2 += a2[i]
                s3 += a3[i]
            block_sums[c, b] = s0
            if width > 1:
                block_sums[c + 1, b] = s1
            if width > 2:
                block_sums[c + 2, b] = s2
            if width > 3:
                block_sums[c + 3, b] = s3
            c += 4


@numba.njit(**NUMBA_FLAGS)
def _d2_sample(closest, block_cumulative, u, n):  # pragma: no cover - jitted
    """The index drawn by ``u`` in [0, 1) with probability proportional to ``closest`` (D² sampling),
    by inverse transform in two levels: the first block whose cumulative sum exceeds u·total, then
    the first row of it at which (previous blocks' cumulative sum) + (the block's running sum from
    0.0, in row order) exceeds u·total.  That running sum is the one the block's sum was made of, so
    its last value reproduces ``block_cumulative[b]`` exactly and some row is hit, and the first row
    hit has positive weight (a zero adds nothing).  Only when u·total rounds up to the total is no
    block above it; then the last row of positive weight.  Mirrored by
    :func:`harness.numerics.reference.kmeans_plusplus_ref`."""
    n_blocks = block_cumulative.shape[0]
    total = block_cumulative[n_blocks - 1]
    if not total > 0.0:
        return min(int(u * n), n - 1)
    target = u * total
    b = min(np.searchsorted(block_cumulative, target, side="right"), n_blocks - 1)
    lo = b * SEEDING_BLOCK_ROWS
    hi = min(n, lo + SEEDING_BLOCK_ROWS)
    prefix = block_cumulative[b - 1] if b > 0 else 0.0
    running = 0.0
    for i in range(lo, hi):
        running += closest[i]
        if prefix + running > target:
            return i
    idx = n - 1
    while idx > 0 and closest[idx] == 0.0:
        idx -= 1
    return idx


@numba.njit(**NUMBA_FLAGS)
def _kmeans_plusplus(X, first, uniforms, out_centers, out_indices):  # pragma: no cover - jitted
    """k-means++ seeding (Arthur & Vassilvitskii 2007), greedy when ``uniforms`` has >1 column.

    ``uniforms[c - 1, t]`` in [0, 1) draws candidate ``t`` for center ``c`` with probability
    proportional to the squared distance to the nearest chosen center (D^2 sampling,
    :func:`_d2_sample`); the candidate that lowers the potential most is kept, the first one on
    ties.  If every point already coincides with a chosen center (fewer distinct points than k)
    the potential is 0 and the candidate is drawn uniformly.

    All candidates of a step are drawn from the same distribution, so they are drawn first and
    their distances and per-block sums computed in one parallel pass (:func:`_candidate_sqdists`);
    each potential is then the sum of its block sums in block order, so the choice does not depend
    on the thread count.  The chosen candidate's distances become the next step's ``closest``
    without a copy: two buffers of candidate rows alternate.
    """
    n, d = X.shape
    k, n_trials = out_centers.shape[0], uniforms.shape[1]
    rows = max(n_trials, 1)
    n_blocks = (n + SEEDING_BLOCK_ROWS - 1) // SEEDING_BLOCK_ROWS
    candidate_closest = np.empty((2, rows, n), dtype=np.float64)
    candidate_blocks = np.empty((2, rows, n_blocks), dtype=np.float64)
    block_cumulative = np.empty(n_blocks, dtype=np.float64)
    potentials = np.empty(rows, dtype=np.float64)
    candidates = np.empty(rows, dtype=np.int64)
    out_indices[0] = first
    candidates[0] = first
    blocks = np.empty((n_blocks, d, SEEDING_BLOCK_ROWS), dtype=np.float64)
    _blocks_by_coordinate(X, blocks)
    unseen = np.full(n, np.inf)
    _candidate_sqdists(X, blocks, candidates[:1], unseen, candidate_closest[0, :1], candidate_blocks[0, :1])
    cur, best = 0, 0
    for c in range(1, k):
        closest = candidate_closest[cur, best]
        closest_blocks = candidate_blocks[cur, best]
        total = 0.0
        for b in range(n_blocks):
            total += closest_blocks[b]
            block_cumulative[b] = total
        for trial in range(n_trials):
            candidates[trial] = _d2_sample(closest, block_cumulative, uniforms[c - 1, trial], n)
        nxt = 1 - cur
        _candidate_sqdists(X, blocks, candidates, closest, candidate_closest[nxt], candidate_blocks[nxt])
        for trial in range(n_trials):
            s = 0.0
            for b in range(n_blocks):
                s += candidate_blocks[nxt, trial, b]
            potentials[trial] = s
        best = 0
        for trial in range(1, n_trials):
            if potentials[trial] < potentials[best]:
                best = trial
        out_indices[c] = candidates[best]
        cur = nxt
    for c in range(k):
        for t in range(d):
            out_centers[c, t] = X[out_indices[c], t]


def kmeans_plusplus(X, k, rng, greedy=True, *, threads=None):
    """k-means++ seeding; ``greedy`` uses 2 + floor(ln k) candidates per step (as scikit-learn).

    ``rng`` is a :class:`numpy.random.Generator`; all random numbers are drawn here, outside the
    kernel, so the result is the same with and without the JIT.  Returns ``(centers, indices)``.
    Memory: a coordinate-major float64 copy of X (n·d·8 bytes) and 2·(2 + ⌊ln k⌋) + 1 rows of n
    distances (3 when not greedy), for the duration of the call.  ``threads``: as
    :func:`~harness.numerics.kernels.threads.threads_for` (one thread for small n·d·trials).
    """
    n = X.shape[0]
    n_trials = 2 + int(math.log(k)) if greedy else 1
    first = int(rng.integers(n))
    uniforms = rng.random((max(k - 1, 0), n_trials))
    out = np.empty((k, X.shape[1]), dtype=X.dtype)
    indices = np.empty(k, dtype=np.int64)
    with kernel_threads(n * X.shape[1] * n_trials, threads):
        _kmeans_plusplus(X, first, uniforms, out, indices)
    return out, indices
