"""Compatibility: ``harness.bench`` is the import path of the asv benchmarks, which asv also runs
against older commits; the bench lives in :mod:`harness.studies.bench`."""

from harness.studies.bench import DEFAULT_SHAPES, bench_data, small_only, spurious_rate  # noqa: F401
