"""Yinyang's group bounds (Hamerly's with one group): the bounded assignment step, the bookkeeping of
the bounds between steps, and the grouping of the centers.

A bound only lets a step skip distances; every label is plain Lloyd's.  The iteration itself is
elsewhere (:mod:`harness.numerics.kernels.lloyd`).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from harness.config import NUMBA_FLAGS
from harness.numerics.kernels.distances import _nearest_two_rows, _sqdist_to, _sqdists
from harness.numerics.kernels.screening import _nearest_two_rows_gemm
from harness.numerics.kernels.update import _accumulate_block
from harness.numerics.kernels.workspace import ScreenedGroup, new_gemm_scratch, new_nearest_two


@numba.njit(parallel=True, **NUMBA_FLAGS)
def _assign_grouped(X, ws, slack, lower_slack):  # pragma: no cover - jitted
    """One exact assignment step with Yinyang's group bounds (Ding et al. 2015), rounding slack
    included; with one group it is Hamerly's algorithm (Hamerly 2010).

    ``ws`` is a :class:`~harness.numerics.kernels.workspace.LloydWorkspace`; below, ``centers``,
    ``group_of``, ``moved``, ... are the fields of ``ws.centers``, ``labels``, ``upper``, ``glower``
    those of ``ws.points``.  The centers are split into groups (``group_of[j]``;
    ``members[group_start[g]:group_start[g + 1]]`` lists group g in index order, and ``centers_g``
    (``ws.centers.grouped``) holds the centers coordinate-major in that order).  Before the call,
    ``upper[i]`` bounds the distance from point i to its center ``labels[i]`` and ``glower[i, g]``
    the distance to every *other* center of group g, both for the previous centers; ``moved[j]`` is
    how far center j moved.  By the triangle inequality the bounds stay valid after adding
    ``moved[labels[i]]`` to ``upper`` and subtracting the group's largest movement from
    ``glower[i, g]``.

    A point keeps its label without computing any distance when ``upper·(1 + slack) <
    max(min_g glower[i, g] - lower_slack, half_gap[label])`` (``half_gap`` holds half the distance
    to the nearest other center, shrunk by the slack); otherwise the distance to its own center is
    recomputed and the test repeated.  If it still fails, every group g with ``upper·(1 + slack) ≥
    glower[i, g] - lower_slack`` is searched: the distances to its centers are computed exactly as
    :func:`_assign_labels` does (the same sums, bit for bit).  A group that is not searched holds,
    by the same inequality as the test for keeping a label, only centers whose computed distance
    exceeds the own center's, so the nearest searched center (ties to the lowest index) is plain
    Lloyd's label (the slacks are derived in :func:`~harness.numerics.kernels.lloyd._lloyd`).  With
    ``upper`` set to infinity and ``glower`` to minus infinity every group is searched: the first,
    full assignment.

    With ``ws.use_gemm`` a group's search is screened by a matrix product
    (:func:`_nearest_two_rows_gemm`; ``ws.centers`` shifted by
    :func:`~harness.numerics.kernels.screening._shifted_centers`): the same labels and the same
    distance to the label, and a lower bound of the second distance instead of its computed value,
    which only makes the bounds safer.  With one group the distance to the label is an upper bound
    of it (from the screening, within 3e of the true value) instead of the computed value: the
    upper bound it starts is valid, and plain Lloyd's value is computed after the last step.

    ``ws.blocks.stats[b]`` receives (labels changed, point-center distances computed) in block b of
    ``ws.block_rows`` rows, and ``ws.blocks.sums[b]``, ``ws.blocks.block_counts[b]`` its sums for the
    next update (fused, to save a pass over X and a parallel region).
    """
    n, d = X.shape
    centers = ws.centers
    current, centers_g, group_of, members, group_start = (
        centers.current,
        centers.grouped,
        centers.group_of,
        centers.members,
        centers.group_start,
    )
    moved, half_gap = centers.moved, centers.half_gap
    origin, shifted, shifted_norm2, max_norm = centers.origin, centers.shifted, centers.shifted_norm2, centers.max_norm
    scale = centers.scale
    labels, upper, glower = ws.points
    block_sums, block_counts, block_stats = ws.blocks.sums, ws.blocks.block_counts, ws.blocks.stats
    block_rows, use_gemm = ws.block_rows, ws.use_gemm
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
        found = new_nearest_two(chunk)
        g_best_j, g_best, g_second = found
        scratch = new_gemm_scratch(d, max_group, chunk, use_gemm)
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
                    sq = _sqdist_to(X, i, current, a)
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
                    group = ScreenedGroup(
                        current,
                        members[lo:hi],
                        centers_g[:, lo:hi],
                        origin,
                        shifted[lo:hi],
                        shifted_norm2[lo:hi],
                        max_norm[g],
                        scale,
                    )
                    # one group holds every center: its nearest is the label, whose exact distance
                    # the bounds do not need (an upper bound of it serves; min_sqdist is computed
                    # exactly after the last step)
                    _nearest_two_rows_gemm(X, group_rows, mg, group, found, scratch, n_groups > 1)
                else:
                    _nearest_two_rows(X, group_rows, mg, centers_g[:, lo:hi], found, scratch.tile)
                computed += mg * (hi - lo)
                for q in range(mg):
                    p = group_pos[q]
                    i = group_rows[q]
                    j = members[lo + g_best_j[q]]
                    s = g_best[q]
                    # one group: its nearest (lowest index on ties) is the label outright; s may be
                    # an upper bound of its distance rather than the computed value
                    if n_groups == 1 or s < best_sq[p] or (s == best_sq[p] and j < best_idx[p]):
                        h = group_of[best_idx[p]]
                        if h != g:  # the best leaves group h: h's bound may fall to that distance
                            glower[i, h] = min(glower[i, h], math.sqrt(best_sq[p]))
                        best_sq[p] = s
                        best_idx[p] = j
                    # group g's bound excludes the point's center if it is in g
                    glower[i, g] = math.sqrt(g_second[q] if group_of[best_idx[p]] == g else s)
            for p in range(m):
                i = rows[p]
                changed += best_idx[p] != labels[i]  # branch-free
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


@numba.njit(**NUMBA_FLAGS)
def _centers_grouped(centers, members, centers_g):  # pragma: no cover - jitted
    """``centers_g[t, p] = float64(centers[members[p], t])``: coordinate-major, group by group."""
    k, d = centers.shape
    for p in range(k):
        for t in range(d):
            centers_g[t, p] = np.float64(centers[members[p], t])


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
