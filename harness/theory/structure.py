"""The paper's quantities on a solution: Voronoi cell masses P_s(V_i(β)), Theorem 1/2's partition
into many/one-fit-one, one-fit-many and almost-empty associations, the theorems' bounds and
assumptions, and Fränti's Centroid Index.

It measures and compares; it never runs a target and never decides what counts as a failure of one
(that is :mod:`properties.structure_checks`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from harness.errors import InvalidArgument
from harness.theory import population
from harness.theory.models import BallMixture, GaussianMixture

__all__ = [
    "Bounds",
    "Partition",
    "tail_bound",
    "theorem1_bounds",
    "theorem2_bounds",
    "theorem1_unmet",
    "theorem2_unmet",
    "theorem2_t",
    "bounds_for",
    "cell_masses",
    "find_partition",
    "centroid_index",
    "finite_sample_slack",
    "structure_report",
]

#: The theorems' universal constant c >= 3; instances are generated for c = 3.
DEFAULT_C = 3.0
#: Theorem 2's t; φ(t) = 2 exp(−t² min(d, 2k)/8) must be < 1/4 and the tail bound (45) needs t > 2.
DEFAULT_T = 5.0


@dataclass(frozen=True)
class Bounds:
    """The three bounds of Theorem 1 or 2: ‖β_i − β*_s‖ (many/one-fit-one), ‖β_i − mean(S*_a)‖
    (one-fit-many), both in the data's units, and P(V_i(β)) (almost-empty)."""

    many_fit_one: float
    one_fit_many: float
    almost_empty: float
    theorem: str = "Theorem 1"


def tail_bound(t: float, dim: int, k: int) -> float:
    """φ(t) = 2 exp(−t² min(d, 2k)/8) of Theorem 2: a bound on P_s(‖x − β*_s‖ > t σ √min(d, 2k)),
    eq. (45), valid for t > 2 (Appendix F; the chi-square tail)."""
    return 2.0 * math.exp(-(t**2) * min(dim, 2 * k) / 8.0)


def theorem1_bounds(k: int, c: float, radius: float, center_distance_max: float) -> Bounds:
    """Theorem 1: 8ck²√(rΔmax), 11ck²√(rΔmax) and ck/√η_max (η_max = Δmax/r)."""
    root = math.sqrt(radius * center_distance_max)
    eta_max = center_distance_max / radius
    return Bounds(8 * c * k * k * root, 11 * c * k * k * root, c * k / math.sqrt(eta_max), "Theorem 1")


def theorem2_bounds(k: int, c: float, t: float, dim: int, center_distance_max: float, separation_ratio_max: float):
    """Theorem 2: Δmax(7k²c√t/√η_max + 7kφ(t)) (eq. (6)), Δmax(9k²c√t/√η_max + 7kφ(t)) (eq. (7)) and
    ck√t/√η_max + φ(t)."""
    phi = tail_bound(t, dim, k)
    q = c * math.sqrt(t) / math.sqrt(separation_ratio_max)
    return Bounds(
        center_distance_max * (7 * k * k * q + 7 * k * phi),
        center_distance_max * (9 * k * k * q + 7 * k * phi),
        k * q + phi,
        "Theorem 2",
    )


def theorem1_unmet(mixture, c: float = DEFAULT_C) -> list[str]:
    """Theorem 1's assumptions that ``mixture`` does not meet (empty list: all met)."""
    if not isinstance(mixture, BallMixture):
        return ["Theorem 1 is about the Stochastic Ball Model"]
    if mixture.k < 2:
        return ["k >= 2 true clusters"]
    k, emax, emin = mixture.k, mixture.separation_ratio_max, mixture.separation_ratio_min
    out = []
    if c < 3:
        out.append(f"c >= 3 (got {c})")
    if not emax > 4 * c * c * k**4:
        out.append(f"η_max > 4c²k⁴: {emax:.6g} <= {4 * c * c * k**4:.6g}")
    if not emin >= 10 * c * k * k * math.sqrt(emax):
        out.append(f"η_min >= 10ck²√η_max: {emin:.6g} < {10 * c * k * k * math.sqrt(emax):.6g}")
    return out


def theorem2_unmet(mixture, c: float = DEFAULT_C, t: float = DEFAULT_T) -> list[str]:
    """Theorem 2's assumptions that ``mixture`` does not meet, with t > 2 (the tail bound (45))."""
    if not isinstance(mixture, GaussianMixture):
        return ["Theorem 2 is about the Gaussian Mixture Model"]
    if mixture.k < 2:
        return ["k >= 2 true clusters"]
    k, d, emax, emin = mixture.k, mixture.dim, mixture.separation_ratio_max, mixture.separation_ratio_min
    phi = tail_bound(t, d, k)
    out = []
    if not t > 2:
        out.append(f"t > 2 for the tail bound (45) (got {t})")
    if not phi < 0.25:
        out.append(f"φ(t) < 1/4: φ({t}) = {phi:.3g}")
    if not emax >= 16 * c * c * k**4 * t:
        out.append(f"η_max >= 16c²k⁴t: {emax:.6g} < {16 * c * c * k**4 * t:.6g}")
    need = 8 * c * math.sqrt(t) * k * k * math.sqrt(emax) + 7 * k * phi * emax
    if not emin >= need:
        out.append(f"η_min >= 8c√t k²√η_max + 7kφ(t)η_max: {emin:.6g} < {need:.6g}")
    return out


def bounds_for(mixture, c: float = DEFAULT_C, t: float | None = None) -> Bounds:
    """Theorem 1's bounds for a ball mixture, Theorem 2's for a Gaussian one (t: :func:`theorem2_t`
    when None, else :data:`DEFAULT_T` if no t meets the assumptions)."""
    if isinstance(mixture, BallMixture):
        return theorem1_bounds(mixture.k, c, mixture.radius, mixture.center_distance_max)
    if t is None:
        t = theorem2_t(mixture, c) or DEFAULT_T
    return theorem2_bounds(mixture.k, c, t, mixture.dim, mixture.center_distance_max, mixture.separation_ratio_max)


# ------------------------------------------------------------------------------------------------


def cell_masses(mixture, centers, **qmc):
    """``(masses (m, k), stderr (m, k))``: P_s(V_i(β)) for fitted center i and true cluster s, exact
    in 1-D, randomised QMC otherwise (:func:`harness.theory.population.cell_integrals`)."""
    ci = population.cell_integrals(mixture, centers, **qmc)
    return ci.masses, ci.masses_stderr


def _set_partitions(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _set_partitions(rest):
        yield [[first]] + part
        for i in range(len(part)):
            yield part[:i] + [[first] + part[i]] + part[i + 1 :]


@dataclass(frozen=True, eq=False)
class Partition:
    """Theorem 1's partition of a solution that fits the bounds best (smallest worst ratio).

    ``associations``: one dict per a >= 1 with ``kind`` (``one-fit-one``, ``many-fit-one`` or
    ``one-fit-many``), ``fitted`` (S_a), ``true`` (S*_a), ``distances`` and ``bound``;
    ``almost_empty``: S_0 with masses.  ``worst_ratio`` is the largest quantity/bound over all
    of them (≤ 1: the theorem's structure holds), ``worst`` names it.
    """

    associations: list
    almost_empty: list
    worst_ratio: float
    worst: dict
    bounds: Bounds
    slack: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return self.worst_ratio <= 1.0

    def counts(self) -> dict:
        out = {"one-fit-one": 0, "many-fit-one": 0, "one-fit-many": 0, "almost-empty": len(self.almost_empty)}
        for a in self.associations:
            out[a["kind"]] += 1
        return out


def find_partition(
    centers, true_centers, cell_mass, bounds: Bounds, *, distance_slack=0.0, mass_slack=0.0
) -> Partition:
    """The partition of Theorem 1 (or 2) that minimises the largest ratio quantity / (bound + slack).

    Exhaustive over the set partitions of the true centers (Bell(k): 52 for k = 5) and over which
    fitted center serves each block; every remaining fitted center joins a single-true-center block
    or S_0, whichever fits better.  ``cell_mass : (m,)`` is P(V_i(β)).
    """
    C = np.asarray(centers, dtype=np.float64)
    T = np.asarray(true_centers, dtype=np.float64)
    p = np.asarray(cell_mass, dtype=np.float64)
    m, k = C.shape[0], T.shape[0]
    if k > 6:
        raise InvalidArgument(f"true_centers: the exhaustive partition search supports k <= 6, got {k}")
    b1, b2, b0 = (
        bounds.many_fit_one + distance_slack,
        bounds.one_fit_many + distance_slack,
        bounds.almost_empty + mass_slack,
    )
    empty_cost = p / b0
    dist_true = np.linalg.norm(C[:, None, :] - T[None, :, :], axis=2)  # (m, k)
    best = None
    for blocks in _set_partitions(list(range(k))):
        nb = len(blocks)
        if nb > m:
            continue
        block_cost = np.empty((m, nb))
        block_dist = np.empty((m, nb))
        for a, blk in enumerate(blocks):
            if len(blk) == 1:
                block_dist[:, a] = dist_true[:, blk[0]]
                block_cost[:, a] = block_dist[:, a] / b1
            else:
                block_dist[:, a] = np.linalg.norm(C - T[blk].mean(axis=0), axis=1)
                block_cost[:, a] = block_dist[:, a] / b2
        single = [a for a, blk in enumerate(blocks) if len(blk) == 1]
        spare_cost = np.minimum(empty_cost, block_cost[:, single].min(axis=1) if single else np.inf)
        for chosen in itertools.permutations(range(m), nb):
            cost = max(block_cost[chosen[a], a] for a in range(nb))
            if best is not None and cost >= best[0]:
                continue
            rest = [i for i in range(m) if i not in chosen]
            if rest:
                cost = max(cost, float(spare_cost[rest].max()))
            if best is None or cost < best[0]:
                best = (cost, blocks, chosen, rest, block_cost, block_dist)
    cost, blocks, chosen, rest, block_cost, block_dist = best
    members = {a: [chosen[a]] for a in range(len(blocks))}
    empty = []
    for i in rest:
        single = [a for a, blk in enumerate(blocks) if len(blk) == 1]
        a_best = min(single, key=lambda a: block_cost[i, a]) if single else None
        if a_best is not None and block_cost[i, a_best] <= empty_cost[i]:
            members[a_best].append(i)
        else:
            empty.append(i)
    associations, worst = [], {"ratio": -math.inf}
    for a, blk in enumerate(blocks):
        fitted = sorted(members[a])
        if len(blk) == 1:
            kind, bound = ("one-fit-one" if len(fitted) == 1 else "many-fit-one"), bounds.many_fit_one
        else:
            kind, bound = "one-fit-many", bounds.one_fit_many
        dists = [float(block_dist[i, a]) for i in fitted]
        associations.append({"kind": kind, "fitted": fitted, "true": sorted(blk), "distances": dists, "bound": bound})
        for i, dd in zip(fitted, dists):
            ratio = float(block_cost[i, a])
            if ratio > worst["ratio"]:
                worst = {"ratio": ratio, "kind": kind, "fitted": i, "true": sorted(blk), "value": dd, "bound": bound}
    almost_empty = [{"fitted": i, "mass": float(p[i]), "bound": bounds.almost_empty} for i in sorted(empty)]
    for e in almost_empty:
        ratio = float(empty_cost[e["fitted"]])
        if ratio > worst["ratio"]:
            worst = {
                "ratio": ratio,
                "kind": "almost-empty",
                "fitted": e["fitted"],
                "value": e["mass"],
                "bound": bounds.almost_empty,
            }
    slack = {"distance": float(distance_slack), "mass": float(mass_slack)}
    return Partition(associations, almost_empty, float(cost), worst, bounds, slack)


def orphans(centers, reference) -> tuple[int, int]:
    """``(orphans of centers, orphans of reference)``: map every center of each set to its nearest
    center of the other; the orphans of a set are its centers no one maps to (Fränti, Rezaei & Zhao 2014)."""
    A = np.asarray(centers, dtype=np.float64)
    B = np.asarray(reference, dtype=np.float64)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[1]:
        raise InvalidArgument(f"centers, reference: expected (m, d) and (k, d) arrays, got {A.shape} and {B.shape}")
    D = np.linalg.norm(A[:, None, :] - B[None, :, :], axis=2)
    orphans_b = B.shape[0] - len(np.unique(np.argmin(D, axis=1)))
    orphans_a = A.shape[0] - len(np.unique(np.argmin(D, axis=0)))
    return int(orphans_a), int(orphans_b)


def centroid_index(centers, reference) -> int:
    """The Centroid Index (Fränti, Rezaei & Zhao 2014): the larger of the two orphan counts of
    :func:`orphans`.  0 means every reference cluster is found by exactly one center."""
    return max(orphans(centers, reference))


# ------------------------------------------------------------------------------------------------
# finite samples


#: Standard deviations of slack on sample-mean and sample-mass fluctuations (see finite_sample_slack).
SLACK_Z = 6.0


def finite_sample_slack(mixture, cluster_points_min: int, n: int, *, stratified: bool, z: float = SLACK_Z):
    """Slack for comparing a *sample* fixed point with bounds proven for *population* local minima.

    A sample fixed point β̂ tracks a population fixed point β̄ with the same cells.  Each β̂_i is a
    cell mean of n_i >= n_s points, so ‖β̂_i − β̄_i‖ has root-mean-square √(tr Cov/n_i): within a
    component tr Cov = r²d/(d+2) <= r² (ball) or σ²d (Gaussian); a cell holding several whole
    clusters adds the fluctuation of their sample proportions, ‖Σ (n_s/n_i − 1/``|S*|``) β*_s‖ ≲
    Δmax/√n_i, unless the sample is stratified (equal counts, no such term).  So
    distance slack = z (spread + [not stratified] Δmax) / √n_s.
    The mass of a cell is compared at β̂; with n̂_i ~ Bin(n, P(V_i)) a cell that looks almost empty in
    the sample can hold up to P ≤ n̂_i/n + z √(P/n) + z²/n in the population; we use
    mass slack = z √(bound/n) + z²/n.  z = 6 standard deviations (:data:`SLACK_Z`); the cluster size
    from which the verdict is hard was measured, not assumed (see properties.structure_checks).
    """
    spread = mixture.radius if isinstance(mixture, BallMixture) else mixture.sigma * math.sqrt(mixture.dim)
    ns = max(int(cluster_points_min), 1)
    dist = z * (spread + (0.0 if stratified else mixture.center_distance_max)) / math.sqrt(ns)
    b = bounds_for(mixture).almost_empty
    mass = z * math.sqrt(b / max(n, 1)) + z * z / max(n, 1)
    return dist, mass


def structure_report(case, fit, *, c: float = DEFAULT_C, t: float | None = None) -> dict:
    """The structure of ``fit``'s centers on ``case``'s mixture: counts of each association, the
    worst bounded quantity against its bound, the Centroid Index, and whether the theorem's
    assumptions hold (``assumptions_met``).  JSON-ready; never raises on an odd fit (returns
    ``{"error": ...}``)."""
    mixture = case.mixture
    try:
        centers = np.asarray(fit.raw_centers if hasattr(fit, "raw_centers") else fit.centers, dtype=np.float64)
        if centers.shape != (case.k, mixture.dim) or not np.all(np.isfinite(centers)):
            return {"error": f"centers of shape {centers.shape} (finite: {bool(np.all(np.isfinite(centers)))})"}
        if mixture.k < 2 or mixture.k > 6 or case.k > 8:
            return {"error": f"structure is computed for 2 <= k_true <= 6 and k <= 8 (k_true={mixture.k}, k={case.k})"}
        if isinstance(mixture, GaussianMixture) and t is None:
            t = theorem2_t(mixture, c) or DEFAULT_T
        unmet = theorem1_unmet(mixture, c) if isinstance(mixture, BallMixture) else theorem2_unmet(mixture, c, t)
        # 2^10 nodes x 4 scrambles: masses to ~1e-3, far below the mass bound's slack
        masses, stderr = cell_masses(mixture, centers, qmc_points=2**10, replicates=4)
        P = masses.mean(axis=1)
        bounds = bounds_for(mixture, c, t)
        labels = case.true_labels
        ns = int(np.bincount(labels, minlength=mixture.k).min()) if len(labels) else 0
        dslack, mslack = finite_sample_slack(mixture, ns, case.n, stratified=case.stratified)
        mslack += SLACK_Z * float(np.sqrt((stderr**2).sum(axis=1)).max() / mixture.k)
        part = find_partition(centers, mixture.centers, P, bounds, distance_slack=dslack, mass_slack=mslack)
        raw = find_partition(centers, mixture.centers, P, bounds)
        return {
            "theorem": bounds.theorem,
            "assumptions_met": not unmet,
            "unmet_assumptions": unmet,
            "counts": part.counts(),
            "worst": part.worst,
            "worst_ratio_with_slack": part.worst_ratio,
            "worst_ratio_without_slack": raw.worst_ratio,
            "holds": part.holds,
            "bounds": {
                "many_fit_one": bounds.many_fit_one,
                "one_fit_many": bounds.one_fit_many,
                "almost_empty": bounds.almost_empty,
            },
            "slack": part.slack,
            "cluster_points_min": ns,
            "cell_masses": P.tolist(),
            "centroid_index": centroid_index(centers, mixture.centers),
            "masses_exact": mixture.dim == 1,
        }
    except Exception as exc:  # noqa: BLE001 - a report must not take verify down
        return {"error": f"{type(exc).__name__}: {exc}"}


def theorem2_t(mixture, c: float = DEFAULT_C):
    """The t of Theorem 2 for ``mixture``: among t ∈ (2, 40] that meet the assumptions, the one with
    the smallest almost-empty bound ck√t/√η_max + φ(t); None if no t works."""
    if not isinstance(mixture, GaussianMixture) or mixture.k < 2:
        return None
    best = None
    for t in 2.05 + 0.05 * np.arange(760):  # the grid of strategies.theorems.theorem2_mixture
        if theorem2_unmet(mixture, c, float(t)):
            continue
        b = theorem2_bounds(
            mixture.k, c, float(t), mixture.dim, mixture.center_distance_max, mixture.separation_ratio_max
        ).almost_empty
        if best is None or b < best[1]:
            best = (float(t), b)
    return None if best is None else best[0]


def sample_associations(true_labels, labels, k_fit: int, k_true: int, *, almost_empty_fraction: float = 0.01) -> dict:
    """Counts of Theorem 1's association types read off a *sample* solution, with no bounds.

    A fitted center whose cell holds fewer than ``almost_empty_fraction · n / k_true`` points is
    almost-empty.  Every other center is attached to the true clusters of which its cell holds the
    largest share (each true cluster goes to the cell with most of its points); a center attached
    to two or more true clusters is one-fit-many; a true cluster whose points are the majority of
    two or more non-empty cells is many-fit-one; a center with exactly one attached cluster that no
    other cell shares is one-fit-one.  Returns ``{"one_fit_one", "many_fit_one", "one_fit_many",
    "almost_empty"}`` (each a count of associations, not of centers).
    """
    true_labels = np.asarray(true_labels, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    table = np.zeros((k_fit, k_true), dtype=np.int64)
    np.add.at(table, (labels, true_labels), 1)
    cell_sizes = table.sum(axis=1)
    empty = cell_sizes < almost_empty_fraction * n / max(k_true, 1)
    owner = np.argmax(table, axis=0)  # the cell holding most of each true cluster
    attached = [np.flatnonzero((owner == i) & ~empty[i]) for i in range(k_fit)]
    dominant = np.where(empty, -1, np.argmax(table, axis=1))  # the true cluster each cell mostly holds
    one_fit_many = sum(1 for i in range(k_fit) if len(attached[i]) >= 2)
    many_fit_one = sum(1 for s in range(k_true) if np.sum(dominant == s) >= 2)
    one_fit_one = sum(1 for i in range(k_fit) if len(attached[i]) == 1 and np.sum(dominant == attached[i][0]) == 1)
    return {
        "one_fit_one": int(one_fit_one),
        "many_fit_one": int(many_fit_one),
        "one_fit_many": int(one_fit_many),
        "almost_empty": int(np.sum(empty)),
    }
