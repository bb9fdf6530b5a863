"""Seeding targets (``kind="seeding"``): our plain and greedy k-means++ and uniform distinct rows,
and scikit-learn's ``kmeans_plusplus`` as a peer.  Each returns k rows of X in the order chosen.

Verify one with ``kmeans-harness verify harness.targets.seeding_targets:greedy_kmeans_plusplus``.
"""

from __future__ import annotations

import numpy as np

from harness.errors import MissingDependency
from harness.numerics import kernels
from harness.targets.declaration import target

__all__ = ["greedy_kmeans_plusplus", "plain_kmeans_plusplus", "random_rows", "sklearn_kmeans_plusplus"]


@target(kind="seeding", method="plain-k-means++", name="plain-k-means++")
def plain_kmeans_plusplus(X, k, *, seed=None):
    """Our D² seeding (Arthur and Vassilvitskii), one candidate per step."""
    centers, _ = kernels.kmeans_plusplus(
        np.ascontiguousarray(X, dtype=np.float64), k, np.random.default_rng(seed), greedy=False
    )
    return centers


@target(kind="seeding", method="greedy-k-means++", name="greedy-k-means++")
def greedy_kmeans_plusplus(X, k, *, seed=None):
    """Our greedy k-means++ (2 + ⌊ln k⌋ candidates per step), the project's "k-means++" init."""
    centers, _ = kernels.kmeans_plusplus(
        np.ascontiguousarray(X, dtype=np.float64), k, np.random.default_rng(seed), greedy=True
    )
    return centers


@target(kind="seeding", method="random", name="random-rows")
def random_rows(X, k, *, seed=None):
    """k distinct rows, uniformly, in the order drawn."""
    X = np.asarray(X, dtype=np.float64)
    return X[np.random.default_rng(seed).choice(X.shape[0], size=k, replace=False)].copy()


@target(kind="seeding", method="greedy-k-means++", name="sklearn-kmeans-plusplus")
def sklearn_kmeans_plusplus(X, k, *, seed=None):
    """scikit-learn's ``sklearn.cluster.kmeans_plusplus`` (greedy, 2 + ⌊ln k⌋ candidates)."""
    try:
        from sklearn.cluster import kmeans_plusplus  # noqa: PLC0415 - optional peer, as the other adapters
    except ImportError as exc:
        raise MissingDependency("scikit-learn is needed for the sklearn seeding peer") from exc
    centers, _ = kmeans_plusplus(np.asarray(X, dtype=np.float64), k, random_state=seed)
    return centers
