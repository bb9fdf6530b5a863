"""The ``Case`` record: one fully reproducible verification input (mixture, sample, k, init).

A case is rebuilt from its JSON record alone (``Case.from_record``), which is what
``kmeans-harness verify --replay`` does; Hypothesis's internal state is never needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from harness.errors import InvalidArgument
from harness.theory.models import Mixture, mixture_from_record

#: Initialisations a case may carry, simplest first (Hypothesis shrinks toward the first).
INIT_KINDS = (
    "truth",  # the true centers (padded/truncated when k differs from the number of true clusters)
    "k-means++",  # greedy k-means++ from the case's init seed
    "random",  # k distinct data rows
    "fixed-point",  # a Lloyd fixed point with no empty cluster (our reference Lloyd from k-means++)
    "duplicated",  # k-means++ with some rows duplicated
    "one-cluster",  # every center inside a single true cluster
    "far",  # some centers far outside the data (their cells start empty)
    "none",  # no init: the target seeds itself from ``seed``
)

#: Where the distinct rows of a degenerate case sit (``Case.duplicates_order``); "first" is the old order.
DUPLICATES_ORDERS = ("first", "scattered")


@dataclass(frozen=True, eq=False)
class Case:
    """One input: the data ``X`` (n, d) float64 sampled from ``mixture`` with ``sample_seed``, the
    number of centers ``k`` (may differ from ``mixture.k``) and the start ``init`` (k, d) or None.

    ``distinct_points``, when set, keeps only that many distinct rows (the sample's first rows,
    repeated unequally), for degenerate inputs with fewer distinct points than k.
    ``duplicates_order`` says where those rows sit: ``"first"`` (the m distinct rows first, then the
    repeats: the order of every record written before the field existed, so old records replay
    unchanged) or ``"scattered"`` (the same rows in an order drawn from ``sample_seed``, so that the
    distinct rows are at random positions and a shortcut that takes the first k rows is wrong).
    """

    mixture: Mixture
    n: int
    k: int
    sample_seed: int
    init_kind: str = "k-means++"
    init_seed: int = 0
    stratified: bool = False
    distinct_points: int | None = None
    init: np.ndarray | None = field(default=None, repr=False)
    grid_step: float | None = None
    duplicates_order: str = "first"

    def __post_init__(self):
        if self.duplicates_order not in DUPLICATES_ORDERS:
            raise InvalidArgument(
                f"duplicates_order: expected one of {DUPLICATES_ORDERS}, got {self.duplicates_order!r}"
            )

    @cached_property
    def sample(self):
        X, y = self.mixture.sample(self.n, self.sample_seed, stratified=self.stratified)
        if self.grid_step is not None:
            # snap to a lattice: duplicate points and exact ties between centers
            X = np.round(X / self.grid_step) * self.grid_step
        if self.distinct_points is not None:
            # the first m rows once each, then row 0 for half the rest and the m rows cyclically for the
            # other half: fewer distinct points than k, repeated *unequally* (equal repetition would
            # hide a bug that drops multiplicities)
            m, rest = self.distinct_points, max(self.n - self.distinct_points, 0)
            idx = np.concatenate(
                [np.arange(min(m, self.n)), np.zeros(rest // 2, dtype=np.int64), np.arange(rest - rest // 2) % m]
            )
            if self.duplicates_order == "scattered":
                idx = np.random.default_rng([self.sample_seed, 1]).permutation(idx)
            X, y = X[idx], y[idx]
        X.setflags(write=False)
        y.setflags(write=False)
        return X, y

    @property
    def X(self) -> np.ndarray:
        """The data, read-only; pass ``X.copy()`` to a target."""
        return self.sample[0]

    @property
    def true_labels(self) -> np.ndarray:
        return self.sample[1]

    @property
    def dim(self) -> int:
        return self.mixture.dim

    @property
    def seed(self) -> int:
        """The seed handed to the target (for its own seeding when ``init`` is None)."""
        return self.init_seed

    def to_record(self) -> dict:
        return {
            "mixture": self.mixture.to_record(),
            "n": self.n,
            "k": self.k,
            "sample_seed": self.sample_seed,
            "stratified": self.stratified,
            "distinct_points": self.distinct_points,
            "init_kind": self.init_kind,
            "init_seed": self.init_seed,
            "init": None if self.init is None else np.asarray(self.init).tolist(),
            "grid_step": self.grid_step,
            "duplicates_order": self.duplicates_order,
        }

    @classmethod
    def from_record(cls, record: dict) -> Case:
        try:
            init = record.get("init")
            return cls(
                mixture=mixture_from_record(record["mixture"]),
                n=int(record["n"]),
                k=int(record["k"]),
                sample_seed=int(record["sample_seed"]),
                init_kind=str(record.get("init_kind", "none" if init is None else "given")),
                init_seed=int(record.get("init_seed", 0)),
                stratified=bool(record.get("stratified", False)),
                distinct_points=record.get("distinct_points"),
                init=None if init is None else np.array(init, dtype=np.float64),
                grid_step=None if record.get("grid_step") is None else float(record["grid_step"]),
                duplicates_order=str(record.get("duplicates_order", "first")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgument(
                f"case record: missing or malformed field ({exc}); expected a case written by verify --json"
            ) from exc

    @classmethod
    def load(cls, path: str) -> Case:
        """Read a case from a JSON file: a bare case record, or a verify report (its first failing case)."""
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as exc:
            raise InvalidArgument(f"replay: cannot read {path!r}: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise InvalidArgument(f"replay: {path!r} is not JSON ({exc})") from exc
        if isinstance(data, dict) and "checks" in data:
            cases = [c["case"] for c in data["checks"] if c.get("case")]
            if not cases:
                raise InvalidArgument(f"replay: the report {path!r} holds no failing case")
            data = cases[0]
        if isinstance(data, dict) and "case" in data and "mixture" not in data:
            data = data["case"]
        return cls.from_record(data)

    def describe(self) -> str:
        extra = f", distinct_points={self.distinct_points}" if self.distinct_points is not None else ""
        extra += (
            f" ({self.duplicates_order})"
            if self.distinct_points is not None and self.duplicates_order != "first"
            else ""
        )
        extra += f", grid_step={self.grid_step:g}" if self.grid_step is not None else ""
        return (
            f"{self.mixture.describe()}; n={self.n}, k={self.k}, sample_seed={self.sample_seed}"
            f"{', stratified' if self.stratified else ''}{extra}; init={self.init_kind} (init_seed={self.init_seed})"
        )
