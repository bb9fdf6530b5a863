"""Built-in targets: our numba Lloyd and adapters that configure the peers fairly.

An adapter sets a peer's documented parameters so that it can do what it claims (e.g. ``tol=0``
so that scikit-learn stops only at a fixed point); it never patches the peer.  Optional peers are
imported inside the factory, so a missing one costs nothing until it is asked for.
"""

from __future__ import annotations

import inspect

import numpy as np

from harness.clustering.kmeans import kmeans
from harness.errors import InvalidArgument, require
from harness.targets.declaration import Target

#: Iteration cap given to every peer that takes one: far more than any test case needs
#: (Lloyd on our well-separated cases converges in tens of iterations).  Every factory takes
#: ``max_iter`` so that bench runs these same adapters with its own cap.
PEER_MAX_ITER = 1000


def _lloyd_fit(dtype, max_iter):
    def fit(X, k, *, init=None, seed=None):
        X = np.asarray(X, dtype=dtype)
        r = kmeans(X, k, init="k-means++" if init is None else init, seed=seed, max_iter=max_iter)
        return {"centers": r.centers, "labels": r.labels, "converged": r.converged, "n_iter": r.n_iter}

    return fit


def lloyd_target(*, max_iter: int = PEER_MAX_ITER) -> Target:
    """Our numba Lloyd (:func:`harness.kmeans`) in float64, from ``init`` (else greedy k-means++)."""
    return Target(
        "lloyd",
        _lloyd_fit(np.float64, max_iter),
        claims="fixed-point",
        precision="float64",
        description="ours: numba Lloyd",
    )


def lloyd_float32_target(*, max_iter: int = PEER_MAX_ITER) -> Target:
    """Our numba Lloyd in float32: the data are converted to float32 (a no-op when they are float32 already)."""
    return Target(
        "lloyd-float32",
        _lloyd_fit(np.float32, max_iter),
        claims="fixed-point",
        precision="float32",
        description="ours: numba Lloyd in float32",
    )


def _sklearn_kmeans(estimator, max_iter: int, **options):
    """The fit of a scikit-learn-style ``KMeans`` class (scikit-learn's, sklearnex's) configured to stop
    only at a fixed point from our start; ``options`` are the class's own further parameters."""

    def fit(X, k, *, init=None, seed=None):
        # tol=0: scikit-learn then stops only when no label changes ("strict convergence"),
        # i.e. at a Lloyd fixed point.  n_init=1 with the given init, so the start is ours.
        est = estimator(
            n_clusters=k,
            init="k-means++" if init is None else np.asarray(init, dtype=np.float64),
            n_init=1,
            max_iter=max_iter,
            tol=0.0,
            random_state=seed,
            **options,
        )
        est.fit(X)
        return {
            "centers": est.cluster_centers_,
            "labels": est.labels_,
            "n_iter": est.n_iter_,
            "converged": bool(est.n_iter_ < max_iter),
        }

    return fit


def sklearn_target(*, max_iter: int = PEER_MAX_ITER) -> Target:
    return Target(
        "sklearn",
        _sklearn_kmeans(
            require("sklearn.cluster", "peers", "the sklearn targets").KMeans, max_iter, algorithm="lloyd", copy_x=True
        ),
        empty_clusters="relocate",  # to the points farthest from their centers
        description="scikit-learn KMeans(algorithm='lloyd', tol=0)",
    )


def sklearn_elkan_target(*, max_iter: int = PEER_MAX_ITER) -> Target:
    return Target(
        "sklearn-elkan",
        _sklearn_kmeans(
            require("sklearn.cluster", "peers", "the sklearn targets").KMeans, max_iter, algorithm="elkan", copy_x=True
        ),
        empty_clusters="relocate",
        description="scikit-learn KMeans(algorithm='elkan', tol=0)",
    )


def sklearnex_target(*, max_iter: int = PEER_MAX_ITER) -> Target:
    """scikit-learn-intelex's ``sklearnex.cluster.KMeans``: Lloyd in oneDAL, configured as the
    ``sklearn`` peer (``tol=0``, ``n_init=1``, the given init, else its k-means++ with
    ``random_state=seed``, ``max_iter``; ``converged`` is ``n_iter_ < max_iter``).

    With ``tol=0`` oneDAL stops when an iteration no longer lowers the objective (measured: 3
    iterations on three separated blobs, the same answer as scikit-learn's strict convergence).
    sklearnex documents two cases where it does not run oneDAL but falls back to stock
    scikit-learn (``_onedal_fit_supported``: ``n_clusters != 1`` and ``n_clusters < n_samples``);
    they are declared (``min_k=2``, ``needs_n_greater_than_k``), so every case judged is oneDAL's.
    ``SKLEARNEX_VERBOSE=INFO`` logs "running accelerated version" on each fit that oneDAL ran.
    """
    cluster = require("sklearnex.cluster", "peers", "the sklearnex target")
    fit = _sklearn_kmeans(cluster.KMeans, max_iter)

    return Target(
        "sklearnex",
        fit,
        min_k=2,
        needs_n_greater_than_k=True,
        empty_clusters="relocate",
        description="scikit-learn-intelex KMeans (oneDAL Lloyd), tol=0",
    )


def sklearn_minibatch_target(*, max_iter: int = PEER_MAX_ITER) -> Target:
    """scikit-learn ``MiniBatchKMeans``: an approximate clustering, not a Lloyd fixed point.

    Configured with ``n_init=1`` from the given ``init`` (else its own k-means++), ``random_state``
    = ``seed`` and ``max_iter=PEER_MAX_ITER`` epochs; its documented early stopping (smoothed
    inertia not improving for ``max_no_improvement`` mini-batches, ``tol=0``) is left as it is,
    since stopping there is what it claims.  ``labels_`` are the nearest final centers over the
    whole data set (``compute_labels=True``).  ``n_iter`` is ``n_iter_`` in epochs; ``converged``
    is not reported, because its stopping heuristic says nothing about the returned solution.
    """
    cluster = require("sklearn.cluster", "peers", "the sklearn-minibatch target")

    def fit(X, k, *, init=None, seed=None):
        est = cluster.MiniBatchKMeans(
            n_clusters=k,
            init="k-means++" if init is None else np.asarray(init, dtype=np.float64),
            n_init=1,
            max_iter=max_iter,
            random_state=seed,
            compute_labels=True,
        )
        est.fit(X)
        return {"centers": est.cluster_centers_, "labels": est.labels_, "n_iter": est.n_iter_}

    return Target(
        "sklearn-minibatch", fit, claims="approximate", description="scikit-learn MiniBatchKMeans (approximate)"
    )


def scipy_target(*, max_iter: int = PEER_MAX_ITER) -> Target:
    """``scipy.cluster.vq.kmeans2``: plain Lloyd, driven to a fixed point in chunks of its own
    default ``iter=10``.

    kmeans2 has no stopping rule (``thresh`` is documented as "not used yet"): it always performs
    ``iter`` assignment/update steps and returns the labels of the *last assignment*, i.e. of the
    centers before the last update.  Running it once for ``PEER_MAX_ITER`` steps would spend 1000
    iterations on every call, so the adapter restarts it with ``minit='matrix'`` from the centers it
    returned, 10 iterations at a time, and stops when a chunk returns exactly the centers it was
    given: then its last update reproduced its input, which is the fixed-point condition, and
    ``converged`` is True.  Only kmeans2's documented parameters are used; its answer is passed on
    unchanged.  A center whose cluster empties keeps its previous position and kmeans2 warns
    (``missing='warn'``, its default, left as is).  Without ``init``, the first chunk uses
    ``minit='++'`` seeded through ``rng`` (``seed`` before scipy 1.15).
    """
    vq = require("scipy.cluster.vq", "core", "the scipy target")
    rng_keyword = "rng" if "rng" in inspect.signature(vq.kmeans2).parameters else "seed"
    chunk = min(10, max_iter)

    def fit(X, k, *, init=None, seed=None):
        if init is None:
            centers, labels = vq.kmeans2(X, k, iter=chunk, minit="++", **{rng_keyword: seed})
        else:
            centers, labels = vq.kmeans2(X, np.array(init, dtype=np.float64), iter=chunk, minit="matrix")
        n_iter = chunk
        while n_iter < max_iter:
            again, labels = vq.kmeans2(X, centers, iter=chunk, minit="matrix")
            n_iter += chunk
            if np.array_equal(again, centers):
                return {"centers": again, "labels": labels, "n_iter": n_iter, "converged": True}
            centers = again
        return {"centers": centers, "labels": labels, "n_iter": n_iter, "converged": False}

    return Target(
        "scipy", fit, description="scipy.cluster.vq.kmeans2, minit='matrix', 10-iteration chunks to a fixed point"
    )


def faiss_target(*, max_iter: int = PEER_MAX_ITER) -> Target:
    """``faiss.Kmeans`` in float32 on the whole data set.

    ``max_points_per_centroid=n`` disables faiss's subsampling of the training set (by default it
    trains on at most 256 points per centroid) and ``min_points_per_centroid=1`` only silences its
    "please provide at least ... training points" message.  ``niter=PEER_MAX_ITER``; a faiss with
    ``ClusteringParameters.early_stop_threshold`` (1.15.1 here) stops earlier when the objective is
    unchanged from the previous iteration (threshold 0, its default), and ``converged`` reports that
    it did so (running all ``niter`` iterations leaves ``converged`` unreported); an older faiss
    always runs ``niter`` iterations and ``converged`` is not reported.
    Given ``init``, the centroids start there (``train(x, init_centroids=...)``); otherwise faiss's
    own initialisation (``k`` distinct random points) with ``seed`` (faiss's default 1234 when
    ``seed`` is None).  Labels are faiss's own nearest-centroid search in float32 (``index.search``).

    faiss never leaves a cluster empty: it re-seeds an empty centroid by copying a non-empty one
    chosen at random (in proportion to its size) and perturbing both by a relative 1/1024 in
    opposite directions ("splitting", ``nsplit`` in its iteration statistics).
    """
    faiss = require("faiss", "peers", "the faiss target")

    def fit(X, k, *, init=None, seed=None):
        x = np.ascontiguousarray(X, dtype=np.float32)
        n, d = x.shape
        params = {"niter": max_iter, "max_points_per_centroid": n, "min_points_per_centroid": 1}
        if seed is not None:
            params["seed"] = int(seed) % 2**31  # a C int; negative seeds mean "seed from the clock"
        km = faiss.Kmeans(d, k, **params)
        km.train(x, init_centroids=None if init is None else np.ascontiguousarray(init, dtype=np.float32))
        _, labels = km.index.search(x, 1)
        n_iter = len(km.iteration_stats)
        stops_early = hasattr(km.cp, "early_stop_threshold")
        return {
            "centers": km.centroids,
            "labels": labels.ravel(),
            "n_iter": n_iter,
            # stopping early is faiss saying "converged"; running every iteration says nothing (its
            # early stop does not fire for every input, e.g. k = 1), so the fit itself is judged
            "converged": True if stops_early and n_iter < max_iter else None,
        }

    # faiss splits a non-empty cluster to fill an empty one: no category excuses the split center, which
    # is not its cell's mean; "relocate" says k centers come back (docs/wrapping.md, section 6)
    return Target(
        "faiss",
        fit,
        precision="float32",
        empty_clusters="relocate",
        description="faiss.Kmeans (float32), no subsampling",
    )


def kmeans1d_target(*, max_iter: int = PEER_MAX_ITER) -> Target:
    """``kmeans1d.cluster``: the exact k-means optimum in one dimension (Wu 1991 / Grønlund et al.
    2017, dynamic programming with SMAWK), in float64.

    It takes no initial centers, no seed and no iteration cap, so all three are ignored.  It handles
    ``d = 1`` only; other dimensions raise :class:`~harness.errors.InvalidArgument`.  Its answer is passed on as is,
    including its own handling of ``k > n`` (it clusters with ``min(k, n)`` centers).
    """
    kmeans1d = require("kmeans1d", "peers", "the kmeans1d target")

    def fit(X, k, *, init=None, seed=None):
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != 1:
            raise InvalidArgument(
                f"X: kmeans1d clusters one-dimensional data only, got d = "
                f"{X.shape[1] if X.ndim == 2 else 'undefined'} (shape {X.shape}); expected shape (n, 1)"
            )
        clusters, centroids = kmeans1d.cluster(np.asarray(X[:, 0], dtype=np.float64).tolist(), k)
        return {"centers": np.asarray(centroids)[:, None], "labels": np.asarray(clusters, dtype=np.int64)}

    return Target(
        "kmeans1d",
        fit,
        claims="global-optimum",
        honours_init=False,
        max_dim=1,
        description="kmeans1d: exact 1-D optimum (ignores init and seed)",
    )
