"""``verify`` as a library: run the named checks on an opened target, resume from a JSON report of
the same run, write the report after every check, and write each failure's minimal case to a file
that replays it.  The command line only formats what :class:`Verification` reports.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.cases.case import Case
from harness.config import HYPOTHESIS_PROFILES as PROFILES
from harness.errors import InvalidArgument
from harness.json_io import write_json
from harness.provenance import versions
from harness.targets.runner import Runner
from properties.engine import CheckResult, FitCache, replay_case, run_check
from properties.suite import CHECKS, checks_for

__all__ = ["RESUME_KEYS", "Cause", "Verification", "VerifyReport", "checks_to_replay", "reproduce_command"]

#: The report fields that must match for a rerun to resume from it.
RESUME_KEYS = ("command", "target", "profile", "seed", "max_examples")

#: verify's report schema (JSON); version 1 is read back for resuming.
SCHEMA_VERSION = 1


class InternalError(Exception):
    """A check ended in an internal error of the harness (a bug of ours, not the target's)."""


def reproduce_command(spec: str, check: str, case_path: str) -> str:
    """The one command that replays a recorded failure."""
    return f"kmeans-harness verify {spec} --check {check} --replay {case_path}"


def checks_to_replay(path: str, names: list[str]) -> list[str]:
    """The checks a replay of ``path`` runs: the one a case file written by verify names, else the
    first failed check of a verify report, else ``names``."""
    try:
        with open(path, encoding="utf-8") as fh:
            report = json.load(fh)
        if isinstance(report.get("check"), str) and report["check"] in CHECKS:
            return [report["check"]]
        return [c["name"] for c in report.get("checks", []) if c.get("case")][:1] or names
    except (OSError, ValueError, AttributeError):
        return names


@dataclass(kw_only=True)
class Cause:
    """One reason several checks failed on the same minimal case: the status, the exception's type
    or the failure's message (:attr:`CheckResult.cause`), the case, and the checks it broke (the
    first is the one whose case file reproduces it)."""

    cause: str
    status: str
    case: dict | None
    checks: list
    message: str

    def to_record(self) -> dict:
        return {"cause": self.cause, "status": self.status, "checks": list(self.checks)}


def group_causes(results) -> list:
    """The failed results grouped by (cause, minimal case), in the order of their first check.  A
    ``skipped`` check is its own group (its cause is the check that timed out)."""
    groups: dict = {}
    for r in results:
        if r.passed:
            continue
        cause = r.cause or r.status
        key = (cause, json.dumps(r.case, sort_keys=True, default=str)) if r.status != "skipped" else ("skipped", "")
        if key in groups:
            groups[key].checks.append(r.name)
        else:
            groups[key] = Cause(cause=cause, status=r.status, case=r.case, checks=[r.name], message=r.message)
    return list(groups.values())


@dataclass(kw_only=True)
class VerifyReport:
    """What a verify run found; :meth:`to_record` is the JSON report (schema 1)."""

    target: str
    declaration: dict
    profile: str
    seed: int
    max_examples: int | None
    isolation: dict
    complete: bool
    seconds: float
    checks: list = field(default_factory=list)
    #: check name → the case file written for its failure
    case_files: dict = field(default_factory=dict)

    @property
    def failed(self) -> list:
        return [r for r in self.checks if not r.passed]

    @property
    def passed(self) -> bool:
        return self.complete and not self.failed

    @property
    def causes(self) -> list:
        """The failures grouped by cause and minimal case (:func:`group_causes`)."""
        return group_causes(self.checks)

    @property
    def calls(self) -> int:
        return sum(r.calls for r in self.checks)

    def to_record(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "verify",
            "target": self.target,
            "target_declaration": self.declaration,
            "profile": self.profile,
            "seed": self.seed,
            "max_examples": self.max_examples,
            "isolation": self.isolation,
            # written after every check: "complete" is False until the last one is in
            "complete": self.complete,
            "passed": self.passed,
            "seconds": self.seconds,
            "versions": versions(),
            "checks": [r.to_record() for r in self.checks],
            "causes": [c.to_record() for c in self.causes],
            "calls": self.calls,
        }


class Verification:
    """One verify run of ``runner``'s target.

    Parameters
    ----------
    runner : Runner
        The opened target (:class:`~harness.targets.runner.Runner`); closed by the caller.
    spec : str
        The target as the user named it (recorded, and used in the reproduce commands).
    checks : list of str, optional
        Check names (default: all of :data:`properties.suite.CHECKS`, in order).
    profile : {"quick", "default", "thorough"}
        Hypothesis profile.
    seed : int
        Hypothesis seed.
    max_examples : int, optional
        Override of the profile's example count.
    replay : str, optional
        A case record or a verify report: re-run that one case instead of drawing cases.
    json_path : str, optional
        Write the report here after every check (``-``: standard output, at the end only).  A rerun
        with the same target, profile, seed and ``max_examples`` resumes from it.
    fresh : bool
        Ignore the checks already recorded in ``json_path``.
    case_dir : str
        Where each failure's ``kmeans-harness-case-CHECK.json`` is written.
    keep_going : bool
        After the target times out in a check, run the remaining checks anyway (default: report
        them ``skipped``, which counts as a failure and is run again on resume).
    """

    def __init__(
        self,
        runner: Runner,
        *,
        spec: str,
        checks: list[str] | None = None,
        profile: str = "quick",
        seed: int = 0,
        max_examples: int | None = None,
        replay: str | None = None,
        json_path: str | None = None,
        fresh: bool = False,
        case_dir: str = ".",
        keep_going: bool = False,
    ):
        names = list(checks) if checks else checks_for(runner.target)  # by the target's kind
        unknown = [n for n in names if n not in CHECKS]
        if unknown:
            raise InvalidArgument(f"check: unknown check {unknown[0]!r}; expected one of: {', '.join(CHECKS)}")
        if profile not in PROFILES:
            raise InvalidArgument(f"profile: expected one of {', '.join(PROFILES)}, got {profile!r}")
        self.replay = Case.load(replay) if replay else None
        if self.replay is not None and not checks:
            names = checks_to_replay(replay, names)
        self.runner = runner
        self.spec = spec
        self.names = names
        self.profile = profile
        self.seed = seed
        self.max_examples = max_examples
        self.json_path = json_path
        self.case_dir = case_dir
        self.keep_going = keep_going
        self.recorded = {} if (fresh or replay) else self._recorded_checks()
        #: the target's answers, shared between the checks of this run (deterministic targets only)
        self.fits = FitCache()

    def _recorded_checks(self) -> dict:
        """Checks already recorded in ``json_path`` by a run with the same arguments."""
        path = self.json_path
        if not path or path == "-" or not os.path.exists(path):
            return {}
        try:
            with open(path, encoding="utf-8") as fh:
                report = json.load(fh)
        except (OSError, ValueError):
            return {}
        key = ("verify", self.spec, self.profile, self.seed, self.max_examples)
        if not isinstance(report, dict) or tuple(report.get(k) for k in RESUME_KEYS) != key:
            return {}
        return {
            c["name"]: c
            for c in report.get("checks", [])
            if isinstance(c, dict) and "name" in c and c.get("status") != "skipped"  # skipped: run again
        }

    def _report(self, results, complete, started) -> VerifyReport:
        options = self.runner.options
        return VerifyReport(
            target=self.spec,
            declaration=self.runner.target.record(),
            profile=self.profile,
            seed=self.seed,
            max_examples=self.max_examples,
            isolation={"isolated": options.isolate, "timeout": options.timeout, "memory_limit": options.memory_limit},
            complete=complete,
            seconds=time.perf_counter() - started,
            checks=list(results),
        )

    def run(self, on_check: Callable[[CheckResult, bool], None] | None = None) -> VerifyReport:
        """Run the checks; ``on_check(result, recorded)`` is called after each (``recorded``: taken from
        the JSON report, not run).  Raises :class:`InternalError` on a bug of the harness."""
        started = time.perf_counter()
        incremental = bool(self.json_path) and self.json_path != "-"
        if incremental:
            pending = [CheckResult.from_record(self.recorded[n]) for n in self.names if n in self.recorded]
            write_json(self.json_path, self._report(pending, False, started).to_record())
        results = []
        timed_out = None
        for name in self.names:
            if timed_out is not None and not self.keep_going:
                result = CheckResult(
                    name=name,
                    status="skipped",
                    message=f"not run: the target timed out in {timed_out} (--keep-going runs it anyway)",
                    cause=f"skipped: the target timed out in {timed_out}",
                )
                results.append(result)
                if on_check is not None:
                    on_check(result, False)
                continue
            if name in self.recorded:
                result = CheckResult.from_record(self.recorded[name])
                results.append(result)
                if on_check is not None:
                    on_check(result, True)
                continue
            if self.replay is not None:
                result = replay_case(self.runner, name, self.replay)
            else:
                result = run_check(
                    self.runner,
                    name,
                    profile=self.profile,
                    seed=self.seed,
                    max_examples=self.max_examples,
                    fits=self.fits,
                )
            if result.status == "timeout" and timed_out is None:
                timed_out = name
            if result.status == "internal":
                raise InternalError(f"internal error of kmeans-harness in check {name}:\n{result.message}")
            results.append(result)
            if on_check is not None:
                on_check(result, False)
            if incremental:
                done = {r.name for r in results}
                pending = [CheckResult.from_record(self.recorded[n]) for n in self.names if n in self.recorded]
                write_json(
                    self.json_path,
                    self._report(results + [r for r in pending if r.name not in done], False, started).to_record(),
                )
        report = self._report(results, True, started)
        for r in report.failed:
            if r.case:
                report.case_files[r.name] = self._write_case(r)
        if self.json_path:
            write_json(self.json_path, report.to_record())
        return report

    def _write_case(self, result: CheckResult) -> str | None:
        """The failure's case file (None if it could not be written: the case is still in the report)."""
        name = f"kmeans-harness-case-{result.name}.json"
        path = name if self.case_dir in ("", ".") else os.path.join(self.case_dir, name)
        try:
            with open(path, "w", encoding="utf-8") as fh:
                json.dump({"check": result.name, "target": self.spec, "case": result.case}, fh, indent=1)
        except OSError:
            return None
        return path
