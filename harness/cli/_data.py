"""``--data PATH`` for verify, fit and bench: the shared flags (declared once), reading the file, and
verify's data mode (its table and coverage).  Parses and formats; the work is in
:mod:`harness.cases.data_file` and :mod:`properties.data_verify`."""

from __future__ import annotations

import os
import sys

import numpy as np

from harness.cases.data_case import DEFAULT_ROW_LIMIT, DataCase, subsample_rows
from harness.cases.data_file import Dataset, read_data
from harness.cli._options import EXIT_FAILED, EXIT_INTERNAL, EXIT_OK, UsageError, positive_int
from harness.targets.runner import Runner
from properties.data_verify import DataVerification

__all__ = ["add_data_options", "limited_rows", "load_dataset", "run_verify_data"]


def add_data_options(parser, *, k_flag: bool = True) -> None:
    """``--data``, ``--reference``, ``--reference-column``, ``--max-rows``, and ``--k`` unless the command
    declares its own (``k_flag=False``)."""
    group = parser.add_argument_group("your own data (instead of a generated mixture)")
    if k_flag:
        group.add_argument(
            "--k", type=positive_int, default=None, help="number of centers to fit (required with --data)"
        )
    group.add_argument(
        "--data",
        metavar="PATH",
        help="an (n, d) table of numbers: .npy (memory-mapped), .csv (header row optional) or .parquet "
        "(numeric columns); needs --k",
    )
    group.add_argument(
        "--reference",
        metavar="LABELS",
        help="a reference partition of the data: a .npy or one-column .csv of n labels (enables the "
        "'truth' start and, in fit, the Centroid Index against its cell means)",
    )
    group.add_argument(
        "--reference-column",
        metavar="NAME",
        help="the reference partition as a column of the .csv (with a header) or .parquet; it is not clustered",
    )
    group.add_argument(
        "--max-rows",
        type=positive_int,
        default=DEFAULT_ROW_LIMIT,
        help=f"above this many rows, work on a subsample of this size drawn with --seed (default {DEFAULT_ROW_LIMIT})",
    )


def load_dataset(args) -> Dataset | None:
    """The --data file, read and checked (None without --data); a bad file is a usage error."""
    if getattr(args, "data", None) is None:
        if getattr(args, "reference", None) or getattr(args, "reference_column", None):
            raise UsageError("--reference: applies only with --data PATH")
        return None
    return read_data(args.data, reference=args.reference, reference_column=args.reference_column)


def limited_rows(dataset: Dataset, max_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """The rows a fit or a bench works on: all of them, or above ``max_rows`` a subsample of that
    size drawn with ``seed``; returns (X float64, reference labels or None, the record of it)."""
    rows = subsample_rows(dataset.n, max_rows, seed)
    X = np.ascontiguousarray(dataset.X[rows], dtype=np.float64)
    labels = None if dataset.labels is None else dataset.labels[rows]
    record = {
        "path": dataset.path,
        "sha256": dataset.sha256,
        "rows_in_file": dataset.n,
        "columns": dataset.dim,
        "rows_used": len(rows),
        "subsample_seed": seed if len(rows) < dataset.n else None,
        "reference": dataset.reference,
    }
    return X, labels, record


def _reference_flags(args) -> str:
    if getattr(args, "reference", None):
        return f" --reference {args.reference}"
    if getattr(args, "reference_column", None):
        return f" --reference-column {args.reference_column}"
    return ""


def run_verify_data(args, options) -> int:
    """``verify TARGET --data PATH --k K``: the checks that apply to fixed data, with coverage."""
    if getattr(args, "data", None) is None:
        raise UsageError("--k: applies only with --data PATH (generated cases choose their own k)")
    if getattr(args, "k", None) is None:
        raise UsageError("--k: required with --data (the number of centers to fit)")
    dataset = load_dataset(args)
    case_dir = getattr(args, "case_dir", ".") or "."
    out = sys.stderr if args.json == "-" else sys.stdout
    with Runner(args.target, options) as runner:
        verification = DataVerification(
            runner,
            spec=args.target,
            dataset=dataset,
            k=args.k,
            checks=args.check,
            profile=args.profile,
            seed=args.seed,
            max_examples=args.max_examples,
            replay=args.replay,
            json_path=args.json,
            case_dir=case_dir,
        )
        target = runner.target
        print(
            f"verifying {target.name} ({target.claims}, {target.precision}) on {dataset.describe()}, k={args.k}, "
            f"profile {args.profile}, seed {args.seed}" + (f", replaying {args.replay}" if args.replay else ""),
            file=out,
            flush=True,
        )
        if runner.isolated:
            print(runner.describe_isolation(), file=out, flush=True)

        def on_check(r):
            applied = f"applied to {r.applicable_examples:>3} of {r.examples:>3} examples"
            print(f"  {r.status:<15} {r.name:<31} {applied} {r.seconds:7.1f} s", file=out, flush=True)
            if r.status == "not-applicable" and r.message:
                print(f"  {'':<15} {r.message}", file=out, flush=True)

        report = verification.run(on_check=on_check)
    internal = [r for r in report.checks if r.status == "internal"]
    for r in internal:
        print(f"internal error of kmeans-harness in check {r.name}:\n{r.message}", file=sys.stderr)
    if internal:
        return EXIT_INTERNAL
    for r in report.failed:
        print(f"\n{r.status.upper()}: {r.name}", file=out)
        print(f"  {r.message}", file=out)
        if not r.case:
            continue
        case = DataCase.from_record(r.case, dataset=dataset)
        print(f"  minimal case: {case.describe()}", file=out)
        path = report.case_files.get(r.name)
        if path:
            print(
                f"  reproduce: kmeans-harness verify {args.target} --data {args.data}{_reference_flags(args)} "
                f"--k {args.k} --check {r.name} --replay {path}",
                file=out,
            )
    ran = [r for r in report.checks if r.applicable_examples]
    never = [r.name for r in report.checks if r.passed and not r.applicable_examples]
    low = [r.name for r in ran if r.applicable_examples < max(1, r.examples // 4)]
    if ran:
        print(
            f"\ncoverage: {len(ran)} check{'s' if len(ran) != 1 else ''} applied to "
            f"{min(r.applicable_examples for r in ran)} to {max(r.applicable_examples for r in ran)} examples each"
            + (f"; few applied for {', '.join(low)}" if low else "")
            + (f"; not applicable to this data: {', '.join(never)}" if never else ""),
            file=out,
        )
    verdict = "PASSED" if not report.failed else f"FAILED ({len(report.failed)} of {len(report.checks)} checks)"
    print(f"\n{target.name} on {os.path.basename(dataset.path)}: {verdict} in {report.seconds:.1f} s", file=out)
    return EXIT_OK if not report.failed else EXIT_FAILED
