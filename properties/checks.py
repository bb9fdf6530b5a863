"""The property checks: each ``check_<name>(case, fit, runner)`` returns None or raises
:class:`PropertyFailure` with the numbers that broke it.

``fit`` is what the target returned for the case; ``runner(X, k, init=..., seed=...)`` calls the
target again (``runner.target`` is the :class:`harness.targets.declaration.Target`).  A check that does not
apply raises :class:`NotApplicable`.  Tolerances come from :mod:`harness.numerics.tolerances`, where each is
derived.
"""

from __future__ import annotations

import numpy as np

from harness.clustering import kmeans as api
from harness.errors import NotApplicable, PropertyFailure
from harness.numerics import kernels, tolerances
from harness.numerics.reference import kmeans_1d_optimal_ref, sqdist_ref
from strategies.inits import fixed_point_init

__all__ = [
    "NotConverged",
    "answers_differ",
    "check_output_contract",
    "check_fixed_point",
    "check_objective_not_worse_than_init",
]


class NotConverged(Exception):
    """The target itself reported that it stopped before converging (status ``not-converged``)."""


def _sqdist(X, C):
    """(n, k) squared distances in float64, chunked to bound memory."""
    n = X.shape[0]
    out = np.empty((n, C.shape[0]))
    step = max(1, 2_000_000 // max(1, C.shape[0] * X.shape[1]))
    for s in range(0, n, step):
        out[s : s + step] = sqdist_ref(X[s : s + step], C)
    return out


# ------------------------------------------------------------------------------------------------
# output contract


def contract_arrays(case_X, k, fit):
    """Validate the shape/type contract and return ``(centers (k, d) float64, labels (n,) int64)``."""
    n, d = case_X.shape
    if not fit.input_unchanged:
        names = " and ".join(fit.modified_inputs) or "X or init"
        raise PropertyFailure(
            f"the target modified its input {names} in place (the caller's arrays must be left unchanged)",
            modified=list(fit.modified_inputs),
        )
    try:
        centers = np.asarray(fit.raw_centers)
    except Exception as exc:  # noqa: BLE001 - anything unconvertible is a contract breach
        raise PropertyFailure(f"centers could not be converted to an array: {exc}") from None
    if centers.dtype == object or not np.issubdtype(centers.dtype, np.number):
        raise PropertyFailure(f"centers must be numeric; got dtype {centers.dtype}")
    if centers.shape != (k, d):
        raise PropertyFailure(f"centers must have shape (k, d) = ({k}, {d}); got {centers.shape}", shape=centers.shape)
    centers = centers.astype(np.float64)
    if not np.all(np.isfinite(centers)):
        bad = sorted({int(i) for i in np.argwhere(~np.isfinite(centers))[:, 0]})
        raise PropertyFailure(f"centers must be finite; rows {bad} hold NaN or infinity", rows=bad)
    try:
        labels = np.asarray(fit.raw_labels)
    except Exception as exc:  # noqa: BLE001
        raise PropertyFailure(f"labels could not be converted to an array: {exc}") from None
    if labels.shape != (n,):
        raise PropertyFailure(f"labels must have shape (n,) = ({n},); got {labels.shape}", shape=labels.shape)
    if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
        if (
            np.issubdtype(labels.dtype, np.floating)
            and np.all(np.isfinite(labels))
            and np.all(labels == np.round(labels))
        ):
            pass  # integral floats are accepted as labels
        else:
            raise PropertyFailure(f"labels must be integers; got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    if n and (labels.min() < 0 or labels.max() >= k):
        raise PropertyFailure(
            f"labels must lie in [0, k) = [0, {k}); got values from {labels.min()} to {labels.max()}",
            label_min=int(labels.min()),
            label_max=int(labels.max()),
        )
    return centers, labels


def check_output_contract(case, fit, runner):
    """Centers (k, d) finite, labels (n,) integers in [0, k), the caller's X unchanged."""
    contract_arrays(case.X, case.k, fit)


# ------------------------------------------------------------------------------------------------
# fixed point (Lemma 2)


def fixed_point_violation(X, centers, labels, precision, *, margins=tolerances.label_margins):
    """None if (centers, labels) is a Lloyd fixed point within the derived tolerances, else a
    ``(message, details)`` pair.  Lemma 2: each label is a nearest center and each non-empty
    center is the mean of its cell; near-ties within the margin and empty cells are allowed.
    ``margins(X, centers, precision)`` gives the label margins (far from the origin:
    :func:`~harness.numerics.tolerances.label_margins_centered`)."""
    k = centers.shape[0]
    D = _sqdist(X, centers)
    own = D[np.arange(len(labels)), labels]
    best = D.min(axis=1)
    margin = margins(X, centers, precision)
    excess = own - best - margin
    if np.any(excess > 0):
        i = int(np.argmax(excess))
        j = int(np.argmin(D[i]))
        return (
            f"point {i} is labelled {labels[i]} but center {j} is nearer: "
            f"‖x−c_{labels[i]}‖² = {own[i]:.17g} > ‖x−c_{j}‖² + margin = {best[i]:.17g} + {margin[i]:.3g} "
            f"({int(np.sum(excess > 0))} of {len(labels)} points mislabelled)",
            {
                "point": i,
                "label": int(labels[i]),
                "nearest": j,
                "lhs": float(own[i]),
                "rhs": float(best[i] + margin[i]),
            },
        )
    counts = np.bincount(labels, minlength=k)
    tol = tolerances.center_tolerances(X, labels, k, precision)
    for j in np.flatnonzero(counts):
        mean = X[labels == j].mean(axis=0)
        err = float(np.max(np.abs(centers[j] - mean)))
        if err > tol[j]:
            return (
                f"center {j} is not the mean of its cell ({counts[j]} points): "
                f"max_t |c_jt − mean_t| = {err:.6g} > tolerance {tol[j]:.3g}",
                {"center": int(j), "lhs": err, "rhs": float(tol[j]), "cell_size": int(counts[j])},
            )
    return None


def _lloyd_continues(X, centers):
    """Our Lloyd from the target's centers: (n_iter, objective before, objective after)."""
    before = kernels.objective(X, centers)
    r = api.lloyd(X, centers, max_iter=1000)
    return r.n_iter, before, r.objective


def check_fixed_point(case, fit, runner):
    """Lemma 2 on the returned solution, for targets that claim a fixed point or the optimum."""
    target = runner.target
    if target.claims == "approximate":
        raise NotApplicable("the target claims only an approximate solution")
    centers, labels = contract_arrays(case.X, case.k, fit)
    if fit.converged is False:
        raise NotConverged(f"the target reports it stopped before converging (n_iter={fit.n_iter})")
    X = np.asarray(case.X, dtype=np.float64)
    bad = fixed_point_violation(X, centers, labels, target.precision)
    if bad is not None:
        message, details = bad
        n_iter, before, after = _lloyd_continues(X, centers)
        if after < before - tolerances.objective_tolerance(X, centers, target.precision):
            message += (
                f"; the solution is not converged: Lloyd from the returned centers runs {n_iter} more "
                f"updates and lowers the objective from {before:.10g} to {after:.10g}"
                + (" although the target reported convergence" if fit.converged else "")
            )
        raise PropertyFailure(message, **details)
    if target.claims == "global-optimum":
        _check_optimal(case, X, centers, target.precision)


def _check_optimal(case, X, centers, precision):
    value = kernels.objective(X, centers)
    tol = tolerances.objective_tolerance(X, centers, precision)
    if X.shape[1] == 1 and X.shape[0] <= 2000:
        best, how = kmeans_1d_optimal_ref(X[:, 0], case.k), "the exact 1-D optimum (dynamic programming)"
    else:
        best, how = np.inf, "the best of our Lloyd restarts"
        for seed in range(5):
            best = min(best, api.kmeans(X, case.k, seed=seed).objective)
    if value > best + tol:
        raise PropertyFailure(
            f"claims the global optimum but its objective {value:.17g} exceeds {how} {best:.17g} + tolerance {tol:.3g}",
            lhs=value,
            rhs=best + tol,
        )


# ------------------------------------------------------------------------------------------------
# monotonicity, init, determinism


def check_objective_not_worse_than_init(case, fit, runner):
    """Lloyd never increases eq. (1): G_n(returned) ≤ G_n(init) + tolerance."""
    target = runner.target
    if case.init is None or not target.honours_init or target.claims == "approximate":
        raise NotApplicable("needs a given init and a target that honours it")
    centers, _ = contract_arrays(case.X, case.k, fit)
    X = np.asarray(case.X, dtype=np.float64)
    after = kernels.objective(X, centers)
    before = kernels.objective(X, np.asarray(case.init, dtype=np.float64))
    tol = tolerances.objective_tolerance(X, np.vstack([centers, case.init]), target.precision)
    if after > before + tol:
        raise PropertyFailure(
            f"objective increased from the init: G_n(returned) = {after:.17g} > G_n(init) + tolerance = "
            f"{before:.17g} + {tol:.3g}",
            lhs=after,
            rhs=before + tol,
        )


def stable_fixed_point(X, centers, precision):
    """Labels of a fixed point if it is *stable*: non-empty cells, every non-nearest center
    farther than the target's label margin (so no correct target may relabel a point), and the
    centers equal to the cell means within the float64 tolerance.  Else None."""
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(centers, dtype=np.float64)
    k = C.shape[0]
    D = _sqdist(X, C)
    labels = np.argmin(D, axis=1)
    if np.bincount(labels, minlength=k).min() == 0:
        return None
    if k > 1:
        part = np.partition(D, 1, axis=1)
        gap = part[:, 1] - part[:, 0]
        if np.any(gap <= 4 * tolerances.label_margins(X, C, precision)):
            return None
    if fixed_point_violation(X, C, labels, "float64") is not None:
        return None
    return labels


def expect_solution(X, fit, k, expected_centers, expected_labels, precision, what):
    """The target's answer must equal the expected stable fixed point: same labels, centers within
    the center tolerance of the expected ones (which are cell means within float64 rounding)."""
    centers, labels = contract_arrays(X, k, fit)
    if fit.converged is False:
        raise NotConverged(f"{what}: the target reports it stopped before converging (n_iter={fit.n_iter})")
    wrong = np.flatnonzero(labels != expected_labels)
    if len(wrong):
        i = int(wrong[0])
        raise PropertyFailure(
            f"{what}: {len(wrong)} of {len(labels)} labels differ from the expected fixed point "
            f"(point {i}: got {labels[i]}, expected {expected_labels[i]})",
            point=i,
            got=int(labels[i]),
            expected=int(expected_labels[i]),
        )
    tol = tolerances.center_tolerances(X, expected_labels, k, precision) + tolerances.center_tolerances(
        X, expected_labels, k, "float64"
    )
    err = np.max(np.abs(centers - np.asarray(expected_centers, dtype=np.float64)), axis=1)
    if np.any(err > tol):
        j = int(np.argmax(err - tol))
        raise PropertyFailure(
            f"{what}: center {j} moved from the expected fixed point by {err[j]:.6g} > tolerance {tol[j]:.3g}",
            center=j,
            lhs=float(err[j]),
            rhs=float(tol[j]),
        )


def reference_fixed_point(case, precision):
    """A stable fixed point of the case's data with no empty cell (our reference Lloyd), or raise
    NotApplicable."""
    X = np.asarray(case.X, dtype=np.float64)
    if len(np.unique(X, axis=0)) < case.k:
        raise NotApplicable("fewer distinct points than k: no fixed point without an empty cell")
    centers = fixed_point_init(X, case.k, case.init_seed)
    labels = stable_fixed_point(X, centers, precision)
    if labels is None:
        raise NotApplicable("the reference fixed point has an empty cell or a near-tie within the margin")
    return X, centers, labels


def check_respects_init(case, fit, runner):
    """Started at a stable fixed point with no empty cell, a Lloyd implementation stays there."""
    target = runner.target
    if not target.honours_init or target.claims != "fixed-point":
        raise NotApplicable("the target does not honour init or does not claim a fixed point")
    X, centers, labels = reference_fixed_point(case, target.precision)
    again = runner(X, case.k, init=centers, seed=case.seed)
    expect_solution(X, again, case.k, centers, labels, target.precision, "started at a fixed point")


def answers_differ(X, k, first, second, precision, *, independent=False):
    """None if two answers to the same call agree up to ``precision`` (centers within the center
    tolerance, labels different only where the first answer's centers leave a point within the
    label margin), else a ``(message, details)`` pair.

    ``independent``: the two answers may come from different arithmetic (e.g. BLAS kernels chosen
    by the memory layout), each within τ_j of its cell mean plus u·max|X| for the rounding of a
    centering shift (a target that centers its data returns fl(c′ + μ)), so they may differ by
    twice that; otherwise the same arithmetic ran twice and τ_j alone applies."""
    c1, l1 = contract_arrays(X, k, first)
    c2, l2 = contract_arrays(X, k, second)
    tol = tolerances.center_tolerances(X, l1, k, precision)
    if independent:
        tol = 2 * (tol + tolerances.unit_roundoff(precision) * float(np.max(np.abs(X), initial=0.0)))
    err = np.max(np.abs(c1 - c2), axis=1)
    D = _sqdist(X, c1)
    gap = D[np.arange(len(l2)), l2] - D[np.arange(len(l1)), l1]
    differ = (l1 != l2) & (np.abs(gap) > tolerances.label_margins(X, c1, precision))
    if np.any(err > tol) or np.any(differ):
        j = int(np.argmax(err - tol))
        return (
            f"the answers differ: center {j} by {err[j]:.6g} (tolerance {tol[j]:.3g}); "
            f"{int(np.sum(differ))} labels differ beyond the margin",
            {"center": j, "lhs": float(err[j]), "rhs": float(tol[j])},
        )
    return None
