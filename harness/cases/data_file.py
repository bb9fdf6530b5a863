"""Reading a user's data file (``--data``): .npy (memory-mapped), .csv (header optional), .parquet
(numeric columns), with an optional reference partition (a column, or a file of labels).

It validates once, at the edge: a file that is not an (n, d) finite numeric table raises
InvalidArgument naming the file and the problem, in one line.  It fits nothing.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass, field

import numpy as np

from harness.errors import InvalidArgument, require

__all__ = ["DATA_FORMATS", "Dataset", "file_sha256", "read_data", "read_labels"]

#: The formats ``--data`` reads, by extension.
DATA_FORMATS = (".npy", ".csv", ".parquet")

#: Rows checked for NaN/infinity at a time in a memory-mapped array (bounded memory).
_FINITE_CHUNK = 1 << 16


def file_sha256(path: str) -> str:
    """The SHA-256 of the file's bytes (hex): what a data case records and a replay compares."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, eq=False)
class Dataset:
    """An (n, d) numeric table read from ``path`` (a memory map for .npy), its SHA-256, the column
    names when the file has them, and the reference partition if one was given (``labels`` (n,)
    int64 in 0..m-1, from ``reference``)."""

    path: str
    sha256: str
    X: np.ndarray = field(repr=False)
    columns: tuple = ()
    labels: np.ndarray | None = field(default=None, repr=False)
    reference: str | None = None  # "column NAME" or the labels file's path

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def dim(self) -> int:
        return int(self.X.shape[1])

    @property
    def reference_k(self) -> int | None:
        """Number of cells of the reference partition."""
        return None if self.labels is None else int(self.labels.max()) + 1

    def describe(self) -> str:
        ref = f", reference partition {self.reference} ({self.reference_k} cells)" if self.labels is not None else ""
        return f"{self.path}: {self.n} rows x {self.dim} columns, sha256 {self.sha256[:12]}{ref}"


def _fail(path: str, problem: str):
    raise InvalidArgument(f"--data: {path!r}: {problem}")


def _check_table(path: str, X: np.ndarray) -> None:
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        _fail(path, f"not a numeric array (dtype {X.dtype}); expected an (n, d) array of numbers")
    if np.issubdtype(X.dtype, np.complexfloating):
        _fail(path, "complex numbers; expected real numbers")
    if X.ndim == 1:
        _fail(path, f"a 1-D array of {X.shape[0]} values; expected (n, d): reshape it to ({X.shape[0]}, 1)")
    if X.ndim != 2:
        _fail(path, f"an array of shape {X.shape}; expected a 2-D (n, d) array")
    if X.shape[0] == 0 or X.shape[1] == 0:
        _fail(path, f"empty (shape {X.shape}); expected at least one row and one column")
    if np.issubdtype(X.dtype, np.floating):
        first, count = None, 0
        for start in range(0, X.shape[0], _FINITE_CHUNK):
            block = np.asarray(X[start : start + _FINITE_CHUNK])
            bad = ~np.isfinite(block)
            if bad.any():
                count += int(bad.sum())
                if first is None:
                    row, col = (int(v) for v in np.argwhere(bad)[0])
                    first = (start + row, col, block[row, col])
        if first is not None:
            row, col, value = first
            _fail(
                path, f"row {row}, column {col} is {value} ({count} non-finite values in all); expected finite numbers"
            )


def _read_npy(path: str) -> np.ndarray:
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
    except OSError as exc:
        _fail(path, f"cannot read it ({exc.strerror})")
    if magic != b"\x93NUMPY":
        _fail(path, "not a .npy file (no NumPy header); expected an array saved with numpy.save")
    try:
        X = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:  # object arrays need pickle; a corrupt header
        text = str(exc)
        if "allow_pickle" in text or "Object arrays" in text or "Python objects" in text:
            _fail(path, "holds Python objects (e.g. strings), not numbers; expected an (n, d) numeric array")
        _fail(path, f"not a valid .npy file ({text.splitlines()[0] if text else 'unreadable header'})")
    except (OSError, EOFError) as exc:
        _fail(path, f"not a valid .npy file ({exc})")
    if not isinstance(X, np.ndarray):
        _fail(path, f"holds {type(X).__name__}, not one array")
    if X.dtype.names:
        _fail(path, f"a structured array (fields {', '.join(X.dtype.names)}); expected a plain (n, d) numeric array")
    return X


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _read_csv(path: str, reference_column: str | None):
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            sample = fh.read(1 << 16)
            fh.seek(0)
            try:
                dialect = csv.Sniffer().sniff(sample, delimiters=",;\t ")
            except csv.Error:
                dialect = csv.excel
            rows = [r for r in csv.reader(fh, dialect) if r and any(c.strip() for c in r)]
    except UnicodeDecodeError:
        _fail(path, "not a text file (not UTF-8); expected a CSV of numbers")
    except OSError as exc:
        _fail(path, f"cannot read it ({exc.strerror})")
    if not rows:
        _fail(path, "empty; expected rows of numbers, optionally after a header row")
    rows = [[c.strip() for c in r] for r in rows]
    header: list[str] = []
    if any(_number(c) is None for c in rows[0]):
        header, rows = rows[0], rows[1:]
        if not rows:
            _fail(path, "a header row and no data; expected rows of numbers")
    width = len(header) if header else len(rows[0])
    ref_index = None
    if reference_column is not None:
        if reference_column not in header:
            _fail(
                path,
                f"no column {reference_column!r} for --reference-column (columns: {', '.join(header) or 'none named'})",
            )
        ref_index = header.index(reference_column)
    X = np.empty((len(rows), width), dtype=np.float64)
    for i, r in enumerate(rows):
        if len(r) != width:
            _fail(path, f"line {i + 1 + bool(header)} has {len(r)} fields, expected {width} (a ragged CSV)")
        for j, c in enumerate(r):
            v = _number(c)
            if v is None:
                if j == ref_index:
                    v = np.nan  # labels may be names: mapped below
                    continue
                what = f"column {header[j]!r}" if header else f"column {j}"
                _fail(path, f"line {i + 1 + bool(header)}, {what} is {c!r}, not a number")
            X[i, j] = v
    labels = None
    if ref_index is not None:
        raw = [r[ref_index] for r in rows]
        labels = _codes(raw)
        keep = [j for j in range(width) if j != ref_index]
        X, header = X[:, keep], [h for j, h in enumerate(header) if j != ref_index]
    return X, tuple(header), labels


def _codes(values) -> np.ndarray:
    """Labels of any hashable kind as 0..m-1 (sorted by first appearance's sorted order)."""
    uniques = sorted(set(values), key=lambda v: (str(type(v)), v))
    index = {v: i for i, v in enumerate(uniques)}
    return np.array([index[v] for v in values], dtype=np.int64)


def _read_parquet(path: str, reference_column: str | None):
    pq = require("pyarrow.parquet", "study", "reading a .parquet data file")
    pa = require("pyarrow", "study", "reading a .parquet data file")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        _fail(path, f"not a Parquet file ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
    names = table.column_names
    labels = None
    if reference_column is not None:
        if reference_column not in names:
            _fail(path, f"no column {reference_column!r} for --reference-column (columns: {', '.join(names)})")
        labels = _codes(table.column(reference_column).to_pylist())
    numeric = []
    for name in names:
        if name == reference_column:
            continue
        kind = table.schema.field(name).type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
            _fail(path, f"column {name!r} is {kind}, not numeric; expected numeric columns (and --reference-column)")
        numeric.append(name)
    if not numeric:
        _fail(path, "no numeric columns")
    try:
        X = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype(np.float64) for c in numeric])
    except (pa.ArrowException, TypeError, ValueError) as exc:  # nulls
        _fail(path, f"a column holds missing values ({exc}); expected numbers in every row")
    return X, tuple(numeric), labels


def read_labels(path: str, n: int) -> np.ndarray:
    """A reference partition from a file: .npy (n,) or .csv with one column (header optional)."""
    ext = os.path.splitext(path)[1].lower()
    if not os.path.isfile(path):
        raise InvalidArgument(f"--reference: {path!r} does not exist")
    if ext == ".npy":
        try:
            raw = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise InvalidArgument(f"--reference: {path!r} is not a valid .npy file of labels ({exc})") from None
        if raw.ndim == 2 and raw.shape[1] == 1:
            raw = raw[:, 0]
        values = raw.tolist() if raw.ndim == 1 else None
    elif ext == ".csv":
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if r]
        if (
            rows
            and len(rows[0]) == 1
            and _number(rows[0][0]) is None
            and all(_number(r[0]) is not None for r in rows[1:])
        ):
            rows = rows[1:]  # a header
        values = [r[0].strip() for r in rows] if all(len(r) == 1 for r in rows) else None
    else:
        raise InvalidArgument(f"--reference: {path!r}: expected a .npy or .csv file of labels")
    if values is None:
        raise InvalidArgument(f"--reference: {path!r}: expected one label per row (one column)")
    if len(values) != n:
        raise InvalidArgument(f"--reference: {path!r} has {len(values)} labels, the data {n} rows")
    return _codes(values)


def read_data(path: str, *, reference: str | None = None, reference_column: str | None = None) -> Dataset:
    """Read ``path`` (.npy memory-mapped, .csv, .parquet) as an (n, d) table, checked: numeric, 2-D,
    non-empty, finite.  ``reference_column`` (CSV with a header, Parquet) or ``reference`` (a file of
    n labels) gives a reference partition, taken out of the data's columns.

    Raises
    ------
    harness.InvalidArgument
        One line naming the file and the problem.
    """
    if reference is not None and reference_column is not None:
        raise InvalidArgument("--reference: give a labels file or --reference-column, not both")
    ext = os.path.splitext(path)[1].lower()
    if ext not in DATA_FORMATS:
        _fail(path, f"unknown format {ext or '(no extension)'!r}; expected one of {', '.join(DATA_FORMATS)}")
    if not os.path.isfile(path):
        _fail(path, "does not exist")
    labels, columns = None, ()
    if ext == ".npy":
        if reference_column is not None:
            _fail(path, "a .npy file has no named columns for --reference-column; use --reference LABELS.npy")
        X = _read_npy(path)
    elif ext == ".csv":
        X, columns, labels = _read_csv(path, reference_column)
    else:
        X, columns, labels = _read_parquet(path, reference_column)
    _check_table(path, X)
    if reference is not None:
        labels = read_labels(reference, X.shape[0])
    return Dataset(
        path=os.path.abspath(path),
        sha256=file_sha256(path),
        X=X,
        columns=columns,
        labels=labels,
        reference=None
        if labels is None
        else (f"column {reference_column!r}" if reference_column is not None else os.path.abspath(reference)),
    )
