"""Initialisers against references: scipy's Ward, a brute-force Hartigan-optimality check, a naive
pair-merging loop, and the truth of well-separated mixtures."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from harness import InvalidArgument
from harness.clustering import initialisers
from harness.clustering.kmeans import lloyd
from harness.theory.models import BallMixture
from harness.theory.structure import centroid_index

pytest.importorskip("fastcluster")


def _same_partition(a, b):
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def _objective(X, labels, k):
    return sum(((X[labels == j] - X[labels == j].mean(axis=0)) ** 2).sum() for j in range(k) if np.any(labels == j))


def _hartigan_gains(X, labels, k):
    """Brute force: the objective change of every single-point move, by recomputing the objective."""
    base = _objective(X, labels, k)
    gains = []
    for i, b in itertools.product(range(len(X)), range(k)):
        if b == labels[i] or np.sum(labels == labels[i]) == 1:
            continue
        moved = labels.copy()
        moved[i] = b
        gains.append((base - _objective(X, moved, k)) / base)
    return np.array(gains)


@pytest.mark.parametrize("name", list(initialisers.INITIALISERS))
def test_every_initialiser_returns_k_finite_centers_reproducibly(name):
    X, _ = BallMixture.with_separation(4, 3, 8.0, seed=1).sample(300, seed=2)
    a = initialisers.initialise(name, X, 4, seed=5)
    b = initialisers.initialise(name, X, 4, seed=5)
    assert a.shape == (4, 3) and a.dtype == np.float64 and np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, b)
    if initialisers.INITIALISERS[name].deterministic:
        np.testing.assert_array_equal(a, initialisers.initialise(name, X, 4, seed=6))


@pytest.mark.parametrize("name", [n for n in initialisers.INITIALISERS if n != "random"])
def test_every_initialiser_finds_well_separated_clusters(name):
    # η_min = 20, 5 clusters.  Ward and the refining ones must find the truth.  D² seeding misses a
    # ball only if a draw lands in an already-seeded one: per step probability ≲ k (2r)²/Δ² ≈ 0.05, so
    # ≲ 0.25 per run; after Lloyd we ask it on 4 of 6 seeds.  (Random rows hit all 5 balls with
    # probability 5!/5⁵ ≈ 0.04, and Lloyd cannot repair a miss at this separation: not tested.)
    mixture = BallMixture.with_separation(5, 2, 20.0, seed=3)
    found = 0
    for seed in range(6):
        X, _ = mixture.sample(500, seed=seed)
        centers = initialisers.initialise(name, X, 5, seed=seed)
        if not initialisers.INITIALISERS[name].refines:
            centers = lloyd(X, centers).centers
        found += centroid_index(centers, mixture.centers) == 0
    if initialisers.INITIALISERS[name].refines or name == "ward":
        assert found == 6
    else:
        assert found >= 4


def test_seeding_returns_distinct_data_rows():
    X = np.random.default_rng(0).normal(size=(200, 2))
    rows = {tuple(r) for r in X}
    for fn in (initialisers.random_points, initialisers.plain_kmeans_plusplus, initialisers.greedy_kmeans_plusplus):
        c = fn(X, 10, seed=1)
        assert all(tuple(r) in rows for r in c) and len({tuple(r) for r in c}) == 10


@pytest.mark.parametrize("seed", range(3))
def test_ward_matches_scipy_reference(seed):
    from scipy.cluster.hierarchy import fcluster, linkage

    X = np.random.default_rng(seed).normal(size=(120, 3))
    ours = initialisers.ward_labels(X, 7)
    ref = fcluster(linkage(X, method="ward"), 7, criterion="maxclust")
    assert _same_partition(ours, ref)
    centers = initialisers.ward(X, 7)
    for j in range(7):
        np.testing.assert_allclose(centers[j], X[ours == j].mean(axis=0), rtol=1e-12)


def test_ward_with_duplicate_points_still_gives_k_clusters():
    X = np.repeat(np.arange(6.0)[:, None], 4, axis=0)  # 6 distinct values, each 4 times: tied heights
    labels = initialisers.ward_labels(X, 6)
    assert len(np.unique(labels)) == 6


def test_ward_refuses_too_many_points_and_names_the_override():
    X = np.zeros((50, 1)) + np.arange(50.0)[:, None]
    with pytest.raises(InvalidArgument, match="max_points=50"):
        initialisers.ward_labels(X, 3, max_points=10)


@pytest.mark.parametrize("seed", range(4))
def test_hartigan_result_is_hartigan_optimal_by_brute_force(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 2))
    X[:5] = X[5]  # duplicates: ties must not make the passes cycle
    k = 4
    start = rng.integers(k, size=len(X))
    start[:k] = np.arange(k)
    r = initialisers.hartigan_polish(X, labels=start)
    assert r.converged
    gains = _hartigan_gains(X, r.labels, k)
    # Every move may gain at most HARTIGAN_MARGIN of a point's cost; relative to the whole objective
    # that is below the margin itself.
    assert gains.max() <= initialisers.HARTIGAN_MARGIN
    assert r.objective <= _objective(X, start, k) * (1 + 1e-12)
    np.testing.assert_allclose(r.objective, _objective(X, r.labels, k), rtol=1e-12)
    for j in range(k):
        np.testing.assert_allclose(r.centers[j], X[r.labels == j].mean(axis=0), rtol=1e-12, atol=1e-15)


def test_hartigan_optimum_is_a_lloyd_fixed_point():
    X = np.random.default_rng(9).normal(size=(300, 2))
    r = initialisers.hartigan_polish(X, centers=X[:6])
    after = lloyd(X, r.centers)
    assert after.n_iter <= 1
    np.testing.assert_allclose(after.centers, r.centers, rtol=1e-12, atol=1e-12)
    assert np.array_equal(after.labels, r.labels)


def test_hartigan_needs_exactly_one_start():
    X = np.zeros((5, 1))
    with pytest.raises(InvalidArgument, match="exactly one"):
        initialisers.hartigan_polish(X)


def _merge_reference(c, w, k):
    c, w = [np.array(x) for x in c], list(w)
    while len(c) > k:
        pairs = [
            (w[a] * w[b] / (w[a] + w[b]) * np.sum((c[a] - c[b]) ** 2), a, b)
            for a in range(len(c))
            for b in range(a + 1, len(c))
        ]
        _, a, b = min(pairs)
        c[a] = (w[a] * c[a] + w[b] * c[b]) / (w[a] + w[b])
        w[a] += w[b]
        del c[b], w[b]
    return np.array(c)


@pytest.mark.parametrize("seed", range(4))
def test_merge_cells_matches_naive_merging(seed):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(15, 2))
    w = rng.integers(1, 20, size=15).astype(float)
    ours = initialisers.merge_cells(c, w, 4)
    ref = _merge_reference(c, w, 4)
    assert ours.shape == (4, 2)
    order = np.lexsort(ours.T[::-1])
    np.testing.assert_allclose(ours[order], ref[np.lexsort(ref.T[::-1])], rtol=1e-10)


def test_merge_cells_drops_almost_empty_cells_first():
    c = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [5.0, 5.0]])
    w = np.array([0.45, 0.45, 0.099, 0.001])  # the last is almost empty
    out = initialisers.merge_cells(c, w, 2, almost_empty_mass=0.01)
    np.testing.assert_allclose(np.sort(out[:, 0]), [0.05, 10.0])


def test_overparametrise_prune_rejects_too_few_centers():
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(InvalidArgument, match="m: expected"):
        initialisers.overparametrise_prune(X, 5, seed=0, m=3)


def test_unknown_initialiser_lists_the_known_ones():
    with pytest.raises(InvalidArgument, match="ward\\+polish"):
        initialisers.initialise("wards", np.zeros((3, 1)), 1)
