"""The issue-19 robustness machinery: the centered label margin, the far cases, the layouts, the
fresh interpreters and the degenerate ordering."""

from __future__ import annotations

import numpy as np
import pytest

from harness.cases.case import Case
from harness.errors import InvalidArgument
from harness.numerics import tolerances
from harness.targets.fresh_process import LAYOUTS, FreshProcess, layout_array
from harness.targets.options import RunOptions
from harness.targets.runner import Runner
from harness.theory.models import BallMixture
from properties import robustness
from properties.engine import run_check
from strategies.datasets import make_case


def _blob(offset, spread=64.0, n=200, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * spread + offset
    C = X[:3] + rng.standard_normal((3, d)) * spread / 4
    return X, C


def test_centered_margin_is_linear_in_the_offset():
    X, C = _blob(0.0)
    at6 = tolerances.label_margins_centered(X + 1e6, C + 1e6, "float32")
    at7 = tolerances.label_margins_centered(X + 1e7, C + 1e7, "float32")
    ratio = float(np.median(at7 / at6))
    assert 5 < ratio < 12  # ~10x for 10x the offset (linear), not ~100x (quadratic)
    # and far below the margin of fixed_point, which grows with ‖x‖²
    assert np.all(at6 < tolerances.label_margins(X + 1e6, C + 1e6, "float32") / 1e3)


def test_uncentered_float32_expansion_exceeds_the_centered_margin_and_direct_form_does_not():
    # an independent computation of what each method gets wrong at 10^6 in float32
    X, C = _blob(1e6)
    X32, C32 = X.astype(np.float32), C.astype(np.float32)
    exact = ((X[:, None, :] - C[None]) ** 2).sum(-1)
    expansion = (X32 * X32).sum(1)[:, None] - np.float32(2) * (X32 @ C32.T) + (C32 * C32).sum(1)[None, :]
    direct = ((X32[:, None, :] - C32[None]) ** 2).sum(-1, dtype=np.float32)
    margin = tolerances.label_margins_centered(X, C, "float32")
    # a label decided by the computed distances is wrong by up to twice the error of one distance
    assert np.max(2 * np.abs(expansion - exact).max(1) / margin) > 10
    assert np.all(2 * np.abs(direct - exact).max(1) <= margin)


def test_far_mixture_has_enough_float_spacings():
    mixture = BallMixture([[0.0, 0.0], [10.0, 0.0]], 1.0)
    far = robustness.far_mixture(mixture, 1e6, "float32", np.array([1.0, 0.0]))
    assert far.radius >= tolerances.FAR_SPREAD_SPACINGS * tolerances.float_spacing(1e6, "float32")
    assert np.isclose(far.centers.mean(axis=0)[0], 1e6, rtol=1e-3)
    assert robustness.far_mixture(mixture, 1e8, "float64", np.array([1.0, 0.0])).radius == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layout_arrays(dtype):
    X = np.arange(12.0).reshape(6, 2)
    arrays = {layout: layout_array(X, layout, dtype) for layout in LAYOUTS}
    for a in arrays.values():
        assert a.dtype == dtype and np.array_equal(a, X)
    assert arrays["C"].flags.c_contiguous and arrays["F"].flags.f_contiguous and not arrays["F"].flags.c_contiguous
    assert not arrays["strided"].flags.c_contiguous and not arrays["strided"].flags.f_contiguous
    assert np.isnan(arrays["strided"].base).any()
    assert not arrays["read-only"].flags.writeable
    with pytest.raises(ValueError):
        layout_array(X, "diagonal", dtype)


def test_fresh_process_runs_with_its_own_hash_seed():
    process = FreshProcess("tests/zoo/correct.py:lloyd_numpy", hash_seed=7)
    try:
        assert process.ready()["hash_seed"] == "7"
        X = np.random.default_rng(0).standard_normal((50, 2))
        fit = process.fit(X, 2, seed=1, layout="F")
        assert fit.centers.shape == (2, 2) and fit.labels.shape == (50,)
    finally:
        process.close()


def test_layout_check_builds_the_arrays_in_a_fresh_process_when_isolated():
    with Runner("tests/zoo/broken.py:layout_bug", RunOptions(isolate=True, timeout=60)) as runner:
        r = run_check(runner, "layout_invariance", profile="quick", max_examples=3)
    assert r.status == "fail" and "Fortran-ordered" in r.message


def test_deterministic_of_a_python_object_runs_in_process_only():
    from tests.zoo.broken import hash_seeded

    # no spec: the two calls run in this process, where hash() is stable, so it passes there
    assert run_check(hash_seeded, "deterministic", profile="quick").status == "pass"
    assert run_check("tests/zoo/broken.py:hash_seeded", "deterministic", profile="quick").status == "fail"


def test_duplicates_order():
    kwargs = dict(distinct_points=3)
    first = make_case(BallMixture([[0.0, 0.0]], 1.0), 20, 4, 5, "none", 0, **kwargs)
    scattered = make_case(BallMixture([[0.0, 0.0]], 1.0), 20, 4, 5, "none", 0, duplicates_order="scattered", **kwargs)
    assert len(np.unique(first.X[:3], axis=0)) == 3
    assert sorted(map(tuple, first.X.tolist())) == sorted(map(tuple, scattered.X.tolist()))
    assert not np.array_equal(first.X, scattered.X)
    record = scattered.to_record()
    assert Case.from_record(record).duplicates_order == "scattered"
    del record["duplicates_order"]  # a record written before the field existed
    assert np.array_equal(Case.from_record(record).X, first.X)
    with pytest.raises(InvalidArgument, match="duplicates_order"):
        Case(BallMixture([[0.0]], 1.0), 5, 2, 0, duplicates_order="sorted")
