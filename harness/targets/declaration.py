"""What a target declares about itself: its claims, precision, whether it honours ``init`` and is
deterministic, the largest dimension it supports; the ``@harness.target`` decorator that attaches
a declaration, and :class:`Target`, a callable with its declaration."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.errors import InvalidArgument
from harness.targets.fit import Fit, normalise_output

__all__ = ["CLAIMS", "DEFAULT_DECLARATION", "PRECISIONS", "Target", "target"]

#: What a target may claim about the solutions it returns.
#: ``fixed-point``: a Lloyd fixed point (Lemma 2) whenever it reports convergence;
#: ``approximate``: only a good clustering (mini-batch, sampling); checked for the contract and determinism only;
#: ``global-optimum``: the exact minimiser of eq. (1) (e.g. kmeans1d in one dimension).
CLAIMS = ("fixed-point", "approximate", "global-optimum")

PRECISIONS = ("float64", "float32")

#: Defaults for a target that declares nothing: a float64 Lloyd fixed point that honours ``init``
#: and is deterministic given ``seed`` — what any Lloyd implementation should be.
DEFAULT_DECLARATION = {
    "claims": "fixed-point",
    "precision": "float64",
    "honours_init": True,
    "deterministic": True,
}


@dataclass(frozen=True)
class Target:
    """A k-means implementation with its declared claims.

    ``fit(X, k, *, init=None, seed=None)`` returns anything :func:`normalise_output` accepts.
    """

    name: str
    fit: Callable
    claims: str = "fixed-point"
    precision: str = "float64"
    honours_init: bool = True
    deterministic: bool = True
    description: str = ""
    max_dim: int | None = None  # the largest dimension the target supports (None: any)

    def __post_init__(self):
        if self.claims not in CLAIMS:
            raise InvalidArgument(f"claims: expected one of {CLAIMS}, got {self.claims!r}")
        if self.precision not in PRECISIONS:
            raise InvalidArgument(f"precision: expected one of {PRECISIONS}, got {self.precision!r}")

    @property
    def epsilon(self) -> float:
        """Machine epsilon of the target's declared working precision (twice its unit roundoff u)."""
        return float(np.finfo(np.float32 if self.precision == "float32" else np.float64).eps)

    def run(self, X, k, *, init=None, seed=None) -> Fit:
        """Call the target once and normalise its answer; exceptions propagate to the caller."""
        start = time.perf_counter()
        out = self.fit(X, k, init=init, seed=seed)
        seconds = time.perf_counter() - start
        return normalise_output(out, seconds)

    def record(self) -> dict:
        return {
            "name": self.name,
            "claims": self.claims,
            "precision": self.precision,
            "honours_init": self.honours_init,
            "deterministic": self.deterministic,
            "max_dim": self.max_dim,
        }


def target(
    fn=None,
    *,
    claims="fixed-point",
    precision="float64",
    honours_init=True,
    deterministic=True,
    max_dim=None,
    name=None,
):
    """Declare what a k-means function claims, for ``kmeans-harness verify``.

    Usage::

        @harness.target(claims="fixed-point", precision="float32")
        def fit(X, k, *, init=None, seed=None):
            ...
            return centers, labels

    Without the decorator a target gets :data:`DEFAULT_DECLARATION`.

    Parameters
    ----------
    fn : callable, optional
        The function (or estimator class) to declare; given when the decorator is used bare
        (``@harness.target``).
    claims : {"fixed-point", "approximate", "global-optimum"}
        What its solutions are (see :data:`CLAIMS`); decides which checks apply.
    precision : {"float64", "float32"}
        Working precision; its unit roundoff scales every tolerance (:mod:`harness.numerics.tolerances`).
    honours_init : bool
        Whether a given ``init`` is the start of the run (the restart checks need it).
    deterministic : bool
        Whether the same ``seed`` gives the same answer (the ``deterministic`` check).
    max_dim : int, optional
        The largest dimension the target supports; None for any.
    name : str, optional
        The name shown in reports (default: the spec or the function's qualified name).

    Returns
    -------
    callable
        ``fn`` itself, with the declaration attached (or a decorator, when ``fn`` is None).

    Raises
    ------
    harness.InvalidArgument
        If ``claims`` or ``precision`` is not one of the values above.
    """
    declaration = {
        "claims": claims,
        "precision": precision,
        "honours_init": bool(honours_init),
        "deterministic": bool(deterministic),
        "max_dim": max_dim,
        "name": name,
    }
    Target("check", lambda *a, **k: None, claims=claims, precision=precision)  # validate early

    def wrap(f):
        f.__kmeans_harness__ = declaration
        return f

    return wrap(fn) if fn is not None else wrap
