"""``kmeans-harness report``: a self-contained HTML report of sweep results."""

from __future__ import annotations

import json

from harness.cli._options import EXIT_OK
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
    p.set_defaults(func=run)


def run(args) -> int:
    reproductions = []
    for path in args.reproduction:
        try:
            with open(path, encoding="utf-8") as fh:
                reproductions.append(json.load(fh))
        except (OSError, ValueError) as exc:
            raise InvalidArgument(f"--reproduction: cannot read {path!r}: {exc}") from exc
    info = write_report(args.results, args.output, reproductions=reproductions)
    print(f"report of {info['rows']} fits ({info['figures']} figures) written to {args.output}")
    return EXIT_OK
