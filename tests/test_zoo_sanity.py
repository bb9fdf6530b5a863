"""The target zoo is what it says: every correct target recovers well-separated centers and ends at
an exact fixed point, and every broken target misbehaves on the input its docstring names.

The checker here is deliberately simple and independent of the harness's property suite: it
only guards the zoo, which is then used to measure that suite.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from harness.targets.loader import load_target
from harness.theory.models import BallMixture
from tests.zoo import broken, correct

# ------------------------------------------------------------------------------------------------
# A small independent checker


def _sqdist(X, C):
    diff = np.asarray(X, dtype=np.float64)[:, None, :] - np.asarray(C, dtype=np.float64)[None, :, :]
    return np.einsum("nkd,nkd->nk", diff, diff)


def _objective(X, C):
    return float(_sqdist(X, C).min(axis=1).sum())


def _run(f, X, k, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's warnings on duplicate points
        return load_target(f).run(X, k, **kwargs)


def _problems(f, X, k, fit, *, X_before=None):
    """Contract violations, then (when convergence is claimed) fixed-point violations."""
    X = np.asarray(X)
    n, d = X.shape
    rtol = 1e-5 if load_target(f).precision == "float32" else 1e-9
    out = []
    if X_before is not None and not np.array_equal(X, X_before):
        out.append("X was modified")
    C, L = np.asarray(fit.centers), np.asarray(fit.labels)
    if C.shape != (k, d):
        out.append(f"centers shape {C.shape} != {(k, d)}")
    if L.shape != (n,) or not np.issubdtype(L.dtype, np.integer):
        out.append(f"labels shape {L.shape} dtype {L.dtype}")
    if out or not np.all(np.isfinite(C)) or L.min() < 0 or L.max() >= k:
        return out or ["non-finite centers or labels out of range"]
    if not fit.converged:
        return out
    scale = max(1.0, float(np.abs(X).max()))
    D = _sqdist(X, C)
    gap = D[np.arange(n), L] - D.min(axis=1)
    if gap.max() > rtol * scale**2:
        out.append(f"label not nearest (gap {gap.max():.3g})")
    for j in np.unique(L):
        err = np.abs(np.asarray(X[L == j], dtype=np.float64).mean(axis=0) - C[j]).max()
        if err > rtol * scale:
            out.append(f"center {j} off its cell mean by {err:.3g}")
            break
    return out


def _balls(n=3000, *, offset=0.0, eta=10, k=4, dim=2):
    mixture = BallMixture.with_separation(k=k, dim=dim, separation_ratio_min=eta, seed=0, offset=offset)
    X, _ = mixture.sample(n, seed=1)
    return X, mixture.centers.copy()


def _uniform(n, d=2, seed=0):
    return np.random.default_rng(seed).random((n, d))


# ------------------------------------------------------------------------------------------------
# Scenarios: each returns the problems it finds with target ``f``; a broken target's trigger must
# find one, a correct target must pass every scenario.


def _fixed_point_on(X, init):
    k = init.shape[0]

    def scenario(f):
        X_before = X.copy()
        return _problems(f, X, k, _run(f, X, k, init=init.copy(), seed=0), X_before=X_before)

    return scenario


def _balls_far_init():
    X, truth = _balls(2000)
    return X, np.vstack([truth, [[1e3, 1e3]]])  # the fifth center's cluster is empty from the start


def _objective_scenario(f):
    X, truth = _balls(2000, offset=1e3)
    init = truth + 0.5
    fit = _run(f, X, 4, init=init, seed=0)
    worse = _objective(X, fit.centers) > _objective(X, init) * (1 + 1e-9)
    return ["objective worse than at init"] if worse else []


def _respects_init_scenario(f):
    X = _uniform(1500)
    fixed = _run(correct.lloyd_numpy, X, 6, init=X[:6]).centers  # a fixed point, no empty cell
    fit = _run(f, X, 6, init=fixed, seed=0)
    rtol = 1e-5 if load_target(f).precision == "float32" else 1e-9
    return [] if np.allclose(fit.centers, fixed, rtol=0, atol=rtol) else ["did not stay at a fixed-point init"]


def _deterministic_scenario(f):
    X = _uniform(1000)
    a, b = _run(f, X, 8, seed=0), _run(f, X, 8, seed=0)
    same = np.array_equal(a.centers, b.centers) and np.array_equal(a.labels, b.labels)
    return [] if same else ["two runs with seed=0 differ"]


def _scaling_scenario(f):
    X = _uniform(3000)
    a = _run(f, X, 5, init=X[:5].copy(), seed=0)
    c = 1e-6
    b = _run(f, X * c, 5, init=X[:5] * c, seed=0)
    rtol = 1e-4 if load_target(f).precision == "float32" else 1e-9
    if np.allclose(np.asarray(b.centers) / c, a.centers, rtol=0, atol=rtol) and np.array_equal(a.labels, b.labels):
        return _problems(f, X * c, 5, b)
    return ["fit(cX) != c fit(X)"]


def _ties_scenario(f):
    X = np.array([[2.0], [4.0], [5.0], [5.0]])
    return _problems(f, X, 2, _run(f, X, 2, init=np.array([[4.0], [5.0]]), seed=0))


def _duplicates_scenario(f):
    X, truth = _balls(1500)
    X = np.vstack([X, X[:400]])
    return _problems(f, X, 4, _run(f, X, 4, init=truth, seed=0))


def _k1_scenario(f):
    X, _ = _balls(500)
    return _problems(f, X, 1, _run(f, X, 1, init=X[:1].copy(), seed=0))


def _d1_scenario(f):
    X = np.concatenate([_uniform(300, 1), _uniform(300, 1) + 5.0])
    return _problems(f, X, 2, _run(f, X, 2, init=np.array([[0.5], [5.5]]), seed=0))


def _n_close_to_k_scenario(f):
    X = np.array([[0.0], [1.0], [5.0], [6.0], [10.0]])
    return _problems(f, X, 3, _run(f, X, 3, init=np.array([[0.0], [5.0], [9.0]]), seed=0))


def _early_stop_scenario(f):
    X = _uniform(2000)
    return _problems(f, X, 8, _run(f, X, 8, init=X[:8].copy(), seed=0))


def _tolerance_scenario(f):
    X = _uniform(5000)
    return _problems(f, X, 5, _run(f, X, 5, init=X[:5].copy(), seed=0))


def _l1_scenario(f):
    X = _uniform(2000)
    return _problems(f, X, 5, _run(f, X, 5, init=X[:5].copy(), seed=0))


def _relabel_scenario(f):
    X, truth = _balls()
    init = truth[np.argsort(-truth[:, 0])]  # descending first coordinate: sorting reorders it
    return _problems(f, X, 4, _run(f, X, 4, init=init, seed=0))


def _k7_scenario(f):
    X, truth = _balls(2100, k=7)
    return _problems(f, X, 7, _run(f, X, 7, init=truth, seed=0))


def _high_dim_scenario(f):
    # two balls in d = 33 apart along the last axis only: that coordinate decides every label
    truth = np.zeros((2, 33))
    truth[:, -1] = [-3.0, 3.0]
    X, _ = BallMixture(truth, 1.0).sample(600, seed=1)
    return _problems(f, X, 2, _run(f, X, 2, init=truth, seed=0))


def _init_unchanged_scenario(f):
    X, truth = _balls(500)
    init = truth + 0.1
    before = init.copy()
    _run(f, X, 4, init=init, seed=0)
    return [] if np.array_equal(init, before) else ["init was modified"]


SEPARATED = _fixed_point_on(*_balls())
SCENARIOS = {
    "separated": SEPARATED,
    "far_init": _fixed_point_on(*_balls_far_init()),
    "offset_1e3": _fixed_point_on(*_balls(offset=1e3)),
    "offset_1e5": _fixed_point_on(*_balls(offset=1e5)),
    "n_12000": _fixed_point_on(*_balls(12000)),
    "objective": _objective_scenario,
    "respects_init": _respects_init_scenario,
    "deterministic": _deterministic_scenario,
    "scaling": _scaling_scenario,
    "ties": _ties_scenario,
    "duplicates": _duplicates_scenario,
    "k1": _k1_scenario,
    "d1": _d1_scenario,
    "n_close_to_k": _n_close_to_k_scenario,
    "early_stop": _early_stop_scenario,
    "tolerance": _tolerance_scenario,
    "l1": _l1_scenario,
    "relabel": _relabel_scenario,
    "k7": _k7_scenario,
    "high_dim": _high_dim_scenario,
    "init_unchanged": _init_unchanged_scenario,
}

#: The scenario that exposes each broken target.
TRIGGER = {
    "wrong_update": "separated",
    "wrong_update_shrink": "objective",
    "wrong_distance": "l1",
    "early_stop": "early_stop",
    "stale_labels": "tolerance",
    "loose_tolerance": "tolerance",
    "absolute_tolerance": "scaling",
    "shuffled_labels": "separated",
    "relabel_bug": "relabel",
    "ties_bug": "ties",
    "nan_on_empty": "far_init",
    "wrong_shapes": "far_init",
    "empty_cluster_reinit_bug": "far_init",
    "frozen_center": "separated",
    "input_mutation": "offset_1e3",
    "ignores_init": "respects_init",
    "ignores_seed": "deterministic",
    "float32_accumulation_bug": "offset_1e3",
    "far_from_origin_bug": "offset_1e5",
    "scale_bug": "n_12000",
    "n_close_to_k_bug": "n_close_to_k",
    "degenerate_k1_bug": "k1",
    "degenerate_d1_bug": "d1",
    "duplicate_points_bug": "duplicates",
    "label_roundtrip_bug": "k7",
    "high_dim_bug": "high_dim",
    "init_mutation": "init_unchanged",
}


# ------------------------------------------------------------------------------------------------
# Correct targets


@pytest.fixture(scope="module")
def separated():
    mixture = BallMixture.with_separation(k=4, dim=2, separation_ratio_min=10, seed=0)
    X, _ = mixture.sample(3000, seed=1)
    return X, mixture.centers


@pytest.mark.parametrize("f", correct.CORRECT, ids=lambda f: f.__name__)
def test_correct_recovers_separated_centers(f, separated):
    X, truth = separated
    fit = _run(f, X, 4, init=truth, seed=0)
    centers = np.asarray(fit.centers, dtype=np.float64)
    assert centers.shape == truth.shape
    np.testing.assert_allclose(centers, truth, atol=0.05)
    nearest = np.argmin(_sqdist(X, centers), axis=1)
    np.testing.assert_array_equal(fit.labels, nearest)
    assert fit.converged is True


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("f", correct.CORRECT, ids=lambda f: f.__name__)
def test_correct_passes_every_scenario(f, scenario):
    assert SCENARIOS[scenario](f) == []


@pytest.mark.parametrize("f", correct.CORRECT, ids=lambda f: f.__name__)
def test_correct_degenerate_inputs(f):
    cases = [
        (np.array([[3.0, 4.0]]), 1),  # n = k = 1
        (np.ones((5, 2)), 3),  # identical points, k > 1
        (np.arange(12.0).reshape(6, 2), 6),  # k = n
        (np.array([[0, 0], [1, 0], [5, 5], [6, 5]]), 2),  # integer data
    ]
    for X, k in cases:
        assert _problems(f, X, k, _run(f, X, k, seed=0)) == []


@pytest.mark.parametrize("f", correct.CORRECT, ids=lambda f: f.__name__)
def test_correct_converges_with_fewer_distinct_points_than_k(f):
    # 15 copies of a and b: their cell means round an ulp off them, which once kept a relocating
    # target moving the spare center back and forth forever
    a, b = [3.20211325221641, 0.5245005857651985], [-2.6783468658055547, 1.8079752745474238]
    X = np.array([a, b] * 15)
    fit = _run(f, X, 3, init=np.array([a, b, b]), seed=0)
    assert fit.converged is True
    assert _problems(f, X, 3, fit) == []


# ------------------------------------------------------------------------------------------------
# Broken targets


def test_every_broken_target_has_a_trigger():
    assert set(TRIGGER) | {"early_stop_honest"} == {f.__name__ for f in broken.BROKEN}


@pytest.mark.parametrize("name", sorted(TRIGGER))
def test_broken_target_misbehaves_on_its_trigger(name):
    assert SCENARIOS[TRIGGER[name]](getattr(broken, name)) != []


@pytest.mark.parametrize("name", sorted(TRIGGER))
def test_broken_target_is_subtle(name):
    """Most bugs need their trigger: on well-separated data from the true centers they look right."""
    always_wrong = {
        "shuffled_labels",  # every k >= 2
        "relabel_bug",  # unless the centers come out sorted by their first coordinate
        "wrong_update",  # median != mean on any cell of 3+ points in general position
        "wrong_update_shrink",  # sum / (count + 1)
        "frozen_center",  # center 0 stays at the true center, not the sample mean
        "float32_accumulation_bug",  # ~1e-7 relative, far above float64 roundoff
        "input_mutation",  # the caller's X whenever its mean is not 0
    }
    if name in always_wrong:
        pytest.skip("wrong on (almost) every input by construction")
    assert SEPARATED(getattr(broken, name)) == []


def test_early_stop_honest_reports_not_converged():
    X = _uniform(2000)
    fit = _run(broken.early_stop_honest, X, 8, init=X[:8].copy(), seed=0)
    assert fit.converged is False and fit.n_iter == 2
    assert _problems(broken.early_stop_honest, X, 8, fit) == []  # no false claim: nothing to fail
