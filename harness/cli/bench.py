"""``kmeans-harness bench``: time lloyd against the peers side by side (same data, same init).
Parses, calls :func:`harness.studies.bench.bench`, prints the table."""

from __future__ import annotations

import sys

from harness.cli._data import add_data_options, limited_rows, load_dataset
from harness.cli._options import (
    EXIT_OK,
    UsageError,
    add_json_option,
    add_mixture_options,
    add_run_options,
    positive_int,
    run_options,
)
from harness.cli.output import compile_notice, emit_json
from harness.errors import InvalidArgument, MissingDependency
from harness.studies.bench import (
    BENCH_TARGETS,
    DEFAULT_SHAPES,
    DEFAULT_TARGETS,
    bench,
    floor_per_iteration,
    parse_shape,
)


def register(subparsers) -> None:
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
    p.add_argument("--iterations", type=positive_int, default=30, help="iterations per fit (default 30)")
    p.add_argument("--to-convergence", action="store_true", help="run to a fixed point instead (at most 1000)")
    p.add_argument("--repeats", type=positive_int, default=3, help="timed rounds; the median is reported")
    add_mixture_options(
        p, default_mixture="gaussian", default_separation=1.0, separation_help="η_min of the mixture (default 1)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the data and the init (default 0)")
    p.add_argument("--no-seeding", action="store_true", help="skip the k-means++ comparison")
    p.add_argument("--memory", action="store_true", help="also measure lloyd's peak RSS increment per shape")
    p.add_argument("--floor", action="store_true", help="also measure the machine's matmul rate and bandwidth")
    add_json_option(p, "written after every shape; a rerun with the same settings resumes from it")
    p.add_argument("--fresh", action="store_true", help="ignore the shapes already recorded in --json PATH")
    add_run_options(
        p,
        "bench",
        isolate_help="run user targets (module:attr, file.py:attr) in a worker process with a timeout and a "
        "memory limit (default: yes; built-ins always run in-process)",
    )
    add_data_options(p)  # --data PATH --k K: time the contenders on your data (--shapes is then ignored)
    p.set_defaults(func=run)


def run(args) -> int:
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
    dataset, data, data_record = load_dataset(args), None, None
    if dataset is None and args.k is not None:
        raise UsageError("--k: applies only with --data PATH (otherwise --shapes gives k)")
    if dataset is not None:
        if args.k is None:
            raise UsageError("--k: required with --data (the number of centers to fit)")
        data, _, data_record = limited_rows(dataset, args.max_rows, args.seed)
        if args.k > len(data):
            raise UsageError(f"--k: expected at most {len(data)} centers (the data's rows), got {args.k}")
        shapes = [(len(data), data.shape[1], args.k)]
    if args.mixture == "ball" and args.separation_ratio <= 2:
        raise UsageError(f"--separation-ratio: a ball mixture needs > 2, got {args.separation_ratio}")
    out = sys.stderr if args.json == "-" else sys.stdout
    options = run_options(args, "bench")
    compile_notice()
    try:
        result = bench(
            shapes=shapes,
            targets=targets,
            iterations=None if args.to_convergence else args.iterations,
            repeats=args.repeats,
            mixture=args.mixture,
            separation_ratio=args.separation_ratio,
            seed=args.seed,
            seeding=not args.no_seeding,
            floor=args.floor,
            memory=args.memory,
            options=options,
            json_path=args.json,
            fresh=args.fresh,
            progress=sys.stderr,  # in place on a terminal, a line per step when piped
            data=data,
            data_record=data_record,
            on_resume=lambda count: print(
                f"resuming from {args.json}: {count} shapes already measured (--fresh to rerun them)", file=out
            ),
        )
    except MissingDependency as exc:
        raise UsageError(str(exc)) from exc
    if args.json == "-":
        emit_json("-", result["payload"])
    table = format_table(
        result["rows"], result["seeding_rows"], result["rates"], result["memory"], result["payload"].get("threads")
    )
    print(table, file=out)
    return EXIT_OK


def _reference_cell(row) -> str:
    """The row's agreement with the float64 reference and whose labels the reference has where the
    row's differ from lloyd's (blank where the reference was not run)."""
    agreement = f"{100 * row.reference_agreement:7.2f}%" if row.reference_agreement is not None else f"{'':>8}"
    return f"{agreement}  {row.matches_reference or ''}".rstrip()


def format_table(rows, seeding_rows=(), rates=None, memory=None, threads=None) -> str:
    w = max([14] + [len(r.target) for r in rows])
    lines = [
        f"{'shape (n x d x k)':<20} {'target':<{w}} {'median s':>9} {'vs lloyd':>9} {'iters':>6} "
        f"{'objective':>15} {'obj/lloyd':>11} {'labels=':>8} {'ref=':>8}  where labels differ, ref has"
    ]
    for r in rows:
        if r.status != "ok":
            lines.append(f"{f'{r.n}x{r.d}x{r.k}':<20} {r.target:<{w}} {r.status}: {r.message}")
            continue
        iters = f"{r.n_iter:6d}" if r.n_iter >= 0 else f"{'?':>6}"
        lines.append(
            f"{f'{r.n}x{r.d}x{r.k}':<20} {r.target:<{w}} {r.seconds:9.3f} {r.ratio:8.2f}x {iters} "
            f"{r.objective:15.8g} {r.objective_ratio if r.objective_ratio is not None else float('nan'):11.8f} "
            f"{100 * r.label_agreement:7.2f}% {_reference_cell(r)}"
        )
    lines.append("(vs lloyd = target's median time / lloyd's: above 1 means lloyd is faster)")
    if any(r.reference_agreement is not None or r.matches_reference for r in rows):
        lines.append(
            "(ref = the float64 reference Lloyd, plain numpy, from the same init for lloyd's iteration count; "
            "run on shapes where some labels differ from lloyd's)"
        )
    if any(":" in r.target for r in rows):
        lines.append("(user targets start from the same init but stop by their own rule; their time is measured")
        lines.append(" around the call inside their worker process)")
    if threads:
        lines.append("threads: " + ", ".join(f"{name} {count}" for name, count in threads.items()))
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
