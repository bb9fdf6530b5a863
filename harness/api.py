"""The public k-means of the harness: validate once, then call the numba kernels.

``kmeans`` seeds and runs Lloyd to an exact fixed point; ``lloyd`` runs from given centers.
Neither modifies the caller's arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness import kernels
from harness.config import DEFAULT_MAX_ITER
from harness.errors import InvalidArgument
from harness.validation import check_centers, check_data, check_k, check_max_iter, check_seed

__all__ = ["KMeansResult", "kmeans", "lloyd", "init_centers"]


@dataclass(frozen=True)
class KMeansResult:
    """What a k-means run produced.

    Attributes
    ----------
    centers : (k, d) array in the input's dtype
    labels : (n,) int64, the nearest center of each point (ties to the lowest index)
    objective : float, G_n of eq. (1) at ``centers``
    n_iter : int, number of center updates performed
    converged : bool, True when the last update changed no label (an exact fixed point, Lemma 2);
        False when ``max_iter`` stopped the run first
    """

    centers: np.ndarray
    labels: np.ndarray
    objective: float
    n_iter: int
    converged: bool


INIT_METHODS = ("k-means++", "greedy-k-means++", "random")


def init_centers(X, k, init="k-means++", seed=None) -> np.ndarray:
    """Initial centers: ``"k-means++"`` (greedy, 2 + ⌊ln k⌋ candidates per step, as scikit-learn),
    ``"plain-k-means++"`` (one candidate), or ``"random"`` (k distinct data rows, uniformly)."""
    X = check_data(X)
    k = check_k(k, X.shape[0])
    rng = np.random.default_rng(check_seed(seed))
    if isinstance(init, str):
        if init in ("k-means++", "greedy-k-means++"):
            return kernels.kmeans_plusplus(X, k, rng, greedy=True)[0]
        if init == "plain-k-means++":
            return kernels.kmeans_plusplus(X, k, rng, greedy=False)[0]
        if init == "random":
            return X[rng.choice(X.shape[0], size=k, replace=False)].copy()
        raise InvalidArgument(
            f"init: expected 'k-means++', 'plain-k-means++', 'random' or a (k, d) array, got {init!r}"
        )
    return check_centers(init, k, X.shape[1], X.dtype)


def kmeans(X, k, *, init="k-means++", seed=None, max_iter=DEFAULT_MAX_ITER) -> KMeansResult:
    """k-means by Lloyd's algorithm to an exact fixed point.

    Parameters
    ----------
    X : (n, d) array_like, float32 or float64 (anything else is converted to float64)
    k : int, 1 <= k <= n
    init : "k-means++" | "plain-k-means++" | "random" | (k, d) array
    seed : None | int | numpy.random.Generator, for the seeding
    max_iter : int >= 1, the cap on center updates

    Returns
    -------
    KMeansResult
    """
    X = check_data(X)
    k = check_k(k, X.shape[0])
    max_iter = check_max_iter(max_iter)
    centers = init_centers(X, k, init, seed)
    return _run_lloyd(X, centers, max_iter)


def lloyd(X, centers, *, max_iter=DEFAULT_MAX_ITER) -> KMeansResult:
    """Lloyd's algorithm from ``centers : (k, d)`` until no label changes or ``max_iter`` updates.

    An empty cluster keeps its previous center.
    """
    X = check_data(X)
    if centers is None:
        raise InvalidArgument("centers: expected a (k, d) array, got None")
    c = check_centers(centers, None, X.shape[1], X.dtype, name="centers")
    check_k(c.shape[0], X.shape[0], name="centers.shape[0] (k)")
    return _run_lloyd(X, c, check_max_iter(max_iter))


def _run_lloyd(X, centers, max_iter) -> KMeansResult:
    out, labels, min_sqdist, n_iter, converged = kernels.lloyd(X, centers, max_iter)
    return KMeansResult(out, labels, float(np.sum(min_sqdist)), n_iter, converged)
