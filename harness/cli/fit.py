"""``kmeans-harness fit``: sample a mixture, fit a target once, print objective, iterations and time."""

from __future__ import annotations

import sys
import time

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
from harness.studies.fit import fit_sample
from harness.targets.failures import BadOutput, TargetAborted, TargetRaised
from harness.targets.runner import Runner
from harness.theory.models import make_mixture


def register(subparsers) -> None:
    p = subparsers.add_parser("fit", help="sample a mixture, fit a target, print objective/iterations/time")
    p.add_argument("target", help=TARGET_HELP)
    add_mixture_options(p, default_mixture="ball", default_separation=10.0)
    p.add_argument("--k", type=positive_int, default=8, help="number of true clusters (default 8)")
    p.add_argument("--k-fit", type=positive_int, default=None, help="number of centers to fit (default: --k)")
    p.add_argument("--d", type=positive_int, default=2, help="dimension (default 2)")
    p.add_argument("--n", type=positive_int, default=100_000, help="number of points (default 100000)")
    add_seed_option(p, what="seed of the mixture, the sample and the fit")
    add_json_option(p)
    add_run_options(p, "fit")
    p.set_defaults(func=run)


def run(args) -> int:
    try:
        mixture = make_mixture(
            args.mixture, k=args.k, dim=args.d, separation_ratio_min=args.separation_ratio, seed=args.seed
        )
    except InvalidArgument as exc:
        raise UsageError(flag_message(str(exc))) from exc
    k_fit = args.k_fit or args.k
    if k_fit > args.n:
        raise UsageError(f"--{'k-fit' if args.k_fit else 'k'}: expected at most --n = {args.n} centers, got {k_fit}")
    compile_notice()
    opened = time.perf_counter()
    with Runner(args.target, run_options(args, "fit")) as runner:  # user code runs in a worker, as in verify
        load_seconds = time.perf_counter() - opened
        try:
            payload = fit_sample(runner, mixture=mixture, n=args.n, k=k_fit, seed=args.seed, load_seconds=load_seconds)
        except (TargetAborted, TargetRaised, BadOutput) as exc:  # the target's failure, not ours (exit 1, not 3)
            print(f"error: the target failed: {exc}", file=sys.stderr)
            return EXIT_FAILED
    emit_json(args.json, payload)
    if args.json != "-":
        target = runner.target
        n_iter, converged = payload["n_iter"], payload["converged"]
        print(f"target        {target.name} ({target.claims}, {target.precision})")
        print(f"mixture       {mixture.describe()}")
        print(f"data          n={args.n}, k={k_fit}, seed={args.seed}")
        ratio = payload["objective_ratio"]
        print(
            f"objective     {payload['objective'] if payload['objective'] is not None else float('nan'):.10g}   "
            f"(ground truth centers: {payload['truth_objective']:.10g}, "
            f"ratio {'-' if ratio is None else format(ratio, '.6f')})"
        )
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
