"""Adapting a scikit-learn-style estimator (class, or instance to clone) to the target protocol
``fit(X, k, *, init=None, seed=None)``.  Configures the estimator; never patches it."""

from __future__ import annotations

import inspect
from collections.abc import Callable

__all__ = ["estimator_fit", "is_estimator"]


def _is_estimator_class(obj) -> bool:
    return inspect.isclass(obj) and hasattr(obj, "fit")


def _is_estimator_instance(obj) -> bool:
    return not inspect.isclass(obj) and hasattr(obj, "fit") and hasattr(obj, "get_params")


def is_estimator(obj) -> bool:
    """Whether ``obj`` is a scikit-learn-style estimator class or instance."""
    return _is_estimator_class(obj) or _is_estimator_instance(obj)


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
