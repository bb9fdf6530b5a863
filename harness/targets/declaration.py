"""Targets: any k-means implementation, plugged in by name, behind one calling convention.

A target is called as ``fit(X, k, *, init=None, seed=None)`` and its answer is normalised to a
:class:`Fit`.  This module holds the protocol, the ``@target`` declaration, the registry of
built-ins and the loader of specs; the peers' adapters live in :mod:`harness.targets.peers`.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.errors import InvalidArgument, MissingDependency, TargetLoadError

__all__ = ["Fit", "Target", "target", "load_target", "BUILTINS", "builtin_names", "CLAIMS", "PRECISIONS"]

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
class Fit:
    """What a target returned for one call, normalised.

    ``centers : (k, d) float64`` and ``labels : (n,) int64`` as returned (converted, never
    corrected); ``raw_centers`` / ``raw_labels`` keep the original objects for the contract check;
    ``converged`` / ``n_iter`` are ``None`` when the target does not say.
    """

    centers: Any
    labels: Any
    converged: bool | None = None
    n_iter: int | None = None
    seconds: float = 0.0
    raw_centers: Any = field(default=None, repr=False)
    raw_labels: Any = field(default=None, repr=False)
    input_unchanged: bool = True
    #: which of the caller's arrays the target modified in place (``"X"``, ``"init"``)
    modified_inputs: tuple = ()


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


def _field(out, name):
    if isinstance(out, Mapping):
        return out.get(name)
    return getattr(out, name, None)


def modified_inputs(X, X_before, init, init_before) -> tuple:
    """The names (``"X"``, ``"init"``) of the caller's arrays that a call changed in place."""
    pairs = (("X", X, X_before), ("init", init, init_before))
    return tuple(name for name, now, before in pairs if before is not None and not np.array_equal(now, before))


def normalise_output(out, seconds: float = 0.0) -> Fit:
    """Accept ``(centers, labels)``, a mapping or an object with ``centers``/``labels`` (or
    scikit-learn's ``cluster_centers_``/``labels_``) and optional ``converged``/``n_iter``."""
    converged = n_iter = None
    if isinstance(out, tuple) and len(out) == 2:
        centers, labels = out
    elif isinstance(out, (Mapping, object)) and (
        _field(out, "centers") is not None or _field(out, "cluster_centers_") is not None
    ):
        centers = _field(out, "centers")
        if centers is None:
            centers = _field(out, "cluster_centers_")
        labels = _field(out, "labels")
        if labels is None:
            labels = _field(out, "labels_")
        converged = _field(out, "converged")
        n_iter = _field(out, "n_iter")
        if n_iter is None:
            n_iter = _field(out, "n_iter_")
    else:
        raise TypeError(
            "target returned "
            f"{type(out).__name__}; expected (centers, labels), a mapping or an object with "
            "'centers' and 'labels'"
        )
    return Fit(
        centers=centers,
        labels=labels,
        converged=None if converged is None else bool(converged),
        n_iter=None if n_iter is None else int(n_iter),
        seconds=seconds,
        raw_centers=centers,
        raw_labels=labels,
    )


# ------------------------------------------------------------------------------------------------
# Adapters for scikit-learn-style estimators


def _is_estimator_class(obj) -> bool:
    return inspect.isclass(obj) and hasattr(obj, "fit")


def _is_estimator_instance(obj) -> bool:
    return not inspect.isclass(obj) and hasattr(obj, "fit") and hasattr(obj, "get_params")


def estimator_fit(factory) -> Callable:
    """Adapt a scikit-learn-style estimator (class, or instance to clone) to the protocol: set
    ``n_clusters``, ``init`` (the given array, else its own default), ``random_state`` and, when
    accepted, ``n_init=1``; read ``cluster_centers_``, ``labels_`` and ``n_iter_``."""

    def make():
        if inspect.isclass(factory):
            return factory()
        params = factory.get_params()
        return type(factory)(**params)

    accepted = set(make().get_params()) if hasattr(make(), "get_params") else set()

    def fit(X, k, *, init=None, seed=None):
        est = make()
        params = {"n_clusters": k}
        if "random_state" in accepted:
            params["random_state"] = seed
        if init is not None and "init" in accepted:
            params["init"] = init
        if "n_init" in accepted:
            params["n_init"] = 1
        est.set_params(**params)
        est.fit(X)
        max_iter = getattr(est, "max_iter", None)
        n_iter = getattr(est, "n_iter_", None)
        converged = None
        if n_iter is not None and max_iter is not None:
            converged = int(n_iter) < int(max_iter)
        return {"centers": est.cluster_centers_, "labels": est.labels_, "n_iter": n_iter, "converged": converged}

    return fit


# ------------------------------------------------------------------------------------------------
# The registry of built-ins


@dataclass(frozen=True)
class Builtin:
    name: str
    factory: str  # "module:function" returning a Target
    requires: tuple  # (import name, extra)
    description: str


BUILTINS = {
    b.name: b
    for b in [
        Builtin("lloyd", "harness.targets.peers:lloyd_target", (), "ours: numba Lloyd to an exact fixed point"),
        Builtin(
            "sklearn", "harness.targets.peers:sklearn_target", ("sklearn", "peers"), "scikit-learn KMeans, Lloyd, tol=0"
        ),
        Builtin(
            "sklearn-elkan",
            "harness.targets.peers:sklearn_elkan_target",
            ("sklearn", "peers"),
            "scikit-learn KMeans, Elkan, tol=0",
        ),
        Builtin(
            "sklearn-minibatch",
            "harness.targets.peers:sklearn_minibatch_target",
            ("sklearn", "peers"),
            "scikit-learn MiniBatchKMeans (approximate)",
        ),
        Builtin(
            "scipy", "harness.targets.peers:scipy_target", ("scipy", "core"), "scipy.cluster.vq.kmeans2, minit='matrix'"
        ),
        Builtin(
            "faiss", "harness.targets.peers:faiss_target", ("faiss", "peers"), "faiss.Kmeans (float32), no subsampling"
        ),
        Builtin(
            "kmeans1d", "harness.targets.peers:kmeans1d_target", ("kmeans1d", "peers"), "kmeans1d: exact 1-D optimum"
        ),
    ]
}


def builtin_names():
    return list(BUILTINS)


def builtin_available(name: str):
    """``(True, "")`` or ``(False, reason with the pip install that fixes it)``."""
    b = BUILTINS[name]
    if not b.requires:
        return True, ""
    module, extra = b.requires
    if importlib.util.find_spec(module) is None:
        return False, str(
            MissingDependency(
                {"sklearn": "scikit-learn", "faiss": "faiss-cpu"}.get(module, module), extra, f"target {name!r}"
            )
        )
    return True, ""


def _load_builtin(name: str) -> Target:
    ok, reason = builtin_available(name)
    if not ok:
        raise TargetLoadError(reason)
    module, attr = BUILTINS[name].factory.split(":")
    return getattr(importlib.import_module(module), attr)()


def _import_attr(spec: str):
    where, _, attr = spec.rpartition(":")
    if not where or not attr:
        raise TargetLoadError(
            f"target {spec!r}: expected a built-in name ({', '.join(BUILTINS)}), 'package.module:attr' "
            "or 'path/to/file.py:attr'"
        )
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise TargetLoadError(f"target {spec!r}: file {where!r} does not exist")
        mod_name = "kmeans_harness_target_" + os.path.splitext(os.path.basename(path))[0]
        module_spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[mod_name] = module
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            raise TargetLoadError(f"target {spec!r}: importing {where!r} raised {type(exc).__name__}: {exc}") from exc
    else:
        try:
            module = importlib.import_module(where)
        except Exception as exc:
            raise TargetLoadError(
                f"target {spec!r}: cannot import module {where!r}: {type(exc).__name__}: {exc}"
            ) from exc
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise TargetLoadError(f"target {spec!r}: {where!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def load_target(spec) -> Target:
    """Resolve a spec to a :class:`Target`: a built-in name, ``package.module:attr``,
    ``path/to/file.py:attr``, or an object (a Target, a declared/undeclared function, an estimator
    class or instance)."""
    if isinstance(spec, Target):
        return spec
    if isinstance(spec, str):
        if spec in BUILTINS:
            return _load_builtin(spec)
        obj = _import_attr(spec)
        name = spec
    else:
        obj = spec
        name = getattr(spec, "__qualname__", None) or type(spec).__name__
    if isinstance(obj, Target):
        return obj
    declaration = dict(DEFAULT_DECLARATION)
    declaration.update({k: v for k, v in (getattr(obj, "__kmeans_harness__", None) or {}).items() if v is not None})
    name = declaration.pop("name", None) or name
    if _is_estimator_class(obj) or _is_estimator_instance(obj):
        fit = estimator_fit(obj)
    elif callable(obj):
        fit = obj
    else:
        raise TargetLoadError(f"target {name!r}: {type(obj).__name__} is neither callable nor an estimator")
    return Target(name=name, fit=fit, **declaration)


def describe_float(x) -> str:
    return "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.6g}"
