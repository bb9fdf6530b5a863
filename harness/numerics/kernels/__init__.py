"""numba-jitted inner loops of Lloyd's algorithm and k-means++, one module per concern.

Each ``_name`` kernel writes into caller-provided buffers (bundled in :mod:`.workspace` records) and
never validates; the public wrapper ``name`` allocates the outputs.  Plain-numpy references live in
:mod:`harness.numerics.reference`; input validation happens once, in :mod:`harness.clustering.kmeans`.
This package re-exports every name other code reads as ``kernels.name``.
"""

from __future__ import annotations

# isort: off
from harness.numerics.kernels import stamp as _stamp  # noqa: F401  (first: the cache stamp, before any kernel)

# isort: on
from harness.numerics.kernels.blas import single_threaded_blas
from harness.numerics.kernels.bounds import (
    CENTERS_PER_GROUP,
    CENTERS_PER_GROUP_GEMM,
    GROUPS_MIN_DK,
    UNDERFLOW_SLACK,
    _assign_grouped,
    _bounding_diameter,
    _centers_grouped,
    _half_gaps,
    _movements,
    center_groups,
)
from harness.numerics.kernels.cache import cache_is_warm
from harness.numerics.kernels.dense import (
    DENSE_FIXED_MIN_ROWS,
    DENSE_TILE,
    _assign_dense,
    _lloyd_dense,
    _nearest_rows_dense,
    _nearest_rows_fixed,
)
from harness.numerics.kernels.distances import (
    ASSIGN_BLOCK_ROWS,
    UNIT_ROUNDOFF,
    _assign_labels,
    _assign_rows,
    _assigned_sqdist,
    _centers_by_coordinate,
    _nearest_two_rows,
    _sqdist_to,
    _sqdists,
    assign_labels,
    objective,
)
from harness.numerics.kernels.lloyd import DENSE_MAX_CENTER_WORK, _lloyd, lloyd, use_bounds, use_fixed_shape
from harness.numerics.kernels.screening import (
    GEMM_ERROR_FACTOR,
    GEMM_MAX_R2,
    GEMM_MIN_CENTER_WORK,
    GEMM_MIN_R2,
    GEMM_MIN_WORK,
    SCALED_MAX_R2,
    SCALED_MIN_R2,
    _nearest_two_rows_gemm,
    _shifted_centers,
    nearest_two,
    use_gemm_screening,
)
from harness.numerics.kernels.seeding import (
    SEEDING_BLOCK_ROWS,
    _blocks_by_coordinate,
    _candidate_sqdists,
    _d2_sample,
    _kmeans_plusplus,
    kmeans_plusplus,
)
from harness.numerics.kernels.threads import SERIAL_MAX_WORK, kernel_threads, threads_for
from harness.numerics.kernels.update import _accumulate_block, _block_sums, _combine_blocks, update_centers
from harness.numerics.kernels.workspace import (
    GEMM_ROWS,
    POINT_TILE,
    BlockPartials,
    GemmScratch,
    GroupedCenters,
    LloydWorkspace,
    NearestTwo,
    PointBounds,
    ScreenedGroup,
    TileScratch,
    new_lloyd_workspace,
)

__all__ = [  # the public wrappers, then what tests, docs and the asv benchmarks read as ``kernels.name``
    "assign_labels",
    "update_centers",
    "objective",
    "lloyd",
    "kmeans_plusplus",
    "center_groups",
    "nearest_two",
    "use_bounds",
    "use_fixed_shape",
    "use_gemm_screening",
    "cache_is_warm",
    "single_threaded_blas",
    "kernel_threads",
    "threads_for",
    "ASSIGN_BLOCK_ROWS",
    "BlockPartials",
    "CENTERS_PER_GROUP",
    "CENTERS_PER_GROUP_GEMM",
    "DENSE_FIXED_MIN_ROWS",
    "DENSE_MAX_CENTER_WORK",
    "DENSE_TILE",
    "GEMM_ERROR_FACTOR",
    "GEMM_MIN_CENTER_WORK",
    "GEMM_MAX_R2",
    "GEMM_MIN_R2",
    "GEMM_MIN_WORK",
    "GEMM_ROWS",
    "SCALED_MAX_R2",
    "SCALED_MIN_R2",
    "GROUPS_MIN_DK",
    "GemmScratch",
    "GroupedCenters",
    "LloydWorkspace",
    "NearestTwo",
    "POINT_TILE",
    "PointBounds",
    "ScreenedGroup",
    "SEEDING_BLOCK_ROWS",
    "SERIAL_MAX_WORK",
    "TileScratch",
    "UNDERFLOW_SLACK",
    "UNIT_ROUNDOFF",
    "new_lloyd_workspace",
    "_accumulate_block",
    "_assign_dense",
    "_assign_grouped",
    "_assign_labels",
    "_assign_rows",
    "_assigned_sqdist",
    "_block_sums",
    "_blocks_by_coordinate",
    "_bounding_diameter",
    "_candidate_sqdists",
    "_centers_by_coordinate",
    "_centers_grouped",
    "_combine_blocks",
    "_d2_sample",
    "_half_gaps",
    "_kmeans_plusplus",
    "_lloyd",
    "_lloyd_dense",
    "_movements",
    "_nearest_rows_dense",
    "_nearest_rows_fixed",
    "_nearest_two_rows",
    "_nearest_two_rows_gemm",
    "_shifted_centers",
    "_sqdist_to",
    "_sqdists",
]
