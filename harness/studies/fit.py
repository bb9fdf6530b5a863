"""One fit of a target on a mixture sample, with its objective beside the ground truth's: what the
``fit`` command reports.  Takes an opened runner; the target's own failure propagates."""

from __future__ import annotations

import math
import time

import numpy as np

from harness.errors import InvalidArgument
from harness.numerics.kernels import objective
from harness.provenance import versions
from harness.targets.runner import Runner
from harness.theory.models import Mixture
from harness.theory.structure import centroid_index

__all__ = ["WARMUP_POINTS", "fit_data", "fit_sample", "warm_up"]

#: Points in the warm-up call: enough for every k the command accepts to have its own rows, few enough
#: that the call costs its compilation (or cache load) and almost nothing else.
WARMUP_POINTS = 2000


def _finite_or_none(x):
    return x if x is not None and math.isfinite(x) else None


def warm_up(runner: Runner, X: np.ndarray, k: int, *, seed: int = 0) -> tuple[float, int]:
    """One untimed-for-the-record call on the first ``max(k, WARMUP_POINTS)`` rows of ``X`` with the
    same ``k`` and dimension, so that numba compiles (or loads from its cache) the very kernels the
    timed fit runs: the dense or bounded driver is picked by ``k·d``, which the warm-up shares.
    Returns (seconds, points).  A failure here is left for the real fit to report."""
    m = min(len(X), max(k, WARMUP_POINTS))
    started = time.perf_counter()
    try:
        runner.fit(np.ascontiguousarray(X[:m]), k, seed=seed)
    except Exception:  # noqa: BLE001 - the timed fit below meets (and reports) the same failure
        pass
    return time.perf_counter() - started, m


def fit_sample(
    runner: Runner, *, mixture: Mixture, n: int, k: int, seed: int = 0, load_seconds: float | None = None
) -> dict:
    """Sample ``n`` points of ``mixture`` with ``seed``, fit ``runner``'s target with ``k`` centers
    (seeded by ``seed``) and return the fit's report (schema 1 of the ``fit`` command's JSON).

    Parameters
    ----------
    runner : Runner
        The opened target.
    mixture : Mixture
        The generative model (:mod:`harness.theory.models`).
    n, k : int
        Points and centers to fit, 1 ≤ k ≤ n.
    seed : int
        Seeds the sample and the fit.

    load_seconds : float, optional
        How long opening ``runner`` took (the import, the worker's start), reported apart.

    The fit's ``seconds`` is the target's call alone: a warm-up call on a subsample first pays for
    numba's compilation (or cache load), reported as ``warmup_seconds``.

    Raises
    ------
    harness.InvalidArgument
        If k is not in [1, n].
    harness.targets.failures.TargetAborted, TargetRaised, BadOutput
        The target's own failure.
    """
    if not (isinstance(k, int) and isinstance(n, int) and 1 <= k <= n):
        raise InvalidArgument(f"k: expected 1 <= k <= n = {n} centers, got {k!r}")
    X, _ = mixture.sample(n, seed)
    warmup_seconds, warmup_points = warm_up(runner, X, k, seed=seed)
    fit = runner.fit(X, k, seed=seed)
    centers = np.asarray(fit.centers, dtype=np.float64)
    fit_objective = objective(X, centers) if centers.shape == (k, X.shape[1]) else float("nan")
    truth_objective = objective(X, mixture.centers)
    return {
        "schema_version": 1,
        "command": "fit",
        "target": runner.target.record(),
        "mixture": mixture.to_record() | {"separation_ratio_min": _finite_or_none(mixture.separation_ratio_min)},
        "n": n,
        "k": k,
        "seed": seed,
        "objective": _finite_or_none(fit_objective),
        "truth_objective": truth_objective,
        "objective_ratio": _finite_or_none(fit_objective / truth_objective) if truth_objective > 0 else None,
        "n_iter": fit.n_iter,
        "converged": fit.converged,
        "seconds": fit.seconds,
        "load_seconds": load_seconds,
        "warmup_seconds": warmup_seconds,
        "warmup_points": warmup_points,
        "versions": versions(),
    }


def fit_data(
    runner: Runner,
    X: np.ndarray,
    *,
    k: int,
    seed: int = 0,
    labels: np.ndarray | None = None,
    data: dict | None = None,
    load_seconds: float | None = None,
) -> dict:
    """Fit ``runner``'s target on the user's data ``X`` (n, d) float64 with ``k`` centers (seeded by
    ``seed``) and return the ``fit`` command's report.  With a reference partition ``labels`` (n,),
    the objective at its cell means is reported beside the fit's, and with as many cells as ``k``,
    the Centroid Index of the fit against those means.  ``data`` is the file's record (path, SHA-256,
    rows used, subsample seed)."""
    n = X.shape[0]
    if not (isinstance(k, int) and 1 <= k <= n):
        raise InvalidArgument(f"--k: expected 1 <= k <= n = {n} rows, got {k!r}")
    warmup_seconds, warmup_points = warm_up(runner, X, k, seed=seed)
    fit = runner.fit(X, k, seed=seed)
    centers = np.asarray(fit.centers, dtype=np.float64)
    fit_objective = objective(X, centers) if centers.shape == (k, X.shape[1]) else float("nan")
    reference_objective = ratio = centroid = None
    if labels is not None:
        cells = [j for j in range(int(labels.max()) + 1) if np.any(labels == j)]
        means = np.array([X[labels == j].mean(axis=0) for j in cells])
        reference_objective = objective(X, means)
        ratio = _finite_or_none(fit_objective / reference_objective) if reference_objective > 0 else None
        if len(cells) == k and centers.shape == means.shape and np.all(np.isfinite(centers)):
            centroid = int(centroid_index(centers, means))
    return {
        "schema_version": 1,
        "command": "fit",
        "target": runner.target.record(),
        "data": data or {},
        "n": n,
        "k": k,
        "seed": seed,
        "objective": _finite_or_none(fit_objective),
        "reference_objective": reference_objective,
        "objective_ratio": ratio,
        "centroid_index": centroid,
        "n_iter": fit.n_iter,
        "converged": fit.converged,
        "seconds": fit.seconds,
        "load_seconds": load_seconds,
        "warmup_seconds": warmup_seconds,
        "warmup_points": warmup_points,
        "versions": versions(),
    }
