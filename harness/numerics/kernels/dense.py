"""Lloyd's algorithm without bounds, for tiny k·d: every assignment plain, fused with the update's sums.

Its trajectory and stopping rule are the bounded iteration's bit for bit; it keeps no bounds and
never screens by matrix products.  Two forms of the same arithmetic: one for any (k, d), and one
compiled for the problem's own (k, d), where every per-point loop over the centers and coordinates
is unrolled so that a point's running minimum stays in registers.  The form is chosen by two
*shape tokens*, ``k_token`` and ``d_token``: tuples whose lengths are k and d (numba types a tuple
by its length, so ``len(token)`` is a compile-time constant), or both empty for the form that
serves any shape.  (Tokens rather than :func:`numba.literally`: a literal argument sends every call
back through numba's compiler, about 20 ms a call.)  The fixed form compiles once per (k, d)
(the driver and the assignment, 5-10 s on two cores; numba's disk cache keeps it), so
:func:`~harness.numerics.kernels.lloyd.lloyd` uses it from ``DENSE_FIXED_MIN_ROWS`` rows.
"""

from __future__ import annotations

import numba
import numpy as np

from harness.config import NUMBA_FLAGS
from harness.numerics.kernels.distances import _assigned_sqdist, _centers_by_coordinate
from harness.numerics.kernels.update import _combine_blocks

#: Points per tile of :func:`_nearest_rows_dense` (d × 64 float64 copied coordinate-major).  At
#: (200000, 2, 8), one thread: 64 rows 2.3 ms, 32 rows 4.1 ms, 128 rows 3.1 ms.
DENSE_TILE = 64

#: From this many rows, :func:`~harness.numerics.kernels.lloyd.lloyd` runs the dense iteration
#: compiled for the problem's (k, d) (:func:`_nearest_rows_fixed`).  Measured on a 2-core AMD EPYC,
#: one thread, one assignment of 200000 rows, generic against fixed: (k, d) = (8, 2) 2.12 / 1.34 ms,
#: (16, 2) 2.07 / 1.18, (8, 4) 1.50 / 1.17, (32, 1) 2.76 / 1.46, (4, 8) 2.61 / 1.92.  A first
#: compile of a new (k, d) costs 5-10 s, paid back after about 10⁹ point-iterations (about 4 ns
#: saved per point and iteration) summed over the runs that load it from numba's cache; small
#: problems (verify's cases stop at 12,000 rows) keep the generic form.
DENSE_FIXED_MIN_ROWS = 2**16


@numba.njit(**NUMBA_FLAGS)
def _nearest_rows_dense(X, lo, count, centers_t, tile_t, acc, best, best_j):  # pragma: no cover
    """Nearest center (ties to the lowest index) of the rows ``lo:lo + count`` of ``X`` into
    ``best_j[:count]``, its squared distance into ``best[:count]``.

    The same sums as :func:`_sqdists` (from 0.0, exact differences, coordinate order), computed
    across a tile of ``DENSE_TILE`` points, one center per pass, so the loops vectorise without
    reassociating a sum; the select is branch-free, centers in index order (a strict ``<`` keeps
    the lower index on ties)."""
    d, k = centers_t.shape
    for p in range(count):
        for t in range(d):
            tile_t[t, p] = np.float64(X[lo + p, t])
    for p in range(count, DENSE_TILE):  # padding lanes: computed, never read
        for t in range(d):
            tile_t[t, p] = 0.0
    for p in range(DENSE_TILE):
        best[p] = np.inf
        best_j[p] = 0
    for j in range(k):
        # the first coordinate's square starts the sum (0.0 + a == a exactly: the same sum), the
        # last one's is added in the select's pass
        c = centers_t[0, j]
        for p in range(DENSE_TILE):
            e = tile_t[0, p] - c
            acc[p] = e * e
        for t in range(1, d - 1):
            c = centers_t[t, j]
            for p in range(DENSE_TILE):
                e = tile_t[t, p] - c
                acc[p] += e * e
        if d == 1:
            for p in range(DENSE_TILE):
                s = acc[p]
                best_j[p] = j if s < best[p] else best_j[p]
                best[p] = min(best[p], s)
        else:
            c = centers_t[d - 1, j]
            for p in range(DENSE_TILE):
                e = tile_t[d - 1, p] - c
                s = acc[p] + e * e
                best_j[p] = j if s < best[p] else best_j[p]
                best[p] = min(best[p], s)


@numba.njit(**NUMBA_FLAGS)
def _nearest_rows_fixed(X, lo, count, centers_t, tile_t, best_j, k_token, d_token):  # pragma: no cover
    """:func:`_nearest_rows_dense` compiled for k = ``len(k_token)`` centers in d = ``len(d_token)``
    dimensions (compile-time constants): the nearest center of each row ``lo:lo + count`` into
    ``best_j``.

    The same sums in the same order (the first coordinate's square, then each next one's added,
    exact differences) and the same select (centers in index order, a strict ``<`` keeps the lower
    index on ties); the loops over centers and coordinates unroll, so the tile's loop over points
    vectorises with the running minimum in registers."""
    fixed_k = len(k_token)
    fixed_d = len(d_token)
    for p in range(count):
        for t in range(fixed_d):
            tile_t[t, p] = np.float64(X[lo + p, t])
    for p in range(count, DENSE_TILE):  # padding lanes: computed, never read
        for t in range(fixed_d):
            tile_t[t, p] = 0.0
    for p in range(DENSE_TILE):
        best = np.inf
        bj = 0
        for j in range(fixed_k):
            e = tile_t[0, p] - centers_t[0, j]
            s = e * e
            for t in range(1, fixed_d):
                e = tile_t[t, p] - centers_t[t, j]
                s = s + e * e
            bj = j if s < best else bj
            best = min(best, s)
        best_j[p] = bj


@numba.njit(parallel=True, **NUMBA_FLAGS)
def _assign_dense(
    X, centers_t, labels, block_rows, block_sums, block_counts, block_changed, k_token, d_token
):  # pragma: no cover
    """Plain assignment of every row (:func:`_nearest_rows_dense`, or :func:`_nearest_rows_fixed`
    for non-empty shape tokens), the number of labels changed per block of ``block_rows`` rows, and
    the block's sums for the next update (fused: one pass over X and one parallel region per
    iteration)."""
    n = X.shape[0]
    d = len(d_token) if len(d_token) > 0 else X.shape[1]  # a constant in the fixed form: the sums' loop unrolls
    n_blocks = block_changed.shape[0]
    for b in numba.prange(n_blocks):
        tile_t = np.empty((d, DENSE_TILE), dtype=np.float64)
        acc = np.empty(DENSE_TILE, dtype=np.float64)
        best = np.empty(DENSE_TILE, dtype=np.float64)
        best_j = np.empty(DENSE_TILE, dtype=np.int64)
        sums = block_sums[b]
        counts = block_counts[b]
        sums[:, :] = 0.0
        counts[:] = 0
        changed = 0
        block_end = min(n, (b + 1) * block_rows)
        for lo in range(b * block_rows, block_end, DENSE_TILE):
            count = min(DENSE_TILE, block_end - lo)
            if len(k_token) > 0:
                _nearest_rows_fixed(X, lo, count, centers_t, tile_t, best_j, k_token, d_token)
            else:
                _nearest_rows_dense(X, lo, count, centers_t, tile_t, acc, best, best_j)
            for p in range(count):
                i = lo + p
                j = best_j[p]
                changed += j != labels[i]  # branch-free: early iterations change many labels
                labels[i] = j
                counts[j] += 1
                for t in range(d):
                    sums[j, t] += np.float64(X[i, t])
        block_changed[b] = changed


@numba.njit(**NUMBA_FLAGS)
def _lloyd_dense(
    X, centers, max_iter, block_rows, labels, min_sqdist, out_centers, k_token, d_token
):  # pragma: no cover
    """:func:`~harness.numerics.kernels.lloyd._lloyd` without bounds, for tiny k·d
    (``DENSE_MAX_CENTER_WORK``): every assignment is
    plain (:func:`_assign_dense`), the update the same block sums (:func:`_combine_blocks`), so
    the trajectory and the stopping rule are ``_lloyd``'s bit for bit.  The shape tokens (tuples of
    lengths k and d, or both empty; see the module) choose the form compiled for this shape or the
    one that serves any shape; both give the same result.  Returns ``(n_iter, converged,
    n_distances)``; ``n_distances`` is n·k per assignment."""
    n, d = X.shape
    k = centers.shape[0]
    n_blocks = (n + block_rows - 1) // block_rows
    block_sums = np.empty((n_blocks, k, d), dtype=np.float64)
    block_counts = np.empty((n_blocks, k), dtype=np.int64)
    block_changed = np.empty(n_blocks, dtype=np.int64)
    counts = np.empty(k, dtype=np.int64)
    centers_t = np.empty((d, k), dtype=np.float64)
    current = np.empty((k, d), dtype=out_centers.dtype)
    current[:, :] = centers
    _centers_by_coordinate(current, centers_t)
    labels[:] = 0
    _assign_dense(X, centers_t, labels, block_rows, block_sums, block_counts, block_changed, k_token, d_token)
    n_iter = 0
    converged = False
    while n_iter < max_iter:
        _combine_blocks(block_sums, block_counts, current, out_centers, counts)
        current[:, :] = out_centers
        _centers_by_coordinate(current, centers_t)
        n_iter += 1
        _assign_dense(X, centers_t, labels, block_rows, block_sums, block_counts, block_changed, k_token, d_token)
        if block_changed.sum() == 0:
            converged = True
            break
    _assigned_sqdist(X, current, labels, min_sqdist)
    out_centers[:, :] = current
    return n_iter, converged, n * k * (n_iter + 1)
