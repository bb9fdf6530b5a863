"""Randomised quasi-Monte Carlo nodes for the theory layer: scrambled Sobol points mapped to the
standard component (unit ball or N(0, I)) and scaled to a mixture's components.  Cached and
read-only, so callers with the same arguments share nodes (common random numbers); no integrals here.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import special

from harness.theory.models import BallMixture

__all__ = ["QMC_POINTS", "QMC_REPLICATES", "component_scale", "unit_nodes", "standard_nodes", "mixture_nodes"]

#: Default randomised QMC budget in d >= 2: Sobol nodes per true cluster and independent scrambles.
QMC_POINTS = 2**12
QMC_REPLICATES = 8


def component_scale(mixture) -> float:
    """The scale of one component: the ball's radius or the Gaussian's σ."""
    return mixture.radius if isinstance(mixture, BallMixture) else mixture.sigma


@lru_cache(maxsize=32)
def unit_nodes(dim: int, points: int, replicates: int, seed: int) -> np.ndarray:
    """(R, N, dim) scrambled Sobol nodes, one independent scramble per replicate; read-only."""
    from scipy.stats import qmc  # scipy.stats is slow to import and only d >= 2 needs it

    m = int(round(math.log2(points)))
    seeds = np.random.SeedSequence(seed).spawn(replicates)
    out = np.empty((replicates, 2**m, dim))
    for j, ss in enumerate(seeds):
        out[j] = qmc.Sobol(dim, scramble=True, seed=np.random.default_rng(ss)).random_base2(m)
    np.clip(out, 1e-15, 1 - 1e-15, out=out)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=32)
def standard_nodes(model: str, dim: int, points: int, replicates: int, seed: int) -> np.ndarray:
    """(R, N, d) nodes of the standard component (unit ball or N(0, I)) with the mixture's law."""
    if model == "ball":
        u = unit_nodes(dim + 1, points, replicates, seed)
        z = special.ndtri(u[..., :dim])
        z /= np.linalg.norm(z, axis=-1, keepdims=True)
        out = z * u[..., dim : dim + 1] ** (1.0 / dim)
    else:
        out = special.ndtri(unit_nodes(dim, points, replicates, seed))
    out.setflags(write=False)
    return out


def mixture_nodes(mixture, points, replicates, seed):
    """(R, N, d) nodes of one of ``mixture``'s components, centred at 0."""
    model = "ball" if isinstance(mixture, BallMixture) else "gaussian"
    return standard_nodes(model, mixture.dim, points, replicates, seed) * component_scale(mixture)
