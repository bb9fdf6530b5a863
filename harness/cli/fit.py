"""``kmeans-harness fit``: fit a target once, on a mixture sample or on your own data (``--data``),
and print objective, iterations and time (the fit apart from loading and compiling)."""

from __future__ import annotations

import sys
import time

from harness.cli._data import add_data_options, limited_rows, load_dataset
from harness.cli._options import (
    EXIT_FAILED,
    EXIT_OK,
    TARGET_HELP,
    UsageError,
    add_json_option,
    add_mixture_options,
    add_run_options,
    add_seed_option,
    positive_int,
    run_options,
)
from harness.cli.output import compile_notice, emit_json
from harness.errors import InvalidArgument
from harness.studies.fit import fit_data, fit_sample
from harness.targets.failures import BadOutput, TargetAborted, TargetRaised
from harness.targets.runner import Runner
from harness.theory.models import make_mixture

#: --k when neither --data nor --k says otherwise.
DEFAULT_K = 8


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "fit", help="fit a target once (a mixture sample, or --data FILE) and print objective/iterations/time"
    )
    p.add_argument("target", help=TARGET_HELP)
    add_mixture_options(p, default_mixture="ball", default_separation=10.0)
    p.add_argument(
        "--k",
        type=positive_int,
        default=None,
        help=f"number of true clusters of the mixture (default {DEFAULT_K}); with --data, the number of "
        "centers to fit (required)",
    )
    p.add_argument("--k-fit", type=positive_int, default=None, help="number of centers to fit (default: --k)")
    p.add_argument("--d", type=positive_int, default=2, help="dimension (default 2)")
    p.add_argument("--n", type=positive_int, default=100_000, help="number of points (default 100000)")
    add_seed_option(p, what="seed of the mixture, the sample and the fit (with --data: of the fit and any subsample)")
    add_json_option(p)
    add_run_options(p, "fit")
    add_data_options(p, k_flag=False)
    p.set_defaults(func=run)


def run(args) -> int:
    dataset = load_dataset(args)
    if dataset is not None:
        if args.k is None:
            raise UsageError("--k: required with --data (the number of centers to fit)")
        if args.k_fit is not None:
            raise UsageError("--k-fit: applies to a mixture; with --data, --k is the number of centers")
        X, labels, record = limited_rows(dataset, args.max_rows, args.seed)
        if args.k > len(X):
            raise UsageError(f"--k: expected at most {len(X)} centers (the data's rows), got {args.k}")
        return _fit(
            args,
            lambda runner, load: fit_data(
                runner, X, k=args.k, seed=args.seed, labels=labels, data=record, load_seconds=load
            ),
            describe=lambda: [
                f"data          {dataset.describe()}",
                f"rows          {record['rows_used']} of {record['rows_in_file']}"
                + (
                    f" (a subsample, seed {record['subsample_seed']}; --max-rows)"
                    if record["subsample_seed"] is not None
                    else ""
                ),
                f"k             {args.k}, seed={args.seed}",
            ],
        )
    k = args.k or DEFAULT_K
    try:
        mixture = make_mixture(
            args.mixture, k=k, dim=args.d, separation_ratio_min=args.separation_ratio, seed=args.seed
        )
    except InvalidArgument as exc:
        raise UsageError(flag_message(str(exc))) from exc
    k_fit = args.k_fit or k
    if k_fit > args.n:
        raise UsageError(f"--{'k-fit' if args.k_fit else 'k'}: expected at most --n = {args.n} centers, got {k_fit}")
    return _fit(
        args,
        lambda runner, load: fit_sample(runner, mixture=mixture, n=args.n, k=k_fit, seed=args.seed, load_seconds=load),
        describe=lambda: [
            f"mixture       {mixture.describe()}",
            f"data          n={args.n}, k={k_fit}, seed={args.seed}",
        ],
    )


def _fit(args, compute, describe) -> int:
    compile_notice()
    opened = time.perf_counter()
    with Runner(args.target, run_options(args, "fit")) as runner:  # user code runs in a worker, as in verify
        load_seconds = time.perf_counter() - opened
        try:
            payload = compute(runner, load_seconds)
        except (TargetAborted, TargetRaised, BadOutput) as exc:  # the target's failure, not ours (exit 1, not 3)
            print(f"error: the target failed: {exc}", file=sys.stderr)
            return EXIT_FAILED
    emit_json(args.json, payload)
    if args.json == "-":
        return EXIT_OK
    target = runner.target
    n_iter, converged = payload["n_iter"], payload["converged"]
    ratio = payload["objective_ratio"]
    objective = payload["objective"] if payload["objective"] is not None else float("nan")
    print(f"target        {target.name} ({target.claims}, {target.precision})")
    for line in describe():
        print(line)
    if "truth_objective" in payload:
        against = f"ground truth centers: {payload['truth_objective']:.10g}"
    elif payload.get("reference_objective") is not None:
        against = f"reference partition's means: {payload['reference_objective']:.10g}"
    else:
        against = None
    if against:
        print(f"objective     {objective:.10g}   ({against}, ratio {'-' if ratio is None else format(ratio, '.6f')})")
    else:
        print(f"objective     {objective:.10g}")
    if payload.get("centroid_index") is not None:
        print(f"centroid idx  {payload['centroid_index']} (against the reference partition's means)")
    print(f"iterations    {n_iter if n_iter is not None else 'not reported'}")
    print(f"converged     {converged if converged is not None else 'not reported'}")
    print(f"time          {payload['seconds']:.3f} s (the fit alone)")
    opened_how = "import, worker start" if runner.isolated else "import"
    print(
        f"              load {payload['load_seconds']:.3f} s ({opened_how}), "
        f"warm-up {payload['warmup_seconds']:.3f} s (a first call on {payload['warmup_points']} points: "
        "numba compiles or loads its cache)"
    )
    return EXIT_OK


#: Library parameter names → the flags of this command, so that an error names what the user typed.
FLAG_NAMES = {
    "separation_ratio_min": "--separation-ratio",
    "separation_ratio_spread": "--separation-ratio-spread",
    "dim": "--d",
    "k": "--k",
    "n": "--n",
}


def flag_message(message: str) -> str:
    """``message`` with a leading library parameter name (``separation_ratio_min: ...``) replaced by the
    flag the user typed (``--separation-ratio: ...``)."""
    name, sep, rest = message.partition(":")
    return f"{FLAG_NAMES[name]}:{rest}" if sep and name in FLAG_NAMES else message
