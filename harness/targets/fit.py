"""The record of one call of a target (:class:`Fit`) and the normalisation of whatever the target
returned into it.  Converts, never corrects: a wrong answer stays wrong for the checks to judge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Fit", "input_dtype", "modified_inputs", "normalise_output"]


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
    #: what the target wrote to its standard output and error during the call (file-descriptor level)
    output: str = field(default="", repr=False)


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


def input_dtype(a):
    """The dtype a target is handed ``a`` in: float32 and float64 arrays keep theirs, anything else is float64."""
    dtype = getattr(a, "dtype", None)
    return dtype if dtype in (np.float32, np.float64) else np.float64
