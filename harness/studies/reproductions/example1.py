"""Appendix G, Example 1 of the paper, recomputed by :func:`harness.theory.exact_1d.example1`: our
threshold is 4/17, the paper's comes from a misprinted Hessian entry (an erratum, so NOT REPRODUCED).
"""

from __future__ import annotations

import math

from harness.studies.reproductions.text import PAPER_SOURCE, paper_lines
from harness.theory import exact_1d

__all__ = ["example1", "format_text"]


def example1() -> dict:
    """Appendix G, Example 1 (:func:`harness.theory.exact_1d.example1`); its erratum is a finding, so the
    paper's threshold is NOT REPRODUCED while our recomputation is self-consistent.

    The paper's threshold 1/(9√2/2 − 1/4) is the root of det H with its printed H22
    (:func:`harness.theory.exact_1d.paper_example1_threshold_from_printed_hessian`); ours is 4/17.
    Takes no parameters.

    Returns
    -------
    dict
        ``{"name", "source", "paper", "ours", "verdict"}``; ``verdict["reproduced"]`` is always False.
    """
    raw = exact_1d.example1()
    ours = raw["ours"]
    printed = exact_1d.paper_example1_threshold_from_printed_hessian()
    ours = dict(ours, paper_threshold_from_printed_hessian=printed)
    return {
        "name": "example1",
        "source": PAPER_SOURCE,
        "paper": {"claim": raw["paper"], "threshold": 1 / (9 * math.sqrt(2) / 2 - 1 / 4)},
        "ours": ours,
        "verdict": {"reproduced": False, "summary": raw["verdict"]},
    }


def format_text(result: dict) -> list[str]:
    """Console lines for an :func:`example1` result: both thresholds, then one row per radius."""
    ours = result["ours"]
    rows = [
        f"  threshold: ours {ours['threshold_closed_form']:.6f} "
        f"(= 4/17; bisection {ours['threshold_bisection']:.6f}),"
        f" paper {result['paper']['threshold']:.6f} (= root of det H with the printed H22: "
        f"{ours['paper_threshold_from_printed_hessian']:.6f})",
        f"  {'r':>6} {'min eig':>9} {'FD diff':>8} {'G(β)':>10} {'G(β*)':>10}  ours/paper",
    ]
    for row in ours["rows"]:
        rows.append(
            f"  {row['r']:>6.3f} {row['min_eigenvalue']:>9.4f} {row['hessian_fd_max_difference']:>8.1e} "
            f"{row['objective']:>10.6f} {row['objective_truth']:>10.6f}  "
            f"{'min' if row['local_minimum'] else 'not'}/{'min' if row['paper_says_local_minimum'] else 'not'}"
        )
    return paper_lines(result, rows)
