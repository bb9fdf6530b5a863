"""Strategies: bad arguments raise Hypothesis's InvalidArgument naming the argument (a table), and
drawn cases honour their bounds and rebuild from their records."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

from harness.cases.case import Case
from strategies import ball_mixtures, datasets, gaussian_mixtures

BAD = [
    (ball_mixtures, {"min_k": 0}, "min_k"),
    (ball_mixtures, {"min_k": 3, "max_k": 2}, "min_k"),
    (ball_mixtures, {"max_k": 2.5}, "max_k"),
    (ball_mixtures, {"min_dim": 0}, "min_dim"),
    (ball_mixtures, {"min_separation_ratio": 2.0}, "min_separation_ratio"),
    (ball_mixtures, {"min_separation_ratio": float("nan")}, "min_separation_ratio"),
    (ball_mixtures, {"min_separation_ratio": 30.0, "max_separation_ratio": 10.0}, "min_separation_ratio"),
    (ball_mixtures, {"max_separation_ratio_spread": 0.5}, "max_separation_ratio_spread"),
    (ball_mixtures, {"radius": 0.0}, "radius"),
    (gaussian_mixtures, {"sigma": -1.0}, "sigma"),
    (gaussian_mixtures, {"min_dim": 4, "max_dim": 1}, "min_dim"),
    (datasets, {"max_points": 1}, "max_points"),
    (datasets, {"init_kinds": ["bogus"]}, "init_kinds"),
    (datasets, {"init_kinds": []}, "init_kinds"),
]


@pytest.mark.parametrize("strategy, kwargs, name", BAD, ids=[f"{s.__name__}-{n}" for s, _, n in BAD])
def test_bad_arguments_name_the_argument(strategy, kwargs, name):
    with pytest.raises(InvalidArgument, match=name):
        strategy(**kwargs)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(ball_mixtures(min_k=2, max_k=4, min_dim=2, max_dim=3, min_separation_ratio=5, max_separation_ratio=9))
def test_mixtures_honour_bounds(m):
    assert 2 <= m.k <= 4 and 2 <= m.dim <= 3
    assert 5 * (1 - 1e-9) <= m.separation_ratio_min <= 9 * (1 + 1e-9)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(datasets(allow_large=False))
def test_case_rebuilds_from_its_record(case):
    again = Case.from_record(case.to_record())
    assert np.array_equal(again.X, case.X)
    assert (case.init is None) == (again.init is None)
    if case.init is not None:
        assert np.array_equal(again.init, case.init) and case.init.shape == (case.k, case.dim)
    assert case.k <= case.n
