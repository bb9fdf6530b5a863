"""Figure 1 of the paper realised in a 2-D ball model with 4 components: each panel's solution
classified (local minimum or saddle) and population Lloyd run from it; one PNG per panel.
"""

from __future__ import annotations

import math
import os

import numpy as np

from harness.errors import InvalidArgument, require
from harness.studies.reproductions.parameters import check_int, check_path, check_positive
from harness.studies.reproductions.text import PAPER_SOURCE, paper_lines
from harness.theory import certificates, population
from harness.theory.models import BallMixture

__all__ = ["figure1", "format_text"]


def _half_disk_offset(radius):
    """Distance from a disk's center to the centroid of its half: 4r/(3π)."""
    return 4 * radius / (3 * math.pi)


def _figure1_panels(eta):
    r = 1.0
    h = _half_disk_offset(r)
    A, B, C, D = np.array([-eta, 0.0]), np.array([0.0, 0.0]), np.array([eta, 0.0]), np.array([2 * eta, 0.0])
    # A row of four clusters, but with A pushed to the side so that the pairs are unambiguous.
    A = np.array([-eta, 1.5 * eta])
    truth = np.array([A, B, C, D])
    mixture = BallMixture(truth, r)
    # b) two-fit-one (A split by a vertical boundary) + one-fit-two (B, C) + one-fit-one (D)
    b_panel = np.array([A - [h, 0], A + [h, 0], (B + C) / 2, D])
    # c) two centers for three clusters (B, C, D): each owns one outer ball and half of C, so the
    #    common boundary x1 = η passes through C's center; two centers split A.
    half_c_left = C - [h, 0]
    half_c_right = C + [h, 0]
    c_left = (B + 0.5 * half_c_left) / 1.5
    c_right = (D + 0.5 * half_c_right) / 1.5
    c_panel = np.array([A - [h, 0], A + [h, 0], c_left, c_right])
    # d) two centers for two clusters (C, D) placed badly: one above, one below the axis, so the
    #    boundary x2 = 0 halves both balls; A and B get one center each.
    d_panel = np.array([A, B, (C + D) / 2 + [0, h], (C + D) / 2 - [0, h]])
    panels = {
        "a": ("one-fit-one: the truth", truth),
        "b": ("two-fit-one + one-fit-two", b_panel),
        "c": ("two centers for three clusters", c_panel),
        "d": ("two centers for two clusters, placed badly", d_panel),
    }
    return mixture, panels


def _plot_panel(plt, mixture, centers, title, path, trajectory=None):
    fig, ax = plt.subplots(figsize=(4.5, 4))
    for s in mixture.centers:
        ax.add_patch(plt.Circle(s, mixture.radius, color="0.8"))
        ax.plot(*s, "k+", ms=8)
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:purple"]
    if trajectory is not None:
        for j in range(centers.shape[0]):
            ax.plot(trajectory[:, j, 0], trajectory[:, j, 1], "k-", lw=0.8)
            ax.plot(*trajectory[-1, j], "s", color=colors[j % 4], ms=7)
    for j, c in enumerate(centers):
        ax.plot(*c, "o", color=colors[j % 4], ms=8)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def figure1(*, output_dir: str | os.PathLike | None = "figure1", eta: float = 10.0, qmc_points: int = 2**11) -> dict:
    """Figure 1's four panels in a 2-D ball model with 4 components (radius 1, Δmin = η = 10): each
    classified by :func:`harness.theory.certificates.is_local_minimum` (randomised QMC, 2^11 nodes per
    cluster, 8 scrambles; one step of 0.1 radius, which in panels a and b only moves boundaries through
    gaps, so ΔG there is an exact quadratic up to QMC error and a second step adds nothing), then
    population Lloyd from each panel (the bottom row: a and b stay, c and d escape).  Panel b's pair
    inside one ball can rotate freely, so is_local_minimum reports flat directions (``inconclusive`` under QMC noise);
    :func:`_flat_is_symmetry` then shows the flat set is that rotation and everything else rises.
    One PNG per panel in ``output_dir``.

    Parameters
    ----------
    output_dir : path or None, default "figure1"
        Folder (created if missing; relative to the working directory) for ``figure1a.png`` …
        ``figure1d.png``; None draws nothing (and needs no matplotlib).
    eta : float, default 10.0
        η = Δmin between true centers, in radii (> 2: disjoint balls).
    qmc_points : int, default 2**11
        Randomised QMC nodes per cluster, a power of 2 (Sobol balance).

    Returns
    -------
    dict
        ``{"name", "source", "paper", "ours", "verdict"}``; ``ours["panels"]`` has one row per panel.
    """
    out_dir = check_path("output_dir", output_dir, none_means="no pictures")
    eta = check_positive("eta", eta, minimum=2.0)
    qmc_points = check_int("qmc_points", qmc_points, minimum=2)
    if qmc_points & (qmc_points - 1):
        raise InvalidArgument(f"qmc_points: expected a power of 2 (Sobol balance), got {qmc_points!r}")
    mixture, panels = _figure1_panels(eta)
    qmc = {"qmc_points": qmc_points, "replicates": 8}
    expected = {"a": ("strict", "non-strict"), "b": ("strict", "non-strict"), "c": ("saddle",), "d": ("saddle",)}
    rows = []
    plt = None
    if out_dir:
        require("matplotlib", "study", "the figure1 reproduction's pictures")
        import matplotlib  # optional (the study extra): imported only when pictures are drawn

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        os.makedirs(out_dir, exist_ok=True)
    for key, (title, centers) in panels.items():
        verdict = certificates.is_local_minimum(mixture, centers, steps=(1e-1,), n_directions=8, **qmc)
        if verdict.kind == "inconclusive" and key in ("a", "b"):
            verdict_exact = _flat_is_symmetry(mixture, centers, qmc)
        else:
            verdict_exact = None
        # Lloyd from the panel (the bottom row); a saddle is a fixed point too, so start a step
        # along its descent direction, as any perturbation would
        c = centers if verdict.kind != "saddle" else centers + verdict.step * verdict.direction
        traj = [centers, c] if verdict.kind == "saddle" else [centers]
        for _ in range(100):  # to 1e-6 radii: the picture and the 0.1·η recovery test need no more
            new = population.lloyd_map(mixture, c, qmc_points=qmc["qmc_points"], replicates=2)
            traj.append(new)
            if np.max(np.abs(new - c)) < 1e-6:
                break
            c = new
        traj = np.array(traj)
        final = traj[-1]
        D = np.linalg.norm(final[:, None] - mixture.centers[None], axis=2)
        recovers_truth = bool(np.all(D.min(axis=0) < 0.1 * eta) and len(set(D.argmin(axis=0))) == 4)
        kind = verdict.kind
        if verdict_exact is not None and verdict_exact["local_minimum"]:
            kind = "non-strict"  # is_local_minimum's flat directions are the symmetry, checked above
        row = {
            "panel": key,
            "title": title,
            "centers": centers.tolist(),
            "kind": kind,
            "is_local_minimum_kind": verdict.kind,
            "reason": verdict.reason,
            "gradient_norm": verdict.gradient_norm,
            "gradient_tolerance": verdict.gradient_tolerance,
            "descent_direction": None if verdict.direction is None else verdict.direction.tolist(),
            "descent_step": verdict.step,
            "decrease": verdict.decrease,
            "decrease_stderr": verdict.decrease_stderr,
            "symmetry_check": verdict_exact,
            "objective": population.objective(mixture, centers, **qmc).value,
            "lloyd_final": final.tolist(),
            "lloyd_recovers_truth": recovers_truth,
            "lloyd_moved": float(np.max(np.abs(final - centers))),
            "expected": list(expected[key]),
            "agrees": kind in expected[key],
        }
        if plt is not None:
            path = os.path.join(out_dir, f"figure1{key}.png")
            _plot_panel(plt, mixture, centers, f"1{key}) {title}: {kind}", path, trajectory=traj)
            row["png"] = path
        rows.append(row)
    reproduced = all(row["agrees"] for row in rows)
    summary = "; ".join(
        f"{row['panel']}) {row['kind']}"
        + (f" (ΔG = −{row['decrease']:.3g} ± {row['decrease_stderr']:.1g})" if row["kind"] == "saddle" else "")
        + (", Lloyd → truth" if row["lloyd_recovers_truth"] else f", Lloyd moves {row['lloyd_moved']:.2g}")
        for row in rows
    )
    return {
        "name": "figure1",
        "source": PAPER_SOURCE,
        "paper": {
            "claim": "Figure 1: a) the truth and b) two-fit-one + one-fit-two are local minima; c) two centers for "
            "three clusters and d) two centers for two clusters are not (Lloyd escapes them)"
        },
        "ours": {"eta": eta, "radius": 1.0, "true_centers": mixture.centers.tolist(), "panels": rows},
        "verdict": {"reproduced": bool(reproduced), "summary": summary},
    }


def _flat_is_symmetry(mixture, centers, qmc, *, z=4.0, n_directions=24, steps=(1e-1,), seed=1):
    """For a solution with two centers inside one ball (many-fit-one): the flat directions that leave
    :func:`certificates.is_local_minimum` inconclusive are the rotation of the pair about the ball's
    center, which leaves G exactly unchanged (the ball is rotation-invariant and every other
    Voronoi boundary stays in a gap).  Check that (i) G along the exact rotation changes by no more
    than z standard errors, and (ii) every direction orthogonal to the rotation's tangent raises G
    by more than z standard errors: then β is a non-strict local minimum (strict modulo the symmetry).
    """
    c = np.asarray(centers, dtype=np.float64)
    T = mixture.centers
    inside = np.linalg.norm(c[:, None] - T[None], axis=2) < mixture.radius
    groups = [np.flatnonzero(inside[:, s]) for s in range(len(T))]
    pair = next(((s, g) for s, g in enumerate(groups) if len(g) == 2), None)
    if pair is None:
        return {"local_minimum": False, "reason": "no pair of centers shares a ball"}
    s, (i, j) = pair
    J = np.array([[0.0, -1.0], [1.0, 0.0]])
    tangent = np.zeros_like(c)
    tangent[i], tangent[j] = (c[i] - T[s]) @ J.T, (c[j] - T[s]) @ J.T
    tangent /= np.linalg.norm(tangent)
    rotation = []
    for theta in (0.3, -0.3, 0.05):
        R = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
        moved = c.copy()
        moved[[i, j]] = (c[[i, j]] - T[s]) @ R.T + T[s]
        dg, se = certificates._delta_G(mixture, c, moved - c, 1.0, qmc)
        rotation.append({"angle": theta, "delta_G": dg, "stderr": se, "flat": abs(dg) <= z * se + 1e-12})
    rng = np.random.default_rng(seed)
    worst = None
    for _ in range(n_directions):
        v = rng.standard_normal(c.shape)
        v -= (v * tangent).sum() * tangent
        v /= np.linalg.norm(v)
        for sign in (1.0, -1.0):
            for t in steps:
                dg, se = certificates._delta_G(mixture, c, sign * v, t * mixture.radius, qmc)
                score = dg - z * se
                if worst is None or score < worst[0]:
                    worst = (score, dg, se, t)
    ok = all(r["flat"] for r in rotation) and worst[0] > 0
    return {
        "local_minimum": bool(ok),
        "rotated_pair": [int(i), int(j)],
        "about_true_center": int(s),
        "rotation": rotation,
        "orthogonal_directions": n_directions,
        "smallest_rise": worst[1],
        "smallest_rise_stderr": worst[2],
        "reason": "flat only along the rotation of the pair about its ball's center; every other direction rises"
        if ok
        else "the flat directions are not explained by the rotation",
    }


def format_text(result: dict) -> list[str]:
    """Console lines for a :func:`figure1` result: one row per panel with its kind and picture."""
    rows = []
    for row in result["ours"]["panels"]:
        extra = ""
        if row["kind"] == "saddle":
            extra = f"  descent {np.round(row['descent_direction'], 3).tolist()} lowers G by {row['decrease']:.3g}"
        rows.append(f"  1{row['panel']}) {row['title']:<44} {row['kind']:<11} {row.get('png', '')}{extra}")
    return paper_lines(result, rows)
