"""Proposition 2 of the paper (a spurious local minimum of G in 1-D for r < 0.4), recomputed by
:func:`harness.theory.exact_1d.prop2` and put in the registry's result format.
"""

from __future__ import annotations

from harness.studies.reproductions.text import PAPER_SOURCE, paper_lines
from harness.theory import exact_1d

__all__ = ["format_text", "prop2"]


def prop2() -> dict:
    """Proposition 2 on a grid of radii (:func:`harness.theory.exact_1d.prop2`), in the registry's format.

    Exact 1-D integrals: for every grid radius r < 0.4 the paper's β is a fixed point with a
    positive definite Hessian and G(β) > G(β*) (a spurious local minimum); above 0.4 it is not a
    fixed point.  Takes no parameters: the grid is :func:`harness.theory.exact_1d.prop2`'s.

    Returns
    -------
    dict
        ``{"name", "source", "paper", "ours", "verdict"}``; ``ours["rows"]`` has one row per radius.
    """
    raw = exact_1d.prop2()
    below = [row for row in raw["ours"] if row["r"] < 0.4]
    reproduced = raw["verdict"] == "confirmed"
    summary = (
        f"exact Hessian positive definite (checked by finite differences) at every r < 0.4 of the grid "
        f"({len(below)} radii), not a fixed point for r > 0.4; G(β) > G(β*) throughout (a spurious minimum)"
        if reproduced
        else "some grid radius disagrees with the paper; see the rows"
    )
    return {
        "name": "prop2",
        "source": PAPER_SOURCE,
        "paper": {"claim": raw["paper"]},
        "ours": {"rows": raw["ours"]},
        "verdict": {"reproduced": reproduced, "summary": summary},
    }


def format_text(result: dict) -> list[str]:
    """Console lines for a :func:`prop2` result: one row per radius, ours against the paper."""
    rows = [f"  {'r':>6} {'|grad|':>9} {'min eig':>9} {'G(β)':>10} {'G(β*)':>10}  ours/paper"]
    for row in result["ours"]["rows"]:
        rows.append(
            f"  {row['r']:>6.3f} {row['gradient_max']:>9.1e} {min(row['hessian_eigenvalues']):>9.4f} "
            f"{row['objective']:>10.6f} {row['objective_truth']:>10.6f}  "
            f"{'min' if row['local_minimum'] else 'not'}/{'min' if row['paper_says_local_minimum'] else 'not'}"
        )
    return paper_lines(result, rows)
