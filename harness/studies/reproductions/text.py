"""Console lines shared by the reproductions' formatters: the header, the claim and the verdict
around each reproduction's own table.  Formats a result dict; computes nothing, prints nothing.
"""

from __future__ import annotations

__all__ = ["PAPER_SOURCE", "BLOG_FILE", "claim_lines", "paper_lines", "verdict_line"]

#: The paper the theory reproductions recompute (Qian, Zhang & Chen), as their results cite it.
PAPER_SOURCE = "paper: Qian, Zhang & Chen, Structures of Spurious Local Minima in k-Means (2020)"

#: The blog post the initialiser reproductions rebuild, cited by author, subject and address (the
#: name this constant once held was a path in our notes, not in the repository).
BLOG_FILE = "Paul Harrison's blog post on k-means initialisation, Ward + polish (logarithmic.net, 2021)"


def verdict_line(result: dict) -> str:
    verdict = result["verdict"]
    return f"  verdict  {'REPRODUCED' if verdict['reproduced'] else 'NOT REPRODUCED'}: {verdict['summary']}"


def paper_lines(result: dict, rows: list[str]) -> list[str]:
    """A paper reproduction: name and source, the paper's claim, ``rows``, the verdict."""
    return [
        f"{result['name']}  ({result['source']})",
        f"  paper    {result['paper']['claim']}",
        *rows,
        verdict_line(result),
    ]


def claim_lines(result: dict, rows: list[str]) -> list[str]:
    """A blog reproduction (or any result with 'paper', 'ours', 'verdict'): name and source, the
    claim, ``rows``, the tolerance mark's legend, the verdict."""
    return [
        f"{result['name']}  ({result.get('source', '')})",
        f"  claim    {result['paper'].get('claim', result['paper'])}",
        *rows,
        "  (* within tolerance)",
        verdict_line(result),
    ]
