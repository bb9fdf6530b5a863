"""``KMeans``: the harness's exact Lloyd behind scikit-learn's estimator interface, for pipelines.

It validates input the scikit-learn way (``validate_data``) and fits with :func:`harness.kmeans`;
it adds no algorithm of its own.  Imports scikit-learn (the ``peers`` extra) at module level, so
reach it through ``harness.KMeans``, which says how to install scikit-learn when it is missing.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from harness.clustering.kmeans import Seed, kmeans
from harness.config import DEFAULT_MAX_ITER
from harness.errors import InvalidArgument
from harness.numerics import kernels
from harness.numerics.validation import check_k

__all__ = ["KMeans"]


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """k-means by Lloyd's algorithm to an exact fixed point (Lemma 2), as a scikit-learn estimator.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of centers k, 1 <= k <= n_samples.
    init : {"k-means++", "plain-k-means++", "random"} or (n_clusters, n_features) array, default="k-means++"
        Seeding: greedy k-means++ (2 + ⌊ln k⌋ candidates per step, as scikit-learn), k-means++ with
        one candidate per step, k distinct rows drawn uniformly, or the given centers.
    max_iter : int, default=300
        Cap on the number of center updates.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Seed of the seeding.  An int gives the same fit as
        ``harness.kmeans(X, n_clusters, init=init, seed=random_state, max_iter=max_iter)``.

    Attributes
    ----------
    cluster_centers_ : (n_clusters, n_features) float32 or float64
        The centers, in the dtype of the training data.
    labels_ : (n_samples,) int64
        Nearest center of each training point (ties to the lowest index).
    inertia_ : float
        The objective G_n of eq. (1): sum of squared distances to the nearest center.
    n_iter_ : int
        Number of center updates performed.
    converged_ : bool
        True when the last update changed no label (an exact fixed point); False when
        ``max_iter`` stopped the run first.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, shape ``(n_features_in_,)``; only when fitted on data with string
        column names.

    Notes
    -----
    Unlike scikit-learn's ``KMeans`` there is no ``n_init`` (one seeding per fit), no ``tol`` (the
    run stops when no label changes), no ``sample_weight`` and no sparse input.  An empty cluster
    keeps its previous center.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: str | ArrayLike = "k-means++",
        max_iter: int = DEFAULT_MAX_ITER,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: object = None) -> KMeans:
        """Fit the centers to ``X : (n_samples, n_features)``; ``y`` is ignored."""
        data = validate_data(self, X, dtype=[np.float64, np.float32], order="C")
        n_clusters = check_k(self.n_clusters, data.shape[0], name="n_clusters")
        result = kmeans(data, n_clusters, init=self.init, seed=self._seed(), max_iter=self.max_iter)
        self.cluster_centers_ = result.centers
        self.labels_ = result.labels
        self.inertia_ = result.objective
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self._n_features_out = n_clusters
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """Nearest center of each row of ``X``: ``(n_samples,) int64``, ties to the lowest index."""
        labels, _ = kernels.assign_labels(self._check_test_data(X), _writable(self.cluster_centers_))
        return labels

    def fit_predict(self, X: ArrayLike, y: object = None) -> NDArray[np.int64]:
        """Fit to ``X`` and return ``labels_``; ``y`` is ignored."""
        return self.fit(X).labels_

    def transform(self, X: ArrayLike) -> NDArray[np.floating[Any]]:
        """Euclidean (not squared) distance from each row of ``X`` to each center.

        Returns ``(n_samples, n_clusters)`` in the dtype of ``cluster_centers_``.  The differences
        ``x - c`` are taken exactly and squared in float64, as in :func:`harness.numerics.kernels.assign_labels`,
        rather than through the ``|x|^2 - 2<x,c> + |c|^2`` expansion, which cancels for data far from
        the origin.
        """
        data = self._check_test_data(X)
        centers = self.cluster_centers_
        X64 = data.astype(np.float64, copy=False)
        out = np.empty((data.shape[0], centers.shape[0]), dtype=np.float64)
        for j, center in enumerate(centers.astype(np.float64)):  # one (n, d) temporary at a time, never (n, k, d)
            diff = X64 - center
            out[:, j] = np.einsum("ij,ij->i", diff, diff)
        return np.sqrt(out).astype(centers.dtype, copy=False)

    def score(self, X: ArrayLike, y: object = None) -> float:
        """Minus the objective of eq. (1) on ``X`` at the fitted centers (higher is better); ``y`` is ignored."""
        return -kernels.objective(self._check_test_data(X), _writable(self.cluster_centers_))

    def _check_test_data(self, X: ArrayLike) -> NDArray[np.floating[Any]]:
        check_is_fitted(self)
        # The kernels need X and the centers in one dtype; the centers' dtype is the one fitted.
        return _writable(validate_data(self, X, reset=False, dtype=self.cluster_centers_.dtype, order="C"))

    def _seed(self) -> Seed:
        """``random_state`` as a seed :func:`harness.kmeans` accepts (None, int >= 0 or a Generator)."""
        state = self.random_state
        if state is None or isinstance(state, np.random.Generator):
            return state
        if isinstance(state, np.random.RandomState):
            # scikit-learn's habit: draw a seed from the shared RandomState, so successive fits differ.
            return int(state.randint(np.iinfo(np.int32).max))
        if isinstance(state, numbers.Integral) and not isinstance(state, bool) and state >= 0:
            return int(state)
        raise InvalidArgument(
            f"random_state: expected None, a non-negative integer, a numpy RandomState or Generator, got {state!r}"
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _writable(a: NDArray[np.floating[Any]]) -> NDArray[np.floating[Any]]:
    """``a``, copied if read-only (a memmap, unpickled centers): numba compiles a separate specialisation
    for read-only arrays, seconds of JIT for no gain."""
    return a if a.flags.writeable else a.copy()
