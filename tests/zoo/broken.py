"""Subtly broken k-means targets: each is the correct Lloyd of :func:`_lloyd` with one small
change, and each docstring names the bug and the check that should catch it.

All are declared like an honest float64 Lloyd (``claims="fixed-point"``, ``honours_init=True``,
``deterministic=True``) unless a docstring says otherwise; the declaration is what the bug
betrays.  None raises on purpose: each returns a plausible answer that is wrong only under the
condition its docstring names (a cluster that empties, ``n > 10000``, ``k == 1``, data far from
the origin, ...).  ``early_stop_honest`` is the one control: it is not wrong, it only fails to
converge and says so.

Check names: ``output_contract`` (shapes, dtypes, finite values, labels in range, input left
unmodified), ``fixed_point`` (every label a nearest center and every non-empty center the mean of
its cell, when ``converged`` is claimed), ``objective_not_worse_than_init``, ``respects_init``,
``deterministic`` and ``metamorphic`` (translation, scaling, row permutation).
"""

from __future__ import annotations

import numpy as np

import harness

MAX_ITER = 1000


# ------------------------------------------------------------------------------------------------
# The correct Lloyd that every target below modifies


def _sqdist(X, C):
    diff = X[:, None, :] - C[None, :, :]
    return np.einsum("nkd,nkd->nk", diff, diff)


def _assign(X, C):
    """Nearest center by exact squared differences; ties to the lowest index."""
    return np.argmin(_sqdist(X, C), axis=1)


def _update(X, labels, C):
    """Cell means; an empty cell keeps its previous center."""
    new = C.copy()
    for j in range(C.shape[0]):
        members = labels == j
        if members.any():
            new[j] = X[members].mean(axis=0)
    return new


def _kmeans_plusplus(X, k, rng):
    n = X.shape[0]
    chosen = [int(rng.integers(n))]
    closest = _sqdist(X, X[chosen])[:, 0]
    for _ in range(1, k):
        total = closest.sum()
        idx = int(rng.choice(n, p=closest / total)) if total > 0 else int(rng.integers(n))
        chosen.append(idx)
        closest = np.minimum(closest, _sqdist(X, X[[idx]])[:, 0])
    return X[chosen].copy()


def _start(X, k, init, seed):
    if init is not None:
        return np.array(init, dtype=np.float64, copy=True)
    return _kmeans_plusplus(X, k, np.random.default_rng(seed))


def _lloyd(X, k, init, seed, *, assign=_assign, update=_update, max_iter=MAX_ITER, shift_tol=None, stale=False):
    """Lloyd from ``init`` (else k-means++ from ``seed``) until no label changes.

    Knobs for the broken variants: ``assign``/``update`` replace a step; ``shift_tol`` stops
    instead when no center moves farther than it (reporting convergence); ``stale`` then returns
    the labels of the assignment *before* the last update.
    """
    X = np.array(X, dtype=np.float64, copy=True)
    C = _start(X, k, init, seed)
    labels = assign(X, C)
    for it in range(1, max_iter + 1):
        new_C = update(X, labels, C)
        shift = np.sqrt(((new_C - C) ** 2).sum(axis=1)).max()
        C = new_C
        if shift_tol is not None and shift <= shift_tol:
            return _out(C, labels if stale else assign(X, C), True, it)
        new = assign(X, C)
        if shift_tol is None and np.array_equal(new, labels):
            return _out(C, new, True, it)
        labels = new
    return _out(C, labels, False, max_iter)


def _out(C, labels, converged, n_iter):
    return {"centers": C, "labels": np.asarray(labels, dtype=np.int64), "converged": converged, "n_iter": n_iter}


def _scale(X):
    """The data's spread: root mean squared distance to its mean (0 for identical points)."""
    X = np.asarray(X, dtype=np.float64)
    return float(np.sqrt(((X - X.mean(axis=0)) ** 2).sum(axis=1).mean()))


# ------------------------------------------------------------------------------------------------
# Wrong steps


@harness.target
def wrong_update(X, k, *, init=None, seed=None):
    """Bug: the update takes the coordinate-wise *median* of each cell instead of its mean.

    Equal to the mean for cells of 1 or 2 points and close to it on symmetric data, so the answer
    looks right.  Caught by: fixed_point (a center is not the mean of its cell), on any cell of
    three or more points in general position.
    """

    def median_update(X, labels, C):
        new = C.copy()
        for j in range(C.shape[0]):
            if (labels == j).any():
                new[j] = np.median(X[labels == j], axis=0)
        return new

    return _lloyd(X, k, init, seed, update=median_update)


@harness.target
def wrong_update_shrink(X, k, *, init=None, seed=None):
    """Bug: an off-by-one divides each cell's sum by ``count + 1``, pulling every center toward the
    origin by a factor m/(m+1).

    Near the origin with big cells this is a small error; far from it the centers land far outside
    their cells.  Caught by: fixed_point (centers not cell means) and objective_not_worse_than_init
    (far from the origin the objective ends far above the objective at ``init``); metamorphic
    translation too.
    """

    def shrink_update(X, labels, C):
        new = C.copy()
        counts = np.bincount(labels, minlength=C.shape[0])
        for j in np.flatnonzero(counts):
            new[j] = X[labels == j].sum(axis=0) / (counts[j] + 1)
        return new

    return _lloyd(X, k, init, seed, update=shrink_update)


@harness.target
def wrong_distance(X, k, *, init=None, seed=None):
    """Bug: points are assigned by the L1 (Manhattan) distance; the update is the correct mean.

    In one dimension L1 and squared L2 pick the same center, so d = 1 never shows it.  Caught by:
    fixed_point (a label is not a nearest center in squared Euclidean distance), for d >= 2 with a
    point whose L1- and L2-nearest centers differ.
    """
    return _lloyd(X, k, init, seed, assign=lambda X, C: np.argmin(np.abs(X[:, None] - C[None]).sum(axis=2), axis=1))


# ------------------------------------------------------------------------------------------------
# Stopping and reporting


@harness.target
def early_stop(X, k, *, init=None, seed=None):
    """Bug: runs at most 2 updates and then reports ``converged=True`` regardless.

    From a good ``init`` two updates often do converge; from a poor one they do not.  Caught by:
    fixed_point (converged is claimed but the labels still change under one more Lloyd step).
    """
    out = _lloyd(X, k, init, seed, max_iter=2)
    out["converged"] = True
    return out


@harness.target
def early_stop_honest(X, k, *, init=None, seed=None):
    """Not a wrong answer, a control: runs at most 2 updates and honestly reports
    ``converged=False`` when labels were still changing.

    Expected: status "not converged" (the fixed-point claim is only made with converged=True), no
    failure of fixed_point.  A harness that fails it, or passes it silently as converged, is wrong.
    """
    return _lloyd(X, k, init, seed, max_iter=2)


@harness.target
def stale_labels(X, k, *, init=None, seed=None):
    """Bug: stops when no center moved more than 1e-3 x the data's spread and returns the labels of
    the assignment *before* that last update (the assignment the new centers were averaged from).

    The centers are the means of the returned cells, but some labels are no longer nearest: they
    would have changed.  Caught by: fixed_point (a label is not a nearest center), when the run
    stops on a small but non-zero shift (large cells, a few boundary points moving).
    """
    return _lloyd(X, k, init, seed, shift_tol=1e-3 * _scale(X), stale=True)


@harness.target
def loose_tolerance(X, k, *, init=None, seed=None):
    """Bug: stops when no center moved more than 1e-3 x the data's spread and reports
    ``converged=True``; labels are re-assigned to the final centers.

    The labels are nearest, but a center is not the mean of its (new) cell.  Caught by:
    fixed_point (center != mean of its cell), when the run stops on a small non-zero shift.
    """
    return _lloyd(X, k, init, seed, shift_tol=1e-3 * _scale(X))


@harness.target
def absolute_tolerance(X, k, *, init=None, seed=None):
    """Bug: stops when no center moved more than an *absolute* 1e-4 and reports convergence.

    Fine on data of spread ~1e3; on data of spread ~1 or less it stops while labels still change,
    and on data scaled down far enough it stops after the first update, still claiming convergence.
    Caught by: fixed_point on small-scale data.  Not by a metamorphic relation that restarts the
    target *at* a fixed point (the first update then moves nothing, so it stops correctly); only
    a relation between two runs from a non-fixed start (fit(cX, c init) = c fit(X, init)) sees it.
    """
    return _lloyd(X, k, init, seed, shift_tol=1e-4)


# ------------------------------------------------------------------------------------------------
# Labels and centers out of step


@harness.target
def shuffled_labels(X, k, *, init=None, seed=None):
    """Bug: an off-by-one when converting labels returns ``(label + 1) % k``; centers are in the
    original order, so each label names the wrong center (a cyclic permutation).

    Invisible for k == 1.  Caught by: fixed_point (labels not nearest), for every k >= 2.
    """
    out = _lloyd(X, k, init, seed)
    out["labels"] = (out["labels"] + 1) % k
    return out


@harness.target
def relabel_bug(X, k, *, init=None, seed=None):
    """Bug: sorts the centers by their first coordinate for a "canonical" output but does not remap
    the labels.

    Invisible whenever the centers happen to be sorted already (k == 1, or an init sorted by its
    first coordinate that Lloyd keeps in order).  Caught by: fixed_point (labels not nearest) and
    respects_init (center j no longer descends from init row j).
    """
    out = _lloyd(X, k, init, seed)
    out["centers"] = out["centers"][np.argsort(out["centers"][:, 0], kind="stable")]
    return out


@harness.target
def ties_bug(X, k, *, init=None, seed=None):
    """Bug: the iteration breaks distance ties toward the *lowest* index (argmin), but the final
    labels are recomputed with ties toward the *highest* index (argmin over reversed columns).

    Both rules are valid on their own; mixing them is not: a point exactly equidistant from two
    centers at the end is averaged into the lower-index center but labelled with the higher one,
    so the returned centers are not the means of the returned cells -- a genuine fixed-point
    violation by (distance from the point to the center) / (cell size), not a rounding-level near
    tie.  Only exact ties show it, e.g. X = [[2], [4], [5], [5]], k = 2, init = [[4], [5]]: Lloyd
    stops at centers [3], [5] with the point 4 equidistant from both; the labels [0, 1, 1, 1] put it
    with center 1, whose returned cell {4, 5, 5} has mean 14/3, not 5.  Caught by: fixed_point (a
    center is not the mean of its returned cell) on data with an exact tie at the final centers
    (small-integer data, symmetric configurations).
    """
    out = _lloyd(X, k, init, seed)
    D = _sqdist(np.asarray(X, dtype=np.float64), out["centers"])
    out["labels"] = (k - 1 - np.argmin(D[:, ::-1], axis=1)).astype(np.int64)
    return out


# ------------------------------------------------------------------------------------------------
# Empty clusters


@harness.target
def nan_on_empty(X, k, *, init=None, seed=None):
    """Bug: the update divides each cell's sum by its count without guarding empty cells, so an
    empty cluster's center becomes 0/0 = NaN (the assignment then skips NaN centers, so the run
    goes on and "converges").

    Caught by: output_contract (non-finite centers), whenever a cluster empties (e.g. an init
    with a center far from all data).
    """

    def unguarded_update(X, labels, C):
        k, d = C.shape
        counts = np.bincount(labels, minlength=k)
        sums = np.stack([np.bincount(labels, weights=X[:, j], minlength=k) for j in range(d)], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums / counts[:, None]

    def nan_skipping_assign(X, C):
        D = _sqdist(X, C)
        return np.argmin(np.where(np.isnan(D), np.inf, D), axis=1)

    return _lloyd(X, k, init, seed, assign=nan_skipping_assign, update=unguarded_update)


@harness.target
def wrong_shapes(X, k, *, init=None, seed=None):
    """Bug: drops the centers of empty clusters (and renumbers the labels to match), returning
    centers of shape (k', d) with k' < k.

    A sensible-looking answer, but not the contract.  Caught by: output_contract (centers shape
    != (k, d)), whenever a cluster is empty at the end.
    """
    out = _lloyd(X, k, init, seed)
    counts = np.bincount(out["labels"], minlength=k)
    keep = counts > 0
    out["centers"] = out["centers"][keep]
    out["labels"] = (np.cumsum(keep) - 1)[out["labels"]]
    return out


@harness.target
def empty_cluster_reinit_bug(X, k, *, init=None, seed=None):
    """Bug: when a cluster empties, its center jumps to a random data point and the loop then
    exits at once (a misplaced ``break``), reporting ``converged=True``; labels are re-assigned.

    Caught by: fixed_point (the relocated center, and the centers that lost points to it, are not
    the means of their new cells), whenever a cluster empties.
    """
    X = np.array(X, dtype=np.float64, copy=True)
    rng = np.random.default_rng(seed)
    C = _start(X, k, init, seed)
    labels = _assign(X, C)
    for it in range(1, MAX_ITER + 1):
        C = _update(X, labels, C)
        empty = np.flatnonzero(np.bincount(labels, minlength=k) == 0)
        if empty.size:
            C[empty] = X[rng.integers(X.shape[0], size=empty.size)]
            return _out(C, _assign(X, C), True, it)
        new = _assign(X, C)
        if np.array_equal(new, labels):
            return _out(C, new, True, it)
        labels = new
    return _out(C, labels, False, MAX_ITER)


@harness.target
def frozen_center(X, k, *, init=None, seed=None):
    """Bug: the update loop starts at index 1 (``for j in range(1, k)``), so center 0 never moves
    from its start.

    Caught by: fixed_point (center 0 is not the mean of its cell), unless the start of center 0 is
    already that mean; k == 1 never moves at all.
    """

    def skip_first(X, labels, C):
        new = _update(X, labels, C)
        new[0] = C[0]
        return new

    return _lloyd(X, k, init, seed, update=skip_first)


# ------------------------------------------------------------------------------------------------
# Contract: inputs, init, seed


@harness.target
def input_mutation(X, k, *, init=None, seed=None):
    """Bug: centers the caller's array in place (``X -= X.mean(0)``) to improve conditioning and
    never restores it; the answer itself is shifted back and is correct.

    Caught by: output_contract (the caller's X changed), for any float X whose mean is not 0.
    """
    X = np.asarray(X)
    if np.issubdtype(X.dtype, np.floating):
        mean = X.mean(axis=0)
        X -= mean  # in place: the caller's array
    else:
        mean = np.zeros(X.shape[1])
    start = None if init is None else np.asarray(init, dtype=np.float64) - mean
    out = _lloyd(X, k, start, seed)
    out["centers"] = out["centers"] + mean
    return out


@harness.target
def ignores_init(X, k, *, init=None, seed=None):
    """Bug: always seeds with its own k-means++ (from ``seed``), even when ``init`` is given, while
    declaring ``honours_init=True``.

    A valid fixed point, just not the one reached from ``init``.  Caught by: respects_init (e.g.
    an ``init`` that is already a fixed point must come back unchanged), sometimes
    objective_not_worse_than_init.
    """
    return _lloyd(X, k, None, seed)


@harness.target
def ignores_seed(X, k, *, init=None, seed=None):
    """Bug: without ``init``, seeds from numpy's *global* random state (``np.random.choice``) and
    never uses ``seed``, while declaring ``deterministic=True``.

    Caught by: deterministic (two calls with the same seed and ``init=None`` differ), when the
    data has more than one fixed point reachable from random starts.
    """
    if init is None:
        X64 = np.asarray(X, dtype=np.float64)
        init = X64[np.random.choice(X64.shape[0], size=k, replace=False)]
    return _lloyd(X, k, init, seed)


# ------------------------------------------------------------------------------------------------
# Precision (all declare float64)


@harness.target
def float32_accumulation_bug(X, k, *, init=None, seed=None):
    """Bug: the cell sums are accumulated in a float32 buffer (``np.add.at`` into
    ``np.zeros((k, d), np.float32)``) while the target declares float64.

    Errors of ~1e-7 relative even near the origin, growing with the cell size and with the
    distance from the origin (n >= 1e4, or data offset by 1e3).  Caught by: fixed_point (centers
    are not the cell means to float64 precision).
    """

    def float32_update(X, labels, C):
        k, d = C.shape
        sums = np.zeros((k, d), dtype=np.float32)
        np.add.at(sums, labels, X)
        counts = np.bincount(labels, minlength=k)
        new = C.copy()
        new[counts > 0] = sums[counts > 0] / counts[counts > 0, None]
        return new

    return _lloyd(X, k, init, seed, update=float32_update)


@harness.target
def far_from_origin_bug(X, k, *, init=None, seed=None):
    """Bug: distances by the expansion ``‖x‖² − 2x·c + ‖c‖²`` in float32 *without* centering the data
    first, while the target declares float64 (the update is correct, in float64).  Like faiss, it
    stops when no label changes or when its objective (the sum of those float32 distances) stops
    decreasing, and reports convergence.

    Near the origin the cancellation error (~eps32 ‖x‖²) only flips near ties; far from it (offset
    >= 1e4 with unit clusters, or >= 1e5 with well-separated ones) it swamps the distances, labels
    flicker, and the objective rule stops it with labels that are not nearest.  Caught by:
    fixed_point (labels not nearest, centers not cell means) on data far from the origin;
    metamorphic translation.
    """
    X = np.array(X, dtype=np.float64, copy=True)
    X32 = X.astype(np.float32)
    x2 = (X32 * X32).sum(axis=1)

    def assign32(C):
        C32 = C.astype(np.float32)
        D = x2[:, None] - np.float32(2) * (X32 @ C32.T) + (C32 * C32).sum(axis=1)[None, :]
        labels = np.argmin(D, axis=1)
        return labels, D[np.arange(len(labels)), labels].sum(dtype=np.float32)

    C = _start(X, k, init, seed)
    labels, objective = assign32(C)
    for it in range(1, MAX_ITER + 1):
        C = _update(X, labels, C)
        new, new_objective = assign32(C)
        if np.array_equal(new, labels) or new_objective >= objective:
            return _out(C, new, True, it)
        labels, objective = new, new_objective
    return _out(C, labels, False, MAX_ITER)


# ------------------------------------------------------------------------------------------------
# Bugs that need a particular size or shape


@harness.target
def scale_bug(X, k, *, init=None, seed=None):
    """Bug: the update reads the points through a fixed 10000-row buffer, so only the first 10000
    points contribute to the centers (labels are still computed for all points).

    Correct for n <= 10000.  Caught by: fixed_point (centers not the means of their cells) when
    n > 10000.
    """

    def buffered_update(X, labels, C):
        m = min(X.shape[0], 10_000)
        return _update(X[:m], labels[:m], C)

    return _lloyd(X, k, init, seed, update=buffered_update)


@harness.target
def n_close_to_k_bug(X, k, *, init=None, seed=None):
    """Bug: when n < 2k a "leave one out" branch meant for validation drops the last point from the
    update (``X[:-1]``); the last point is still labelled.

    Correct for n >= 2k.  Caught by: fixed_point (the last point's cell mean excludes it) when
    n < 2k, unless the last point is alone in its cell and its center already sits on it.
    """

    def drop_last(X, labels, C):
        if X.shape[0] < 2 * C.shape[0]:
            return _update(X[:-1], labels[:-1], C)
        return _update(X, labels, C)

    return _lloyd(X, k, init, seed, update=drop_last)


@harness.target
def degenerate_k1_bug(X, k, *, init=None, seed=None):
    """Bug: a "k == 1 is trivial" shortcut labels every point 0 and returns the *starting* center
    (``init``, or the seeded first point) instead of the data mean, with converged=True.

    Correct for k >= 2.  Caught by: fixed_point (the one center is not the data mean) when k == 1;
    objective_not_worse_than_init only if init was the mean.
    """
    if k == 1:
        X64 = np.asarray(X, dtype=np.float64)
        C = _start(X64, 1, init, seed)
        return _out(C, np.zeros(X64.shape[0], dtype=np.int64), True, 0)
    return _lloyd(X, k, init, seed)


@harness.target
def degenerate_d1_bug(X, k, *, init=None, seed=None):
    """Bug: a 1-D fast path flattens the data and returns centers of shape (k,) instead of (k, 1).

    Correct for d >= 2.  Caught by: output_contract (centers shape), when d == 1.
    """
    out = _lloyd(X, k, init, seed)
    if np.asarray(X).shape[1] == 1:
        out["centers"] = out["centers"].ravel()
    return out


@harness.target
def duplicate_points_bug(X, k, *, init=None, seed=None):
    """Bug: removes duplicate rows (``np.unique(X, axis=0)``) before clustering "for speed", so each
    distinct point counts once however often it occurs; labels are mapped back to every row.

    Correct on data without repeated rows, and on data whose rows all repeat equally often (so
    duplicating every row, the usual metamorphic relation, cannot see it).  Caught by: fixed_point
    (a center is not the mean of its cell counted with multiplicity) on data whose rows repeat
    *unequally* often.
    """
    X64 = np.asarray(X, dtype=np.float64)
    unique, inverse = np.unique(X64, axis=0, return_inverse=True)
    start = _start(X64, k, init, seed)  # seeded on the full data, so k may exceed the distinct rows
    out = _lloyd(unique, k, start, seed)
    out["labels"] = out["labels"][np.ravel(inverse)]
    return out


@harness.target
def label_roundtrip_bug(X, k, *, init=None, seed=None):
    """Bug: labels pass through a float "fraction of k" (``label * (1/k)``, stored for a plot) and
    back with ``astype(int)``: truncation turns label 5 into 4 at k = 7 (and 7 into 6 at k = 9).

    Correct for k <= 6 and most larger k.  Caught by: fixed_point (a label is not a nearest
    center) at k = 7 with at least six non-empty cells (the k = 7 corner case).
    """
    out = _lloyd(X, k, init, seed)
    out["labels"] = ((out["labels"] * (1.0 / k)) * k).astype(np.int64)
    return out


@harness.target
def high_dim_bug(X, k, *, init=None, seed=None):
    """Bug: a "high-dimensional" distance path (d > 10) has an off-by-one and drops the last
    coordinate.

    Correct for d <= 10.  Caught by: fixed_point (a label is not a nearest center) when d > 10 and
    a Voronoi boundary crosses the data (more centers than clusters: the d = 33 corner case);
    between well-separated clusters one coordinate of 33 rarely changes the nearest center.
    """

    def assign(X, C):
        if X.shape[1] > 10:
            return _assign(X[:, :-1], C[:, :-1])
        return _assign(X, C)

    return _lloyd(X, k, init, seed, assign=assign)


@harness.target
def init_mutation(X, k, *, init=None, seed=None):
    """Bug: writes the final centers into the caller's ``init`` array ("to save a copy"); the
    answer itself is correct.

    Caught by: output_contract (input modified, naming ``init``) whenever ``init`` is given.
    """
    out = _lloyd(X, k, init, seed)
    if init is not None:
        init[...] = out["centers"]
    return out


BROKEN = [
    wrong_update,
    wrong_update_shrink,
    wrong_distance,
    early_stop,
    early_stop_honest,
    stale_labels,
    loose_tolerance,
    absolute_tolerance,
    shuffled_labels,
    relabel_bug,
    ties_bug,
    nan_on_empty,
    wrong_shapes,
    empty_cluster_reinit_bug,
    frozen_center,
    input_mutation,
    ignores_init,
    ignores_seed,
    float32_accumulation_bug,
    far_from_origin_bug,
    scale_bug,
    n_close_to_k_bug,
    degenerate_k1_bug,
    degenerate_d1_bug,
    duplicate_points_bug,
    label_roundtrip_bug,
    high_dim_bug,
    init_mutation,
]


# ------------------------------------------------------------------------------------------------
# Blind spots of issue 19: memory layout, per-process randomness, the degenerate shortcut, the
# float32 expansion far from the origin


@harness.target
def layout_bug(X, k, *, init=None, seed=None):
    """Bug: reads X's buffer as if it were C-ordered (as a C extension that takes ``X.data`` without
    checking the strides): a Fortran-ordered X arrives with its coordinates scrambled.

    Right for every C-ordered, strided or read-only X (the harness used to hand over only C-ordered
    copies).  Caught by: layout_invariance (the Fortran-ordered answer differs).
    """
    X = np.asarray(X)
    raw = np.frombuffer(X.tobytes(order="A"), dtype=X.dtype).reshape(X.shape)
    return _lloyd(raw, k, init, seed)


@harness.target
def hash_seeded(X, k, *, init=None, seed=None):
    """Bug: the k-means++ seed comes from ``hash()`` of a string, which Python salts per process
    (``PYTHONHASHSEED``): the same seed gives the same answer within a process, another one in the next.

    Caught by: deterministic (two fresh interpreters with different PYTHONHASHSEED), on a case
    whose seeding from two different streams ends at different fixed points.
    """
    if init is None:
        rng = np.random.default_rng(hash(f"kmeans-seed-{seed}") & 0xFFFFFFFF)
        init = _kmeans_plusplus(np.asarray(X, dtype=np.float64), k, rng)
    return _lloyd(X, k, init, seed)


@harness.target
def degenerate_shortcut(X, k, *, init=None, seed=None):
    """Bug: when X has fewer distinct rows than k it returns the first k rows as centers (as if
    the distinct rows came first), each point labelled with its nearest.

    Right when the distinct rows come first (the only order the harness used to make); with the
    distinct rows scattered, a center's cell holds rows the first k missed.  Caught by: fixed_point
    (a center is not the mean of its cell), on a case with ``duplicates_order="scattered"``.
    """
    X = np.asarray(X, dtype=np.float64)
    if len(np.unique(X, axis=0)) < k:
        C = X[:k].copy()
        return _out(C, _assign(X, C), True, 1)
    return _lloyd(X, k, init, seed)


@harness.target(precision="float32")
def float32_expansion_far(X, k, *, init=None, seed=None):
    """Bug: a float32 target (declared so) that computes distances by the expansion
    ``‖x‖² − 2x·c + ‖c‖²`` on *uncentered* float32 data; the update is correct.  Like faiss it stops
    when no label changes or its float32 objective stops decreasing, and reports convergence.

    The float32 label margins of fixed_point grow with ‖x‖², so its labels pass fixed_point even at
    10^6 (its objective-stall stop can still leave a center off its cell mean there).
    Caught by: far_from_origin (labels wrong beyond the margin that rounding the data at the offset
    allows; the message names the fix: center the data first).
    """
    X = np.array(X, dtype=np.float64, copy=True)
    X32 = X.astype(np.float32)
    x2 = (X32 * X32).sum(axis=1)

    def assign32(C):
        C32 = C.astype(np.float32)
        D = x2[:, None] - np.float32(2) * (X32 @ C32.T) + (C32 * C32).sum(axis=1)[None, :]
        labels = np.argmin(D, axis=1)
        return labels, D[np.arange(len(labels)), labels].sum(dtype=np.float32)

    C = _start(X, k, init, seed)
    labels, objective = assign32(C)
    for it in range(1, MAX_ITER + 1):
        C = _update(X, labels, C)
        new, new_objective = assign32(C)
        if np.array_equal(new, labels) or new_objective >= objective:
            return _out(C.astype(np.float32), new, True, it)
        labels, objective = new, new_objective
    return _out(C.astype(np.float32), labels, False, MAX_ITER)


# ------------------------------------------------------------------------------------------------
# Declared limitations that overreach (issue 18): a limitation excuses only the cases where it is
# triggered, so each of these still fails where it acts without cause.


def _drop_or_raise(X, k, init, seed, *, empty_below):
    """Lloyd that treats a cell of fewer than ``empty_below`` points as empty and drops it (keeping
    at least one center)."""
    X = np.array(X, dtype=np.float64, copy=True)
    C = _start(X, k, init, seed)
    labels = _assign(X, C)
    for it in range(1, MAX_ITER + 1):
        counts = np.bincount(labels, minlength=len(C))
        small = counts < empty_below
        if small.any() and len(C) > 1:
            keep = ~small if (~small).any() else np.arange(len(C)) == 0
            C = C[keep]
            labels = _assign(X, C)
            continue
        C = _update(X, labels, C)
        new = _assign(X, C)
        if np.array_equal(new, labels):
            return _out(C, new, True, it)
        labels = new
    return _out(C, labels, False, MAX_ITER)


@harness.target(empty_clusters="raise")
def raises_when_not_empty(X, k, *, init=None, seed=None):
    """Bug: declared ``empty_clusters="raise"``, it also raises when a cluster is down to one point
    (an off-by-one in its emptiness test), where no cell is empty.

    Caught by: output_contract (status error: the declaration excuses a raise only where our
    reference Lloyd from the same init empties a cell), e.g. on the n = k corner case.
    """
    X = np.asarray(X, dtype=np.float64)
    C = _start(X, k, init, seed)
    labels = _assign(X, C)
    for it in range(1, MAX_ITER + 1):
        counts = np.bincount(labels, minlength=k)
        if counts.min() <= 1:
            raise ValueError(f"empty cluster {int(np.argmin(counts))} at iteration {it}")
        C = _update(X, labels, C)
        new = _assign(X, C)
        if np.array_equal(new, labels):
            return _out(C, new, True, it)
        labels = new
    return _out(C, labels, False, MAX_ITER)


@harness.target(empty_clusters="drop")
def drops_nonempty_cluster(X, k, *, init=None, seed=None):
    """Bug: declared ``empty_clusters="drop"``, it drops every cluster of fewer than two points (the
    same off-by-one), so a cluster that was not empty disappears.

    Caught by: output_contract (fewer than k centers where no cell need empty), e.g. on the n = k
    corner case.
    """
    return _drop_or_raise(X, k, init, seed, empty_below=2)


DECLARED_LIMITATIONS_BROKEN = [raises_when_not_empty, drops_nonempty_cluster]
