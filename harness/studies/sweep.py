"""Sweeps: a grid of (model, k, d, η_min, spread, n, initialiser, target) × repeats run on Dask,
one Parquet row per fit, appended atomically as fits finish and resumable from what is on disk.

A spurious minimum is a converged solution with Centroid Index > 0 against the truth, fitted with k
equal to the true number of clusters.  Every seed is derived from the run's own parameters, so a
result never depends on the number of workers or the order of the grid.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harness.cases.data_case import DEFAULT_ROW_LIMIT, subsample_rows
from harness.cases.data_file import read_data
from harness.clustering.initialisers import INITIALISERS, initialise
from harness.errors import InvalidArgument, require
from harness.numerics import kernels
from harness.provenance import git_commit, versions
from harness.records import Record
from harness.studies.results import SweepLock, read_results_checked, write_part
from harness.targets.failures import BadOutput, TargetAborted, TargetRaised
from harness.targets.options import COMMAND_DEFAULTS, RunOptions, parse_memory_limit
from harness.targets.registry import BUILTINS, builtin_available
from harness.targets.runner import Runner
from harness.theory.models import MIXTURE_KINDS, make_mixture
from harness.theory.structure import centroid_index, orphans, sample_associations

__all__ = [
    "EXAMPLES",
    "SweepConfig",
    "example_config_path",
    "load_config",
    "parse_config",
    "plan_runs",
    "read_results",
    "run_one",
    "run_sweep",
]

#: The example configs shipped in the package (harness/studies/examples/), by the name
#: ``kmeans-harness sweep --example NAME`` takes.
EXAMPLES = {"small": "sweep-small.toml", "2000": "sweep-2000.toml"}


def example_config_path(name: str) -> str:
    """The installed path of the example config ``name`` (a key of :data:`EXAMPLES`)."""
    if name not in EXAMPLES:
        raise InvalidArgument(f"--example: unknown example {name!r}; expected one of {', '.join(EXAMPLES)}")
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples", EXAMPLES[name])


def read_results(path: str, *, label: str = "RESULTS") -> dict[str, list]:
    """All rows of a sweep's Parquet output (directory or file), each fit (``run_key``) once; see
    :func:`harness.studies.results.read_results_checked`."""
    return read_results_checked(path, label=label)[0]


#: Grid keys, their meaning, and the default when a config leaves a key out.
GRID_KEYS = {
    "model": ("'ball' or 'gaussian'", ["ball"]),
    "k": ("integers >= 2 (true clusters = fitted centers)", None),
    "d": ("integers >= 1", [2]),
    "separation_ratio_min": ("positive numbers (η_min; > 2 for 'ball')", None),
    "separation_ratio_spread": ("numbers >= 1 (η_max/η_min); leave out for the lattice's own", [None]),
    "n": ("integers >= k", [1000]),
    "initialiser": ("names from harness.clustering.initialisers.INITIALISERS", ["greedy-k-means++"]),
    "target": (
        "built-in target names (kmeans-harness targets), 'package.module:attr' or 'path/to/file.py:attr' "
        "(relative to the config file)",
        ["lloyd"],
    ),
}
#: The [data] table: a sweep over your own data file instead of generated mixtures.  What varies is
#: k, the initialiser, the target and the repeats (seeds of the start, the fit and any subsample);
#: the truth, if any, is a reference partition (its cell means play the true centers).
DATA_KEYS = {
    "path": "a .npy, .csv or .parquet file of numbers (relative to the config file)",
    "reference": "a .npy or one-column .csv of n labels: the reference partition (optional)",
    "reference_column": "a column of the .csv (with a header) or .parquet holding the reference partition (optional)",
    "max_rows": "an integer >= 1: above it, each repeat fits a subsample of this size (default 200000)",
}
#: Grid keys a [data] sweep takes (the others describe a generated mixture).
DATA_GRID_KEYS = ("k", "initialiser", "target")

SWEEP_KEYS = {
    "name": "a string",
    "seed": "an integer >= 0",
    "repeats": "an integer >= 1",
    "output": "a path (a directory of Parquet parts), relative to the current directory (--output overrides it)",
    "isolate": "true or false (default: user targets run in a worker process, built-ins in-process)",
    "timeout": "a positive number of seconds one fit of an isolated target may take (default 60)",
    "memory_limit": "an address-space limit of an isolated target's worker, e.g. '4G', '512M' or 'none' (default 4G)",
}

#: Results are flushed to a new Parquet part at least this often, so a killed sweep loses at most
#: this many seconds of finished fits (or FLUSH_ROWS fits, whichever comes first).
FLUSH_SECONDS = 5.0
FLUSH_ROWS = 200


@dataclass(frozen=True)
class SweepConfig:
    name: str
    seed: int
    repeats: int
    grid: dict
    output: str
    source: str  # the config text as given, kept with every row as provenance
    #: how the targets run: sweep.isolate, sweep.timeout, sweep.memory_limit over the sweep defaults
    options: RunOptions = COMMAND_DEFAULTS["sweep"]
    target_specs: dict | None = None  # grid.target as written -> what a worker loads (paths made absolute)
    #: the [data] table, resolved: path, sha256, reference, rows, rows_used, dim, max_rows (None: mixtures)
    data: dict | None = None


def _fail(where, key, value, expected):
    raise InvalidArgument(f"{where}: {key} = {value!r}: expected {expected}")


def _as_list(where, key, value):
    return value if isinstance(value, list) else [value]


def _ints(where, key, values, lo):
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            _fail(where, f"grid.{key}", v, GRID_KEYS[key][0])
    return values


def parse_config(
    text: str, *, where: str = "sweep config", base_dir: str = ".", output_dir: str | None = None
) -> SweepConfig:
    """Validate a TOML sweep config; a bad key or value raises InvalidArgument naming the key, the
    value and what was expected.  ``base_dir`` is where ``file.py:attr`` targets are looked up (the
    config's folder); a relative ``sweep.output`` is taken in ``output_dir`` (default ``base_dir``;
    the command passes the current directory, so results never land beside an installed config)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        tomllib = require("tomli", "study", "reading a sweep config on Python 3.10")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(f"{where}: not valid TOML: {exc}") from exc
    unknown = set(raw) - {"sweep", "grid", "data"}
    if unknown:
        _fail(where, "table", sorted(unknown)[0], "only the tables [sweep], [grid] and [data]")
    sweep = raw.get("sweep", {})
    grid_raw = raw.get("grid")
    if not isinstance(grid_raw, dict):
        raise InvalidArgument(f"{where}: missing table [grid]; expected keys {', '.join(GRID_KEYS)}")
    for key in sweep:
        if key not in SWEEP_KEYS:
            _fail(where, f"sweep.{key}", sweep[key], f"one of the keys {', '.join(SWEEP_KEYS)}")
    for key in grid_raw:
        if key not in GRID_KEYS:
            _fail(where, f"grid.{key}", grid_raw[key], f"one of the keys {', '.join(GRID_KEYS)}")
    data = None
    if "data" in raw:
        data = _parse_data(where, raw["data"], base_dir)
        for key in grid_raw:
            if key not in DATA_GRID_KEYS:
                _fail(
                    where,
                    f"grid.{key}",
                    grid_raw[key],
                    f"only {', '.join(DATA_GRID_KEYS)} with a [data] table (the data fix the rest)",
                )
        grid_raw = dict(grid_raw, d=[data["dim"]], n=[data["rows_used"]], model=["data"], separation_ratio_min=[None])
    seed, repeats = sweep.get("seed", 0), sweep.get("repeats", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        _fail(where, "sweep.seed", seed, SWEEP_KEYS["seed"])
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        _fail(where, "sweep.repeats", repeats, SWEEP_KEYS["repeats"])
    name = sweep.get("name", os.path.splitext(os.path.basename(where))[0] or "sweep")
    if not isinstance(name, str) or not name:
        _fail(where, "sweep.name", name, SWEEP_KEYS["name"])
    grid = {}
    for key, (expected, default) in GRID_KEYS.items():
        if key not in grid_raw:
            if default is None:
                raise InvalidArgument(f"{where}: grid.{key} is missing: expected {expected}")
            grid[key] = list(default)
            continue
        values = _as_list(where, key, grid_raw[key])
        if not values:
            _fail(where, f"grid.{key}", grid_raw[key], f"a non-empty list of {expected}")
        grid[key] = values
    for v in grid["model"] if data is None else ():
        if v not in MIXTURE_KINDS:
            _fail(where, "grid.model", v, GRID_KEYS["model"][0])
    _ints(where, "k", grid["k"], 2)
    _ints(where, "d", grid["d"], 1)
    _ints(where, "n", grid["n"], max(grid["k"]))
    for v in grid["separation_ratio_min"] if data is None else ():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            _fail(where, "grid.separation_ratio_min", v, GRID_KEYS["separation_ratio_min"][0])
    for v in grid["separation_ratio_spread"]:
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 1):
            _fail(where, "grid.separation_ratio_spread", v, GRID_KEYS["separation_ratio_spread"][0])
    for v in grid["initialiser"]:
        if v not in INITIALISERS:
            _fail(where, "grid.initialiser", v, f"one of {', '.join(INITIALISERS)}")
    isolate = sweep.get("isolate")
    if isolate is not None and not isinstance(isolate, bool):
        _fail(where, "sweep.isolate", isolate, SWEEP_KEYS["isolate"])
    timeout = sweep.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0
    ):
        _fail(where, "sweep.timeout", timeout, SWEEP_KEYS["timeout"])
    options = COMMAND_DEFAULTS["sweep"]
    if isolate is not None:
        options = dataclasses.replace(options, isolate=isolate)
    if timeout is not None:
        options = dataclasses.replace(options, timeout=float(timeout))
    if "memory_limit" in sweep:
        try:
            options = dataclasses.replace(options, memory_limit=parse_memory_limit(sweep["memory_limit"]))
        except (InvalidArgument, TypeError, ValueError):
            _fail(where, "sweep.memory_limit", sweep["memory_limit"], SWEEP_KEYS["memory_limit"])
    specs = {}
    for v in grid["target"]:
        if not isinstance(v, str) or not v:
            _fail(where, "grid.target", v, GRID_KEYS["target"][0])
        if v in BUILTINS:
            ok, reason = builtin_available(v)
            if not ok:
                raise InvalidArgument(f"{where}: grid.target = {v!r}: {reason}")
            specs[v] = v
            continue
        if ":" not in v:
            _fail(
                where,
                "grid.target",
                v,
                f"one of the built-in targets {', '.join(BUILTINS)} or {GRID_KEYS['target'][0]}",
            )
        module, _, attr = v.rpartition(":")
        if module.endswith(".py") and not os.path.isabs(module):
            module = os.path.join(base_dir, module)
        specs[v] = f"{module}:{attr}"
    # Every mixture of the grid must exist (e.g. balls need η_min > 2): build each once, now.
    mixtures = () if data is not None else grid["model"]
    for model, k, d, eta, spread in itertools.product(
        mixtures, grid["k"], grid["d"], grid["separation_ratio_min"], grid["separation_ratio_spread"]
    ):
        try:
            make_mixture(model, k=k, dim=d, separation_ratio_min=eta, separation_ratio_spread=spread, seed=0)
        except InvalidArgument as exc:
            raise InvalidArgument(
                f"{where}: the grid point model={model!r}, k={k}, d={d}, separation_ratio_min={eta!r}, "
                f"separation_ratio_spread={spread!r} has no mixture: {exc}"
            ) from exc
    output = sweep.get("output", f"{name}.parquet")
    if not isinstance(output, str) or not output:
        _fail(where, "sweep.output", output, SWEEP_KEYS["output"])
    return SweepConfig(
        name,
        seed,
        repeats,
        grid,
        os.path.join(base_dir if output_dir is None else output_dir, output),
        text,
        options=options,
        target_specs=specs,
        data=data,
    )


def _parse_data(where: str, table, base_dir: str) -> dict:
    """The [data] table, checked and resolved (the file is read once here: a bad file is a config error)."""
    if not isinstance(table, dict):
        _fail(where, "data", table, "a table [data] with the keys " + ", ".join(DATA_KEYS))
    for key in table:
        if key not in DATA_KEYS:
            _fail(where, f"data.{key}", table[key], f"one of the keys {', '.join(DATA_KEYS)}")
    path = table.get("path")
    if not isinstance(path, str) or not path:
        _fail(where, "data.path", path, DATA_KEYS["path"])
    max_rows = table.get("max_rows", DEFAULT_ROW_LIMIT)
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        _fail(where, "data.max_rows", max_rows, DATA_KEYS["max_rows"])

    def resolve(p):
        return p if os.path.isabs(p) else os.path.join(base_dir, p)

    reference = table.get("reference")
    reference_column = table.get("reference_column")
    for key, value in (("reference", reference), ("reference_column", reference_column)):
        if value is not None and (not isinstance(value, str) or not value):
            _fail(where, f"data.{key}", value, DATA_KEYS[key])
    try:
        dataset = read_data(
            resolve(path),
            reference=None if reference is None else resolve(reference),
            reference_column=reference_column,
        )
    except InvalidArgument as exc:
        raise InvalidArgument(f"{where}: data.path = {path!r}: {str(exc).removeprefix('--data: ')}") from None
    return {
        "path": dataset.path,
        "sha256": dataset.sha256,
        "reference": None if reference is None else os.path.abspath(resolve(reference)),
        "reference_column": reference_column,
        "rows": dataset.n,
        "rows_used": min(dataset.n, max_rows),
        "dim": dataset.dim,
        "max_rows": max_rows,
    }


def check_targets(config: SweepConfig, where: str = "sweep config") -> None:
    """Load every target of the grid once, before any fit, so that a typo or an import error is
    reported at once and by key.  User targets are loaded in a worker process (their import runs
    their code), built-ins in-process."""
    for written, spec in (config.target_specs or {}).items():
        try:
            Runner(spec, config.options).close()
        except Exception as exc:  # noqa: BLE001 - any loading error is a config error here
            raise InvalidArgument(f"{where}: grid.target = {written!r}: {exc}") from exc


def load_config(path: str, *, output_dir: str | None = None) -> SweepConfig:
    """Read and validate the config at ``path``; a relative output is taken in ``output_dir``
    (default: the current directory)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise InvalidArgument(f"CONFIG: cannot read {path!r}: {exc.strerror}") from exc
    return parse_config(
        text, where=path, base_dir=os.path.dirname(os.path.abspath(path)), output_dir=output_dir or os.getcwd()
    )


# ------------------------------------------------------------------------------------------------
# planning: one dict per fit, keyed and seeded by its own parameters


def _key_int(*parts) -> int:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)  # fits Parquet's int64


def plan_runs(config: SweepConfig) -> list[dict]:
    """Every fit of the sweep, with ``run_key`` (stable identity, used to resume) and seeds.

    The data of a run (mixture and sample) depend only on (seed, model, k, d, η_min, spread, n,
    repeat), so every initialiser and target of a grid point sees the same points; the seeding and
    the target's seed also depend on the initialiser and the target."""
    g = config.grid
    runs = []
    for model, k, d, eta, spread, n, repeat in itertools.product(
        g["model"],
        g["k"],
        g["d"],
        g["separation_ratio_min"],
        g["separation_ratio_spread"],
        g["n"],
        range(config.repeats),
    ):
        data = {
            "model": model,
            "k": k,
            "d": d,
            "separation_ratio_min": None if eta is None else float(eta),
            "separation_ratio_spread": None if spread is None else float(spread),
            "n": n,
            "repeat": repeat,
        }
        if config.data is not None:
            data["data_sha256"] = config.data["sha256"]  # another file's fits are other fits
        data_seed = _key_int(config.seed, data)
        for initialiser, target in itertools.product(g["initialiser"], g["target"]):
            run = dict(data, initialiser=initialiser, target=target)
            key = json.dumps(run, sort_keys=True)
            run.update(run_key=key, data_seed=data_seed, run_seed=_key_int(config.seed, key))
            # how to load and run the target: not part of the key (moving the config file, or
            # changing the isolation, does not make a finished fit a different one)
            run.update(target_spec=(config.target_specs or {}).get(target, target), options=config.options)
            if config.data is not None:
                run["data"] = config.data
            runs.append(run)
    return runs


#: The runners of this process (a Dask worker), by spec and options: a user target's worker process
#: is started once and kept across fits (and restarted after a crash).
_RUNNERS: dict = {}


def _runner(run) -> Runner:
    """The run's target, opened once per process.  An isolated target needs a non-daemonic process
    (a daemonic one cannot start children): :func:`run_sweep` starts Dask's workers so."""
    spec = run.get("target_spec", run["target"])
    options = run.get("options") or COMMAND_DEFAULTS["sweep"]
    key = (spec, options)
    if key not in _RUNNERS:
        if options.resolved(spec).isolate and multiprocessing.current_process().daemon:
            raise RuntimeError(
                "this Dask worker is a daemonic process and cannot start the target's worker process: start "
                "the cluster's workers with DASK_DISTRIBUTED__WORKER__DAEMON=False, or run with --no-isolate"
            )
        _RUNNERS[key] = Runner(spec, options)
    return _RUNNERS[key]


@dataclass(frozen=True, kw_only=True)
class SweepRow(Record):
    """One fit of a sweep: its planned parameters, then what came of it (None: not computed, e.g.
    after an error).  The fields are the Parquet columns, in this order."""

    #: the fields taken from the planned run
    PLANNED: ClassVar[tuple] = (
        "run_key",
        "model",
        "k",
        "d",
        "separation_ratio_min",
        "n",
        "repeat",
        "initialiser",
        "target",
        "data_seed",
        "run_seed",
        "separation_ratio_spread",
    )

    run_key: str
    model: str
    k: int
    d: int
    separation_ratio_min: float
    n: int
    repeat: int
    initialiser: str
    target: str
    data_seed: int
    run_seed: int
    separation_ratio_spread: float | None = None
    status: str = "ok"  # or what stopped the fit: error, timeout, crashed, out-of-memory
    message: str = ""
    centroid_index: int | None = None
    orphans_fitted: int | None = None
    orphans_true: int | None = None
    objective: float | None = None
    truth_objective: float | None = None
    objective_ratio: float | None = None
    converged: bool | None = None
    n_iter: int | None = None
    spurious: bool | None = None
    one_fit_one: int | None = None
    many_fit_one: int | None = None
    one_fit_many: int | None = None
    almost_empty: int | None = None
    init_seconds: float | None = None
    fit_seconds: float | None = None


def run_one(run: dict) -> dict:
    """Fit one planned run and return its row (never raises: an error is a row with ``status``)."""
    row = SweepRow(**{name: run[name] for name in SweepRow.PLANNED}).to_record()
    try:
        if run.get("data") is not None:
            X, true_labels, true_centers = _data_sample(run)
        else:
            data_rng = np.random.SeedSequence(run["data_seed"]).spawn(2)
            mixture = make_mixture(
                run["model"],
                k=run["k"],
                dim=run["d"],
                separation_ratio_min=run["separation_ratio_min"],
                separation_ratio_spread=run["separation_ratio_spread"],
                seed=data_rng[0],
            )
            X, true_labels = mixture.sample(run["n"], seed=data_rng[1])
            true_centers = mixture.centers
        init_ss, fit_ss = np.random.SeedSequence(run["run_seed"]).spawn(2)
        started = time.perf_counter()
        init = initialise(run["initialiser"], X, run["k"], seed=np.random.default_rng(init_ss))
        row["init_seconds"] = time.perf_counter() - started
        fit = _runner(run).fit(X, run["k"], init=init, seed=int(fit_ss.generate_state(1)[0]))
        centers, labels, converged, n_iter = fit.centers, fit.labels, fit.converged, fit.n_iter
        row["fit_seconds"] = fit.seconds
        centers = np.asarray(centers, dtype=np.float64)
        if centers.shape != (run["k"], X.shape[1]) or not np.all(np.isfinite(centers)):
            raise ValueError(f"target returned centers of shape {centers.shape}, finite={np.all(np.isfinite(centers))}")
        obj = kernels.objective(X, centers)
        row.update(
            objective=obj,
            converged=None if converged is None else bool(converged),
            n_iter=None if n_iter is None else int(n_iter),
        )
        if true_centers is None or true_centers.shape != centers.shape:
            # data without a reference partition of k cells: no truth to compare with
            return row
        ci = centroid_index(centers, true_centers)
        orphans_fitted, orphans_true = orphans(centers, true_centers)
        truth = kernels.objective(X, true_centers)
        row.update(
            centroid_index=ci,
            orphans_fitted=orphans_fitted,
            orphans_true=orphans_true,
            objective=obj,
            truth_objective=truth,
            objective_ratio=obj / truth if truth > 0 else None,
            converged=None if converged is None else bool(converged),
            n_iter=None if n_iter is None else int(n_iter),
            spurious=bool(converged) and ci > 0 if converged is not None else None,
        )
        labels = np.asarray(labels, dtype=np.int64)
        if labels.shape == (len(X),):
            row.update(sample_associations(true_labels, labels, run["k"], len(true_centers)))
    except (Exception, TargetAborted, TargetRaised, BadOutput) as exc:  # noqa: BLE001 - one failed fit is a row
        kind = exc.status if isinstance(exc, TargetAborted) else "error"
        message = str(exc) if kind != "error" else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, TargetRaised):
            message = f"target raised {exc}"
        row.update(status=kind, message=message[:500])
    return row


#: The data file of this process (a Dask worker), read once: (path, sha256) -> Dataset.
_DATASETS: dict = {}


def _data_sample(run: dict):
    """A [data] run's rows (all, or a subsample of max_rows drawn with the run's data seed), the
    reference labels on them and the reference cells' means (None without a reference)."""
    data = run["data"]
    key = (data["path"], data["sha256"])
    if key not in _DATASETS:
        dataset = read_data(data["path"], reference=data["reference"], reference_column=data["reference_column"])
        if dataset.sha256 != data["sha256"]:
            raise ValueError(f"the data file {data['path']!r} changed since the sweep was planned")
        _DATASETS[key] = dataset
    dataset = _DATASETS[key]
    rows = subsample_rows(dataset.n, data["rows_used"], run["data_seed"])
    X = np.ascontiguousarray(dataset.X[rows], dtype=np.float64)
    if dataset.labels is None:
        return X, None, None
    labels = dataset.labels[rows]
    cells = [j for j in range(int(labels.max()) + 1) if np.any(labels == j)]
    remap = np.full(int(labels.max()) + 1, -1)
    remap[cells] = np.arange(len(cells))
    return X, remap[labels], np.array([X[labels == j].mean(axis=0) for j in cells])


# ------------------------------------------------------------------------------------------------
# storage: harness.studies.results (Parquet parts, the output's lock)


def _done_keys(output: str) -> tuple[set, int]:
    """The run keys already in ``output``, and how many rows repeat one."""
    if not os.path.isdir(output):
        return set(), 0
    rows, duplicates = read_results_checked(output, label="sweep output")
    return set(rows.get("run_key", [])), duplicates


def _format_seconds(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class _Progress:
    """One line on ``stream``: done/total, rate, ETA; redrawn in place on a terminal, else a line
    every 10 s."""

    def __init__(self, total, stream):
        self.total, self.stream, self.done = total, stream, 0
        self.started = self.last = time.perf_counter()
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def update(self, n=1, final=False):
        self.done += n
        now = time.perf_counter()
        if not final and now - self.last < (0.5 if self.tty else 10.0):
            return
        self.last = now
        rate = self.done / max(now - self.started, 1e-9)
        eta = (self.total - self.done) / rate if rate > 0 else math.inf
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
            f"{100 * self.done / max(self.total, 1):5.1f}%  {rate:6.2f} fits/s  ETA {_format_seconds(eta)}"
        )
        self.stream.write(("\r" + line + ("\n" if final else "")) if self.tty else line + "\n")
        self.stream.flush()


def run_sweep(
    config: SweepConfig,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    processes: bool = True,
    stream=sys.stderr,
    limit: int | None = None,
) -> dict:
    """Run every fit of ``config`` not already in its output; return a summary.

    ``scheduler``: address of an existing Dask scheduler (used unchanged); otherwise a LocalCluster
    of ``workers`` single-threaded workers (default: one per core) is started and stopped here.
    ``limit``: stop after submitting this many fits (to test resuming)."""
    distributed = require("distributed", "study", "kmeans-harness sweep")
    require("pyarrow", "study", "kmeans-harness sweep")
    with SweepLock(config.output) as lock:
        if lock.stale:
            print(
                f"note: took over the stale lock of a sweep that is gone (host {lock.stale.get('host')}, "
                f"PID {lock.stale.get('pid')}, started {lock.stale.get('started')})",
                file=stream,
                flush=True,
            )
        return _run_locked(
            config, distributed, scheduler=scheduler, workers=workers, processes=processes, stream=stream, limit=limit
        )


def _run_locked(config, distributed, *, scheduler, workers, processes, stream, limit) -> dict:
    """:func:`run_sweep` once its output is locked: what is on disk now is all that any sweep wrote."""
    runs = plan_runs(config)
    done, duplicates = _done_keys(config.output)
    if duplicates:
        print(
            f"warning: {config.output} records {duplicates} fits twice (written by two sweeps at once before "
            "outputs were locked); each counts once",
            file=stream,
            flush=True,
        )
    todo = [r for r in runs if r["run_key"] not in done]
    if limit is not None:
        todo = todo[:limit]
    provenance = {
        "sweep_name": config.name,
        "sweep_seed": config.seed,
        "config_toml": config.source,
        "git_commit": git_commit(),
        "versions_json": json.dumps(versions(("dask", "distributed", "fastcluster", "pyarrow")), sort_keys=True),
    }
    if config.data is not None:
        provenance.update(data_path=config.data["path"], data_sha256=config.data["sha256"])
    summary = {
        "total": len(runs),
        "already_done": len(runs) - len([r for r in runs if r["run_key"] not in done]),
        "run_now": len(todo),
        "errors": 0,
        "parts_written": 0,
        "output": config.output,
    }
    print(
        f"sweep {config.name}: {len(runs)} fits, {summary['already_done']} already in {config.output}, "
        f"{len(todo)} to run",
        file=stream,
        flush=True,
    )
    if not todo:
        return summary
    cluster = None
    if scheduler:
        client = distributed.Client(scheduler)
    else:
        import dask  # optional heavy dependency (the study extra), checked by require() above

        # Non-daemonic workers, so that an isolated target can start its own worker process.
        with dask.config.set({"distributed.worker.daemon": False}):
            cluster = distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=":0",  # a free port: never clash with another cluster
            )
        client = distributed.Client(cluster)
    progress = _Progress(len(todo), stream)
    buffer, last_flush = [], time.perf_counter()
    started = time.perf_counter()
    try:
        futures = client.map(run_one, todo, pure=False)
        for future in distributed.as_completed(futures):
            row = future.result()
            future.release()
            summary["errors"] += row["status"] != "ok"
            buffer.append(row)
            progress.update()
            if len(buffer) >= FLUSH_ROWS or time.perf_counter() - last_flush >= FLUSH_SECONDS:
                write_part(config.output, buffer, provenance)
                summary["parts_written"] += 1
                buffer, last_flush = [], time.perf_counter()
    finally:
        if buffer:
            write_part(config.output, buffer, provenance)
            summary["parts_written"] += 1
        progress.update(0, final=True)
        client.close()
        if cluster is not None:
            cluster.close()
    summary["seconds"] = time.perf_counter() - started
    return summary
