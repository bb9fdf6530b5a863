"""Cases that meet Theorem 1's (balls) or Theorem 2's (Gaussians) assumptions literally, for the
structure checks: k fitted centers for k true clusters, stratified samples (every cluster gets n/k
points: the population's equal weights), and every init kind.

The separations are enormous (η_min >= 100c²k⁴·spread for Theorem 1): the balls are specks at the
scale of the center distances.  Draws shrink toward fewer clusters, lower dimension, the smallest
separation meeting the assumptions, fewer points per cluster and the simplest init.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.cases.case import INIT_KINDS
from harness.theory.models import BallMixture, GaussianMixture
from harness.theory.structure import DEFAULT_C, tail_bound, theorem1_unmet, theorem2_unmet
from strategies.datasets import make_case
from strategies.mixtures import _check_float, _check_int_range

__all__ = ["theorem1_instances", "theorem2_instances", "theorem1_mixture", "theorem2_mixture"]


#: Relative jitter of the lattice centers.  An exact lattice is symmetric, and a symmetric mixture has
#: population saddles (a 2-fit-3 split of a middle cluster, Appendix G's Example 1 shape) that a
#: correct Lloyd on a small sample can stop at (measured: ~1e-3 per case at 64 points per cluster);
#: jitter breaks the symmetry while every assumption is re-established from the jittered distances.
CENTER_JITTER = 0.2


def _jittered_centers(cls, k, dim, seed):
    """Lattice centers with Δmin = 1, each moved by up to ``CENTER_JITTER``/2 per coordinate, rescaled to
    Δmin = 1; returns ``(centers, spread = Δmax/Δmin)``."""
    base = np.array(cls.with_separation(k, dim, 10.0, seed=seed).centers) / 10.0
    rng = np.random.default_rng(seed)
    centers = base + rng.uniform(-CENTER_JITTER / 2, CENTER_JITTER / 2, size=base.shape)
    dist = np.linalg.norm(centers[:, None] - centers[None], axis=2)
    dmin = dist[~np.eye(k, dtype=bool)].min()
    return centers / dmin, float(dist.max() / dmin)


def theorem1_mixture(k: int, dim: int, *, c: float = DEFAULT_C, factor: float = 1.0, seed: int = 0):
    """A ball mixture (radius 1) meeting Theorem 1 with η_min = factor·100c²k⁴·spread, spread =
    η_max/η_min (η_min >= 10ck²√η_max ⟺ η_min >= 100c²k⁴·spread; η_max > 4c²k⁴ then follows).
    Centers: a jittered lattice (:data:`CENTER_JITTER`)."""
    centers, spread = _jittered_centers(BallMixture, k, dim, seed)
    eta = factor * 100 * c * c * k**4 * spread * (1 + 1e-9)
    mixture = BallMixture(centers * eta, 1.0)
    unmet = theorem1_unmet(mixture, c)
    assert not unmet, unmet  # the construction meets them by algebra
    return mixture


def theorem2_mixture(k: int, dim: int, *, c: float = DEFAULT_C, factor: float = 1.0, seed: int = 0, t=None):
    """A Gaussian mixture (σ = 1) meeting Theorem 2.  t > 2 is the smallest on a grid with
    7kφ(t)·spread <= 1/2; then η_min = factor·(8c√t k²)²·spread / (1 − 7kφ(t)·spread)² meets
    η_min >= 8c√t k²√η_max + 7kφ(t)η_max (solve for √η_min) and η_max >= 16c²k⁴t."""
    centers, spread = _jittered_centers(GaussianMixture, k, dim, seed)
    if t is None:
        t = 2.05
        while 7 * k * tail_bound(t, dim, k) * spread > 0.5 or tail_bound(t, dim, k) >= 0.25:
            t += 0.05
    q = 7 * k * tail_bound(t, dim, k) * spread
    eta = factor * (8 * c * math.sqrt(t) * k * k) ** 2 * spread / (1 - q) ** 2 * (1 + 1e-9)
    mixture = GaussianMixture(centers * eta * math.sqrt(min(2 * k, dim)), 1.0)
    unmet = theorem2_unmet(mixture, c, t)
    assert not unmet, unmet
    return mixture


def _instances(build_mixture, c, min_k, max_k, min_dim, max_dim, min_cluster_points, max_cluster_points, init_kinds):
    _check_int_range("min_k", min_k, "max_k", max_k, 2)
    if max_k > 6:
        raise InvalidArgument(f"max_k={max_k!r} must be at most 6 (the partition search is exhaustive)")
    _check_int_range("min_dim", min_dim, "max_dim", max_dim, 1)
    _check_int_range("min_cluster_points", min_cluster_points, "max_cluster_points", max_cluster_points, 1)
    _check_float("c", c, at_least=3)
    init_kinds = tuple(init_kinds)
    unknown = [kind for kind in init_kinds if kind not in INIT_KINDS]
    if not init_kinds or unknown:
        raise InvalidArgument(f"init_kinds={init_kinds!r} must be a non-empty subset of {INIT_KINDS}")

    @st.composite
    def build(draw):
        k = draw(st.integers(min_k, max_k), label="k")
        dim = draw(st.integers(min_dim, max_dim), label="dim")
        factor = draw(st.floats(1.0, 10.0), label="separation_factor")
        rotation_seed = draw(st.integers(0, 2**16), label="rotation_seed")
        points = draw(st.integers(min_cluster_points, max_cluster_points), label="cluster_points")
        init_kind = draw(st.sampled_from(init_kinds), label="init_kind")
        sample_seed = draw(st.integers(0, 2**32 - 1), label="sample_seed")
        init_seed = draw(st.integers(0, 2**32 - 1), label="init_seed")
        mixture = build_mixture(k, dim, c=c, factor=factor, seed=rotation_seed)
        return make_case(mixture, k * points, k, sample_seed, init_kind, init_seed, stratified=True)

    return build()


def theorem1_instances(
    *,
    c: float = DEFAULT_C,
    min_k: int = 2,
    max_k: int = 4,
    min_dim: int = 1,
    max_dim: int = 3,
    min_cluster_points: int = 1,
    max_cluster_points: int = 300,
    init_kinds=INIT_KINDS,
):
    """Cases on Stochastic Ball Models meeting Theorem 1 (η_max > 4c²k⁴, η_min >= 10ck²√η_max)."""
    return _instances(
        theorem1_mixture, c, min_k, max_k, min_dim, max_dim, min_cluster_points, max_cluster_points, init_kinds
    )


def theorem2_instances(
    *,
    c: float = DEFAULT_C,
    min_k: int = 2,
    max_k: int = 4,
    min_dim: int = 1,
    max_dim: int = 3,
    min_cluster_points: int = 1,
    max_cluster_points: int = 300,
    init_kinds=INIT_KINDS,
):
    """Cases on Gaussian mixtures meeting Theorem 2 for some t > 2 with φ(t) < 1/4."""
    return _instances(
        theorem2_mixture, c, min_k, max_k, min_dim, max_dim, min_cluster_points, max_cluster_points, init_kinds
    )
