"""``kmeans-harness report``: a self-contained HTML report of sweep results."""

from __future__ import annotations

import json
import os
import sys

from harness.cli._options import EXIT_OK, add_json_option
from harness.cli.output import emit_json
from harness.errors import InvalidArgument
from harness.studies.report import write_report


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="a self-contained HTML report of sweep results")
    p.add_argument("results", metavar="RESULTS", help="a sweep's Parquet output (directory or file)")
    p.add_argument("-o", "--output", metavar="report.html", required=True, help="where to write the HTML")
    p.add_argument(
        "--reproduction",
        metavar="JSON",
        action="append",
        default=[],
        help="also include a 'reproduce --json' result (repeatable)",
    )
    add_json_option(p, "what was written: rows, figures, duplicates dropped")
    p.set_defaults(func=run)


def run(args) -> int:
    reproductions = []
    for path in args.reproduction:
        try:
            with open(path, encoding="utf-8") as fh:
                reproductions.append(json.load(fh))
        except (OSError, ValueError) as exc:
            raise InvalidArgument(f"--reproduction: cannot read {path!r}: {exc}") from exc
        if not isinstance(reproductions[-1], dict) or "verdict" not in reproductions[-1]:
            raise InvalidArgument(f"--reproduction: {path!r} is not the JSON of 'kmeans-harness reproduce --json'")
    info = write_report(args.results, args.output, reproductions=reproductions)
    out = sys.stderr if args.json == "-" else sys.stdout
    if info.get("duplicates"):
        print(
            f"warning: {args.results} records {info['duplicates']} fits twice (two sweeps wrote it at once); "
            "each counts once in the report",
            file=sys.stderr,
        )
    print(
        f"report of {info['rows']} fits ({info['figures']} figures) written to {os.path.abspath(args.output)}",
        file=out,
    )
    emit_json(
        args.json,
        {"schema_version": 1, "command": "report", "results": args.results, "output": args.output, **info},
    )
    return EXIT_OK
