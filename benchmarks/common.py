"""Shapes, data and imports shared by the asv and pytest-benchmark suites.

``KMEANS_HARNESS_BENCH_SMALL=1`` keeps only the smallest shape (CI), so the benchmarks run on
every change without taking long.  asv runs today's benchmarks against older commits: import only
names that exist there too, or import them here with the older path as the fallback.
"""

from harness.bench import DEFAULT_SHAPES, bench_data, small_only

try:  # the layer packages (since a1a41bb)
    from harness.clustering.initialisers import INITIALISERS, initialise
    from harness.theory.structure import centroid_index
except ImportError:  # the flat package before it
    from harness.initialisers import INITIALISERS, initialise

    from harness.bench import centroid_index

__all__ = ["INITIALISERS", "SHAPES", "centroid_index", "data", "initialise", "small_only"]

SHAPES = [f"{n}x{d}x{k}" for n, d, k in (DEFAULT_SHAPES[:1] if small_only() else DEFAULT_SHAPES)]

_cache = {}


def data(shape):
    """``(X, init)`` for a shape string, built once per process (the same for every contender)."""
    if shape not in _cache:
        n, d, k = (int(v) for v in shape.split("x"))
        _cache[shape] = bench_data(n, d, k)
    return _cache[shape]
