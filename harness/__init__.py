"""kmeans-harness: is your k-means right, how fast is it, how often does it land in a bad minimum?

Public entry points: :func:`kmeans`, :func:`lloyd`, the mixtures in :mod:`harness.models`, the
target decorator :func:`target`.  See README.md.
"""

from harness.api import KMeansResult, kmeans, lloyd
from harness.errors import InvalidArgument, MissingDependency, PropertyFailure
from harness.models import BallMixture, GaussianMixture

try:
    from importlib.metadata import version as _version

    __version__ = _version("kmeans-harness")
except Exception:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"


def __getattr__(name):  # targets import lazily: they pull in optional peers' adapters
    if name in ("target", "load_target", "Target"):
        from harness import targets

        return getattr(targets, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")


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
