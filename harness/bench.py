"""Compatibility: ``harness.bench`` is the import path of the asv benchmarks, which asv also runs
against older commits; the bench lives in :mod:`harness.studies.bench`, the quality figures in
:mod:`harness.studies.quality`."""

from harness.studies.bench import DEFAULT_SHAPES, bench_data, small_only  # noqa: F401
from harness.studies.quality import spurious_rate  # noqa: F401
