"""The structure checks (properties.structure_checks) on correct and wrong solutions, and their
wiring into the engine (own cases, the per-case structure report)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.clustering import kmeans as api
from harness.errors import NotApplicable, PropertyFailure
from harness.targets.fit import Fit
from harness.targets.loader import load_target
from harness.theory.models import BallMixture, GaussianMixture
from properties.engine import CheckRunner, as_runner, run_check
from properties.structure_checks import (
    VERDICT_MIN_CLUSTER_POINTS,
    check_partition_structure,
    check_truth_is_global_minimum,
    false_alarm_rate,
)
from strategies.datasets import make_case
from strategies.theorems import theorem1_mixture, theorem2_mixture


@pytest.fixture(scope="module")
def lloyd_runner():
    return CheckRunner(as_runner("lloyd"))


def fit_of(centers, labels=None, converged=True):
    return Fit(centers, labels, converged, 1, raw_centers=centers, raw_labels=labels)


def _labels(X, C):
    return np.argmin(((X[:, None] - C[None]) ** 2).sum(axis=2), axis=1)


@pytest.mark.parametrize("build", [theorem1_mixture, theorem2_mixture])
def test_correct_solution_passes(build, lloyd_runner):
    mixture = build(3, 2, seed=4)
    case = make_case(mixture, 3 * VERDICT_MIN_CLUSTER_POINTS, 3, 1, "k-means++", 2, stratified=True)
    r = api.lloyd(case.X, case.init)
    check_partition_structure(case, fit_of(r.centers, r.labels), lloyd_runner)
    assert lloyd_runner.structure_report["holds"] and lloyd_runner.structure_report["verdict"]


def test_many_fit_many_solution_fails(lloyd_runner):
    mixture = theorem1_mixture(3, 1, seed=0, factor=100.0)
    case = make_case(mixture, 3 * VERDICT_MIN_CLUSTER_POINTS, 3, 1, "truth", 2, stratified=True)
    T = np.array(mixture.centers)
    a, b, c = T[np.argsort(T[:, 0])]
    bad = np.array([(2 * a + b) / 3, (2 * c + b) / 3, (a + c) / 2 + 1e9])
    with pytest.raises(PropertyFailure, match="no partition") as info:
        check_partition_structure(case, fit_of(bad, _labels(case.X, bad)), lloyd_runner)
    assert info.value.details["ratio"] > 1


def test_small_clusters_report_without_verdict(lloyd_runner):
    mixture = theorem1_mixture(2, 1, seed=0)
    case = make_case(mixture, 2 * 4, 2, 1, "k-means++", 2, stratified=True)
    r = api.lloyd(case.X, case.init)
    with pytest.raises(NotApplicable, match="without verdict"):
        check_partition_structure(case, fit_of(r.centers, r.labels), lloyd_runner)
    assert lloyd_runner.structure_report["verdict"] is False


@pytest.mark.parametrize(
    "case, why",
    [
        (make_case(BallMixture.with_separation(3, 2, 10.0), 90, 3, 1), "assumptions"),
        (make_case(theorem1_mixture(3, 2), 90, 2, 1), "differs"),
    ],
)
def test_not_applicable(case, why, lloyd_runner):
    r = api.lloyd(case.X, case.init)
    with pytest.raises(NotApplicable, match=why):
        check_partition_structure(case, fit_of(r.centers, r.labels), lloyd_runner)


def test_truth_is_global_minimum(lloyd_runner):
    mixture = BallMixture.with_separation(3, 2, 12.0, seed=2)
    case = make_case(mixture, 300, 3, 5, "k-means++", 6, stratified=True)
    r = api.lloyd(case.X, case.init)
    check_truth_is_global_minimum(case, fit_of(r.centers, r.labels), lloyd_runner)
    # a global-optimum claim with a spurious solution (two centers on one cluster) is caught
    runner = CheckRunner(as_runner("lloyd"))
    runner.target = type(runner.target)(**{**runner.target.__dict__, "claims": "global-optimum"})
    T = np.array(mixture.centers)
    spurious = np.array([T[0] - 0.5, T[0] + 0.5, (T[1] + T[2]) / 2])
    with pytest.raises(PropertyFailure, match="global optimum"):
        check_truth_is_global_minimum(case, fit_of(spurious, _labels(case.X, spurious)), runner)
    with pytest.raises(NotApplicable, match="Ball"):
        gauss = make_case(GaussianMixture.with_separation(3, 2, 12.0), 90, 3, 1)
        check_truth_is_global_minimum(gauss, fit_of(T, _labels(gauss.X, T)), lloyd_runner)


def test_engine_uses_the_checks_own_cases_and_reports_structure():
    result = run_check(load_target("lloyd"), "partition_structure", max_examples=6)
    assert result.status in ("pass", "not-applicable"), result.message
    assert result.structure and all("counts" in s for s in result.structure)
    assert result.to_record()["structure"] == result.structure


def test_false_alarm_rate_smoke():
    failures, cases, ratios = false_alarm_rate(VERDICT_MIN_CLUSTER_POINTS, 5, seed=3)
    assert cases == 5 and len(ratios) == 5 and not failures
