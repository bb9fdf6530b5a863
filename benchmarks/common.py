"""Shapes and data shared by the asv and pytest-benchmark suites.

``KMEANS_HARNESS_BENCH_SMALL=1`` keeps only the smallest shape (CI), so the benchmarks run on
every change without taking long.
"""

from harness.bench import DEFAULT_SHAPES, bench_data, small_only

SHAPES = [f"{n}x{d}x{k}" for n, d, k in (DEFAULT_SHAPES[:1] if small_only() else DEFAULT_SHAPES)]

_cache = {}


def data(shape):
    """``(X, init)`` for a shape string, built once per process (the same for every contender)."""
    if shape not in _cache:
        n, d, k = (int(v) for v in shape.split("x"))
        _cache[shape] = bench_data(n, d, k)
    return _cache[shape]
