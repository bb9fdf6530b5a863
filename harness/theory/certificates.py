"""Local-minimum certificates for the population objective G of eq. (3): directional and Hessian
tests (:func:`is_local_minimum`), and exact or RQMC verdicts for Stochastic Ball Model configurations
whose cells hold whole balls, share balls, or meet parts of balls.  Computes G through
:mod:`harness.theory.population` and :mod:`harness.theory.within_ball`; integrates nothing itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.errors import InvalidArgument
from harness.theory import population, within_ball
from harness.theory.qmc import component_scale

__all__ = [
    "LocalMinimum",
    "is_local_minimum",
    "whole_ball_certificate",
    "BallDecomposition",
    "ball_decomposition_certificate",
    "facet_certificate",
]


@dataclass(frozen=True, eq=False)
class LocalMinimum:
    """The verdict of :func:`is_local_minimum` with its evidence.

    ``kind``: ``strict`` (positive curvature in every direction), ``non-strict`` (no descent but
    some flat directions: a symmetry, or a center with an empty cell away from the data),
    ``saddle`` (a stationary point with a descent direction: ``direction`` and ``decrease`` = G(β) −
    G(β + step·direction) > 0), ``not-stationary`` (Lemma 2's condition fails: the negative gradient
    descends), or ``inconclusive`` (the evidence is within the estimate's noise).  Truthy for the
    first two.
    """

    kind: str
    gradient_norm: float
    gradient_tolerance: float
    eigenvalues: np.ndarray | None = None
    direction: np.ndarray | None = None
    step: float | None = None
    decrease: float | None = None
    decrease_stderr: float = 0.0
    reason: str = ""

    def __bool__(self) -> bool:
        return self.kind in ("strict", "non-strict")


def whole_ball_certificate(mixture, centers, *, distance_tol=0.5):
    """An exact verdict for a Stochastic Ball Model configuration in which no ball is cut by a
    Voronoi boundary (any dimension, no integration).

    If every ball lies strictly inside one Voronoi cell of β, a small enough perturbation keeps it
    there, so near β, G(β') = (1/k) Σ_j Σ_{s ∈ S_j} (‖β'_j − β*_s‖² + r²d/(d+2)) with S_j the balls
    of cell j (a ball's mean is its center).  That is a convex quadratic: its minimiser β° puts
    each center with S_j ≠ ∅ at the mean of its balls' centers (Lemma 2's fixed point) and leaves
    the others where they are, and G does not depend on a center whose cell holds no ball.  So if
    β° also leaves every ball strictly inside its cell, β° is a local minimum of G -- strict if
    every cell holds a ball, non-strict (flat along the empty cells' centers) otherwise.

    Returns ``None`` when the certificate does not apply (a ball is cut at β or at β°, the cells
    own different balls at β and β°, or β is farther than ``distance_tol``·radius from β°);
    otherwise ``(kind, β°, cell masses, margin)`` with ``margin`` the smallest distance from a
    ball to a Voronoi boundary at β°.  Used for population Lloyd limits, whose cell integrals carry
    QMC error: when β and β° own the same whole balls, the *exact* Lloyd map sends β to β° in one
    step and β° is its fixed point, so β° is the limit β approximates, certified exactly (in d = 10
    the QMC mean of a ball is off by about 1 % of the radius, hence the generous default).
    """
    if not hasattr(mixture, "radius"):
        return None
    T = np.asarray(mixture.centers, dtype=np.float64)
    r = float(mixture.radius)
    c = np.asarray(centers, dtype=np.float64)

    def cells(beta):
        owner = np.argmin(((T[:, None, :] - beta[None, :, :]) ** 2).sum(axis=2), axis=1)
        margin = np.inf
        for s, j in enumerate(owner):
            for i in range(len(beta)):
                if i == j:
                    continue
                u = beta[i] - beta[j]
                nu = np.linalg.norm(u)
                if nu == 0.0:
                    return owner, -np.inf  # two coincident centers share the ball's cell boundary
                # signed distance from ball s to the bisector of (β_j, β_i), positive on j's side
                dist = -float(u @ (T[s] - 0.5 * (beta[i] + beta[j]))) / nu - r
                margin = min(margin, dist)
        return owner, margin

    owner, margin = cells(c)
    if not margin > 0:
        return None
    fixed = c.copy()
    masses = np.zeros(len(c))
    for j in range(len(c)):
        members = owner == j
        masses[j] = members.sum() / len(T)
        if members.any():
            fixed[j] = T[members].mean(axis=0)
    owner_fixed, margin_fixed = cells(fixed)
    if not margin_fixed > 0 or not np.array_equal(owner_fixed, owner):
        return None
    if np.linalg.norm(fixed - c) > distance_tol * r:
        return None
    kind = "strict" if (masses > 0).all() else "non-strict"
    return kind, fixed, masses, float(margin_fixed)


def _delta_G(mixture, c, v, t, qmc, at_c=None):
    """G(β + t v) − G(β) with its standard error (paired over the same QMC replicates).

    ``at_c`` is ``cell_integrals(mixture, c, **qmc)`` if the caller has it: β's integrals are then
    not recomputed, and for β + t v only the squared-distance integrals are (the same numbers).
    """
    a = population.cell_integrals(mixture, c, **qmc) if at_c is None else at_c
    k = mixture.k
    if a.exact:
        b = population.cell_integrals(mixture, c + t * v, **qmc)
        return float((b.second.sum() - a.second.sum()) / k), 0.0
    b_second = population.replicate_second(mixture, c + t * v, **qmc)
    diffs = (b_second.sum(axis=(1, 2)) - a.replicate_second.sum(axis=(1, 2))) / k
    return float(diffs.mean()), float(diffs.std(ddof=1) / math.sqrt(len(diffs)))


def _directions(c, ci, rng, n_random):
    """Perturbation directions (unit Frobenius norm): each center alone along each axis, pairs
    moving together and apart (eq. (13)'s family), then random ones."""
    m, d = c.shape
    out = []
    for i in range(m):
        for t in range(d):
            v = np.zeros((m, d))
            v[i, t] = 1.0
            out.append(v)
    for i in range(m):
        for j in range(i + 1, m):
            u = c[j] - c[i]
            nu = np.linalg.norm(u)
            axes = [u / nu] if nu > 0 else []
            axes += list(np.eye(d))
            for ax in axes[: d + 1]:
                for sign in (1.0, -1.0):
                    v = np.zeros((m, d))
                    v[i], v[j] = ax, sign * ax
                    out.append(v / np.linalg.norm(v))
    for _ in range(n_random):
        v = rng.standard_normal((m, d))
        out.append(v / np.linalg.norm(v))
    return out


def is_local_minimum(
    mixture,
    centers,
    *,
    gradient_tolerance=None,
    n_directions=64,
    steps=(1e-2, 1e-3, 1e-4),
    z=4.0,
    seed=0,
    **qmc,
) -> LocalMinimum:
    """Classify ``centers`` as a local minimum of G (eq. (3)) or not, with the evidence.

    1. Duplicated centers whose common cell has positive mass: Lemma 2 says not a minimum; moving
       the pair apart along the direction of largest spread of the cell lowers G (``saddle``).
    2. Lemma 2's first-order condition ‖∇G‖ ≤ ``gradient_tolerance`` (default 1e-9·scale exactly in
       1-D, z standard errors of the QMC gradient in d >= 2); else ``not-stationary``.
    3. Second order.  In 1-D where G is smooth (no Voronoi boundary on a ball edge), the exact Hessian
       (:func:`harness.theory.population.hessian_1d`): all eigenvalues > 0 is ``strict``, a negative
       one is a ``saddle`` along its eigenvector.  Elsewhere, and for zero eigenvalues, directional
       tests: G(β + t v) − G(β) over many unit directions v and steps t·scale, both signs; a decrease
       beyond z standard errors (and beyond rounding, 1e-13·``|G|``) is a descent direction.  No descent with every
       directional curvature 2ΔG/t² clearly positive is ``strict``; no descent with some flat direction
       is ``non-strict``; estimates within noise give ``inconclusive``.
    """
    c = population.check_centers(mixture, centers)
    m, d = c.shape
    scale = component_scale(mixture)
    rng = np.random.default_rng(seed)
    ci = population.cell_integrals(mixture, c, **qmc)
    G0 = float(ci.second.sum() / mixture.k)
    round_tol = 1e-13 * max(G0, scale * scale)
    P = ci.cell_masses

    # 1. duplicates with mass
    for i in range(m):
        for j in range(i + 1, m):
            if np.array_equal(c[i], c[j]) and P[i] + P[j] > 0:
                cell_mean = ci.cell_first[i] / P[i]
                u = cell_mean - c[i]
                if np.linalg.norm(u) == 0:
                    u = np.eye(d)[0]
                    # largest spread direction: try each axis and keep the best
                best = None
                for ax in [u / np.linalg.norm(u)] + list(np.eye(d)):
                    v = np.zeros((m, d))
                    v[i], v[j] = -ax, ax
                    v /= np.linalg.norm(v)
                    for t in (0.3, 0.1, 0.03):
                        dg, se = _delta_G(mixture, c, v, t * scale, qmc, ci)
                        if best is None or dg < best[0]:
                            best = (dg, se, v, t * scale)
                dg, se, v, t = best
                kind = "saddle" if dg < -max(z * se, round_tol) else "inconclusive"
                return LocalMinimum(
                    kind,
                    math.nan,
                    math.nan,
                    None,
                    v,
                    t,
                    -dg,
                    se,
                    f"centers {i} and {j} coincide in a cell of mass {P[i] + P[j]:.3g}",
                )

    # 2. first order
    g = 2 * (P[:, None] * c - ci.cell_first)
    gnorm = float(np.linalg.norm(g))
    if gradient_tolerance is None:
        if ci.exact:
            gradient_tolerance = 1e-9 * scale * (1 + float(np.max(np.abs(c))) / scale)
        else:
            gse = 2 * np.sqrt(
                ci.cell_masses_stderr[:, None] ** 2 * c**2 + (ci.first_stderr**2).sum(axis=1) / mixture.k**2
            )
            gradient_tolerance = float(z * np.linalg.norm(gse)) + 1e-9 * scale
    if gnorm > gradient_tolerance:
        v = -g / gnorm
        best = None
        for t in (1e-2, 1e-3, 1e-4):
            dg, se = _delta_G(mixture, c, v, t * scale, qmc, ci)
            if best is None or dg < best[0]:
                best = (dg, se, t * scale)
        return LocalMinimum(
            "not-stationary",
            gnorm,
            float(gradient_tolerance),
            None,
            v,
            best[2],
            -best[0],
            best[1],
            "Lemma 2: a center is not the mass centre of its Voronoi cell",
        )

    # 3. second order
    eig = None
    if mixture.dim == 1:
        H, smooth = population.hessian_1d(mixture, c)
        eig, vecs = np.linalg.eigh(H)
        if smooth:
            curv_tol = 1e-9
            if eig[0] < -curv_tol:
                v = vecs[:, :1].reshape(m, 1)
                dg, _ = _delta_G(mixture, c, v, 1e-3 * scale, qmc, ci)
                return LocalMinimum(
                    "saddle",
                    gnorm,
                    float(gradient_tolerance),
                    eig,
                    v,
                    1e-3 * scale,
                    -dg,
                    0.0,
                    f"the Hessian has a negative eigenvalue {eig[0]:.6g}",
                )
            if eig[0] > curv_tol:
                return LocalMinimum(
                    "strict", gnorm, float(gradient_tolerance), eig, None, None, None, 0.0, "Hessian positive definite"
                )
    # directional tests (non-smooth points, flat directions, d >= 2)
    dirs = _directions(c, ci, rng, n_directions)
    if eig is not None:
        dirs = [vecs[:, a].reshape(m, 1) for a in range(m)] + dirs
    worst = None  # most negative decrease seen
    min_curv, flat = math.inf, False
    noisy = False
    for v in dirs:
        for sign in (1.0, -1.0):
            for t in steps:
                dg, se = _delta_G(mixture, c, sign * v, t * scale, qmc, ci)
                if dg < -max(z * se, round_tol):
                    if worst is None or dg < worst[0]:
                        worst = (dg, se, sign * v, t * scale)
                elif dg < max(z * se, round_tol):
                    if se > 0:
                        noisy = True
                    flat = True
                else:
                    min_curv = min(min_curv, 2 * dg / (t * scale) ** 2)
        if worst is not None:
            break
    if worst is not None:
        dg, se, v, t = worst
        return LocalMinimum(
            "saddle", gnorm, float(gradient_tolerance), eig, v, t, -dg, se, "a perturbation lowers G (directional test)"
        )
    if not flat:
        return LocalMinimum(
            "strict",
            gnorm,
            float(gradient_tolerance),
            eig,
            None,
            None,
            None,
            0.0,
            f"every directional test rises; smallest curvature 2ΔG/t² = {min_curv:.3g}",
        )
    if noisy:
        return LocalMinimum(
            "inconclusive",
            gnorm,
            float(gradient_tolerance),
            eig,
            None,
            None,
            None,
            0.0,
            "some directional differences are within the QMC standard error",
        )
    return LocalMinimum(
        "non-strict",
        gnorm,
        float(gradient_tolerance),
        eig,
        None,
        None,
        None,
        0.0,
        "no perturbation lowers G but some leave it unchanged (flat directions)",
    )


@dataclass(frozen=True, eq=False)
class BallDecomposition:
    """The verdict of :func:`ball_decomposition_certificate`.

    ``kind`` (strict, non-strict, saddle or inconclusive) of the decomposed fixed point
    ``centers`` (m, d); ``masses`` (m,) its cell masses P(V_i); ``margin`` the smallest distance
    by which a ball misses the cell of a center outside its group; ``groups`` the centers sharing
    each ball (one tuple per ball); ``exact`` when no within-ball subproblem needed RQMC;
    ``within`` the :class:`harness.theory.within_ball.WithinBallVerdict` of each shared ball (by ball);
    ``touching`` the (center, ball) pairs whose cell and ball touch without meeting."""

    kind: str
    centers: np.ndarray
    masses: np.ndarray
    margin: float
    groups: tuple
    exact: bool
    within: dict
    touching: tuple = ()

    def __bool__(self) -> bool:
        return self.kind in ("strict", "non-strict")


def _exclusion_margin(beta, i, ball_center, radius):
    """A lower bound (exact up to the optimiser, sound whatever it returns) on how far the ball
    B(ball_center, radius) stays from the Voronoi cell of β_i; positive means they are disjoint.

    x ∈ V_i iff ℓ_j(x) = ‖x − β_i‖² − ‖x − β_j‖² ≤ 0 for all j.  For any λ in the simplex,
    min_{x ∈ B} Σ_j λ_j ℓ_j(x) = Σ_j λ_j (‖β_i‖² − ‖β_j‖²) + 2 w·t − 2 r ‖w‖ with w = Σ_j λ_j (β_j − β_i),
    and by minimax this equals min_{x ∈ B} max_j ℓ_j for the best λ.  Returned in distance units,
    L/(2‖w‖): for λ = e_j it is the distance from the ball to the bisector of β_i and β_j.
    """
    others = [j for j in range(len(beta)) if j != i]
    if not others:
        return -math.inf
    W = beta[others] - beta[i]
    const = (beta[i] @ beta[i]) - (beta[others] ** 2).sum(axis=1)

    def bound(lam):
        w = lam @ W
        nw = float(np.linalg.norm(w))
        if nw == 0.0:
            return -math.inf
        return float((lam @ const + 2 * w @ ball_center - 2 * radius * nw) / (2 * nw))

    eye = np.eye(len(others))
    best = max(bound(e) for e in eye)
    if best > 0 or len(others) == 1:
        return best
    from scipy.optimize import minimize  # scipy.optimize is slow to import and rarely reached here

    def neg(lam):
        w = lam @ W
        return -float(lam @ const + 2 * w @ ball_center - 2 * radius * np.linalg.norm(w))

    res = minimize(
        neg,
        np.full(len(others), 1.0 / len(others)),
        method="SLSQP",
        bounds=[(0.0, 1.0)] * len(others),
        constraints=[{"type": "eq", "fun": lambda lam: lam.sum() - 1.0}],
    )
    lam = np.clip(res.x, 0.0, None)
    if lam.sum() > 0:
        best = max(best, bound(lam / lam.sum()))
    return best


def _ball_groups(T, radius, beta, slack=0.0):
    """For each ball s the centers whose Voronoi cells may meet it (every other center is proved
    disjoint from it by :func:`_exclusion_margin`, or within ``slack`` of disjoint), the smallest
    positive margin, and the (center, ball) pairs excluded only by the slack."""
    groups, margin, touching = [], math.inf, []
    for s in range(len(T)):
        members = []
        for i in range(len(beta)):
            gap = _exclusion_margin(beta, i, T[s], radius)
            if gap > 0:
                margin = min(margin, gap)
            elif gap > -slack:
                touching.append((i, s))
            else:
                members.append(i)
        groups.append(tuple(members))
    return tuple(groups), margin, touching


#: A cell closer to a ball than this (radii) counts as touching it: the rounding of a margin
#: computed from O(η²) squared norms is ~1e-15·η², far below it.
TOUCH_TOLERANCE = 1e-9


def ball_decomposition_certificate(mixture, centers, *, distance_tol=0.5, guess_slack=0.05, **within):
    """A verdict for Stochastic Ball Model configurations whose Voronoi cells respect the balls:
    every ball is either inside one cell or shared by a group of centers whose cells meet no other
    ball (the many-fit-one and one-fit-many structures of Theorem 1), with a positive margin.

    Then a small perturbation keeps every ball's group (each exclusion has a margin), so near β
    G(β') = (1/k) [Σ_{j owning whole balls S_j} Σ_{s ∈ S_j} (‖β'_j − β*_s‖² + r²d/(d+2))
    + Σ_{shared s} W_s(β'_{A(s)} − β*_s)] with W_s the within-ball objective of the group A(s)
    (:mod:`harness.theory.within_ball`), and the terms involve disjoint centers.  So β° -- whole-ball
    owners at their balls' mean (as :func:`whole_ball_certificate`), each shared group at the
    within-ball fixed point its centers approximate, centers meeting no ball left where they are
    -- is a local minimum of G iff every W_s is at a local minimum there: strict if every ball has
    one center and every center a ball, non-strict when a ball is shared in d >= 2 (its rotations)
    or a center owns nothing, saddle when some W_s has a descent direction.  Two centers in a ball
    are exact (half-ball centroids, closed-form Hessian); three or more use RQMC on that ball
    alone (``within`` goes to :func:`harness.theory.within_ball.classify`) and may be inconclusive.

    In d >= 2 a whole ball may also touch (within :data:`TOUCH_TOLERANCE`) the cell of a center
    that owns other whole balls: see the comment in the code for why that stays a local minimum.

    The groups are read from β with ``guess_slack``·radius of slack (β is a QMC approximation)
    and then proved at β°.  Returns ``None`` when the structure does not hold there (a cell meets
    two balls and one of them only partly, a ball touches a cell it cannot, the groups at β° are
    not those of β, a shared center holds no mass of its ball, or β is farther than
    ``distance_tol``·radius from β°); else a :class:`BallDecomposition`.
    """
    if not hasattr(mixture, "radius"):
        return None
    c = population.check_centers(mixture, centers)
    T = np.asarray(mixture.centers, dtype=np.float64)
    r = float(mixture.radius)
    k, m = len(T), len(c)
    # the structure β suggests (a QMC limit: off by ~1 % of a radius in d = 10, hence 5 %)
    groups, _, _ = _ball_groups(T, r, c, slack=guess_slack * r)
    for s, g in enumerate(groups):
        if not g or (len(g) >= 2 and any(set(g) & set(h) for t, h in enumerate(groups) if t != s)):
            return None  # a center of a shared ball also meets another ball
    fixed = c.copy()
    masses = np.zeros(m)
    verdicts, exact = {}, True
    for g in groups:
        if len(g) == 1:
            masses[g[0]] += 1.0 / k
    for j in range(m):
        owned = [s for s, g in enumerate(groups) if g == (j,)]
        if owned:
            fixed[j] = T[owned].mean(axis=0)
    for s, g in enumerate(groups):
        if len(g) < 2:
            continue
        v = within_ball.classify(c[list(g)] - T[s], r, **within)
        if v.kind == "inconclusive" and mixture.dim == 1:
            return None
        verdicts[s] = v
        exact = exact and v.exact
        if not np.all(v.masses > 0):
            return None
        fixed[list(g)] = v.fixed_point + T[s]
        masses[list(g)] = v.masses / k
    # the certificate proper, at β°: the same groups with every exclusion proved
    slack = TOUCH_TOLERANCE * r if mixture.dim >= 2 else 0.0
    groups_fixed, margin_fixed, touching = _ball_groups(T, r, fixed, slack=slack)
    if groups_fixed != groups or not margin_fixed > 0:
        return None
    # A cell that touches a ball it does not own (a lattice coincidence: a bisector tangent to a
    # sphere) adds to G near β° at most a cap of depth δ = O(‖β' − β°‖), volume O(δ^{(d+1)/2}),
    # reassigned at a gain O(δ) per point: O(‖β' − β°‖^{(d+3)/2}) = o(‖·‖²) in d >= 2.  That is
    # dominated by the decomposed objective's rise only if both centers of the tangent bisector
    # are rigid (own whole balls and so rise quadratically): a shared ball's rotation or a center
    # that owns nothing could open the cap at no quadratic cost.
    rigid = {g[0] for g in groups if len(g) == 1}
    for i, s in touching:
        if i not in rigid or len(groups[s]) != 1:
            return None
    if float(np.max(np.linalg.norm(fixed - c, axis=1))) > distance_tol * r:
        return None
    kinds = {v.kind for v in verdicts.values()}
    if "saddle" in kinds:
        kind = "saddle"
    elif "inconclusive" in kinds:
        kind = "inconclusive"
    elif "non-strict" in kinds or not (masses > 0).all():
        kind = "non-strict"
    else:
        kind = "strict"
    return BallDecomposition(kind, fixed, masses, float(margin_fixed), groups, exact, verdicts, tuple(touching))


def _symmetry_tangents(ball_centers, centers):
    """Tangents (each (m, d)) at ``centers`` of the rotations that fix every ball center: those of
    the orthogonal complement of the balls' affine span (in d = 10 with k ≤ 8 balls, at least a
    3-dimensional complement), b ↦ b̄ + A (b − b̄) with A antisymmetric on the complement.  G is
    invariant under them, so they are flat directions wherever a center leaves the span."""
    T = np.asarray(ball_centers, dtype=np.float64)
    c = np.asarray(centers, dtype=np.float64)
    mean = T.mean(axis=0)
    d = T.shape[1]
    _, sv, Vt = np.linalg.svd(T - mean)
    rank = int((sv > 1e-9 * max(1.0, float(sv.max()) if sv.size else 1.0)).sum())
    Q = Vt[rank:].T if rank < d else np.zeros((d, 0))  # (d, d − rank) basis of the complement
    if rank < d and Vt.shape[0] < d:  # fewer balls than dimensions: complete the basis
        full = np.linalg.svd(np.eye(d) - Vt[:rank].T @ Vt[:rank])[0]
        Q = full[:, : d - rank]
    out = []
    for a in range(Q.shape[1]):
        for b in range(a + 1, Q.shape[1]):
            A = np.outer(Q[:, b], Q[:, a]) - np.outer(Q[:, a], Q[:, b])
            out.append((c - mean) @ A.T)
    return out


def facet_certificate(mixture, centers, *, points=2**12, replicates=8, z=4.0, max_iter=300, seed=0):
    """A numerical verdict for a Stochastic Ball Model configuration in d >= 2 that
    :func:`ball_decomposition_certificate` cannot take (a cell meets a whole ball and part of
    another, or parts of two): Lemma 2's fixed point refined by Lloyd on ``points``·``replicates``
    RQMC nodes per ball, then G's Hessian from its facet integrals
    (:func:`harness.theory.within_ball.facet_hessian` with every ball).

    Known flat directions are projected out: the coordinates of a center whose cell misses every
    ball (proved by :func:`_exclusion_margin`), the rotations of a ball shared only by centers
    that meet no other ball, and the rotations fixing every ball (:func:`_symmetry_tangents`).
    The smallest remaining eigenvalue against ``z`` standard errors (their Frobenius norm bounds
    the spectral error): above is ``strict`` (``non-strict`` with flat directions), below minus
    it ``saddle``, else ``inconclusive``.  Not exact: the fixed
    point carries the RQMC error of its nodes (~1e-3 radii) and the Hessian is taken there.
    Also ``inconclusive`` when a Voronoi boundary is tangent to a ball on a facet (G is not twice
    differentiable) or a center with no mass touches a ball, and ``not-stationary`` when the
    refinement moves a center by more than half a radius (β was not near a fixed point).

    Returns ``(kind, centers (m, d), masses (m,), smallest eigenvalue, error, reason)``.
    """
    c = population.check_centers(mixture, centers).copy()
    start = c.copy()
    T = np.asarray(mixture.centers, dtype=np.float64)
    r, k, (m, d) = float(mixture.radius), mixture.k, c.shape
    if d < 2:
        raise InvalidArgument(f"mixture: facet_certificate needs dimension >= 2, got {d}")
    opts = {"points": points, "replicates": replicates, "seed": seed}

    def moments(beta):
        P, M = np.zeros(m), np.zeros((m, d))
        for t in range(k):
            cells = within_ball.cell_integrals(beta - T[t], r, **opts)
            P += cells.masses.mean(axis=0) / k
            M += (cells.first.mean(axis=0) + cells.masses.mean(axis=0)[:, None] * T[t]) / k
        return P, M

    for _ in range(max_iter):
        P, M = moments(c)
        new = c.copy()
        new[P > 0] = M[P > 0] / P[P > 0, None]
        step = float(np.max(np.abs(new - c)))
        c = new
        if step <= 1e-7 * r:
            break
    P, _ = moments(c)
    nan = math.nan
    moved = float(np.max(np.linalg.norm(c - start, axis=1)))
    if moved > 0.5 * r:  # not near a fixed point: nothing to certify here
        return "not-stationary", c, P, nan, nan, f"Lloyd refinement moved a center by {moved:.3g}"
    groups, _, touching = _ball_groups(T, r, c)
    free = [i for i in range(m) if not any(i in g for g in groups)]
    if any(P[i] > 0 for i in free) or touching:
        return "inconclusive", c, P, nan, nan, "a cell touches a ball it does not meet"
    if any(P[i] == 0 for i in range(m) if i not in free):
        return "inconclusive", c, P, nan, nan, "a center with no RQMC mass meets a ball"
    # a boundary tangent to a sphere on a facet: G is not twice differentiable there
    for i in range(m):
        for j in range(i + 1, m):
            n = (c[j] - c[i]) / np.linalg.norm(c[j] - c[i])
            for t in range(k):
                h = float(n @ ((c[i] + c[j]) / 2 - T[t]))
                if abs(abs(h) - r) < 1e-3 * r:
                    x = T[t] + math.copysign(r, h) * n
                    D = ((c - x) ** 2).sum(axis=1)
                    if D[i] <= D.min() * (1 + 1e-9) + 1e-12 and D[j] <= D.min() * (1 + 1e-9) + 1e-12:
                        return "inconclusive", c, P, nan, nan, "a Voronoi boundary is tangent to a ball"
    H, se = within_ball.facet_hessian(c, r, ball_centers=T, **opts)
    flat = [v.ravel() for v in _symmetry_tangents(T, c)]
    for i in free:
        for a in range(d):
            v = np.zeros((m, d))
            v[i, a] = 1.0
            flat.append(v.ravel())
    for s, g in enumerate(groups):
        if len(g) >= 2 and not any(set(g) & set(h) for t, h in enumerate(groups) if t != s):
            rot = within_ball.rotation_tangents(c[list(g)] - T[s])
            for col in rot.T:
                v = np.zeros((m, d))
                v[list(g)] = col.reshape(len(g), d)
                flat.append(v.ravel())
    if flat:
        U, sv, _ = np.linalg.svd(np.array(flat).T, full_matrices=False)
        F = U[:, : int((sv > 1e-9 * sv.max()).sum())]
        N = np.linalg.svd(np.eye(m * d) - F @ F.T)[0][:, : m * d - F.shape[1]]
    else:
        N = np.eye(m * d)
    smallest = float(np.linalg.eigvalsh(N.T @ H @ N)[0])
    error = float(z * np.linalg.norm(se))
    if smallest > error:
        kind = "non-strict" if flat else "strict"
        reason = f"facet Hessian ≥ {smallest:.4g} > {error:.2g} across the flat directions"
    elif smallest < -error:
        kind, reason = "saddle", f"facet Hessian eigenvalue {smallest:.4g} < −{error:.2g}"
    else:
        kind, reason = "inconclusive", f"smallest facet-Hessian eigenvalue {smallest:.3g} within {error:.2g}"
    return kind, c, P, smallest, error, reason
