"""The reproductions by name: for each, the function that recomputes the claim, a one-line
description and the formatter of its console lines.  Holds no experiment itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.studies.reproductions import (
    balancing_squares,
    density_law,
    example1,
    example2,
    figure1,
    prop1,
    prop2,
    theorem1_gap,
)
from harness.studies.reproductions.text import claim_lines

__all__ = ["REPRODUCTIONS", "Reproduction", "format_text"]


@dataclass(frozen=True)
class Reproduction:
    """One registered reproduction.

    ``function(**keywords) -> {"name", "source", "paper", "ours", "verdict"}`` takes keyword-only
    parameters (see its docstring); ``formatter(result) -> list[str]`` gives its console lines.
    """

    function: Callable[..., dict]
    description: str
    formatter: Callable[[dict], list[str]]


#: In the order the command line lists them: the blog's first, then the paper's.
REPRODUCTIONS: dict[str, Reproduction] = {
    "balancing-squares": Reproduction(
        balancing_squares.balancing_squares,
        "the blog's two squares: do the centers split by the density law (√n₁ : √n₂)?",
        balancing_squares.format_text,
    ),
    "density-law": Reproduction(
        density_law.density_law,
        "center density against data density in d = 1, 2, 3, against the exponent d/(d+2)",
        density_law.format_text,
    ),
    "prop1": Reproduction(
        prop1.prop1,
        "Proposition 1: from which η_min on the truth is the sample optimum, against 6√k",
        prop1.format_text,
    ),
    "prop2": Reproduction(
        prop2.prop2, "Proposition 2: a spurious local minimum in 1-D for r < 0.4 (exact)", prop2.format_text
    ),
    "example1": Reproduction(
        example1.example1, "Appendix G, Example 1: the threshold radius (an erratum: 4/17)", example1.format_text
    ),
    "example2": Reproduction(
        example2.example2,
        "Appendix G, Example 2: a local minimum at r = 1/4 and its approximation error above (exact 2-D)",
        example2.format_text,
    ),
    "figure1": Reproduction(
        figure1.figure1, "Figure 1: the four panels classified, and Lloyd run from each", figure1.format_text
    ),
    "theorem1-gap": Reproduction(
        theorem1_gap.theorem1_gap,
        "how far below Theorem 1's assumptions its structure of local minima survives",
        theorem1_gap.format_text,
    ),
}


def format_text(result: dict) -> list[str]:
    """Console lines for any reproduction result: its registered formatter, else (an unknown name,
    e.g. a result file from another version) the name, the claim and the verdict."""
    entry = REPRODUCTIONS.get(result["name"])
    return entry.formatter(result) if entry is not None else claim_lines(result, [])
