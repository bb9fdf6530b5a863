"""The density law measured: the exponent of center density against data density in d = 1, 2, 3,
against d/(d+2) (Gersho 1979; the blog's Appendix 1).  Returns a result dict; prints nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from harness.clustering import initialisers
from harness.studies.reproductions.methods import METHODS, check_methods, run_method
from harness.studies.reproductions.parameters import check_int, check_ints
from harness.studies.reproductions.repeats import VERDICT_Z, mean_sd, seed_for
from harness.studies.reproductions.text import BLOG_FILE, claim_lines

__all__ = ["density_law", "format_text"]


def _density_law_data(rng, d, levels, n_densest, density_range):
    """``levels`` disjoint cubes along the first axis; cube j has side L_j = λ^j and n_j = n₀ λ^(−2j)
    points, so n_j L_j² is the same for all j and the data density spans ``density_range``.

    Why that choice: a cube of side L holding n points quantised by k centers costs n L² E(k), with
    E the unit cube's distortion per point — boundary cells included.  When every n_j L_j² is equal,
    the optimal split is k_j = K/levels whatever E is, so the finite-k boundary correction, which
    biases equal-cube experiments, cancels exactly; and the center density it implies, K/(levels L_j^d),
    is ∝ p_j^(d/(d+2)) with p_j = n_j / L_j^d.
    """
    lam = density_range ** (1.0 / ((d + 2) * (levels - 1)))
    parts, bounds, offset = [], [], 0.0
    for j in range(levels):
        side = lam**j
        n_j = max(2, round(n_densest * lam ** (-2 * j)))
        pts = rng.random((n_j, d)) * side
        pts[:, 0] += offset
        parts.append(pts)
        bounds.append((offset, offset + side, n_j, side))
        offset += side + lam ** (levels - 1)  # gap of one largest side: no cell spans two cubes
    return np.vstack(parts), bounds


def density_law(
    *,
    repeats: int = 3,
    seed: int = 0,
    dims: Sequence[int] = (1, 2, 3),
    methods: Sequence[str] = ("random+lloyd", "greedy-k-means++ +lloyd", "ward+polish"),
) -> dict:
    """Measured exponent of center density against data density in d = 1, 2, 3, against d/(d+2).

    For each d, three cubes whose data densities span a factor of 64 (see :func:`_density_law_data`);
    each method fits K = 60·d centers (20·d per cube at the optimum, ≥ 20 points per cell); the
    exponent is the least-squares slope of log(centers per unit volume) on log(points per unit
    volume) over the cubes.  Random starts keep the data's density (exponent near 1); the density
    law (Gersho 1979; blog Appendix 1) says d/(d+2) = 1/3, 1/2, 3/5.  A method agrees when its mean
    slope is within VERDICT_Z standard errors, the error being sd/√repeats with sd floored at the
    slope change one center more or less in the sparsest cube makes.

    Parameters
    ----------
    repeats : int, default 3
        Data sets drawn per dimension, at least 2 (the tolerance needs a spread).
    seed : int, default 0
        Base seed (>= 0) of the data and of every method's seeding.
    dims : sequence of int, default (1, 2, 3)
        Dimensions d (>= 1) measured.
    methods : sequence of str, default ("random+lloyd", "greedy-k-means++ +lloyd", "ward+polish")
        Keys of :data:`~harness.studies.reproductions.methods.METHODS`, in table order.  The law is
        reproduced when, in every dimension, some method other than ``random+lloyd`` agrees.

    Returns
    -------
    dict
        ``{"name", "source", "paper", "ours", "verdict"}``; ``ours["fits"]`` has one row per (d, method).
    """
    repeats = check_int("repeats", repeats, minimum=2, why=" (the tolerance needs a spread)")
    seed = check_int("seed", seed, minimum=0)
    dims = check_ints("dims", dims, minimum=1)
    methods = check_methods(methods)
    levels, density_range = 3, 64.0
    table = []
    for d in dims:
        k = 60 * d
        # 20 points per cell in the sparsest cube: the sample-variance bias (1 − k/n) then shifts the
        # optimal split by under one center (it cancels exactly in d = 2).
        n_densest = round(20 * (k / levels) * density_range ** (2 / (d + 2)))
        slopes = {m: [] for m in methods}
        for r in range(repeats):
            rng = np.random.default_rng(seed_for(seed, d, r))
            X, bounds = _density_law_data(rng, d, levels, n_densest, density_range)
            labels = initialisers.ward_labels(X, k) if any(METHODS[m].startswith("ward") for m in methods) else None
            for i, m in enumerate(methods):
                _, final, _ = run_method(m, X, k, seed_for(seed, d, r, 1 + i), ward_labels=labels)
                log_p, log_c = [], []
                for lo, hi, n_j, side in bounds:
                    count = int(np.sum((final[:, 0] >= lo - 0.5 * side) & (final[:, 0] <= hi + 0.5 * side)))
                    log_p.append(math.log(n_j / side**d))
                    log_c.append(math.log(max(count, 0.5) / side**d))
                slopes[m].append(float(np.polyfit(log_p, log_c, 1)[0]))
        expected = d / (d + 2)
        granularity = 1.0 / ((k / levels) * math.log(density_range))  # d log c per center, over the log-p span
        for m in methods:
            mean, sd = mean_sd(slopes[m])
            tolerance = VERDICT_Z * max(sd, granularity) / math.sqrt(repeats)
            table.append(
                {
                    "d": d,
                    "method": m,
                    "expected": expected,
                    "slope_mean": mean,
                    "slope_sd": sd,
                    "tolerance": tolerance,
                    "agrees": abs(mean - expected) <= tolerance,
                    "k": k,
                }
            )
    best = [t for t in table if t["method"] != "random+lloyd"]
    reproduced = any(t["agrees"] for t in best) and all(any(t["agrees"] for t in best if t["d"] == d) for d in dims)
    agree = sorted({f"{t['method']} (d={t['d']})" for t in table if t["agrees"]})
    summary = f"within tolerance of d/(d+2): {', '.join(agree) or 'none'}. " + (
        "In every dimension some method reaches the law's exponent."
        if reproduced
        else "Not every dimension has a method within tolerance of d/(d+2)."
    )
    return {
        "name": "density-law",
        "source": f"Gersho (1979), Asymptotically optimal block quantization; Appendix 1 of {BLOG_FILE}",
        "paper": {"claim": "optimal center density ∝ p^(d/(d+2)) as k → ∞", "exponents": {1: 1 / 3, 2: 0.5, 3: 0.6}},
        "ours": {"repeats": repeats, "seed": seed, "levels": levels, "density_range": density_range, "fits": table},
        "verdict": {"reproduced": reproduced, "summary": summary},
    }


def format_text(result: dict) -> list[str]:
    """Console lines for a :func:`density_law` result: one row per (d, method)."""
    rows = [f"  {'d':>2} {'method':<26} {'expected':>8} {'measured':>15} {'tol':>6}"]
    for t in result["ours"]["fits"]:
        rows.append(
            f"  {t['d']:>2} {t['method']:<26} {t['expected']:>8.3f} {t['slope_mean']:>7.3f}±{t['slope_sd']:<6.3f} "
            f"{t['tolerance']:>6.3f}{'*' if t['agrees'] else ''}"
        )
    return claim_lines(result, rows)
