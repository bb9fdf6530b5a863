"""Running checks on a target: Hypothesis drives the cases, shrinks failures, and every outcome
becomes a :class:`CheckResult` with a status and, on failure, the minimal case record.

Statuses: ``pass`` and ``not-applicable`` count as passed; ``fail``, ``error`` (the target raised),
``timeout``, ``crashed``, ``out-of-memory``, ``not-converged`` and ``skipped`` (not run after the
target timed out in an earlier check) count as failed.

A check calls the target only when it applies: the declared limitations are decided from the case
before any call, and the case's fit is made when the check first reads it (:class:`CaseFit`).  Fits
of the same call are shared through a :class:`FitCache` when the target declares itself
deterministic, except in the checks that must make their own calls (:data:`OWN_CALLS`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
import traceback
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import numpy as np
from hypothesis import example, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from harness.cases.case import Case
from harness.errors import NotApplicable, PropertyFailure
from harness.records import Record
from harness.targets.capture import OUTPUT_LIMIT
from harness.targets.declaration import Target
from harness.targets.failures import BadOutput, TargetAborted, TargetRaised
from harness.targets.fit import Fit
from harness.targets.loader import load_target
from harness.targets.options import RunOptions
from harness.targets.runner import Runner
from properties.checks import NotConverged
from properties.limitations import empty_cell_reason, judge_dropped
from properties.suite import CHECKS, profile_settings
from strategies import ball_mixtures, corner_cases, datasets, gaussian_mixtures

PASSING = ("pass", "not-applicable")
STATUSES = (
    "pass",
    "not-applicable",
    "fail",
    "error",
    "timeout",
    "crashed",
    "out-of-memory",
    "not-converged",
    "skipped",
)

#: Checks that must make every call themselves, never reuse a shared fit: ``deterministic`` compares
#: two calls.  A check function may also say so itself with ``check.own_calls = True``.
OWN_CALLS = frozenset({"deterministic"})

#: Fits kept by a :class:`FitCache` (least recently used dropped first): a quick run makes about
#: 400 distinct calls, the largest answer (36 000 labels) is 0.3 MB.
FIT_CACHE_SIZE = 1024


class TargetError(Exception):
    """The target raised while fitting (status ``error``); ``traceback_text`` is where,
    ``type_name`` the exception's type."""

    def __init__(self, message: str, traceback_text: str = "", type_name: str = ""):
        super().__init__(message)
        self.traceback_text = traceback_text
        self.type_name = type_name


class Excused(NotApplicable):
    """A case the target's declared limitation excuses (``keyword``: the declaration that excuses it)."""

    def __init__(self, keyword: str, message: str):
        super().__init__(message)
        self.keyword = keyword


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
    #: the target's calls made by this check (fits shared with an earlier check are not counted)
    calls: int = 0
    #: declaration keyword -> cases it excused (min_k, needs_n_greater_than_k, empty_clusters, ...)
    excused: dict = field(default_factory=dict)
    #: why it failed, for grouping the checks one cause broke: the status with the exception's type
    #: (error) or the first line of the message (fail)
    cause: str = ""
    #: what the target printed during the failing case's calls (or, when it passed, the first call
    #: that printed anything), and how many of the check's calls printed
    output: str = ""
    output_calls: int = 0

    @property
    def passed(self) -> bool:
        return self.status in PASSING

    def to_record(self) -> dict:
        return super().to_record() | {"passed": self.passed}


def _digest(a) -> tuple | None:
    """What identifies an argument for the cache: its values, dtype, shape and memory layout (a
    check may pass the same values in another layout on purpose)."""
    if a is None:
        return None
    a = np.asarray(a)
    values = hashlib.blake2b(np.ascontiguousarray(a).view(np.uint8).ravel(), digest_size=16).digest()
    return (values, a.dtype.str, a.shape, a.strides)


class FitCache:
    """The answers of a deterministic target, shared between the checks of one run: keyed by the
    call's arguments (the bytes of ``X`` and ``init``, ``k``, ``seed``).  A call that raised or
    answered with garbage is kept too (it would do so again); one that timed out, crashed or ran out
    of memory is not."""

    def __init__(self, size: int = FIT_CACHE_SIZE):
        self.size = size
        self.hits = 0
        self._fits: OrderedDict = OrderedDict()

    @staticmethod
    def key(X, k, init, seed):
        return (_digest(X), int(k), _digest(init), repr(seed))

    def get(self, key):
        entry = self._fits.get(key)
        if entry is not None:
            self._fits.move_to_end(key)
            self.hits += 1
        return entry

    def put(self, key, entry) -> None:
        self._fits[key] = entry
        if len(self._fits) > self.size:
            self._fits.popitem(last=False)


class CheckRunner:
    """What a check calls to fit the target: the target's :class:`~harness.targets.runner.Runner`, with
    its failures turned into the check's: a timeout, crash or memory exhaustion stops the check
    (:class:`CheckAborted`), a raise is :class:`TargetError`, and an answer that is not a k-means
    answer (a string, None, ...) is a :class:`PropertyFailure`, never an error of the harness.

    ``target`` is the declaration the checks read (claims, precision, ...).  With ``fits`` (a
    :class:`FitCache`) and a target declared deterministic, a call already made with the same
    arguments is answered from the cache (unless ``share`` is False).  A target declared
    ``empty_clusters="raise"`` or ``"drop"`` that raises or drops where a cell must empty gets
    :class:`Excused` (after the kept centers are judged), and a failure elsewhere.
    """

    def __init__(self, runner: Runner, *, fits: FitCache | None = None, share: bool = True):
        self.runner = runner
        self.target = runner.target
        self.structure_report = None
        self.fits = fits if (fits is not None and share and runner.target.deterministic) else None
        self.new_case()

    def new_case(self) -> None:
        """Forget what the previous case's calls printed and returned."""
        self.outputs = []
        self.float32_centers = False

    @property
    def calls(self) -> int:
        return self.runner.calls

    def _fit(self, X, k, init, seed) -> Fit:
        key = FitCache.key(X, k, init, seed) if self.fits is not None else None
        entry = self.fits.get(key) if key is not None else None
        if entry is None:
            try:
                entry = ("fit", self.runner.fit(X, k, init=init, seed=seed))
            except (TargetRaised, BadOutput) as exc:
                entry = ("raised", exc)
            except TargetAborted as exc:
                self.outputs.append(exc.output)
                raise CheckAborted(exc) from None
            if key is not None:
                self.fits.put(key, entry)
        kind, value = entry
        self.outputs.append(value.output)
        if kind == "raised":
            raise value
        return value

    def __call__(self, X, k, *, init=None, seed=None) -> Fit:
        return self.screen(X, k, init, lambda: self._fit(X, k, init, seed))

    def screen(self, X, k, init, call, *, where: str = "") -> Fit:
        """Make one call of the target with ``call()`` (which returns a :class:`Fit` or raises
        :class:`TargetRaised` / :class:`BadOutput`) and apply the declaration to it: a raise is
        :class:`TargetError`, garbage a :class:`PropertyFailure`, and a raise or a drop the target
        declared (``empty_clusters``) is :class:`Excused` where a cell must empty on ``(X, k,
        init)``, a failure elsewhere.  A check that calls the target another way than through this
        runner (another process, another layout) passes its call here; ``where`` (e.g. "given X
        Fortran-ordered, ") starts the messages."""
        declared = self.target.empty_clusters
        try:
            fit = call()
        except TargetRaised as exc:
            message = f"{where}the target raised {exc}"
            if declared == "raise":
                why = empty_cell_reason(X, k, init)
                if why is not None:
                    why = f"{message} where {why} (declared empty_clusters='raise')"
                    raise Excused("empty_clusters", why) from None
                message += "; it declares empty_clusters='raise', but no cell need empty here"
            raise TargetError(message, exc.traceback_text, exc.type_name) from None
        except BadOutput as exc:
            raise PropertyFailure(f"{where}the target's answer is not usable: {exc}") from None
        if getattr(np.asarray(fit.raw_centers), "dtype", None) == np.float32 and self.target.precision == "float64":
            self.float32_centers = True
        if declared == "drop" and _fewer_rows(fit.raw_centers, k):
            why = empty_cell_reason(X, k, init)
            rows = np.shape(fit.raw_centers)[0]
            if why is None:
                raise PropertyFailure(
                    f"the target returned {rows} of k = {k} centers; it declares empty_clusters='drop', but no cell "
                    "need empty here (our reference Lloyd from the same init keeps every cell)",
                    rows=int(rows),
                )
            m = judge_dropped(X, k, fit, self.target)
            raise Excused(
                "empty_clusters",
                f"dropped {k - m} of {k} clusters where {why} (declared empty_clusters='drop'); the {m} kept centers "
                "are the means of their cells",
            )
        return fit


def _fewer_rows(centers, k) -> bool:
    try:
        shape = np.shape(centers)
    except Exception:  # noqa: BLE001 - the output contract reports an unconvertible answer
        return False
    return len(shape) == 2 and shape[0] < k


class CaseFit:
    """The target's answer for a case, fitted when a check first reads it: a check that decides it
    does not apply before reading ``fit`` never calls the target."""

    def __init__(self, runner: CheckRunner, case: Case):
        self._runner = runner
        self._case = case
        self._fit = None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._fit is None:
            case = self._case
            self._fit = self._runner(case.X, case.k, init=case.init, seed=case.seed)
        return getattr(self._fit, name)


def as_runner(target) -> Runner:
    """``target`` as a :class:`Runner`: a Runner as it is, anything else opened in-process."""
    return target if isinstance(target, Runner) else Runner(target, RunOptions(isolate=False))


def makes_own_calls(check_name: str) -> bool:
    """Whether a check must make every call itself rather than reuse a shared fit."""
    return check_name in OWN_CALLS or bool(getattr(CHECKS[check_name], "own_calls", False))


def run_case(runner: CheckRunner, check_name: str, case: Case):
    """Run one check on one case (used by the engine and by ``--replay``); raises on failure.

    A case outside the target's declared limitations is :class:`Excused` before any call."""
    limit = runner.target.limitation(case.n, case.k, case.dim)
    if limit is not None:
        raise Excused(*limit)
    CHECKS[check_name](case, CaseFit(runner, case), runner)


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


def _cause_of(status: str, exc, message: str) -> str:
    """What makes two failures "the same reason": the status, and the exception's type (error) or
    the first line of the message (fail)."""
    if isinstance(exc, TargetError):
        return f"{status}: the target raised {exc.type_name or type(exc).__name__}"
    if status == "fail":
        return f"fail: {message.splitlines()[0] if message else ''}"
    return status


#: The hint added to a failure when an undeclared target's centers came back as float32.
FLOAT32_HINT = (
    "hint: the target's centers came back as float32 but it is judged at float64 tolerances; if it works in "
    'float32, declare precision="float32" (@harness.target(precision="float32")). The verdict stays at the '
    "declared precision."
)


def _joined_output(outputs) -> str:
    text = "".join(o for o in outputs if o)
    return text if len(text) <= OUTPUT_LIMIT else text[:OUTPUT_LIMIT] + "\n[... cut]"


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


@functools.cache
def _corner_cases() -> tuple:
    """The corner cases, built once per process: each check runs them, and building one samples its
    data and computes its start (a fixed-point start runs our Lloyd); a Case keeps its sample."""
    return tuple(corner_cases())


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
    fits: FitCache | None = None,
    cases=None,
    not_applicable_message: str = "no example applied to this target",
) -> CheckResult:
    """Run ``check_name`` on ``target`` (a :class:`Runner`, or anything
    :func:`~harness.targets.loader.load_target` accepts, run in-process) over the corner cases
    (unless ``explicit_cases`` is False; they run first and, being explicit, are reported as they
    are, not shrunk) and ``max_examples`` drawn cases, which Hypothesis shrinks on failure.

    ``fits`` shares the target's answers with other checks of the same run (default: shared within
    this check only).  ``cases`` replaces the drawn cases by another strategy (e.g. cases drawn from
    the user's data, :mod:`strategies.data_cases`; no corner cases then); when no example applies,
    the result says ``not_applicable_message`` and why, with the count of each reason."""
    base = profile_settings(profile)
    if max_examples is not None:
        base = settings(base, max_examples=max_examples)
    state = {"case": None, "examples": 0, "applicable": 0, "output_calls": 0, "first_output": ""}
    excused = Counter()
    reasons = Counter()  # why cases were not applicable (the first clause of each message)
    share = not makes_own_calls(check_name)
    runner = CheckRunner(as_runner(target), fits=fits if fits is not None else FitCache(), share=share)
    target = runner.target
    calls_before = runner.calls

    # a check may bring its own cases (``check.cases(target)``, e.g. instances meeting a theorem's
    # assumptions) and leave a per-case ``runner.structure_report`` (see properties.structure_checks)
    own_cases = getattr(CHECKS[check_name], "cases", None)
    structures = [] if own_cases is not None else None

    def body(case):
        state["case"] = case
        state["examples"] += 1
        runner.structure_report = None
        runner.new_case()
        try:
            run_case(runner, check_name, case)
        except Excused as exc:
            excused[exc.keyword] += 1
            return
        except NotApplicable as exc:
            reasons[str(exc).split(":")[0][:120]] += 1
            return
        finally:
            printed = [o for o in runner.outputs if o]
            state["output_calls"] += len(printed)
            if printed and not state["first_output"]:
                state["first_output"] = _joined_output(printed)
            if structures is not None and runner.structure_report is not None:
                structures.append(runner.structure_report)
        state["applicable"] += 1

    test = body
    if cases is not None:
        test = given(cases)(test)
    else:
        for c in reversed(_corner_cases() if explicit_cases and own_cases is None else ()):
            if target.max_dim is None or c.dim <= target.max_dim:
                test = example(c)(test)
        test = given(own_cases(target) if own_cases is not None else _datasets_for(target))(test)
    test = settings(base)(test)
    test = hypothesis_seed(seed)(test)

    def result(**fields):
        return CheckResult(
            name=check_name,
            examples=state["examples"],
            applicable_examples=state["applicable"],
            seconds=time.perf_counter() - start,
            structure=structures,
            calls=runner.calls - calls_before,
            excused=dict(excused),
            output_calls=state["output_calls"],
            **fields,
        )

    start = time.perf_counter()
    try:
        test()
    except (Exception, CheckAborted) as exc:  # the minimal failing example was run last: state["case"] is it
        inner = exc
        flaky = isinstance(exc, Flaky)
        if flaky and getattr(exc, "exceptions", None):
            inner = exc.exceptions[0]
        status = _status_of(inner)
        case = state["case"]
        record = case.to_record() if case is not None else None
        if status == "internal":
            return CheckResult(
                name=check_name,
                status="internal",
                examples=state["examples"],
                applicable_examples=state["applicable"],
                seconds=time.perf_counter() - start,
                message="internal error of the harness:\n" + "".join(traceback.format_exception(inner)),
                case=record,
            )
        message = _message_of(inner, case)
        cause = _cause_of(status, inner, message)
        details = dict(getattr(inner, "details", {}) or {})
        if runner.float32_centers and status in ("fail", "not-converged"):
            message += "\n" + FLOAT32_HINT
            details["hint"] = "precision"
        if flaky:
            message = (
                "flaky: the failure did not reproduce on re-running the same case (non-deterministic target?); "
                + message
            )
        return result(
            status=status,
            message=message,
            case=record,
            details=details,
            cause=cause,
            output=_joined_output(runner.outputs),
        )
    if state["applicable"]:
        return result(status="pass", message="", output=state["first_output"])
    why = "; ".join(f"{reason} ({count})" for reason, count in reasons.most_common())
    return result(
        status="not-applicable",
        message=f"{not_applicable_message}: {why}" if why else not_applicable_message,
        details={"not_applicable": dict(reasons)} if reasons else {},
        output=state["first_output"],
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
    runner = CheckRunner(as_runner(target))
    calls_before = runner.calls
    try:
        run_case(runner, check_name, case)
    except NotApplicable as exc:
        return CheckResult(
            name=check_name,
            status="not-applicable",
            examples=1,
            applicable_examples=0,
            seconds=time.perf_counter() - start,
            message=str(exc),
            calls=runner.calls - calls_before,
            excused={exc.keyword: 1} if isinstance(exc, Excused) else {},
        )
    except (Exception, CheckAborted) as exc:
        status = _status_of(exc)
        if status == "internal":
            raise
        message = _message_of(exc, case)
        if runner.float32_centers and status in ("fail", "not-converged"):
            message += "\n" + FLOAT32_HINT
        return CheckResult(
            name=check_name,
            status=status,
            examples=1,
            applicable_examples=1,
            seconds=time.perf_counter() - start,
            message=message,
            case=case.to_record(),
            details=dict(getattr(exc, "details", {}) or {}),
            calls=runner.calls - calls_before,
            cause=_cause_of(status, exc, message),
            output=_joined_output(runner.outputs),
            output_calls=sum(1 for o in runner.outputs if o),
        )
    return CheckResult(
        name=check_name,
        status="pass",
        examples=1,
        applicable_examples=1,
        seconds=time.perf_counter() - start,
        calls=runner.calls - calls_before,
        output=_joined_output(runner.outputs),
        output_calls=sum(1 for o in runner.outputs if o),
    )
