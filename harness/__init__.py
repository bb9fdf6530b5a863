"""kmeans-harness: is your k-means right, how fast is it, how often does it land in a bad minimum?

Public entry points: :func:`kmeans`, :func:`lloyd`, the mixtures in :mod:`harness.models`, the
target decorator :func:`target`, and the scikit-learn estimator :class:`KMeans` (needs the ``peers``
extra).  See README.md.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from harness import config as _config  # noqa: F401  (first: quiets OpenBLAS's idle threads, see config)
from harness.clustering.kmeans import KMeansResult, kmeans, lloyd
from harness.errors import InvalidArgument, MissingDependency, PropertyFailure, require
from harness.targets.declaration import Target, target
from harness.targets.loader import load_target
from harness.theory.models import BallMixture, GaussianMixture

# The one source of the version is pyproject.toml's ``version``; the CLI's --version prints this.
try:
    __version__ = _version("kmeans-harness")
except PackageNotFoundError:  # pragma: no cover - imported from a source tree that was never installed
    __version__ = "0.0.0+unknown"


def __getattr__(name):
    if name == "KMeans":  # imported lazily: it needs scikit-learn (the peers extra)
        require("sklearn", "peers", "harness.KMeans")
        from harness.clustering.estimator import KMeans

        return KMeans
    raise AttributeError(f"module 'harness' has no attribute {name!r}")


# KMeans is public but left out of __all__, so that ``from harness import *`` works without scikit-learn.
__all__ = [
    "BallMixture",
    "GaussianMixture",
    "InvalidArgument",
    "KMeansResult",
    "MissingDependency",
    "PropertyFailure",
    "kmeans",
    "lloyd",
    "target",
    "load_target",
    "Target",
    "__version__",
]
