"""``kmeans-harness sweep``: a grid of fits on Dask, results to Parquet, resumable."""

from __future__ import annotations

import dataclasses
import sys

from harness.cli._options import EXIT_OK, add_json_option, add_run_options, positive_int, run_options
from harness.cli.output import compile_notice, emit_json
from harness.studies.sweep import check_targets, load_config, run_sweep


def register(subparsers) -> None:
    p = subparsers.add_parser("sweep", help="run a grid of fits on Dask; results to Parquet, resumable")
    p.add_argument("config", metavar="CONFIG.toml", help="the grid (see examples/sweep-small.toml)")
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
    config = load_config(args.config)
    config = dataclasses.replace(config, options=run_options(args, "sweep", base=config.options))
    check_targets(config, where=args.config)
    compile_notice()
    summary = run_sweep(config, scheduler=args.scheduler, workers=args.workers)
    out = sys.stderr if args.json == "-" else sys.stdout
    print(
        f"{summary['run_now']} fits run ({summary['errors']} errors), {summary['already_done']} were done; "
        f"results in {summary['output']}",
        file=out,
    )
    emit_json(args.json, {"schema_version": 1, "command": "sweep", "config": args.config, **summary})
    return EXIT_OK
