"""``harness.studies.bench`` and ``kmeans-harness bench``: shapes parse or are rejected by name, a tiny run
produces one row per target with honest ratios, and the CLI follows the exit-code conventions."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from harness.cli.bench import format_table
from harness.cli.main import main
from harness.errors import InvalidArgument
from harness.studies import bench
from harness.theory.structure import centroid_index, orphans


def test_parse_shape():
    assert bench.parse_shape("200000x16x64") == (200000, 16, 64)
    assert bench.parse_shape("10X2X3") == (10, 2, 3)


@pytest.mark.parametrize("text", ["10x2", "10x2x3x4", "axbxc", "0x2x1", "5x2x6", "-5x2x1"])
def test_parse_shape_rejects(text):
    with pytest.raises(InvalidArgument, match="shape"):
        bench.parse_shape(text)


def test_centroid_index():
    A = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    assert centroid_index(A, A[::-1]) == 0
    # two centers in one true cluster, none in another: one orphan each way
    B = np.array([[0.0, 0.0], [0.5, 0.0], [10.0, 0.0]])
    assert centroid_index(A, B) == 1
    assert centroid_index(B, A) == 1
    assert orphans(A, B) == (1, 1)


def test_run_bench_rows():
    rows, seeding = bench.run_bench(
        [(300, 2, 3)], ["lloyd-float32"], iterations=3, repeats=2, progress=None, seeding=True
    )
    assert [r.target for r in rows] == ["lloyd", "lloyd-float32"]  # lloyd always runs: it is the yardstick
    lloyd = rows[0]
    assert lloyd.ratio == 1.0 and lloyd.label_agreement == 1.0 and lloyd.objective_ratio == 1.0
    assert 1 <= lloyd.n_iter <= 3 and len(lloyd.seconds_all) == 2
    assert rows[1].label_agreement > 0.9
    assert len(seeding) == 1 and seeding[0].seconds_ours > 0
    text = format_table(rows, seeding)
    assert "lloyd-float32" in text and "300x2x3" in text


def test_same_init_gives_the_same_answer_as_sklearn():
    pytest.importorskip("sklearn")
    rows, _ = bench.run_bench([(400, 2, 4)], ["sklearn"], iterations=5, repeats=1, progress=None, seeding=False)
    theirs = rows[1]
    assert theirs.target == "sklearn" and theirs.n_iter <= 5
    assert theirs.objective_ratio == pytest.approx(1.0, rel=1e-9)


def test_cli_json_to_stdout(capsys):
    code = main(
        ["bench", "--shapes", "200x2x3", "--targets", "lloyd", "--iterations", "2", "--repeats", "1",
         "--no-seeding", "--json", "-"]
    )  # fmt: skip
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["command"] == "bench" and payload["rows"][0]["target"] == "lloyd"
    assert payload["cpu"] and payload["versions"]["numpy"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--shapes", "5x2x9"], "--shapes"),
        (["--shapes", "nonsense"], "--shapes"),
        (["--targets", "nope"], "--targets"),
        (["--iterations", "0"], "--iterations"),
        (["--mixture", "ball", "--separation-ratio", "1.5"], "--separation-ratio"),
    ],
)
def test_cli_usage_errors(argv, message, capsys):
    assert main(["bench", *argv]) == 2
    assert message in capsys.readouterr().err


ZOO = os.path.join(os.path.dirname(__file__), "zoo")


def test_user_targets_run_isolated_and_a_crash_costs_only_its_row():
    """A user target is timed inside its worker process, starts from the shared init (so a correct
    Lloyd reaches lloyd's objective), and a segfaulting one gets a 'crashed' row; the bench goes on."""
    correct, crash = f"{ZOO}/correct.py:lloyd_numpy", f"{ZOO}/hostile.py:segfault"
    rows, _ = bench.run_bench(
        [(300, 2, 3)], ["lloyd", correct, crash], iterations=None, repeats=2, progress=None, seeding=False
    )
    by = {r.target: r for r in rows}
    assert by[correct].status == "ok" and by[correct].mode == "own" and len(by[correct].seconds_all) == 2
    assert by[correct].objective_ratio == pytest.approx(1.0, rel=1e-9)
    assert by[crash].status == "crashed" and "signal 11" in by[crash].message
    text = format_table(rows)
    assert "crashed: target crashed" in text and "own rule" in text


def test_json_is_written_after_every_shape_and_a_rerun_resumes(tmp_path, capsys):
    path = str(tmp_path / "bench.json")
    argv = ["bench", "--targets", "lloyd", "--iterations", "2", "--repeats", "1", "--no-seeding", "--json", path]
    assert main([*argv, "--shapes", "200x2x3"]) == 0
    first = json.load(open(path))
    assert [(r["n"], r["target"]) for r in first["rows"]] == [(200, "lloyd")]
    # the same settings and one more shape: the first shape is reused, not rerun
    assert main([*argv, "--shapes", "200x2x3,300x2x3"]) == 0
    assert "resuming from" in capsys.readouterr().out
    second = json.load(open(path))
    assert [r["n"] for r in second["rows"]] == [200, 300]
    assert second["rows"][0]["seconds_all"] == first["rows"][0]["seconds_all"]
    # other settings (or --fresh): everything is measured again
    assert main([*argv, "--shapes", "200x2x3", "--fresh"]) == 0
    assert "resuming" not in capsys.readouterr().out
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_cli_timeout_applies_to_user_targets(capsys):
    hang = f"{ZOO}/hostile.py:hang"
    argv = ["bench", "--shapes", "200x2x3", "--targets", f"lloyd,{hang}", "--repeats", "1", "--no-seeding"]
    assert main([*argv, "--timeout", "2", "--json", "-"]) == 0
    payload = json.loads(capsys.readouterr().out)
    row = [r for r in payload["rows"] if r["target"] == hang][0]
    assert row["status"] == "timeout" and "2 s" in row["message"]


def test_reference_says_whose_labels_it_has_where_a_contender_differs_from_lloyd():
    """Where a contender's labels differ from lloyd's, bench runs the float64 reference Lloyd (plain
    numpy, same init, lloyd's iteration count) and names whose labels it has there."""
    from types import SimpleNamespace

    from harness.numerics import reference

    X, init = bench.bench_data(300, 2, 3)
    _, right, n_iter, _ = reference.lloyd_ref(X, init, 5)
    wrong = right.copy()
    wrong[:7] = (wrong[:7] + 1) % 3

    def rows_for(lloyd_labels, peer_labels):
        agreement = float(np.mean(lloyd_labels == peer_labels))
        common = {"n": 300, "d": 2, "k": 3, "mode": "fixed", "seconds": 1.0, "ratio": 1.0, "n_iter": n_iter}
        rows = [
            bench.BenchRow(target="lloyd", label_agreement=1.0, **common),
            bench.BenchRow(target="peer", label_agreement=agreement, **common),
        ]
        results = {"lloyd": SimpleNamespace(labels=lloyd_labels), "peer": SimpleNamespace(labels=peer_labels)}
        return bench._with_reference(X, init, rows, results, "", None)

    ours_right = rows_for(right, wrong)
    assert ours_right[0].reference_agreement == 1.0 and ours_right[0].matches_reference is None
    assert ours_right[1].matches_reference == "lloyd" and ours_right[1].reference_agreement == 1 - 7 / 300
    assert rows_for(wrong, right)[1].matches_reference == "peer"
    neither = wrong.copy()
    neither[:7] = (right[:7] + 2) % 3
    assert rows_for(wrong, neither)[1].matches_reference == "neither"
    text = format_table(ours_right)
    assert "where labels differ, ref has" in text and "lloyd" in text.splitlines()[2]
    # every contender agrees with lloyd: the reference is not run at all
    same = rows_for(right, right)
    assert all(r.reference_agreement is None and r.matches_reference is None for r in same)
