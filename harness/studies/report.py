"""A self-contained HTML report of sweep results (and, optionally, of reproductions): every figure is
a matplotlib PNG embedded as base64, so the page has no other files.

It reads rows and draws; it runs no fit.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from collections import defaultdict

import numpy as np

from harness.errors import InvalidArgument, require
from harness.studies.reproductions.theorem1_gap import draw_gap
from harness.studies.results import read_results_checked

__all__ = ["build_figures", "build_html", "legend_outside", "spurious_rates", "write_report"]


def _pyplot():
    matplotlib = require("matplotlib", "study", "kmeans-harness report")
    matplotlib.use("Agg")  # no display: the figures only go into the page
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def legend_outside(ax, **kwargs):
    """The legend to the right of the axes, clear of every bar, line and error bar (the page is wide
    enough; ``bbox_inches='tight'`` keeps it in the picture)."""
    return ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def spurious_rates(rows: dict, by: str) -> dict:
    """``{initialiser: [(value of `by`, rate, standard error, fits), ...]}`` over converged fits.

    The rate is the fraction of converged fits with Centroid Index > 0; its standard error is the
    binomial √(p(1 − p)/m) with p shrunk to (x + 1)/(m + 2) so that 0 of m still shows a bar."""
    groups = defaultdict(lambda: [0, 0])
    for i, status in enumerate(rows["status"]):
        if status != "ok" or not rows["converged"][i] or rows["spurious"][i] is None or rows[by][i] is None:
            continue  # a fit with no truth to compare with (data without a reference partition of k cells)
        g = groups[(rows["initialiser"][i], rows[by][i])]
        g[0] += bool(rows["spurious"][i])
        g[1] += 1
    out = defaultdict(list)
    for (init, value), (x, m) in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        p = (x + 1) / (m + 2)
        out[init].append((value, x / m, math.sqrt(p * (1 - p) / m), m))
    return dict(out)


def _rate_figure(rows, by, label):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for init, pts in spurious_rates(rows, by).items():
        xs, ps, ses, _ = zip(*pts)
        ax.errorbar(xs, ps, yerr=ses, marker="o", capsize=3, label=init)
    ax.set_xlabel(label)
    ax.set_ylabel("spurious-minimum rate (CI > 0)")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    legend_outside(ax)
    return fig


def _objective_figure(rows):
    plt = _pyplot()
    by = defaultdict(list)
    for i, status in enumerate(rows["status"]):
        if status == "ok" and rows["objective_ratio"][i] is not None:
            by[rows["initialiser"][i]].append(rows["objective_ratio"][i])
    names = sorted(by)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.boxplot([by[n] for n in names], showfliers=True)
    ax.set_xticks(range(1, len(names) + 1), names, rotation=20, fontsize=8)
    ax.set_yscale("log")
    from matplotlib.ticker import FormatStrFormatter  # matplotlib is loaded by _pyplot() above

    ax.yaxis.set_major_formatter(FormatStrFormatter("%.3g"))  # 1.2, not 1.2×10⁰
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%.3g"))
    ax.set_ylabel("objective / objective at the true centers")
    ax.grid(alpha=0.3)
    return fig


def _ci_figure(rows):
    plt = _pyplot()
    counts = defaultdict(lambda: defaultdict(int))
    for i, status in enumerate(rows["status"]):
        if status == "ok" and rows["centroid_index"][i] is not None:
            counts[rows["initialiser"][i]][min(int(rows["centroid_index"][i]), 5)] += 1
    names = sorted(counts)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    bottom = np.zeros(len(names))
    for ci in range(6):
        totals = np.array([sum(counts[n].values()) for n in names], dtype=float)
        vals = np.array([counts[n][ci] for n in names], dtype=float) / np.maximum(totals, 1)
        ax.bar(names, vals, bottom=bottom, label=f"CI = {ci}" if ci < 5 else "CI ≥ 5")
        bottom += vals
    ax.set_ylabel("fraction of fits")
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    legend_outside(ax)
    return fig


def _balancing_figure(result):
    plt = _pyplot()
    rows = result["ours"]["methods"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    names = [r["method"] for r in rows]
    ax.errorbar([r["dense_mean"] for r in rows], names, xerr=[r["dense_sd"] for r in rows], fmt="o", capsize=3)
    ax.axvline(result["paper"]["dense_asymptotic"], color="k", ls="--", label="density law (k → ∞)")
    ax.axvline(result["ours"]["finite_k_prediction"], color="C3", ls=":", label="finite-k prediction")
    ax.set_xlabel("centers in the dense square (of 200)")
    legend_outside(ax)
    return fig


def _density_figure(result):
    plt = _pyplot()
    rows = result["ours"]["fits"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    methods = sorted({r["method"] for r in rows})
    for j, m in enumerate(methods):
        pts = [r for r in rows if r["method"] == m]
        ax.errorbar(
            [r["d"] + 0.08 * (j - 1) for r in pts],
            [r["slope_mean"] for r in pts],
            yerr=[r["slope_sd"] for r in pts],
            fmt="o",
            capsize=3,
            label=m,
        )
    ds = np.array([1, 2, 3])
    ax.plot(ds, ds / (ds + 2), "k_", markersize=30, label="d/(d+2)")
    ax.set_xticks([1, 2, 3])
    ax.set_xlabel("dimension d")
    ax.set_ylabel("exponent of center density")
    legend_outside(ax)
    return fig


def _theorem_gap_figure(result):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    draw_gap(ax, result["ours"]["rows"])
    return fig


def initialiser_comparison(rows: dict) -> list:
    """Per (initialiser, target): fits, median and mean objective relative to the truth, and median
    seeding and fitting seconds -- the blog's comparison of k-means++ and Ward + polish on
    objective and time, over the sweep's grid."""
    groups: dict = {}
    for i, status in enumerate(rows.get("status", [])):
        if status != "ok":
            continue
        groups.setdefault((rows["initialiser"][i], rows["target"][i]), []).append(i)
    out = []
    for (init, target), idx in sorted(groups.items()):
        ratio = [rows["objective_ratio"][i] for i in idx if rows["objective_ratio"][i] is not None]
        seed_s = [rows["init_seconds"][i] for i in idx if rows["init_seconds"][i] is not None]
        fit_s = [rows["fit_seconds"][i] for i in idx if rows["fit_seconds"][i] is not None]
        out.append(
            {
                "initialiser": init,
                "target": target,
                "fits": len(idx),
                "objective_ratio_median": float(np.median(ratio)) if ratio else None,
                "objective_ratio_mean": float(np.mean(ratio)) if ratio else None,
                "init_seconds_median": float(np.median(seed_s)) if seed_s else None,
                "fit_seconds_median": float(np.median(fit_s)) if fit_s else None,
            }
        )
    return out


def _fmt(v, spec):
    return "–" if v is None else format(v, spec)


_NUMBER = re.compile(r"^[−–+-]?[\d.]+(e[+-]?\d+)?( ± [\d.]+)?%?$|^–$")


def _cell(value) -> str:
    """A table cell; numbers (and "a ± b", and the "–" of a missing one) are right-aligned."""
    text = str(value)
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool) or bool(_NUMBER.match(text))
    return f"<td class='num'>{html.escape(text)}</td>" if numeric else f"<td>{html.escape(text)}</td>"


def _table(headers, body, numeric_columns=()):
    head = "".join(
        f"<th{' class=num' if i in numeric_columns else ''}>{html.escape(str(h))}</th>" for i, h in enumerate(headers)
    )
    rows = "".join("<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in body)
    return f"<table><tr>{head}</tr>{rows}</table>"


def _subset(rows: dict, model) -> dict:
    """The rows of one generative model (``ball``, ``gaussian``)."""
    idx = [i for i, m in enumerate(rows.get("model", [])) if m == model]
    return {name: [values[i] for i in idx] for name, values in rows.items()}


def _rate_rows(rows: dict) -> list:
    return [
        (init, target, m, f"{rate:.3f} ± {se:.3f}")
        for init, pts in sorted(spurious_rates(rows, "target").items())
        for target, rate, se, m in pts
    ]


def _comparison_rows(rows: dict) -> list:
    return [
        (
            c["initialiser"],
            c["target"],
            c["fits"],
            _fmt(c["objective_ratio_median"], ".4f"),
            _fmt(c["objective_ratio_mean"], ".4f"),
            _fmt(c["init_seconds_median"], ".4f"),
            _fmt(c["fit_seconds_median"], ".4f"),
        )
        for c in initialiser_comparison(rows)
    ]


RATE_HEADERS = ["initialiser", "target", "converged fits", "rate ± s.e."]
COMPARISON_HEADERS = ["initialiser", "target", "fits", "objective/truth median", "mean", "seeding s", "fitting s"]

#: Provenance columns, as the page names them.
PROVENANCE = {
    "sweep_name": "Sweep",
    "sweep_seed": "Seed",
    "git_commit": "Git commit",
    "versions_json": "Versions",
    "config_toml": "Configuration",
}


def _provenance(rows: dict) -> str:
    """One table: sweep, seed, commit, the packages' versions (one row each); then the config."""
    body = []
    for key in ("sweep_name", "sweep_seed", "git_commit"):
        values = sorted({str(v) for v in rows.get(key, []) if v is not None})
        if values:
            body.append((PROVENANCE[key], ", ".join(values)))
    versions_seen: dict = {}
    for text in sorted({str(v) for v in rows.get("versions_json", []) if v}):
        try:
            for package, version in json.loads(text).items():
                versions_seen.setdefault(package, set()).add(str(version))
        except (ValueError, AttributeError):
            versions_seen.setdefault("(unreadable)", set()).add(text[:80])
    for package, found in sorted(versions_seen.items()):
        body.append((f"{package}", ", ".join(sorted(found))))
    out = (
        "<table class='provenance'><tr><th>what</th><th>value</th></tr>"
        + "".join(f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in body)
        + "</table>"
    )
    configs = sorted({str(v) for v in rows.get("config_toml", []) if v})
    for text in configs:
        out += f"<h3>{PROVENANCE['config_toml']}</h3><pre>{html.escape(text)}</pre>"
    return out


def data_objectives(rows: dict) -> list:
    """For a sweep over a data file: per (k, initialiser, target), the fits, the median and largest
    objective relative to the best of the sweep at that k, and the median fitting seconds."""
    best: dict = {}
    groups: dict = {}
    for i, status in enumerate(rows.get("status", [])):
        if status != "ok" or rows["model"][i] != "data" or rows["objective"][i] is None:
            continue
        k = rows["k"][i]
        best[k] = min(best.get(k, math.inf), rows["objective"][i])
        groups.setdefault((k, rows["initialiser"][i], rows["target"][i]), []).append(i)
    out = []
    for (k, init, target), idx in sorted(groups.items()):
        ratios = [rows["objective"][i] / best[k] if best[k] > 0 else 1.0 for i in idx]
        fit_s = [rows["fit_seconds"][i] for i in idx if rows["fit_seconds"][i] is not None]
        out.append(
            (
                k,
                init,
                target,
                len(idx),
                f"{np.median(ratios):.4f}",
                f"{max(ratios):.4f}",
                _fmt(float(np.median(fit_s)) if fit_s else None, ".4f"),
            )
        )
    return out


def build_figures(rows: dict, reproductions=()) -> list:
    """``[(title, matplotlib Figure), ...]``: every figure of the page, not yet encoded (the tests
    look at the artists themselves, e.g. that no legend covers data)."""
    figures = []
    judged = [
        i for i, status in enumerate(rows.get("status", [])) if status == "ok" and rows["spurious"][i] is not None
    ]
    if judged:  # fits with a truth: generated mixtures, or data with a reference partition of k cells
        if any(rows["separation_ratio_min"][i] is not None for i in judged):
            figures.append(
                (
                    "Spurious-minimum rate against η_min, per initialiser",
                    _rate_figure(rows, "separation_ratio_min", "η_min (separation_ratio_min)"),
                )
            )
        figures.append(
            (
                "Spurious-minimum rate against k, per initialiser",
                _rate_figure(rows, "k", "k (true clusters = fitted centers)"),
            )
        )
        figures.append(("Objective relative to the truth", _objective_figure(rows)))
        figures.append(("Centroid Index distribution", _ci_figure(rows)))
    for result in reproductions:
        if result.get("name") == "balancing-squares":
            figures.append(("Balancing squares: centers in the dense square", _balancing_figure(result)))
        elif result.get("name") == "theorem1-gap":
            figures.append(
                ("Theorem 1: empirical structure threshold against the assumption", _theorem_gap_figure(result))
            )
        elif result.get("name") == "density-law":
            figures.append(("Density law: measured exponent against d/(d+2)", _density_figure(result)))
    return figures


def build_html(rows: dict, reproductions=()) -> tuple[str, int]:
    """The page and its number of figures."""
    figures = [(title, _png(fig)) for title, fig in build_figures(rows, reproductions)]
    n = len(rows.get("status", []))
    ok = [i for i in range(n) if rows["status"][i] == "ok"]
    sections = []
    if ok:
        models = sorted({m for m in rows.get("model", []) if m is not None})
        sections.append(
            "<h2>Spurious-minimum rates (all grid points pooled)</h2>"
            + _table(RATE_HEADERS, _rate_rows(rows), numeric_columns=(2, 3))
        )
        if len(models) > 1:
            for model in models:
                sections.append(
                    f"<h3>{html.escape(model)} mixtures only</h3>"
                    + _table(RATE_HEADERS, _rate_rows(_subset(rows, model)), numeric_columns=(2, 3))
                )
        sections.append(
            "<h2>Initialisers compared: objective and time (all grid points pooled)</h2>"
            "<p>Objective relative to the objective at the true centers (below 1 is possible: the sample's "
            "optimum is not the truth); seconds are medians per fit, seeding and fitting apart.</p>"
            + _table(COMPARISON_HEADERS, _comparison_rows(rows), numeric_columns=(2, 3, 4, 5, 6))
        )
        if len(models) > 1:
            for model in models:
                sections.append(
                    f"<h3>{html.escape(model)} mixtures only</h3>"
                    + _table(
                        COMPARISON_HEADERS, _comparison_rows(_subset(rows, model)), numeric_columns=(2, 3, 4, 5, 6)
                    )
                )
    data_rows = data_objectives(rows)
    if data_rows:
        sections.append(
            "<h2>Your data: objective per k and initialiser</h2>"
            "<p>Relative to the lowest objective any fit of the sweep reached at that k (the data's truth is "
            "unknown: with a reference partition of k cells, the tables above also compare with it).</p>"
            + _table(
                ["k", "initialiser", "target", "fits", "objective/best median", "max", "fitting s"],
                data_rows,
                numeric_columns=(0, 3, 4, 5, 6),
            )
        )
    failures: dict = {}
    for i, status in enumerate(rows.get("status", [])):
        if status != "ok":
            key = (rows["target"][i], status)
            failures.setdefault(key, [0, rows["message"][i]])[0] += 1
    if failures:
        sections.append(
            "<h2>Fits that did not finish</h2>"
            + _table(
                ["target", "status", "fits", "first message"],
                [(t, st, c, m) for (t, st), (c, m) in sorted(failures.items())],
                numeric_columns=(2,),
            )
        )
    for result in reproductions:
        if result.get("name") == "balancing-squares":
            sections.append(
                "<h2>Balancing squares: split, objective and time per method</h2>"
                + _table(
                    ["method", "centers in dense square", "objective / best", "seconds per fit", "agrees"],
                    [
                        (
                            m["method"],
                            f"{m['dense_mean']:.1f} ± {m['dense_sd']:.1f}",
                            f"{m['objective_ratio_to_best']:.4f}",
                            f"{m['seconds_mean']:.2f}",
                            "yes" if m["agrees"] else "no",
                        )
                        for m in result["ours"]["methods"]
                    ],
                    numeric_columns=(1, 2, 3),
                )
            )
        verdict = result.get("verdict", {})
        sections.append(
            f"<h2>Reproduction: {html.escape(str(result.get('name')))}</h2><p>"
            f"{'REPRODUCED' if verdict.get('reproduced') else 'NOT REPRODUCED'}: "
            f"{html.escape(str(verdict.get('summary', '')))}</p>"
        )
    errors = n - len(ok)
    body = "".join(
        f"<h2>{html.escape(t)}</h2><img alt='{html.escape(t)}' src='data:image/png;base64,{png}'>" for t, png in figures
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>kmeans-harness report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .6em}}.num{{text-align:right;font-variant-numeric:tabular-nums}}
th{{text-align:left}}th.num{{text-align:right}}img{{max-width:100%;display:block}}
pre{{background:#f6f6f6;padding:.5em;overflow-x:auto}}</style>
</head><body><h1>kmeans-harness report</h1>
<p>{n} fits ({errors} errors). A spurious minimum is a converged fit with Centroid Index &gt; 0 against the
true centers, k equal to the true number of clusters; rates are over converged fits, with binomial
standard errors. Each table pools the grid; where the sweep holds more than one generative model,
the same table follows per model.</p>
{"".join(sections)}{body}<h2>Provenance</h2>{_provenance(rows)}</body></html>
"""
    return page, len(figures)


def write_report(results: str, output: str, *, reproductions=()) -> dict:
    """Read a sweep's results and write the HTML page to ``output``; returns ``{rows, figures,
    duplicates}`` (fits recorded twice and counted once)."""
    rows, duplicates = read_results_checked(results)
    if not rows and not reproductions:
        raise InvalidArgument(f"RESULTS: {results!r} holds no sweep rows")
    page, figures = build_html(rows, reproductions)
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(page)
    except OSError as exc:
        raise InvalidArgument(f"-o: cannot write {output!r}: {exc.strerror}") from exc
    return {"rows": len(rows.get("status", [])), "figures": figures, "duplicates": duplicates}
