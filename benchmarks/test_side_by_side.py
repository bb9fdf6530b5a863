"""pytest-benchmark: the contenders side by side, grouped by shape (``pytest benchmarks
--benchmark-only``).  Same data and k-means++ init for all; a warm-up call precedes the rounds.
Kept out of ``tests/`` so that the normal suite never runs them; ``KMEANS_HARNESS_BENCH_SMALL=1``
keeps the smallest shape only."""

import numpy as np
import pytest

from harness.errors import MissingDependency
from harness.numerics import kernels
from harness.studies.bench import make_runner

from .common import SHAPES, data

TARGETS = ["lloyd", "lloyd-float32", "sklearn", "sklearn-elkan", "faiss"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("shape", SHAPES)
def test_lloyd_30_iterations(benchmark, shape, target):
    benchmark.group = f"30 Lloyd iterations, {shape}"
    X, init = data(shape)
    try:
        run = make_runner(target, X, init)
    except MissingDependency as exc:
        pytest.skip(str(exc))
    run(2)  # warm-up: numba compilation or cache load, BLAS and OpenMP thread start-up
    benchmark.pedantic(run, args=(30,), rounds=3, iterations=1)


@pytest.mark.parametrize("target", ["ours", "sklearn"])
@pytest.mark.parametrize("shape", SHAPES)
def test_greedy_kmeans_plusplus(benchmark, shape, target):
    benchmark.group = f"greedy k-means++, {shape}"
    X, init = data(shape)
    k = init.shape[0]
    if target == "ours":
        kernels.kmeans_plusplus(X[:1000], 3, np.random.default_rng(0))
        benchmark.pedantic(kernels.kmeans_plusplus, args=(X, k, np.random.default_rng(0)), rounds=3, iterations=1)
    else:
        cluster = pytest.importorskip("sklearn.cluster")
        benchmark.pedantic(cluster.kmeans_plusplus, args=(X, k), kwargs={"random_state": 0}, rounds=3, iterations=1)
