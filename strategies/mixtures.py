"""Hypothesis strategies for the paper's mixtures (Definitions 1 and 2).

Bounds are keyword-only with ``min_``/``max_`` names, validated with Hypothesis's own
``InvalidArgument``.  Draws shrink toward fewer clusters, lower dimension, the smallest separation
and evenly spaced centers.
"""

from __future__ import annotations

import math

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.theory.models import BallMixture, GaussianMixture


def _check_int_range(lo_name, lo, hi_name, hi, minimum):
    for name, v in ((lo_name, lo), (hi_name, hi)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise InvalidArgument(f"{name}={v!r} must be an integer")
        if v < minimum:
            raise InvalidArgument(f"{name}={v!r} must be at least {minimum}")
    if lo > hi:
        raise InvalidArgument(f"{lo_name}={lo!r} must be at most {hi_name}={hi!r}")


def _check_float(name, v, *, above=None, at_least=None):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise InvalidArgument(f"{name}={v!r} must be a finite number")
    if above is not None and not v > above:
        raise InvalidArgument(f"{name}={v!r} must be greater than {above}")
    if at_least is not None and not v >= at_least:
        raise InvalidArgument(f"{name}={v!r} must be at least {at_least}")


def _mixtures(cls, scale_name, scale, min_k, max_k, min_dim, max_dim, min_sep, max_sep, max_spread, min_allowed_sep):
    _check_int_range("min_k", min_k, "max_k", max_k, 1)
    _check_int_range("min_dim", min_dim, "max_dim", max_dim, 1)
    _check_float("min_separation_ratio", min_sep, above=min_allowed_sep)
    _check_float("max_separation_ratio", max_sep, above=0)
    if min_sep > max_sep:
        raise InvalidArgument(f"min_separation_ratio={min_sep!r} must be at most max_separation_ratio={max_sep!r}")
    _check_float("max_separation_ratio_spread", max_spread, at_least=1)
    _check_float(scale_name, scale, above=0)

    @st.composite
    def build(draw):
        k = draw(st.integers(min_k, max_k), label="k")
        dim = draw(st.integers(min_dim, max_dim), label="dim")
        eta = draw(st.floats(min_sep, max_sep), label="separation_ratio_min")
        rotation_seed = draw(st.integers(0, 2**16), label="rotation_seed")
        base = cls.with_separation(k, dim, eta, seed=rotation_seed, **{scale_name: scale})
        spread0 = base.separation_ratio_spread
        if k <= 2 or spread0 >= max_spread:
            return base
        stretch = draw(st.floats(0.0, 1.0), label="spread_fraction")
        if stretch == 0.0:
            return base
        spread = spread0 + stretch * (max_spread - spread0)
        return cls.with_separation(
            k, dim, eta, separation_ratio_spread=spread, seed=rotation_seed, **{scale_name: scale}
        )

    return build()


def ball_mixtures(
    *,
    min_k: int = 1,
    max_k: int = 6,
    min_dim: int = 1,
    max_dim: int = 4,
    min_separation_ratio: float = 6.0,
    max_separation_ratio: float = 40.0,
    max_separation_ratio_spread: float = 4.0,
    radius: float = 1.0,
):
    """Stochastic Ball Models with k ∈ [min_k, max_k], d ∈ [min_dim, max_dim],
    η_min ∈ [min_separation_ratio, max_separation_ratio] (must exceed 2: disjoint balls) and
    η_max/η_min ≤ max_separation_ratio_spread where the lattice construction allows.

    Shrinks toward min_k, min_dim, min_separation_ratio and the most compact spread.
    """
    return _mixtures(
        BallMixture,
        "radius",
        radius,
        min_k,
        max_k,
        min_dim,
        max_dim,
        min_separation_ratio,
        max_separation_ratio,
        max_separation_ratio_spread,
        2.0,
    )


def gaussian_mixtures(
    *,
    min_k: int = 1,
    max_k: int = 6,
    min_dim: int = 1,
    max_dim: int = 4,
    min_separation_ratio: float = 8.0,
    max_separation_ratio: float = 40.0,
    max_separation_ratio_spread: float = 4.0,
    sigma: float = 1.0,
):
    """Spherical Gaussian mixtures; η is Δ / (σ √min(2k, d)) (Section 2.3).  Same shrinking as
    :func:`ball_mixtures`."""
    return _mixtures(
        GaussianMixture,
        "sigma",
        sigma,
        min_k,
        max_k,
        min_dim,
        max_dim,
        min_separation_ratio,
        max_separation_ratio,
        max_separation_ratio_spread,
        0.0,
    )
