"""Plugging in a real library (issue 18): declared limitations excuse only the cases they name,
one cause is reported once, a check that does not apply never calls the target, a hanging target
gets its verdict fast, the target's output is captured at the file-descriptor level, and an
undeclared float32 target gets a hint."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

import harness
from harness.cli.main import main
from harness.errors import InvalidArgument
from harness.targets.declaration import Target
from harness.targets.loader import load_target
from harness.targets.options import RunOptions
from harness.targets.runner import Runner
from properties.engine import STATUSES, run_check
from properties.limitations import empty_cell_reason
from properties.verify import Verification

HERE = os.path.dirname(os.path.abspath(__file__))
CORRECT = os.path.join(HERE, "zoo", "correct.py") + ":{}"
BROKEN = os.path.join(HERE, "zoo", "broken.py") + ":{}"
HOSTILE = os.path.join(HERE, "zoo", "hostile.py") + ":{}"

#: the checks that call the target through the runner on the case and on restarts
CORE = ["output_contract", "fixed_point", "objective_not_worse_than_init", "respects_init", "deterministic"]


# ------------------------------------------------------------------------------------------------
# declared limitations


@pytest.mark.parametrize(
    ("keywords", "phrase"),
    [
        ({"min_k": 0}, "min_k: expected an int >= 1, got 0"),
        ({"min_k": 2.0}, "min_k: expected an int >= 1, got 2.0"),
        ({"min_k": True}, "min_k: expected an int >= 1, got True"),
        (
            {"empty_clusters": "split"},
            "empty_clusters: expected one of ('keep', 'relocate', 'drop', 'raise'), got 'split'",
        ),
        ({"needs_n_greater_than_k": "yes"}, "needs_n_greater_than_k: expected True or False, got 'yes'"),
        ({"max_dim": 0}, "max_dim: expected a positive int or None"),
        ({"emtpy_clusters": "drop"}, "target: unknown keyword 'emtpy_clusters'"),
        ({"claims": "exact"}, "claims: expected one of"),
        ({"name": 3}, "name: expected a string, got 3"),
    ],
)
def test_a_bad_declaration_is_refused_by_name(keywords, phrase):
    with pytest.raises(InvalidArgument) as info:
        harness.target(**keywords)
    assert phrase in str(info.value)


def test_defaults_and_the_record_round_trip():
    t = load_target(lambda X, k, *, init=None, seed=None: None)
    assert (t.min_k, t.empty_clusters, t.needs_n_greater_than_k) == (1, "keep", False)
    declared = load_target(CORRECT.format("drops_empty"))
    again = Target.from_record(json.loads(json.dumps(declared.record())), fit=declared.fit)
    assert again.record() == declared.record() and again.empty_clusters == "drop"


def test_the_declaration_crosses_to_the_worker():
    with Runner(CORRECT.format("raises_at_k1"), RunOptions(isolate=True, timeout=60)) as runner:
        assert runner.target.min_k == 2


def test_empty_cell_reason_is_the_reference_lloyd_from_the_same_init():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    assert empty_cell_reason(X, 2, np.array([[0.5], [10.5]])) is None
    # a center beyond every point starts empty
    assert "empties cell 2 at the first assignment" in empty_cell_reason(X, 3, np.array([[0.5], [10.5], [99.0]]))
    # fewer distinct points than k: every answer has an empty cell, with or without init
    assert "fewer distinct points (2) than k = 3" in empty_cell_reason(np.array([[0.0], [0.0], [1.0]]), 3, None)
    # no init and enough distinct points: the target seeds itself, nothing is excused
    assert empty_cell_reason(X, 3, None) is None


@pytest.mark.parametrize("name", ["raises_at_k1", "drops_empty", "raises_on_empty"])
def test_a_correct_target_with_a_declared_limitation_passes(name):
    target = load_target(CORRECT.format(name))
    runner = Runner(target, RunOptions(isolate=False))
    # the layout relation calls the target outside the runner's own fit, through its screen
    results = [run_check(runner, check, profile="quick", seed=0) for check in (*CORE, "layout_invariance")]
    failed = [f"{r.name}: {r.status}: {r.message}" for r in results if not r.passed]
    assert not failed, failed
    assert sum(sum(r.excused.values()) for r in results) > 0  # the limitation was needed
    # ... and without the declaration the same code fails
    bare = Target(name=name, fit=target.fit)
    assert not run_check(Runner(bare, RunOptions(isolate=False)), "output_contract", profile="quick", seed=0).passed


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("raises_when_not_empty", "it declares empty_clusters='raise', but no cell need empty here"),
        ("drops_nonempty_cluster", "it declares empty_clusters='drop', but no cell need empty here"),
    ],
)
def test_an_overreaching_limitation_still_fails(name, phrase):
    r = run_check(load_target(BROKEN.format(name)), "output_contract", profile="quick", seed=0)
    assert not r.passed and phrase in r.message


def test_a_dropped_answer_is_still_judged():
    """Declared "drop", on a case where a cell empties: the kept centers must be cell means."""

    @harness.target(empty_clusters="drop")
    def drops_and_shifts(X, k, *, init=None, seed=None):
        C = np.array([X[: len(X) // 2].mean(axis=0) + 1.0, X[len(X) // 2 :].mean(axis=0)])
        labels = np.repeat([0, 1], [len(X) // 2, len(X) - len(X) // 2])
        return C, labels

    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    with Runner(drops_and_shifts, RunOptions(isolate=False)) as runner:
        from harness.errors import PropertyFailure
        from properties.engine import CheckRunner

        with pytest.raises(PropertyFailure, match="after dropping 1 empty clusters: center 0 is not the mean"):
            CheckRunner(runner)(X, 3, init=np.array([[0.5], [10.5], [99.0]]), seed=0)


# ------------------------------------------------------------------------------------------------
# no wasted calls


def _counting(claims):
    from harness.targets.peers import _lloyd_fit

    inner = _lloyd_fit(np.float64, 1000)

    @harness.target(claims=claims)
    def fit(X, k, *, init=None, seed=None):
        return inner(X, k, init=init, seed=seed)

    return fit


def test_an_approximate_target_is_called_at_most_40_percent_as_often():
    calls = {}
    for claims in ("fixed-point", "approximate"):
        runner = Runner(_counting(claims), RunOptions(isolate=False))
        report = Verification(runner, spec=claims, profile="quick").run()
        calls[claims] = runner.calls
        assert report.calls == runner.calls  # every call is counted against a check
        if claims == "approximate":
            assert all(r.calls == 0 for r in report.checks if r.status == "not-applicable"), [
                (r.name, r.calls) for r in report.checks
            ]
    assert calls["approximate"] <= 0.4 * calls["fixed-point"], calls


def test_fits_are_shared_but_the_deterministic_check_makes_its_own():
    runner = Runner(_counting("fixed-point"), RunOptions(isolate=False))
    report = Verification(
        runner, spec="x", profile="quick", checks=["output_contract", "fixed_point", "deterministic"]
    ).run()
    by_name = {r.name: r for r in report.checks}
    assert by_name["output_contract"].calls > 0
    assert by_name["fixed_point"].calls == 0  # the same fits as output_contract
    assert by_name["deterministic"].calls == 2 * by_name["deterministic"].applicable_examples


def test_a_target_declared_non_deterministic_shares_nothing():
    fit = _counting("fixed-point")
    fit.__kmeans_harness__["deterministic"] = False
    runner = Runner(fit, RunOptions(isolate=False))
    report = Verification(runner, spec="x", profile="quick", checks=["output_contract", "fixed_point"]).run()
    assert [r.calls for r in report.checks] == [r.examples for r in report.checks]


# ------------------------------------------------------------------------------------------------
# one cause, reported once


def test_one_cause_is_reported_once(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "report.json"
    # undeclared, a library that refuses k = 1 raises on the first corner case of every check
    bare = tmp_path / "bare.py"
    bare.write_text(
        "import harness\n"
        "def fit(X, k, *, init=None, seed=None):\n"
        "    if k < 2:\n"
        "        raise ValueError('n_clusters must be at least 2')\n"
        "    r = harness.kmeans(X, k, init='k-means++' if init is None else init, seed=seed, max_iter=1000)\n"
        "    return {'centers': r.centers, 'labels': r.labels, 'converged': r.converged}\n"
    )
    argv = ["verify", f"{bare}:fit", "--no-isolate", "--json", str(path)]
    for check in CORE:
        argv += ["--check", check]
    assert main(argv) == 1
    out = capsys.readouterr().out
    report = json.loads(path.read_text())
    assert [c["status"] for c in report["checks"]] == ["error"] * len(CORE)  # the JSON keeps every status
    assert len(report["causes"]) == 1 and report["causes"][0]["checks"] == CORE
    assert out.count("ERROR:") == 1 and out.count("reproduce:") == 1
    assert f"{len(CORE)} checks on the same case for the same reason" in out


# ------------------------------------------------------------------------------------------------
# fail fast on hangs


def test_an_always_hanging_target_gets_its_verdict_within_three_timeouts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "report.json"
    start = time.perf_counter()
    code = main(["verify", HOSTILE.format("hang"), "--timeout", "5", "--json", str(path)])
    seconds = time.perf_counter() - start
    assert code == 1
    report = json.loads(path.read_text())
    statuses = [c["status"] for c in report["checks"]]
    assert statuses[0] == "timeout" and set(statuses[1:]) == {"skipped"}
    assert "the target timed out in output_contract" in report["checks"][1]["message"]
    assert seconds < 3 * 5 + 10  # the timeout, plus the worker's start on a loaded machine
    # resume runs the skipped checks again (and they time out and skip again)
    assert main(["verify", HOSTILE.format("hang"), "--timeout", "5", "--json", str(path)]) == 1
    again = json.loads(path.read_text())
    assert again["checks"][0]["status"] == "timeout" and again["checks"][1]["status"] == "timeout"


def test_keep_going_runs_the_remaining_checks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "report.json"
    argv = ["verify", HOSTILE.format("hang"), "--timeout", "2", "--json", str(path), "--keep-going"]
    assert main(argv + ["--check", "output_contract", "--check", "fixed_point"]) == 1
    assert [c["status"] for c in json.loads(path.read_text())["checks"]] == ["timeout", "timeout"]


def test_skipped_is_a_failing_status():
    assert "skipped" in STATUSES
    from properties.engine import CheckResult

    assert not CheckResult(name="x", status="skipped").passed


# ------------------------------------------------------------------------------------------------
# captured output


PRINTER = """
import os
import numpy as np

def fit(X, k, *, init=None, seed=None):
    os.write(1, b"from fd 1\\n")
    os.write(2, b"from fd 2\\n")
    print("from print")
    return X[:k].copy(), np.arange(len(X)) % k  # wrong labels: fails fixed_point
"""


@pytest.mark.parametrize("isolate", [False, True], ids=["in-process", "isolated"])
def test_output_is_captured_at_the_file_descriptor_level(isolate, tmp_path, capfd):
    path = tmp_path / "printer.py"
    path.write_text(PRINTER)
    with Runner(f"{path}:fit", RunOptions(isolate=isolate, timeout=60)) as runner:
        fit = runner.fit(np.zeros((4, 1)), 2)
    assert fit.output == "from fd 1\nfrom fd 2\nfrom print\n"
    captured = capfd.readouterr()
    assert "from fd" not in captured.out + captured.err and "from print" not in captured.out


def test_output_is_shown_with_the_failing_case_never_in_the_table(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "printer.py"
    path.write_text(PRINTER)
    assert main(["verify", f"{path}:fit", "--no-isolate", "--check", "fixed_point", "--max-examples", "1"]) == 1
    out = capfd.readouterr().out
    table, _, rest = out.partition("\nFAIL: fixed_point")
    assert "from fd" not in table and "from print" not in table
    assert "the target printed:" in rest and "| from fd 1" in rest and "| from print" in rest


# ------------------------------------------------------------------------------------------------
# float32 hint


def test_an_undeclared_float32_target_gets_a_hint_and_the_same_verdict():
    from harness.targets.peers import _lloyd_fit

    inner = _lloyd_fit(np.float32, 1000)

    def float32_lloyd(X, k, *, init=None, seed=None):
        return inner(X, k, init=init, seed=seed)

    r = run_check(load_target(float32_lloyd), "fixed_point", profile="quick", seed=0)
    assert r.status == "fail"
    assert 'declare precision="float32"' in r.message and r.details["hint"] == "precision"
    declared = harness.target(precision="float32")(float32_lloyd)
    assert run_check(load_target(declared), "fixed_point", profile="quick", seed=0).passed
