"""How far below Theorem 1's assumptions the paper's structure of local minima survives: population
Lloyd limits certified as minima and judged by :func:`has_structure`, per (k, d) over an η_min grid.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from collections.abc import Sequence

import numpy as np

from harness.clustering import kmeans as api
from harness.errors import InvalidArgument, require
from harness.studies.reproductions.parameters import (
    check_int,
    check_ints,
    check_numbers,
    check_path,
    check_positive,
)
from harness.studies.reproductions.text import PAPER_SOURCE, paper_lines
from harness.theory import certificates, population
from harness.theory.models import BallMixture

__all__ = ["draw_gap", "format_text", "has_structure", "plot_gap", "theorem1_gap", "theorem1_threshold"]


def theorem1_threshold(k, spread, c=3.0):
    """The smallest η_min meeting Theorem 1's assumptions for η_max = spread·η_min:
    η_max > 4c²k⁴ and η_min ≥ 10ck²√η_max, i.e. η_min ≥ max(4c²k⁴/spread, 100c²k⁴·spread)."""
    return max(4 * c * c * k**4 / spread, 100 * c * c * k**4 * spread)


def has_structure(mixture, centers, cell_mass, epsilon):
    """Theorem 1's structure judged with a tolerance that does not grow as η falls: every fitted
    center lies within ε·Δmin of a true center or of the mean of a group of true centers, or its
    cell holds less than ε of one cluster's mass (P(V_i) < ε/k: with weights 1/k a bare "< ε"
    would call whole clusters empty once k ≥ 1/ε).  Returns (holds, worst) with worst the
    offending center's index or None."""
    T = mixture.centers
    k = len(T)
    tol = epsilon * mixture.center_distance_min
    means = [T[list(g)].mean(axis=0) for size in range(1, k + 1) for g in itertools.combinations(range(k), size)]
    M = np.array(means)
    for i, ci in enumerate(np.asarray(centers)):
        if cell_mass[i] < epsilon / k:
            continue
        if np.min(np.linalg.norm(M - ci, axis=1)) > tol:
            return False, i
    return True, None


def _decomposition_key(decomposition):
    """A rotation-invariant name for a decomposed fixed point: which balls each center meets and,
    for a shared ball, its centers' within-ball masses (two limits on one rotation orbit are one)."""
    parts = []
    for s, g in enumerate(decomposition.groups):
        masses = tuple(sorted(np.round(decomposition.masses[list(g)] * len(decomposition.groups), 3)))
        parts.append((s, len(g), masses))
    owners = tuple(
        sorted(
            tuple(s for s, g in enumerate(decomposition.groups) if g == (j,)) for j in range(len(decomposition.centers))
        )
    )
    return ("decomposed", tuple(parts), owners)


def _certified_minima(mixture, starts, seed, qmc, *, lloyd_tol=None):
    """Population Lloyd from ``starts`` k-means++ seedings of a sample; unique limits, each
    mapped to the exact fixed point it approximates and certified by
    :func:`certificates.ball_decomposition_certificate` in d >= 2 when every ball is inside one cell
    or shared by centers meeting no other ball (exact for whole balls and pairs, RQMC on one ball
    for three or more centers in a ball), else by :func:`certificates.whole_ball_certificate`, then
    in d >= 2 :func:`certificates.facet_certificate` (RQMC Hessian), then
    :func:`certificates.is_local_minimum` (exact in 1-D, QMC in d >= 2: may be inconclusive).
    ``lloyd_tol`` (radii; default 1e-9, always 1e-9 in 1-D) stops population Lloyd in d >= 2: a
    decomposed limit is replaced by the exact fixed point, so it need only be close enough to name it.
    Returns a list of (centers, kind, masses, how) with ``how`` the certificate used."""
    k, d = mixture.k, mixture.dim
    # 1-D limits are judged by exact integrals at the limit itself, so they converge fully
    tol = (1e-9 if lloyd_tol is None or d == 1 else float(lloyd_tol)) * mixture.radius
    X, _ = mixture.sample(200 * k, seed=[seed, 7])
    found = []
    for j in range(starts):
        # alternate k-means++ with uniform data rows: k-means++ alone almost always finds the truth
        init = "k-means++" if j % 2 == 0 else "random"
        start = api.init_centers(X, k, init, seed=np.random.default_rng([seed, j]))
        # in d >= 2 a shared ball's rotation is flat for G and nearly flat for the QMC map, so Lloyd
        # creeps along it; the certificates replace the limit by the fixed point it approximates
        res = population.population_lloyd(mixture, start, max_iter=2000 if d == 1 else 300, tol=tol, **qmc)
        c = res.centers
        if d >= 2:
            dec = certificates.ball_decomposition_certificate(mixture, c)
            if dec is not None:
                key = _decomposition_key(dec)
                if not any(key == f[0] for f in found):
                    how = "decomposition (exact)" if dec.exact else "decomposition (RQMC within one ball)"
                    if dec.touching:
                        how += ", a ball touching a cell"
                    found.append((key, dec.centers, dec.kind, dec.masses, how))
                continue
        key = np.sort(np.round(c / mixture.radius, 3).view(f"V{8 * d}").ravel())
        if any(isinstance(f[0], np.ndarray) and np.array_equal(key, f[0]) for f in found):
            continue
        exact = certificates.whole_ball_certificate(mixture, c)
        if exact is not None:  # no ball cut by a boundary: certified exactly, in any dimension
            kind, c, masses, _ = exact
            found.append((key, c, kind, masses, "whole balls (exact)"))
            continue
        if d >= 2:  # a cell meets parts of two balls: RQMC facet Hessian at the refined fixed point
            kind, refined, masses, _, _, _ = certificates.facet_certificate(mixture, c)
            if kind != "inconclusive":
                found.append((key, refined, kind, masses, "facet Hessian (RQMC)"))
                continue
        verdict = certificates.is_local_minimum(mixture, c, n_directions=8, steps=(1e-2, 1e-3), **qmc)
        masses = population.cell_integrals(mixture, c, **qmc).cell_masses
        found.append((key, c, verdict.kind, masses, "exact 1-D" if d == 1 else "QMC directional tests"))
    return [(c, kind, masses, how) for _, c, kind, masses, how in found]


def theorem1_gap(
    *,
    full: bool = False,
    seed: int = 0,
    ks: Sequence[int] | None = None,
    dims: Sequence[int] | None = None,
    starts: int | None = None,
    etas: Sequence[float] = (2.1, 2.25, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 11.0, 16.0, 24.0),
    output_dir: str | os.PathLike | None = "theorem1-gap",
    lloyd_tol: float = 1e-5,
    progress_json: str | os.PathLike | None = None,
) -> dict:
    """How far below Theorem 1's assumptions every certified population local minimum still has the
    structure (:func:`has_structure`, ε = 0.1 and 0.25).

    For each (k, d): compact lattice centers (:meth:`BallMixture.with_separation`), radius 1, η_min
    on a descending grid; at each η, population Lloyd from ``starts`` seedings of a sample
    (k-means++ and uniform data rows, alternately), limits certified by :func:`_certified_minima`
    (in d >= 2 first by the ball decomposition, exact for whole balls and pairs sharing a ball;
    ``strict``/``non-strict`` count; saddles, non-stationary and inconclusive limits are reported,
    per η in ``kinds`` and summed per row, but not judged).  The empirical threshold
    is the smallest grid η from which, at every larger grid value, all certified minima have the
    structure.  Default grid k ∈ {2, …, 5} in d = 1 and k ∈ {2, 3} in d = 2 (under a
    minute); ``full=True`` (``kmeans-harness reproduce theorem1-gap --full``) runs
    k ∈ {2, …, 10}, d ∈ {1, 2, 10} (hours in d = 10: QMC integrals of k² cells per Lloyd step).
    Prints one progress line per (k, d) on standard error.

    Parameters
    ----------
    full : bool, default False
        The full grid instead of the quick one; it sets the defaults of ``ks``, ``dims`` and ``starts``
        (the quick grid also keeps d >= 2 to k <= 3).
    seed : int, default 0
        Seed (>= 0) of the lattices, the samples and the seedings.
    ks : sequence of int, optional
        Numbers of clusters k (>= 2); default (2, 3, 4, 5), or 2, …, 10 when ``full``.
    dims : sequence of int, optional
        Dimensions d (>= 1); default (1, 2), or (1, 2, 10) when ``full``.
    starts : int, optional
        Population Lloyd starts (>= 1) per (k, d, η); default 10, or 20 when ``full``.
    etas : sequence of float, default (2.1, 2.25, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 11.0, 16.0, 24.0)
        The η_min grid (each > 2: disjoint balls), scanned in descending order.
    output_dir : path or None, default "theorem1-gap"
        Folder (created if missing; relative to the working directory) for ``theorem1-gap.png``
        (:func:`plot_gap`); None draws nothing (and needs no matplotlib).
    lloyd_tol : float, default 1e-5
        Stopping step of population Lloyd in d >= 2, in radii (> 0; 1-D limits always converge to 1e-9):
        a limit the decomposition certifies is replaced by its exact fixed point, so Lloyd need only
        get close (QMC noise moves the limit by ~1e-2 radii anyway).
    progress_json : path or None, default None
        If given, rewritten with ``{"rows", "seconds"}`` after every (k, d): a long grid keeps every finished row.

    Returns
    -------
    dict
        ``{"name", "source", "paper", "ours", "verdict"}``; ``ours["rows"]`` has one row per (k, d),
        ``ours["png"]`` the plot's path or None.
    """
    if not isinstance(full, bool):
        raise InvalidArgument(f"full: expected True or False, got {full!r}")
    seed = check_int("seed", seed, minimum=0)
    if ks is None:
        ks = tuple(range(2, 11)) if full else (2, 3, 4, 5)
    if dims is None:
        dims = (1, 2, 10) if full else (1, 2)
    ks = check_ints("ks", ks, minimum=2)
    dims = check_ints("dims", dims, minimum=1)
    starts = (20 if full else 10) if starts is None else check_int("starts", starts, minimum=1)
    etas = check_numbers("etas", etas, minimum=2.0)
    out_dir = check_path("output_dir", output_dir, none_means="no plot")
    lloyd_tol = check_positive("lloyd_tol", lloyd_tol)
    json_path = check_path("progress_json", progress_json, none_means="no progress file")
    epsilons = (0.1, 0.25)
    qmc = {"qmc_points": 2**11, "replicates": 4}
    rows = []
    started = time.perf_counter()
    # the quick grid keeps d >= 2 to k <= 3: a QMC Lloyd step costs k² cell integrals per node
    pairs = [(d, k) for d, k in itertools.product(dims, ks) if full or d == 1 or k <= 3]
    total = len(pairs)
    for count, (d, k) in enumerate(pairs, 1):
        per_eta = []
        row_started = time.perf_counter()
        for eta in sorted(etas, reverse=True):
            mixture = BallMixture.with_separation(k, d, eta, seed=seed)
            minima = _certified_minima(mixture, starts, seed, qmc, lloyd_tol=lloyd_tol)
            certified = [(c, m) for c, kind, m, _ in minima if kind in ("strict", "non-strict")]
            kinds, hows = {}, {}
            for _, kind, _, how in minima:
                kinds[kind] = kinds.get(kind, 0) + 1
                hows[how] = hows.get(how, 0) + 1
            holds = {eps: all(has_structure(mixture, c, m, eps)[0] for c, m in certified) for eps in epsilons}
            # limits that are not certified minima, with their centers (to look at them again)
            others = [
                {"kind": kind, "how": how, "centers": np.round(c, 6).tolist()}
                for c, kind, _, how in minima
                if kind not in ("strict", "non-strict")
            ]
            per_eta.append(
                {
                    "eta_min": eta,
                    "kinds": kinds,
                    "certificates": hows,
                    "certified": len(certified),
                    "holds": holds,
                    "not_minima": others,
                }
            )
        counts = {}
        for row in per_eta:
            for kind, n in row["kinds"].items():
                counts[kind] = counts.get(kind, 0) + n
        thresholds = {}
        for eps in epsilons:
            thr = None
            for row in per_eta:  # descending η
                if not row["holds"][eps]:
                    break
                thr = row["eta_min"]
            thresholds[eps] = thr
        spread = BallMixture.with_separation(k, d, 4.0, seed=seed).separation_ratio_spread
        rows.append(
            {
                "k": k,
                "d": d,
                "spread": spread,
                "empirical_threshold": {str(e): t for e, t in thresholds.items()},
                "theorem_threshold": theorem1_threshold(k, spread),
                "kinds": counts,
                "seconds": time.perf_counter() - row_started,
                "per_eta": [dict(r, holds={str(e): h for e, h in r["holds"].items()}) for r in per_eta],
            }
        )
        if json_path:  # a long grid keeps every finished row
            with open(json_path, "w") as fh:
                json.dump({"rows": rows, "seconds": time.perf_counter() - started}, fh, indent=1)
        print(
            f"theorem1-gap: [{count}/{total}] k={k} d={d}: empirical η_min "
            f"{thresholds[0.1]} (ε=0.1), {thresholds[0.25]} (ε=0.25); theorem {rows[-1]['theorem_threshold']:.3g}; "
            f"limits {counts}"
            f"  ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    png = None
    if out_dir:
        png = plot_gap(rows, str(out_dir))
    judged = [r for r in rows if r["empirical_threshold"]["0.1"] is not None]
    reproduced = bool(judged) and all(
        r["empirical_threshold"]["0.25"] is not None and r["empirical_threshold"]["0.25"] < r["theorem_threshold"]
        for r in rows
    )
    summary = (
        "every certified population local minimum has the structure far below Theorem 1's assumptions: "
        + "; ".join(
            f"k={r['k']} d={r['d']}: η_min ≥ {r['empirical_threshold']['0.1']} (ε=0.1) vs {r['theorem_threshold']:.3g}"
            for r in rows
        )
    )
    return {
        "name": "theorem1-gap",
        "source": PAPER_SOURCE,
        "paper": {
            "claim": "Theorem 1: under η_max > 4c²k⁴ and η_min ≥ 10ck²√η_max (c ≥ 3) every local minimum of G has "
            "the many/one-fit-one, one-fit-many, almost-empty structure"
        },
        "ours": {
            "grid": {"k": list(ks), "d": list(dims), "eta_min": list(etas), "starts": starts, "full": full},
            "epsilons": list(epsilons),
            "rows": rows,
            "png": png,
            "seconds": time.perf_counter() - started,
        },
        "verdict": {"reproduced": reproduced, "summary": summary},
    }


def draw_gap(ax, rows):
    """The empirical structure thresholds per (d, ε) against Theorem 1's, on ``ax`` (also used by
    the HTML report)."""
    for d in sorted({r["d"] for r in rows}):
        sub = [r for r in rows if r["d"] == d]
        for eps, style in (("0.1", "o-"), ("0.25", "s--")):
            pts = [(r["k"], r["empirical_threshold"][eps]) for r in sub if r["empirical_threshold"][eps] is not None]
            if pts:
                ax.plot(*zip(*pts), style, label=f"empirical, d={d}, ε={eps}")
    ks = sorted({r["k"] for r in rows})
    ax.plot(ks, [min(r["theorem_threshold"] for r in rows if r["k"] == k) for k in ks], "k-", lw=2, label="Theorem 1")
    ax.set_yscale("log")
    ax.set_xlabel("k")
    ax.set_ylabel("η_min")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # clear of the data


def plot_gap(rows, out_dir) -> str:
    """Draw :func:`draw_gap` for ``rows`` (a :func:`theorem1_gap` result's ``ours["rows"]``) into
    ``out_dir/theorem1-gap.png`` (the folder is created) and return that path.  Needs matplotlib."""
    require("matplotlib", "study", "the theorem1-gap plot")
    import matplotlib  # optional (the study extra): imported only when a plot is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    draw_gap(ax, rows)
    ax.set_title("Structure of certified local minima: empirical vs Theorem 1")
    fig.tight_layout()
    path = os.path.join(out_dir, "theorem1-gap.png")
    fig.savefig(path, dpi=110, bbox_inches="tight")  # the legend sits right of the axes
    plt.close(fig)
    return path


def format_text(result: dict) -> list[str]:
    """Console lines for a :func:`theorem1_gap` result: one row per (k, d), then the plot's path."""
    ours = result["ours"]
    rows = [f"  {'k':>2} {'d':>2} {'η ε=0.1':>8} {'η ε=0.25':>8} {'theorem':>10}  limits over the η grid"]
    for row in ours["rows"]:
        e = row["empirical_threshold"]
        rows.append(
            f"  {row['k']:>2} {row['d']:>2} {str(e['0.1']):>8} {str(e['0.25']):>8} "
            f"{row['theorem_threshold']:>10.3g}  {row.get('kinds', row['per_eta'][-1]['kinds'])}"
        )
    if ours.get("png"):
        rows.append(f"  plot: {ours['png']}")
    return paper_lines(result, rows)
