"""Lloyd's algorithm: the bounded iteration and the choice between it and the dense one.

The public :func:`lloyd` allocates the workspace and dispatches; the kernels of each step live in
their own modules.  Validation happens once, in :mod:`harness.clustering.kmeans`, never here.
"""

from __future__ import annotations

import contextlib

import numba
import numpy as np

from harness.config import NUMBA_FLAGS, UPDATE_BLOCK_ROWS
from harness.numerics.kernels.blas import single_threaded_blas
from harness.numerics.kernels.bounds import (
    UNDERFLOW_SLACK,
    _assign_grouped,
    _bounding_diameter,
    _centers_grouped,
    _half_gaps,
    _movements,
    center_groups,
)
from harness.numerics.kernels.dense import DENSE_FIXED_MIN_ROWS, _lloyd_dense
from harness.numerics.kernels.distances import UNIT_ROUNDOFF, _assigned_sqdist, _centers_by_coordinate
from harness.numerics.kernels.screening import _shifted_centers, use_gemm_screening
from harness.numerics.kernels.threads import kernel_threads
from harness.numerics.kernels.update import _combine_blocks
from harness.numerics.kernels.workspace import new_lloyd_workspace

#: Up to this k·d, :func:`lloyd` runs without bounds (:func:`_lloyd_dense`): a full assignment
#: costs so little that bookkeeping the bounds costs more.  Measured on a 2-core Intel Xeon
#: (Emerald Rapids), two threads, 30 iterations on the overlapping benchmark mixture, n = 200000,
#: bounded against dense: (d, k) = (2, 8) 92 / 61 ms, (4, 8) 127 / 76, (2, 16) 90 / 70,
#: (8, 8) 117 / 91; but (1, 32) 63 / 80 (1-D bounds are tight), so 1-D keeps them from k = 32;
#: (8, 32) at n = 10⁶: 1.11 / 1.22 s.
DENSE_MAX_CENTER_WORK = 32


@numba.njit(**NUMBA_FLAGS)
def _lloyd(X, max_iter, ws, min_sqdist, out_centers):  # pragma: no cover - jitted
    """Lloyd's iteration from ``centers`` to an exact fixed point (Lemma 2) or ``max_iter`` updates.

    ``ws`` is a :class:`~harness.numerics.kernels.workspace.LloydWorkspace` made for X and the
    starting centers (:func:`~harness.numerics.kernels.workspace.new_lloyd_workspace`).  Returns
    ``(n_iter, converged, n_distances)`` with ``n_distances`` the number of point-center distances
    computed (plain Lloyd computes n·k per assignment).  On return ``ws.points.labels`` are the
    nearest centers of ``out_centers`` (ties to the lowest index), ``min_sqdist`` the squared
    distances to them; when converged, every non-empty center is also the mean of its cell, because
    the last update did not change a single label.

    The assignment step uses Yinyang's group bounds (:func:`_assign_grouped`; the groups are
    ``ws.centers.group_of``, see :func:`center_groups`); every step's labels are those of a plain assignment
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
    d = X.shape[1]
    centers, labels, blocks, use_gemm = ws.centers, ws.points.labels, ws.blocks, ws.use_gemm
    current, members = centers.current, centers.members
    diameter = _bounding_diameter(X, current)
    _centers_grouped(current, members, centers.grouped)
    if use_gemm:
        _shifted_centers(centers)
    labels[:] = 0
    # the first assignment: infinite bounds (from the workspace), every group searched
    _assign_grouped(X, ws, 0.0, 0.0)
    n_distances = blocks.stats[:, 1].sum()
    n_iter = 0
    converged = False
    while n_iter < max_iter:
        _combine_blocks(blocks.sums, blocks.block_counts, current, out_centers, blocks.counts)
        _movements(current, out_centers, centers.moved)
        current[:, :] = out_centers
        _centers_by_coordinate(current, centers.by_coordinate)
        _centers_grouped(current, members, centers.grouped)
        n_iter += 1
        slack = (2.0 * d + 16.0 + 2.0 * n_iter) * UNIT_ROUNDOFF
        _half_gaps(current, centers.by_coordinate, 1.0 - slack, centers.half_gap, centers.sq_scratch)
        if use_gemm:
            _shifted_centers(centers)
        _assign_grouped(X, ws, slack, 4.0 * slack * diameter + 2.0 * UNDERFLOW_SLACK)
        n_distances += blocks.stats[:, 1].sum()
        if blocks.stats[:, 0].sum() == 0:
            converged = True
            break
    _assigned_sqdist(X, current, labels, min_sqdist)
    out_centers[:, :] = current
    return n_iter, converged, n_distances


def use_bounds(d, k, bounds=None):
    """Whether :func:`lloyd` keeps Hamerly/Yinyang bounds: from k·d > ``DENSE_MAX_CENTER_WORK``
    (and in 1-D from k = ``DENSE_MAX_CENTER_WORK``) unless ``bounds`` says otherwise.  Either way
    the labels are plain Lloyd's."""
    if bounds is None:
        return k * d > DENSE_MAX_CENTER_WORK or (d == 1 and k >= DENSE_MAX_CENTER_WORK)
    return bool(bounds)


def use_fixed_shape(n, d, k, fixed_shape=None):
    """Whether the dense iteration runs the form compiled for this (k, d)
    (:func:`~harness.numerics.kernels.dense._nearest_rows_fixed`): from
    :data:`~harness.numerics.kernels.dense.DENSE_FIXED_MIN_ROWS` rows when k·d ≤
    ``DENSE_MAX_CENTER_WORK`` (it unrolls k·d terms per point; ``bounds=False`` can force the dense
    path at any k·d), unless ``fixed_shape`` says otherwise.  Either way the result is the same."""
    if fixed_shape is None:
        return n >= DENSE_FIXED_MIN_ROWS and k * d <= DENSE_MAX_CENTER_WORK
    return bool(fixed_shape)


def lloyd(
    X,
    centers,
    max_iter,
    block_rows=UPDATE_BLOCK_ROWS,
    *,
    stats=None,
    n_groups=None,
    use_gemm=None,
    bounds=None,
    threads=None,
    fixed_shape=None,
):
    """Run Lloyd's algorithm from ``centers``; see :func:`_lloyd`.

    Returns ``(centers, labels, min_sqdist, n_iter, converged)``.  If ``stats`` is a dict it receives
    ``distances`` (point-center distances computed; the rest were settled by the bounds) and
    ``full_assignments`` (the same in units of k: plain Lloyd's count would be ``n·(n_iter + 1)``).
    ``n_groups`` overrides the number of center groups of the bounds
    (:func:`center_groups`) and ``use_gemm`` the screening by matrix products
    (:func:`use_gemm_screening`), ``bounds`` whether bounds are kept at all (:func:`use_bounds`;
    without them every assignment is plain, :func:`_lloyd_dense`), ``threads`` the number of
    threads (default: one below :data:`~harness.numerics.kernels.threads.SERIAL_MAX_WORK` = n·k·d,
    else numba's setting; :func:`~harness.numerics.kernels.threads.threads_for`), and
    ``fixed_shape`` whether the dense iteration runs the form compiled for this (k, d)
    (:func:`use_fixed_shape`); they change the work, never the result.
    """
    n = X.shape[0]
    k, d = centers.shape
    min_sqdist = np.empty(n, dtype=np.float64)
    out = np.empty((k, d), dtype=X.dtype)
    start = np.ascontiguousarray(centers, dtype=X.dtype)
    with kernel_threads(n * k * d, threads):
        if use_bounds(d, k, bounds):
            gemm = use_gemm_screening(n, d, k, use_gemm)
            ws = new_lloyd_workspace(X, start, center_groups(start, n_groups, use_gemm=gemm), block_rows, gemm)
            labels = ws.points.labels
            with single_threaded_blas() if gemm else contextlib.nullcontext():
                n_iter, converged, n_distances = _lloyd(X, max_iter, ws, min_sqdist, out)
        else:
            labels = np.empty(n, dtype=np.int64)
            fixed = use_fixed_shape(n, d, k, fixed_shape)
            k_token, d_token = ((0,) * k, (0,) * d) if fixed else ((), ())
            n_iter, converged, n_distances = _lloyd_dense(
                X, start, max_iter, block_rows, labels, min_sqdist, out, k_token, d_token
            )
    if stats is not None:
        stats["distances"] = int(n_distances)
        stats["full_assignments"] = float(n_distances) / k
    return out, labels, min_sqdist, int(n_iter), bool(converged)
