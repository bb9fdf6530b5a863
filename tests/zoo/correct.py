"""Correct k-means targets, written independently of :mod:`harness` in plain numpy (and one
scikit-learn wrapper).  The harness must never report a failure for any of them.

Every target runs Lloyd's algorithm to an *exact* fixed point: it stops after the first update
that changes no label, so the returned centers are the means of the returned labels' cells and
every label is a nearest center.  ``converged`` is True only then; ``False`` when ``MAX_ITER``
updates ran first.  Given ``init`` (a ``(k, d)`` array) they start there; otherwise they seed
from ``np.random.default_rng(seed)``.  None modifies ``X`` or ``init``.

Empty-cluster policies (both leave a genuine fixed point):

* keep: an empty cluster keeps its previous center (``lloyd_numpy``, ``lloyd_expansion``,
  ``lloyd_float32``, ``lloyd_elkan_like``);
* relocate: an empty cluster's center moves to the point farthest from its nearest center and
  the iteration continues to a fixed point (``lloyd_relocate``, ``sklearn_wrapper``).  Such a
  target's answer can differ from a keep-policy Lloyd from the same init when a cluster empties.
"""

from __future__ import annotations

import numpy as np

import harness

MAX_ITER = 1000

#: Elements (rows x centers x features) per block of the distance computation.
_BLOCK_ELEMENTS = 1 << 20


# ------------------------------------------------------------------------------------------------
# Shared seeding (plain k-means++ or k distinct random rows) and exact distances


def _kmeans_plusplus(X, k, rng):
    """Plain k-means++ (one candidate per step): D² sampling in the dtype of ``X``."""
    n = X.shape[0]
    chosen = [int(rng.integers(n))]
    closest = _sqdist(X, X[chosen[0]][None])[:, 0].astype(np.float64)
    for _ in range(1, k):
        total = closest.sum()
        idx = int(rng.choice(n, p=closest / total)) if total > 0 else int(rng.integers(n))
        chosen.append(idx)
        closest = np.minimum(closest, _sqdist(X, X[idx][None])[:, 0])
    return X[chosen].copy()


def _random_rows(X, k, rng):
    return X[rng.choice(X.shape[0], size=k, replace=False)].copy()


def _start(X, k, init, seed, how=_kmeans_plusplus):
    if init is not None:
        C = np.array(init, dtype=X.dtype, copy=True)
        if C.shape != (k, X.shape[1]):
            raise ValueError(f"init: expected shape {(k, X.shape[1])}, got {C.shape}")
        return C
    return how(X, k, np.random.default_rng(seed))


def _sqdist(X, C):
    """All squared distances ``(n, k)`` from exact differences, in blocks of rows, in X's dtype."""
    n, d = X.shape
    out = np.empty((n, C.shape[0]), dtype=X.dtype)
    rows = max(1, _BLOCK_ELEMENTS // max(1, C.shape[0] * d))
    for s in range(0, n, rows):
        diff = X[s : s + rows, None, :] - C[None, :, :]
        out[s : s + rows] = np.einsum("nkd,nkd->nk", diff, diff)
    return out


def _result(C, labels, converged, n_iter):
    return {"centers": C, "labels": labels.astype(np.int64), "converged": bool(converged), "n_iter": int(n_iter)}


# ------------------------------------------------------------------------------------------------
# lloyd_numpy: float64, exact differences, cell sums by bincount of the shifts from the old center


@harness.target(claims="fixed-point", precision="float64")
def lloyd_numpy(X, k, *, init=None, seed=None):
    """Lloyd in float64; distances from exact differences (blocked); each cell mean computed as
    old center + mean shift (bincount of ``x - c``), which stays accurate far from the origin."""
    X = np.array(X, dtype=np.float64, copy=True)
    n, d = X.shape
    C = _start(X, k, init, seed)
    labels = np.argmin(_sqdist(X, C), axis=1)
    for it in range(1, MAX_ITER + 1):
        counts = np.bincount(labels, minlength=k)
        shift = X - C[labels]
        sums = np.stack([np.bincount(labels, weights=shift[:, j], minlength=k) for j in range(d)], axis=1)
        full = counts > 0
        C = C.copy()
        C[full] += sums[full] / counts[full, None]
        new = np.argmin(_sqdist(X, C), axis=1)
        if np.array_equal(new, labels):
            return _result(C, new, True, it)
        labels = new
    return _result(C, labels, False, MAX_ITER)


# ------------------------------------------------------------------------------------------------
# lloyd_expansion: float64, ||x||² - 2 x·c + ||c||² on data centered on its mean (as scikit-learn)


@harness.target(claims="fixed-point", precision="float64")
def lloyd_expansion(X, k, *, init=None, seed=None):
    """Lloyd in float64 with the BLAS expansion ``‖x‖² − 2x·c + ‖c‖²`` after centering the data on
    its mean (which keeps the cancellation small, as scikit-learn does); cell sums by a one-hot
    matrix product; the data mean is added back to the returned centers."""
    X = np.array(X, dtype=np.float64, copy=True)
    n = X.shape[0]
    mean = X.mean(axis=0)
    Xc = X - mean
    C = _start(X, k, init, seed) - mean
    x2 = np.einsum("nd,nd->n", Xc, Xc)

    def assign(C):
        D = x2[:, None] - 2.0 * (Xc @ C.T) + np.einsum("kd,kd->k", C, C)[None, :]
        return np.argmin(D, axis=1)

    labels = assign(C)
    for it in range(1, MAX_ITER + 1):
        onehot = np.zeros((n, k))
        onehot[np.arange(n), labels] = 1.0
        counts = onehot.sum(axis=0)
        sums = onehot.T @ Xc
        full = counts > 0
        C = C.copy()
        C[full] = sums[full] / counts[full, None]
        new = assign(C)
        if np.array_equal(new, labels):
            return _result(C + mean, new, True, it)
        labels = new
    return _result(C + mean, labels, False, MAX_ITER)


# ------------------------------------------------------------------------------------------------
# lloyd_float32: everything in float32


@harness.target(claims="fixed-point", precision="float32")
def lloyd_float32(X, k, *, init=None, seed=None):
    """Lloyd entirely in float32 (data, distances, sums; float32 centers returned).  A cell mean is
    old center + pairwise-summed shifts, so its error stays at a few float32 ulps of the center."""
    X = np.array(X, dtype=np.float32, copy=True)
    C = _start(X, k, init, seed)
    labels = np.argmin(_sqdist(X, C), axis=1)
    for it in range(1, MAX_ITER + 1):
        new_C = C.copy()
        for j in range(k):
            members = labels == j
            m = int(np.count_nonzero(members))
            if m:
                shifts = np.ascontiguousarray((X[members] - C[j]).T)  # (d, m): contiguous rows → pairwise sums
                new_C[j] = C[j] + shifts.sum(axis=1, dtype=np.float32) / np.float32(m)
        C = new_C
        new = np.argmin(_sqdist(X, C), axis=1)
        if np.array_equal(new, labels):
            return _result(C, new, True, it)
        labels = new
    return _result(C, labels, False, MAX_ITER)


# ------------------------------------------------------------------------------------------------
# lloyd_elkan_like: Hamerly's bounds (one upper, one lower bound per point), exact at the end


@harness.target(claims="fixed-point", precision="float64")
def lloyd_elkan_like(X, k, *, init=None, seed=None):
    """Lloyd in float64 accelerated by Hamerly's bounds (a one-lower-bound Elkan): a point is
    re-examined only when its upper bound exceeds its lower bound and half the distance from its
    center to the nearest other center.  Bounds carry rounding, so "no label changed" under the
    bounds is confirmed by a full exact assignment before convergence is reported.  Cell sums by
    sorting the points by label and ``np.add.reduceat``."""
    X = np.array(X, dtype=np.float64, copy=True)
    n = X.shape[0]
    C = _start(X, k, init, seed)
    rows = np.arange(n)

    def full_assign(C, idx=rows):
        D = np.sqrt(_sqdist(X[idx], C))
        lab = np.argmin(D, axis=1)
        up = D[np.arange(len(idx)), lab]
        if k == 1:
            return lab, up, np.full(len(idx), np.inf)
        D[np.arange(len(idx)), lab] = np.inf
        return lab, up, D.min(axis=1)

    labels, upper, lower = full_assign(C)
    for it in range(1, MAX_ITER + 1):
        order = np.argsort(labels, kind="stable")
        present, starts = np.unique(labels[order], return_index=True)
        new_C = C.copy()
        new_C[present] = np.add.reduceat(X[order], starts, axis=0) / np.diff(np.append(starts, n))[:, None]
        delta = np.sqrt(((new_C - C) ** 2).sum(axis=1))
        C = new_C
        upper = upper + delta[labels]
        if k > 1:
            far = int(np.argmax(delta))
            second = np.max(np.delete(delta, far))
            lower = lower - np.where(labels == far, second, delta[far])
            cc = np.sqrt(_sqdist(C, C))
            np.fill_diagonal(cc, np.inf)
            half = 0.5 * cc.min(axis=1)
        else:
            half = np.full(1, np.inf)
        new = labels.copy()
        check = upper > np.maximum(lower, half[labels])
        if check.any():
            idx = rows[check]
            new[idx], upper[idx], lower[idx] = full_assign(C, idx)
        if np.array_equal(new, labels):
            new, upper, lower = full_assign(C)  # confirm exactly: the bounds carry rounding
            if np.array_equal(new, labels):
                return _result(C, new, True, it)
        labels = new
    return _result(C, labels, False, MAX_ITER)


# ------------------------------------------------------------------------------------------------
# lloyd_relocate: random init, farthest-point relocation of empty clusters, per-center distances


@harness.target(claims="fixed-point", precision="float64")
def lloyd_relocate(X, k, *, init=None, seed=None):
    """Lloyd in float64 from ``init`` or ``k`` distinct random rows; distances one center at a time;
    each cell mean by ``mean`` over its points taken in reverse order.  An empty cluster's center is
    moved to the point farthest from its nearest center, then the iteration continues until no
    label changes: the answer is still an exact fixed point.  Only a point farther than roundoff
    (1e-9 max|x|) from every center is worth moving to: otherwise a cell mean of identical points,
    rounded an ulp off them, would keep the relocation (and the labels) cycling forever."""
    X = np.array(X, dtype=np.float64, copy=True)
    C = _start(X, k, init, seed, how=_random_rows)
    backwards = X[::-1]
    roundoff = (1e-9 * float(np.abs(X).max())) ** 2

    def assign(C):
        best = ((X - C[0]) ** 2).sum(axis=1)
        lab = np.zeros(X.shape[0], dtype=np.int64)
        for j in range(1, k):
            dj = ((X - C[j]) ** 2).sum(axis=1)
            closer = dj < best  # strict: ties stay with the lowest index
            best = np.where(closer, dj, best)
            lab[closer] = j
        return lab, best

    labels, _ = assign(C)
    for it in range(1, MAX_ITER + 1):
        C = C.copy()
        back_labels = labels[::-1]
        empty = []
        for j in range(k):
            members = backwards[back_labels == j]
            if len(members):
                C[j] = members.mean(axis=0)
            else:
                empty.append(j)
        if empty:
            _, best = assign(C)
            for j in empty:
                far = int(np.argmax(best))
                if best[far] <= roundoff:
                    break
                C[j] = X[far]
                best = np.minimum(best, ((X - C[j]) ** 2).sum(axis=1))
        new, _ = assign(C)
        if np.array_equal(new, labels):
            return _result(C, new, True, it)
        labels = new
    return _result(C, labels, False, MAX_ITER)


# ------------------------------------------------------------------------------------------------
# sklearn_wrapper


@harness.target(claims="fixed-point", precision="float64")
def sklearn_wrapper(X, k, *, init=None, seed=None):
    """scikit-learn ``KMeans(algorithm='lloyd', n_init=1, tol=0, max_iter=MAX_ITER)`` on float64
    data, from ``init`` or its own k-means++ with ``random_state=seed``.  With ``tol=0`` it stops
    only when no label changes ("strict convergence"); it relocates empty clusters to far points."""
    from sklearn.cluster import KMeans

    X = np.asarray(X, dtype=np.float64)
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**31))
    est = KMeans(
        n_clusters=k,
        init="k-means++" if init is None else np.array(init, dtype=np.float64, copy=True),
        n_init=1,
        tol=0.0,
        max_iter=MAX_ITER,
        algorithm="lloyd",
        random_state=seed,
        copy_x=True,
    )
    est.fit(X)
    return {
        "centers": est.cluster_centers_,
        "labels": est.labels_.astype(np.int64),
        "converged": bool(est.n_iter_ < MAX_ITER),
        "n_iter": int(est.n_iter_),
    }


CORRECT = [lloyd_numpy, lloyd_expansion, lloyd_float32, lloyd_elkan_like, lloyd_relocate, sklearn_wrapper]


# ------------------------------------------------------------------------------------------------
# Correct targets with a declared limitation (issue 18): each must pass verify *because* of its
# declaration; without it, the same code fails every check on the cases the limitation excuses.


def _lloyd_drop_or_raise(X, k, init, seed, *, on_empty):
    """Lloyd in float64 (as :func:`lloyd_numpy`, from exact differences) that, when a cell empties
    after an assignment, either raises (``on_empty="raise"``) or drops that center and goes on with
    the rest (``"drop"``): the answer then has m < k centers and labels indexing the kept ones."""
    X = np.array(X, dtype=np.float64, copy=True)
    C = _start(X, k, init, seed)
    labels = np.argmin(_sqdist(X, C), axis=1)
    for it in range(1, MAX_ITER + 1):
        counts = np.bincount(labels, minlength=len(C))
        if counts.min() == 0:
            if on_empty == "raise":
                raise ValueError(f"empty cluster {int(np.argmin(counts))} at iteration {it}")
            C = C[counts > 0]
            labels = np.argmin(_sqdist(X, C), axis=1)
            continue
        C = np.stack([X[labels == j].mean(axis=0) for j in range(len(C))])
        new = np.argmin(_sqdist(X, C), axis=1)
        if np.array_equal(new, labels) and np.bincount(new, minlength=len(C)).min() > 0:
            return _result(C, new, True, it)
        labels = new
    return _result(C, labels, False, MAX_ITER)


@harness.target(min_k=2)
def raises_at_k1(X, k, *, init=None, seed=None):
    """A correct Lloyd (:func:`lloyd_numpy`) that refuses k = 1, as some libraries do; declared
    ``min_k=2``, so the k = 1 cases are not applicable and everything else is judged."""
    if k < 2:
        raise ValueError(f"n_clusters must be at least 2, got {k}")
    return lloyd_numpy(X, k, init=init, seed=seed)


@harness.target(empty_clusters="drop")
def drops_empty(X, k, *, init=None, seed=None):
    """A correct Lloyd that drops a cluster when it empties (fewer than k centers come back, the
    labels index the kept ones); declared ``empty_clusters="drop"``."""
    return _lloyd_drop_or_raise(X, k, init, seed, on_empty="drop")


@harness.target(empty_clusters="raise")
def raises_on_empty(X, k, *, init=None, seed=None):
    """A correct Lloyd that raises when a cluster empties; declared ``empty_clusters="raise"``."""
    return _lloyd_drop_or_raise(X, k, init, seed, on_empty="raise")


DECLARED_LIMITATIONS = [raises_at_k1, drops_empty, raises_on_empty]
