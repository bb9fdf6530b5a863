"""Infinite-sample k-means on the model itself: the population objective G of eq. (3), its gradient
(Lemma 1), the population Lloyd map (Lemma 2) and the 1-D Hessian.

Integrals over Voronoi cells are exact in one dimension (ball: piecewise polynomials; Gaussian:
normal CDF/PDF) and estimated by randomised quasi-Monte Carlo in d >= 2 (:mod:`harness.theory.qmc`'s
scrambled Sobol nodes, independent replicates give a standard error).  Nothing here knows about
targets or samples; whether a point is a local minimum is :mod:`harness.theory.certificates`' business.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from harness.errors import InvalidArgument
from harness.theory.models import BallMixture, GaussianMixture, Mixture
from harness.theory.qmc import QMC_POINTS, QMC_REPLICATES, component_scale, mixture_nodes

__all__ = [
    "CellIntegrals",
    "Estimate",
    "PopulationLloydResult",
    "check_centers",
    "cell_integrals",
    "objective",
    "gradient",
    "lloyd_map",
    "population_lloyd",
    "hessian_1d",
]


@dataclass(frozen=True)
class Estimate:
    """A number with its standard error (0 when exact)."""

    value: float
    stderr: float = 0.0


@dataclass(frozen=True, eq=False)
class CellIntegrals:
    """Integrals of each true cluster s over each Voronoi cell V_i(β) (ties to the lowest index).

    Attributes
    ----------
    masses : (m, k) float64, P_s(V_i(β)) = m_{i,s}(β) of Section 5.2
    first : (m, k, d) float64, ∫_{V_i} x f_s(x) dx
    second : (m, k) float64, ∫_{V_i} ‖x − β_i‖² f_s(x) dx
    *_stderr : the same shapes, standard errors over RQMC replicates (zeros when ``exact``)
    """

    masses: np.ndarray
    first: np.ndarray
    second: np.ndarray
    masses_stderr: np.ndarray
    first_stderr: np.ndarray
    second_stderr: np.ndarray
    exact: bool
    replicate_second: np.ndarray | None = field(default=None, repr=False)  # (R, m, k), for paired differences

    @property
    def cell_masses(self) -> np.ndarray:
        """P(V_i(β)) under the equal-weight mixture, shape (m,)."""
        return self.masses.mean(axis=1)

    @property
    def cell_masses_stderr(self) -> np.ndarray:
        return np.sqrt((self.masses_stderr**2).sum(axis=1)) / self.masses.shape[1]

    @property
    def cell_first(self) -> np.ndarray:
        """∫_{V_i} x f(x) dx, shape (m, d)."""
        return self.first.mean(axis=1)


def check_centers(mixture: Mixture, centers) -> np.ndarray:
    """``centers`` as a finite (m, d) float64 array for ``mixture``; InvalidArgument otherwise."""
    if not isinstance(mixture, (BallMixture, GaussianMixture)):
        raise InvalidArgument(f"mixture: expected a BallMixture or GaussianMixture, got {type(mixture).__name__}")
    try:
        c = np.array(centers, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"centers: expected an (m, d) array of numbers, got {centers!r}") from exc
    if c.ndim != 2 or c.shape[1] != mixture.dim or c.shape[0] < 1:
        raise InvalidArgument(f"centers: expected shape (m, {mixture.dim}) with m >= 1, got {c.shape}")
    if not np.all(np.isfinite(c)):
        raise InvalidArgument("centers: expected finite values, got NaN or infinity")
    return c


def _intervals_1d(c: np.ndarray):
    """Voronoi cells of points ``c`` (m,) on the line as [lo_i, hi_i]; duplicates after the first
    (lowest index) get an empty interval (lo = hi = c_i)."""
    m = len(c)
    order = np.lexsort((np.arange(m), c))  # by value, ties by index
    lo = np.array(c, copy=True)
    hi = np.array(c, copy=True)
    owners = []  # (value, index) of the first index at each distinct value, increasing
    for idx in order:
        if owners and c[idx] == owners[-1][0]:
            continue
        owners.append((c[idx], idx))
    for a, (v, idx) in enumerate(owners):
        lo[idx] = -np.inf if a == 0 else (owners[a - 1][0] + v) / 2
        hi[idx] = np.inf if a == len(owners) - 1 else (v + owners[a + 1][0]) / 2
    return lo, hi


def _ball_pieces(a, b, mu, r, c):
    """Mass, ∫x f and ∫(x − c)² f of unif[mu − r, mu + r] over [a, b] (arrays broadcast)."""
    lo = np.maximum(a, mu - r)
    hi = np.minimum(b, mu + r)
    ok = hi > lo
    lo = np.where(ok, lo, 0.0)
    hi = np.where(ok, hi, 0.0)
    mass = (hi - lo) / (2 * r)
    first = (hi - lo) * (hi + lo) / (4 * r)
    second = ((hi - c) ** 3 - (lo - c) ** 3) / (6 * r)
    return mass, first, second


def _gauss_pieces(a, b, mu, s, c):
    """Mass, ∫x f and ∫(x − c)² f of N(mu, s²) over [a, b]; tails by erfc for accuracy."""
    al = (a - mu) / s
    be = (b - mu) / s
    # Φ(β) − Φ(α) from whichever tail is accurate
    mass = np.where(al > 0, special.ndtr(-al) - special.ndtr(-be), special.ndtr(be) - special.ndtr(al))
    mass = np.maximum(mass, 0.0)
    pa = np.where(np.isfinite(al), np.exp(-0.5 * np.square(np.where(np.isfinite(al), al, 0.0))), 0.0)
    pb = np.where(np.isfinite(be), np.exp(-0.5 * np.square(np.where(np.isfinite(be), be, 0.0))), 0.0)
    pa, pb = pa / math.sqrt(2 * math.pi), pb / math.sqrt(2 * math.pi)
    apa = np.where(np.isfinite(al), np.where(np.isfinite(al), al, 0.0) * pa, 0.0)
    bpb = np.where(np.isfinite(be), np.where(np.isfinite(be), be, 0.0) * pb, 0.0)
    first = mu * mass + s * (pa - pb)
    shift = mu - c
    second = s * s * (mass + apa - bpb) + 2 * shift * s * (pa - pb) + shift * shift * mass
    return mass, first, np.maximum(second, 0.0)


def _cell_integrals_1d(mixture, c):
    lo, hi = _intervals_1d(c[:, 0])
    mu = mixture.centers[:, 0][None, :]
    a, b, cc = lo[:, None], hi[:, None], c[:, 0][:, None]
    if isinstance(mixture, BallMixture):
        mass, first, second = _ball_pieces(a, b, mu, mixture.radius, cc)
    else:
        mass, first, second = _gauss_pieces(a, b, mu, mixture.sigma, cc)
    z = np.zeros_like(mass)
    return CellIntegrals(mass, first[:, :, None], second, z, z[:, :, None].copy(), z.copy(), True)


def _cell_integrals_qmc(mixture, c, points, replicates, seed, second_only=False):
    """The RQMC cell integrals; with ``second_only`` just the (R, m, k) replicate squared-distance
    integrals, computed by the same operations in the same order (so bit for bit the
    ``replicate_second`` of the full call) without the masses and first moments."""
    base = mixture_nodes(mixture, points, replicates, seed)  # (R, N, d), centred at 0
    R, N, d = base.shape
    m, k = c.shape[0], mixture.k
    mass = np.zeros((R, m, k))
    first = np.zeros((R, m, k, d))
    second = np.zeros((R, m, k))
    for s in range(k):
        X = base + mixture.centers[s]
        diff = X[:, :, None, :] - c[None, None, :, :]
        D = np.einsum("rnmd,rnmd->rnm", diff, diff)
        lab = np.argmin(D, axis=2)  # ties to the lowest index, as the sample labels
        dmin = np.take_along_axis(D, lab[..., None], axis=2)[..., 0]
        onehot = lab[..., None] == np.arange(m)  # (R, N, m)
        if not second_only:
            mass[:, :, s] = onehot.mean(axis=1)
            first[:, :, s, :] = np.einsum("rnm,rnd->rmd", onehot, X) / N
        second[:, :, s] = np.einsum("rnm,rn->rm", onehot, dmin) / N
    if second_only:
        return second

    def stats(a):
        return a.mean(axis=0), a.std(axis=0, ddof=1) / math.sqrt(R)

    (mm, ms), (fm, fs), (sm, ss) = stats(mass), stats(first), stats(second)
    return CellIntegrals(mm, fm, sm, ms, fs, ss, False, second)


def cell_integrals(mixture, centers, *, qmc_points=QMC_POINTS, replicates=QMC_REPLICATES, seed=0) -> CellIntegrals:
    """Masses, first moments and squared-distance integrals of every true cluster over every
    Voronoi cell of ``centers : (m, d)`` (m may differ from the number of true clusters).

    Exact in one dimension; in d >= 2 a randomised QMC estimate with ``qmc_points`` (a power of 2)
    Sobol nodes per cluster in each of ``replicates`` independent scrambles, the same nodes for every
    call with the same arguments (common random numbers: differences G(β') − G(β) are then much more
    accurate than either value).
    """
    c = check_centers(mixture, centers)
    if mixture.dim == 1:
        return _cell_integrals_1d(mixture, c)
    if isinstance(qmc_points, bool) or not isinstance(qmc_points, (int, np.integer)) or qmc_points < 2:
        raise InvalidArgument(f"qmc_points: expected a power of 2 >= 2, got {qmc_points!r}")
    if qmc_points & (qmc_points - 1):
        raise InvalidArgument(f"qmc_points: expected a power of 2 (Sobol balance), got {qmc_points!r}")
    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) or replicates < 2:
        raise InvalidArgument(f"replicates: expected an integer >= 2 (for a standard error), got {replicates!r}")
    return _cell_integrals_qmc(mixture, c, int(qmc_points), int(replicates), int(seed))


def replicate_second(mixture, centers, *, qmc_points=QMC_POINTS, replicates=QMC_REPLICATES, seed=0):
    """``cell_integrals(...).replicate_second`` (d >= 2) without the masses and first moments, for the
    paired differences of :mod:`harness.theory.certificates`; the caller has validated the QMC
    arguments through :func:`cell_integrals` (hence not in ``__all__``)."""
    c = check_centers(mixture, centers)
    return _cell_integrals_qmc(mixture, c, int(qmc_points), int(replicates), int(seed), second_only=True)


def objective(mixture, centers, **qmc) -> Estimate:
    """G(β) of eq. (3) = (1/k) Σ_s Σ_i ∫_{V_i} ‖x − β_i‖² f_s, with its standard error."""
    ci = cell_integrals(mixture, centers, **qmc)
    k = mixture.k
    return Estimate(float(ci.second.sum() / k), float(np.sqrt((ci.second_stderr**2).sum()) / k))


def gradient(mixture, centers, **qmc) -> np.ndarray:
    """∇G(β), shape (m, d): ∂G/∂β_i = −2 ∫_{V_i} (x − β_i) f = 2 (P(V_i) β_i − ∫_{V_i} x f)
    (Lemma 1; valid when the centers are pairwise distinct)."""
    c = check_centers(mixture, centers)
    ci = cell_integrals(mixture, c, **qmc)
    return 2 * (ci.cell_masses[:, None] * c - ci.cell_first)


def lloyd_map(mixture, centers, **qmc) -> np.ndarray:
    """Lemma 2's map: each center to the mass centre of its Voronoi cell, eq. (9); a center whose
    cell has zero mass stays where it is."""
    c = check_centers(mixture, centers)
    ci = cell_integrals(mixture, c, **qmc)
    p = ci.cell_masses
    out = c.copy()
    ok = p > 0
    out[ok] = ci.cell_first[ok] / p[ok, None]
    return out


@dataclass(frozen=True, eq=False)
class PopulationLloydResult:
    centers: np.ndarray
    n_iter: int
    converged: bool
    last_step: float


def population_lloyd(mixture, centers, *, max_iter=10_000, tol=None, **qmc) -> PopulationLloydResult:
    """Iterate :func:`lloyd_map` until no center moves more than ``tol`` (default 1e-12 times the
    data's scale in 1-D; in d >= 2 the map is that of the fixed QMC nodes, so it too converges)."""
    c = check_centers(mixture, centers)
    scale = float(np.max(np.abs(mixture.centers))) + component_scale(mixture)
    tol = 1e-12 * scale if tol is None else float(tol)
    step = math.inf
    for it in range(1, max_iter + 1):
        new = lloyd_map(mixture, c, **qmc)
        step = float(np.max(np.abs(new - c)))
        c = new
        if step <= tol:
            return PopulationLloydResult(c, it, True, step)
    return PopulationLloydResult(c, max_iter, False, step)


def _density_1d(mixture, x):
    mu = mixture.centers[:, 0]
    if isinstance(mixture, BallMixture):
        r = mixture.radius
        return float(np.mean(np.where(np.abs(x - mu) <= r, 1 / (2 * r), 0.0)))
    s = mixture.sigma
    return float(np.mean(np.exp(-0.5 * ((x - mu) / s) ** 2) / (s * math.sqrt(2 * math.pi))))


def hessian_1d(mixture, centers):
    """Exact Hessian of G in one dimension at pairwise distinct centers, and whether G is smooth
    there (no Voronoi boundary on a jump of the ball density).

    With the centers sorted, p_0 < ... < p_{m−1}, boundaries b_a = (p_a + p_{a+1})/2 and
    w_a = ½ (p_{a+1} − p_a) f(b_a):  H_aa = 2 P(V_a) − w_a − w_{a−1},  H_{a,a+1} = −w_a
    (Leibniz rule on G = Σ_a ∫_{b_{a−1}}^{b_a} (x − p_a)² f; the terms from moving limits cancel in
    the gradient because (b_a − p_a)² = (b_a − p_{a+1})²).  Proposition 2's printed Hessian has
    symbolic typos, its numbers [[1.5r, −0.5r, 0], [−0.5r, 1.5r, 0], [0, 0, 8r]]/(6r) agree with this.
    Returns ``(H : (m, m) in the caller's center order, smooth : bool)``.
    """
    c = check_centers(mixture, centers)
    if mixture.dim != 1:
        raise InvalidArgument(f"mixture: hessian_1d needs dimension 1, got {mixture.dim}")
    x = c[:, 0]
    if len(np.unique(x)) != len(x):
        raise InvalidArgument("centers: the Hessian needs pairwise distinct centers (G is not differentiable)")
    order = np.argsort(x)
    p = x[order]
    P = cell_integrals(mixture, c).cell_masses[order]
    m = len(p)
    b = (p[:-1] + p[1:]) / 2
    w = np.array([0.5 * (p[a + 1] - p[a]) * _density_1d(mixture, b[a]) for a in range(m - 1)])
    H = np.diag(2 * P)
    for a in range(m - 1):
        H[a, a] -= w[a]
        H[a + 1, a + 1] -= w[a]
        H[a, a + 1] = H[a + 1, a] = -w[a]
    smooth = True
    if isinstance(mixture, BallMixture):
        edges = np.concatenate([mixture.centers[:, 0] - mixture.radius, mixture.centers[:, 0] + mixture.radius])
        gap = np.min(np.abs(b[:, None] - edges[None, :])) if m > 1 else np.inf
        smooth = bool(gap > 1e-9 * (mixture.radius + float(np.max(np.abs(edges)))))
    inv = np.empty(m, dtype=np.int64)
    inv[order] = np.arange(m)
    return H[np.ix_(inv, inv)], smooth
