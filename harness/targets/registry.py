"""The registry of built-in targets: name → factory, the optional dependency it needs, and a
one-line description.  The factories (our Lloyd and the peers' adapters) are in :mod:`harness.targets.peers`."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from harness.errors import MissingDependency

__all__ = ["BUILTINS", "Builtin", "builtin_available", "builtin_names"]


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
        Builtin("lloyd-float32", "harness.targets.peers:lloyd_float32_target", (), "ours: numba Lloyd in float32"),
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
            "sklearnex",
            "harness.targets.peers:sklearnex_target",
            ("sklearnex", "peers"),
            "scikit-learn-intelex KMeans (oneDAL Lloyd), tol=0",
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


#: The pip package of an import name, where they differ.
PACKAGES = {"sklearn": "scikit-learn", "faiss": "faiss-cpu", "sklearnex": "scikit-learn-intelex"}


def builtin_names():
    return list(BUILTINS)


def builtin_available(name: str):
    """``(True, "")`` or ``(False, reason with the pip install that fixes it)``."""
    b = BUILTINS[name]
    if not b.requires:
        return True, ""
    module, extra = b.requires
    if importlib.util.find_spec(module) is None:
        return False, str(MissingDependency(PACKAGES.get(module, module), extra, f"target {name!r}"))
    return True, ""
