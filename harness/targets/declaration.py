"""What a target declares about itself: its claims, precision, whether it honours ``init`` and is
deterministic, and its limitations (the largest dimension, the smallest k, whether it needs n > k,
what it does with an empty cluster); the ``@harness.target`` decorator that attaches a declaration,
and :class:`Target`, a callable with its declaration."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.errors import InvalidArgument
from harness.targets.fit import Fit, normalise_output

__all__ = ["CLAIMS", "DECLARATION_KEYWORDS", "DEFAULT_DECLARATION", "EMPTY_CLUSTERS", "PRECISIONS", "Target", "target"]

#: What a target may claim about the solutions it returns.
#: ``fixed-point``: a Lloyd fixed point (Lemma 2) whenever it reports convergence;
#: ``approximate``: only a good clustering (mini-batch, sampling); checked for the contract and determinism only;
#: ``global-optimum``: the exact minimiser of eq. (1) (e.g. kmeans1d in one dimension).
CLAIMS = ("fixed-point", "approximate", "global-optimum")

PRECISIONS = ("float64", "float32")

#: What a target computes: a k-means answer (centers and labels), or a seeding (k initial centers,
#: ``fn(X, k, *, seed=None)``, in the order chosen; judged by properties.seeding_checks).
KINDS = ("kmeans", "seeding")

#: The law a seeding target declares it samples: Arthur and Vassilvitskii's D² sampling, the
#: greedy variant (2 + ⌊ln k⌋ D² candidates, the one lowering the potential most kept; scikit-learn's
#: and this project's "k-means++"), or k distinct rows uniformly.
SEEDING_METHODS = ("plain-k-means++", "greedy-k-means++", "random")

#: What a target does when a cluster loses all its points during a run.
#: ``keep``: the center stays where it was; ``relocate``: it is moved (to a far point, a split of
#: another cluster, ...), k centers come back either way; ``drop``: fewer than k centers come back
#: and the labels index the kept ones; ``raise``: the target raises.  ``drop`` and ``raise`` excuse
#: only the cases where a cell must empty (properties.limitations), never any other.
EMPTY_CLUSTERS = ("keep", "relocate", "drop", "raise")

#: Defaults for a target that declares nothing: a float64 Lloyd fixed point that honours ``init``
#: and is deterministic given ``seed`` — what any Lloyd implementation should be.
DEFAULT_DECLARATION = {
    "claims": "fixed-point",
    "precision": "float64",
    "honours_init": True,
    "deterministic": True,
}

#: Every keyword ``@harness.target`` accepts; anything else is refused by name.
DECLARATION_KEYWORDS = (
    "claims",
    "precision",
    "honours_init",
    "deterministic",
    "max_dim",
    "min_k",
    "needs_n_greater_than_k",
    "empty_clusters",
    "kind",
    "method",
    "name",
)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


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
    min_k: int = 1  # the smallest k it accepts (cases with fewer centers are not applicable)
    needs_n_greater_than_k: bool = False  # cases with n <= k are not applicable
    empty_clusters: str = "keep"  # one of EMPTY_CLUSTERS
    kind: str = "kmeans"  # one of KINDS
    method: str | None = None  # a seeding target's law, one of SEEDING_METHODS

    def __post_init__(self):
        if self.claims not in CLAIMS:
            raise InvalidArgument(f"claims: expected one of {CLAIMS}, got {self.claims!r}")
        if self.precision not in PRECISIONS:
            raise InvalidArgument(f"precision: expected one of {PRECISIONS}, got {self.precision!r}")
        for flag in ("honours_init", "deterministic", "needs_n_greater_than_k"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise InvalidArgument(f"{flag}: expected True or False, got {getattr(self, flag)!r}")
        if self.max_dim is not None and not (_is_int(self.max_dim) and self.max_dim >= 1):
            raise InvalidArgument(f"max_dim: expected a positive int or None (any dimension), got {self.max_dim!r}")
        if not (_is_int(self.min_k) and self.min_k >= 1):
            raise InvalidArgument(f"min_k: expected an int >= 1, got {self.min_k!r}")
        if self.empty_clusters not in EMPTY_CLUSTERS:
            raise InvalidArgument(f"empty_clusters: expected one of {EMPTY_CLUSTERS}, got {self.empty_clusters!r}")
        if self.kind not in KINDS:
            raise InvalidArgument(f"kind: expected one of {KINDS}, got {self.kind!r}")
        if self.kind == "seeding" and self.method not in SEEDING_METHODS:
            raise InvalidArgument(f"method: a seeding target declares one of {SEEDING_METHODS}, got {self.method!r}")
        if self.kind == "kmeans" and self.method is not None:
            raise InvalidArgument(f"method: only a kind='seeding' target declares a method, got {self.method!r}")

    def limitation(self, n: int, k: int, dim: int) -> tuple[str, str] | None:
        """``(keyword, reason)`` when a case of ``n`` points, ``k`` centers and dimension ``dim`` is
        outside what the target declares it supports (``min_k``, ``needs_n_greater_than_k``,
        ``max_dim``), else None; decided from the declaration alone, before the target is called."""
        if k < self.min_k:
            return "min_k", f"the target declares min_k={self.min_k}; this case has k = {k}"
        if self.needs_n_greater_than_k and n <= k:
            reason = f"the target declares needs_n_greater_than_k; this case has n = {n} <= k = {k}"
            return "needs_n_greater_than_k", reason
        if self.max_dim is not None and dim > self.max_dim:
            return "max_dim", f"the target declares max_dim={self.max_dim}; this case has d = {dim}"
        return None

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
            "min_k": self.min_k,
            "needs_n_greater_than_k": self.needs_n_greater_than_k,
            "empty_clusters": self.empty_clusters,
            "kind": self.kind,
            "method": self.method,
        }

    @classmethod
    def from_record(cls, record: dict, fit: Callable, description: str = "") -> Target:
        """The declaration :meth:`record` wrote (a worker's), with ``fit`` as its callable."""
        fields = {key: record[key] for key in DECLARATION_KEYWORDS if key != "name" and key in record}
        return cls(name=record["name"], fit=fit, description=description, **fields)


def target(fn=None, **declaration):
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
        The largest dimension the target supports; None for any.  Larger cases are not drawn.
    min_k : int, default 1
        The smallest k the target accepts; cases with fewer centers are not applicable.
    needs_n_greater_than_k : bool, default False
        Whether the target needs more points than centers; cases with n <= k are not applicable.
    empty_clusters : {"keep", "relocate", "drop", "raise"}, default "keep"
        What the target does when a cluster loses all its points (see :data:`EMPTY_CLUSTERS`).
        ``"drop"`` and ``"raise"`` are excused only on cases where our reference Lloyd from the same
        init empties a cell (or every answer must have an empty cell); elsewhere they still fail.
    kind : {"kmeans", "seeding"}, default "kmeans"
        ``"seeding"``: ``fn(X, k, *, seed=None)`` returns k initial centers (rows of X) in the order
        chosen; ``verify`` runs the seeding checks on it (properties.seeding_checks).
    method : {"plain-k-means++", "greedy-k-means++", "random"}, optional
        The law a seeding target samples (see :data:`SEEDING_METHODS`); required with ``kind="seeding"``.
    name : str, optional
        The name shown in reports (default: the spec or the function's qualified name).

    Returns
    -------
    callable
        ``fn`` itself, with the declaration attached (or a decorator, when ``fn`` is None).

    Raises
    ------
    harness.InvalidArgument
        If a keyword is not one of the above, or a value is not one the keyword accepts.
    """
    unknown = sorted(set(declaration) - set(DECLARATION_KEYWORDS))
    if unknown:
        raise InvalidArgument(
            f"target: unknown keyword {unknown[0]!r}; expected some of {', '.join(DECLARATION_KEYWORDS)}"
        )
    name = declaration.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidArgument(f"name: expected a string, got {name!r}")
    fields = {key: value for key, value in declaration.items() if key != "name"}
    Target("check", lambda *a, **k: None, **fields)  # validate early, naming the keyword and the value
    declaration = {"name": name, **fields}

    def wrap(f):
        f.__kmeans_harness__ = declaration
        return f

    return wrap(fn) if fn is not None else wrap
