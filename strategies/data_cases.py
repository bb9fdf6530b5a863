"""The ``data_cases`` strategy: verification inputs drawn from a user's data file
(:class:`harness.cases.data_case.DataCase`).

Hypothesis draws the subsample (its size and seed), the start and its seed; the data themselves
are the user's.  Shrinking goes toward fewer rows and the simplest start (k-means++).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.cases.data_case import DATA_INIT_KINDS, DataCase
from harness.cases.data_file import Dataset
from strategies.inits import build_init

__all__ = ["data_case", "data_cases", "data_init_kinds"]


def data_init_kinds(dataset: Dataset, k: int) -> tuple:
    """The starts that make sense for ``dataset`` and ``k``: "truth" needs a reference partition
    with exactly k cells."""
    return tuple(kind for kind in DATA_INIT_KINDS if kind != "truth" or dataset.reference_k == k)


def _truth_init(X, labels, k, init_seed):
    """The reference partition's cell means on this subsample; a cell the subsample missed starts
    at a random row."""
    rng = np.random.default_rng(init_seed)
    centers = np.empty((k, X.shape[1]))
    for j in range(k):
        members = labels == j
        centers[j] = X[members].mean(axis=0) if members.any() else X[rng.integers(len(X))]
    return centers


def data_case(dataset: Dataset, k: int, size: int, subsample_seed: int, init_kind: str, init_seed: int) -> DataCase:
    """Build a :class:`DataCase` (and its start) deterministically from its parameters."""
    case = DataCase(
        path=dataset.path,
        sha256=dataset.sha256,
        size=min(size, dataset.n),
        subsample_seed=subsample_seed,
        k=k,
        init_kind=init_kind,
        init_seed=init_seed,
        reference=dataset.reference,
        dataset=dataset,
    )
    if init_kind == "truth":
        init = _truth_init(case.X, case.true_labels, k, init_seed)
    else:
        init = build_init(init_kind, case.X, None, k, init_seed)
    return DataCase(
        path=case.path,
        sha256=case.sha256,
        size=case.size,
        subsample_seed=subsample_seed,
        k=k,
        init_kind=init_kind,
        init_seed=init_seed,
        init=init,
        reference=dataset.reference,
        dataset=dataset,
    )


def data_cases(dataset: Dataset, k: int, *, max_points: int = 400, init_kinds=None, whole_rows: int | None = None):
    """Draw a :class:`DataCase` of ``dataset``: a subsample of between ``max(2k, k + 1)`` (or all
    rows, if fewer) and ``max_points`` rows, and a start of ``init_kinds`` (default: every kind that
    applies, see :func:`data_init_kinds`).

    With ``whole_rows``, a draw may instead take the whole file (above ``whole_rows`` rows, a
    subsample of that size with seed 0): the first choice, which shrinks toward a subsample, so a
    failure on the whole file is reported whole only when no smaller subsample fails."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= dataset.n:
        raise InvalidArgument(f"k={k!r} must be an integer in [1, {dataset.n}] (the data's rows)")
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 2:
        raise InvalidArgument(f"max_points={max_points!r} must be an integer >= 2")
    kinds = tuple(init_kinds) if init_kinds is not None else data_init_kinds(dataset, k)
    unknown = [kind for kind in kinds if kind not in data_init_kinds(dataset, k)]
    if not kinds or unknown:
        raise InvalidArgument(f"init_kinds={kinds!r} must be a non-empty subset of {data_init_kinds(dataset, k)}")
    high = min(dataset.n, max(max_points, k + 1))
    low = min(high, max(2 * k, k + 1))

    whole_size = None if whole_rows is None else min(dataset.n, whole_rows)

    @st.composite
    def build(draw):
        whole = draw(st.booleans(), label="whole_file") if whole_size is not None else False
        size = draw(st.integers(low, high), label="size")
        init_kind = draw(st.sampled_from(kinds), label="init_kind")
        subsample_seed = draw(st.integers(0, 2**32 - 1), label="subsample_seed")
        init_seed = draw(st.integers(0, 2**32 - 1), label="init_seed")
        if whole:
            return data_case(dataset, k, whole_size, 0, init_kind, init_seed)
        return data_case(dataset, k, size, subsample_seed, init_kind, init_seed)

    return build()
