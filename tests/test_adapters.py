"""The worked adapters of docs/wrapping.md (examples/adapters/) and the built-in sklearnex peer: each
is verified where its library installs and skipped, saying why, where it does not; the findings
they led to (docs/findings.md) still reproduce from their stored cases."""

from __future__ import annotations

import importlib.util
import logging
import os

import numpy as np
import pytest

from harness.cases.case import Case
from harness.targets.loader import load_builtin, load_target
from harness.targets.options import RunOptions
from harness.targets.runner import Runner
from properties.engine import replay_case, run_check

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADAPTERS = os.path.join(ROOT, "examples", "adapters")
CASES = os.path.join(ROOT, "docs", "cases")


def _needs(module: str, package: str):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{package} is not installed here (pip install {package}); its adapter is not verified")


#: adapter -> (import name, pip package, the checks it must pass).  The checks are those that call the
#: library through the runner; the findings below are the ones it fails.
ADAPTER_CHECKS = {
    "sklearnex_kmeans.py:kmeans": (
        "sklearnex",
        "scikit-learn-intelex",
        ["output_contract", "objective_not_worse_than_init", "respects_init", "deterministic", "permute_points"],
    ),
    "pyclustering_kmeans.py:fit": (
        "pyclustering",
        "pyclustering",
        ["output_contract", "fixed_point", "objective_not_worse_than_init", "respects_init", "deterministic"],
    ),
    "opencv_kmeans.py:fit": (
        "cv2",
        "opencv-python-headless",
        ["output_contract", "objective_not_worse_than_init", "respects_init", "deterministic", "translate"],
    ),
}


@pytest.mark.parametrize("adapter", list(ADAPTER_CHECKS))
def test_the_guide_adapter_passes_its_checks(adapter):
    module, package, checks = ADAPTER_CHECKS[adapter]
    _needs(module, package)
    with Runner(os.path.join(ADAPTERS, adapter), RunOptions(isolate=False)) as runner:
        failed = []
        for check in checks:
            r = run_check(runner, check, profile="quick", seed=0)
            if not r.passed:
                failed.append(f"{check}: {r.status}: {r.message}")
    assert not failed, failed


def test_the_sklearnex_peer_is_declared_and_runs_onedal(caplog):
    _needs("sklearnex", "scikit-learn-intelex")
    target = load_builtin("sklearnex")
    assert (target.min_k, target.needs_n_greater_than_k) == (2, True)  # its documented fallbacks
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1.0, (50, 2)) for c in ((0, 0), (10, 0), (0, 10))])
    with caplog.at_level(logging.INFO, logger="sklearnex"):
        fit = target.run(X, 3, init=X[[0, 50, 100]], seed=0)
    messages = [r.getMessage() for r in caplog.records if r.name == "sklearnex"]
    assert any("running accelerated version" in m for m in messages), messages
    assert not any("fallback" in m.lower() for m in messages), messages
    assert fit.converged and np.bincount(fit.labels, minlength=3).tolist() == [50, 50, 50]
    assert load_builtin("sklearnex", max_iter=5).fit is not None  # bench's cap


@pytest.mark.parametrize(
    ("case_file", "check", "status"),
    [
        ("sklearnex-fixed_point-fewer-distinct-points.json", "fixed_point", "not-converged"),
        ("sklearnex-far_from_origin-1e8.json", "far_from_origin", "fail"),
    ],
)
def test_the_sklearnex_findings_still_reproduce(case_file, check, status):
    """docs/findings.md records these; when sklearnex fixes one, this fails: update the findings."""
    _needs("sklearnex", "scikit-learn-intelex")
    from properties.suite import CHECKS

    if check not in CHECKS:
        pytest.skip(f"the {check} check is not in this suite")
    r = replay_case(load_target("sklearnex"), check, Case.load(os.path.join(CASES, case_file)))
    assert r.status == status, r.message
