"""The 1-D theory reproductions recompute the paper's claims: exact G, its derivatives checked by
finite differences, Proposition 2 on a grid of radii, and Example 1's threshold."""

import math

import numpy as np
import pytest

from harness.theory.exact_1d import (
    ball_gradient_1d,
    ball_hessian_1d,
    ball_objective_1d,
    example1,
    example1_configuration,
    finite_difference_hessian,
    paper_example1_threshold_from_printed_hessian,
    prop2,
)
from harness.theory.models import BallMixture


def test_objective_matches_a_large_sample():
    # Monte Carlo: the sample objective / n has standard error sd(min sq dist)/sqrt(n); 6 SE bound
    truth, r = np.array([-2.0, 0.0, 2.0]), 0.3
    beta = np.array([-2.1, -1.9, 1.0])
    X, _ = BallMixture(truth[:, None], r).sample(400_000, seed=0)
    d2 = ((X - beta[None, :]) ** 2).min(axis=1)
    assert abs(d2.mean() - ball_objective_1d(truth, r, beta)) < 6 * d2.std() / math.sqrt(len(d2))


def test_truth_objective_is_the_ball_variance():
    # E(x - c)^2 for x uniform on [c - r, c + r] is r^2 / 3
    assert ball_objective_1d([-2, 0, 2], 0.3, [-2, 0, 2]) == pytest.approx(0.03, rel=1e-12)


@pytest.mark.parametrize("beta", [[-2.3, -1.7, 0.9], [-1.0, 0.5, 2.2], [-2.05, 0.1, 1.95]])
def test_gradient_and_hessian_match_finite_differences(beta):
    truth, r = [-2.0, 0.0, 2.0], 0.35
    f = lambda b: ball_objective_1d(truth, r, b)  # noqa: E731
    h = 1e-5
    fd = np.array([(f(np.add(beta, e * h)) - f(np.subtract(beta, e * h))) / (2 * h) for e in np.eye(3)])
    # central differences of a piecewise cubic: error O(h^2) ~ 1e-10, plus rounding ~ 1e-16 / h
    assert np.max(np.abs(fd - ball_gradient_1d(truth, r, beta))) < 1e-8
    assert np.max(np.abs(finite_difference_hessian(f, np.array(beta)) - ball_hessian_1d(truth, r, beta))) < 1e-6


def test_prop2_holds_below_0_4_and_fails_above():
    out = prop2()
    assert out["verdict"] == "confirmed"
    for row in out["ours"]:
        assert row["local_minimum"] == (row["r"] < 0.4)
        assert row["objective"] > row["objective_truth"]  # spurious: worse than the truth


def test_example1_threshold_is_4_over_17_not_the_papers():
    out = example1()
    assert out["ours"]["threshold_bisection"] == pytest.approx(4 / 17, abs=1e-12)
    paper = 1 / (9 * math.sqrt(2) / 2 - 1 / 4)
    assert paper_example1_threshold_from_printed_hessian() == pytest.approx(paper, rel=1e-10)
    # between the two thresholds the exact Hessian (confirmed by finite differences) is indefinite
    r = (paper + 4 / 17) / 2
    truth, beta = example1_configuration(r)
    H = finite_difference_hessian(lambda b: ball_objective_1d(truth, r, np.r_[b, beta[2]]), beta[:2])
    assert np.linalg.eigvalsh(H).min() < 0
    assert out["ours"]["objective_comparison"] == "G(β) > G(β*) for every valid r"
