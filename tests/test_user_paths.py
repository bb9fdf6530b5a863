"""What a new user hits first (issue 20): targets named from the current folder, report on a wrong
file, one sweep per output, outputs where the user says, the example config in the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from harness.cli.main import main
from harness.errors import TargetLoadError
from harness.targets.loader import load_target

MY_KMEANS = textwrap.dedent(
    """
    import numpy as np

    def fit(X, k, *, init=None, seed=None):
        X = np.asarray(X, dtype=np.float64)
        rng = np.random.default_rng(seed)
        centers = X[rng.choice(len(X), size=k, replace=False)].copy() if init is None else np.array(init)
        labels = None
        for _ in range(1000):
            new = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)
            if labels is not None and np.array_equal(new, labels):
                break
            labels = new
            for j in range(k):
                if np.any(labels == j):
                    centers[j] = X[labels == j].mean(axis=0)
        return centers, labels
    """
)


def test_module_attr_resolves_from_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "my_kmeans_cwd.py").write_text(MY_KMEANS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    assert load_target("my_kmeans_cwd:fit").name == "my_kmeans_cwd:fit"


def test_a_failed_import_suggests_the_file_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TargetLoadError, match=r"'\./no_such_kmeans\.py:fit'.*PYTHONPATH"):
        load_target("no_such_kmeans:fit")


def test_verify_module_attr_from_its_folder_in_the_isolated_worker(tmp_path):
    """The console script's sys.path[0] is its bin folder, and the target runs in a spawned worker:
    both must find my_kmeans.py in the current folder, as ``python -m`` would."""
    (tmp_path / "my_kmeans.py").write_text(MY_KMEANS)
    script = os.path.join(os.path.dirname(sys.executable), "kmeans-harness")
    if not os.path.exists(script):
        pytest.skip("the kmeans-harness script is not installed beside this Python")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [script, "verify", "my_kmeans:fit", "--check", "output_contract", "--max-examples", "3", "--isolate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "isolated in a worker process" in proc.stdout and "PASSED" in proc.stdout


def _one_error_line(capsys, code, argv):
    assert main(argv) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_report_on_a_text_file_or_another_schema_is_a_usage_error(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    text = tmp_path / "notparquet.txt"
    text.write_text("hello\n")
    line = _one_error_line(capsys, 2, ["report", str(text), "-o", str(tmp_path / "r.html")])
    assert "notparquet.txt" in line and "not a Parquet file" in line
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), other)
    line = _one_error_line(capsys, 2, ["report", str(other), "-o", str(tmp_path / "r.html")])
    assert "other.parquet" in line and "not a sweep's results" in line and "run_key" in line
    assert not (tmp_path / "r.html").exists()


def _rows(keys):
    from harness.studies.sweep import SweepRow

    planned = dict(model="ball", k=3, d=2, separation_ratio_min=10.0, n=50, repeat=0, initialiser="random")
    return [
        SweepRow(
            run_key=key,
            target="lloyd",
            data_seed=1,
            run_seed=2,
            converged=True,
            spurious=False,
            centroid_index=0,
            objective_ratio=1.0,
            init_seconds=0.1,
            fit_seconds=0.2,
            **planned,
        ).to_record()
        for key in keys
    ]


def test_reading_drops_fits_recorded_twice_and_says_so(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    from harness.studies.results import read_results_checked, write_part

    out = str(tmp_path / "res.parquet")
    write_part(out, _rows(["a", "b", "c"]), {})
    write_part(out, _rows(["b", "c", "d"]), {})
    rows, duplicates = read_results_checked(out)
    assert sorted(rows["run_key"]) == ["a", "b", "c", "d"] and duplicates == 2
    assert main(["report", out, "-o", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json")]) == 0
    captured = capsys.readouterr()
    assert "2 fits twice" in captured.err
    record = json.loads((tmp_path / "r.json").read_text())
    assert record["command"] == "report" and record["rows"] == 4 and record["duplicates"] == 2


def test_one_sweep_per_output_and_stale_locks_are_taken_over(tmp_path):
    from harness.errors import InvalidArgument
    from harness.studies.results import SweepLock

    out = str(tmp_path / "res.parquet")
    with SweepLock(out) as first:
        assert first.holder()["pid"] == os.getpid()
        with pytest.raises(InvalidArgument, match=r"in use by another sweep \(host .*, PID \d+, started "):
            SweepLock(out).acquire()
    # a holder killed with -9 leaves its lock file behind; the kernel dropped its flock
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; from harness.studies.results import SweepLock; "
            f"SweepLock({out!r}).acquire(); os.kill(os.getpid(), 9)",
        ],
        capture_output=True,
    )
    assert child.returncode == -9
    lock = SweepLock(out)
    assert lock.holder() is not None  # the dead holder's name is still in the file
    with lock:
        assert lock.stale is not None and lock.stale["pid"] != os.getpid()


def test_a_second_sweep_on_a_locked_output_exits_2_with_one_line(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    from harness.studies.results import SweepLock

    config = tmp_path / "tiny.toml"
    config.write_text('[sweep]\nname = "tiny"\n[grid]\nk = [2]\nseparation_ratio_min = [10.0]\nn = [50]\n')
    monkeypatch.chdir(tmp_path)  # restored after the test: later tests use paths relative to the checkout
    with SweepLock(str(tmp_path / "tiny.parquet")):
        line = _one_error_line(capsys, 2, ["sweep", str(config), "--workers", "1"])
    assert "in use by another sweep" in line and f"PID {os.getpid()}" in line


def test_the_example_config_ships_in_the_package_and_writes_to_the_current_directory(tmp_path, monkeypatch):
    from harness.studies.sweep import example_config_path, load_config

    path = example_config_path("small")
    assert os.path.isfile(path) and os.path.dirname(path).endswith(os.path.join("harness", "studies", "examples"))
    monkeypatch.chdir(tmp_path)
    config = load_config(path)
    assert config.output == os.path.join(str(tmp_path), "sweep-small.parquet")
    assert main(["sweep", "--example", "small", "--show"]) == 0


def test_fit_reports_load_and_warm_up_apart_and_names_the_flag(tmp_path, capsys):
    assert main(["fit", "lloyd", "--n", "3000", "--k", "3", "--json", str(tmp_path / "fit.json")]) == 0
    out = capsys.readouterr().out
    record = json.loads((tmp_path / "fit.json").read_text())
    assert record["warmup_points"] == 2000 and record["warmup_seconds"] >= 0 and record["load_seconds"] >= 0
    assert f"ratio {record['objective_ratio']:.6f})" in out and "warm-up" in out and "(the fit alone)" in out
    line = _one_error_line(capsys, 2, ["fit", "lloyd", "--separation-ratio", "1"])
    assert line.startswith("error: --separation-ratio:") and "separation_ratio_min" not in line


def test_bench_progress_is_a_line_per_step_when_piped():
    import io

    from harness.studies.bench import _progress

    piped = io.StringIO()
    _progress("[1/2] 300x2x3 warm-up lloyd", piped)
    _progress("", piped)
    assert piped.getvalue() == "[1/2] 300x2x3 warm-up lloyd\n"


def test_targets_lists_every_name_any_command_accepts(capsys):
    from harness.studies.bench import BENCH_TARGETS

    assert main(["targets", "--json", "-"]) == 0
    listed = {row["name"] for row in json.loads(capsys.readouterr().out)["targets"]}
    assert set(BENCH_TARGETS) <= listed, set(BENCH_TARGETS) - listed


def test_every_command_takes_json():
    """README and docs/cli.md: every command takes --json PATH."""
    from harness.cli.main import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        assert any("--json" in action.option_strings for action in sub._actions), name
