"""The ``kmeans-harness`` entry point: builds the parser from the command modules, runs the chosen
command and maps what went wrong to an exit code.

Exit codes: 0 success, 1 a check failed (verify), 2 usage error (bad option, unknown target,
missing optional dependency), 3 an internal error of the harness.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from harness import __version__
from harness.cli import bench, fit, report, reproduce, sweep, targets, verify
from harness.cli._options import EXIT_INTERNAL, EXIT_USAGE, Parser, UsageError
from harness.errors import InvalidArgument, MissingDependency, TargetLoadError

#: The commands, in the order ``--help`` lists them.
COMMANDS = (targets, fit, verify, bench, sweep, report, reproduce)

DESCRIPTION = (
    "Is your k-means right, how fast is it, and how often does it land in a spurious local minimum? "
    "Run 'kmeans-harness COMMAND --help' for a command's options."
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="kmeans-harness", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"kmeans-harness {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv=None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return EXIT_USAGE
        return args.func(args)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    except (UsageError, TargetLoadError, MissingDependency, InvalidArgument) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception:
        print("internal error of kmeans-harness (please report it):", file=sys.stderr)
        traceback.print_exc()
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
