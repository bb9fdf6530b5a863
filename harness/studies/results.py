"""A sweep's results on disk: a directory of Parquet parts, each written to a temporary name and
renamed into place, read back with their schema checked and duplicate fits dropped, and the lock
that keeps two sweeps from writing one output at once.  It runs no fit."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid

from harness.errors import InvalidArgument, require

__all__ = ["REQUIRED_COLUMNS", "SweepLock", "read_results", "read_results_checked", "write_part"]

#: The columns a sweep's Parquet always holds and the report reads; a file without them is some
#: other table, not a sweep's results.
REQUIRED_COLUMNS = (
    "run_key",
    "status",
    "message",
    "target",
    "initialiser",
    "model",
    "k",
    "separation_ratio_min",
    "converged",
    "spurious",
    "centroid_index",
    "objective_ratio",
    "init_seconds",
    "fit_seconds",
)

#: The lock file inside a sweep's output directory.
LOCK_NAME = ".sweep.lock"


def write_part(output: str, rows: list[dict], provenance: dict) -> str:
    """Write ``rows`` (and the run's ``provenance`` in every row) as a new part of ``output``."""
    pa = require("pyarrow", "study", "writing sweep results")
    pq = require("pyarrow.parquet", "study", "writing sweep results")
    os.makedirs(output, exist_ok=True)
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    for k, v in provenance.items():
        columns[k] = [v] * len(rows)
    table = pa.table(columns)
    name = f"part-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.parquet"
    tmp = os.path.join(output, "." + name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, os.path.join(output, name))  # atomic: a reader sees the whole part or none of it
    return name


def _read_table(pq, path: str, label: str):
    pa = require("pyarrow", "study", "reading sweep results")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidArgument(f"{label}: {path!r} is not a Parquet file ({first})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise InvalidArgument(
            f"{label}: {path!r} is Parquet but not a sweep's results: no column {', '.join(map(repr, missing[:3]))}"
            f"{' ...' if len(missing) > 3 else ''} "
            f"(has {', '.join(table.column_names[:6]) or 'no columns'}{', ...' if len(table.column_names) > 6 else ''})"
        )
    return table


def read_results_checked(path: str, *, label: str = "RESULTS") -> tuple[dict[str, list], int]:
    """All rows of a sweep's Parquet directory (or single file) as ``{column: values}``, and how many
    duplicate rows were dropped: a fit (``run_key``) recorded twice, e.g. by two sweeps that wrote one
    output before the lock, counts once (its first part, in name order, wins).

    Raises InvalidArgument naming ``label`` and the path when it does not exist, is not Parquet, or is
    Parquet of another schema."""
    pq = require("pyarrow.parquet", "study", "reading sweep results")
    pa = require("pyarrow", "study", "reading sweep results")
    if os.path.isdir(path):
        parts = sorted(f for f in os.listdir(path) if f.endswith(".parquet") and not f.startswith("."))
        tables = [_read_table(pq, os.path.join(path, f), label) for f in parts]
    elif os.path.isfile(path):
        tables = [_read_table(pq, path, label)]
    else:
        raise InvalidArgument(f"{label}: {path!r} does not exist")
    if not tables:
        return {}, 0
    rows = pa.concat_tables(tables, promote_options="permissive").to_pydict()
    keys = rows["run_key"]
    seen: set = set()
    keep = []
    for i, key in enumerate(keys):
        if key not in seen:
            seen.add(key)
            keep.append(i)
    duplicates = len(keys) - len(keep)
    if duplicates:
        rows = {name: [values[i] for i in keep] for name, values in rows.items()}
    return rows, duplicates


def read_results(path: str) -> dict[str, list]:
    """The rows of :func:`read_results_checked`, duplicates dropped."""
    return read_results_checked(path)[0]


class SweepLock:
    """An exclusive lock on a sweep's output directory, so that two sweeps never both run the missing
    fits and both write them.

    The lock is ``flock`` on the file ``.sweep.lock``, which names its holder (host, PID, start time).
    The kernel drops the lock when its process dies, however it dies (``kill -9``, a killed
    ``timeout`` wrapper), so a lock file left behind is *stale* and is taken over, with a note in
    :attr:`stale`.  A lock held by a live process refuses with InvalidArgument naming the holder.
    (``flock`` works between the processes of one machine and on most network file systems; the
    file stays in place, empty when free, so that no two processes ever lock different files.)
    Use as a context manager."""

    def __init__(self, output: str):
        self.output = output
        self.path = os.path.join(output, LOCK_NAME)
        self.stale: dict | None = None  # the holder a stale lock file named, when taken over
        self._fh = None

    def holder(self) -> dict | None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                text = fh.read()
            return json.loads(text) if text.strip() else None
        except (OSError, ValueError):
            return None

    def acquire(self) -> SweepLock:
        import fcntl  # POSIX only, like the isolation of targets

        os.makedirs(self.output, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            holder = self.holder() or {}
            raise InvalidArgument(
                f"sweep output {self.output!r} is in use by another sweep (host {holder.get('host', '?')}, "
                f"PID {holder.get('pid', '?')}, started {holder.get('started', '?')}); wait for it to finish "
                "or stop it, then rerun (the rerun resumes)"
            ) from None
        self.stale = self.holder()
        me = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        fh.seek(0)
        fh.truncate()
        json.dump(me, fh)
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is None:
            return
        import fcntl

        self._fh.seek(0)
        self._fh.truncate()  # free: an empty file is no holder
        self._fh.flush()
        fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        self._fh.close()
        self._fh = None

    def __enter__(self) -> SweepLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
