"""k-means of m centers on one uniform ball B(0, r) in R^d: the within-ball objective
W(b) = ∫_B min_j ‖x − b_j‖² dx / vol(B) that a many-fit-one local minimum of G (eq. (3)) reduces to.

Closed forms for m = 2 (half-ball centroids, a Hessian whose boundary term is a flat (d−1)-disk);
randomised QMC on the ball and on the Voronoi facets for any m.  Knows nothing of mixtures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from harness.errors import InvalidArgument
from harness.theory.qmc import standard_nodes

__all__ = [
    "WithinBallVerdict",
    "half_ball_centroid",
    "two_center_fixed_point",
    "two_center_hessian",
    "two_center_eigenvalues",
    "cell_integrals",
    "lloyd",
    "facet_hessian",
    "rotation_tangents",
    "classify",
]

#: Default randomised QMC budget for one ball: Sobol nodes per scramble and scrambles.
POINTS = 2**14
REPLICATES = 8


def _check(dim, radius):
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise InvalidArgument(f"dim: expected an integer >= 1, got {dim!r}")
    if not (isinstance(radius, (int, float, np.floating, np.integer)) and math.isfinite(radius) and radius > 0):
        raise InvalidArgument(f"radius: expected a finite number > 0, got {radius!r}")
    return int(dim), float(radius)


def _beta_half(d):
    """B(1/2, (d+1)/2) = 2 ∫_0^1 (1 − t²)^{(d−1)/2} dt = |B_d| / |B_{d−1}| for unit balls."""
    return float(special.beta(0.5, (d + 1) / 2))


def half_ball_centroid(dim, radius=1.0) -> float:
    """Distance from the center of B(0, r) ⊂ R^d to the centroid of a half ball:
    a = ∫_0^r t (r² − t²)^{(d−1)/2} dt / ∫_0^r (r² − t²)^{(d−1)/2} dt = 2r / ((d + 1) B(1/2, (d+1)/2))
    (r/2 in 1-D, 4r/(3π) in 2-D)."""
    d, r = _check(dim, radius)
    return 2 * r / ((d + 1) * _beta_half(d))


def two_center_fixed_point(direction, radius=1.0) -> np.ndarray:
    """The Lloyd fixed point of two centers in B(0, r) (Lemma 2's condition on one ball): ±a·u
    with u = ``direction`` normalised and a = :func:`half_ball_centroid` (the bisector through 0
    splits the ball into two half balls whose centroids are the centers).  Shape (2, d)."""
    u = np.asarray(direction, dtype=np.float64).ravel()
    nu = float(np.linalg.norm(u))
    if u.size < 1 or not math.isfinite(nu) or nu == 0.0:
        raise InvalidArgument(f"direction: expected a finite nonzero vector, got {direction!r}")
    a = half_ball_centroid(u.size, radius)
    return np.array([a * u / nu, -a * u / nu])


def _two_center_constants(d, r):
    # on the bisector disk D = {y ⊥ u, ‖y‖ ≤ r}, with the ball's density ρ = 1/|B_d(r)|:
    # S0 = ρ |D| = 1/(B r),  S2 = ρ ∫_D y_a² dy = ρ |D| r²/(d+1) = r/((d+1) B)
    B = _beta_half(d)
    return half_ball_centroid(d, r), 1.0 / (B * r), r / ((d + 1) * B)


def two_center_hessian(direction, radius=1.0) -> np.ndarray:
    """Exact Hessian of W at :func:`two_center_fixed_point`, shape (2d, 2d) over (b_1, b_2).

    From ∂W/∂b_i = 2(P_i b_i − ∫_{V_i} x f) and Leibniz's rule on the moving bisector H:
    ∂²W/∂b_i² = 2P_i I − (2/‖b_1 − b_2‖) ∫_H (x − b_i)(x − b_i)ᵀ f dS and
    ∂²W/∂b_1∂b_2 = (2/‖b_1 − b_2‖) ∫_H (x − b_1)(x − b_2)ᵀ f dS.  With b = ±a u, H is the disk
    D ⊥ u and the integrals are a² S0 uuᵀ ± S2 (I − uuᵀ) (:func:`_two_center_constants`), so
    H_11 = H_22 = I − a S0 uuᵀ − (S2/a)(I − uuᵀ), H_12 = −a S0 uuᵀ + (S2/a)(I − uuᵀ).
    """
    u = np.asarray(direction, dtype=np.float64).ravel()
    u = two_center_fixed_point(u, radius)[0]
    u = u / np.linalg.norm(u)
    d = u.size
    a, S0, S2 = _two_center_constants(d, float(radius))
    U = np.outer(u, u)
    perp = np.eye(d) - U
    diag = np.eye(d) - a * S0 * U - (S2 / a) * perp
    off = -a * S0 * U + (S2 / a) * perp
    return np.block([[diag, off], [off, diag]])


def two_center_eigenvalues(dim, radius=1.0) -> dict:
    """The spectrum of :func:`two_center_hessian` by invariant subspace: along u, both centers
    together 1 − 2aS0 (> 0 for every d; 1/2 in 1-D) and apart 1; across u, together 1 and apart
    1 − 2S2/a = 0 (d − 1 times: the rotations of the pair about the ball's center, a = 2S2)."""
    d, r = _check(dim, radius)
    a, S0, S2 = _two_center_constants(d, r)
    return {
        "along_together": 1 - 2 * a * S0,
        "along_apart": 1.0,
        "across_together": 1.0,
        "across_apart": 1 - 2 * S2 / a,
        "across_multiplicity": d - 1,
    }


# ------------------------------------------------------------------------------------------------
# randomised QMC on one ball


def _ball_nodes(dim, points, replicates, seed):
    """(R, N, dim) nodes uniform in the unit ball (the ball mixtures' nodes in harness.theory.qmc)."""
    return standard_nodes("ball", dim, points, replicates, seed)


@dataclass(frozen=True, eq=False)
class BallCells:
    """Per-replicate masses (R, m), first moments (R, m, d) and second moments (R, m) of the
    Voronoi cells of m centers on the ball (probability-normalised)."""

    masses: np.ndarray
    first: np.ndarray
    second: np.ndarray


def cell_integrals(centers, radius=1.0, *, points=POINTS, replicates=REPLICATES, seed=0) -> BallCells:
    """Cell integrals of ``centers : (m, d)`` over the uniform ball B(0, ``radius``), one set per
    RQMC replicate (average them; their spread is the standard error)."""
    c = np.asarray(centers, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] < 1 or not np.all(np.isfinite(c)):
        raise InvalidArgument(f"centers: expected a finite (m, d) array, got shape {np.shape(centers)}")
    d, r = _check(c.shape[1], radius)
    X = _ball_nodes(d, points, replicates, seed) * r
    R, N, _ = X.shape
    m = c.shape[0]
    masses, first, second = np.zeros((R, m)), np.zeros((R, m, d)), np.zeros((R, m))
    for j in range(R):
        D = ((X[j][:, None, :] - c[None]) ** 2).sum(axis=2)
        lab = np.argmin(D, axis=1)
        masses[j] = np.bincount(lab, minlength=m) / N
        for t in range(d):
            first[j, :, t] = np.bincount(lab, weights=X[j][:, t], minlength=m) / N
        second[j] = np.bincount(lab, weights=D[np.arange(N), lab], minlength=m) / N
    return BallCells(masses, first, second)


def lloyd(centers, radius=1.0, *, points=POINTS, replicates=REPLICATES, seed=0, tol=1e-10, max_iter=2000):
    """Lloyd's map on the ball with all replicates' nodes pooled, from ``centers`` until no center
    moves more than ``tol``·radius.  Returns (centers, converged)."""
    c = np.array(centers, dtype=np.float64)
    d, r = _check(c.shape[1], radius)
    X = _ball_nodes(d, points, replicates, seed).reshape(-1, d) * r
    m = c.shape[0]
    for _ in range(max_iter):
        D = (X * X).sum(axis=1)[:, None] - 2 * X @ c.T + (c * c).sum(axis=1)[None]
        lab = np.argmin(D, axis=1)
        cnt = np.bincount(lab, minlength=m)
        if (cnt == 0).any():
            return c, False
        new = np.stack([np.bincount(lab, weights=X[:, t], minlength=m) for t in range(d)], axis=1) / cnt[:, None]
        step = float(np.max(np.abs(new - c)))
        c = new
        if step <= tol * r:
            return c, True
    return c, False


def facet_hessian(centers, radius=1.0, *, points=POINTS, replicates=REPLICATES, seed=0, ball_centers=None):
    """Hessian of W at ``centers : (m, d)`` (d >= 2, pairwise distinct, every bisector crossing
    the sphere transversally), shape (m d, m d), with its elementwise standard error.

    The formula of :func:`two_center_hessian` for every pair: 2 P_i I on the diagonal blocks and,
    for each facet F_ij = H_ij ∩ V_i ∩ B, −(2/‖b_i − b_j‖) ∫_F (x − b_i)(x − b_i)ᵀ f on block ii and
    +(2/‖b_i − b_j‖) ∫_F (x − b_i)(x − b_j)ᵀ f on block ij.  Masses by RQMC on the ball; facet
    integrals by RQMC on the (d−1)-disk H_ij ∩ B (uniform nodes, the facet is where no third
    center is nearer).  One Hessian per replicate; mean and standard error over replicates.

    With ``ball_centers : (k, d)`` the density is the equal-weight mixture of the k balls of
    ``radius`` (the Stochastic Ball Model's G of eq. (3)): every facet is cut into its disks
    H_ij ∩ B_s.
    """
    c = np.asarray(centers, dtype=np.float64)
    m, d = c.shape
    d, r = _check(d, radius)
    if d < 2:
        raise InvalidArgument(f"centers: facet_hessian needs dimension >= 2, got {d}")
    T = np.zeros((1, d)) if ball_centers is None else np.asarray(ball_centers, dtype=np.float64)
    k = len(T)
    rho = 1.0 / (k * math.pi ** (d / 2) / special.gamma(d / 2 + 1) * r**d)  # the mixture's density
    vol_disk = math.pi ** ((d - 1) / 2) / special.gamma((d - 1) / 2 + 1)
    Z = _ball_nodes(d - 1, points, replicates, seed + 1)  # (R, N, d−1) in the unit (d−1)-ball
    R = Z.shape[0]
    H = np.zeros((R, m * d, m * d))
    for t in range(k):
        cells = cell_integrals(c - T[t], r, points=points, replicates=replicates, seed=seed)
        for j in range(R):
            for i in range(m):
                H[j, i * d : (i + 1) * d, i * d : (i + 1) * d] += 2 * cells.masses[j, i] / k * np.eye(d)
    for i in range(m):
        for l in range(i + 1, m):
            gap = float(np.linalg.norm(c[l] - c[i]))
            if gap == 0.0:
                raise InvalidArgument(f"centers: rows {i} and {l} coincide (W is not differentiable there)")
            n = (c[l] - c[i]) / gap
            Q = np.linalg.svd(np.eye(d) - np.outer(n, n))[0][:, : d - 1]  # basis of n⊥
            for t in range(k):
                h = float(n @ ((c[i] + c[l]) / 2 - T[t]))  # the bisector's offset from ball t's center
                if abs(h) >= r:
                    continue
                rad = math.sqrt(r * r - h * h)
                area = vol_disk * rad ** (d - 1)
                for j in range(R):
                    x = T[t] + h * n + (Z[j] * rad) @ Q.T
                    D = ((x[:, None, :] - c[None]) ** 2).sum(axis=2)
                    # the facet: no third center strictly nearer than b_i (and b_l, equal on H)
                    keep = np.all(D[:, [i]] <= D + 1e-12 * r * r, axis=1)
                    w = keep * (rho * area / len(x))
                    ui, ul = x - c[i], x - c[l]
                    Fii = (ui * w[:, None]).T @ ui
                    Fll = (ul * w[:, None]).T @ ul
                    Fil = (ui * w[:, None]).T @ ul
                    bi, bl = slice(i * d, (i + 1) * d), slice(l * d, (l + 1) * d)
                    H[j, bi, bi] -= 2 * Fii / gap
                    H[j, bl, bl] -= 2 * Fll / gap
                    H[j, bi, bl] += 2 * Fil / gap
                    H[j, bl, bi] += 2 * Fil.T / gap
    return H.mean(axis=0), H.std(axis=0, ddof=1) / math.sqrt(R)


def rotation_tangents(centers) -> np.ndarray:
    """Orthonormal basis (columns, shape (m d, p)) of the tangent space at ``centers`` of their
    orbit under the rotations about the ball's center, b_j ↦ A b_j for antisymmetric A."""
    c = np.asarray(centers, dtype=np.float64)
    m, d = c.shape
    vecs = []
    for a in range(d):
        for b in range(a + 1, d):
            A = np.zeros((d, d))
            A[a, b], A[b, a] = -1.0, 1.0
            vecs.append((c @ A.T).ravel())
    if not vecs:
        return np.zeros((m * d, 0))
    U, s, _ = np.linalg.svd(np.array(vecs).T, full_matrices=False)
    rank = int((s > 1e-9 * max(1.0, float(s.max()))).sum())
    return U[:, :rank]


@dataclass(frozen=True, eq=False)
class WithinBallVerdict:
    """``kind`` ∈ {strict, non-strict, saddle, inconclusive}: strict means positive curvature in
    every direction, non-strict strict modulo the ball's rotations (G constant along the orbit,
    Morse–Bott); ``fixed_point`` (m, d) relative to the ball's center; ``masses`` (m,) within the
    ball; ``normal_eigenvalues`` of the Hessian across the rotation orbit with ``error`` (z
    standard errors' Frobenius norm, a bound on their error; 0 when exact); ``exact``."""

    kind: str
    fixed_point: np.ndarray
    masses: np.ndarray
    normal_eigenvalues: np.ndarray
    error: float
    exact: bool
    reason: str = ""


def classify(centers, radius=1.0, *, z=4.0, points=POINTS, replicates=REPLICATES, seed=0) -> WithinBallVerdict:
    """The local-minimum verdict for m = len(centers) centers sharing B(0, ``radius``), from the
    fixed point that ``centers`` (an approximate Lloyd limit, relative to the ball's center)
    approximates.

    m = 1: the ball's center, strict (W = ‖b‖² + const).  m = 2: exact
    (:func:`two_center_fixed_point` along b_1 − b_2, :func:`two_center_eigenvalues`).  m >= 3
    (d >= 2): :func:`lloyd` with RQMC nodes, then :func:`facet_hessian` restricted to the
    complement of :func:`rotation_tangents`: smallest eigenvalue above ``z`` standard errors
    (their Frobenius norm bounds the spectral error) is non-strict, below minus that is a saddle,
    otherwise inconclusive.
    """
    c = np.asarray(centers, dtype=np.float64)
    m, d = c.shape
    d, r = _check(d, radius)
    if m == 1:
        return WithinBallVerdict("strict", np.zeros((1, d)), np.ones(1), np.full(d, 2.0), 0.0, True, "one center")
    if m == 2:
        fixed = two_center_fixed_point(c[0] - c[1], r)
        ev = two_center_eigenvalues(d, r)
        normal = [ev["along_together"], ev["along_apart"]] + [ev["across_together"]] * (d - 1)
        kind = "strict" if d == 1 else "non-strict"
        return WithinBallVerdict(
            kind, fixed, np.full(2, 0.5), np.sort(normal), 0.0, True, "two centers at ± the half-ball centroids"
        )
    if d == 1:
        return WithinBallVerdict(
            "inconclusive", c, np.full(m, math.nan), np.empty(0), math.inf, False, "m >= 3 in 1-D: use hessian_1d"
        )
    fixed, converged = lloyd(c, r, points=points, replicates=replicates, seed=seed)
    cells = cell_integrals(fixed, r, points=points, replicates=replicates, seed=seed)
    masses = cells.masses.mean(axis=0)
    if not converged:
        return WithinBallVerdict("inconclusive", fixed, masses, np.empty(0), math.inf, False, "Lloyd did not converge")
    H, se = facet_hessian(fixed, r, points=points, replicates=replicates, seed=seed)
    T = rotation_tangents(fixed)
    U, s, _ = np.linalg.svd(np.eye(m * d) - T @ T.T)
    N = U[:, : m * d - T.shape[1]]
    normal = np.linalg.eigvalsh(N.T @ H @ N)
    error = float(z * np.linalg.norm(se))
    if normal[0] > error:
        kind = "non-strict" if T.shape[1] else "strict"
        reason = f"Hessian across the rotation orbit ≥ {normal[0]:.4g} > {error:.2g} (z = {z} standard errors)"
    elif normal[0] < -error:
        kind, reason = "saddle", f"Hessian eigenvalue {normal[0]:.4g} < −{error:.2g} across the rotation orbit"
    else:
        kind, reason = "inconclusive", f"smallest eigenvalue {normal[0]:.3g} within {error:.2g}"
    return WithinBallVerdict(kind, fixed, masses, normal, error, False, reason)
