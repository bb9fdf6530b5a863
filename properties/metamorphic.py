"""Metamorphic relations for a Lloyd fixed point (see docs/metamorphic.md for each derivation).

Each relation maps a stable fixed point (X, C, labels) with no empty cell to (X', C', labels'),
checks with our own float64 arithmetic that the image is again a stable fixed point (else the
relation does not apply to this case), restarts the target from C' on X' and requires it to
return exactly that fixed point, within the derived tolerances.
"""

from __future__ import annotations

import numpy as np

from harness.errors import NotApplicable
from properties.checks import expect_solution, reference_fixed_point, stable_fixed_point


def _permute_points(X, C, labels, rng):
    perm = rng.permutation(len(X))
    return X[perm], C, labels[perm]


def _relabel_centers(X, C, labels, rng):
    order = rng.permutation(len(C))
    position = np.argsort(order)  # old center j is now at row position[j]
    return X, C[order], position[labels]


def _translate(X, C, labels, rng):
    span = float(np.max(np.ptp(X, axis=0))) or 1.0
    shift = rng.standard_normal(X.shape[1]) * 8 * span
    return X + shift, C + shift, labels


def _rotate(X, C, labels, rng):
    d = X.shape[1]
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    Q = q * np.sign(np.diag(r))
    center = X.mean(axis=0)  # rotate about the data's mean, so the rounding scale stays the data's
    return (X - center) @ Q.T + center, (C - center) @ Q.T + center, labels


def _scale_power_of_two(X, C, labels, rng):
    factor = 2.0 ** int(rng.choice([-7, -3, 3, 7]))  # exact in binary floating point
    return X * factor, C * factor, labels


def _duplicate_points(X, C, labels, rng):
    return np.vstack([X, X]), C, np.concatenate([labels, labels])


def _shrink_toward_centers(X, C, labels, rng):
    # x' = c + λ(x − c) stays in its convex Voronoi cell and the cell mean stays c
    lam = 0.5
    return C[labels] + lam * (X - C[labels]), C, labels


def _add_points_at_centers(X, C, labels, rng):
    chosen = rng.integers(0, len(C), size=max(1, len(C)))
    return np.vstack([X, C[chosen]]), C, np.concatenate([labels, chosen])


def _constant_column(X, C, labels, rng):
    value = float(rng.standard_normal()) * (float(np.max(np.abs(X))) or 1.0)
    return np.hstack([X, np.full((len(X), 1), value)]), np.hstack([C, np.full((len(C), 1), value)]), labels


RELATIONS = {
    "permute_points": (_permute_points, "permuting the points permutes the labels and keeps the centers"),
    "relabel_centers": (_relabel_centers, "permuting the init rows permutes the centers and relabels the points"),
    "translate": (_translate, "translating data and init translates the fixed point"),
    "rotate": (_rotate, "rotating data and init rotates the fixed point"),
    "scale_power_of_two": (_scale_power_of_two, "scaling by 2^e scales the fixed point exactly"),
    "duplicate_points": (_duplicate_points, "duplicating every point keeps the fixed point"),
    "shrink_toward_centers": (_shrink_toward_centers, "moving points half-way to their center keeps it"),
    "add_points_at_centers": (_add_points_at_centers, "adding points at centers keeps the fixed point"),
    "constant_column": (_constant_column, "appending a constant column appends it to the centers"),
}


def make_relation_check(name):
    transform, statement = RELATIONS[name]

    def check(case, fit, runner):
        target = runner.target
        if not target.honours_init or target.claims != "fixed-point":
            raise NotApplicable("the target does not honour init or does not claim a fixed point")
        if name == "constant_column" and target.max_dim is not None and case.dim + 1 > target.max_dim:
            raise NotApplicable(f"the target supports at most {target.max_dim} dimensions")
        X, C, labels = reference_fixed_point(case, target.precision)
        rng = np.random.default_rng(case.init_seed)
        X2, C2, labels2 = transform(X, C, labels, rng)
        X2 = np.ascontiguousarray(X2, dtype=np.float64)
        expected = stable_fixed_point(X2, C2, target.precision)
        if expected is None or not np.array_equal(expected, labels2):
            raise NotApplicable(f"{name}: the transformed fixed point is not stable in floating point here")
        again = runner(X2, case.k, init=C2, seed=case.seed)
        expect_solution(X2, again, case.k, C2, labels2, target.precision, f"metamorphic relation {name} ({statement})")

    check.__name__ = f"check_{name}"
    check.__doc__ = f"Metamorphic relation: {statement}."
    return check
