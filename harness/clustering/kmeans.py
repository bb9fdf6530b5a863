"""The public k-means of the harness: validate once, then call the numba kernels.

``kmeans`` seeds and runs Lloyd to an exact fixed point; ``lloyd`` runs from given centers.
Neither modifies the caller's arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from harness.config import DEFAULT_MAX_ITER
from harness.errors import InvalidArgument
from harness.numerics import kernels
from harness.numerics.validation import check_centers, check_data, check_k, check_max_iter, check_seed

__all__ = ["KMeansResult", "kmeans", "lloyd", "init_centers"]

#: What ``seed`` accepts: None (fresh entropy), a non-negative int, or a numpy Generator (consumed).
Seed = int | np.random.Generator | None


@dataclass(frozen=True)
class KMeansResult:
    """What a k-means run produced.

    Attributes
    ----------
    centers : (k, d) array in the input's dtype
        The final centers.
    labels : (n,) int64
        The nearest center of each point (ties to the lowest index).
    objective : float
        G_n of eq. (1) at ``centers``: the sum of squared distances to the nearest center.
    n_iter : int
        Number of center updates performed.
    converged : bool
        True when the last update changed no label (an exact fixed point, Lemma 2); False when
        ``max_iter`` stopped the run first.
    """

    centers: NDArray[np.floating[Any]]
    labels: NDArray[np.int64]
    objective: float
    n_iter: int
    converged: bool


INIT_METHODS = ("k-means++", "greedy-k-means++", "random")


def init_centers(
    X: ArrayLike, k: int, init: str | ArrayLike = "k-means++", seed: Seed = None
) -> NDArray[np.floating[Any]]:
    """Initial centers for :func:`kmeans`.

    Parameters
    ----------
    X : (n, d) array_like, float32 or float64
        The data (anything else is converted to float64).
    k : int
        Number of centers, 1 <= k <= n.
    init : {"k-means++", "greedy-k-means++", "plain-k-means++", "random"} or (k, d) array_like
        ``"k-means++"`` (or its alias ``"greedy-k-means++"``): greedy, 2 + ⌊ln k⌋ candidates per
        step, as scikit-learn; ``"plain-k-means++"``: one candidate per step; ``"random"``: k
        distinct data rows, uniformly; an array: those centers, validated and copied.
    seed : None, int or numpy.random.Generator
        Seed of the seeding (a Generator is consumed).

    Returns
    -------
    (k, d) ndarray in the dtype of ``X``
    """
    X = check_data(X)
    k = check_k(k, X.shape[0])
    rng = np.random.default_rng(check_seed(seed))
    if isinstance(init, str):
        exponent = _range_exponent(X)  # k-means++ compares squared distances: keep them in range
        if init in ("k-means++", "greedy-k-means++"):
            return _unscaled(kernels.kmeans_plusplus(_scaled(X, exponent), k, rng, greedy=True)[0], exponent)
        if init == "plain-k-means++":
            return _unscaled(kernels.kmeans_plusplus(_scaled(X, exponent), k, rng, greedy=False)[0], exponent)
        if init == "random":
            return X[rng.choice(X.shape[0], size=k, replace=False)].copy()
        raise InvalidArgument(
            f"init: expected 'k-means++', 'plain-k-means++', 'random' or a (k, d) array, got {init!r}"
        )
    return check_centers(init, k, X.shape[1], X.dtype)


def kmeans(
    X: ArrayLike, k: int, *, init: str | ArrayLike = "k-means++", seed: Seed = None, max_iter: int = DEFAULT_MAX_ITER
) -> KMeansResult:
    """k-means by Lloyd's algorithm to an exact fixed point.

    Parameters
    ----------
    X : (n, d) array_like, float32 or float64
        The data (anything else is converted to float64).  Not modified.
    k : int
        Number of centers, 1 <= k <= n.
    init : {"k-means++", "plain-k-means++", "random"} or (k, d) array_like, default "k-means++"
        The seeding, as in :func:`init_centers`, or the starting centers.
    seed : None, int or numpy.random.Generator, default None
        Seed of the seeding (None: fresh entropy; a Generator is consumed).
    max_iter : int, default 300
        Cap on the number of center updates (>= 1).

    Returns
    -------
    KMeansResult
        Centers, labels, objective, number of updates and whether the run converged.

    Raises
    ------
    harness.InvalidArgument
        If ``X`` is not a finite 2-D array, ``k`` is not in [1, n], ``init`` is not a known
        method or a (k, d) array, or ``seed`` or ``max_iter`` is out of range.

    Notes
    -----
    Boolean data is taken as 0/1 (float64).  Any finite magnitude works: data near the limits of
    its precision (about 1e±155 in float64, 1e±19 in float32, where squared distances overflow or
    underflow) is scaled by a power of two internally, which is exact (see ``_range_exponent``).
    ``objective`` is then the true sum rounded to float64: ``inf`` when it exceeds the float64 range.
    Degenerate data is valid: all points identical, or fewer distinct points than ``k`` (some
    centers then coincide and some clusters are empty).

    Examples
    --------
    >>> import numpy as np
    >>> from harness import kmeans
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> result = kmeans(X, 2, init=[[0.0, 0.0], [10.0, 0.0]])
    >>> result.centers
    array([[ 0. ,  0.5],
           [10. ,  0.5]])
    >>> result.labels, result.objective, result.converged
    (array([0, 0, 1, 1]), 1.0, True)
    """
    X = check_data(X)
    k = check_k(k, X.shape[0])
    max_iter = check_max_iter(max_iter)
    centers = init_centers(X, k, init, seed)
    return _run_lloyd(X, centers, max_iter)


def lloyd(X: ArrayLike, centers: ArrayLike, *, max_iter: int = DEFAULT_MAX_ITER) -> KMeansResult:
    """Lloyd's algorithm from given centers until no label changes or ``max_iter`` updates.

    Parameters
    ----------
    X : (n, d) array_like, float32 or float64
        The data (anything else is converted to float64).  Not modified.
    centers : (k, d) array_like
        The starting centers, 1 <= k <= n.  Not modified.
    max_iter : int, default 300
        Cap on the number of center updates (>= 1).

    Returns
    -------
    KMeansResult

    Notes
    -----
    An empty cluster keeps its previous center.

    Examples
    --------
    >>> import numpy as np
    >>> from harness import lloyd
    >>> X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]])
    >>> result = lloyd(X, [[0.0], [2.0]])
    >>> result.centers.ravel().tolist(), result.labels.tolist(), result.n_iter
    ([1.0, 10.5], [0, 0, 0, 1, 1], 2)
    """
    X = check_data(X)
    if centers is None:
        raise InvalidArgument("centers: expected a (k, d) array, got None")
    c = check_centers(centers, None, X.shape[1], X.dtype, name="centers")
    check_k(c.shape[0], X.shape[0], name="centers.shape[0] (k)")
    return _run_lloyd(X, c, check_max_iter(max_iter))


def _run_lloyd(X: NDArray[np.floating[Any]], centers: NDArray[np.floating[Any]], max_iter: int) -> KMeansResult:
    exponent = _range_exponent(X, centers)
    scaled_X, scaled_centers = _scaled(X, exponent), _scaled(centers, exponent)
    out, labels, min_sqdist, n_iter, converged = kernels.lloyd(scaled_X, scaled_centers, max_iter)
    with np.errstate(over="ignore", under="ignore"):  # the true objective may lie outside the float range
        objective = float(np.ldexp(np.sum(min_sqdist), 2 * exponent))
    return KMeansResult(_unscaled(out, exponent), labels, objective, n_iter, converged)


# ------------------------------------------------------------------------------------------------
# Data of extreme magnitude.  Squared distances of data near 1e±155 (float64) overflow to inf or
# underflow to 0 and every point ties.  Multiplying by a power of two is exact in binary floating
# point and commutes with every operation of Lloyd (differences, squares, sums, comparisons, division
# by a count), so the kernels run on X·2^-e, with max|X·2^-e| in [1/2, 1), and the centers are
# scaled back: the same centers and labels as exact-range arithmetic would give.  Only coordinates
# below max|X|·2^-1021 (float64; 2^-125 in float32) can round to zero, far below the data's rounding.


def _range_exponent(*arrays) -> int:
    """0 when max|x| over ``arrays`` lies in [2^(minexp/4), 2^(maxexp/4)] — about [1e-77, 1e77] in
    float64 and [3e-10, 4e9] in float32, where d·(2 max|x|)² cannot overflow and squared differences of
    relative size ε cannot underflow, even if a kernel accumulated in the data's own precision —
    else e with max|x| = f·2^e, f in [1/2, 1)."""
    magnitude = max(float(np.max(np.abs(a))) for a in arrays)
    info = np.finfo(arrays[0].dtype)
    if magnitude == 0 or 2.0 ** (info.minexp / 4) <= magnitude <= 2.0 ** (info.maxexp / 4):
        return 0
    return int(np.frexp(magnitude)[1])


def _scaled(A, exponent: int):
    return A if exponent == 0 else np.ldexp(A, -exponent)


def _unscaled(A, exponent: int):
    return A if exponent == 0 else np.ldexp(A, exponent)
