"""Running checks on a target: Hypothesis drives the cases, shrinks failures, and every outcome
becomes a :class:`CheckResult` with a status and, on failure, the minimal case record.

Statuses: ``pass`` and ``not-applicable`` count as passed; ``fail``, ``error`` (the target raised),
``timeout``, ``crashed``, ``out-of-memory`` and ``not-converged`` count as failed.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field

from hypothesis import example, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from harness.cases.case import Case
from harness.errors import NotApplicable, PropertyFailure
from harness.records import Record
from harness.targets.declaration import Target
from harness.targets.failures import BadOutput, TargetAborted, TargetRaised
from harness.targets.fit import Fit
from harness.targets.loader import load_target
from harness.targets.options import RunOptions
from harness.targets.runner import Runner
from properties.checks import NotConverged
from properties.suite import CHECKS, profile_settings
from strategies import ball_mixtures, corner_cases, datasets, gaussian_mixtures

PASSING = ("pass", "not-applicable")
STATUSES = ("pass", "not-applicable", "fail", "error", "timeout", "crashed", "out-of-memory", "not-converged")


class TargetError(Exception):
    """The target raised while fitting (status ``error``); ``traceback_text`` is where."""

    def __init__(self, message: str, traceback_text: str = ""):
        super().__init__(message)
        self.traceback_text = traceback_text


class CheckAborted(BaseException):
    """The target timed out, crashed or ran out of memory: stop the check at once.

    A ``BaseException``, so that Hypothesis does not catch it: it neither shrinks the case (every
    shrink step would wait for another timeout) nor replays it; :func:`run_check` reports
    ``error.status`` on the case that triggered it.
    """

    def __init__(self, error: TargetAborted):
        super().__init__(str(error))
        self.error = error


@dataclass(kw_only=True)
class CheckResult(Record):
    name: str
    status: str
    examples: int = 0
    applicable_examples: int = 0
    seconds: float = 0.0
    message: str = ""
    case: dict | None = None
    details: dict = field(default_factory=dict)
    #: per case, the paper's structure of the solution (structure checks only; harness.theory.structure)
    structure: list | None = None

    @property
    def passed(self) -> bool:
        return self.status in PASSING

    def to_record(self) -> dict:
        return super().to_record() | {"passed": self.passed}


class CheckRunner:
    """What a check calls to fit the target: the target's :class:`~harness.targets.runner.Runner`, with
    its failures turned into the check's: a timeout, crash or memory exhaustion stops the check
    (:class:`CheckAborted`), a raise is :class:`TargetError`, and an answer that is not a k-means
    answer (a string, None, ...) is a :class:`PropertyFailure`, never an error of the harness.

    ``target`` is the declaration the checks read (claims, precision, ...).
    """

    def __init__(self, runner: Runner):
        self.runner = runner
        self.target = runner.target
        self.structure_report = None

    @property
    def calls(self) -> int:
        return self.runner.calls

    def __call__(self, X, k, *, init=None, seed=None) -> Fit:
        try:
            return self.runner.fit(X, k, init=init, seed=seed)
        except TargetAborted as exc:
            raise CheckAborted(exc) from None
        except TargetRaised as exc:
            raise TargetError(f"the target raised {exc}", exc.traceback_text) from None
        except BadOutput as exc:
            raise PropertyFailure(f"the target's answer is not usable: {exc}") from None


def as_runner(target) -> Runner:
    """``target`` as a :class:`Runner`: a Runner as it is, anything else opened in-process."""
    return target if isinstance(target, Runner) else Runner(target, RunOptions(isolate=False))


def run_case(runner: CheckRunner, check_name: str, case: Case):
    """Run one check on one case (used by the engine and by ``--replay``); raises on failure."""
    fit = runner(case.X, case.k, init=case.init, seed=case.seed)
    CHECKS[check_name](case, fit, runner)


def _status_of(exc) -> str:
    if isinstance(exc, CheckAborted):
        return exc.error.status
    if isinstance(exc, PropertyFailure):
        return "fail"
    if isinstance(exc, NotConverged):
        return "not-converged"
    if isinstance(exc, TargetError):
        return "error"
    if isinstance(exc, MemoryError):
        return "out-of-memory"
    return "internal"


def _message_of(exc, case) -> str:
    """The status message: the failure, plus where the target raised, or which case stopped it."""
    message = str(exc)
    if isinstance(exc, TargetError):
        text = exc.traceback_text
        if not text and exc.__cause__ is not None:
            text = "".join(traceback.format_exception(exc.__cause__))
        if text:
            message += "\n" + "".join(text.rstrip("\n").splitlines(keepends=True)[-3:])
    if isinstance(exc, CheckAborted) and case is not None:
        message += f" on case: {case.describe()}"
    return message


def _datasets_for(target: Target):
    if target.max_dim is None:
        return datasets()
    dims = {"min_dim": 1, "max_dim": target.max_dim}
    return datasets(st.one_of(ball_mixtures(**dims), gaussian_mixtures(**dims)))


def run_check(
    target,
    check_name: str,
    *,
    profile: str = "quick",
    seed: int = 0,
    max_examples: int | None = None,
    explicit_cases: bool = True,
) -> CheckResult:
    """Run ``check_name`` on ``target`` (a :class:`Runner`, or anything
    :func:`~harness.targets.loader.load_target` accepts, run in-process) over the corner cases
    (unless ``explicit_cases`` is False; they run first and, being explicit, are reported as they
    are, not shrunk) and ``max_examples`` drawn cases, which Hypothesis shrinks on failure."""
    base = profile_settings(profile)
    if max_examples is not None:
        base = settings(base, max_examples=max_examples)
    state = {"case": None, "examples": 0, "applicable": 0}
    runner = CheckRunner(as_runner(target))
    target = runner.target

    # a check may bring its own cases (``check.cases(target)``, e.g. instances meeting a theorem's
    # assumptions) and leave a per-case ``runner.structure_report`` (see properties.structure_checks)
    own_cases = getattr(CHECKS[check_name], "cases", None)
    structures = [] if own_cases is not None else None

    def body(case):
        state["case"] = case
        state["examples"] += 1
        runner.structure_report = None
        try:
            run_case(runner, check_name, case)
        except NotApplicable:
            return
        finally:
            if structures is not None and runner.structure_report is not None:
                structures.append(runner.structure_report)
        state["applicable"] += 1

    test = body
    for c in reversed(corner_cases() if explicit_cases and own_cases is None else []):
        if target.max_dim is None or c.dim <= target.max_dim:
            test = example(c)(test)
    test = given(own_cases(target) if own_cases is not None else _datasets_for(target))(test)
    test = settings(base)(test)
    test = hypothesis_seed(seed)(test)

    start = time.perf_counter()
    try:
        test()
    except (Exception, CheckAborted) as exc:  # the minimal failing example was run last: state["case"] is it
        seconds = time.perf_counter() - start
        inner = exc
        flaky = isinstance(exc, Flaky)
        if flaky and getattr(exc, "exceptions", None):
            inner = exc.exceptions[0]
        status = _status_of(inner)
        case = state["case"]
        if status == "internal":
            return CheckResult(
                name=check_name,
                status="internal",
                examples=state["examples"],
                applicable_examples=state["applicable"],
                seconds=seconds,
                message="internal error of the harness:\n" + "".join(traceback.format_exception(inner)),
                case=case.to_record() if case is not None else None,
            )
        message = _message_of(inner, case)
        if flaky:
            message = (
                "flaky: the failure did not reproduce on re-running the same case (non-deterministic target?); "
                + message
            )
        return CheckResult(
            name=check_name,
            status=status,
            examples=state["examples"],
            applicable_examples=state["applicable"],
            seconds=seconds,
            message=message,
            case=case.to_record() if case is not None else None,
            details=dict(getattr(inner, "details", {}) or {}),
            structure=structures,
        )
    seconds = time.perf_counter() - start
    status = "pass" if state["applicable"] else "not-applicable"
    msg = "" if state["applicable"] else "no example applied to this target"
    return CheckResult(
        name=check_name,
        status=status,
        examples=state["examples"],
        applicable_examples=state["applicable"],
        seconds=seconds,
        message=msg,
        structure=structures,
    )


class CheckFailed(AssertionError):
    """A check did not pass; the message is the harness's report."""


def make_check(name: str, profile: str | None = None):
    """A callable ``check(target, *, seed=0)`` that runs the check ``name`` on ``target`` (anything
    :func:`~harness.targets.loader.load_target` accepts) with ``profile`` (default:
    ``$KMEANS_HARNESS_PROFILE``, else ``quick``) and raises :class:`CheckFailed` on failure."""

    def check(target, *, seed=0):
        prof = profile or os.environ.get("KMEANS_HARNESS_PROFILE", "quick")
        result = run_check(load_target(target), name, profile=prof, seed=seed)
        if not result.passed:
            text = f"{name}: {result.status}: {result.message}"
            if result.case:
                text += f"\nminimal case: {Case.from_record(result.case).describe()}"
                text += f"\ncase record: {result.case}"
            raise CheckFailed(text)
        return result

    check.__name__ = f"check_{name}"
    return check


def replay_case(target, check_name: str, case: Case) -> CheckResult:
    """Re-run one recorded case for one check (``target``: a :class:`Runner`, or anything
    :func:`~harness.targets.loader.load_target` accepts, run in-process)."""
    start = time.perf_counter()
    try:
        run_case(CheckRunner(as_runner(target)), check_name, case)
    except NotApplicable as exc:
        return CheckResult(
            name=check_name,
            status="not-applicable",
            examples=1,
            applicable_examples=0,
            seconds=time.perf_counter() - start,
            message=str(exc),
        )
    except (Exception, CheckAborted) as exc:
        status = _status_of(exc)
        if status == "internal":
            raise
        return CheckResult(
            name=check_name,
            status=status,
            examples=1,
            applicable_examples=1,
            seconds=time.perf_counter() - start,
            message=_message_of(exc, case),
            case=case.to_record(),
            details=dict(getattr(exc, "details", {}) or {}),
        )
    return CheckResult(
        name=check_name, status="pass", examples=1, applicable_examples=1, seconds=time.perf_counter() - start
    )
