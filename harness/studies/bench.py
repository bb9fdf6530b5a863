"""Side-by-side timing of the built-in Lloyd against the peers: same data, same init, same iteration
count; warm-up excluded, median of interleaved repeats.  Also the machine's floor per shape, the
k-means++ ratio and the peak-memory figure.  Timing only: correctness is ``verify``'s job.

Every contender is a target opened through :class:`~harness.targets.runner.Runner`: the built-ins
are the peers' adapters of :mod:`harness.targets.peers` with the bench's iteration cap, and a
contender's time is the one the runner measured around the call, where the call ran.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace

import numpy as np

from harness.errors import InvalidArgument
from harness.json_io import write_json
from harness.numerics import kernels, reference
from harness.provenance import cpu_model, versions
from harness.records import Record
from harness.targets.failures import BadOutput, TargetAborted, TargetRaised
from harness.targets.loader import load_builtin
from harness.targets.options import COMMAND_DEFAULTS, RunOptions
from harness.targets.runner import Runner
from harness.theory.models import make_mixture

__all__ = [
    "BENCH_TARGETS",
    "DEFAULT_SHAPES",
    "DEFAULT_TARGETS",
    "BenchRow",
    "SeedingRow",
    "bench",
    "bench_data",
    "machine_rates",
    "open_contender",
    "parse_shape",
    "peak_memory_increment",
    "run_bench",
    "small_only",
]

#: The shapes (n, d, k) of the performance goals (docs/performance.md).
DEFAULT_SHAPES = ((200_000, 2, 8), (200_000, 16, 64), (100_000, 64, 256), (1_000_000, 8, 32))
#: The built-in contenders: our Lloyd (float64 and float32) and the peers that take an iteration cap
#: (``sklearnex``: scikit-learn-intelex, oneDAL's Lloyd, the anchor of issue 21).
BENCH_TARGETS = ("lloyd", "lloyd-float32", "sklearn", "sklearn-elkan", "sklearnex", "faiss", "scipy")
DEFAULT_TARGETS = ("lloyd", "lloyd-float32", "sklearn", "sklearn-elkan", "sklearnex", "faiss")
#: Iteration cap of a "to convergence" run (scikit-learn with tol=0 stops at a fixed point before).
CONVERGENCE_MAX_ITER = 1000
#: Pause before every timed call.  The previous contender's idle threads (OpenMP pools of numba,
#: scikit-learn and faiss; OpenBLAS's unless OPENBLAS_THREAD_TIMEOUT is low) busy-wait for up to about
#: 0.1 s on the cores the next contender needs; without a pause the one timed after faiss or
#: scikit-learn paid for their idle threads (measured: lloyd at 200000x2x8 0.071 s right after faiss
#: against 0.064 s for the same code later in the round).
SETTLE_SECONDS = 0.15
#: Largest n·k·d·(iterations + 1) for which bench runs the float64 reference Lloyd
#: (:func:`harness.numerics.reference.lloyd_ref`, plain numpy, 3-8 ns per term here) when a
#: contender's labels differ from lloyd's; above it the row says the reference was skipped.
REFERENCE_MAX_WORK = 2**34
#: Environment variable that restricts asv and pytest-benchmark to the smallest shape (CI).
SMALL_ENV_VAR = "KMEANS_HARNESS_BENCH_SMALL"


def small_only() -> bool:
    return os.environ.get(SMALL_ENV_VAR, "0") not in ("", "0")


def parse_shape(text: str) -> tuple[int, int, int]:
    """``"200000x16x64"`` → ``(200000, 16, 64)`` (n, d, k) with 1 ≤ k ≤ n."""
    parts = text.lower().split("x")
    try:
        n, d, k = (int(p) for p in parts)
    except ValueError:
        raise InvalidArgument(
            f"shape: expected NxDxK with positive integers, e.g. 200000x16x64, got {text!r}"
        ) from None
    if min(n, d, k) < 1 or k > n:
        raise InvalidArgument(f"shape: expected n, d, k ≥ 1 and k ≤ n, got {text!r}")
    return n, d, k


def bench_data(n, d, k, *, mixture="gaussian", separation_ratio=1.0, seed=0):
    """``(X : (n, d) float64, init : (k, d) float64)``: a mixture sample and greedy k-means++ centers
    from it (the same for every contender).  The default Gaussian mixture with η_min = 1 overlaps, so
    Lloyd takes tens of iterations."""
    mix = make_mixture(mixture, k=k, dim=d, separation_ratio_min=separation_ratio, seed=seed)
    X, _ = mix.sample(n, seed=seed + 1)
    X = np.ascontiguousarray(X, dtype=np.float64)
    init, _ = kernels.kmeans_plusplus(X, k, np.random.default_rng(seed))
    return X, init


def data_with_init(X, k, *, seed=0):
    """``(X, init)`` for your own data ``X`` (n, d): the rows as float64 and greedy k-means++ centers
    from them (the same for every contender), as :func:`bench_data` gives for a mixture."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    init, _ = kernels.kmeans_plusplus(X, k, np.random.default_rng(seed))
    return X, init


def open_contender(name: str, *, max_iter: int, options: RunOptions | None = None) -> Runner:
    """The contender ``name`` opened for timing: a built-in of :data:`BENCH_TARGETS` (in-process, its
    peer adapter with ``max_iter``), or a user target (``package.module:attr``, ``file.py:attr``) run
    under ``options`` (default: bench's, isolated).  A user target stops by its own rule."""
    if name in BENCH_TARGETS:
        return Runner(load_builtin(name, max_iter=max_iter), RunOptions(isolate=False))
    if ":" in name:
        return Runner(name, options or COMMAND_DEFAULTS["bench"])
    raise InvalidArgument(
        f"targets: unknown bench target {name!r}; expected one of {', '.join(BENCH_TARGETS)}, "
        "'package.module:attr' or 'path/to/file.py:attr'"
    )


def contender_inputs(runner: Runner, X, init):
    """``X`` and ``init`` in the contender's declared precision, converted once, outside the timing."""
    if runner.target.precision == "float32":
        return np.ascontiguousarray(X, dtype=np.float32), np.ascontiguousarray(init, dtype=np.float32)
    return X, init


@dataclass(frozen=True, kw_only=True)
class BenchRow(Record):
    """One contender on one shape.  ``ratio`` = its median time / lloyd's (> 1: lloyd is faster)."""

    n: int
    d: int
    k: int
    target: str
    mode: str  # "fixed" (max_iter iterations unless converged earlier), "converge", or "own" (a user target)
    seconds: float
    seconds_all: list = field(default_factory=list)
    ratio: float | None = None
    n_iter: int = -1
    objective: float = math.nan
    objective_ratio: float | None = None  # objective / lloyd's objective
    label_agreement: float | None = None  # fraction of labels equal to lloyd's
    # fraction of labels equal to the float64 reference Lloyd's (plain numpy, same init, lloyd's
    # iteration count); computed only on shapes where some contender's labels differ from lloyd's
    reference_agreement: float | None = None
    # where this contender's labels differ from lloyd's, whose labels the reference has there:
    # "lloyd", this contender's name, "mixed", "neither", or "skipped" (REFERENCE_MAX_WORK)
    matches_reference: str | None = None
    status: str = "ok"  # or what stopped a user target: error, timeout, crashed, out-of-memory
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class SeedingRow(Record):
    n: int
    d: int
    k: int
    seconds_ours: float
    seconds_sklearn: float | None
    ratio: float | None  # sklearn time / ours (> 1: ours is faster)


def _progress(message, stream):
    """Redrawn in place on a terminal; a plain line per step when piped (a log shows it live)."""
    if stream is None:
        return
    if hasattr(stream, "isatty") and stream.isatty():
        stream.write("\r\033[K" + message)
    elif message:
        stream.write(message + "\n")
    stream.flush()


def _status(exc) -> str:
    return exc.status if isinstance(exc, TargetAborted) else "error"


def run_bench(
    shapes,
    targets,
    *,
    iterations=30,
    repeats=3,
    mixture="gaussian",
    separation_ratio=1.0,
    seed=0,
    progress=sys.stderr,
    seeding=True,
    options: RunOptions | None = None,
    done=None,
    on_shape=None,
    data=None,
):
    """Time every target on every shape; returns ``(rows, seeding_rows)``.

    Per shape: one warm-up call per target (numba compilation, BLAS thread start-up), then
    ``repeats`` rounds in which every target runs once, in the same order, so that machine noise
    hits all of them alike; the median of each target's rounds is reported.  ``iterations=None``
    runs to convergence (``CONVERGENCE_MAX_ITER`` at most).  User targets (``module:attr``,
    ``file.py:attr``) run under ``options`` (default: bench's, isolated); one that fails gets a row
    with its status and is dropped from the shape's later rounds.

    ``done`` maps ``"NxDxK"`` to ``(rows, seeding_row)`` already measured (a resumed run): those
    shapes are not run again.  ``on_shape(rows, seeding_rows)`` is called with everything measured
    so far after every shape, so a caller can save it.

    ``data``: your own (n, d) data instead of a mixture sample (``shapes`` is then its one shape).
    """
    targets = list(targets)
    if "lloyd" not in targets:
        targets.insert(0, "lloyd")
    max_iter = CONVERGENCE_MAX_ITER if iterations is None else iterations
    mode = "converge" if iterations is None else "fixed"
    rows, seeding_rows = [], []
    for s, (n, d, k) in enumerate(shapes, 1):
        key = f"{n}x{d}x{k}"
        if done and key in done:
            old_rows, old_seeding = done[key]
            rows.extend(old_rows)
            seeding_rows.extend([old_seeding] if old_seeding is not None else [])
            continue
        tag = f"[shape {s}/{len(shapes)} {key}]"
        _progress(f"{tag} sampling data and seeding", progress)
        if data is None:
            X, init = bench_data(n, d, k, mixture=mixture, separation_ratio=separation_ratio, seed=seed)
        else:
            X, init = data_with_init(data, k, seed=seed)
        failed, runners, inputs = {}, {}, {}
        for t in targets:
            try:
                runners[t] = open_contender(t, max_iter=max_iter, options=options)
                inputs[t] = contender_inputs(runners[t], X, init)
            except Exception as exc:  # noqa: BLE001 - a user target that does not load costs its row
                if ":" not in t:
                    raise
                failed[t] = ("error", f"{type(exc).__name__}: {exc}")

        def attempt(t, failed=failed, runners=runners, inputs=inputs, k=k):
            x, c = inputs[t]
            try:
                return runners[t].fit(x, k, init=c, seed=0)
            except (TargetAborted, TargetRaised, BadOutput) as exc:
                if ":" not in t:
                    raise
                failed[t] = (_status(exc), str(exc)[:500])  # a user target's failure costs its row
                return None

        times = {t: [] for t in targets}
        results = {}
        try:
            for t in runners:
                _progress(f"{tag} warm-up {t}", progress)
                attempt(t)
            for r in range(repeats):
                for t in runners:
                    if t in failed:
                        continue
                    _progress(f"{tag} repeat {r + 1}/{repeats} {t}", progress)
                    time.sleep(SETTLE_SECONDS)
                    fit = attempt(t)
                    if fit is not None:
                        results[t] = fit
                        times[t].append(fit.seconds)
        finally:
            for runner in runners.values():
                runner.close()
        ref = results["lloyd"]
        ref_labels = np.asarray(ref.labels)
        ref_objective = kernels.objective(X, np.asarray(ref.centers, dtype=np.float64))
        ref_time = statistics.median(times["lloyd"])
        for t in targets:
            if t in failed:
                status, message = failed[t]
                rows.append(
                    BenchRow(n=n, d=d, k=k, target=t, mode="own", seconds=math.nan, status=status, message=message)
                )
                continue
            fit = results[t]
            obj = kernels.objective(X, np.ascontiguousarray(fit.centers, dtype=np.float64))
            med = statistics.median(times[t])
            rows.append(
                BenchRow(
                    n=n,
                    d=d,
                    k=k,
                    target=t,
                    mode="own" if ":" in t else mode,
                    seconds=med,
                    seconds_all=times[t],
                    ratio=med / ref_time,
                    n_iter=int(fit.n_iter) if fit.n_iter is not None else -1,
                    objective=obj,
                    objective_ratio=obj / ref_objective if ref_objective > 0 else None,
                    label_agreement=float(np.mean(np.asarray(fit.labels).ravel() == ref_labels)),
                )
            )
        rows[-len(targets) :] = _with_reference(X, init, rows[-len(targets) :], results, tag, progress)
        if seeding:
            seeding_rows.append(_bench_seeding(X, k, repeats, tag, progress))
        if on_shape is not None:
            on_shape(rows, seeding_rows)
    _progress("", progress)
    return rows, seeding_rows


def _with_reference(X, init, shape_rows, results, tag, progress):
    """``shape_rows`` with ``reference_agreement`` and ``matches_reference`` filled in when some
    contender's labels differ from lloyd's: the float64 direct-form reference Lloyd
    (:func:`harness.numerics.reference.lloyd_ref`) runs once, from the same init, for lloyd's
    iteration count, and each contender that differs from lloyd is told whose labels the
    reference has where the two differ."""
    differs = [r for r in shape_rows if r.status == "ok" and r.label_agreement != 1.0]
    if not differs:
        return shape_rows
    n, d = X.shape
    k = init.shape[0]
    iterations = max(next(r for r in shape_rows if r.target == "lloyd").n_iter, 0)
    if n * k * d * (iterations + 1) > REFERENCE_MAX_WORK:
        return [replace(r, matches_reference="skipped") if r in differs else r for r in shape_rows]
    _progress(f"{tag} float64 reference Lloyd ({iterations} iterations)", progress)
    _, ref_labels, _, _ = reference.lloyd_ref(X, init, iterations)
    lloyd_labels = np.asarray(results["lloyd"].labels).ravel()
    out = []
    for r in shape_rows:
        if r.status != "ok":
            out.append(r)
            continue
        labels = np.asarray(results[r.target].labels).ravel()
        flag = None
        if r in differs:
            where = labels != lloyd_labels
            lloyd_right = np.mean(lloyd_labels[where] == ref_labels[where])
            this_right = np.mean(labels[where] == ref_labels[where])
            flag = "lloyd" if lloyd_right == 1 else r.target if this_right == 1 else "neither"
            flag = "mixed" if flag == "neither" and lloyd_right + this_right > 0 else flag
        out.append(replace(r, reference_agreement=float(np.mean(labels == ref_labels)), matches_reference=flag))
    return out


def _bench_seeding(X, k, repeats, tag, progress):
    """Greedy k-means++ (2 + ⌊ln k⌋ candidates per step) against ``sklearn.cluster.kmeans_plusplus``
    (the same greedy rule), interleaved repeats, medians."""
    try:
        from sklearn.cluster import kmeans_plusplus
    except ImportError:  # pragma: no cover - peers not installed
        kmeans_plusplus = None
    ours, theirs = [], []
    kernels.kmeans_plusplus(X[: min(len(X), 1000)], min(k, 10), np.random.default_rng(0))
    for r in range(repeats):
        _progress(f"{tag} k-means++ repeat {r + 1}/{repeats}", progress)
        time.sleep(SETTLE_SECONDS)
        start = time.perf_counter()
        kernels.kmeans_plusplus(X, k, np.random.default_rng(r))
        ours.append(time.perf_counter() - start)
        if kmeans_plusplus is not None:
            time.sleep(SETTLE_SECONDS)
            start = time.perf_counter()
            kmeans_plusplus(X, k, random_state=r)
            theirs.append(time.perf_counter() - start)
    n, d = X.shape
    mine = statistics.median(ours)
    other = statistics.median(theirs) if theirs else None
    return SeedingRow(n=n, d=d, k=k, seconds_ours=mine, seconds_sklearn=other, ratio=other / mine if other else None)


def thread_counts() -> dict:
    """The thread counts the contenders run with, equalised at numba's default, the machine's
    cores: numba's (lloyd; one thread below ``kernels.SERIAL_MAX_WORK``), oneDAL's (sklearnex: its
    TBB pool, all cores by default), OpenMP's (scikit-learn, faiss: ``OMP_NUM_THREADS`` or all
    cores).  Read, never set."""
    import numba

    counts = {"numba": numba.get_num_threads()}
    try:
        import daal4py

        counts["oneDAL"] = int(daal4py.num_threads())
    except ImportError:  # pragma: no cover - sklearnex not installed
        pass
    counts["OpenMP (sklearn, faiss)"] = os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1
    return counts


def machine_rates(seconds=0.5):
    """Measured float64 matrix-multiply rate (GFLOP/s, numpy/OpenBLAS on all cores) and memory read
    bandwidth (GB/s, a numpy sum over 256 MiB): the denominators of the per-shape floor."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2048, 2048))
    b = rng.standard_normal((2048, 2048))
    a @ b
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        reps += 1
    gflops = reps * 2 * 2048**3 / (time.perf_counter() - start) / 1e9
    big = np.ones(32 * 2**20)  # 256 MiB
    big.sum()
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        big.sum()
        reps += 1
    bandwidth = reps * big.nbytes / (time.perf_counter() - start) / 1e9
    return {"matmul_gflops": gflops, "memory_gbps": bandwidth}


def floor_per_iteration(n, d, k, rates, itemsize=8):
    """The machine's limit for one Lloyd iteration: ``(compute, memory)`` seconds, i.e. 2·n·k·d
    flops at the matrix-multiply rate and one pass over X at the memory bandwidth."""
    return 2.0 * n * k * d / (rates["matmul_gflops"] * 1e9), n * d * itemsize / (rates["memory_gbps"] * 1e9)


_MEMORY_CHILD = r"""
import sys, numpy as np
n, d, k, it, dtype = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
from harness.numerics import kernels
rng = np.random.default_rng(0)
X = np.empty((n, d), dtype=dtype)
for lo in range(0, n, 65536):  # filled in chunks: no n-sized temporary raises the peak early
    X[lo:lo + 65536] = rng.standard_normal((min(65536, n - lo), d)) * 4.0
init = X[:k].copy()
kernels.lloyd(X[:2000], init, 3)  # warm the kernels (compiled or loaded from the cache)
def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset the peak (VmHWM) to the current RSS
base = status("VmRSS:")
kernels.lloyd(X, init, it)
print(status("VmHWM:") - base, status("VmHWM:"), base)
"""


def peak_memory_increment(n, d, k, iterations=30, dtype="float64"):
    """Peak RSS of ``lloyd`` minus the RSS after X is built and the kernels warmed, in bytes,
    measured in a fresh process (Linux: ``/proc/self/clear_refs`` resets VmHWM)."""
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(n), str(d), str(k), str(iterations), dtype],
        capture_output=True,
        text=True,
        check=True,
    )
    increment, _, _ = (int(v) for v in out.stdout.split())
    return increment


def bench(
    *,
    shapes=DEFAULT_SHAPES,
    targets=DEFAULT_TARGETS,
    iterations: int | None = 30,
    repeats: int = 3,
    mixture: str = "gaussian",
    separation_ratio: float = 1.0,
    seed: int = 0,
    seeding: bool = True,
    floor: bool = False,
    memory: bool = False,
    options: RunOptions | None = None,
    json_path: str | None = None,
    fresh: bool = False,
    progress=None,
    on_resume=None,
    data=None,
    data_record: dict | None = None,
) -> dict:
    """The ``bench`` command as a library call: time ``targets`` on ``shapes`` and return the report
    (schema 1), written to ``json_path`` after every shape so an interrupted run keeps what it
    measured; a rerun with the same settings resumes from it (unless ``fresh``).

    Parameters
    ----------
    shapes : sequence of (n, d, k)
        The problem sizes (default: the four goal shapes of docs/performance.md).
    targets : sequence of str
        Names from :data:`BENCH_TARGETS` or user targets; ``lloyd`` is always added (the reference).
    iterations : int or None
        Iterations per fit (None: to convergence, at most ``CONVERGENCE_MAX_ITER``).
    repeats : int
        Timed rounds; the median is reported.
    mixture, separation_ratio, seed
        The data (:func:`bench_data`).
    seeding : bool
        Also time greedy k-means++ against scikit-learn's.
    floor, memory : bool
        Also measure the machine's matmul rate and bandwidth / lloyd's peak RSS increment per shape.
    options : RunOptions, optional
        How user targets run (default: bench's, isolated).
    json_path, fresh
        Where the report goes (``-``: nowhere until the caller writes it) and whether to ignore it.
    progress : file, optional
        Where progress lines go (None: silent).
    on_resume : callable, optional
        Called with the number of shapes taken from ``json_path``.
    data : (n, d) array, optional
        Your own data instead of a mixture sample; ``shapes`` must then be ``[(n, d, k)]``.
    data_record : dict, optional
        Where ``data`` came from (path, sha256, rows used, subsample seed): kept in the report and
        part of the settings a rerun must match to resume.
    """
    shapes = [tuple(int(v) for v in s) for s in shapes]
    if not shapes:
        raise InvalidArgument("shapes: expected at least one (n, d, k)")
    targets = list(targets)
    unknown = [t for t in targets if t not in BENCH_TARGETS and ":" not in t]
    if unknown or not targets:
        raise InvalidArgument(
            f"targets: unknown target {unknown[0] if unknown else ''!r}; expected {','.join(BENCH_TARGETS)} "
            "or a user target 'package.module:attr' / 'path/to/file.py:attr'"
        )
    if mixture == "ball" and separation_ratio <= 2:
        raise InvalidArgument(f"separation_ratio: a ball mixture needs > 2, got {separation_ratio}")
    if not separation_ratio > 0:
        raise InvalidArgument(f"separation_ratio: expected a positive number, got {separation_ratio}")
    if data is not None and (len(shapes) != 1 or shapes[0][:2] != tuple(np.shape(data))):
        raise InvalidArgument(
            f"shapes: with data of shape {np.shape(data)}, expected one (n, d, k) of it, got {shapes}"
        )
    options = options or COMMAND_DEFAULTS["bench"]
    settings = {
        "targets": targets,
        "mixture": mixture,
        "separation_ratio": separation_ratio,
        "iterations": iterations,
        "repeats": repeats,
        "seed": seed,
        "seeding": seeding,
        "isolate": options.isolate is not False,
    }
    if data_record is not None:
        settings["data"] = data_record
    saving = bool(json_path) and json_path != "-"
    done = recorded_shapes(json_path, settings) if saving and not fresh else {}
    if done and on_resume is not None:
        on_resume(len(done))

    def payload_of(rows, seeding_rows, rates=None, memory_bytes=None):
        return json.loads(
            json.dumps(
                {
                    "schema_version": 1,
                    "command": "bench",
                    "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                    "cpu": cpu_model(),
                    "cpu_count": os.cpu_count(),
                    "settings": settings,
                    "mixture": mixture,
                    "separation_ratio": separation_ratio,
                    "iterations": iterations,
                    "repeats": repeats,
                    "rows": [r.to_record() for r in rows],
                    "seeding": [r.to_record() for r in seeding_rows],
                    "machine_rates": rates,
                    "threads": thread_counts(),
                    "peak_rss_increment_bytes": memory_bytes or None,
                    "versions": versions(),
                },
                default=float,
            )
        )

    def save(rows, seeding_rows):  # after every shape: an interrupted bench keeps what it measured
        if saving:
            write_json(json_path, payload_of(rows, seeding_rows))

    rows, seeding_rows = run_bench(
        shapes,
        targets,
        iterations=iterations,
        repeats=repeats,
        mixture=mixture,
        separation_ratio=separation_ratio,
        seed=seed,
        seeding=seeding,
        progress=progress,
        options=options,
        done=done,
        on_shape=save,
        data=data,
    )
    rates = machine_rates() if floor else None
    memory_bytes = {}
    if memory:
        for n, d, k in shapes:
            memory_bytes[f"{n}x{d}x{k}"] = peak_memory_increment(n, d, k, iterations or 30)
    payload = payload_of(rows, seeding_rows, rates, memory_bytes)
    if saving:
        write_json(json_path, payload)
    return {"payload": payload, "rows": rows, "seeding_rows": seeding_rows, "rates": rates, "memory": memory_bytes}


def recorded_shapes(path, settings) -> dict:
    """Shapes already measured in ``path`` by a run with the same settings: ``{"NxDxK": (rows,
    seeding_row)}``; nothing if the file is missing, unreadable or from other settings."""
    try:
        with open(path, encoding="utf-8") as fh:
            report = json.load(fh)
    except (OSError, ValueError):
        return {}
    if report.get("command") != "bench" or report.get("settings") != json.loads(json.dumps(settings)):
        return {}
    done = {}
    try:
        seeding = {f"{r['n']}x{r['d']}x{r['k']}": SeedingRow.from_record(r) for r in report.get("seeding", [])}
        for r in report.get("rows", []):
            key = f"{r['n']}x{r['d']}x{r['k']}"
            done.setdefault(key, ([], seeding.get(key)))[0].append(BenchRow.from_record(r))
    except TypeError:  # another schema
        return {}
    return done
