"""pytest-benchmark: the contenders side by side, grouped by shape (``pytest benchmarks
--benchmark-only``).  Same data and k-means++ init for all; a warm-up call precedes the rounds.
Kept out of ``tests/`` so that the normal suite never runs them; ``KMEANS_HARNESS_BENCH_SMALL=1``
keeps the smallest shape only."""

import numpy as np
import pytest

from harness import kernels
from harness.errors import MissingDependency

from .common import SHAPES, data

try:
    from harness.studies.bench import contender_inputs, open_contender
except ImportError:  # an older commit: asv imports every module here when it discovers benchmarks
    pytestmark = pytest.mark.skip(reason="harness.studies.bench is not in this commit")

TARGETS = ["lloyd", "lloyd-float32", "sklearn", "sklearn-elkan", "sklearnex", "faiss"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("shape", SHAPES)
def test_lloyd_30_iterations(benchmark, shape, target):
    benchmark.group = f"30 Lloyd iterations, {shape}"
    X, init = data(shape)
    try:
        runner = open_contender(target, max_iter=30)
    except MissingDependency as exc:
        pytest.skip(str(exc))
    x, c = contender_inputs(runner, X, init)
    k = c.shape[0]
    runner.fit(x, k, init=c, seed=0)  # warm-up: numba compilation or cache load, BLAS and OpenMP thread start-up
    benchmark.pedantic(runner.fit, args=(x, k), kwargs={"init": c, "seed": 0}, rounds=3, iterations=1)


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
