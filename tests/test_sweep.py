"""The sweep: config errors name key, value and expectation; seeds do not depend on the grid's order;
a run on a one-worker in-process cluster writes Parquet, and a rerun does only what is missing; the
report embeds its figures."""

from __future__ import annotations

import base64
import io

import pytest

from harness import InvalidArgument
from harness.studies import sweep as sw

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

TINY = """
[sweep]
name = "tiny"
seed = 3
repeats = 2
output = "tiny.parquet"

[grid]
model = ["ball", "gaussian"]
k = [3]
d = [2]
separation_ratio_min = [3.0, 8.0]
n = [300]
initialiser = ["random", "ward+polish"]
target = ["lloyd"]
"""


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("k = [3]", "k = [3, 0]"), "grid.k = 0: expected integers >= 2"),
        (("k = [3]", "k = ['3']"), "grid.k = '3'"),
        (('model = ["ball", "gaussian"]', 'model = ["ellipse"]'), "grid.model = 'ellipse'"),
        (('initialiser = ["random", "ward+polish"]', 'initialiser = ["wards"]'), "grid.initialiser = 'wards'"),
        (('target = ["lloyd"]', 'target = ["mine"]'), "grid.target = 'mine'"),
        (("separation_ratio_min = [3.0, 8.0]", "separation_ratio_min = [1.5]"), "no mixture"),
        (("separation_ratio_min = [3.0, 8.0]", "separation_ratio_min = [-1]"), "grid.separation_ratio_min = -1"),
        (("repeats = 2", "repeats = 0"), "sweep.repeats = 0"),
        (("n = [300]", "n = [300]\nsize = 3"), "grid.size = 3: expected one of the keys"),
        (("n = [300]", "n = [2]"), "grid.n = 2"),
        (("[grid]", "[grid\n"), "not valid TOML"),
        (("repeats = 2", "repeats = 2\nisolate = 'yes'"), "sweep.isolate = 'yes': expected true or false"),
        (("repeats = 2", "repeats = 2\ntimeout = -1"), "sweep.timeout = -1: expected a positive number"),
        (("repeats = 2", "repeats = 2\nmemory_limit = 'lots'"), "sweep.memory_limit = 'lots'"),
        (('target = ["lloyd"]', 'target = [""]'), "grid.target = ''"),
    ],
)
def test_bad_config_names_key_value_and_expectation(edit, message):
    with pytest.raises(InvalidArgument, match=message.replace("[", "\\[").replace("+", "\\+")):
        sw.parse_config(TINY.replace(*edit), where="tiny.toml")


def test_seeds_depend_on_the_run_not_on_the_grid_order():
    a = sw.plan_runs(sw.parse_config(TINY))
    b = sw.plan_runs(sw.parse_config(TINY.replace('["random", "ward+polish"]', '["ward+polish", "random"]')))
    assert len(a) == 2 * 2 * 2 * 2 == len(b)
    assert {r["run_key"]: r["run_seed"] for r in a} == {r["run_key"]: r["run_seed"] for r in b}
    # every initialiser of a grid point sees the same data
    by_data = {}
    for r in a:
        by_data.setdefault((r["model"], r["separation_ratio_min"], r["repeat"]), set()).add(r["data_seed"])
    assert all(len(s) == 1 for s in by_data.values())


def test_run_one_records_a_fit_and_turns_errors_into_rows():
    run = sw.plan_runs(sw.parse_config(TINY))[0]
    row = sw.run_one(run)
    assert row["status"] == "ok", row["message"]
    assert row["centroid_index"] >= 0 and row["objective_ratio"] > 0 and row["converged"] is True
    assert row["spurious"] == (row["centroid_index"] > 0)
    bad = sw.run_one(dict(run, initialiser="no-such"))
    assert bad["status"] == "error" and "no-such" in bad["message"]


def test_sweep_resumes_and_the_report_embeds_every_figure(tmp_path):
    config = sw.parse_config(TINY, base_dir=str(tmp_path))
    stream = io.StringIO()
    first = sw.run_sweep(config, workers=1, processes=False, stream=stream, limit=5)
    assert first["run_now"] == 5 and first["errors"] == 0
    second = sw.run_sweep(config, workers=1, processes=False, stream=stream)
    assert second["already_done"] == 5 and second["run_now"] == 16 - 5
    third = sw.run_sweep(config, workers=1, processes=False, stream=stream)
    assert third["run_now"] == 0
    rows = sw.read_results(config.output)
    assert len(rows["run_key"]) == 16 == len(set(rows["run_key"]))
    assert "16/16" not in stream.getvalue() or "ETA" in stream.getvalue()
    assert {"git_commit", "versions_json", "config_toml", "run_seed"} <= set(rows)
    assert not [f for f in (tmp_path / "tiny.parquet").iterdir() if f.name.endswith(".tmp")]

    from harness.studies.report import write_report

    out = tmp_path / "report.html"
    info = write_report(config.output, str(out))
    page = out.read_text()
    assert info["rows"] == 16 and info["figures"] == 4
    images = page.split("data:image/png;base64,")[1:]
    assert len(images) == 4
    for img in images:
        assert base64.b64decode(img.split("'")[0])[:8] == b"\x89PNG\r\n\x1a\n"
    # the blog's comparison of initialisers on objective and time, recomputed from the rows
    import numpy as np

    from harness.studies.report import initialiser_comparison

    table = {c["initialiser"]: c for c in initialiser_comparison(rows)}
    assert set(table) == {"random", "ward+polish"} and all(c["fits"] == 8 for c in table.values())
    ward = [i for i, name in enumerate(rows["initialiser"]) if name == "ward+polish"]
    fit_seconds = [rows["fit_seconds"][i] for i in ward]
    assert table["ward+polish"]["fit_seconds_median"] == pytest.approx(np.median(fit_seconds))
    assert table["ward+polish"]["objective_ratio_mean"] == pytest.approx(
        np.mean([rows["objective_ratio"][i] for i in ward]), rel=1e-12
    )
    assert "Initialisers compared: objective and time" in page
    # a theorem1-gap result adds its plot (a fifth figure)
    gap = {
        "name": "theorem1-gap",
        "verdict": {"reproduced": True, "summary": "s"},
        "ours": {
            "rows": [
                {"k": k, "d": 1, "theorem_threshold": 1e4 * k, "empirical_threshold": {"0.1": 3.0, "0.25": 2.5}}
                for k in (2, 3)
            ]
        },
    }
    info = write_report(config.output, str(out), reproductions=[gap])
    assert info["figures"] == 5 and "Theorem 1: empirical structure threshold" in out.read_text()


HOSTILE = """
[sweep]
name = "hostile"
seed = 1
repeats = 1
output = "hostile.parquet"
timeout = 5
memory_limit = "2G"

[grid]
k = [3]
d = [2]
separation_ratio_min = [8.0]
n = [200]
initialiser = ["random"]
target = ["{zoo}/correct.py:lloyd_numpy", "{zoo}/hostile.py:segfault", "{zoo}/hostile.py:hang", "lloyd"]
"""


def test_user_targets_run_isolated_inside_dask_worker_processes(tmp_path):
    """A target given by path runs in a worker process started from inside a Dask worker process
    (non-daemonic for this): a segfault and a hang cost one row each, with their status, and the
    sweep goes on; the correct user target and the built-in fit as usual."""
    import os

    zoo = os.path.relpath(os.path.join(os.path.dirname(__file__), "zoo"), str(tmp_path))
    text = HOSTILE.replace("{zoo}", zoo)
    config = sw.parse_config(text, base_dir=str(tmp_path))
    assert config.options.timeout == 5.0 and config.options.memory_limit == 2 * 2**30
    sw.check_targets(config)
    summary = sw.run_sweep(config, workers=1, processes=True, stream=io.StringIO())
    assert summary["run_now"] == 4 and summary["errors"] == 2
    rows = sw.read_results(config.output)
    by_target = {t.rsplit(":", 1)[-1]: (s, m) for t, s, m in zip(rows["target"], rows["status"], rows["message"])}
    assert by_target["lloyd_numpy"][0] == "ok" and by_target["lloyd"][0] == "ok"
    assert by_target["segfault"][0] == "crashed" and "signal 11" in by_target["segfault"][1]
    assert by_target["hang"][0] == "timeout" and "5 s" in by_target["hang"][1]
    from harness.studies.report import write_report

    write_report(config.output, str(tmp_path / "report.html"))
    page = (tmp_path / "report.html").read_text()
    assert "Fits that did not finish" in page and "crashed" in page and "timeout" in page


def test_a_user_target_that_does_not_load_is_a_config_error(tmp_path):
    (tmp_path / "broken_import.py").write_text("import no_such_module_anywhere\n")
    text = TINY.replace('target = ["lloyd"]', 'target = ["broken_import.py:fit"]')
    config = sw.parse_config(text, base_dir=str(tmp_path))
    with pytest.raises(InvalidArgument, match="grid.target = 'broken_import.py:fit'.*no_such_module_anywhere"):
        sw.check_targets(config, where="tiny.toml")
