"""The ``DataCase`` record: one verification input drawn from a user's data file (path, SHA-256,
subsample seed and size, k, init), rebuilt exactly from its record for replay -- and refused when the
file has changed since.

It stands where a :class:`~harness.cases.case.Case` stands for the checks (``X``, ``k``, ``init``,
``seed``, ``dim``); what only a generative model has (``mixture``, the true partition without a
reference) raises NotApplicable, so a check that needs it is not-applicable, with the reason.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from harness.cases.data_file import Dataset, file_sha256, read_data
from harness.errors import InvalidArgument, NotApplicable

__all__ = ["DATA_INIT_KINDS", "DEFAULT_ROW_LIMIT", "DataCase", "subsample_rows"]

#: Starts a data case may carry, simplest first (Hypothesis shrinks toward the first).  "truth" (the
#: reference partition's cell means) only when a reference partition with k cells is given.
DATA_INIT_KINDS = ("k-means++", "random", "fixed-point", "truth", "duplicated", "far", "none")

#: Above this many rows a command works on a subsample of this size, drawn with a recorded seed
#: (``fit``, ``bench``, and verify's whole-data example); verify's drawn cases are far smaller.
DEFAULT_ROW_LIMIT = 200_000


def subsample_rows(n: int, size: int, seed: int) -> np.ndarray:
    """``size`` distinct row indices of ``range(n)``, sorted (a memory map is read in order), drawn
    with ``seed``; all rows when ``size >= n``."""
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


@dataclass(frozen=True, eq=False)
class DataCase:
    """``size`` rows of the dataset at ``path`` (SHA-256 ``sha256``), drawn with ``subsample_seed``
    (all rows when ``size`` is the file's row count), ``k`` centers and the start ``init``."""

    path: str
    sha256: str
    size: int
    subsample_seed: int
    k: int
    init_kind: str = "k-means++"
    init_seed: int = 0
    init: np.ndarray | None = field(default=None, repr=False)
    reference: str | None = None  # how the reference partition was given (recorded, re-read on replay)
    dataset: Dataset | None = field(default=None, repr=False, compare=False)

    @cached_property
    def _loaded(self) -> Dataset:
        if self.dataset is not None:
            return self.dataset
        return _open(self.path, self.sha256, self.reference)

    @cached_property
    def rows(self) -> np.ndarray:
        return subsample_rows(self._loaded.n, self.size, self.subsample_seed)

    @cached_property
    def X(self) -> np.ndarray:
        """The subsample, float64, read-only; pass ``X.copy()`` to a target."""
        X = np.ascontiguousarray(self._loaded.X[self.rows], dtype=np.float64)
        X.setflags(write=False)
        return X

    @property
    def n(self) -> int:
        return self.size

    @property
    def dim(self) -> int:
        return self._loaded.dim

    @property
    def seed(self) -> int:
        return self.init_seed

    @property
    def mixture(self):
        raise NotApplicable("needs a generative model (the theorem's mixture); a data file has none")

    @property
    def true_labels(self) -> np.ndarray:
        if self._loaded.labels is None:
            raise NotApplicable("needs the true partition; give a reference partition (--reference)")
        return self._loaded.labels[self.rows]

    def to_record(self) -> dict:
        return {
            "data": {
                "path": self.path,
                "sha256": self.sha256,
                "rows_in_file": self._loaded.n,
                "reference": self.reference,
            },
            "n": self.size,
            "subsample_seed": self.subsample_seed,
            "k": self.k,
            "init_kind": self.init_kind,
            "init_seed": self.init_seed,
            "init": None if self.init is None else np.asarray(self.init).tolist(),
        }

    @classmethod
    def from_record(cls, record: dict, *, dataset: Dataset | None = None) -> DataCase:
        """Rebuild a case; the file must still have the recorded SHA-256 (else InvalidArgument)."""
        try:
            data = record["data"]
            init = record.get("init")
            case = cls(
                path=str(data["path"]),
                sha256=str(data["sha256"]),
                size=int(record["n"]),
                subsample_seed=int(record["subsample_seed"]),
                k=int(record["k"]),
                init_kind=str(record.get("init_kind", "none" if init is None else "given")),
                init_seed=int(record.get("init_seed", 0)),
                init=None if init is None else np.array(init, dtype=np.float64),
                reference=data.get("reference"),
                dataset=dataset,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgument(
                f"data case record: missing or malformed field ({exc}); expected a case written by verify --data"
            ) from exc
        if dataset is not None and dataset.sha256 != case.sha256:
            raise InvalidArgument(_changed(case.path, case.sha256, dataset.sha256))
        return case

    @staticmethod
    def is_record(record) -> bool:
        return isinstance(record, dict) and isinstance(record.get("data"), dict) and "mixture" not in record

    @classmethod
    def load(cls, path: str, *, dataset: Dataset | None = None) -> DataCase:
        """Read a data case from a case file or a verify --data report (its first failing case)."""
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as exc:
            raise InvalidArgument(f"--replay: cannot read {path!r}: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise InvalidArgument(f"--replay: {path!r} is not JSON ({exc})") from exc
        if isinstance(data, dict) and "checks" in data:
            cases = [c["case"] for c in data["checks"] if c.get("case")]
            if not cases:
                raise InvalidArgument(f"--replay: the report {path!r} holds no failing case")
            data = cases[0]
        if isinstance(data, dict) and "case" in data:
            data = data["case"]
        if not cls.is_record(data):
            raise InvalidArgument(f"--replay: {path!r} is not a data case (no 'data' record); replay it without --data")
        return cls.from_record(data, dataset=dataset)

    def describe(self) -> str:
        whole = (
            "all rows" if self.size >= self._loaded.n else f"{self.size} rows (subsample_seed={self.subsample_seed})"
        )
        return (
            f"{os.path.basename(self.path)} (sha256 {self.sha256[:12]}): {whole} of {self._loaded.n}, d={self.dim}, "
            f"k={self.k}; init={self.init_kind} (init_seed={self.init_seed})"
        )


def _changed(path: str, recorded: str, now: str) -> str:
    return (
        f"--replay: the data file {path!r} has changed since the case was recorded (sha256 {recorded[:12]}..., "
        f"now {now[:12]}...); a replay needs the very same file"
    )


def _open(path: str, sha256: str, reference: str | None) -> Dataset:
    if not os.path.isfile(path):
        raise InvalidArgument(f"--replay: the recorded data file {path!r} does not exist")
    now = file_sha256(path)
    if now != sha256:
        raise InvalidArgument(_changed(path, sha256, now))
    if reference is None:
        return read_data(path)
    if reference.startswith("column "):
        return read_data(path, reference_column=reference[len("column ") :].strip("'\""))
    return read_data(path, reference=reference)
