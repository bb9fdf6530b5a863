"""The ``kmeans-harness`` command line: parses arguments, calls the library, formats the output,
sets the exit code.  It computes nothing itself.

Exit codes: 0 success, 1 a check failed (verify), 2 usage error (bad option, unknown target,
missing optional dependency), 3 an internal error of the harness.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import tempfile
import time
import traceback

import numpy as np

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """Reported as one line on standard error with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would exit itself; we keep one exit path
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def _non_negative_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return v


def _positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return v


def _memory_limit(text):
    from harness.errors import InvalidArgument
    from harness.targets.worker import parse_memory_limit

    try:
        return parse_memory_limit(text)
    except InvalidArgument as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("memory limit: ")) from None


def _json_safe(obj):
    """NaN and infinities become None: JSON has no such numbers (a hostile target's answer may)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def write_json(path: str, payload: dict) -> None:
    """Write ``payload`` to ``path`` (``-``: standard output) atomically: a temporary file in the
    same directory, then ``os.replace``, so a reader (or a resumed run) never sees half a report."""
    text = json.dumps(_json_safe(payload), indent=2, default=_json_default, allow_nan=False)
    if path == "-":
        sys.stdout.write(text + "\n")
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"--json: cannot write {path!r}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _json_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def finite_or_none(x):
    return x if x is not None and math.isfinite(x) else None


#: Distributions whose versions a report records (those not installed are left out).
VERSIONED = ("kmeans-harness", "numpy", "scipy", "numba", "hypothesis", "scikit-learn", "faiss-cpu", "kmeans1d")


def versions(extra=()) -> dict:
    """Python's and the installed versions of :data:`VERSIONED` and of ``extra`` (provenance)."""
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for dist in (*VERSIONED, *extra):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def compile_notice(stream=sys.stderr) -> None:
    from harness.numerics.kernels import cache_is_warm

    if not cache_is_warm():
        print(
            "note: first run: numba is compiling the kernels (about 20-40 s); later runs load them from the cache.",
            file=stream,
            flush=True,
        )


# ------------------------------------------------------------------------------------------------


def cmd_targets(args) -> int:
    from harness.targets.declaration import BUILTINS, builtin_available, load_target

    rows = []
    for name, b in BUILTINS.items():
        ok, reason = builtin_available(name)
        row = {"name": name, "available": ok, "description": b.description}
        if ok:
            t = load_target(name)
            row.update(t.record())
        else:
            row["reason"] = reason
        rows.append(row)
    if args.json:
        write_json(args.json, {"schema_version": 1, "targets": rows})
    if args.json != "-":
        print(f"{'target':<18} {'available':<10} {'claims':<15} {'precision':<10} {'init':<6} description")
        for r in rows:
            init_col = ("yes" if r.get("honours_init") else "no") if r["available"] else "-"
            print(
                f"{r['name']:<18} {'yes' if r['available'] else 'no':<10} {r.get('claims', '-'):<15} "
                f"{r.get('precision', '-'):<10} {init_col:<6} "
                f"{r['description'] if r['available'] else r['reason']}"
            )
    return EXIT_OK


def make_mixture(kind, k, d, separation_ratio, seed, spread=None):
    from harness.theory.models import BallMixture, GaussianMixture

    if kind == "ball":
        return BallMixture.with_separation(k, d, separation_ratio, separation_ratio_spread=spread, seed=seed)
    return GaussianMixture.with_separation(k, d, separation_ratio, separation_ratio_spread=spread, seed=seed)


def cmd_fit(args) -> int:
    from harness.errors import InvalidArgument
    from harness.numerics.kernels import objective
    from harness.targets.declaration import load_target

    try:
        mixture = make_mixture(args.mixture, args.k, args.d, args.separation_ratio, args.seed)
    except InvalidArgument as exc:
        raise UsageError(str(exc)) from exc
    k_fit = args.k_fit or args.k
    if k_fit > args.n:
        raise UsageError(f"--{'k-fit' if args.k_fit else 'k'}: expected at most --n = {args.n} centers, got {k_fit}")
    from harness.targets.worker import default_isolation, load_isolated

    isolated = default_isolation(args.target)  # user code runs in a worker process, as in verify
    target = load_isolated(args.target) if isolated else load_target(args.target)
    compile_notice()
    X, y = mixture.sample(args.n, args.seed)
    try:
        fit = target.run(X, k_fit, seed=args.seed)
    except Exception as exc:  # the target failed: its failure, not the harness's (exit 1, not 3)
        print(f"error: the target failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if isolated:
            target.fit.close()
    centers = np.asarray(fit.centers, dtype=np.float64)
    fit_objective = objective(X, centers) if centers.shape == (k_fit, X.shape[1]) else float("nan")
    truth_objective = objective(X, mixture.centers)
    payload = {
        "schema_version": 1,
        "command": "fit",
        "target": target.record(),
        "mixture": mixture.to_record() | {"separation_ratio_min": finite_or_none(mixture.separation_ratio_min)},
        "n": args.n,
        "k": k_fit,
        "seed": args.seed,
        "objective": finite_or_none(fit_objective),
        "truth_objective": truth_objective,
        "objective_ratio": finite_or_none(fit_objective / truth_objective) if truth_objective > 0 else None,
        "n_iter": fit.n_iter,
        "converged": fit.converged,
        "seconds": fit.seconds,
        "versions": versions(),
    }
    if args.json:
        write_json(args.json, payload)
    if args.json != "-":
        print(f"target        {target.name} ({target.claims}, {target.precision})")
        print(f"mixture       {mixture.describe()}")
        print(f"data          n={args.n}, k={k_fit}, seed={args.seed}")
        print(
            f"objective     {fit_objective:.10g}   (ground truth centers: {truth_objective:.10g}, "
            f"ratio {payload['objective_ratio']})"
        )
        print(f"iterations    {fit.n_iter if fit.n_iter is not None else 'not reported'}")
        print(f"converged     {fit.converged if fit.converged is not None else 'not reported'}")
        print(f"time          {fit.seconds:.3f} s")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from harness import __version__

    parser = _Parser(prog="kmeans-harness", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"kmeans-harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("targets", help="list the built-in targets with availability, precision and claim")
    p.add_argument("--json", metavar="PATH", help="also write JSON to PATH ('-' for standard output)")
    p.set_defaults(func=cmd_targets)

    p = sub.add_parser("fit", help="sample a mixture, fit a target, print objective/iterations/time")
    p.add_argument("target", help="built-in name, package.module:attr or path/to/file.py:attr")
    p.add_argument("--mixture", choices=("ball", "gaussian"), default="ball")
    p.add_argument("--k", type=_positive_int, default=8, help="number of true clusters (default 8)")
    p.add_argument("--k-fit", type=_positive_int, default=None, help="number of centers to fit (default: --k)")
    p.add_argument("--d", type=_positive_int, default=2, help="dimension (default 2)")
    p.add_argument("--n", type=_positive_int, default=100_000, help="number of points (default 100000)")
    p.add_argument(
        "--separation-ratio", type=_positive_float, default=10.0, help="η_min, separation_ratio_min (default 10)"
    )
    p.add_argument("--seed", type=_non_negative_int, default=0)
    p.add_argument("--json", metavar="PATH", help="also write JSON to PATH ('-' for standard output)")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("verify", help="run the property suite on a target (the main job)")
    p.add_argument("target", help="built-in name, package.module:attr or path/to/file.py:attr")
    p.add_argument("--profile", choices=("quick", "default", "thorough"), default="quick")
    p.add_argument("--check", action="append", metavar="NAME", help="run only this check (repeatable)")
    p.add_argument("--seed", type=_non_negative_int, default=0, help="Hypothesis seed (default 0)")
    p.add_argument("--max-examples", type=_positive_int, default=None, help="override the profile's example count")
    p.add_argument("--replay", metavar="CASE.json", help="re-run one recorded case (a case record or a verify report)")
    p.add_argument(
        "--json",
        metavar="PATH",
        help="also write JSON to PATH ('-' for standard output), after every check; a rerun with the same "
        "target, profile, seed and --max-examples resumes from it",
    )
    p.add_argument("--fresh", action="store_true", help="ignore the checks already recorded in --json PATH")
    p.add_argument(
        "--isolate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the target in a worker process with a timeout and a memory limit (default: yes for "
        "module:attr and file.py:attr targets, no for built-ins)",
    )
    p.add_argument(
        "--timeout",
        type=_positive_float,
        default=None,
        metavar="SECONDS",
        help="seconds one call of an isolated target may take (default 60)",
    )
    p.add_argument(
        "--memory-limit",
        type=_memory_limit,
        default="4G",
        metavar="SIZE",
        help="address-space limit of the isolated target's worker, e.g. 4G, 512M or 'none' (default 4G)",
    )
    p.set_defaults(func=cmd_verify)

    from harness.studies.bench import add_bench_parser

    add_bench_parser(sub)

    from harness.studies.sweep import add_study_parsers

    add_study_parsers(sub)
    return parser


def _reproduce_command(target_spec, check, case_path):
    return f"kmeans-harness verify {target_spec} --check {check} --replay {case_path}"


def cmd_verify(args) -> int:
    from harness.cases.case import Case
    from harness.targets.declaration import load_target
    from harness.targets.worker import DEFAULT_TIMEOUT, default_isolation, load_isolated
    from properties.suite import CHECKS

    names = args.check or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise UsageError(f"--check: unknown check {unknown[0]!r}; expected one of: {', '.join(CHECKS)}")
    replay = Case.load(args.replay) if args.replay else None
    if replay is not None and args.replay and not args.check:
        try:  # a verify report names the failing check: replay just that one
            with open(args.replay, encoding="utf-8") as fh:
                report = json.load(fh)
            if isinstance(report.get("check"), str) and report["check"] in CHECKS:
                names = [report["check"]]  # a case file written by verify names its check
            else:
                names = [c["name"] for c in report.get("checks", []) if c.get("case")][:1] or names
        except (OSError, ValueError, AttributeError):
            pass
    isolate = args.isolate
    if isolate is None:  # a timeout asks for isolation; otherwise user targets are isolated, built-ins not
        isolate = args.timeout is not None or default_isolation(args.target)
    timeout = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    if isolate:
        target = load_isolated(args.target, timeout=timeout, memory_limit=args.memory_limit)
    else:
        if args.timeout is not None:
            raise UsageError("--timeout: applies only to an isolated target; drop --no-isolate or --timeout")
        target = load_target(args.target)
    try:
        return _verify(args, target, names, replay, isolate)
    finally:
        if isolate:
            target.fit.close()


def _recorded_checks(args) -> dict:
    """Checks already recorded in ``--json PATH`` by a run with the same arguments (for resuming)."""
    path = args.json
    if not path or path == "-" or args.fresh or args.replay or not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            report = json.load(fh)
    except (OSError, ValueError):
        return {}
    key = ("verify", args.target, args.profile, args.seed, args.max_examples)
    if not isinstance(report, dict) or tuple(report.get(k) for k in _RESUME_KEYS) != key:
        return {}
    return {c["name"]: c for c in report.get("checks", []) if isinstance(c, dict) and "name" in c}


#: The report fields that must match for a rerun to resume from it.
_RESUME_KEYS = ("command", "target", "profile", "seed", "max_examples")


def _verify(args, target, names, replay, isolate) -> int:
    from harness.cases.case import Case
    from harness.targets.worker import describe_bytes
    from properties.engine import CheckResult, replay_case, run_check

    quiet = args.json == "-"
    out = sys.stderr if quiet else sys.stdout
    compile_notice()
    started = time.perf_counter()
    print(
        f"verifying {target.name} ({target.claims}, {target.precision}) with profile {args.profile}, seed {args.seed}"
        + (f", replaying {args.replay}" if replay is not None else ""),
        file=out,
        flush=True,
    )
    if isolate:
        print(
            f"isolated in a worker process: {target.fit.timeout:g} s per call, memory limit "
            f"{describe_bytes(target.fit.memory_limit)}",
            file=out,
            flush=True,
        )
    recorded = _recorded_checks(args)
    if recorded:
        print(f"resuming from {args.json}: {len(recorded)} checks already recorded (--fresh to rerun them)", file=out)

    def report(results, complete):
        failed = [r for r in results if not r.passed]
        return {
            "schema_version": 1,
            "command": "verify",
            "target": args.target,
            "target_declaration": target.record(),
            "profile": args.profile,
            "seed": args.seed,
            "max_examples": args.max_examples,
            "isolation": {
                "isolated": bool(isolate),
                "timeout": target.fit.timeout if isolate else None,
                "memory_limit": target.fit.memory_limit if isolate else None,
            },
            # written after every check: "complete" is False until the last one is in
            "complete": complete,
            "passed": complete and not failed,
            "seconds": time.perf_counter() - started,
            "versions": versions(),
            "checks": [r.to_record() for r in results],
        }

    incremental = bool(args.json) and not quiet
    if incremental:
        write_json(args.json, report([CheckResult.from_record(recorded[n]) for n in names if n in recorded], False))
    results = []
    for name in names:
        if name in recorded:
            r = CheckResult.from_record(recorded[name])
            results.append(r)
            print(f"  {r.status:<15} {name:<31} (recorded in {args.json})", file=out, flush=True)
            continue
        if replay is not None:
            r = replay_case(target, name, replay)
        else:
            r = run_check(target, name, profile=args.profile, seed=args.seed, max_examples=args.max_examples)
        if r.status == "internal":
            print(f"internal error of kmeans-harness in check {name}:\n{r.message}", file=sys.stderr)
            return EXIT_INTERNAL
        results.append(r)
        print(f"  {r.status:<15} {name:<31} {r.examples:>4} examples {r.seconds:7.1f} s", file=out, flush=True)
        if getattr(r, "structure", None):
            from properties.structure_checks import structure_summary

            print(f"  {'':<15} {structure_summary(r.structure)}", file=out, flush=True)
        if incremental:
            done = {x.name for x in results}
            pending = [CheckResult.from_record(recorded[n]) for n in names if n in recorded and n not in done]
            write_json(args.json, report(results + pending, False))
    failed = [r for r in results if not r.passed]
    for r in failed:
        case = Case.from_record(r.case) if r.case else None
        print(f"\n{r.status.upper()}: {r.name}", file=out)
        print(f"  {r.message}", file=out)
        if case is not None:
            print(f"  minimal case: {case.describe()}", file=out)
            if case.init is not None:
                print(f"  init: {np.array2string(np.asarray(case.init), precision=6, max_line_width=200)}", file=out)
            case_path = f"kmeans-harness-case-{r.name}.json"
            try:
                with open(case_path, "w", encoding="utf-8") as fh:
                    json.dump({"check": r.name, "target": args.target, "case": r.case}, fh, indent=1)
                print(f"  reproduce: {_reproduce_command(args.target, r.name, case_path)}", file=out)
            except OSError as exc:
                print(f"  (could not write {case_path}: {exc.strerror}; the case is in the --json report)", file=out)
    total = time.perf_counter() - started
    verdict = "PASSED" if not failed else f"FAILED ({len(failed)} of {len(results)} checks)"
    print(f"\n{target.name}: {verdict} in {total:.1f} s", file=out)
    if args.json:
        write_json(args.json, report(results, True))
    return EXIT_OK if not failed else EXIT_FAILED


def main(argv=None) -> int:
    from harness.errors import InvalidArgument, MissingDependency, TargetLoadError

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return EXIT_USAGE
        return args.func(args)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    except (UsageError, TargetLoadError, MissingDependency) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InvalidArgument as exc:
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
