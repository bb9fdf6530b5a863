"""Solution quality as a number, for the asv ``track_`` benchmarks: how often k-means++ + Lloyd lands
in a spurious local minimum of a mixture."""

from __future__ import annotations

from harness.clustering.kmeans import kmeans
from harness.theory.structure import centroid_index

__all__ = ["spurious_rate"]


def spurious_rate(mixture, n, runs, *, seed=0) -> float:
    """Fraction of ``runs`` k-means++ + Lloyd fits (k = the mixture's k, each with its own seed) that
    converge to a spurious local minimum: Centroid Index > 0 against the true centers."""
    X, _ = mixture.sample(n, seed=seed)
    bad = 0
    for r in range(runs):
        result = kmeans(X, mixture.k, seed=seed + 1 + r)
        bad += result.converged and centroid_index(result.centers, mixture.centers) > 0
    return bad / runs
