"""Exceptions shared by every layer of the harness.

Nothing here imports numba, Hypothesis or a target; any module may import it.
"""

from __future__ import annotations

from types import ModuleType


class InvalidArgument(ValueError):
    """A public function was given a value it cannot work with.

    The message names the parameter, the value received and what was expected.
    """


class MissingDependency(ImportError):
    """An optional dependency is not installed; the message says which ``pip install`` fixes it."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{purpose} needs the optional package {package!r}, which is not installed; "
            f"install it with: pip install 'kmeans-harness[{extra}]'  (or: pip install {package})"
        )


class TargetLoadError(Exception):
    """A target spec could not be resolved to a usable k-means implementation."""


class PropertyFailure(AssertionError):
    """A property of the suite does not hold for a fit.

    Carries the numbers that broke it: ``details`` maps names to values (both sides of the
    violated inequality, the index of the offending point or center, ...).
    """

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotApplicable(Exception):
    """A check does not apply to this case or target (counted as passed); the message says why."""


def require(module_name: str, extra: str, purpose: str) -> ModuleType:
    """Import an optional module or raise :class:`MissingDependency` naming the fix."""
    import importlib

    try:
        return importlib.import_module(module_name)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        package = {
            "sklearn": "scikit-learn",
            "faiss": "faiss-cpu",
            "dask": "dask[distributed]",
        }.get(module_name.split(".")[0], module_name.split(".")[0])
        raise MissingDependency(package, extra, purpose) from exc
