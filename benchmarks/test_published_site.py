"""The published asv dashboard (``asv publish``, then ``vendor_js.py install``): every benchmark has a
measured point, the commit just benchmarked among them, and the page loads nothing from the network
and renders offline in headless Chromium.  ``tox -e bench`` runs this after publishing; it is not
a benchmark (``pytest benchmarks --benchmark-only`` skips it).
"""

import functools
import http.server
import json
import math
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML_DIR = ROOT / json.loads((ROOT / "asv.conf.json").read_text(encoding="utf-8"))["html_dir"]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# A tag attribute that makes the browser fetch something (hyperlinks, <a href>, are followed only on a click).
_LOADING_URL = re.compile(r"<(?:script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", re.IGNORECASE)
_EXTERNAL = re.compile(r"^(?:[a-z]+:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def index():
    path = HTML_DIR / "index.json"
    if not path.is_file():
        pytest.fail(f"no {path}: run `asv run ...` and `asv publish` first (tox -e bench does)")
    return json.loads(path.read_text(encoding="utf-8"))


def _points(graph_file: Path):
    """``{revision: [measured values]}`` of one graph file (a parametrised benchmark has one value per
    combination, ``null`` where it was not measured)."""
    points = {}
    for revision, value in json.loads(graph_file.read_text(encoding="utf-8")):
        values = value if isinstance(value, list) else [value]
        measured = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
        if measured:
            points.setdefault(revision, []).extend(measured)
    return points


def _head_revision(index):
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    by_hash = {commit: int(revision) for revision, commit in index["revision_to_hash"].items()}
    return by_hash.get(head.stdout.strip())


def test_every_benchmark_has_a_measured_point(index):
    head = _head_revision(index)
    missing, missing_at_head = [], []
    for name in sorted(index["benchmarks"]):
        points = {}
        for graph_file in (HTML_DIR / "graphs").rglob(f"{name}.json"):
            if "summary" not in graph_file.relative_to(HTML_DIR / "graphs").parts:
                for revision, values in _points(graph_file).items():
                    points.setdefault(revision, []).extend(values)
        if not points:
            missing.append(name)
        elif head is not None and head not in points:
            missing_at_head.append(name)
    assert not missing, f"benchmarks with no measured point in {HTML_DIR / 'graphs'}: {missing}"
    assert not missing_at_head, f"benchmarks with no point at HEAD (revision {head}): {missing_at_head}"


def test_timings_memory_and_quality_are_all_published(index):
    kinds = {name.rsplit(".", 1)[1].split("_", 1)[0] for name in index["benchmarks"]}
    assert {"time", "peakmem", "track"} <= kinds, f"benchmark kinds on the dashboard: {sorted(kinds)}"
    quality = index["benchmarks"]["bench_quality.SpuriousMinima.track_spurious_rate"]
    assert quality["param_names"] == ["mixture", "initialiser"], quality["param_names"]


def test_index_html_loads_nothing_from_the_network():
    html = (HTML_DIR / "index.html").read_text(encoding="utf-8")
    urls = _LOADING_URL.findall(html)
    external = [url for url in urls if _EXTERNAL.match(url)]
    assert not external, f"index.html loads {external}; run `python benchmarks/vendor_js.py install {HTML_DIR}`"
    missing = [url for url in urls if not (HTML_DIR / url.split("?")[0]).is_file()]
    assert not missing, f"index.html loads files that are not in {HTML_DIR}: {missing}"


@pytest.fixture(scope="module")
def chromium():
    path = next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if path is None:
        pytest.skip(f"no headless browser on PATH (looked for {', '.join(CHROMIUM_NAMES)}); .ci/run installs chromium")
    return path


@pytest.fixture(scope="module")
def site_url():
    """The site over HTTP on 127.0.0.1 (Chromium does not let a file:// page read index.json)."""
    handler = functools.partial(QuietHandler, directory=str(HTML_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def _render(chromium, url, *extra):
    """Chromium with every host name unresolvable, so only the local server can answer."""
    command = [
        chromium,
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--virtual-time-budget=15000",
        "--window-size=1400,900",
        *extra,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env=dict(os.environ, HOME="/tmp"))


@pytest.mark.parametrize(
    "view, expected",
    [
        ("#/summarylist", "bench_quality.SpuriousMinima.track_spurious_rate"),
        ("#bench_kernels.Lloyd.time_lloyd_30_iterations", "flot-base"),
    ],
    ids=["benchmark list", "graph"],
)
def test_renders_offline_in_chromium(chromium, site_url, index, view, expected):
    dom = _render(chromium, site_url + view, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "external (JavaScript) dependencies" not in dom.stdout, "asv's error page: a script did not load"
    assert expected in dom.stdout, f"{view}: {expected!r} not in the rendered page ({len(dom.stdout)} characters)"
    screenshot = HTML_DIR.parent / "screenshots" / (view.strip("#/").replace(".", "_") + ".png")
    screenshot.parent.mkdir(exist_ok=True)
    _render(chromium, site_url + view, f"--screenshot={screenshot}")
