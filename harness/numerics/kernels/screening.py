"""Screening by matrix products: the nearest center of many rows from one dgemm per group, with a
proven error bound, and the exact tile for the rows the bound cannot decide.

The labels and nearest distances are plain Lloyd's bit for bit; bounds across iterations live elsewhere.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from harness.config import NUMBA_FLAGS
from harness.numerics.kernels.blas import single_threaded_blas
from harness.numerics.kernels.distances import UNIT_ROUNDOFF, _centers_by_coordinate, _nearest_two_rows, _sqdist_to
from harness.numerics.kernels.workspace import (
    GEMM_ROWS,
    ScreenedGroup,
    new_gemm_scratch,
    new_grouped_centers,
    new_nearest_two,
    new_tile_scratch,
)

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
def _nearest_two_rows_gemm(X, rows, m, group, out, scratch):  # pragma: no cover - jitted
    """:func:`_nearest_two_rows`'s result, screened with a matrix product.

    For the rows ``rows[:m]`` of ``X`` and one group of centers (a
    :class:`~harness.numerics.kernels.workspace.ScreenedGroup`: ``shifted`` their coordinates minus
    ``origin``, ``shifted_norm2`` their squared norms, ``max_norm`` the largest norm, ``members``
    their indices in ``current``, all from :func:`_shifted_centers`), into ``out`` (a
    :class:`~harness.numerics.kernels.workspace.NearestTwo`): ``best_j[:m]`` the nearest center's
    index in the group, ``best[:m]`` its squared distance computed exactly as :func:`_sqdist_to` does
    (plain Lloyd's value, bit for bit), ``second[:m]`` a lower bound of the true second-smallest
    squared distance.  ``scratch`` is a :class:`~harness.numerics.kernels.workspace.GemmScratch`.

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
    current, members_g, centers_t_g, origin, cg_rows, cg_norm2, cg_max_norm = group
    best_j, best, second = out
    xt_buf, dot_buf, xnorm, sel, sel_j, fb_rows, fb_pos, fallback, tile = scratch
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
                best[lo + p] = _sqdist_to(X, i, current, members_g[q])
                second[lo + p] = max(0.0, ss[p] + xnorm[p] - 2.0 * e)
            else:
                fb_rows[n_fb] = i
                fb_pos[n_fb] = lo + p
                n_fb += 1
    if n_fb > 0:
        _nearest_two_rows(X, fb_rows, n_fb, centers_t_g, fallback, tile)
        fb_j, fb_best, fb_second = fallback
        for f in range(n_fb):
            p = fb_pos[f]
            best_j[p] = fb_j[f]
            best[p] = fb_best[f]
            second[p] = fb_second[f]
    return n_fb


@numba.njit(**NUMBA_FLAGS)
def _shifted_centers(centers):  # pragma: no cover - jitted
    """From ``centers.current``: ``origin`` (the centers' mean), ``shifted`` (the centers in group
    order minus ``origin``), their squared norms ``shifted_norm2`` and the largest norm per group
    ``max_norm``, for :func:`_nearest_two_rows_gemm` (``centers`` a
    :class:`~harness.numerics.kernels.workspace.GroupedCenters`)."""
    current, members, group_start = centers.current, centers.members, centers.group_start
    origin, cg_rows, cg_norm2, cg_max_norm = centers.origin, centers.shifted, centers.shifted_norm2, centers.max_norm
    k, d = current.shape
    origin[:] = 0.0
    for j in range(k):
        for t in range(d):
            origin[t] += np.float64(current[j, t])
    for t in range(d):
        origin[t] /= k
    for p in range(k):
        s = 0.0
        for t in range(d):
            v = np.float64(current[members[p], t]) - origin[t]
            cg_rows[p, t] = v
            s += v * v
        cg_norm2[p] = s
    for g in range(group_start.shape[0] - 1):
        top = 0.0
        for p in range(group_start[g], group_start[g + 1]):
            top = max(top, math.sqrt(cg_norm2[p]))
        cg_max_norm[g] = top


def use_gemm_screening(n, d, k, use_gemm=None):
    """Whether an assignment of n points to k centers in d dimensions is screened by matrix
    products (:func:`_nearest_two_rows_gemm`): from n·k·d ≥ ``GEMM_MIN_WORK`` and k·d ≥
    ``GEMM_MIN_CENTER_WORK`` unless ``use_gemm`` says otherwise.  Either way the labels are plain
    Lloyd's."""
    if use_gemm is None:
        return n * k * d >= GEMM_MIN_WORK and k * d >= GEMM_MIN_CENTER_WORK
    return bool(use_gemm)


def nearest_two(X, centers, *, screened):
    """Nearest center, its squared distance and the second-smallest one, for every row of ``X``:
    by the exact tile (:func:`_nearest_two_rows`) or, with ``screened``, by matrix-product
    screening (:func:`_nearest_two_rows_gemm`, whose third output is a lower bound).  Returns
    ``(best_j, best, second, n_exact)`` with ``n_exact`` the rows the screening left to the exact
    tile (``n`` without screening).  For tests and diagnostics: :func:`lloyd` calls the kernels."""
    n, d = X.shape
    k = centers.shape[0]
    rows = np.arange(n, dtype=np.int64)
    out = new_nearest_two(n)
    grouped = new_grouped_centers(centers, np.zeros(k, dtype=np.int64), centers.dtype)
    _centers_by_coordinate(grouped.current, grouped.by_coordinate)
    if not screened:
        _nearest_two_rows(X, rows, n, grouped.by_coordinate, out, new_tile_scratch(d))
        return out.best_j, out.best, out.second, n
    _centers_by_coordinate(grouped.current, grouped.grouped)  # one group: index order
    _shifted_centers(grouped)
    c = grouped
    group = ScreenedGroup(c.current, c.members, c.grouped, c.origin, c.shifted, c.shifted_norm2, c.max_norm[0])
    with single_threaded_blas():
        n_exact = _nearest_two_rows_gemm(X, rows, n, group, out, new_gemm_scratch(d, k, n, True))
    return out.best_j, out.best, out.second, int(n_exact)
