"""A target cannot take the harness down: every hostile target of ``tests/zoo/hostile.py`` gets a
clear status under ``verify`` in bounded time, the next check still runs, and the exit code is 1.

Also: input mutation is seen across the process boundary, loading errors in the worker are usage
errors (exit 2), ``--json`` is written atomically after every check and a rerun resumes from it.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

from harness.cli.main import main
from harness.targets.failures import BadOutput, TargetRaised, TargetTimeout
from harness.targets.loader import load_target
from harness.targets.options import RunOptions, parse_memory_limit
from harness.targets.runner import Runner
from harness.targets.worker import TargetWorker
from properties.engine import run_check

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTILE = os.path.join(HERE, "zoo", "hostile.py") + ":{}"
BROKEN = os.path.join(HERE, "zoo", "broken.py") + ":{}"
CORRECT = os.path.join(HERE, "zoo", "correct.py") + ":{}"

TIMEOUT = 3  # seconds per call: the hanging target costs this much per check
CHECKS = ["output_contract", "fixed_point"]

#: hostile target -> (status of every check, a phrase its message must hold)
EXPECTED = {
    "hang": ("timeout", f"timed out after {TIMEOUT} s on case"),
    "segfault": ("crashed", "target crashed: signal 11 (SIGSEGV)"),
    "exit_3": ("crashed", "exited with code 3"),
    "raises": ("error", "RuntimeError: hostile target: refusing to cluster"),
    "exits_quietly": ("error", "SystemExit"),
    "returns_string": ("fail", "target returned str"),
    "returns_none": ("fail", "target returned NoneType"),
    "nan_centers": ("fail", "centers must be finite"),
    "huge_array": ("fail", "got (1000000, 1000000)"),
    "eat_memory": ("out-of-memory", "out of memory"),
}


#: The memory hog's own timeout: its status must come from the memory limit (reached in 1-2 s), and
#: on a loaded machine the worker's start-up alone came close to TIMEOUT (one CI run timed out at 3 s).
MEMORY_HOG_TIMEOUT = 30


def _verify(tmp_path, spec, *extra, timeout=TIMEOUT):
    path = tmp_path / "report.json"
    argv = ["verify", spec, "--timeout", str(timeout), "--memory-limit", "1G", "--json", str(path)]
    for check in CHECKS:
        argv += ["--check", check]
    start = time.perf_counter()
    code = main(argv + list(extra))
    return code, json.loads(path.read_text()), time.perf_counter() - start


@pytest.fixture(scope="module", autouse=True)
def _warm_kernels():
    """Compile (or load) our kernels and the corner cases once, so that timings below are the checks'."""
    from strategies import corner_cases

    corner_cases()


@pytest.mark.parametrize("name", list(EXPECTED))
def test_hostile_target_gets_a_status_and_verify_goes_on(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # verify writes kmeans-harness-case-*.json here
    status, phrase = EXPECTED[name]
    # --keep-going: after a timeout the next check runs anyway (without it, it is skipped: test_plugging_in.py)
    code, report, seconds = _verify(
        tmp_path, HOSTILE.format(name), "--keep-going", timeout=MEMORY_HOG_TIMEOUT if name == "eat_memory" else TIMEOUT
    )
    assert code == 1
    assert report["complete"] and not report["passed"]
    assert [c["name"] for c in report["checks"]] == CHECKS  # the second check ran after the first
    for c in report["checks"]:
        assert c["status"] == status, c["message"]
        assert phrase in c["message"]
        assert c["case"] is not None  # the case that triggered it, replayable
    if status in ("timeout", "crashed", "out-of-memory"):
        # stopped at the first case: neither shrunk nor retried
        assert all(c["examples"] == 1 for c in report["checks"])
    # bounded: a timeout costs TIMEOUT; a worker restart a few seconds on a loaded machine
    assert all(c["seconds"] < TIMEOUT + 15 for c in report["checks"])
    assert seconds < 2 * (TIMEOUT + 15) + 30
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]  # atomic writes leave nothing behind


def test_input_mutation_is_seen_across_the_process_boundary(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Runner(BROKEN.format("input_mutation"), RunOptions(isolate=True, timeout=30)) as runner:
        r = run_check(runner, "output_contract", profile="quick", seed=0)
    assert r.status == "fail"
    assert "modified its input X in place" in r.message


@pytest.mark.parametrize("isolate", [False, True], ids=["in-process", "isolated"])
@pytest.mark.parametrize(("name", "modified"), [("input_mutation", ("X",)), ("init_mutation", ("init",))])
def test_runner_sees_a_modified_input_in_both_modes(isolate, name, modified):
    """Parity: the runner compares the caller's arrays where the call ran and names the one written into."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    init = X[:3].copy()
    X_before, init_before = X.copy(), init.copy()
    with Runner(BROKEN.format(name), RunOptions(isolate=isolate, timeout=30)) as runner:
        assert runner.isolated is isolate
        fit = runner.fit(X, 3, init=init, seed=0)
    assert fit.modified_inputs == modified and not fit.input_unchanged
    assert np.array_equal(X, X_before) and np.array_equal(init, init_before)  # the caller's arrays are copies
    assert fit.seconds > 0  # measured where the call ran


@pytest.mark.parametrize("isolate", [False, True], ids=["in-process", "isolated"])
def test_runner_reports_the_same_failures_in_both_modes(isolate):
    X = np.zeros((4, 1))
    with Runner(HOSTILE.format("raises"), RunOptions(isolate=isolate, timeout=30)) as runner:
        with pytest.raises(TargetRaised, match="RuntimeError: hostile target: refusing to cluster") as info:
            runner.fit(X, 1)
        assert "Traceback" in info.value.traceback_text
    with Runner(HOSTILE.format("returns_string"), RunOptions(isolate=isolate, timeout=30)) as runner:
        with pytest.raises(BadOutput, match="target returned str"):
            runner.fit(X, 1)


def test_correct_target_passes_isolated_and_the_worker_is_reused():
    with Runner(CORRECT.format("lloyd_numpy"), RunOptions(isolate=True, timeout=30)) as runner:
        r = run_check(runner, "output_contract", profile="quick", seed=0, max_examples=3)
        assert r.status == "pass", r.message
        assert runner.worker_starts == 1  # one worker for the whole check


def test_worker_restarts_after_a_timeout():
    X = np.zeros((4, 1))
    with TargetWorker(HOSTILE.format("hang"), timeout=1) as worker:
        for _ in range(2):
            with pytest.raises(TargetTimeout, match="timed out after 1 s"):
                worker.call(X, 1)
        assert worker.starts == 2


def test_hostile_targets_in_process_when_given_as_objects():
    """Python objects run in-process: what can be caught there is (a raise, garbage, MemoryError)."""

    def raises(X, k, *, init=None, seed=None):
        raise ValueError("nope")

    def garbage(X, k, *, init=None, seed=None):
        return "centers"

    def no_memory(X, k, *, init=None, seed=None):
        raise MemoryError("pretend")

    for fn, status in ((raises, "error"), (garbage, "fail"), (no_memory, "out-of-memory")):
        r = run_check(load_target(fn), "output_contract", profile="quick", seed=0, max_examples=1)
        assert r.status == status, r.message
        assert r.examples == 1


def test_load_errors_in_the_worker_are_usage_errors(tmp_path, capsys):
    crash_on_import = tmp_path / "crash_on_import.py"
    crash_on_import.write_text("import ctypes\nctypes.string_at(0)\n")
    raise_on_import = tmp_path / "raise_on_import.py"
    raise_on_import.write_text("raise RuntimeError('broken module')\n")
    for spec, phrase in (
        (HOSTILE.format("no_such_function"), "has no attribute"),
        (f"{raise_on_import}:fit", "RuntimeError: broken module"),
        (f"{crash_on_import}:fit", "signal 11"),
    ):
        assert main(["verify", spec, "--check", "output_contract", "--timeout", "5"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and phrase in err


def test_verify_resumes_from_its_json_and_fresh_reruns(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "report.json"
    # in-process (the target only raises), to keep the four runs quick
    argv = ["verify", HOSTILE.format("raises"), "--no-isolate", "--check", "output_contract", "--json", str(path)]
    assert main(argv) == 1
    first = json.loads(path.read_text())
    assert first["complete"] and [c["name"] for c in first["checks"]] == ["output_contract"]
    capsys.readouterr()

    # a second check: the first is taken from the report, only the new one runs
    assert main(argv + ["--check", "fixed_point"]) == 1
    out = capsys.readouterr().out
    assert "output_contract                 (recorded in" in out
    second = json.loads(path.read_text())
    assert [c["name"] for c in second["checks"]] == ["output_contract", "fixed_point"]
    assert second["checks"][0] == first["checks"][0]

    # other arguments (seed): nothing is reused
    assert main(argv + ["--seed", "1"]) == 1
    assert "recorded in" not in capsys.readouterr().out

    assert main(argv + ["--seed", "1", "--fresh"]) == 1
    assert "recorded in" not in capsys.readouterr().out


def test_isolation_options_are_validated(capsys):
    assert main(["verify", "lloyd", "--no-isolate", "--timeout", "3"]) == 2
    assert "--timeout" in capsys.readouterr().err
    for bad in ("abc", "-1G", "12X", "1K"):
        assert main(["verify", "lloyd", "--memory-limit", bad]) == 2
        assert "--memory-limit" in capsys.readouterr().err
    assert parse_memory_limit("none") is None
    assert parse_memory_limit("1.5G") == 3 * 2**29
    assert parse_memory_limit("512M") == 512 * 2**20


@pytest.mark.parametrize("name", ["raises", "segfault"])
def test_fit_command_isolates_a_failing_target(name, capsys):
    # the target's failure is exit 1 with one line naming it, never the harness's internal error (3)
    assert main(["fit", HOSTILE.format(name), "--n", "200", "--k", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the target failed:") and "Traceback" not in err


def test_layout_invariance_runs_where_an_isolated_target_runs():
    """The layout relation builds its arrays in the target's process: an isolated correct target passes it
    (the dtype crosses the process boundary as a dtype string)."""
    with Runner(CORRECT.format("lloyd_numpy"), RunOptions(isolate=True, timeout=30)) as runner:
        r = run_check(runner, "layout_invariance", profile="quick", seed=0, max_examples=3)
    assert r.status == "pass", r.message
