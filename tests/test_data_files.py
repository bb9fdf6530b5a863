"""``--data``: your own data in verify and fit (issue 20).  On data that look like measurements
(heavy tails, uneven cluster sizes, offset columns) a correct target passes and a broken one fails,
every listed check applies to a meaningful number of examples, bad files exit 2 with one line, and a
replay against a changed file is refused."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from harness.cases.data_case import DataCase
from harness.cases.data_file import read_data
from harness.cli.main import main
from harness.errors import InvalidArgument

ZOO = os.path.join(os.path.dirname(__file__), "zoo")

#: Checks that must apply to fixed data (everything but the generative-model ones).
DATA_CHECKS = [
    "output_contract",
    "fixed_point",
    "objective_not_worse_than_init",
    "respects_init",
    "deterministic",
    "permute_points",
    "translate",
    "rotate",
    "scale_power_of_two",
    "duplicate_points",
    "add_points_at_centers",
    "constant_column",
]


def measurements(seed=7):
    """Four clusters in d = 5 with Student-t (3 degrees of freedom) noise, sizes 2400:600:150:50, one
    column in other units (x100) with an offset of 1e4, another offset by 5e3."""
    rng = np.random.default_rng(seed)
    sizes = [2400, 600, 150, 50]
    centers = rng.normal(0, 12, size=(4, 5))
    X = np.vstack([c + rng.standard_t(3, size=(m, 5)) for c, m in zip(centers, sizes)])
    labels = np.repeat(np.arange(4), sizes)
    perm = rng.permutation(len(X))
    X, labels = X[perm], labels[perm]
    X[:, 1] = X[:, 1] * 100 + 1e4
    X[:, 3] += 5e3
    return X, labels


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    X, labels = measurements()
    np.save(d / "m.npy", X)
    np.save(d / "labels.npy", labels)
    with open(d / "m.csv", "w") as fh:
        fh.write("temp,pressure,flow,level,ph,site\n")
        for row, label in zip(X, labels):
            fh.write(",".join(f"{v:.9g}" for v in row) + f",site-{label}\n")
    with open(d / "plain.csv", "w") as fh:
        for row in X[:50]:
            fh.write(",".join(repr(float(v)) for v in row) + "\n")
    return d


def test_the_formats_read_the_same_table(files):
    npy = read_data(str(files / "m.npy"))
    csv = read_data(str(files / "m.csv"), reference_column="site")
    plain = read_data(str(files / "plain.csv"))
    assert isinstance(npy.X, np.memmap) and npy.X.shape == (3200, 5)
    np.testing.assert_allclose(csv.X, npy.X, rtol=1e-8)
    assert csv.columns == ("temp", "pressure", "flow", "level", "ph") and csv.reference_k == 4
    np.testing.assert_array_equal(plain.X, npy.X[:50])  # no header: every row is data
    assert len(npy.sha256) == 64 and npy.sha256 != csv.sha256


def test_parquet_numeric_columns_and_a_reference_column(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    X, labels = measurements()
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "group": [f"g{v}" for v in labels]}), tmp_path / "m.parquet")
    data = read_data(str(tmp_path / "m.parquet"), reference_column="group")
    np.testing.assert_array_equal(data.X, X[:, :2]) and np.testing.assert_array_equal(data.labels, labels)
    with pytest.raises(InvalidArgument, match=r"column 'group' is string, not numeric"):
        read_data(str(tmp_path / "m.parquet"))


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("name", ["m.npy", "m.csv"])
def test_a_correct_target_passes_with_coverage(files, name, capsys, tmp_path):
    report = tmp_path / "report.json"
    argv = ["verify", f"{ZOO}/correct.py:lloyd_numpy", "--data", str(files / name), "--k", "4", "--no-isolate"]
    argv += ["--max-examples", "8", "--json", str(report)] + [f"--check={c}" for c in DATA_CHECKS]
    if name.endswith(".csv"):
        argv += ["--reference-column", "site"]
    code, out, err = _run(argv, capsys)
    assert code == 0, out + err
    record = json.loads(report.read_text())
    assert record["data"]["sha256"] == read_data(str(files / "m.npy")).sha256 or name.endswith(".csv")
    for check in DATA_CHECKS:
        applied = record["coverage"][check]["applied"]
        # the 8 drawn cases and the 2 whole-file ones: every check applies to most of them
        assert applied >= 6, (check, record["coverage"][check])
    assert "coverage: " in out and "PASSED" in out


def test_a_broken_target_fails_and_replays_and_a_changed_file_is_refused(files, capsys, tmp_path):
    data = tmp_path / "m.npy"
    data.write_bytes((files / "m.npy").read_bytes())
    target = f"{ZOO}/broken.py:stale_labels"
    argv = ["verify", target, "--data", str(data), "--k", "4", "--check", "fixed_point", "--no-isolate"]
    code, out, err = _run(argv + ["--max-examples", "5", "--case-dir", str(tmp_path)], capsys)
    assert code == 1 and "FAIL: fixed_point" in out, out + err
    case_file = tmp_path / "kmeans-harness-case-fixed_point.json"
    record = json.loads(case_file.read_text())["case"]
    assert DataCase.is_record(record)
    assert {"path", "sha256", "rows_in_file"} <= set(record["data"]) and record["k"] == 4
    assert {"subsample_seed", "n", "init_kind", "init_seed"} <= set(record)
    code, out, _ = _run(argv + ["--replay", str(case_file)], capsys)
    assert code == 1 and "FAIL: fixed_point" in out
    X = np.load(data)
    X[0, 0] += 1.0
    np.save(data, X)
    code, out, err = _run(argv + ["--replay", str(case_file)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "has changed since the case was recorded" in err


def test_checks_that_need_a_model_are_not_applicable_with_the_reason(files, capsys):
    argv = ["verify", "lloyd", "--data", str(files / "m.npy"), "--k", "4", "--max-examples", "2"]
    code, out, _ = _run(argv + ["--check", "partition_structure", "--check", "truth_is_global_minimum"], capsys)
    assert code == 0
    assert out.count("not-applicable") == 2 and "needs a generative model" in out


def test_fit_on_data_with_json(files, capsys, tmp_path):
    out_json = tmp_path / "fit.json"
    argv = ["fit", "lloyd", "--data", str(files / "m.csv"), "--k", "4", "--reference-column", "site"]
    code, out, err = _run(argv + ["--json", str(out_json)], capsys)
    assert code == 0, err
    record = json.loads(out_json.read_text())
    assert record["data"]["rows_used"] == 3200 and record["data"]["subsample_seed"] is None
    assert record["centroid_index"] == 0 and 0 < record["objective_ratio"] <= 1 + 1e-9
    code, out, err = _run(argv + ["--max-rows", "300", "--seed", "3", "--json", str(out_json)], capsys)
    assert json.loads(out_json.read_text())["data"] | {} and "(a subsample, seed 3; --max-rows)" in out


BAD_FILES = [
    ("garbage.npy", lambda p: p.write_bytes(os.urandom(300)), "not a .npy file"),
    ("oned.npy", lambda p: np.save(p, np.arange(10.0)), "1-D array"),
    ("nan.npy", lambda p: np.save(p, np.array([[1.0, 2.0], [np.nan, 3.0]])), "row 1, column 0 is nan"),
    ("strings.npy", lambda p: np.save(p, np.array([["a", "b"]])), "not a numeric array"),
    ("objects.npy", lambda p: np.save(p, np.array([[1, "a"]], dtype=object), allow_pickle=True), "Python objects"),
    ("empty.npy", lambda p: np.save(p, np.zeros((0, 3))), "empty"),
    ("ragged.csv", lambda p: p.write_text("1,2,3\n4,5\n"), "line 2 has 2 fields, expected 3"),
    ("strings.csv", lambda p: p.write_text("a,b\n1,x\n"), "line 2, column 'b' is 'x', not a number"),
    ("inf.csv", lambda p: p.write_text("1,2\ninf,3\n"), "is inf"),
    ("empty.csv", lambda p: p.write_text(""), "empty"),
    ("notes.txt", lambda p: p.write_text("hello\n"), "unknown format '.txt'"),
]


@pytest.mark.parametrize("command", ["verify", "fit"])
@pytest.mark.parametrize("name,make,problem", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_exits_2_with_one_line_naming_it(tmp_path, capsys, command, name, make, problem):
    path = tmp_path / name
    make(path)
    code, _, err = _run([command, "lloyd", "--data", str(path), "--k", "2"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and problem in lines[0], lines


def test_data_flags_need_each_other(files, capsys):
    assert _run(["verify", "lloyd", "--k", "3"], capsys)[0] == 2
    code, _, err = _run(["fit", "lloyd", "--data", str(files / "m.npy")], capsys)
    assert code == 2 and "--k: required with --data" in err


def test_the_worked_example_on_the_wine_data_scikit_learn_ships(tmp_path, capsys):
    """docs/verify-your-own.md: the wine data, from the installed package (no download)."""
    datasets = pytest.importorskip("sklearn.datasets")
    wine = datasets.load_wine()
    header = ",".join(name.replace("/", "_") for name in wine.feature_names) + ",cultivar"
    path = tmp_path / "wine.csv"
    np.savetxt(path, np.column_stack([wine.data, wine.target]), delimiter=",", header=header, comments="", fmt="%.10g")
    argv = ["verify", f"{ZOO}/correct.py:lloyd_numpy", "--data", str(path), "--k", "3", "--no-isolate"]
    code, out, err = _run(argv + ["--reference-column", "cultivar", "--max-examples", "6"], capsys)
    assert code == 0, out + err
    assert "178 rows x 13 columns" in out and "reference partition column 'cultivar' (3 cells)" in out
    code, out, err = _run(["fit", "lloyd", "--data", str(path), "--k", "3", "--reference-column", "cultivar"], capsys)
    assert code == 0 and "centroid idx" in out and "reference partition's means" in out


DATA_SWEEP = """
[sweep]
name = "mine"
repeats = 2

[data]
path = "m.csv"
reference_column = "site"

[grid]
k = [3, 4]
initialiser = ["random", "greedy-k-means++"]
"""


def test_a_sweep_over_a_data_file(files, tmp_path):
    """What a data sweep varies: k, initialiser, target, repeats (seeds); its truth is the reference
    partition's cell means, where it has k cells; a report shows both."""
    pytest.importorskip("distributed")
    import io

    from harness.studies import sweep as sw
    from harness.studies.report import write_report

    config = sw.parse_config(DATA_SWEEP, where="mine.toml", base_dir=str(files), output_dir=str(tmp_path))
    assert config.data["rows"] == 3200 and config.grid["model"] == ["data"]
    runs = sw.plan_runs(config)
    assert len(runs) == 2 * 2 * 2 and all(r["data"]["sha256"] == config.data["sha256"] for r in runs)
    summary = sw.run_sweep(config, workers=1, processes=False, stream=io.StringIO())
    assert summary["run_now"] == 8 and summary["errors"] == 0
    rows = sw.read_results(config.output)
    by_k = {k: [i for i, kk in enumerate(rows["k"]) if kk == k] for k in (3, 4)}
    assert all(rows["centroid_index"][i] is None for i in by_k[3])  # 3 centers, 4 reference cells
    assert all(rows["centroid_index"][i] is not None for i in by_k[4])
    assert set(rows["data_sha256"]) == {config.data["sha256"]}
    info = write_report(config.output, str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text()
    assert info["figures"] == 3 and "Your data: objective per k and initialiser" in page  # no η_min figure


@pytest.mark.parametrize(
    "change,phrase",
    [
        (("[grid]", "[grid]\nd = [2]"), "grid.d = [2]: expected only k, initialiser, target with a [data] table"),
        (('path = "m.csv"', 'path = "nothere.csv"'), "data.path = 'nothere.csv': "),
        (('reference_column = "site"', 'reference_column = "nope"'), "no column 'nope'"),
        (("[data]", "[data]\nrows = 3"), "data.rows = 3: expected one of the keys"),
    ],
)
def test_data_sweep_config_errors_name_the_key(files, change, phrase):
    from harness.studies import sweep as sw

    with pytest.raises(InvalidArgument, match=phrase.replace("[", r"\[").replace("]", r"\]")):
        sw.parse_config(DATA_SWEEP.replace(*change), where="mine.toml", base_dir=str(files))


def test_bench_on_data(files, capsys, tmp_path):
    out_json = tmp_path / "bench.json"
    argv = ["bench", "--data", str(files / "m.npy"), "--k", "4", "--targets", "lloyd", "--repeats", "1"]
    code, out, err = _run(argv + ["--iterations", "3", "--no-seeding", "--json", str(out_json)], capsys)
    assert code == 0, err
    record = json.loads(out_json.read_text())
    assert [(r["n"], r["d"], r["k"]) for r in record["rows"]] == [(3200, 5, 4)]
    assert record["settings"]["data"]["sha256"] == read_data(str(files / "m.npy")).sha256
    code, _, err = _run(["bench", "--k", "4"], capsys)
    assert code == 2 and "--k: applies only with --data" in err


BAD_STRATEGY_ARGUMENTS = [
    ({"k": 0}, "k=0"),
    ({"k": 10_000}, "k=10000"),
    ({"k": 4, "max_points": 1}, "max_points=1"),
    ({"k": 3, "init_kinds": ("truth",)}, "init_kinds=('truth',)"),  # the reference has 4 cells, not 3
    ({"k": 4, "init_kinds": ()}, "init_kinds=()"),
]


@pytest.mark.parametrize("kwargs,phrase", BAD_STRATEGY_ARGUMENTS, ids=[p for _, p in BAD_STRATEGY_ARGUMENTS])
def test_data_cases_bad_arguments(files, kwargs, phrase):
    from hypothesis.errors import InvalidArgument as HypothesisInvalidArgument

    from strategies.data_cases import data_cases

    dataset = read_data(str(files / "m.csv"), reference_column="site")
    with pytest.raises(HypothesisInvalidArgument, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        data_cases(dataset, **kwargs)


def test_data_cases_shrink_toward_few_rows_and_k_means_plus_plus(files):
    from hypothesis import find, settings

    from strategies.data_cases import data_cases

    dataset = read_data(str(files / "m.npy"))
    smallest = find(data_cases(dataset, 4), lambda case: True, settings=settings(database=None))
    assert smallest.size == 8 and smallest.init_kind == "k-means++"  # max(2k, k + 1) rows
    whole = find(
        data_cases(dataset, 4, whole_rows=1000), lambda case: case.size > 400, settings=settings(database=None)
    )
    assert whole.size == 1000 and whole.subsample_seed == 0
