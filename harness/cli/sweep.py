"""``kmeans-harness sweep``: a grid of fits on Dask, results to Parquet, resumable."""

from __future__ import annotations

import dataclasses
import os
import sys

from harness.cli._options import (
    EXIT_OK,
    UsageError,
    add_json_option,
    add_run_options,
    positive_int,
    run_options,
)
from harness.cli.output import compile_notice, emit_json
from harness.studies.sweep import EXAMPLES, check_targets, example_config_path, load_config, run_sweep


def register(subparsers) -> None:
    p = subparsers.add_parser("sweep", help="run a grid of fits on Dask; results to Parquet, resumable")
    p.add_argument(
        "config",
        metavar="CONFIG.toml",
        nargs="?",
        help="the grid (see 'kmeans-harness sweep --example small --show'); or --example NAME",
    )
    p.add_argument(
        "--example",
        choices=tuple(EXAMPLES),
        help="run an example config shipped with the package: small (360 fits, a few minutes on two cores) "
        "or 2000 (2016 fits)",
    )
    p.add_argument("--show", action="store_true", help="print the config (e.g. of --example NAME) and exit")
    p.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="where the Parquet results go (default: the config's sweep.output, relative to the current "
        "directory, else ./NAME.parquet); one sweep at a time per output",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler (default: a LocalCluster)")
    p.add_argument("--workers", type=positive_int, default=None, help="LocalCluster workers (default: one per core)")
    add_json_option(p, "a summary of the run")
    add_run_options(
        p,
        "sweep",
        isolate_help="run targets in a worker process with a timeout and a memory limit (default: the config's "
        "sweep.isolate, else yes for module:attr and file.py:attr targets, no for built-ins)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    if (args.config is None) == (args.example is None):
        raise UsageError("sweep: give a CONFIG.toml or --example NAME (one of them)")
    path = args.config if args.config is not None else example_config_path(args.example)
    if args.show:
        try:
            with open(path, encoding="utf-8") as fh:
                print(fh.read(), end="")
        except OSError as exc:
            raise UsageError(f"CONFIG: cannot read {path!r}: {exc.strerror}") from exc
        return EXIT_OK
    config = load_config(path)
    if args.output:
        config = dataclasses.replace(config, output=os.path.abspath(args.output))
    config = dataclasses.replace(config, options=run_options(args, "sweep", base=config.options))
    check_targets(config, where=args.config or f"--example {args.example}")
    out = sys.stderr if args.json == "-" else sys.stdout
    print(f"results go to {os.path.abspath(config.output)}", file=out, flush=True)
    compile_notice()
    summary = run_sweep(config, scheduler=args.scheduler, workers=args.workers)
    print(
        f"{summary['run_now']} fits run ({summary['errors']} errors), {summary['already_done']} were done; "
        f"results in {os.path.abspath(summary['output'])}",
        file=out,
    )
    emit_json(args.json, {"schema_version": 1, "command": "sweep", "config": path, **summary})
    return EXIT_OK
