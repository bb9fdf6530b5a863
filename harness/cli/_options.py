"""The command line's shared vocabulary: exit codes, the usage error, argument types, and the flags
that several commands take, each declared once here and attached to every parser that takes it."""

from __future__ import annotations

import argparse
import math
from dataclasses import replace

from harness.errors import InvalidArgument
from harness.targets.options import COMMAND_DEFAULTS, RunOptions, describe_bytes, parse_memory_limit
from harness.theory.models import MIXTURE_KINDS

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

#: What a user target spec looks like, for help texts.
TARGET_HELP = "built-in name (see 'kmeans-harness targets'), package.module:attr or path/to/file.py:attr"


class UsageError(Exception):
    """Reported as one line on standard error with exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would exit itself; we keep one exit path
        raise UsageError(f"{self.prog}: {message}")


def positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def non_negative_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return v


def positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return v


def timeout_seconds(text):
    """A positive number of seconds, or ``none`` (no limit)."""
    if text.strip().lower() == "none":
        return None
    return positive_float(text)


def memory_limit(text):
    try:
        return parse_memory_limit(text)
    except InvalidArgument as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("memory limit: ")) from None


def add_json_option(parser, what: str = "") -> None:
    """``--json PATH``: every command writes its result as JSON too."""
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="also write JSON to PATH ('-' for standard output)" + (f"; {what}" if what else ""),
    )


def add_run_options(parser, command: str, *, isolate_help: str | None = None) -> None:
    """``--isolate/--no-isolate``, ``--timeout`` and ``--memory-limit``, with ``command``'s defaults
    (:data:`harness.targets.options.COMMAND_DEFAULTS`).  A flag left out is absent from the namespace,
    so "not given" and "no limit" (``none``) stay apart."""
    defaults = COMMAND_DEFAULTS[command]
    timeout = "no limit" if defaults.timeout is None else f"{defaults.timeout:g}"
    parser.add_argument(
        "--isolate",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help=isolate_help
        or "run the target in a worker process with a timeout and a memory limit (default: yes for "
        "module:attr and file.py:attr targets, no for built-ins)",
    )
    parser.add_argument(
        "--timeout",
        type=timeout_seconds,
        default=argparse.SUPPRESS,
        metavar="SECONDS",
        help=f"seconds one call of an isolated target may take, or 'none' (default {timeout}); implies --isolate",
    )
    parser.add_argument(
        "--memory-limit",
        type=memory_limit,
        default=argparse.SUPPRESS,
        metavar="SIZE",
        help="address-space limit of the isolated target's worker, e.g. 4G, 512M or 'none' "
        f"(default {describe_bytes(defaults.memory_limit).replace(' ', '')})",
    )


def run_options(args, command: str, base: RunOptions | None = None) -> RunOptions:
    """The :class:`RunOptions` the flags of :func:`add_run_options` ask for, over ``base`` (default:
    ``command``'s defaults).  ``--timeout`` asks for isolation; with ``--no-isolate`` it is an error."""
    options = base or COMMAND_DEFAULTS[command]
    given = {name: getattr(args, name) for name in ("isolate", "timeout", "memory_limit") if hasattr(args, name)}
    if "timeout" in given and given.get("isolate") is False:
        raise UsageError("--timeout: applies only to an isolated target; drop --no-isolate or --timeout")
    if "timeout" in given and "isolate" not in given:
        given["isolate"] = True
    return replace(options, **given)


def add_mixture_options(parser, *, default_mixture: str, default_separation: float, separation_help: str = "") -> None:
    """``--mixture`` and ``--separation-ratio``: the generative model of the data."""
    parser.add_argument(
        "--mixture",
        choices=tuple(MIXTURE_KINDS),
        default=default_mixture,
        help=f"the generative model: {', '.join(MIXTURE_KINDS)} (default {default_mixture})",
    )
    parser.add_argument(
        "--separation-ratio",
        type=positive_float,
        default=default_separation,
        help=separation_help
        or f"η_min, the smallest center distance over the cluster radius (default {default_separation:g})",
    )


def add_seed_option(parser, *, default: int | None = 0, what: str = "seed") -> None:
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=default,
        help=f"{what} (default {default if default is not None else 'its own'})",
    )
