"""Initialisers for k-means: each maps ``(X, k, seed)`` to ``(k, d)`` float64 centers, to be passed
as ``init=`` to a target (or to :func:`harness.clustering.kmeans.lloyd`).

Some of them refine as well (Ward + polish, Ward + Lloyd, over-parametrise-and-prune): their centers
are already a local minimum of the kind they name.  Nothing here knows of targets, Dask or the truth.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

from harness.clustering import kmeans as api
from harness.config import DEFAULT_MAX_ITER, NUMBA_FLAGS
from harness.errors import InvalidArgument, require
from harness.numerics import kernels
from harness.numerics.validation import check_centers, check_data, check_k, check_seed

__all__ = [
    "INITIALISERS",
    "Initialiser",
    "initialise",
    "random_points",
    "plain_kmeans_plusplus",
    "greedy_kmeans_plusplus",
    "ward",
    "ward_labels",
    "ward_polish",
    "ward_lloyd",
    "hartigan_polish",
    "HartiganResult",
    "overparametrise_prune",
    "merge_cells",
    "WARD_MAX_POINTS",
    "HARTIGAN_MARGIN",
]

#: The largest n Ward accepts by default.  fastcluster's ``linkage_vector`` needs O(n d) memory (plus
#: the (n − 1, 4) float64 merge table, 32 n bytes) but O(n²) time: measured ≈ 1.1e-8 n² s on one
#: core (1.3 s for n = 11 000 in 2-D, 4.4 s for n = 20 000 in 3-D), so 100 000 points take about two
#: minutes.  Pass ``max_points`` to go further.
WARD_MAX_POINTS = 100_000

#: Relative margin of Hartigan's move test: move only when the gain exceeds this fraction of the
#: removal cost.  Each cost is a squared distance to a mean computed in float64, relative error
#: ≲ (d + 4) u with u = 2⁻⁵³ ≈ 1.1e-16, plus the drift of incrementally updated means within one
#: pass (means are recomputed exactly after every pass), ≲ (moves in the pass) · u.  1e-9 exceeds
#: both by orders of magnitude for any d and pass length we meet, so a move is a real decrease of
#: the objective and the passes cannot cycle.
HARTIGAN_MARGIN = 1e-9

#: Cap on Hartigan passes over the data (each pass visits every point once).
HARTIGAN_MAX_PASSES = 1000


def _prepare(X, k, seed):
    X = check_data(X)
    k = check_k(k, X.shape[0])
    return np.ascontiguousarray(X, dtype=np.float64), k, np.random.default_rng(check_seed(seed))


# ------------------------------------------------------------------------------------------------
# seeding


def random_points(X, k, seed=None):
    """k distinct rows of ``X`` chosen uniformly (Forgy's method; Lloyd 1982's usual start).

    Parameters
    ----------
    X : (n, d) array_like
    k : int, 1 <= k <= n
    seed : None | int | numpy.random.Generator

    Returns
    -------
    centers : (k, d) float64
    """
    X, k, rng = _prepare(X, k, seed)
    return X[rng.choice(X.shape[0], size=k, replace=False)].copy()


def plain_kmeans_plusplus(X, k, seed=None):
    """k-means++ (Arthur & Vassilvitskii 2007): each new center is a data row drawn with probability
    proportional to its squared distance to the nearest center so far (one candidate per step).
    The paper's Section 4 notes why it helps: it keeps fitted centers apart, so many-fit-one
    associations are unlikely.  Returns ``(k, d) float64``."""
    X, k, rng = _prepare(X, k, seed)
    return kernels.kmeans_plusplus(X, k, rng, greedy=False)[0]


def greedy_kmeans_plusplus(X, k, seed=None):
    """Greedy k-means++ (Arthur & Vassilvitskii 2007, Section 5; scikit-learn's default): at each step
    draw 2 + ⌊ln k⌋ candidates by D² sampling and keep the one that lowers the objective most.
    Returns ``(k, d) float64``."""
    X, k, rng = _prepare(X, k, seed)
    return kernels.kmeans_plusplus(X, k, rng, greedy=True)[0]


# ------------------------------------------------------------------------------------------------
# Ward


def ward_labels(X, k, *, max_points=WARD_MAX_POINTS):
    """Labels 0..k−1 of Ward's agglomerative clustering cut at k clusters.

    Ward (1963) merges, at each step, the two clusters whose union raises the k-means objective
    least; fastcluster's ``linkage_vector`` (Müllner 2013) does it in O(n d) memory and O(n²) time
    (see :data:`WARD_MAX_POINTS`).  The tree is cut with ``fcluster(..., 'maxclust')``; if tied merge
    heights (duplicate points) make that return fewer than k clusters, ``cut_tree`` gives exactly k.
    """
    X = np.ascontiguousarray(check_data(X), dtype=np.float64)
    n = X.shape[0]
    k = check_k(k, n)
    if n > max_points:
        raise InvalidArgument(
            f"X: Ward needs O(n²) time; n = {n} exceeds max_points = {max_points} "
            f"(about {1.1e-8 * n * n:.0f} s); pass max_points={n} to run it anyway"
        )
    if k == n:
        return np.arange(n, dtype=np.int64)
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    fastcluster = require("fastcluster", "study", "the Ward initialiser")
    from scipy.cluster.hierarchy import cut_tree, fcluster

    Z = fastcluster.linkage_vector(X, method="ward")
    labels = fcluster(Z, k, criterion="maxclust").astype(np.int64) - 1
    if labels.max() + 1 != k:
        labels = cut_tree(Z, n_clusters=k)[:, 0].astype(np.int64)
    return labels


def _means(X, labels, k):
    counts = np.bincount(labels, minlength=k)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, X)
    return sums / np.maximum(counts, 1)[:, None], counts


def ward(X, k, seed=None, *, max_points=WARD_MAX_POINTS):
    """Means of Ward's k clusters (the blog's ``hclust.vector(mat, method="ward")`` + ``cutree``).

    Deterministic: ``seed`` is accepted for a uniform signature and ignored.  Returns ``(k, d) float64``.
    """
    X = np.ascontiguousarray(check_data(X), dtype=np.float64)
    k = check_k(k, X.shape[0])
    check_seed(seed)
    return _means(X, ward_labels(X, k, max_points=max_points), k)[0]


# ------------------------------------------------------------------------------------------------
# Hartigan–Wong point moves


@dataclass(frozen=True)
class HartiganResult:
    """``centers : (k, d) float64`` (exact means of ``labels``), ``labels : (n,) int64``,
    ``objective`` (G_n, eq. (1), of the partition), ``n_moves``, ``n_passes``, ``converged``
    (True when a whole pass moved no point)."""

    centers: np.ndarray
    labels: np.ndarray
    objective: float
    n_moves: int
    n_passes: int
    converged: bool


@numba.njit(**NUMBA_FLAGS)
def _recompute_means(X, labels, centers, counts):  # pragma: no cover - jitted
    n, d = X.shape
    centers[:] = 0.0
    counts[:] = 0
    for i in range(n):
        a = labels[i]
        counts[a] += 1
        for t in range(d):
            centers[a, t] += X[i, t]
    for a in range(centers.shape[0]):
        if counts[a] > 0:
            for t in range(d):
                centers[a, t] /= counts[a]


@numba.njit(**NUMBA_FLAGS)
def _hartigan(X, labels, centers, counts, max_passes, margin):  # pragma: no cover - jitted
    """Hartigan & Wong (1979)'s optimal-transfer test applied to every point until none moves.

    Moving x from cluster a (n_a points, mean c_a) to b changes the objective by
    n_b/(n_b+1)‖x − c_b‖² − n_a/(n_a−1)‖x − c_a‖²; the best b is taken when that is negative
    (beyond ``margin``), and both means are updated incrementally.  A singleton never moves (it would
    empty its cluster); an empty cluster costs 0 to join.  Returns ``(moves, passes, converged)``.
    """
    n, d = X.shape
    k = centers.shape[0]
    total = 0
    passes = 0
    converged = False
    while passes < max_passes:
        passes += 1
        moves = 0
        for i in range(n):
            a = labels[i]
            na = counts[a]
            if na <= 1:
                continue
            da = 0.0
            for t in range(d):
                diff = X[i, t] - centers[a, t]
                da += diff * diff
            best = na / (na - 1.0) * da * (1.0 - margin)
            best_b = -1
            for b in range(k):
                if b == a:
                    continue
                nb = counts[b]
                if nb == 0:
                    add = 0.0
                else:
                    db = 0.0
                    for t in range(d):
                        diff = X[i, t] - centers[b, t]
                        db += diff * diff
                    add = nb / (nb + 1.0) * db
                if add < best:
                    best = add
                    best_b = b
            if best_b >= 0:
                b = best_b
                nb = counts[b]
                for t in range(d):
                    centers[a, t] = (na * centers[a, t] - X[i, t]) / (na - 1.0)
                    centers[b, t] = (nb * centers[b, t] + X[i, t]) / (nb + 1.0)
                counts[a] = na - 1
                counts[b] = nb + 1
                labels[i] = b
                moves += 1
        total += moves
        _recompute_means(X, labels, centers, counts)
        if moves == 0:
            converged = True
            break
    return total, passes, converged


def hartigan_polish(X, centers=None, *, labels=None, max_passes=HARTIGAN_MAX_PASSES):
    """Polish a partition with Hartigan–Wong single-point moves until no move lowers the objective.

    This is the criterion of R's ``kmeans()`` default (Hartigan & Wong 1979, algorithm AS 136), the
    "polish" of the blog: a point x in cluster a moves to b when
    n_b/(n_b+1)·‖x − c_b‖² < n_a/(n_a−1)·‖x − c_a‖² (the exact change of G_n, eq. (1)).  AS 136 only
    re-examines "live" clusters; we test every point against every cluster in each pass, so the
    result is Hartigan-optimal: no single-point move lowers the objective (up to
    :data:`HARTIGAN_MARGIN`).  Such a partition is also a Lloyd fixed point (each x is nearest its own
    mean: n_b/(n_b+1) < 1 < n_a/(n_a−1)), so Lloyd started from it does not move.

    Parameters
    ----------
    X : (n, d) array_like
    centers : (k, d) array_like, optional
        Start from the nearest-center partition of these (as R's ``kmeans(X, centers)``).
    labels : (n,) int array_like, optional
        Or start from this partition (values in 0..k−1); exactly one of ``centers``/``labels``.

    Returns
    -------
    HartiganResult
    """
    X = np.ascontiguousarray(check_data(X), dtype=np.float64)
    n = X.shape[0]
    if (centers is None) == (labels is None):
        raise InvalidArgument(
            "centers, labels: expected exactly one of them, got " + ("both" if labels is not None else "neither")
        )
    if centers is not None:
        c = check_centers(centers, None, X.shape[1], np.float64, name="centers")
        k = check_k(c.shape[0], n, name="centers.shape[0] (k)")
        lab, _ = kernels.assign_labels(X, c)
    else:
        lab = np.asarray(labels)
        if lab.shape != (n,) or not np.issubdtype(lab.dtype, np.integer) or lab.min() < 0:
            raise InvalidArgument(f"labels: expected ({n},) non-negative integers, got shape {lab.shape} {lab.dtype}")
        k = int(lab.max()) + 1
    lab = np.ascontiguousarray(lab, dtype=np.int64).copy()
    out = np.zeros((k, X.shape[1]))
    counts = np.zeros(k, dtype=np.int64)
    _recompute_means(X, lab, out, counts)
    if centers is not None:
        empty = counts == 0
        out[empty] = c[empty]  # an empty start cell keeps its given center until a point joins it
    moves, passes, converged = _hartigan(X, lab, out, counts, int(max_passes), HARTIGAN_MARGIN)
    obj = float(np.sum((X - out[lab]) ** 2))
    return HartiganResult(out, lab, obj, int(moves), int(passes), bool(converged))


def ward_polish(X, k, seed=None, *, max_points=WARD_MAX_POINTS):
    """Ward's means polished by Hartigan–Wong moves: the blog's recommended "Ward + polish"
    (``hclust.vector`` + ``cutree`` + ``kmeans(mat, centers)``, whose default is Hartigan–Wong).
    Deterministic.  Returns ``(k, d) float64``."""
    X = np.ascontiguousarray(check_data(X), dtype=np.float64)
    k = check_k(k, X.shape[0])
    check_seed(seed)
    return hartigan_polish(X, labels=ward_labels(X, k, max_points=max_points)).centers


def ward_lloyd(X, k, seed=None, *, max_points=WARD_MAX_POINTS, max_iter=DEFAULT_MAX_ITER):
    """Ward's means refined by Lloyd's algorithm to a fixed point (Lemma 2).  Deterministic.
    Returns ``(k, d) float64``."""
    X = np.ascontiguousarray(check_data(X), dtype=np.float64)
    k = check_k(k, X.shape[0])
    check_seed(seed)
    return api.lloyd(X, ward(X, k, max_points=max_points), max_iter=max_iter).centers


# ------------------------------------------------------------------------------------------------
# Over-parametrise and prune (Section 4)


@numba.njit(**NUMBA_FLAGS)
def _merge_cost(ca, wa, cb, wb):  # pragma: no cover - jitted
    s = 0.0
    for t in range(ca.shape[0]):
        diff = ca[t] - cb[t]
        s += diff * diff
    return wa * wb / (wa + wb) * s


@numba.njit(**NUMBA_FLAGS)
def _merge_until(centers, weights, k, alive):  # pragma: no cover - jitted
    """Merge the pair with the smallest Ward cost w_a w_b/(w_a + w_b)·‖c_a − c_b‖² into its weighted
    mean until ``k`` remain, keeping each row's nearest neighbour (rows that pointed at a merged pair
    are recomputed; a merge can only lower another row's best cost through the new row)."""
    m = centers.shape[0]
    nn = np.full(m, -1, dtype=np.int64)
    nn_cost = np.full(m, np.inf)
    for i in range(m):
        if not alive[i]:
            continue
        for j in range(m):
            if j != i and alive[j]:
                c = _merge_cost(centers[i], weights[i], centers[j], weights[j])
                if c < nn_cost[i]:
                    nn_cost[i] = c
                    nn[i] = j
    remaining = 0
    for i in range(m):
        if alive[i]:
            remaining += 1
    while remaining > k:
        a = -1
        best = np.inf
        for i in range(m):
            if alive[i] and nn_cost[i] < best:
                best = nn_cost[i]
                a = i
        b = nn[a]
        w = weights[a] + weights[b]
        for t in range(centers.shape[1]):
            centers[a, t] = (weights[a] * centers[a, t] + weights[b] * centers[b, t]) / w
        weights[a] = w
        alive[b] = False
        remaining -= 1
        nn_cost[b] = np.inf
        nn_cost[a] = np.inf
        nn[a] = -1
        for j in range(m):
            if j != a and alive[j]:
                c = _merge_cost(centers[a], weights[a], centers[j], weights[j])
                if c < nn_cost[a]:
                    nn_cost[a] = c
                    nn[a] = j
        for i in range(m):
            if not alive[i] or i == a:
                continue
            if nn[i] == a or nn[i] == b:
                nn_cost[i] = np.inf
                nn[i] = -1
                for j in range(m):
                    if j != i and alive[j]:
                        c = _merge_cost(centers[i], weights[i], centers[j], weights[j])
                        if c < nn_cost[i]:
                            nn_cost[i] = c
                            nn[i] = j
            else:
                c = _merge_cost(centers[i], weights[i], centers[a], weights[a])
                if c < nn_cost[i]:
                    nn_cost[i] = c
                    nn[i] = a


def merge_cells(centers, masses, k, *, almost_empty_mass=0.0):
    """Prune fitted centers to ``k`` using only what a user has: the centers and their cell masses.

    First drop the almost-empty cells (mass < ``almost_empty_mass``; the largest k are always kept),
    then merge the many-fit-one groups: repeatedly replace the pair whose merge raises the objective
    least, w_a w_b/(w_a + w_b)·‖c_a − c_b‖² (Ward's criterion on cells), by its mass-weighted mean.

    Parameters
    ----------
    centers : (m, d) array_like
    masses : (m,) array_like, non-negative (counts or fractions)
    k : int, 1 <= k <= m

    Returns
    -------
    (k, d) float64
    """
    c = np.array(centers, dtype=np.float64, copy=True)
    w = np.array(masses, dtype=np.float64, copy=True)
    if c.ndim != 2 or w.shape != (c.shape[0],) or np.any(w < 0) or not np.all(np.isfinite(w)):
        raise InvalidArgument(f"masses: expected ({c.shape[0]},) non-negative finite numbers, got {np.shape(masses)}")
    k = check_k(k, c.shape[0], name="k")
    keep = w >= almost_empty_mass
    if keep.sum() < k:
        keep = np.zeros(c.shape[0], dtype=bool)
        keep[np.argsort(-w, kind="stable")[:k]] = True
    c, w = c[keep], w[keep]
    w = np.maximum(w, np.finfo(np.float64).tiny)  # an empty kept cell merges first, at zero cost
    alive = np.ones(c.shape[0], dtype=np.bool_)
    _merge_until(c, w, k, alive)
    return c[alive]


def overparametrise_prune(X, k, seed=None, *, m=None, almost_empty_fraction=0.25, max_iter=DEFAULT_MAX_ITER):
    """Over-parametrise and prune (Section 4 of Qian, Zhang & Chen, "Connection to
    Over-Parametrization"; Dwivedi et al. [14] for EM).

    1. Fit m > k centers with Lloyd from m random data rows.  With m ≥ k(1 + ln k) (the default;
       coupon collector: k·H_k ≈ k(ln k + 0.58) uniform draws cover k equal clusters on average) every
       true cluster likely gets a center, so one-fit-many associations are avoided and the fixed
       point has only one-fit-one, many-fit-one and almost-empty associations.
    2. Prune with only the fitted centers and their cell masses (never the truth): drop the
       almost-empty cells (mass < ``almost_empty_fraction``/m, i.e. below that fraction of an average
       cell), then merge the many-fit-one groups by :func:`merge_cells` until k remain.
    3. Refit with Lloyd from the k merged centers.

    Returns ``(k, d) float64``.
    """
    X, k, rng = _prepare(X, k, seed)
    n = X.shape[0]
    if m is None:
        m = math.ceil(k * (1.0 + math.log(k))) if k > 1 else 2
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < k:
        raise InvalidArgument(f"m: expected an integer number of fitted centers >= k = {k}, got {m!r}")
    m = min(int(m), n)
    if not 0.0 <= almost_empty_fraction < 1.0:
        raise InvalidArgument(f"almost_empty_fraction: expected a number in [0, 1), got {almost_empty_fraction!r}")
    start = X[rng.choice(n, size=m, replace=False)]
    over = api.lloyd(X, start, max_iter=max_iter)
    masses = np.bincount(over.labels, minlength=m) / n
    merged = merge_cells(over.centers, masses, k, almost_empty_mass=almost_empty_fraction / m)
    return api.lloyd(X, merged, max_iter=max_iter).centers


# ------------------------------------------------------------------------------------------------
# registry


@dataclass(frozen=True)
class Initialiser:
    """A named initialiser: ``fn(X, k, seed) -> (k, d) float64``.  ``refines``: the centers are
    already a local minimum (Lloyd fixed point or better), not just a start; ``deterministic``: the
    same data give the same centers whatever the seed; ``needs``: optional module, or None."""

    name: str
    fn: Callable
    description: str
    refines: bool = False
    deterministic: bool = False
    needs: str | None = None


INITIALISERS = {
    i.name: i
    for i in [
        Initialiser("random", random_points, "k distinct data rows, uniformly (Forgy)"),
        Initialiser("plain-k-means++", plain_kmeans_plusplus, "k-means++, one candidate per step"),
        Initialiser("greedy-k-means++", greedy_kmeans_plusplus, "k-means++, 2 + ⌊ln k⌋ candidates (scikit-learn)"),
        Initialiser("ward", ward, "means of Ward's k clusters (fastcluster)", deterministic=True, needs="fastcluster"),
        Initialiser(
            "ward+polish",
            ward_polish,
            "Ward, then Hartigan-Wong point moves (the blog's recommendation)",
            refines=True,
            deterministic=True,
            needs="fastcluster",
        ),
        Initialiser(
            "ward+lloyd", ward_lloyd, "Ward, then Lloyd", refines=True, deterministic=True, needs="fastcluster"
        ),
        Initialiser(
            "overparametrise-prune",
            overparametrise_prune,
            "Lloyd with k(1+ln k) random centers, prune almost-empty, merge many-fit-one, refit (Section 4)",
            refines=True,
        ),
    ]
}


def initialise(name: str, X, k: int, seed=None) -> np.ndarray:
    """Centers from the initialiser called ``name`` (see :data:`INITIALISERS`); ``(k, d) float64``."""
    if name not in INITIALISERS:
        raise InvalidArgument(f"initialiser: expected one of {', '.join(INITIALISERS)}, got {name!r}")
    return INITIALISERS[name].fn(X, k, seed)
