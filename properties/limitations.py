"""Declared limitations on empty clusters (``empty_clusters="drop"`` or ``"raise"``): when a cell
must empty, so that dropping or raising is excused, and what is still judged of a dropped answer.

A limitation excuses a case only where it is triggered: our reference Lloyd, run from the same
init, empties a cell (or there are fewer distinct points than k, so every answer has an empty
cell).  Nothing here calls the target.
"""

from __future__ import annotations

import numpy as np

from harness.errors import PropertyFailure
from harness.numerics.reference import sqdist_ref
from properties.checks import fixed_point_violation

__all__ = ["EMPTIES_MAX_ITER", "empty_cell_reason", "judge_dropped"]

#: Updates of the reference Lloyd before it is taken not to empty a cell: the iteration cap of the
#: built-in peers (harness.targets.peers.PEER_MAX_ITER); the suite's cases converge in tens.
EMPTIES_MAX_ITER = 1000

#: Rows per block of the reference's distances (bounds its memory to ~16 MB at k = 40, d = 33).
_BLOCK_ROWS = 2048


def _assign(X, C):
    labels = np.empty(len(X), dtype=np.int64)
    for s in range(0, len(X), _BLOCK_ROWS):
        labels[s : s + _BLOCK_ROWS] = np.argmin(sqdist_ref(X[s : s + _BLOCK_ROWS], C), axis=1)
    return labels


def empty_cell_reason(X, k: int, init) -> str | None:
    """Why a cell must empty on this call, or None if it need not.

    ``X`` (n, d), ``k`` centers, ``init`` (k, d) or None.  With fewer distinct rows than k every
    answer has an empty cell (pigeonhole).  Otherwise, given ``init``: whether plain Lloyd in
    float64 (nearest center, first index on ties; cell means; an empty cell keeps its center)
    started there leaves a cell without points after some assignment, the initial one included.
    Without ``init`` the target seeds itself, so only the pigeonhole case is excused.
    """
    X = np.asarray(X, dtype=np.float64)
    distinct = len(np.unique(X, axis=0))
    if distinct < k:
        return f"there are fewer distinct points ({distinct}) than k = {k}, so every answer has an empty cell"
    if init is None:
        return None
    C = np.array(init, dtype=np.float64, copy=True)
    labels = _assign(X, C)
    for iteration in range(EMPTIES_MAX_ITER + 1):
        counts = np.bincount(labels, minlength=k)
        if counts.min() == 0:
            j = int(np.argmin(counts))
            when = "at the first assignment" if iteration == 0 else f"after {iteration} updates"
            return f"our reference Lloyd from the same init empties cell {j} {when}"
        for j in range(k):
            C[j] = X[labels == j].mean(axis=0)
        new = _assign(X, C)
        if np.array_equal(new, labels):
            return None
        labels = new
    return None


def judge_dropped(X, k: int, fit, target) -> int:
    """What is still judged of an answer that dropped empty clusters (declared ``"drop"``, on a
    case where a cell must empty): m < k finite centers (m, d), labels (n,) integers indexing the
    kept centers, the caller's arrays unchanged, and, for a fixed-point or global-optimum claim that
    reports no early stop, Lemma 2 on the kept centers (each label a nearest kept center, each kept
    center the mean of its cell).  Returns m; raises :class:`PropertyFailure`."""
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    if not fit.input_unchanged:
        names = " and ".join(fit.modified_inputs) or "X or init"
        raise PropertyFailure(
            f"the target modified its input {names} in place (the caller's arrays must be left unchanged)"
        )
    centers = np.asarray(fit.raw_centers)
    if centers.dtype == object or not np.issubdtype(centers.dtype, np.number):
        raise PropertyFailure(f"centers must be numeric; got dtype {centers.dtype}")
    m = centers.shape[0] if centers.ndim == 2 else -1
    if centers.ndim != 2 or centers.shape[1] != d or not 1 <= m < k:
        raise PropertyFailure(
            f"after dropping empty clusters the centers must have shape (m, {d}) with 1 <= m < k = {k}; "
            f"got {centers.shape}"
        )
    centers = centers.astype(np.float64)
    if not np.all(np.isfinite(centers)):
        raise PropertyFailure("centers must be finite; the kept centers hold NaN or infinity")
    labels = np.asarray(fit.raw_labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise PropertyFailure(f"labels must be (n,) = ({n},) integers; got shape {labels.shape}, dtype {labels.dtype}")
    if n and (labels.min() < 0 or labels.max() >= m):
        raise PropertyFailure(
            f"after dropping to {m} centers the labels must index the kept ones, [0, {m}); got values from "
            f"{labels.min()} to {labels.max()}"
        )
    if target.claims != "approximate" and fit.converged is not False:
        bad = fixed_point_violation(X, centers, labels.astype(np.int64), target.precision)
        if bad is not None:
            message, details = bad
            raise PropertyFailure(f"after dropping {k - m} empty clusters: {message}", **details)
    return m
