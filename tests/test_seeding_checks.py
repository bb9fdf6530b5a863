"""The seeding checks: the exact laws against independent computations, and the false-alarm rate
of the distribution check on our k-means++ over independent runs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from harness.numerics import kernels
from harness.numerics.reference import sqdist_ref
from properties import seeding_checks
from properties.engine import run_check

METHODS = ("plain-k-means++", "greedy-k-means++", "random")


def _brute_force_law(X, k, method):
    """The law of the sequences of distinct rows by enumerating every draw: each first index, and
    for greedy every L-tuple of candidate indices at each step (independent of _step_law)."""
    rows, inverse = np.unique(X, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n = len(X)
    law = {}

    def recurse(prefix_idx, prob):
        if len(prefix_idx) == k:
            key = tuple(int(inverse[i]) for i in prefix_idx)
            law[key] = law.get(key, 0.0) + prob
            return
        if not prefix_idx:
            for i in range(n):
                recurse([i], prob / n)
            return
        if method == "random":
            left = [i for i in range(n) if i not in prefix_idx]
            for i in left:
                recurse(prefix_idx + [i], prob / len(left))
            return
        D = sqdist_ref(X, X[prefix_idx]).min(axis=1)
        p = D / D.sum()
        if method == "plain-k-means++":
            for i in np.flatnonzero(p > 0):
                recurse(prefix_idx + [int(i)], prob * p[i])
            return
        L = 2 + int(math.log(k))
        to = sqdist_ref(X, X)
        phi = np.minimum(D[None, :], to).sum(axis=1)
        support = np.flatnonzero(p > 0)
        for cand in itertools.product(support, repeat=L):
            q = float(np.prod(p[list(cand)]))
            best = min(cand, key=lambda i: phi[i])  # the first of the lowest potential
            recurse(prefix_idx + [int(best)], prob * q)

    recurse([], 1.0)
    return law


@pytest.mark.parametrize("method", METHODS)
def test_sequence_law_matches_brute_force(method):
    case = seeding_checks.distribution_case()
    X = np.asarray(case.X)
    law = seeding_checks.sequence_law(X, case.k, method)
    brute = _brute_force_law(X, case.k, method)
    assert math.isclose(sum(law.values()), 1.0, rel_tol=1e-12)
    assert set(law) == {s for s, p in brute.items() if p > 0}
    for s, p in law.items():
        assert math.isclose(p, brute[s], rel_tol=1e-9), (s, p, brute[s])


def test_distribution_case_has_duplicates_at_random_positions():
    X = np.asarray(seeding_checks.distribution_case().X)
    rows, counts = np.unique(X, axis=0, return_counts=True)
    assert len(rows) == 5 and sorted(counts) == [1, 1, 1, 1, 3]
    assert len(np.unique(X[:5], axis=0)) < 5  # the distinct rows are not simply first


def test_expected_counts_are_large_enough():
    # every cell the chi-square test keeps has an expected count >= MIN_EXPECTED; the pooled rest too
    case = seeding_checks.distribution_case()
    for method in METHODS:
        law = seeding_checks.sequence_law(np.asarray(case.X), case.k, method)
        expected = [p * seeding_checks.SEEDING_RUNS for p in law.values()]
        small = sum(e for e in expected if e < seeding_checks.MIN_EXPECTED)
        assert small == 0 or small >= seeding_checks.MIN_EXPECTED, (method, small)


def test_statistic_refuses_a_wrong_law():
    case = seeding_checks.distribution_case()
    X = np.asarray(case.X)
    law = seeding_checks.sequence_law(X, case.k, "plain-k-means++")
    wrong = seeding_checks.sequence_law(X, case.k, "random")
    rng = np.random.default_rng(0)
    keys = list(wrong)
    draws = rng.choice(len(keys), size=seeding_checks.SEEDING_RUNS, p=np.array([wrong[s] for s in keys]))
    stat, df, threshold, _ = seeding_checks.seeding_statistic([keys[i] for i in draws], law)
    assert stat > threshold


def _our_runs(greedy, runs):
    """The distribution check's verdicts on our k-means++ over ``runs`` independent runs (disjoint
    seed ranges), computed as the check computes them, with the kernel called directly."""
    case = seeding_checks.distribution_case()
    X = np.ascontiguousarray(case.X)
    method = "greedy-k-means++" if greedy else "plain-k-means++"
    law = seeding_checks.sequence_law(X, case.k, method)
    rows = np.unique(X, axis=0)
    fails = 0
    for run in range(runs):
        base = run * seeding_checks.SEEDING_RUNS
        seqs = []
        for seed in range(base, base + seeding_checks.SEEDING_RUNS):
            centers, _ = kernels.kmeans_plusplus(X, case.k, np.random.default_rng(seed), greedy=greedy)
            seqs.append(tuple(int(v) for v in seeding_checks.rows_chosen(X, centers, case.k, "float64", rows)))
        stat, _, threshold, _ = seeding_checks.seeding_statistic(seqs, law)
        fails += stat > threshold
    return fails


@pytest.mark.parametrize("greedy", [True, False])
def test_our_kmeans_plusplus_passes_a_few_runs(greedy):
    assert _our_runs(greedy, 2) == 0


@pytest.mark.slow
@pytest.mark.parametrize("greedy", [True, False])
def test_our_kmeans_plusplus_passes_100_runs(greedy):
    # at a false-alarm rate of 1e-4 per run, 100 runs fail with probability <= 1e-2
    assert _our_runs(greedy, 100) == 0


def test_kmeans_checks_do_not_apply_to_a_seeding_target_and_vice_versa():
    r = run_check("harness.targets.seeding_targets:greedy_kmeans_plusplus", "seeding_contract", profile="quick")
    assert r.status == "pass"
    r = run_check("lloyd", "seeding_distribution", profile="quick")
    assert r.status == "not-applicable"


def test_verify_runs_the_seeding_checks_on_a_seeding_target():
    from harness.targets.runner import Runner
    from properties.suite import SEEDING_CHECKS, checks_for

    with Runner("harness.targets.seeding_targets:random_rows") as runner:
        assert checks_for(runner.target) == list(SEEDING_CHECKS)
        assert runner.target.kind == "seeding" and runner.target.method == "random"


def test_a_kmeans_check_on_a_seeding_target_is_not_applicable_without_a_call():
    r = run_check("harness.targets.seeding_targets:random_rows", "fixed_point", profile="quick", max_examples=2)
    assert r.status == "not-applicable", r.message
