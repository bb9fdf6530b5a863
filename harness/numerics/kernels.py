"""numba-jitted inner loops of Lloyd's algorithm and k-means++.

Each ``_name`` kernel writes into caller-provided buffers and never validates; the public wrapper
``name`` allocates the outputs.  Plain-numpy references live in :mod:`harness.numerics.reference`.  Input
validation happens once, in :mod:`harness.clustering.kmeans`.
"""

from __future__ import annotations

import contextlib
import math

import numba
import numpy as np

from harness.config import NUMBA_FLAGS, UPDATE_BLOCK_ROWS

__all__ = ["assign_labels", "update_centers", "objective", "lloyd", "kmeans_plusplus", "center_groups"]


#: Rows per block in the parallel assignment kernels: each block gets one scratch row of k squared
#: distances, so no allocation happens per point and no (n, k) matrix ever exists.
ASSIGN_BLOCK_ROWS = 512

#: Unit roundoff of float64 (all kernel arithmetic is float64; float32 inputs are widened exactly).
UNIT_ROUNDOFF = 2.0**-53


@numba.njit(**NUMBA_FLAGS)
def _centers_by_coordinate(centers, centers_t):  # pragma: no cover - jitted
    """``centers_t[t, j] = float64(centers[j, t])``: coordinate-major, so that the distance loop runs
    across centers (contiguous, vectorisable without reassociating any sum)."""
    k, d = centers.shape
    for j in range(k):
        for t in range(d):
            centers_t[t, j] = np.float64(centers[j, t])


@numba.njit(**NUMBA_FLAGS)
def _sqdists(X, i, centers_t, out):  # pragma: no cover - jitted
    """``out[j]`` = squared distance from row ``i`` of ``X`` to center ``j``.

    Each ``out[j]`` is the float64 sum over t = 0, 1, ... of ``(x_t - c_t)^2`` from the exact
    differences, in coordinate order -- the same operations, in the same order, as one point-center
    loop, so the values are bit-identical to it.  The loop runs across centers, so it vectorises
    without reassociating any sum (``fastmath`` stays off).
    """
    d, k = centers_t.shape
    x = np.float64(X[i, 0])
    for j in range(k):
        diff = x - centers_t[0, j]
        out[j] = diff * diff
    for t in range(1, d):
        x = np.float64(X[i, t])
        for j in range(k):
            diff = x - centers_t[t, j]
            out[j] += diff * diff


@numba.njit(**NUMBA_FLAGS)
def _sqdist_to(X, i, centers, j):  # pragma: no cover - jitted
    """Squared distance from row ``i`` of ``X`` to row ``j`` of ``centers`` (same arithmetic as
    :func:`_sqdists`)."""
    s = 0.0
    for t in range(X.shape[1]):
        diff = np.float64(X[i, t]) - np.float64(centers[j, t])
        s += diff * diff
    return s


#: Points per tile when distances are computed across points (small k): the tile is copied
#: coordinate-major, d × 32 float64 (16 KiB at d = 64, half an L1 cache), four centers' partial
#: sums beside it.  Measured on a 2-core AMD EPYC, one thread: 32 beat 64 by 20-30%.
POINT_TILE = 32


@numba.njit(**NUMBA_FLAGS)
def _nearest_two_rows(X, rows, m, centers_t, best_j, best, second, tile_t, tile_acc):  # pragma: no cover
    """For the rows ``rows[:m]`` of ``X``: index of the nearest center (ties to the lowest index),
    smallest and second-smallest squared distance, into ``best_j[:m]``, ``best[:m]``, ``second[:m]``.

    Every squared distance is the float64 sum over t = 0, 1, ... of ``(x_t - c_t)^2`` from the exact
    differences, in coordinate order: bit-identical to a plain point-by-center loop.  The loops run
    across a tile of points, so they vectorise without reassociating a sum (``fastmath`` stays
    off).  Measured on a 2-core AMD EPYC, one thread, against one point at a time across centers:
    1.8× faster at k = 256, d = 64, and more for smaller k.
    """
    d, k = centers_t.shape
    a0, a1, a2, a3 = tile_acc[0], tile_acc[1], tile_acc[2], tile_acc[3]
    tile_best = tile_acc[4]
    tile_second = tile_acc[5]
    tile_j = np.empty(POINT_TILE, dtype=np.int64)
    for lo in range(0, m, POINT_TILE):
        count = min(POINT_TILE, m - lo)
        for p in range(count):
            i = rows[lo + p]
            for t in range(d):
                tile_t[t, p] = np.float64(X[i, t])
        for p in range(count, POINT_TILE):  # padding lanes: computed, never read
            for t in range(d):
                tile_t[t, p] = 0.0
        for p in range(POINT_TILE):
            tile_best[p] = np.inf
            tile_second[p] = np.inf
            tile_j[p] = 0
        # Four centers per pass over the tile (their partial sums stay in L1, each point coordinate
        # is loaded once for four centers), fixed-length loops that vectorise across points.  Each
        # sum starts from 0.0, and 0.0 + a == a exactly, so it is the same sum as a plain loop.
        j = 0
        while j < k:
            width = min(4, k - j)
            for p in range(POINT_TILE):
                a0[p] = 0.0
                a1[p] = 0.0
                a2[p] = 0.0
                a3[p] = 0.0
            if width == 4:
                for t in range(d):
                    c0 = centers_t[t, j]
                    c1 = centers_t[t, j + 1]
                    c2 = centers_t[t, j + 2]
                    c3 = centers_t[t, j + 3]
                    for p in range(POINT_TILE):
                        x = tile_t[t, p]
                        e0 = x - c0
                        e1 = x - c1
                        e2 = x - c2
                        e3 = x - c3
                        a0[p] += e0 * e0
                        a1[p] += e1 * e1
                        a2[p] += e2 * e2
                        a3[p] += e3 * e3
            else:
                for r in range(width):
                    acc = tile_acc[r]
                    for t in range(d):
                        c0 = centers_t[t, j + r]
                        for p in range(POINT_TILE):
                            e0 = tile_t[t, p] - c0
                            acc[p] += e0 * e0
            # Branch-free selects, centers in index order (a branch per point and center
            # mispredicts on overlapping clusters, which cost 2-3x).  Ties keep the lower index.
            if width == 4:
                for p in range(POINT_TILE):  # unrolled: a loop here would stop vectorisation
                    b = tile_best[p]
                    s2 = tile_second[p]
                    q = tile_j[p]
                    s = a0[p]
                    s2 = min(s2, max(b, s))
                    q = j if s < b else q
                    b = min(b, s)
                    s = a1[p]
                    s2 = min(s2, max(b, s))
                    q = j + 1 if s < b else q
                    b = min(b, s)
                    s = a2[p]
                    s2 = min(s2, max(b, s))
                    q = j + 2 if s < b else q
                    b = min(b, s)
                    s = a3[p]
                    s2 = min(s2, max(b, s))
                    q = j + 3 if s < b else q
                    b = min(b, s)
                    tile_best[p] = b
                    tile_second[p] = s2
                    tile_j[p] = q
            else:
                for r in range(width):
                    acc = tile_acc[r]
                    for p in range(POINT_TILE):
                        b = tile_best[p]
                        s = acc[p]
                        tile_second[p] = min(tile_second[p], max(b, s))
                        tile_j[p] = j + r if s < b else tile_j[p]
                        tile_best[p] = min(b, s)
            j += 4
        for p in range(count):
            best[lo + p] = tile_best[p]
            second[lo + p] = tile_second[p]
            best_j[lo + p] = tile_j[p]


#: Points per matrix product in :func:`_nearest_two_rows_gemm`: the (centers × points) block of dot
#: products stays in L2 (64 × 256 float64 = 128 KiB).  Measured on a 2-core AMD EPYC, one thread:
#: OpenBLAS's dgemm at (16 × 256)·(64 × 16) ran at 18-22 G multiply-adds/s, 2.5× the exact tile.
GEMM_ROWS = 256

#: Below this n·k·d, or below ``GEMM_MIN_CENTER_WORK`` = k·d, an assignment uses the exact tile
#: alone: the products would save little (at (200000, 2, 8) they tied with the tile), and entering
#: the BLAS thread limit (:func:`single_threaded_blas`) costs about a millisecond.
GEMM_MIN_WORK = 2**21
GEMM_MIN_CENTER_WORK = 64

#: 1.02·u: the constant of the screening error e in :func:`_nearest_two_rows_gemm` (1.02 covers
#: γ's denominator and the roundings of the norms, of R and of e itself, each a few u relatively).
GEMM_ERROR_FACTOR = 1.02 * UNIT_ROUNDOFF

#: Rows with R² below this are never decided by the screening (see :func:`_nearest_two_rows_gemm`).
GEMM_MIN_R2 = 2.0**-960


@numba.njit(**NUMBA_FLAGS)
def _nearest_two_rows_gemm(
    X, rows, m, origin, cg_rows, cg_norm2, cg_max_norm, members_g, centers, centers_t_g,
    best_j, best, second, xt_buf, dot_buf, xnorm, sel, sel_j, fb_rows, fb_pos, fb_j, fb_best, fb_second,
    tile_t, tile_acc,
):  # pragma: no cover - jitted  # fmt: skip
    """:func:`_nearest_two_rows`'s result, screened with a matrix product.

    For the rows ``rows[:m]`` of ``X`` and the centers of one group (``cg_rows : (kg, d)`` their
    coordinates minus ``origin``, ``cg_norm2`` their squared norms, ``cg_max_norm`` the largest
    norm, ``members_g`` their indices in ``centers``): ``best_j[:m]`` the nearest center's index
    in the group, ``best[:m]`` its squared distance computed exactly as :func:`_sqdist_to` does
    (plain Lloyd's value, bit for bit), ``second[:m]`` a lower bound of the true second-smallest
    squared distance.

    Screening (the expansion ‖x′‖² − 2⟨x′, c′⟩ + ‖c′‖² on shifted coordinates x′ = fl(x − o),
    c′ = fl(c − o), so that data far from the origin does not cancel): with v_j = fl(‖c′_j‖² −
    2⟨x′, c′_j⟩) from BLAS (any summation order, FMA or not: Higham, eq. (3.5)), and R = ‖x′‖ +
    max_j ‖c′_j‖,

    - the shift changes each squared distance by at most 2.01u·R² (each coordinate is rounded once),
      and v_j + ‖x′‖² differs from ‖x′ − c′_j‖² by at most γ_{d+1}·R²; so the true D_j =
      ‖x − c_j‖² is within e = 1.02(d + 8)u·R² of v_j + ‖x′‖² (u = 2^-53, γ_m = mu/(1 − mu));
    - plain Lloyd's computed D̂_j is within γ_{d+2}·D_j ≤ e of D_j.

    So if the smallest v (at q) is below every other v_j by more than 4e, D̂_q < D̂_j for every
    j ≠ q: q is plain Lloyd's label, found without a single exact difference but the one to q.
    The second-smallest true distance is then ≥ (second-smallest v) + fl(‖x′‖²) − 2e (the second e
    covers the rounding of ‖x′‖²).  Rows that fail the test (near-ties, or data whose spread is
    tiny against its distance from ``origin``) are recomputed exactly by :func:`_nearest_two_rows`;
    their number is returned.  So are rows with R² < ``GEMM_MIN_R2`` = 2^-960: near the subnormal
    range every operation may also err by up to 2^-1075 absolutely, which the relative model above
    does not cover (for R² ≥ 2^-960 the spare part of 4e, at least 11u·R² ≥ 11·2^-1013, covers
    those absolute errors many times over).
    """
    d = X.shape[1]
    kg = cg_rows.shape[0]
    sb, ss = sel[0], sel[1]
    n_fb = 0
    for lo in range(0, m, GEMM_ROWS):
        count = min(GEMM_ROWS, m - lo)
        xt = xt_buf[: d * count].reshape((d, count))
        for p in range(count):
            i = rows[lo + p]
            s = 0.0
            for t in range(d):
                v = np.float64(X[i, t]) - origin[t]
                xt[t, p] = v
                s += v * v
            xnorm[p] = s
        dots = dot_buf[: kg * count].reshape((kg, count))
        np.dot(cg_rows, xt, dots)
        for p in range(count):
            sb[p] = np.inf
            ss[p] = np.inf
            sel_j[p] = 0
        # branch-free selects across points, four centers per pass in index order (as in
        # _nearest_two_rows: a loop over centers inside would stop vectorisation)
        j = 0
        while j + 4 <= kg:
            c0, c1, c2, c3 = cg_norm2[j], cg_norm2[j + 1], cg_norm2[j + 2], cg_norm2[j + 3]
            d0, d1, d2, d3 = dots[j], dots[j + 1], dots[j + 2], dots[j + 3]
            for p in range(count):
                b = sb[p]
                s2 = ss[p]
                q = sel_j[p]
                v = c0 - 2.0 * d0[p]
                s2 = min(s2, max(b, v))
                q = j if v < b else q
                b = min(b, v)
                v = c1 - 2.0 * d1[p]
                s2 = min(s2, max(b, v))
                q = j + 1 if v < b else q
                b = min(b, v)
                v = c2 - 2.0 * d2[p]
                s2 = min(s2, max(b, v))
                q = j + 2 if v < b else q
                b = min(b, v)
                v = c3 - 2.0 * d3[p]
                s2 = min(s2, max(b, v))
                q = j + 3 if v < b else q
                b = min(b, v)
                sb[p] = b
                ss[p] = s2
                sel_j[p] = q
            j += 4
        while j < kg:
            c0 = cg_norm2[j]
            d0 = dots[j]
            for p in range(count):
                b = sb[p]
                v = c0 - 2.0 * d0[p]
                ss[p] = min(ss[p], max(b, v))
                sel_j[p] = j if v < b else sel_j[p]
                sb[p] = min(b, v)
            j += 1
        for p in range(count):
            r = math.sqrt(xnorm[p]) + cg_max_norm
            e = GEMM_ERROR_FACTOR * (d + 8) * r * r
            i = rows[lo + p]
            if r * r >= GEMM_MIN_R2 and ss[p] - sb[p] > 4.0 * e:
                q = sel_j[p]
                best_j[lo + p] = q
                best[lo + p] = _sqdist_to(X, i, centers, members_g[q])
                second[lo + p] = max(0.0, ss[p] + xnorm[p] - 2.0 * e)
            else:
                fb_rows[n_fb] = i
                fb_pos[n_fb] = lo + p
                n_fb += 1
    if n_fb > 0:
        _nearest_two_rows(X, fb_rows, n_fb, centers_t_g, fb_j, fb_best, fb_second, tile_t, tile_acc)
        for f in range(n_fb):
            p = fb_pos[f]
            best_j[p] = fb_j[f]
            best[p] = fb_best[f]
            second[p] = fb_second[f]
    return n_fb


@numba.njit(**NUMBA_FLAGS)
def _shifted_centers(centers, members, group_start, origin, cg_rows, cg_norm2, cg_max_norm):  # pragma: no cover
    """Centers in group order minus ``origin`` (the centers' mean), their squared norms and the
    largest norm per group, for :func:`_nearest_two_rows_gemm`."""
    k, d = centers.shape
    origin[:] = 0.0
    for j in range(k):
        for t in range(d):
            origin[t] += np.float64(centers[j, t])
    for t in range(d):
        origin[t] /= k
    for p in range(k):
        s = 0.0
        for t in range(d):
            v = np.float64(centers[members[p], t]) - origin[t]
            cg_rows[p, t] = v
            s += v * v
        cg_norm2[p] = s
    for g in range(group_start.shape[0] - 1):
        top = 0.0
        for p in range(group_start[g], group_start[g + 1]):
            top = max(top, math.sqrt(cg_norm2[p]))
        cg_max_norm[g] = top


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
def _assign_full(
    X, centers_t, labels, min_sqdist, upper, lower, with_bounds, block_rows, block_sums, block_counts
):  # pragma: no cover - jitted
    """Exact assignment of every row: ``labels[i]`` the nearest center (ties to the lowest index) and
    ``min_sqdist[i]`` its squared distance; with ``with_bounds``, Hamerly's bounds instead:
    ``upper[i]`` = distance to the nearest center and ``lower[i]`` = to the second nearest, and
    the per-block sums of the next update (:func:`_block_sums`, fused to save a pass over X and a
    parallel region)."""
    n, d = X.shape
    n_blocks = (n + block_rows - 1) // block_rows
    for b in numba.prange(n_blocks):
        # scratch for one block of rows, never per point
        rows = np.empty(ASSIGN_BLOCK_ROWS, dtype=np.int64)
        best_j = np.empty(ASSIGN_BLOCK_ROWS, dtype=np.int64)
        best = np.empty(ASSIGN_BLOCK_ROWS, dtype=np.float64)
        second = np.empty(ASSIGN_BLOCK_ROWS, dtype=np.float64)
        tile_t = np.empty((d, POINT_TILE), dtype=np.float64)
        tile_acc = np.empty((6, POINT_TILE), dtype=np.float64)
        block_end = min(n, (b + 1) * block_rows)
        for lo in range(b * block_rows, block_end, ASSIGN_BLOCK_ROWS):
            m = min(block_end, lo + ASSIGN_BLOCK_ROWS) - lo
            for p in range(m):
                rows[p] = lo + p
            _nearest_two_rows(X, rows, m, centers_t, best_j, best, second, tile_t, tile_acc)
            for p in range(m):
                labels[lo + p] = best_j[p]
                if with_bounds:
                    upper[lo + p] = math.sqrt(best[p])
                    lower[lo + p] = math.sqrt(second[p])
                else:
                    min_sqdist[lo + p] = best[p]
        if with_bounds:
            _accumulate_block(X, labels, b * block_rows, block_end, block_sums[b], block_counts[b])


@numba.njit(**NUMBA_FLAGS)
def _assign_labels(X, centers, labels, min_sqdist):  # pragma: no cover - jitted
    """Nearest center of each row of ``X``; ties go to the lowest index.

    Squared distances are accumulated in float64 from the exact differences
    ``x - c`` (not the ``|x|^2 - 2<x,c> + |c|^2`` expansion, which cancels catastrophically for
    data far from the origin).  A block of rows at a time, so no ``(n, k)`` matrix exists.
    """
    d = X.shape[1]
    k = centers.shape[0]
    centers_t = np.empty((d, k), dtype=np.float64)
    _centers_by_coordinate(centers, centers_t)
    no_sums = np.empty((1, 1, 1), dtype=np.float64)
    no_counts = np.empty((1, 1), dtype=np.int64)
    _assign_full(X, centers_t, labels, min_sqdist, min_sqdist, min_sqdist, False, ASSIGN_BLOCK_ROWS, no_sums, no_counts)


@numba.njit(parallel=True, **NUMBA_FLAGS)
def _assign_grouped(
    X,
    centers,
    centers_g,
    group_of,
    members,
    group_start,
    moved,
    half_gap,
    labels,
    upper,
    glower,
    slack,
    lower_slack,
    block_rows,
    block_sums,
    block_counts,
    block_stats,
    use_gemm,
    origin,
    cg_rows,
    cg_norm2,
    cg_max_norm,
):  # pragma: no cover - jitted
    """One exact assignment step with Yinyang's group bounds (Ding et al. 2015), rounding slack
    included; with one group it is Hamerly's algorithm (Hamerly 2010).

    The centers are split into groups (``group_of[j]``; ``members[group_start[g]:group_start[g +
    1]]`` lists group g in index order, and ``centers_g`` holds the centers coordinate-major in
    that order).  Before the call, ``upper[i]`` bounds the distance from point i to its center
    ``labels[i]`` and ``glower[i, g]`` the distance to every *other* center of group g, both for the
    previous centers; ``moved[j]`` is how far center j moved.  By the triangle inequality the bounds
    stay valid after adding ``moved[labels[i]]`` to ``upper`` and subtracting the group's largest
    movement from ``glower[i, g]``.

    A point keeps its label without computing any distance when ``upper·(1 + slack) <
    max(min_g glower[i, g] - lower_slack, half_gap[label])`` (``half_gap`` holds half the distance
    to the nearest other center, shrunk by the slack); otherwise the distance to its own center is
    recomputed and the test repeated.  If it still fails, every group g with ``upper·(1 + slack) ≥
    glower[i, g] - lower_slack`` is searched: the distances to its centers are computed exactly as
    :func:`_assign_labels` does (the same sums, bit for bit).  A group that is not searched holds,
    by the same inequality as the test for keeping a label, only centers whose computed distance
    exceeds the own center's, so the nearest searched center (ties to the lowest index) is plain
    Lloyd's label (the slacks are derived in :func:`_lloyd`).  With ``upper`` set to infinity and
    ``glower`` to minus infinity every group is searched: the first, full assignment.

    With ``use_gemm`` a group's search is screened by a matrix product
    (:func:`_nearest_two_rows_gemm`; ``origin``, ``cg_rows``, ``cg_norm2``, ``cg_max_norm`` from
    :func:`_shifted_centers`): the same labels and the same distance to the label, and a lower
    bound of the second distance instead of its computed value, which only makes the bounds safer.

    ``block_stats[b]`` receives (labels changed, point-center distances computed) in block b of
    ``block_rows`` rows, and ``block_sums[b]``, ``block_counts[b]`` its sums for the next update
    (fused, see :func:`_assign_full`).
    """
    n, d = X.shape
    n_groups = group_start.shape[0] - 1
    drift = np.zeros(n_groups, dtype=np.float64)
    for j in range(moved.shape[0]):
        g = group_of[j]
        drift[g] = max(drift[g], moved[j])
    n_blocks = block_stats.shape[0]
    max_group = 0
    for g in range(n_groups):
        max_group = max(max_group, group_start[g + 1] - group_start[g])
    # a whole block's searching points at once, so that each group's tiles are full
    chunk = min(block_rows, n)
    for b in numba.prange(n_blocks):
        rows = np.empty(chunk, dtype=np.int64)
        best_sq = np.empty(chunk, dtype=np.float64)
        best_idx = np.empty(chunk, dtype=np.int64)
        group_rows = np.empty(chunk, dtype=np.int64)
        group_pos = np.empty(chunk, dtype=np.int64)
        g_best_j = np.empty(chunk, dtype=np.int64)
        g_best = np.empty(chunk, dtype=np.float64)
        g_second = np.empty(chunk, dtype=np.float64)
        tile_t = np.empty((d, POINT_TILE), dtype=np.float64)
        tile_acc = np.empty((6, POINT_TILE), dtype=np.float64)
        gemm_rows = GEMM_ROWS if use_gemm else 1
        xt_buf = np.empty(d * gemm_rows, dtype=np.float64)
        dot_buf = np.empty(max_group * gemm_rows, dtype=np.float64)
        xnorm = np.empty(gemm_rows, dtype=np.float64)
        sel = np.empty((2, gemm_rows), dtype=np.float64)
        sel_j = np.empty(gemm_rows, dtype=np.int64)
        fb_rows = np.empty(chunk if use_gemm else 1, dtype=np.int64)
        fb_pos = np.empty_like(fb_rows)
        fb_j = np.empty_like(fb_rows)
        fb_best = np.empty(fb_rows.shape[0], dtype=np.float64)
        fb_second = np.empty_like(fb_best)
        changed = 0
        computed = 0
        block_end = min(n, (b + 1) * block_rows)
        for start in range(b * block_rows, block_end, chunk):
            m = 0
            # two branch-free passes (a compaction: each row is written, the count advances only
            # when the row goes on; the branches they replace mispredict for the many points near
            # a boundary): first the loosened bounds, then the own-center distance of the rows
            # they do not settle.  ``best_sq`` holds the rows' limits in between.  Measured on a
            # 2-core Intel Xeon, 30 iterations: 0.96 s against 1.07 s with branches at (1000000,
            # 8, 32), two threads; one thread, 121-133 ms against 158-167 ms at (200000, 2, 64)
            # with the loosened bound tested also in d <= 2 (the branchy loop, on an AMD EPYC,
            # had been faster recomputing every own-center distance there).
            m1 = 0
            for i in range(start, min(block_end, start + chunk)):
                a = labels[i]
                u = upper[i] + moved[a]
                low = np.inf
                for g in range(n_groups):
                    v = glower[i, g] - drift[g]
                    glower[i, g] = v
                    low = min(low, v)
                limit = max(low - lower_slack, half_gap[a])
                upper[i] = u
                rows[m1] = i
                best_sq[m1] = limit
                m1 += not (u * (1.0 + slack) < limit)
            for q in range(m1):  # m <= q: row q is read before anything is written at it
                i = rows[q]
                limit = best_sq[q]
                a = labels[i]
                if upper[i] == np.inf:  # the first assignment: nothing known, search every group
                    sq = np.inf
                    keep = False
                else:
                    sq = _sqdist_to(X, i, centers, a)
                    computed += 1
                    u = math.sqrt(sq)
                    upper[i] = u
                    keep = u * (1.0 + slack) < limit
                rows[m] = i
                best_sq[m] = sq
                best_idx[m] = a
                m += not keep
            if m == 0:
                continue
            for g in range(n_groups):
                mg = 0
                for p in range(m):
                    i = rows[p]
                    if not upper[i] * (1.0 + slack) < glower[i, g] - lower_slack:
                        group_rows[mg] = rows[p]
                        group_pos[mg] = p
                        mg += 1
                if mg == 0:
                    continue
                lo, hi = group_start[g], group_start[g + 1]
                if use_gemm:
                    _nearest_two_rows_gemm(
                        X, group_rows, mg, origin, cg_rows[lo:hi], cg_norm2[lo:hi], cg_max_norm[g], members[lo:hi],
                        centers, centers_g[:, lo:hi], g_best_j, g_best, g_second, xt_buf, dot_buf, xnorm, sel, sel_j,
                        fb_rows, fb_pos, fb_j, fb_best, fb_second, tile_t, tile_acc,
                    )  # fmt: skip
                else:
                    _nearest_two_rows(
                        X, group_rows, mg, centers_g[:, lo:hi], g_best_j, g_best, g_second, tile_t, tile_acc
                    )
                computed += mg * (hi - lo)
                for q in range(mg):
                    p = group_pos[q]
                    i = group_rows[q]
                    j = members[lo + g_best_j[q]]
                    s = g_best[q]
                    if s < best_sq[p] or (s == best_sq[p] and j < best_idx[p]):
                        h = group_of[best_idx[p]]
                        if h != g:  # the best leaves group h: h's bound may fall to that distance
                            glower[i, h] = min(glower[i, h], math.sqrt(best_sq[p]))
                        best_sq[p] = s
                        best_idx[p] = j
                    # group g's bound excludes the point's center if it is in g
                    glower[i, g] = math.sqrt(g_second[q] if group_of[best_idx[p]] == g else s)
            for p in range(m):
                i = rows[p]
                if best_idx[p] != labels[i]:
                    changed += 1
                labels[i] = best_idx[p]
                upper[i] = math.sqrt(best_sq[p])
        block_stats[b, 0] = changed
        block_stats[b, 1] = computed
        _accumulate_block(X, labels, b * block_rows, block_end, block_sums[b], block_counts[b])


#: Absolute slack of the bounds against gradual underflow.  The relative model of :func:`_lloyd`
#: does not cover subnormal results: a product that underflows errs by up to 2^-1075 absolutely,
#: so a computed squared distance by up to d·2^-1075 more, and a distance (sqrt is exact to u
#: relatively, its argument is what errs) by up to √(d·2^-1075) = √d·2^-537.5.  Plain Lloyd's
#: order of two squared distances is then kept when the distances differ by g with g² ≥
#: 4d·2^-1075, i.e. g ≥ √d·2^-536.5.  2^-500 exceeds each of these terms for every d < 2^70, so
#: subtracting it from a half-gap, and twice from a group's lower bound, covers the upper bound's
#: error, the lower bound's and the margin g together.  (Found by a search at scales 1e-162 to
#: 1e-155: 80 of 600 trajectories left plain Lloyd's without it; ``tests/test_hamerly.py``.)
UNDERFLOW_SLACK = 2.0**-500


@numba.njit(**NUMBA_FLAGS)
def _half_gaps(centers, centers_t, shrink, half_gap, sq):  # pragma: no cover - jitted
    """``half_gap[j]`` = half the distance from center j to its nearest other center, times
    ``shrink`` (< 1, the rounding slack), minus ``UNDERFLOW_SLACK``; infinite when k = 1.  Serial: k²d is small, and one
    parallel region less per iteration matters more on a busy machine."""
    k = centers.shape[0]
    for j in range(k):
        _sqdists(centers, j, centers_t, sq)
        nearest = np.inf
        for other in range(k):
            if other != j and sq[other] < nearest:
                nearest = sq[other]
        half_gap[j] = 0.5 * math.sqrt(nearest) * shrink - UNDERFLOW_SLACK


@numba.njit(**NUMBA_FLAGS)
def _movements(old, new, moved):  # pragma: no cover - jitted
    """``moved[j]`` = distance between ``old[j]`` and ``new[j]`` (float64, exact differences)."""
    for j in range(old.shape[0]):
        moved[j] = math.sqrt(_sqdist_to(new, j, old, j))


@numba.njit(**NUMBA_FLAGS)
def _bounding_diameter(X, centers):  # pragma: no cover - jitted
    """Diagonal of the bounding box of the rows of ``X`` and ``centers``: it bounds every
    point-center distance for as long as each center is a cell mean or an earlier center."""
    d = X.shape[1]
    lo = np.full(d, np.inf)
    hi = np.full(d, -np.inf)
    for i in range(X.shape[0]):
        for t in range(d):
            v = np.float64(X[i, t])
            lo[t] = min(lo[t], v)
            hi[t] = max(hi[t], v)
    for j in range(centers.shape[0]):
        for t in range(d):
            v = np.float64(centers[j, t])
            lo[t] = min(lo[t], v)
            hi[t] = max(hi[t], v)
    s = 0.0
    for t in range(d):
        s += (hi[t] - lo[t]) * (hi[t] - lo[t])
    return math.sqrt(s)


@numba.njit(parallel=True, **NUMBA_FLAGS)
def _assigned_sqdist(X, centers, labels, min_sqdist):  # pragma: no cover - jitted
    """``min_sqdist[i]`` = squared distance to center ``labels[i]`` (same arithmetic as
    :func:`_sqdists`, hence the same value plain Lloyd reports)."""
    for i in numba.prange(X.shape[0]):
        min_sqdist[i] = _sqdist_to(X, i, centers, labels[i])


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
def _centers_grouped(centers, members, centers_g):  # pragma: no cover - jitted
    """``centers_g[t, p] = float64(centers[members[p], t])``: coordinate-major, group by group."""
    k, d = centers.shape
    for p in range(k):
        for t in range(d):
            centers_g[t, p] = np.float64(centers[members[p], t])


@numba.njit(**NUMBA_FLAGS)
def _lloyd(
    X, centers, max_iter, block_rows, group_of, members, group_start, labels, min_sqdist, out_centers, use_gemm
):  # pragma: no cover - jitted
    """Lloyd's iteration from ``centers`` to an exact fixed point (Lemma 2) or ``max_iter`` updates.

    Returns ``(n_iter, converged, n_distances)`` with ``n_distances`` the number of point-center
    distances computed (plain Lloyd computes n·k per assignment).  On return ``labels`` are the
    nearest centers of ``out_centers`` (ties to the lowest index); when converged, every non-empty
    center is also the mean of its cell, because the last update did not change a single label.

    The assignment step uses Yinyang's group bounds (:func:`_assign_grouped`; the groups are
    ``group_of``, see :func:`center_groups`); every step's labels are those of a plain assignment
    (:func:`_assign_labels`) bit for bit.  Rounding slack: with u = 2^-53 and
    γ = (d + 2)u/(1 - (d + 2)u) (Higham, eq. (3.5)), a computed squared distance is D(1 + θ),
    |θ| ≤ γ, so a computed distance errs by at most (d/2 + 3)u relatively, and a bound built from
    one distance and m ≤ n_iter movements (each added with one rounding) by at most
    ε_m = 1.01(d/2 + 3 + m)u relatively (upper) or ε_m·(r₂ + Σ movements) ≤ 2ε_m·R absolutely
    (a group's lower bound, while positive; R = :func:`_bounding_diameter` bounds every
    point-center distance).  Plain Lloyd's computed minimum is center a whenever
    r_a(1 + 1.01γ) < r_j for all j ≠ a (the computed squares then keep their order).  So a label is
    kept, or a group left unsearched, only when û(1 + ε) < l̂_g - 4εR or (to keep a label)
    û(1 + ε) < ½ŝ(1 - ε) with ε = (2d + 16 + 2m)u ≥ ε_m + 1.01γ, which implies that inequality
    for the true distances.  Gradual underflow adds absolute errors this model does not cover;
    ``UNDERFLOW_SLACK`` (2^-500) is subtracted from the half-gaps and twice from the group bounds'
    margin to cover them.  Only near-ties within this margin (relative ~1e-14) are searched,
    and searched distances use plain Lloyd's arithmetic.  With ``use_gemm`` the searches are
    screened by matrix products (:func:`_nearest_two_rows_gemm`), with the same labels.
    """
    n, d = X.shape
    k = centers.shape[0]
    n_groups = group_start.shape[0] - 1
    n_blocks = (n + block_rows - 1) // block_rows
    block_sums = np.empty((n_blocks, k, d), dtype=np.float64)
    block_counts = np.empty((n_blocks, k), dtype=np.int64)
    counts = np.empty(k, dtype=np.int64)
    block_stats = np.empty((n_blocks, 2), dtype=np.int64)
    scratch_k = np.empty(k, dtype=np.float64)
    upper = np.full(n, np.inf)
    glower = np.full((n, n_groups), -np.inf)
    moved = np.zeros(k, dtype=np.float64)
    half_gap = np.zeros(k, dtype=np.float64)
    centers_t = np.empty((d, k), dtype=np.float64)
    centers_g = np.empty((d, k), dtype=np.float64)
    current = np.empty((k, d), dtype=out_centers.dtype)
    current[:, :] = centers
    origin = np.empty(d, dtype=np.float64)
    cg_rows = np.empty((k, d), dtype=np.float64)
    cg_norm2 = np.empty(k, dtype=np.float64)
    cg_max_norm = np.empty(n_groups, dtype=np.float64)
    diameter = _bounding_diameter(X, current)
    _centers_grouped(current, members, centers_g)
    if use_gemm:
        _shifted_centers(current, members, group_start, origin, cg_rows, cg_norm2, cg_max_norm)
    labels[:] = 0
    # the first assignment: infinite bounds, every group searched
    _assign_grouped(
        X, current, centers_g, group_of, members, group_start, moved, half_gap, labels, upper, glower,
        0.0, 0.0, block_rows, block_sums, block_counts, block_stats, use_gemm, origin, cg_rows, cg_norm2,
        cg_max_norm,
    )  # fmt: skip
    n_distances = block_stats[:, 1].sum()
    n_iter = 0
    converged = False
    while n_iter < max_iter:
        _combine_blocks(block_sums, block_counts, current, out_centers, counts)
        _movements(current, out_centers, moved)
        current[:, :] = out_centers
        _centers_by_coordinate(current, centers_t)
        _centers_grouped(current, members, centers_g)
        n_iter += 1
        slack = (2.0 * d + 16.0 + 2.0 * n_iter) * UNIT_ROUNDOFF
        _half_gaps(current, centers_t, 1.0 - slack, half_gap, scratch_k)
        if use_gemm:
            _shifted_centers(current, members, group_start, origin, cg_rows, cg_norm2, cg_max_norm)
        _assign_grouped(
            X, current, centers_g, group_of, members, group_start, moved, half_gap, labels, upper, glower,
            slack, 4.0 * slack * diameter + 2.0 * UNDERFLOW_SLACK, block_rows, block_sums, block_counts, block_stats,
            use_gemm, origin, cg_rows, cg_norm2, cg_max_norm,
        )  # fmt: skip
        n_distances += block_stats[:, 1].sum()
        if block_stats[:, 0].sum() == 0:
            converged = True
            break
    _assigned_sqdist(X, current, labels, min_sqdist)
    out_centers[:, :] = current
    return n_iter, converged, n_distances


#: Up to this k·d, :func:`lloyd` runs without bounds (:func:`_lloyd_dense`): a full assignment
#: costs so little that bookkeeping the bounds costs more.  Measured on a 2-core Intel Xeon
#: (Emerald Rapids), two threads, 30 iterations on the overlapping benchmark mixture, n = 200000,
#: bounded against dense: (d, k) = (2, 8) 92 / 61 ms, (4, 8) 127 / 76, (2, 16) 90 / 70,
#: (8, 8) 117 / 91; but (1, 32) 63 / 80 (1-D bounds are tight), so 1-D keeps them from k = 32;
#: (8, 32) at n = 10⁶: 1.11 / 1.22 s.
DENSE_MAX_CENTER_WORK = 32

#: Points per tile of :func:`_nearest_rows_dense` (d × 64 float64 copied coordinate-major).  At
#: (200000, 2, 8), one thread: 64 rows 2.3 ms, 32 rows 4.1 ms, 128 rows 3.1 ms.
DENSE_TILE = 64


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
        for p in range(DENSE_TILE):
            acc[p] = 0.0
        for t in range(d):
            c = centers_t[t, j]
            for p in range(DENSE_TILE):
                e = tile_t[t, p] - c
                acc[p] += e * e
        for p in range(DENSE_TILE):
            s = acc[p]
            best_j[p] = j if s < best[p] else best_j[p]
            best[p] = min(best[p], s)


@numba.njit(parallel=True, **NUMBA_FLAGS)
def _assign_dense(X, centers_t, labels, block_rows, block_sums, block_counts, block_changed):  # pragma: no cover
    """Plain assignment of every row (:func:`_nearest_rows_dense`), the number of labels changed per
    block of ``block_rows`` rows, and the block's sums for the next update (fused: one pass over X
    and one parallel region per iteration)."""
    n, d = X.shape
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
            _nearest_rows_dense(X, lo, count, centers_t, tile_t, acc, best, best_j)
            for p in range(count):
                i = lo + p
                j = best_j[p]
                if j != labels[i]:
                    changed += 1
                labels[i] = j
                counts[j] += 1
                for t in range(d):
                    sums[j, t] += np.float64(X[i, t])
        block_changed[b] = changed


@numba.njit(**NUMBA_FLAGS)
def _lloyd_dense(X, centers, max_iter, block_rows, labels, min_sqdist, out_centers):  # pragma: no cover
    """:func:`_lloyd` without bounds, for tiny k·d (``DENSE_MAX_CENTER_WORK``): every assignment is
    plain (:func:`_assign_dense`), the update the same block sums (:func:`_combine_blocks`), so
    the trajectory and the stopping rule are :func:`_lloyd`'s bit for bit.  Returns
    ``(n_iter, converged, n_distances)``; ``n_distances`` is n·k per assignment."""
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
    _assign_dense(X, centers_t, labels, block_rows, block_sums, block_counts, block_changed)
    n_iter = 0
    converged = False
    while n_iter < max_iter:
        _combine_blocks(block_sums, block_counts, current, out_centers, counts)
        current[:, :] = out_centers
        _centers_by_coordinate(current, centers_t)
        n_iter += 1
        _assign_dense(X, centers_t, labels, block_rows, block_sums, block_counts, block_changed)
        if block_changed.sum() == 0:
            converged = True
            break
    _assigned_sqdist(X, current, labels, min_sqdist)
    out_centers[:, :] = current
    return n_iter, converged, n * k * (n_iter + 1)


#: Centers per group of Yinyang's bounds (Ding et al. 2015 use k/10 groups; k/20 was faster here
#: with exact tiles).  With matrix-product screening a group is one product, which is efficient
#: only for many centers: at (10⁵, 64, 256), one thread, 4 groups took 0.83 s, 12 groups 1.12 s
#: and 1 group 1.09 s.
CENTERS_PER_GROUP = 20
CENTERS_PER_GROUP_GEMM = 64

#: Below this d·k, one group (Hamerly's bounds): a distance costs so little that the per-group
#: bookkeeping (t bounds per point read and written every iteration) costs more than it saves.
#: Measured on a 2-core AMD EPYC, 30 iterations: at (n, d, k) = (10⁶, 8, 32) 3 groups were 1.34×
#: slower than one; at (2·10⁵, 16, 64) 3 groups tied; at (10⁵, 64, 256) 12 groups were 1.3× faster.
GROUPS_MIN_DK = 4096


def center_groups(centers, n_groups=None, *, use_gemm=False):
    """Groups of centers for Yinyang's bounds: ``group_of : (k,) int64`` in 0..t-1, every group
    non-empty.

    ``n_groups`` defaults to ⌊k / CENTERS_PER_GROUP⌋ (``CENTERS_PER_GROUP_GEMM`` when the searches
    are screened by matrix products, ``use_gemm``) when d·k ≥ ``GROUPS_MIN_DK``, else 1 (one
    group is Hamerly's algorithm).  As in Ding et al. (2015), the groups are a few Lloyd steps on the centers
    themselves, from evenly spaced centers, so nearby centers share a group; the result is
    deterministic.  Any grouping gives the same labels -- only the work saved depends on it.
    """
    C = np.asarray(centers, dtype=np.float64)
    k, d = C.shape
    if n_groups is None:
        per_group = CENTERS_PER_GROUP_GEMM if use_gemm else CENTERS_PER_GROUP
        t = k // per_group if d * k >= GROUPS_MIN_DK else 1
    else:
        t = int(n_groups)
    t = min(max(t, 1), k)
    if t == 1:
        return np.zeros(k, dtype=np.int64)
    G = C[np.linspace(0, k - 1, t).round().astype(np.int64)].copy()
    for _ in range(5):
        group = np.argmin(((C[:, None, :] - G[None, :, :]) ** 2).sum(axis=2), axis=1)
        for g in range(t):
            if np.any(group == g):
                G[g] = C[group == g].mean(axis=0)
    group = np.argmin(((C[:, None, :] - G[None, :, :]) ** 2).sum(axis=2), axis=1)
    _, group = np.unique(group, return_inverse=True)  # drop empty groups
    return group.astype(np.int64).ravel()


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


# ----------------------------------------------------------------------------------------------
# Public wrappers: allocate outputs, call the kernel.  No validation (see harness.clustering.kmeans).


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


def nearest_two(X, centers, *, screened):
    """Nearest center, its squared distance and the second-smallest one, for every row of ``X``:
    by the exact tile (:func:`_nearest_two_rows`) or, with ``screened``, by matrix-product
    screening (:func:`_nearest_two_rows_gemm`, whose third output is a lower bound).  Returns
    ``(best_j, best, second, n_exact)`` with ``n_exact`` the rows the screening left to the exact
    tile (``n`` without screening).  For tests and diagnostics: :func:`lloyd` calls the kernels."""
    n, d = X.shape
    k = centers.shape[0]
    rows = np.arange(n, dtype=np.int64)
    best_j = np.empty(n, dtype=np.int64)
    best = np.empty(n, dtype=np.float64)
    second = np.empty(n, dtype=np.float64)
    centers_t = np.empty((d, k), dtype=np.float64)
    _centers_by_coordinate(centers, centers_t)
    tile_t = np.empty((d, POINT_TILE), dtype=np.float64)
    tile_acc = np.empty((6, POINT_TILE), dtype=np.float64)
    if not screened:
        _nearest_two_rows(X, rows, n, centers_t, best_j, best, second, tile_t, tile_acc)
        return best_j, best, second, n
    members = np.arange(k, dtype=np.int64)
    origin = np.empty(d, dtype=np.float64)
    cg_rows = np.empty((k, d), dtype=np.float64)
    cg_norm2 = np.empty(k, dtype=np.float64)
    cg_max_norm = np.empty(1, dtype=np.float64)
    _shifted_centers(centers, members, np.array([0, k], dtype=np.int64), origin, cg_rows, cg_norm2, cg_max_norm)
    fb = [np.empty(n, dtype=np.int64) for _ in range(3)] + [np.empty(n, dtype=np.float64) for _ in range(2)]
    with single_threaded_blas():
        n_exact = _nearest_two_rows_gemm(
            X, rows, n, origin, cg_rows, cg_norm2, cg_max_norm[0], members, centers, centers_t,
            best_j, best, second, np.empty(d * GEMM_ROWS), np.empty(k * GEMM_ROWS), np.empty(GEMM_ROWS),
            np.empty((2, GEMM_ROWS)), np.empty(GEMM_ROWS, dtype=np.int64), *fb, tile_t, tile_acc,
        )  # fmt: skip
    return best_j, best, second, int(n_exact)


def objective(X, centers):
    """The k-means objective G_n of eq. (1): sum over points of the squared distance to the nearest
    center, accumulated in float64."""
    _, min_sqdist = assign_labels(X, centers)
    return float(np.sum(min_sqdist))


def single_threaded_blas():
    """A context in which BLAS runs on one thread (each numba thread calls its own dgemm: a
    multi-threaded BLAS inside numba's parallel region would oversubscribe the cores and spin)."""
    try:
        import scipy.linalg.cython_blas  # noqa: F401  (numba's np.dot calls scipy's BLAS: load it first)
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def use_bounds(d, k, bounds=None):
    """Whether :func:`lloyd` keeps Hamerly/Yinyang bounds: from k·d > ``DENSE_MAX_CENTER_WORK``
    (and in 1-D from k = ``DENSE_MAX_CENTER_WORK``) unless ``bounds`` says otherwise.  Either way
    the labels are plain Lloyd's."""
    if bounds is None:
        return k * d > DENSE_MAX_CENTER_WORK or (d == 1 and k >= DENSE_MAX_CENTER_WORK)
    return bool(bounds)


def use_gemm_screening(n, d, k, use_gemm=None):
    """Whether an assignment of n points to k centers in d dimensions is screened by matrix
    products (:func:`_nearest_two_rows_gemm`): from n·k·d ≥ ``GEMM_MIN_WORK`` and k·d ≥
    ``GEMM_MIN_CENTER_WORK`` unless ``use_gemm`` says otherwise.  Either way the labels are plain
    Lloyd's."""
    if use_gemm is None:
        return n * k * d >= GEMM_MIN_WORK and k * d >= GEMM_MIN_CENTER_WORK
    return bool(use_gemm)


def lloyd(X, centers, max_iter, block_rows=UPDATE_BLOCK_ROWS, *, stats=None, n_groups=None, use_gemm=None, bounds=None):
    """Run Lloyd's algorithm from ``centers``; see :func:`_lloyd`.

    Returns ``(centers, labels, min_sqdist, n_iter, converged)``.  If ``stats`` is a dict it receives
    ``distances`` (point-center distances computed; the rest were settled by the bounds) and
    ``full_assignments`` (the same in units of k: plain Lloyd's count would be ``n·(n_iter + 1)``).
    ``n_groups`` overrides the number of center groups of the bounds
    (:func:`center_groups`) and ``use_gemm`` the screening by matrix products
    (:func:`use_gemm_screening`), ``bounds`` whether bounds are kept at all (:func:`use_bounds`;
    without them every assignment is plain, :func:`_lloyd_dense`); they change the work, never the
    result.
    """
    n = X.shape[0]
    k, d = centers.shape
    labels = np.empty(n, dtype=np.int64)
    min_sqdist = np.empty(n, dtype=np.float64)
    out = np.empty((k, d), dtype=X.dtype)
    start = np.ascontiguousarray(centers, dtype=X.dtype)
    if use_bounds(d, k, bounds):
        gemm = use_gemm_screening(n, d, k, use_gemm)
        group_of = center_groups(start, n_groups, use_gemm=gemm)
        members = np.argsort(group_of, kind="stable").astype(np.int64)  # index order within a group
        group_start = np.concatenate([[0], np.cumsum(np.bincount(group_of))]).astype(np.int64)
        with single_threaded_blas() if gemm else contextlib.nullcontext():
            n_iter, converged, n_distances = _lloyd(
                X, start, max_iter, block_rows, group_of, members, group_start, labels, min_sqdist, out, gemm
            )
    else:
        n_iter, converged, n_distances = _lloyd_dense(X, start, max_iter, block_rows, labels, min_sqdist, out)
    if stats is not None:
        stats["distances"] = int(n_distances)
        stats["full_assignments"] = float(n_distances) / k
    return out, labels, min_sqdist, int(n_iter), bool(converged)


def kmeans_plusplus(X, k, rng, greedy=True):
    """k-means++ seeding; ``greedy`` uses 2 + floor(ln k) candidates per step (as scikit-learn).

    ``rng`` is a :class:`numpy.random.Generator`; all random numbers are drawn here, outside the
    kernel, so the result is the same with and without the JIT.  Returns ``(centers, indices)``.
    Memory: a coordinate-major float64 copy of X (n·d·8 bytes) and 2·(2 + ⌊ln k⌋) + 1 rows of n
    distances (3 when not greedy), for the duration of the call.
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
