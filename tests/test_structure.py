"""harness.theory.structure: the theorems' bounds and assumptions, the partition into associations, the
Centroid Index, and the self-check of our population code (population local minima have the
structure Theorem 1 promises)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from harness.theory import certificates
from harness.theory import population as pop
from harness.theory import structure as S
from harness.theory.models import BallMixture
from strategies.theorems import theorem1_mixture, theorem2_mixture


def test_theorem1_bounds_two_forms_agree():
    b = S.theorem1_bounds(3, 3.0, 0.5, 1000.0)
    eta = 1000.0 / 0.5
    assert b.many_fit_one == pytest.approx(1000.0 * 8 * 3 * 9 / math.sqrt(eta))
    assert b.one_fit_many == pytest.approx(11 * 3 * 9 * math.sqrt(0.5 * 1000.0))
    assert b.almost_empty == pytest.approx(3 * 3 / math.sqrt(eta))


@pytest.mark.parametrize("dim", [1, 2, 4, 8])
def test_tail_bound_is_a_chi_square_tail_bound(dim):
    # (45): P(‖x − β*‖ > tσ√d) = P(χ²_d > t²d) <= 2 exp(−t²d/8) for t > 2 (independent check)
    for t in np.linspace(2.01, 8, 50):
        assert stats.chi2.sf(t * t * dim, dim) <= S.tail_bound(t, dim, k=dim)


def test_theorem1_assumptions():
    assert S.theorem1_unmet(theorem1_mixture(3, 2, seed=1)) == []
    small = BallMixture.with_separation(3, 2, 40.0)
    unmet = S.theorem1_unmet(small)
    assert any("η_max > 4c²k⁴" in u for u in unmet) and any("η_min" in u for u in unmet)


def test_theorem2_assumptions_and_t():
    g = theorem2_mixture(2, 2, seed=3)
    t = S.theorem2_t(g)
    assert t is not None and t > 2 and S.theorem2_unmet(g, t=t) == []
    assert S.tail_bound(t, 2, 2) < 0.25


def test_partition_of_truth_and_of_proposition2_shape():
    m = theorem1_mixture(3, 1, seed=0)
    T = np.array(m.centers)
    P = np.full(3, 1 / 3)
    truth = S.find_partition(T, T, P, S.bounds_for(m))
    assert truth.holds and truth.worst_ratio == 0 and truth.counts()["one-fit-one"] == 3
    # two centers on cluster 0, one at the mean of clusters 1 and 2 (Proposition 2 in the point model)
    spurious = np.array([T[0] - 1.0, T[0] + 1.0, (T[1] + T[2]) / 2])
    part = S.find_partition(spurious, T, [1 / 6, 1 / 6, 2 / 3], S.bounds_for(m))
    assert part.holds
    assert part.counts() == {"one-fit-one": 0, "many-fit-one": 1, "one-fit-many": 1, "almost-empty": 0}


def test_partition_rejects_a_many_fit_many_solution():
    # at the smallest separations the bounds (~0.5 Δmax) admit even this; 100 times more separation
    # shrinks them tenfold
    m = theorem1_mixture(3, 1, seed=0, factor=100.0)
    T = np.array(m.centers)
    # Example 1's 2-fit-3 shape: each center at the mean of one cluster and half of the middle one
    order = np.argsort(T[:, 0])
    a, b, c = T[order]
    bad = np.array([(2 * a + b) / 3, (2 * c + b) / 3, (a + c) / 2 + 1e9])
    part = S.find_partition(bad, T, [0.5, 0.5, 0.0], S.bounds_for(m))
    assert not part.holds and part.worst_ratio > 1


def test_centroid_index():
    T = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    assert S.centroid_index(T, T) == 0
    assert S.centroid_index(T[[0, 0, 1]] + 0.1, T) == 1  # two centers on one cluster: one cluster missed
    assert S.centroid_index(np.array([[0.0, 0.0], [0.0, 0.1], [5.0, 5.0]]), T) == 2


def test_population_local_minima_have_the_structure():
    """Self-check of our population code, never a target's verdict: population Lloyd from random
    starts on Theorem 1 instances (1-D, exact); every local minimum it reaches has the structure."""
    rng = np.random.default_rng(0)
    checked = 0
    for trial in range(30):
        k = int(rng.integers(2, 5))
        m = theorem1_mixture(k, 1, seed=trial)
        T = np.array(m.centers)
        start = T[rng.integers(k, size=k)] + rng.normal(scale=0.2 * m.center_distance_min, size=(k, 1))
        res = pop.population_lloyd(m, start, max_iter=2000, tol=1e-9 * m.center_distance_max)
        verdict = certificates.is_local_minimum(m, res.centers, n_directions=8, steps=(1e-2,))
        if not verdict:
            continue
        checked += 1
        P = pop.cell_integrals(m, res.centers).cell_masses
        assert S.find_partition(res.centers, T, P, S.bounds_for(m)).holds, (trial, res.centers.ravel())
    assert checked >= 10


def test_sample_associations_count_each_kind():
    from harness.theory.structure import sample_associations

    y = np.repeat([0, 1, 2], 100)
    assert sample_associations(y, y, 3, 3) == {
        "one_fit_one": 3,
        "many_fit_one": 0,
        "one_fit_many": 0,
        "almost_empty": 0,
    }
    # two centers split cluster 0, one center takes clusters 1 and 2 (Proposition 2's shape)
    labels = np.r_[np.repeat([0, 1], 50), np.full(200, 2)]
    assert sample_associations(y, labels, 3, 3) == {
        "one_fit_one": 0,
        "many_fit_one": 1,
        "one_fit_many": 1,
        "almost_empty": 0,
    }
    # a fourth center with a single point of 3000 is almost empty (below 1% of n / k)
    y = np.repeat([0, 1, 2], 1000)
    labels4 = y.copy()
    labels4[0] = 3
    assert sample_associations(y, labels4, 4, 3)["almost_empty"] == 1
