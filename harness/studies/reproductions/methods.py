"""The methods the blog's reproductions compare: what each runs (:data:`METHODS`) and one run of it
(:func:`run_method`).  Knows nothing of a particular experiment and prints nothing.
"""

from __future__ import annotations

import time

import numpy as np

from harness.clustering import initialisers
from harness.clustering import kmeans as api
from harness.errors import InvalidArgument

__all__ = ["METHODS", "check_methods", "run_method"]

#: What each compared method runs: an initialiser, then Lloyd unless the initialiser refines.
METHODS = {
    "random+lloyd": "random",
    "plain-k-means++ +lloyd": "plain-k-means++",
    "greedy-k-means++ +lloyd": "greedy-k-means++",
    "ward": "ward",
    "ward+polish": "ward+polish",
    "ward+lloyd": "ward+lloyd",
    "overparametrise-prune": "overparametrise-prune",
}


def check_methods(methods) -> list[str]:
    """``methods`` as a list, or :class:`InvalidArgument` unless it is a non-empty collection of
    distinct keys of :data:`METHODS`."""
    if isinstance(methods, str):
        raise InvalidArgument(f"methods: expected a list of method names, got the string {methods!r}")
    methods = list(methods)
    unknown = [m for m in methods if m not in METHODS]
    if not methods or unknown or len(set(methods)) != len(methods):
        raise InvalidArgument(
            f"methods: expected distinct names among {', '.join(METHODS)}, got {methods!r}"
            + (f" ({unknown[0]!r} is unknown)" if unknown else "")
        )
    return methods


def run_method(method: str, X: np.ndarray, k: int, seed, *, ward_labels=None):
    """``(start, final, seconds)`` centers of ``method`` (a key of :data:`METHODS`) on ``X``.

    ``ward_labels``, if given, are Ward's labels for (X, k), shared by the Ward methods of one data
    set so that the O(n²) tree is built once; their time is then not counted."""
    name = METHODS[method]
    started = time.perf_counter()
    if ward_labels is not None and name.startswith("ward"):
        start = np.array([X[ward_labels == j].mean(axis=0) for j in range(k)])
        if name == "ward+polish":
            start = initialisers.hartigan_polish(X, labels=ward_labels).centers
        elif name == "ward+lloyd":
            start = api.lloyd(X, start).centers
    else:
        start = initialisers.initialise(name, X, k, seed=np.random.default_rng(seed))
    final = start if initialisers.INITIALISERS[name].refines or name == "ward" else api.lloyd(X, start).centers
    return start, final, time.perf_counter() - started
