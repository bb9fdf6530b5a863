"""The report as a reader sees it: no legend over data (checked on the matplotlib artists), per-model
tables, right-aligned numbers, readable provenance, and every figure visible in a real browser
(headless Chromium screenshot, each <img> region checked apart)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("pyarrow")

from harness.studies.report import build_figures, build_html, write_report  # noqa: E402
from harness.studies.results import write_part  # noqa: E402
from harness.studies.sweep import SweepRow  # noqa: E402


def synthetic_rows(seed=0) -> list[dict]:
    """Rows as a sweep writes them, over two models, two k, three η_min and three initialisers, with
    spurious rates that differ by initialiser and model (no fit is run)."""
    rng = np.random.default_rng(seed)
    rows = []
    for model in ("ball", "gaussian"):
        for k in (5, 10):
            for eta in (3.0, 5.0, 10.0):
                for init, p in (("random", 0.6), ("greedy-k-means++", 0.2), ("ward+polish", 0.05)):
                    for repeat in range(6):
                        ci = int(rng.binomial(3, p * (1.5 if model == "gaussian" else 1.0) / 1.5))
                        rows.append(
                            SweepRow(
                                run_key=json.dumps([model, k, eta, init, repeat]),
                                model=model,
                                k=k,
                                d=2,
                                separation_ratio_min=eta,
                                n=1000,
                                repeat=repeat,
                                initialiser=init,
                                target="lloyd",
                                data_seed=1,
                                run_seed=2,
                                centroid_index=ci,
                                objective=1.0 + ci,
                                truth_objective=1.0,
                                objective_ratio=1.0 + 0.3 * ci + 0.01 * rng.random(),
                                converged=True,
                                n_iter=10,
                                spurious=ci > 0,
                                init_seconds=0.01,
                                fit_seconds=0.02 + 0.01 * rng.random(),
                            ).to_record()
                        )
    return rows


def _columns(rows):
    return {k: [r[k] for r in rows] for k in rows[0]}


def _inside(box, pts) -> int:
    pts = np.asarray(pts, dtype=float).reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    x, y = pts[:, 0], pts[:, 1]
    return int(np.sum((x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1)))


def data_points_under_legend(fig) -> int:
    """How many data points, bars or boxes of ``fig`` lie under a legend (display coordinates)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    hits = 0
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        for line in ax.lines:
            pts = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
            hits += _inside(box, pts)
        for patch in ax.patches:
            if patch.get_visible() and patch.get_window_extent(renderer).overlaps(box):
                hits += 1
        for collection in ax.collections:
            transform = collection.get_transform()
            for path in collection.get_paths():
                pts = transform.transform(path.vertices)
                hits += _inside(box, pts)
    return hits


def test_the_overlap_detector_sees_a_legend_over_data():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.bar(["a", "b", "c"], [1.0, 1.0, 1.0], label="bars")
    ax.legend(loc="center")
    assert data_points_under_legend(fig) > 0
    plt.close(fig)


def test_no_legend_covers_data_in_any_figure():
    gap = {
        "name": "theorem1-gap",
        "verdict": {"reproduced": True, "summary": "s"},
        "ours": {
            "rows": [
                {"k": k, "d": 1, "theorem_threshold": 1e4 * k, "empirical_threshold": {"0.1": 3.0, "0.25": 2.5}}
                for k in (2, 3, 4)
            ]
        },
    }
    balancing = {
        "name": "balancing-squares",
        "paper": {"dense_asymptotic": 151.9},
        "ours": {
            "finite_k_prediction": 153.0,
            "methods": [
                {"method": m, "dense_mean": v, "dense_sd": 1.0} for m, v in (("random", 184.0), ("ward", 152.5))
            ],
        },
    }
    density = {
        "name": "density-law",
        "ours": {
            "fits": [
                {"method": m, "d": d, "slope_mean": d / (d + 2) + 0.01 * j, "slope_sd": 0.01}
                for j, m in enumerate(("random", "ward+polish"))
                for d in (1, 2, 3)
            ]
        },
    }
    figures = build_figures(_columns(synthetic_rows()), [gap, balancing, density])
    assert len(figures) == 7
    for title, fig in figures:
        assert data_points_under_legend(fig) == 0, title


def test_tables_per_model_right_aligned_numbers_and_readable_provenance():
    rows = _columns(synthetic_rows())
    rows["versions_json"] = [json.dumps({"numpy": "2.0.0", "kmeans-harness": "0.1.0"})] * len(rows["run_key"])
    rows["git_commit"] = ["abc123"] * len(rows["run_key"])
    page, _ = build_html(rows)
    assert "<h3>ball mixtures only</h3>" in page and "<h3>gaussian mixtures only</h3>" in page
    assert "<td class='num'>36</td>" in page  # converged fits per (initialiser, target, model)
    assert "<td>random</td>" in page  # text stays left-aligned
    assert "versions_json" not in page and "<th scope='row'>numpy</th><td>2.0.0</td>" in page
    assert "<th scope='row'>Git commit</th><td>abc123</td>" in page


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


# Beside each <img>: its box in CSS pixels, written into the page by the page itself once loaded.
_PROBE = """<script>
window.addEventListener('load', function () {
  var out = [];
  document.querySelectorAll('img').forEach(function (img) {
    var r = img.getBoundingClientRect();
    out.push([r.left + window.scrollX, r.top + window.scrollY, r.width, r.height, img.naturalWidth]);
  });
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify({images: out, height: document.documentElement.scrollHeight});
  document.body.appendChild(pre);
});
</script>"""


def _run_chromium(browser, args, tmp_path):
    common = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
    ]
    return subprocess.run(common + args, capture_output=True, text=True, timeout=120)


def blank_figures(report, tmp_path, width=1200) -> list[int]:
    """Render ``report`` in headless Chromium, screenshot the whole page, and return the indices of
    the <img> elements whose region of the screenshot holds (almost) no ink."""
    import matplotlib.image as mpimg

    probed = tmp_path / ("probed-" + report.name)
    probed.write_text(report.read_text().replace("</body>", _PROBE + "</body>"))
    browser = _chromium()
    dom = _run_chromium(browser, [f"--window-size={width},800", "--dump-dom", probed.as_uri()], tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    start = dom.stdout.index('<pre id="probe">') + len('<pre id="probe">')
    probe = json.loads(dom.stdout[start : dom.stdout.index("</pre>", start)].replace("&quot;", '"'))
    images = probe["images"]
    assert images, "no <img> in the page"
    shot = tmp_path / (report.stem + ".png")
    height = int(probe["height"]) + 10
    res = _run_chromium(browser, [f"--window-size={width},{height}", f"--screenshot={shot}", report.as_uri()], tmp_path)
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    pixels = mpimg.imread(str(shot))[..., :3]
    assert pixels.shape[1] == width and pixels.shape[0] >= max(top + h for _, top, _, h, _ in images)
    blank = []
    for i, (left, top, w, h, natural) in enumerate(images):
        region = pixels[int(top) : int(top + h), int(left) : int(left + w)]
        ink = float(np.mean(np.min(region, axis=2) < 0.6)) if region.size else 0.0  # axes, text, marks
        if natural == 0 or w < 100 or h < 100 or ink < 0.01:
            blank.append(i)
    return blank


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (apt-get install chromium)")
def test_every_figure_is_visible_in_headless_chromium(tmp_path):
    """Each <img> region of the screenshot is checked apart (one non-blank page is not enough): the
    real report has none blank, and the same report with its second figure swapped for a white
    picture of the same size is caught at exactly that figure."""
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = str(tmp_path / "results.parquet")
    write_part(out, synthetic_rows(), {"versions_json": json.dumps({"numpy": "2"})})
    report = tmp_path / "report.html"
    assert write_report(out, str(report))["figures"] == 4
    assert blank_figures(report, tmp_path) == []

    page = report.read_text()
    encoded = page.split("data:image/png;base64,")[2].split("'")[0]
    fig = plt.figure(figsize=(6.4, 4.0))  # white, nothing drawn
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    broken = tmp_path / "broken.html"
    broken.write_text(page.replace(encoded, base64.b64encode(buf.getvalue()).decode("ascii")))
    assert blank_figures(broken, tmp_path) == [1]


def test_chromium_is_required_in_ci():
    """CI installs Chromium (.ci/run), so the screenshot test runs there rather than skipping."""
    if os.environ.get("CI") and _chromium() is None:
        pytest.fail("chromium is missing in CI: .ci/run installs it with apt-get")
