"""The built-in peers' adapters: each available peer, started at the true centers of a
well-separated sample, lands next to them; kmeans1d matches a brute-force 1-D optimum."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from harness.errors import InvalidArgument
from harness.targets.loader import load_target
from harness.targets.registry import builtin_available, builtin_names
from harness.theory.models import BallMixture

#: Every built-in that clusters in any dimension (kmeans1d is 1-D only and tested on its own).
PEERS = [name for name in builtin_names() if name != "kmeans1d"]


def _need(name):
    ok, reason = builtin_available(name)
    if not ok:
        pytest.skip(reason)
    return load_target(name)


@pytest.fixture(scope="module")
def separated():
    mixture = BallMixture.with_separation(k=4, dim=2, separation_ratio_min=10, seed=0)
    X, _ = mixture.sample(2000, seed=1)
    return X, mixture.centers


def _match(centers, truth):
    """The permutation of ``centers`` nearest ``truth`` (rows paired by minimal total distance)."""

    def cost(perm):
        return np.linalg.norm(centers[list(perm)] - truth, axis=1).sum()

    return centers[list(min(itertools.permutations(range(len(truth))), key=cost))]


@pytest.mark.parametrize("name", PEERS)
def test_peer_recovers_separated_centers(name, separated):
    X, truth = separated
    target = _need(name)
    fit = target.run(X, 4, init=truth, seed=0)
    centers = np.asarray(fit.centers, dtype=np.float64)
    labels = np.asarray(fit.labels)
    assert centers.shape == truth.shape and labels.shape == (X.shape[0],)
    np.testing.assert_allclose(_match(centers, truth), truth, atol=0.05)
    nearest = np.argmin(((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(labels, nearest)


@pytest.mark.parametrize("name", PEERS)
def test_peer_runs_from_its_own_init(name, separated):
    X, _ = separated
    fit = _need(name).run(X, 4, seed=3)
    assert np.asarray(fit.centers).shape == (4, 2) and np.asarray(fit.labels).shape == (X.shape[0],)


def test_declarations():
    expected = {
        "sklearn-minibatch": ("approximate", "float64", True),
        "scipy": ("fixed-point", "float64", True),
        "faiss": ("fixed-point", "float32", True),
        "kmeans1d": ("global-optimum", "float64", False),
    }
    for name, (claims, precision, honours_init) in expected.items():
        if builtin_available(name)[0]:
            t = load_target(name)
            assert (t.claims, t.precision, t.honours_init, t.deterministic) == (claims, precision, honours_init, True)


def _optimal_1d_cost(x, k):
    """Exhaustive search over the contiguous partitions of the sorted values (optimal in 1-D)."""
    x = np.sort(x)
    best = np.inf
    for cuts in itertools.combinations(range(1, len(x)), k - 1):
        bounds = (0, *cuts, len(x))
        parts = [x[a:b] for a, b in itertools.pairwise(bounds)]
        best = min(best, sum(((p - p.mean()) ** 2).sum() for p in parts))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_kmeans1d_is_the_exact_optimum(seed):
    target = _need("kmeans1d")
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(c, 0.5, size=3) for c in (-3.0, 0.0, 1.0, 4.0)])
    fit = target.run(x[:, None], 3)
    centers, labels = np.asarray(fit.centers)[:, 0], np.asarray(fit.labels)
    cost = ((x - centers[labels]) ** 2).sum()
    assert cost == pytest.approx(_optimal_1d_cost(x, 3), rel=1e-12)
    np.testing.assert_array_equal(labels, np.argmin((x[:, None] - centers[None, :]) ** 2, axis=1))


def test_kmeans1d_rejects_more_than_one_dimension(separated):
    X, truth = separated
    with pytest.raises(InvalidArgument, match="d = 2"):
        _need("kmeans1d").run(X, 4, init=truth)
