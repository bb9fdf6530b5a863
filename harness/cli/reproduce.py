"""The ``reproduce`` command: re-run a published experiment and say whether it holds.

Parses the options, calls the registered reproduction with keyword arguments and prints its lines
(or writes its JSON); the experiments live in :mod:`harness.studies.reproductions`.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys

from harness.cli._options import EXIT_FAILED, EXIT_OK, non_negative_int, positive_int
from harness.cli.output import compile_notice, emit_json
from harness.studies.reproductions.registry import REPRODUCTIONS, format_text

__all__ = ["KEYWORDS", "register", "run"]

#: Which of the command's options each reproduction takes, as option → keyword parameter; it ignores
#: the others, as it always has.  ``--repeats`` is theorem1-gap's number of population Lloyd starts.
KEYWORDS: dict[str, dict[str, str]] = {
    "balancing-squares": {"repeats": "repeats", "seed": "seed"},
    "density-law": {"repeats": "repeats", "seed": "seed"},
    "prop1": {"seed": "seed"},
    "prop2": {},
    "example1": {},
    "example2": {},
    "figure1": {"out": "output_dir"},
    "theorem1-gap": {"repeats": "starts", "seed": "seed", "out": "output_dir", "full": "full"},
}


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``reproduce`` parser to ``subparsers`` (from ``add_subparsers``) and return it."""
    p = subparsers.add_parser("reproduce", help="re-run a published experiment and say whether it holds")
    p.add_argument("name", choices=list(REPRODUCTIONS), metavar="NAME", help=", ".join(REPRODUCTIONS))
    p.add_argument("--repeats", type=positive_int, default=None, help="repeats (default: the experiment's own)")
    p.add_argument("--seed", type=non_negative_int, default=None, help="base seed (default 0)")
    p.add_argument("--json", metavar="PATH", help="also write JSON to PATH ('-' for standard output)")
    p.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="where pictures go (figure1, theorem1-gap; default ./NAME/ in the current directory, "
        "its path printed; '' for no pictures)",
    )
    p.add_argument("--full", action="store_true", default=None, help="theorem1-gap: k = 2..10, d = 1, 2, 10 (hours)")
    p.set_defaults(func=run)
    return p


def keywords_for(args) -> dict:
    """The keyword arguments of ``args.name``'s function: the options it takes that were given
    (an option left out keeps the function's default; ``--out ''`` means no pictures)."""
    keywords = {}
    for option, keyword in KEYWORDS[args.name].items():
        value = getattr(args, option, None)
        if value is None:
            continue
        keywords[keyword] = None if option == "out" and value == "" else value
    return keywords


def picture_dir(name: str, keywords: dict) -> str | None:
    """Where ``name``'s pictures went: ``--out``, else its function's default (a folder in the current
    directory), or None when it draws none."""
    if "out" not in KEYWORDS[name]:
        return None
    keyword = KEYWORDS[name]["out"]
    if keyword in keywords:
        return keywords[keyword]
    default = inspect.signature(REPRODUCTIONS[name].function).parameters[keyword].default
    return None if default in (None, inspect.Parameter.empty) else os.fspath(default)


def run(args) -> int:
    """Run ``args.name``; exit code 0 when the claim is reproduced, 1 when not."""
    entry = REPRODUCTIONS[args.name]
    keywords = keywords_for(args)
    compile_notice()
    result = entry.function(**keywords)
    if args.json:
        emit_json(args.json, {"schema_version": 1, "command": "reproduce", **result})
    if args.json != "-":
        print("\n".join(format_text(result)))
    pictures = picture_dir(args.name, keywords)
    if pictures is not None and os.path.isdir(pictures):
        print(f"pictures in {os.path.abspath(pictures)}", file=sys.stderr if args.json == "-" else sys.stdout)
    return EXIT_OK if result["verdict"]["reproduced"] else EXIT_FAILED
