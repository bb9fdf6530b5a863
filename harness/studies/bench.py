"""Side-by-side timing of the built-in Lloyd against the peers: same data, same init, same iteration
count; warm-up excluded, median of interleaved repeats.  Also the machine's floor per shape, the
k-means++ ratio and the peak-memory figure.  Timing only: correctness is ``verify``'s job.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from harness.errors import InvalidArgument
from harness.numerics import kernels

#: The shapes (n, d, k) of the performance goals (docs/performance.md).
DEFAULT_SHAPES = ((200_000, 2, 8), (200_000, 16, 64), (100_000, 64, 256), (1_000_000, 8, 32))
BENCH_TARGETS = ("lloyd", "lloyd-float32", "sklearn", "sklearn-elkan", "faiss", "scipy")
DEFAULT_TARGETS = ("lloyd", "lloyd-float32", "sklearn", "sklearn-elkan", "faiss")
#: Iteration cap of a "to convergence" run (scikit-learn with tol=0 stops at a fixed point before).
CONVERGENCE_MAX_ITER = 1000
#: Pause before every timed call.  The previous contender's idle threads (OpenMP pools of numba,
#: scikit-learn and faiss; OpenBLAS's unless OPENBLAS_THREAD_TIMEOUT is low) busy-wait for up to about
#: 0.1 s on the cores the next contender needs; without a pause the one timed after faiss or
#: scikit-learn paid for their idle threads (measured: lloyd at 200000x2x8 0.071 s right after faiss
#: against 0.064 s for the same code later in the round).
SETTLE_SECONDS = 0.15
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
    from harness.theory.models import BallMixture, GaussianMixture

    cls = GaussianMixture if mixture == "gaussian" else BallMixture
    X, _ = cls.with_separation(k, d, separation_ratio, seed=seed).sample(n, seed=seed + 1)
    X = np.ascontiguousarray(X, dtype=np.float64)
    init, _ = kernels.kmeans_plusplus(X, k, np.random.default_rng(seed))
    return X, init


# ------------------------------------------------------------------------------------------------
# Contenders: run(X, init, max_iter) -> (centers, labels, n_iter).  Each is prepared once (imports,
# float32 copies) so that the timed call is the fit alone.


def make_runner(name: str, X, init, *, isolate=True, timeout=None, memory_limit=-1):
    """A callable ``run(max_iter) -> (centers, labels, n_iter)`` that fits ``name`` from ``init``
    (a user target's runner also returns the seconds measured around the call; see
    :class:`UserRunner`)."""
    from harness.errors import require

    k, d = init.shape
    if name in ("lloyd", "lloyd-float32"):
        x = X if name == "lloyd" else X.astype(np.float32)
        c = init.astype(x.dtype)

        def run(max_iter):
            centers, labels, _, n_iter, _ = kernels.lloyd(x, c, max_iter)
            return centers, labels, n_iter

        return run
    if name in ("sklearn", "sklearn-elkan"):
        cluster = require("sklearn.cluster", "peers", f"the {name} benchmark")
        algorithm = "lloyd" if name == "sklearn" else "elkan"

        def run(max_iter):
            # tol=0: stops only at a fixed point (or max_iter); n_init=1 from our init
            est = cluster.KMeans(k, init=init, n_init=1, max_iter=max_iter, tol=0.0, algorithm=algorithm)
            est.fit(X)
            return est.cluster_centers_, est.labels_, int(est.n_iter_)

        return run
    if name == "faiss":
        faiss = require("faiss", "peers", "the faiss benchmark")
        x = np.ascontiguousarray(X, dtype=np.float32)
        c = np.ascontiguousarray(init, dtype=np.float32)
        n = x.shape[0]

        def run(max_iter):
            km = faiss.Kmeans(d, k, niter=max_iter, max_points_per_centroid=n, min_points_per_centroid=1)
            km.train(x, init_centroids=c)
            _, labels = km.index.search(x, 1)
            return km.centroids, labels.ravel(), len(km.iteration_stats)

        return run
    if name == "scipy":
        vq = require("scipy.cluster.vq", "core", "the scipy benchmark")

        def run(max_iter):
            # kmeans2 has no stopping rule: it always performs ``iter`` steps
            centers, labels = vq.kmeans2(X, init.copy(), iter=max_iter, minit="matrix")
            return centers, labels, max_iter

        return run
    if ":" in name:
        return UserRunner(name, X, init, isolate=isolate, timeout=timeout, memory_limit=memory_limit)
    raise InvalidArgument(
        f"targets: unknown bench target {name!r}; expected one of {', '.join(BENCH_TARGETS)}, "
        "'package.module:attr' or 'path/to/file.py:attr'"
    )


class UserRunner:
    """A user target (``package.module:attr``, ``file.py:attr``) as a contender.

    It runs in a worker process by default (:mod:`harness.targets.worker`: a crash or a hang costs its
    row, not the benchmark), and its time is the one measured inside the worker, around the call
    alone (not the transfer of X).  It starts from the shared init if it honours ``init``, and
    stops by its own rule: a target has no iteration-count parameter, so its row says ``own``.
    """

    def __init__(self, spec, X, init, *, isolate=True, timeout=None, memory_limit=-1):
        from harness.targets.declaration import load_target
        from harness.targets.worker import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT, load_isolated

        self.spec = spec
        self.X, self.init = X, init
        limits = {
            "timeout": DEFAULT_TIMEOUT if timeout is None else timeout,
            "memory_limit": DEFAULT_MEMORY_LIMIT if memory_limit == -1 else memory_limit,
        }
        self.isolated = isolate
        self.target = load_isolated(spec, **limits) if isolate else load_target(spec)

    def __call__(self, max_iter):
        k = self.init.shape[0]
        if self.isolated:
            r = self.target.fit.call(self.X, k, init=self.init, seed=0)
            return r.centers, r.labels, r.n_iter if r.n_iter is not None else -1, r.seconds
        fit = self.target.run(self.X, k, init=self.init, seed=0)
        return fit.centers, fit.labels, fit.n_iter if fit.n_iter is not None else -1, fit.seconds

    def close(self):
        if self.isolated:
            self.target.fit.close()


@dataclass(frozen=True)
class BenchRow:
    """One contender on one shape.  ``ratio`` = its median time / lloyd's (> 1: lloyd is faster)."""

    n: int
    d: int
    k: int
    target: str
    mode: str  # "fixed" (max_iter iterations unless converged earlier) or "converge"
    seconds: float
    seconds_all: list
    ratio: float | None
    n_iter: int
    objective: float
    objective_ratio: float | None  # objective / lloyd's objective
    label_agreement: float | None  # fraction of labels equal to lloyd's
    status: str = "ok"  # or the isolation status of a user target: error, timeout, crashed, out-of-memory
    message: str = ""


@dataclass(frozen=True)
class SeedingRow:
    n: int
    d: int
    k: int
    seconds_ours: float
    seconds_sklearn: float | None
    ratio: float | None  # sklearn time / ours (> 1: ours is faster)


def _progress(message, stream):
    if stream is not None:
        stream.write("\r\033[K" + message)
        stream.flush()


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
    isolate=True,
    timeout=None,
    memory_limit=-1,
    done=None,
    on_shape=None,
):
    """Time every target on every shape; returns ``(rows, seeding_rows)``.

    Per shape: one warm-up call per target (numba compilation, BLAS thread start-up), then
    ``repeats`` rounds in which every target runs once, in the same order, so that machine noise
    hits all of them alike; the median of each target's rounds is reported.  ``iterations=None``
    runs to convergence (``CONVERGENCE_MAX_ITER`` at most).  User targets (``module:attr``,
    ``file.py:attr``) run isolated unless ``isolate`` is false; one that fails gets a row with its
    status and is dropped from the shape's later rounds.

    ``done`` maps ``"NxDxK"`` to ``(rows, seeding_row)`` already measured (a resumed run): those
    shapes are not run again.  ``on_shape(rows, seeding_rows)`` is called with everything measured
    so far after every shape, so a caller can save it.
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
        X, init = bench_data(n, d, k, mixture=mixture, separation_ratio=separation_ratio, seed=seed)
        failed = {}
        runners = {}
        for t in targets:
            try:
                runners[t] = make_runner(t, X, init, isolate=isolate, timeout=timeout, memory_limit=memory_limit)
            except Exception as exc:  # noqa: BLE001 - a user target that does not load costs its row
                if ":" not in t:
                    raise
                failed[t] = ("error", f"{type(exc).__name__}: {exc}")

        def attempt(t, run, iters, failed=failed):
            try:
                return run(iters)
            except Exception as exc:  # noqa: BLE001 - a user target's failure costs its row
                if ":" not in t:
                    raise
                from harness.targets.worker import TargetAborted

                failed[t] = (exc.status if isinstance(exc, TargetAborted) else "error", str(exc)[:500])
                return None

        for t, run in runners.items():
            _progress(f"{tag} warm-up {t}", progress)
            attempt(t, run, min(max_iter, 2))
        times = {t: [] for t in targets}
        results = {}
        try:
            for r in range(repeats):
                for t, run in runners.items():
                    if t in failed:
                        continue
                    _progress(f"{tag} repeat {r + 1}/{repeats} {t}", progress)
                    time.sleep(SETTLE_SECONDS)
                    start = time.perf_counter()
                    out = attempt(t, run, max_iter)
                    elapsed = time.perf_counter() - start
                    if out is None:
                        continue
                    results[t] = out[:3]
                    times[t].append(out[3] if len(out) > 3 else elapsed)
        finally:
            for run in runners.values():
                if isinstance(run, UserRunner):
                    run.close()
        ref_centers, ref_labels, _ = results["lloyd"]
        ref_objective = kernels.objective(X, np.asarray(ref_centers, dtype=np.float64))
        ref_time = statistics.median(times["lloyd"])
        for t in targets:
            if t in failed:
                status, message = failed[t]
                rows.append(BenchRow(n, d, k, t, "own", math.nan, [], None, -1, math.nan, None, None, status, message))
                continue
            centers, labels, n_iter = results[t]
            obj = kernels.objective(X, np.ascontiguousarray(centers, dtype=np.float64))
            med = statistics.median(times[t])
            rows.append(
                BenchRow(
                    n, d, k, t, "own" if ":" in t else mode, med, times[t], med / ref_time, int(n_iter), obj,
                    obj / ref_objective if ref_objective > 0 else None,
                    float(np.mean(np.asarray(labels).ravel() == ref_labels)),
                )
            )  # fmt: skip
        if seeding:
            seeding_rows.append(_bench_seeding(X, k, repeats, tag, progress))
        if on_shape is not None:
            on_shape(rows, seeding_rows)
    _progress("", progress)
    return rows, seeding_rows


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
    return SeedingRow(n, d, k, mine, other, other / mine if other else None)


# ------------------------------------------------------------------------------------------------
# Solution quality for the asv ``track_`` benchmarks


def centroid_index(A, B) -> int:
    """Centroid Index (Fränti, Rezaei & Zhao 2014) of two center sets ``A : (k, d)``, ``B : (m, d)``.

    Each center is mapped to its nearest counterpart in the other set; the orphans of B are the
    centers of B that no center of A maps to, and likewise for A.  CI = max(orphans of B, orphans
    of A); 0 means the two sets have the same cluster-level structure.  (A minimal version for the
    benchmarks; :mod:`harness.theory.structure` holds the paper's quantities.)
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    a_to_b = np.argmin(((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2), axis=1)
    b_to_a = np.argmin(((B[:, None, :] - A[None, :, :]) ** 2).sum(axis=2), axis=1)
    orphans_b = B.shape[0] - len(np.unique(a_to_b))
    orphans_a = A.shape[0] - len(np.unique(b_to_a))
    return int(max(orphans_a, orphans_b))


def spurious_rate(mixture, n, runs, *, seed=0) -> float:
    """Fraction of ``runs`` k-means++ + Lloyd fits (k = the mixture's k, each with its own seed) that
    converge to a spurious local minimum: Centroid Index > 0 against the true centers."""
    from harness.clustering import kmeans as api

    X, _ = mixture.sample(n, seed=seed)
    bad = 0
    for r in range(runs):
        result = api.kmeans(X, mixture.k, seed=seed + 1 + r)
        bad += result.converged and centroid_index(result.centers, mixture.centers) > 0
    return bad / runs


# ------------------------------------------------------------------------------------------------
# The machine's floor and the memory figure


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


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor() or "unknown"


# ------------------------------------------------------------------------------------------------
# CLI


def add_bench_parser(subparsers) -> None:
    """Register ``kmeans-harness bench`` on the CLI's subparsers."""
    from harness.cli.main import _positive_int

    p = subparsers.add_parser("bench", help="time lloyd against the peers side by side (same data, same init)")
    p.add_argument(
        "--targets",
        default=",".join(DEFAULT_TARGETS),
        help=f"comma-separated, from {','.join(BENCH_TARGETS)}, or user targets 'package.module:attr' / "
        f"'path/to/file.py:attr' (default {','.join(DEFAULT_TARGETS)})",
    )
    p.add_argument(
        "--shapes",
        default=",".join(f"{n}x{d}x{k}" for n, d, k in DEFAULT_SHAPES),
        help="comma-separated NxDxK (default: the four goal shapes)",
    )
    p.add_argument("--iterations", type=_positive_int, default=30, help="iterations per fit (default 30)")
    p.add_argument("--to-convergence", action="store_true", help="run to a fixed point instead (at most 1000)")
    p.add_argument("--repeats", type=_positive_int, default=3, help="timed rounds; the median is reported")
    p.add_argument("--mixture", choices=("gaussian", "ball"), default="gaussian")
    p.add_argument("--separation-ratio", type=float, default=1.0, help="η_min of the mixture (default 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-seeding", action="store_true", help="skip the k-means++ comparison")
    p.add_argument("--memory", action="store_true", help="also measure lloyd's peak RSS increment per shape")
    p.add_argument("--floor", action="store_true", help="also measure the machine's matmul rate and bandwidth")
    p.add_argument(
        "--json",
        metavar="PATH",
        help="also write JSON to PATH ('-' for standard output), after every shape; a rerun with the same "
        "settings resumes from it",
    )
    p.add_argument("--fresh", action="store_true", help="ignore the shapes already recorded in --json PATH")
    p.add_argument(
        "--isolate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run user targets (module:attr, file.py:attr) in a worker process with a timeout and a memory "
        "limit (default: yes; built-ins always run in-process)",
    )
    from harness.cli.main import _memory_limit, _positive_float

    p.add_argument(
        "--timeout",
        type=_positive_float,
        default=600.0,
        metavar="SECONDS",
        help="seconds one fit of an isolated user target may take (default 600: benchmark shapes are large)",
    )
    p.add_argument(
        "--memory-limit",
        type=_memory_limit,
        default="8G",
        metavar="SIZE",
        help="address-space limit of an isolated user target's worker, e.g. 8G or 'none' (default 8G)",
    )
    p.set_defaults(func=cmd_bench)


def cmd_bench(args) -> int:
    from harness.cli.main import EXIT_OK, UsageError, compile_notice, versions, write_json
    from harness.errors import MissingDependency

    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in BENCH_TARGETS and ":" not in t]
    if unknown or not targets:
        raise UsageError(
            f"--targets: unknown target {unknown[0] if unknown else ''!r}; expected {','.join(BENCH_TARGETS)} "
            "or a user target 'package.module:attr' / 'path/to/file.py:attr'"
        )
    try:
        shapes = [parse_shape(s) for s in args.shapes.split(",") if s.strip()]
    except InvalidArgument as exc:
        raise UsageError(f"--shapes: {exc}") from exc
    if not shapes:
        raise UsageError("--shapes: expected at least one NxDxK")
    if args.mixture == "ball" and args.separation_ratio <= 2:
        raise UsageError(f"--separation-ratio: a ball mixture needs > 2, got {args.separation_ratio}")
    if not args.separation_ratio > 0:
        raise UsageError(f"--separation-ratio: expected a positive number, got {args.separation_ratio}")
    quiet = args.json == "-"
    out = sys.stderr if quiet else sys.stdout
    settings = {
        "targets": targets,
        "mixture": args.mixture,
        "separation_ratio": args.separation_ratio,
        "iterations": None if args.to_convergence else args.iterations,
        "repeats": args.repeats,
        "seed": args.seed,
        "seeding": not args.no_seeding,
        "isolate": args.isolate,
    }
    done = {} if args.fresh or not args.json or quiet else _recorded_shapes(args.json, settings)
    if done:
        print(f"resuming from {args.json}: {len(done)} shapes already measured (--fresh to rerun them)", file=out)

    def payload_of(rows, seeding_rows, rates=None, memory=None):
        return {
            "schema_version": 1,
            "command": "bench",
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "cpu": cpu_model(),
            "cpu_count": os.cpu_count(),
            "settings": settings,
            "mixture": args.mixture,
            "separation_ratio": args.separation_ratio,
            "iterations": None if args.to_convergence else args.iterations,
            "repeats": args.repeats,
            "rows": [asdict(r) for r in rows],
            "seeding": [asdict(r) for r in seeding_rows],
            "machine_rates": rates,
            "peak_rss_increment_bytes": memory or None,
            "versions": versions(),
        }

    def save(rows, seeding_rows):  # after every shape: an interrupted bench keeps what it measured
        if args.json and not quiet:
            write_json(args.json, json.loads(json.dumps(payload_of(rows, seeding_rows), default=float)))

    compile_notice()
    try:
        rows, seeding_rows = run_bench(
            shapes,
            targets,
            iterations=None if args.to_convergence else args.iterations,
            repeats=args.repeats,
            mixture=args.mixture,
            separation_ratio=args.separation_ratio,
            seed=args.seed,
            seeding=not args.no_seeding,
            progress=sys.stderr if sys.stderr.isatty() else None,
            isolate=args.isolate,
            timeout=args.timeout,
            memory_limit=args.memory_limit,
            done=done,
            on_shape=save,
        )
    except MissingDependency as exc:
        raise UsageError(str(exc)) from exc
    rates = machine_rates() if args.floor else None
    memory = {}
    if args.memory:
        for n, d, k in shapes:
            memory[f"{n}x{d}x{k}"] = peak_memory_increment(n, d, k, args.iterations)
    payload = payload_of(rows, seeding_rows, rates, memory)
    if args.json:
        write_json(args.json, json.loads(json.dumps(payload, default=float)))
    print(format_table(rows, seeding_rows, rates, memory), file=out)
    return EXIT_OK


def _recorded_shapes(path, settings) -> dict:
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
        seeding = {f"{r['n']}x{r['d']}x{r['k']}": SeedingRow(**r) for r in report.get("seeding", [])}
        for r in report.get("rows", []):
            key = f"{r['n']}x{r['d']}x{r['k']}"
            done.setdefault(key, ([], seeding.get(key)))[0].append(BenchRow(**r))
    except TypeError:  # another schema
        return {}
    return done


def format_table(rows, seeding_rows=(), rates=None, memory=None) -> str:
    w = max([14] + [len(r.target) for r in rows])
    lines = [
        f"{'shape (n x d x k)':<20} {'target':<{w}} {'median s':>9} {'vs lloyd':>9} {'iters':>6} "
        f"{'objective':>15} {'obj/lloyd':>11} {'labels=':>8}"
    ]
    for r in rows:
        if r.status != "ok":
            lines.append(f"{f'{r.n}x{r.d}x{r.k}':<20} {r.target:<{w}} {r.status}: {r.message}")
            continue
        iters = f"{r.n_iter:6d}" if r.n_iter >= 0 else f"{'?':>6}"
        lines.append(
            f"{f'{r.n}x{r.d}x{r.k}':<20} {r.target:<{w}} {r.seconds:9.3f} {r.ratio:8.2f}x {iters} "
            f"{r.objective:15.8g} {r.objective_ratio if r.objective_ratio is not None else float('nan'):11.8f} "
            f"{100 * r.label_agreement:7.2f}%"
        )
    lines.append("(vs lloyd = target's median time / lloyd's: above 1 means lloyd is faster)")
    if any(":" in r.target for r in rows):
        lines.append("(user targets start from the same init but stop by their own rule; their time is measured")
        lines.append(" around the call inside their worker process)")
    if seeding_rows:
        lines.append("")
        lines.append(f"{'shape':<20} {'k-means++ ours s':>17} {'sklearn s':>10} {'sklearn/ours':>13}")
        for s in seeding_rows:
            theirs = f"{s.seconds_sklearn:10.3f}" if s.seconds_sklearn is not None else f"{'-':>10}"
            ratio = f"{s.ratio:12.2f}x" if s.ratio is not None else f"{'-':>13}"
            lines.append(f"{f'{s.n}x{s.d}x{s.k}':<20} {s.seconds_ours:17.3f} {theirs} {ratio}")
    if rates:
        lines.append("")
        lines.append(
            f"machine: matmul {rates['matmul_gflops']:.1f} GFLOP/s, memory read {rates['memory_gbps']:.1f} GB/s; "
            "floor per iteration (2nkd flops | one pass over X) vs lloyd's time per iteration:"
        )
        for r in rows:
            if r.target != "lloyd":
                continue
            compute, mem = floor_per_iteration(r.n, r.d, r.k, rates)
            lines.append(
                f"{f'{r.n}x{r.d}x{r.k}':<20} {1e3 * compute:9.3f} ms | {1e3 * mem:7.3f} ms   "
                f"lloyd {1e3 * r.seconds / max(r.n_iter, 1):9.3f} ms"
            )
    if memory:
        lines.append("")
        for shape, b in memory.items():
            lines.append(f"peak RSS increment of lloyd at {shape}: {b / 2**20:.1f} MiB")
    return "\n".join(lines)
