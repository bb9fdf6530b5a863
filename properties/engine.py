"""Running checks on a target: Hypothesis drives the cases, shrinks failures, and every outcome
becomes a :class:`CheckResult` with a status and, on failure, the minimal case record.

Statuses: ``pass`` and ``not-applicable`` count as passed; ``fail``, ``error`` (the target raised),
``timeout``, ``crashed``, ``out-of-memory`` and ``not-converged`` count as failed.
"""

from __future__ import annotations

import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np
from hypothesis import example, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky

from harness.cases.case import Case
from harness.errors import NotApplicable, PropertyFailure
from harness.targets.declaration import Fit, Target, modified_inputs, normalise_output
from harness.targets.worker import BadOutput, TargetAborted, TargetOutOfMemory, TargetRaised, TargetWorker
from properties.checks import NotConverged
from properties.suite import CHECKS, profile_settings
from strategies import corner_cases, datasets

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


@dataclass
class CheckResult:
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
        out = asdict(self)
        out["passed"] = self.passed
        return out

    @classmethod
    def from_record(cls, record: dict) -> CheckResult:
        """The result a report recorded (``to_record``'s output), for resuming a run."""
        return cls(**{f.name: record[f.name] for f in fields(cls) if f.name in record})


class Runner:
    """Calls a target on a copy of the data and notes whether the copy was modified.

    A target whose ``fit`` is a :class:`~harness.targets.worker.TargetWorker` runs in its worker
    process (the copy is compared there, before and after the call); any other runs in-process.
    Whatever it returns is normalised here: an answer that is not a k-means answer (a string,
    None, ...) is a :class:`PropertyFailure`, never an error of the harness.
    """

    def __init__(self, target: Target):
        self.target = target
        self.calls = 0
        self.warnings = 0

    def __call__(self, X, k, *, init=None, seed=None) -> Fit:
        self.calls += 1
        X_given = np.array(X, dtype=np.float64, copy=True)
        init_given = None if init is None else np.array(init, dtype=np.float64, copy=True)
        if isinstance(self.target.fit, TargetWorker):
            return self._call_worker(self.target.fit, X_given, k, init_given, seed)
        try:
            with warnings.catch_warnings(record=True) as caught:  # a peer's warnings are not ours to print
                warnings.simplefilter("always")
                start = time.perf_counter()
                out = self.target.fit(X_given, k, init=init_given, seed=seed)
                seconds = time.perf_counter() - start
            self.warnings += len(caught)
        except MemoryError as exc:
            raise CheckAborted(TargetOutOfMemory(f"out of memory: the target raised MemoryError: {exc}")) from exc
        except (Exception, SystemExit) as exc:
            raise TargetError(f"the target raised {type(exc).__name__}: {exc}") from exc
        try:
            fit = normalise_output(out, seconds)
        except Exception as exc:  # noqa: BLE001 - a malformed answer is the target's failure
            raise PropertyFailure(f"the target's answer is not usable: {exc}") from None
        modified = modified_inputs(X_given, X, init_given, init)
        if modified:
            fit = replace(fit, input_unchanged=False, modified_inputs=modified)
        return fit

    def _call_worker(self, worker, X, k, init, seed) -> Fit:
        try:
            r = worker.call(X, k, init=init, seed=seed)
        except TargetAborted as exc:
            raise CheckAborted(exc) from None
        except TargetRaised as exc:
            raise TargetError(f"the target raised {exc}", exc.traceback_text) from None
        except BadOutput as exc:
            raise PropertyFailure(f"the target's answer is not usable: {exc}") from None
        self.warnings += r.warnings
        return Fit(
            centers=r.centers,
            labels=r.labels,
            converged=r.converged,
            n_iter=r.n_iter,
            seconds=r.seconds,
            raw_centers=r.centers,
            raw_labels=r.labels,
            input_unchanged=r.input_unchanged,
            modified_inputs=r.modified_inputs,
        )


def run_case(target: Target, check_name: str, case: Case, runner: Runner | None = None):
    """Run one check on one case (used by the engine and by ``--replay``); raises on failure."""
    runner = runner or Runner(target)
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
    from hypothesis import strategies as st

    from strategies import ball_mixtures, gaussian_mixtures

    dims = {"min_dim": 1, "max_dim": target.max_dim}
    return datasets(st.one_of(ball_mixtures(**dims), gaussian_mixtures(**dims)))


def run_check(
    target: Target,
    check_name: str,
    *,
    profile: str = "quick",
    seed: int = 0,
    max_examples: int | None = None,
    explicit_cases: bool = True,
) -> CheckResult:
    """Run ``check_name`` on ``target`` over the corner cases (unless ``explicit_cases`` is False;
    they run first and, being explicit, are reported as they are, not shrunk) and ``max_examples``
    drawn cases, which Hypothesis shrinks on failure."""
    base = profile_settings(profile)
    if max_examples is not None:
        base = settings(base, max_examples=max_examples)
    state = {"case": None, "examples": 0, "applicable": 0}
    runner = Runner(target)

    # a check may bring its own cases (``check.cases(target)``, e.g. instances meeting a theorem's
    # assumptions) and leave a per-case ``runner.structure_report`` (see properties.structure_checks)
    own_cases = getattr(CHECKS[check_name], "cases", None)
    structures = [] if own_cases is not None else None

    def body(case):
        state["case"] = case
        state["examples"] += 1
        runner.structure_report = None
        try:
            run_case(target, check_name, case, runner)
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
                check_name,
                "internal",
                state["examples"],
                state["applicable"],
                seconds,
                "internal error of the harness:\n" + "".join(traceback.format_exception(inner)),
                case.to_record() if case is not None else None,
            )
        message = _message_of(inner, case)
        if flaky:
            message = (
                "flaky: the failure did not reproduce on re-running the same case (non-deterministic target?); "
                + message
            )
        return CheckResult(
            check_name,
            status,
            state["examples"],
            state["applicable"],
            seconds,
            message,
            case.to_record() if case is not None else None,
            dict(getattr(inner, "details", {}) or {}),
            structures,
        )
    seconds = time.perf_counter() - start
    status = "pass" if state["applicable"] else "not-applicable"
    msg = "" if state["applicable"] else "no example applied to this target"
    return CheckResult(check_name, status, state["examples"], state["applicable"], seconds, msg, structure=structures)


def replay_case(target: Target, check_name: str, case: Case) -> CheckResult:
    """Re-run one recorded case for one check."""
    start = time.perf_counter()
    try:
        run_case(target, check_name, case)
    except NotApplicable as exc:
        return CheckResult(check_name, "not-applicable", 1, 0, time.perf_counter() - start, str(exc))
    except (Exception, CheckAborted) as exc:
        status = _status_of(exc)
        if status == "internal":
            raise
        return CheckResult(
            check_name,
            status,
            1,
            1,
            time.perf_counter() - start,
            _message_of(exc, case),
            case.to_record(),
            dict(getattr(exc, "details", {}) or {}),
        )
    return CheckResult(check_name, "pass", 1, 1, time.perf_counter() - start)
