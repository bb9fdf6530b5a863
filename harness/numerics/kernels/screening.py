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
from harness.numerics.kernels.distances import _centers_by_coordinate, _nearest_two_rows, _sqdist_to
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

#: 1.02·u₃₂ (u₃₂ = 2^-24, the products are float32): the constant of the screening error e in
#: :func:`_nearest_two_rows_gemm` (the terms it covers sum to at most (4.03 + 0.51d)u₃₂·R², see there).
GEMM_ERROR_FACTOR = 1.02 * 2.0**-24

#: Rows with R² outside [GEMM_MIN_R2, GEMM_MAX_R2] (the data's units), or outside
#: [SCALED_MIN_R2, SCALED_MAX_R2] in the screening's scaled units, are never decided by the screening
#: (see :func:`_nearest_two_rows_gemm`): plain Lloyd's float64 underflow and overflow, and the
#: float32 products'.
GEMM_MIN_R2 = 2.0**-960
GEMM_MAX_R2 = 2.0**1000
SCALED_MIN_R2 = 2.0**-60
SCALED_MAX_R2 = 2.0**120


@numba.njit(**NUMBA_FLAGS)
def _nearest_two_rows_gemm(X, rows, m, group, out, scratch, exact_best=True):  # pragma: no cover - jitted
    """:func:`_nearest_two_rows`'s result, screened with a float32 matrix product.

    For the rows ``rows[:m]`` of ``X`` and one group of centers (a
    :class:`~harness.numerics.kernels.workspace.ScreenedGroup`: ``shifted`` their coordinates minus
    ``origin`` times σ = ``scale[0]`` (a power of two), in float32, ``shifted_norm2`` their squared
    norms, ``max_norm`` the largest norm, ``members`` their indices in ``current``, all from
    :func:`_shifted_centers`), into ``out`` (a
    :class:`~harness.numerics.kernels.workspace.NearestTwo`): ``best_j[:m]`` the nearest center's
    index in the group, ``best[:m]`` its squared distance computed exactly as :func:`_sqdist_to` does
    (plain Lloyd's value, bit for bit), ``second[:m]`` a lower bound of the true second-smallest
    squared distance.  ``scratch`` is a :class:`~harness.numerics.kernels.workspace.GemmScratch`.
    Without ``exact_best``, ``best`` of a row the screening decided is instead an upper bound of the
    true squared distance, ((smallest v) + fl(‖x′‖²) + 2e)/σ² (below), and the exact distance is not
    computed (a tenth to a quarter of a search; the caller needs only the label and bounds).

    Screening (the expansion ‖x′‖² − 2⟨x′, c′⟩ + ‖c′‖² on shifted, scaled coordinates x′ =
    fl₃₂((x − o)·σ), c′ = fl₃₂((c − o)·σ), so that data far from the origin does not cancel, and the
    centers' spread is near 1 whatever the data's scale; multiplying by σ is exact): with v_j =
    fl₃₂(‖c′_j‖² − 2·dot_j), dot_j = ⟨x′, c′_j⟩ from a float32 BLAS sgemm (any summation order, FMA or
    not: Higham, eq. (3.5)), ‖c′_j‖² and ‖x′‖² summed in float64, and R = ‖x′‖ + max_j ‖c′_j‖ (all in
    scaled units; u₃₂ = 2^-24, u = 2^-53, γ_m = mu/(1 − mu)):

    - each coordinate is rounded once to float32 after the shift (relative 1.0001u₃₂ with the
      float64 difference), so ‖x′ − c′_j‖² is within 2.01u₃₂·R² of σ²‖x − c_j‖²;
    - dot_j errs by at most γ_d(u₃₂)·‖x′‖‖c′_j‖ ≤ γ_d(u₃₂)R²/4, the float64 norms by (d + 2)u·R²,
      and v_j = fl₃₂(fl₃₂(‖c′_j‖²) − 2·dot_j) is computed in float32 (the selection then runs on twice
      the lanes): two more roundings of at most u₃₂·R² each (|v_j| ≤ ‖c′_j‖² + 2‖x′‖‖c′_j‖ ≤ R²);
      so σ²·D_j, with D_j = ‖x − c_j‖² the true squared distance, is within (4.03 + 0.51d)u₃₂·R² ≤
      e = 1.02(d + 8)u₃₂·R² of v_j + fl(‖x′‖²);
    - plain Lloyd's computed D̂_j is within γ_{d+2}(u)·D_j, far less than e/σ², of D_j.

    So if the smallest v (at q) is below every other v_j by more than 4e, D̂_q < D̂_j for every
    j ≠ q: q is plain Lloyd's label, found without a single exact difference but the one to q.
    The second-smallest true distance is then ≥ ((second-smallest v) + fl(‖x′‖²) − 2e)/σ² (the
    unscaling by 2^2s is exact).  Rows that fail the test (near-ties, or data whose spread is tiny
    against its distance from ``origin``) are recomputed exactly by :func:`_nearest_two_rows`; their
    number is returned.  So are rows with R² (scaled) outside [``SCALED_MIN_R2``,
    ``SCALED_MAX_R2``] = [2^-60, 2^120]: below, float32 underflow adds absolute errors of up to
    2^-149 per operation, which the spare part of 4e (at least 6u₃₂·R² ≥ 6·2^-84) covers only from
    there on; above, the float32 products could overflow (σ puts the largest center norm in
    [1/2, 1): only points 2^60 times farther out than the centers' spread get there).  And so are
    rows with R²/σ² (the data's units) outside [``GEMM_MIN_R2``, ``GEMM_MAX_R2``] = [2^-960,
    2^1000], where plain Lloyd's own float64 distances leave the relative model: below, its
    subnormal results err by up to 2^-1075 absolutely per operation (covered by the spare part of
    4e/σ² ≥ 6·2^-984 only from there on); above, they could overflow to ties of infinities.
    """
    d = X.shape[1]
    current, members_g, centers_t_g, origin, cg_rows, cg_norm2, cg_max_norm, scale = group
    sigma, unscale = scale[0], scale[1]
    best_j, best, second = out
    xt_buf, dot_buf, xnorm, sel, sel_j, fb_rows, fb_pos, fallback, tile = scratch
    kg = cg_rows.shape[0]
    sb, ss = sel[0], sel[1]
    n_fb = 0
    for lo in range(0, m, GEMM_ROWS):
        count = min(GEMM_ROWS, m - lo)
        # gathered row by row (contiguous writes); the product reads them transposed
        xg = xt_buf[: d * count].reshape((count, d))
        for p in range(count):
            i = rows[lo + p]
            for t in range(d):
                xg[p, t] = np.float32((np.float64(X[i, t]) - origin[t]) * sigma)
            s = 0.0
            for t in range(d):
                s += np.float64(xg[p, t]) * np.float64(xg[p, t])
            xnorm[p] = s
        dots = dot_buf[: kg * count].reshape((kg, count))
        np.dot(cg_rows, xg.T, dots)
        for p in range(count):
            sb[p] = np.inf
            ss[p] = np.inf
            sel_j[p] = 0
        # branch-free selects across points, four centers per pass in index order (as in
        # _nearest_two_rows: a loop over centers inside would stop vectorisation); in float32,
        # twice the lanes (v's two roundings are within e, see above)
        two = np.float32(2.0)
        j = 0
        while j + 4 <= kg:
            c0, c1 = np.float32(cg_norm2[j]), np.float32(cg_norm2[j + 1])
            c2, c3 = np.float32(cg_norm2[j + 2]), np.float32(cg_norm2[j + 3])
            d0, d1, d2, d3 = dots[j], dots[j + 1], dots[j + 2], dots[j + 3]
            j0, j1, j2, j3 = np.int32(j), np.int32(j + 1), np.int32(j + 2), np.int32(j + 3)
            for p in range(count):
                b = sb[p]
                s2 = ss[p]
                q = sel_j[p]
                v = c0 - two * d0[p]
                s2 = min(s2, max(b, v))
                q = j0 if v < b else q
                b = min(b, v)
                v = c1 - two * d1[p]
                s2 = min(s2, max(b, v))
                q = j1 if v < b else q
                b = min(b, v)
                v = c2 - two * d2[p]
                s2 = min(s2, max(b, v))
                q = j2 if v < b else q
                b = min(b, v)
                v = c3 - two * d3[p]
                s2 = min(s2, max(b, v))
                q = j3 if v < b else q
                b = min(b, v)
                sb[p] = b
                ss[p] = s2
                sel_j[p] = q
            j += 4
        while j < kg:
            c0 = np.float32(cg_norm2[j])
            d0 = dots[j]
            j0 = np.int32(j)
            for p in range(count):
                b = sb[p]
                v = c0 - two * d0[p]
                ss[p] = min(ss[p], max(b, v))
                sel_j[p] = j0 if v < b else sel_j[p]
                sb[p] = min(b, v)
            j += 1
        for p in range(count):
            r = math.sqrt(xnorm[p]) + cg_max_norm
            e = GEMM_ERROR_FACTOR * (d + 8) * r * r
            i = rows[lo + p]
            r2 = r * r
            if (
                SCALED_MIN_R2 <= r2 <= SCALED_MAX_R2
                and GEMM_MIN_R2 <= r2 * unscale <= GEMM_MAX_R2
                and np.float64(ss[p]) - np.float64(sb[p]) > 4.0 * e
            ):
                q = sel_j[p]
                best_j[lo + p] = q
                if exact_best:
                    best[lo + p] = _sqdist_to(X, i, current, members_g[q])
                else:
                    best[lo + p] = max(0.0, np.float64(sb[p]) + xnorm[p] + 2.0 * e) * unscale
                second[lo + p] = max(0.0, np.float64(ss[p]) + xnorm[p] - 2.0 * e) * unscale
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
    """From ``centers.current``: ``origin`` (the centers' mean), ``scale`` (σ = 2^-s with the
    largest ‖c − origin‖·σ in [1/2, 1), and 2^2s; σ = 1 when every center is at the origin),
    ``shifted`` (fl₃₂((c − origin)·σ) for the centers in group order), their squared norms
    ``shifted_norm2`` (float64) and the largest norm per group ``max_norm``, for
    :func:`_nearest_two_rows_gemm` (``centers`` a
    :class:`~harness.numerics.kernels.workspace.GroupedCenters`)."""
    current, members, group_start = centers.current, centers.members, centers.group_start
    origin, cg_rows, cg_norm2, cg_max_norm = centers.origin, centers.shifted, centers.shifted_norm2, centers.max_norm
    scale = centers.scale
    k, d = current.shape
    origin[:] = 0.0
    for j in range(k):
        for t in range(d):
            origin[t] += np.float64(current[j, t])
    for t in range(d):
        origin[t] /= k
    top = 0.0
    for j in range(k):
        s = 0.0
        for t in range(d):
            v = np.float64(current[j, t]) - origin[t]
            s += v * v
        top = max(top, s)
    exponent = math.frexp(math.sqrt(top))[1] if top > 0.0 else 0
    sigma = math.ldexp(1.0, -exponent)
    scale[0] = sigma
    scale[1] = math.ldexp(1.0, 2 * exponent)
    for p in range(k):
        s = 0.0
        for t in range(d):
            v = np.float32((np.float64(current[members[p], t]) - origin[t]) * sigma)
            cg_rows[p, t] = v
            s += np.float64(v) * np.float64(v)
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
    group = ScreenedGroup(c.current, c.members, c.grouped, c.origin, c.shifted, c.shifted_norm2, c.max_norm[0], c.scale)
    with single_threaded_blas():
        n_exact = _nearest_two_rows_gemm(X, rows, n, group, out, new_gemm_scratch(d, k, n, True))
    return out.best_j, out.best, out.second, int(n_exact)
