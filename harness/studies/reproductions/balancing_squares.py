"""The blog's "balancing squares": how Lloyd-based methods split k = 200 centers between a dense and
a sparse square, against the density law's √n₁ : √n₂.  Returns a result dict; prints nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from harness.clustering import initialisers
from harness.studies.reproductions.methods import METHODS, check_methods, run_method
from harness.studies.reproductions.parameters import check_int
from harness.studies.reproductions.repeats import VERDICT_Z, mean_sd, seed_for
from harness.studies.reproductions.text import BLOG_FILE, claim_lines

__all__ = ["balancing_squares", "format_text"]


def _square_data(rng, n_dense, n_sparse):
    dense = rng.random((n_dense, 2))
    sparse = rng.random((n_sparse, 2)) + 2.0
    return np.vstack([dense, sparse])


def _finite_k_prediction(pairs, n_dense, n_sparse, k):
    """The split that minimises a fitted per-square distortion, and the fitted constants.

    For ``k_i`` centers on ``n_i`` uniform points in a unit square we model the sample distortion per
    point as E(k_i) = (G/k_i)(1 + b/√k_i)(1 − k_i/n_i): G/k_i is Gersho's asymptotic cell distortion
    (G ≈ 2 · 5/(36√3) ≈ 0.160 for hexagons in the unit square), b/√k_i the extra cost of the ~4√k_i cells cut by the
    square's boundary, and (1 − k_i/n_i) the bias of a sample variance with n_i/k_i points per cell.
    G and b are fitted by least squares to the (k_i, E_i) of the best method's fits; the prediction
    is the integer k₁ minimising n₁E(k₁) + n₂E(k − k₁).  With b = 0 and n → ∞ it is the density
    law's √n₁ : √n₂.
    """
    ks = np.array([p[0] for p in pairs], dtype=np.float64)
    ns = np.array([p[1] for p in pairs], dtype=np.float64)
    es = np.array([p[2] for p in pairs], dtype=np.float64)
    y = es * ks / (1.0 - ks / ns)  # = G + G b /√k
    A = np.column_stack([np.ones_like(ks), 1.0 / np.sqrt(ks)])
    (g, gb), *_ = np.linalg.lstsq(A, y, rcond=None)
    b = gb / g

    def cost(k1):
        out = 0.0
        for ki, ni in ((k1, n_dense), (k - k1, n_sparse)):
            out += ni * (g / ki) * (1 + b / math.sqrt(ki)) * (1 - ki / ni)
        return out

    k1 = min(range(1, k), key=cost)
    return k1, {"G": float(g), "b": float(b), "pairs": len(pairs)}


def balancing_squares(*, repeats: int = 4, seed: int = 0, methods: Sequence[str] = tuple(METHODS)) -> dict:
    """The blog's "balancing squares": 10 000 points uniform in [0,1]², 1 000 in [2,3]², k = 200.

    The density law (center density ∝ p^(d/(d+2)), d = 2: √p; Gersho 1979, and the blog's
    Appendix 1) predicts 200·√10000/(√10000 + √1000) ≈ 151.9 centers in the dense square in the
    large-k limit.  Each repeat draws fresh data (seeded from ``(seed, repeat)``); every method runs
    on the same data.  A method agrees when its mean count is within VERDICT_Z standard errors of
    the finite-k prediction (:func:`_finite_k_prediction`), the standard error combining the repeat
    spread (sd/√repeats, sd floored at 0.5: counts are integers) and half the finite-k correction
    (we trust the correction's size to within 50 %).

    Parameters
    ----------
    repeats : int, default 4
        Data sets drawn, at least 2 (the tolerance needs a spread).
    seed : int, default 0
        Base seed (>= 0) of the data and of every method's seeding.
    methods : sequence of str, default every key of :data:`~harness.studies.reproductions.methods.METHODS`
        The methods compared, in table order.  The verdict checks the blog's claim on those of
        ``ward+polish`` (agrees) and ``random+lloyd`` (does not) that are present.

    Returns
    -------
    dict
        ``{"name", "source", "paper", "ours", "verdict"}``; ``ours["methods"]`` has one row per method.
    """
    repeats = check_int("repeats", repeats, minimum=2, why=" (the tolerance needs a spread)")
    seed = check_int("seed", seed, minimum=0)
    methods = check_methods(methods)
    n_dense, n_sparse, k = 10_000, 1_000, 200
    asymptotic = k * math.sqrt(n_dense) / (math.sqrt(n_dense) + math.sqrt(n_sparse))
    rows = {m: {"start": [], "final": [], "objective": [], "seconds": [], "pairs": []} for m in methods}
    ward_seconds = []
    for r in range(repeats):
        rng = np.random.default_rng(seed_for(seed, r, 0))
        X = _square_data(rng, n_dense, n_sparse)
        dense = X[:, 0] < 1.5
        labels = None
        if any(METHODS[m].startswith("ward") for m in methods):
            t = time.perf_counter()
            labels = initialisers.ward_labels(X, k)
            ward_seconds.append(time.perf_counter() - t)
        for i, m in enumerate(methods):
            start, final, seconds = run_method(m, X, k, seed_for(seed, r, 1 + i), ward_labels=labels)
            if labels is not None and METHODS[m].startswith("ward"):
                seconds += ward_seconds[-1]
            in_dense = final[:, 0] < 1.5
            row = rows[m]
            row["start"].append(int(np.sum(start[:, 0] < 1.5)))
            row["final"].append(int(np.sum(in_dense)))
            sq = ((X[:, None, :] - final[None, :, :]) ** 2).sum(axis=2)
            row["objective"].append(float(sq.min(axis=1).sum()))
            row["seconds"].append(seconds)
            for mask_pts, mask_c in ((dense, in_dense), (~dense, ~in_dense)):
                if mask_c.sum() >= 2:
                    e = float(sq[np.ix_(mask_pts, mask_c)].min(axis=1).mean())
                    row["pairs"].append((int(mask_c.sum()), int(mask_pts.sum()), e))
    best = min(methods, key=lambda m: np.mean(rows[m]["objective"]))
    predicted, fit = _finite_k_prediction(rows[best]["pairs"], n_dense, n_sparse, k)
    correction = predicted - asymptotic
    best_objective = min(np.mean(rows[m]["objective"]) for m in methods)
    table = []
    for m in methods:
        row = rows[m]
        mean, sd = mean_sd(row["final"])
        s_mean, s_sd = mean_sd(row["start"])
        stderr = math.sqrt(max(sd, 0.5) ** 2 / repeats + (0.5 * correction) ** 2)
        tolerance = VERDICT_Z * stderr
        table.append(
            {
                "method": m,
                "start_dense_mean": s_mean,
                "start_dense_sd": s_sd,
                "dense_mean": mean,
                "dense_sd": sd,
                "sparse_mean": k - mean,
                "deviation": mean - predicted,
                "tolerance": tolerance,
                "agrees": abs(mean - predicted) <= tolerance,
                "objective_ratio_to_best": float(np.mean(row["objective"]) / best_objective),
                "seconds_mean": float(np.mean(row["seconds"])),
            }
        )
    agree = [t["method"] for t in table if t["agrees"]]
    claims = {"ward+polish": True, "random+lloyd": False}
    checked = {m: want for m, want in claims.items() if m in methods}
    reproduced = all((m in agree) == want for m, want in checked.items()) and bool(checked)
    summary = (
        f"within tolerance of {predicted} : {k - predicted}: {', '.join(agree) or 'none'}; "
        f"outside: {', '.join(t['method'] for t in table if not t['agrees']) or 'none'}. "
        + (
            "The blog's claim (Ward + polish reaches the density law's split, random starts do not) holds."
            if reproduced
            else "The blog's claim (Ward + polish reaches the split, random starts do not) does not hold as stated."
        )
    )
    return {
        "name": "balancing-squares",
        "source": f"blog: {BLOG_FILE}",
        "paper": {
            "claim": "centers split 152 : 48 between the 10 000- and the 1 000-point square (density law, d = 2)",
            "dense_asymptotic": asymptotic,
            "sparse_asymptotic": k - asymptotic,
        },
        "ours": {
            "repeats": repeats,
            "seed": seed,
            "k": k,
            "finite_k_prediction": predicted,
            "finite_k_correction": correction,
            "finite_k_fit": fit | {"from_method": best},
            "ward_tree_seconds_mean": float(np.mean(ward_seconds)) if ward_seconds else None,
            "methods": table,
        },
        "verdict": {"reproduced": reproduced, "summary": summary},
    }


def format_text(result: dict) -> list[str]:
    """Console lines for a :func:`balancing_squares` result: the predictions, then one row per method."""
    ours, paper = result["ours"], result["paper"]
    rows = [
        f"  prediction: asymptotic {paper['dense_asymptotic']:.1f} : "
        f"{paper['sparse_asymptotic']:.1f}; finite-k {ours['finite_k_prediction']} : "
        f"{ours['k'] - ours['finite_k_prediction']} (fit G={ours['finite_k_fit']['G']:.4f}, "
        f"b={ours['finite_k_fit']['b']:.2f}); {ours['repeats']} repeats",
        f"  {'method':<26} {'start dense':>12} {'dense':>14} {'dev':>6} {'tol':>5}  {'obj/best':>8} {'s':>6}",
    ]
    for t in ours["methods"]:
        rows.append(
            f"  {t['method']:<26} {t['start_dense_mean']:>6.1f}±{t['start_dense_sd']:<5.1f} "
            f"{t['dense_mean']:>7.1f}±{t['dense_sd']:<5.1f} {t['deviation']:>+6.1f} {t['tolerance']:>5.1f}"
            f"{'*' if t['agrees'] else ' '} {t['objective_ratio_to_best']:>8.4f} {t['seconds_mean']:>6.2f}"
        )
    return claim_lines(result, rows)
