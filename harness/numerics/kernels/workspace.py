"""Workspace records: the buffers the kernels share, named and bundled, with their allocators.

Each record is a NamedTuple of arrays (numba passes it as a struct and caches it with ``cache=True``),
so no kernel takes more than a handful of parameters.  Records hold buffers only: no arithmetic here.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from harness.config import NUMBA_FLAGS

#: Points per tile when distances are computed across points (small k): the tile is copied
#: coordinate-major, d × 32 float64 (16 KiB at d = 64, half an L1 cache), four centers' partial
#: sums beside it.  Measured on a 2-core AMD EPYC, one thread: 32 beat 64 by 20-30%.
POINT_TILE = 32

#: Points per matrix product in :func:`~harness.numerics.kernels.screening._nearest_two_rows_gemm`:
#: the (centers × points) block of dot products stays in L2 (64 × 256 float64 = 128 KiB).  Measured on
#: a 2-core AMD EPYC, one thread: OpenBLAS's dgemm at (16 × 256)·(64 × 16) ran at 18-22 G
#: multiply-adds/s, 2.5× the exact tile.
GEMM_ROWS = 256


class NearestTwo(NamedTuple):
    """Per row of a search: the nearest center, its squared distance, the second-smallest one."""

    best_j: np.ndarray  # (m,) int64
    best: np.ndarray  # (m,) float64
    second: np.ndarray  # (m,) float64


class TileScratch(NamedTuple):
    """Scratch of the exact tile (:func:`~harness.numerics.kernels.distances._nearest_two_rows`)."""

    tile_t: np.ndarray  # (d, POINT_TILE) float64: the tile's points, coordinate-major
    tile_acc: np.ndarray  # (6, POINT_TILE) float64: four centers' partial sums, best, second


class GemmScratch(NamedTuple):
    """Scratch of one search by matrix products (:mod:`~harness.numerics.kernels.screening`), the
    exact tile's included (near-ties fall back to it)."""

    xt_buf: np.ndarray  # (GEMM_ROWS·d,) float32: shifted, scaled points, row by row
    dot_buf: np.ndarray  # (largest group·GEMM_ROWS,) float32: the products
    xnorm: np.ndarray  # (GEMM_ROWS,) float64: squared norms of the shifted, scaled points
    sel: np.ndarray  # (2, GEMM_ROWS) float32: smallest and second-smallest screened value
    sel_j: np.ndarray  # (GEMM_ROWS,) int32: where the smallest is
    fallback_rows: np.ndarray  # (rows,) int64: rows left to the exact tile
    fallback_pos: np.ndarray  # (rows,) int64: their positions in the search
    fallback: NearestTwo  # the exact tile's results for them
    tile: TileScratch


class ScreenedGroup(NamedTuple):
    """One group of centers as the screening reads it (views into a :class:`GroupedCenters`)."""

    current: np.ndarray  # (k, d) X.dtype: all centers, index order
    members: np.ndarray  # (kg,) int64: the group's indices in current
    by_coordinate: np.ndarray  # (d, kg) float64: the group, coordinate-major
    origin: np.ndarray  # (d,) float64: the shift
    shifted: np.ndarray  # (kg, d) float32: the group minus origin, times scale[0]
    shifted_norm2: np.ndarray  # (kg,) float64: their squared norms
    max_norm: float  # the largest shifted norm in the group (scaled units)
    scale: np.ndarray  # (2,) float64: the power of two 2^-s applied after the shift, and 2^2s


class GroupedCenters(NamedTuple):
    """The centers of one iteration in the layouts the searches read, split into groups
    (``members[group_start[g]:group_start[g + 1]]`` lists group g in index order)."""

    current: np.ndarray  # (k, d) X.dtype
    by_coordinate: np.ndarray  # (d, k) float64: current, coordinate-major
    grouped: np.ndarray  # (d, k) float64: current in members order, coordinate-major
    group_of: np.ndarray  # (k,) int64
    members: np.ndarray  # (k,) int64
    group_start: np.ndarray  # (groups + 1,) int64
    moved: np.ndarray  # (k,) float64: how far each center moved in the last update
    half_gap: np.ndarray  # (k,) float64: half the distance to the nearest other center, shrunk
    origin: np.ndarray  # (d,) float64: the centers' mean (screening shifts everything by it)
    shifted: np.ndarray  # (k, d) float32: (current in members order - origin)·scale[0], rounded
    shifted_norm2: np.ndarray  # (k,) float64: their squared norms
    max_norm: np.ndarray  # (groups,) float64: largest shifted norm per group
    scale: np.ndarray  # (2,) float64: 2^-s (the largest shifted norm is then in [1/2, 1)), 2^2s
    sq_scratch: np.ndarray  # (k,) float64


class PointBounds(NamedTuple):
    """Per point: its label, an upper bound of the distance to its center, and per group a lower
    bound of the distance to every other center of the group."""

    labels: np.ndarray  # (n,) int64
    upper: np.ndarray  # (n,) float64
    glower: np.ndarray  # (n, groups) float64


class BlockPartials(NamedTuple):
    """Per block of ``block_rows`` rows: the next update's sums and counts, and the step's
    (labels changed, distances computed); ``counts`` holds the combined counts."""

    sums: np.ndarray  # (blocks, k, d) float64
    block_counts: np.ndarray  # (blocks, k) int64
    stats: np.ndarray  # (blocks, 2) int64
    counts: np.ndarray  # (k,) int64


class LloydWorkspace(NamedTuple):
    """Everything :func:`~harness.numerics.kernels.lloyd._lloyd` reads and writes besides X."""

    centers: GroupedCenters
    points: PointBounds
    blocks: BlockPartials
    block_rows: int
    use_gemm: bool


@numba.njit(**NUMBA_FLAGS)
def new_tile_scratch(d):  # pragma: no cover - jitted
    """A :class:`TileScratch` for points of ``d`` coordinates."""
    return TileScratch(np.empty((d, POINT_TILE), dtype=np.float64), np.empty((6, POINT_TILE), dtype=np.float64))


@numba.njit(**NUMBA_FLAGS)
def new_nearest_two(m):  # pragma: no cover - jitted
    """A :class:`NearestTwo` for ``m`` rows."""
    return NearestTwo(np.empty(m, dtype=np.int64), np.empty(m, dtype=np.float64), np.empty(m, dtype=np.float64))


@numba.njit(**NUMBA_FLAGS)
def new_gemm_scratch(d, max_group, rows, use_gemm):  # pragma: no cover - jitted
    """A :class:`GemmScratch` for searches of up to ``rows`` rows against groups of up to
    ``max_group`` centers; without ``use_gemm`` only the tile is sized (the rest is one element)."""
    gemm_rows = GEMM_ROWS if use_gemm else 1
    fallback_rows = rows if use_gemm else 1
    return GemmScratch(
        np.empty(d * gemm_rows, dtype=np.float32),
        np.empty(max_group * gemm_rows, dtype=np.float32),
        np.empty(gemm_rows, dtype=np.float64),
        np.empty((2, gemm_rows), dtype=np.float32),
        np.empty(gemm_rows, dtype=np.int32),
        np.empty(fallback_rows, dtype=np.int64),
        np.empty(fallback_rows, dtype=np.int64),
        new_nearest_two(fallback_rows),
        new_tile_scratch(d),
    )


def new_grouped_centers(centers, group_of, dtype):
    """A :class:`GroupedCenters` for ``centers : (k, d)`` split by ``group_of : (k,) int64`` (every
    group non-empty); ``current`` holds ``centers`` in ``dtype``, the other layouts are filled by
    the kernels."""
    k, d = centers.shape
    members = np.argsort(group_of, kind="stable").astype(np.int64)  # index order within a group
    group_start = np.concatenate([[0], np.cumsum(np.bincount(group_of))]).astype(np.int64)
    n_groups = group_start.shape[0] - 1
    return GroupedCenters(
        current=np.array(centers, dtype=dtype, order="C", copy=True),
        by_coordinate=np.empty((d, k), dtype=np.float64),
        grouped=np.empty((d, k), dtype=np.float64),
        group_of=np.ascontiguousarray(group_of, dtype=np.int64),
        members=members,
        group_start=group_start,
        moved=np.zeros(k, dtype=np.float64),
        half_gap=np.zeros(k, dtype=np.float64),
        origin=np.empty(d, dtype=np.float64),
        shifted=np.empty((k, d), dtype=np.float32),
        shifted_norm2=np.empty(k, dtype=np.float64),
        max_norm=np.empty(n_groups, dtype=np.float64),
        scale=np.ones(2, dtype=np.float64),
        sq_scratch=np.empty(k, dtype=np.float64),
    )


def new_lloyd_workspace(X, centers, group_of, block_rows, use_gemm):
    """A :class:`LloydWorkspace` for Lloyd's iteration on ``X : (n, d)`` from ``centers : (k, d)``
    (any float dtype; kept in ``X.dtype``) with the center groups ``group_of``.  Memory: n·(groups +
    2) values per point, and (n / block_rows)·k·(d + 1) for the partial sums."""
    n, d = X.shape
    k = centers.shape[0]
    grouped = new_grouped_centers(centers, group_of, X.dtype)
    n_groups = grouped.group_start.shape[0] - 1
    n_blocks = (n + block_rows - 1) // block_rows
    return LloydWorkspace(
        centers=grouped,
        points=PointBounds(
            labels=np.zeros(n, dtype=np.int64),
            upper=np.full(n, np.inf),
            glower=np.full((n, n_groups), -np.inf),
        ),
        blocks=BlockPartials(
            sums=np.empty((n_blocks, k, d), dtype=np.float64),
            block_counts=np.empty((n_blocks, k), dtype=np.int64),
            stats=np.empty((n_blocks, 2), dtype=np.int64),
            counts=np.empty(k, dtype=np.int64),
        ),
        block_rows=int(block_rows),
        use_gemm=bool(use_gemm),
    )
