"""``kmeans-harness verify``: the property suite on a target (the main job).  Parses, opens the
target through the runner, runs :class:`properties.verify.Verification` and prints its table."""

from __future__ import annotations

import os
import sys

import numpy as np

from harness.cases.case import Case
from harness.cli._data import add_data_options, run_verify_data
from harness.cli._options import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    TARGET_HELP,
    UsageError,
    add_run_options,
    non_negative_int,
    positive_int,
    run_options,
)
from harness.cli.output import compile_notice
from harness.config import HYPOTHESIS_PROFILES, PROFILE_EXAMPLES
from harness.targets.runner import Runner
from properties.structure_checks import structure_summary
from properties.suite import CHECKS
from properties.verify import InternalError, Verification, reproduce_command


def register(subparsers) -> None:
    p = subparsers.add_parser("verify", help="run the property suite on a target (the main job)")
    p.add_argument("target", help=TARGET_HELP)
    p.add_argument(
        "--profile",
        choices=tuple(HYPOTHESIS_PROFILES),
        default="quick",
        help="how many cases each check draws: "
        + ", ".join(f"{name} {PROFILE_EXAMPLES[name]}" for name in HYPOTHESIS_PROFILES)
        + " (default quick)",
    )
    p.add_argument("--check", action="append", metavar="NAME", help="run only this check (repeatable)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="Hypothesis seed (default 0)")
    p.add_argument("--max-examples", type=positive_int, default=None, help="override the profile's example count")
    p.add_argument("--replay", metavar="CASE.json", help="re-run one recorded case (a case record or a verify report)")
    p.add_argument(
        "--json",
        metavar="PATH",
        help="also write JSON to PATH ('-' for standard output), after every check; a rerun with the same "
        "target, profile, seed and --max-examples resumes from it",
    )
    p.add_argument("--fresh", action="store_true", help="ignore the checks already recorded in --json PATH")
    p.add_argument(
        "--case-dir",
        metavar="DIR",
        default=".",
        help="where each failure's kmeans-harness-case-CHECK.json goes (default: the current directory; "
        "the path is printed)",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="after the target times out in a check, run the remaining checks anyway (default: report them "
        "'skipped', which counts as a failure and is run again on resume)",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also show what the target printed in each check, the cases each declared limitation excused and "
        "the target's calls per check",
    )
    add_run_options(p, "verify")
    add_data_options(p)  # --data PATH --k K: the checks that apply to fixed data (harness/cli/_data.py)
    p.set_defaults(func=run)


def run(args) -> int:
    unknown = [name for name in args.check or () if name not in CHECKS]
    if unknown:
        raise UsageError(f"--check: unknown check {unknown[0]!r}; expected one of: {', '.join(CHECKS)}")
    options = run_options(args, "verify")
    if args.case_dir not in ("", "."):
        try:
            os.makedirs(args.case_dir, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--case-dir: cannot create {args.case_dir!r}: {exc.strerror}") from exc
    if args.data is not None or args.k is not None:
        return run_verify_data(args, options)
    with Runner(args.target, options) as runner:
        verification = Verification(
            runner,
            spec=args.target,
            checks=args.check,
            profile=args.profile,
            seed=args.seed,
            max_examples=args.max_examples,
            replay=args.replay,
            json_path=args.json,
            fresh=args.fresh,
            case_dir=args.case_dir,
            keep_going=args.keep_going,
        )
        out = sys.stderr if args.json == "-" else sys.stdout
        compile_notice()
        target = runner.target
        print(
            f"verifying {target.name} ({target.claims}, {target.precision}) with profile {args.profile}, "
            f"seed {args.seed}" + (f", replaying {args.replay}" if args.replay else ""),
            file=out,
            flush=True,
        )
        if runner.isolated:
            print(runner.describe_isolation(), file=out, flush=True)
        if verification.recorded:
            print(
                f"resuming from {args.json}: {len(verification.recorded)} checks already recorded "
                "(--fresh to rerun them)",
                file=out,
            )

        def on_check(r, recorded):
            if recorded:
                print(f"  {r.status:<15} {r.name:<31} (recorded in {args.json})", file=out, flush=True)
                return
            if r.status == "skipped":
                print(f"  {r.status:<15} {r.name:<31} {r.message}", file=out, flush=True)
                return
            excused = sum(r.excused.values())
            note = f"  ({excused} excused)" if excused else ""
            print(
                f"  {r.status:<15} {r.name:<31} {r.examples:>4} examples {r.seconds:7.1f} s{note}", file=out, flush=True
            )
            if r.structure:
                print(f"  {'':<15} {structure_summary(r.structure)}", file=out, flush=True)

        try:
            report = verification.run(on_check=on_check)
        except InternalError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_INTERNAL
    for cause in report.causes:
        _print_cause(report, cause, args, out)
    if args.verbose:
        _print_verbose(report, out)
    failed = report.failed
    verdict = "PASSED" if not failed else f"FAILED ({len(failed)} of {len(report.checks)} checks)"
    causes = len(report.causes)
    if failed and causes < len(failed):
        verdict += f", {causes} cause{'s' if causes != 1 else ''}"
    print(f"\n{target.name}: {verdict} in {report.seconds:.1f} s, {report.calls} calls of the target", file=out)
    return EXIT_OK if not failed else EXIT_FAILED


def _indented(text: str, prefix: str = "    | ") -> str:
    return "\n".join(prefix + line for line in text.rstrip("\n").splitlines())


def _print_cause(report, cause, args, out) -> None:
    """One failure cause: its status and checks, the message, the minimal case, what the target
    printed on it, and one reproduce command."""
    checks = cause.checks
    first = checks[0]
    result = next(r for r in report.checks if r.name == first)
    hit = first
    if len(checks) > 1:
        hit = f"{len(checks)} checks on the same case for the same reason: {', '.join(checks)}"
    print(f"\n{cause.status.upper()}: {hit}", file=out)
    print(f"  {result.message}", file=out)
    if result.case is None:
        return
    case = Case.from_record(result.case)
    print(f"  minimal case: {case.describe()}", file=out)
    if case.init is not None:
        print(f"  init: {np.array2string(np.asarray(case.init), precision=6, max_line_width=200)}", file=out)
    if result.output:
        print("  the target printed:", file=out)
        print(_indented(result.output), file=out)
    path = report.case_files.get(first)
    if path:
        print(f"  reproduce: {reproduce_command(args.target, first, path)}", file=out)
    else:
        print("  (could not write its case file; the case is in the --json report)", file=out)


def _print_verbose(report, out) -> None:
    """-v: per check, the calls, the excused cases and what the target printed."""
    print("\ncalls of the target per check (fits shared with an earlier check are not counted):", file=out)
    for r in report.checks:
        excused = ", ".join(f"{n} by {keyword}" for keyword, n in sorted(r.excused.items()))
        print(f"  {r.name:<31} {r.calls:>5} calls" + (f"; excused: {excused}" if excused else ""), file=out)
    for r in report.checks:
        if r.output and r.passed:
            print(f"\n{r.name}: the target printed in {r.output_calls} calls; the first:", file=out)
            print(_indented(r.output), file=out)
