"""``verify --data`` as a library: every check that can apply to fixed data, run on cases Hypothesis
draws from a user's file (subsamples, starts; the metamorphic relations transform them), shrunk and
replayed as usual; checks that need a generative model are not-applicable, with the reason.

It reuses the engine's pieces (how a check is run on one case, the statuses, the result record);
what it adds is the source of cases and the per-check coverage of the data.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.cases.data_case import DataCase
from harness.cases.data_file import Dataset
from harness.errors import InvalidArgument, NotApplicable
from harness.json_io import write_json
from harness.provenance import versions
from harness.targets.runner import Runner
from properties.engine import CheckResult, CheckRunner, _message_of, _status_of, run_case, run_check
from properties.suite import CHECKS, checks_for
from strategies.data_cases import data_cases

__all__ = ["DATA_SCHEMA_VERSION", "DataVerification", "DataVerifyReport", "needs_model", "WHOLE_DATA_ROWS"]

DATA_SCHEMA_VERSION = 1

#: verify's whole-file example reads at most this many rows (a subsample with seed 0 above it): every
#: check fits it several times, and a user's plain-numpy Lloyd is O(n·k·d) memory per call.
WHOLE_DATA_ROWS = 20_000


def needs_model(name: str) -> str | None:
    """Why check ``name`` cannot run on a data file (it draws its own cases from the paper's
    mixtures), or None when it can."""
    if getattr(CHECKS[name], "cases", None) is not None:
        return "needs a generative model: it draws its own instances of the theorem's mixtures, not data"
    return None


def _default_checks(target) -> list[str]:
    return list(checks_for(target))


@dataclass(kw_only=True)
class DataVerifyReport:
    """What a ``verify --data`` run found; :meth:`to_record` is its JSON (schema 1)."""

    target: str
    declaration: dict
    data: dict
    k: int
    profile: str
    seed: int
    max_examples: int | None
    seconds: float = 0.0
    complete: bool = False
    checks: list = field(default_factory=list)
    case_files: dict = field(default_factory=dict)

    @property
    def failed(self) -> list:
        return [r for r in self.checks if not r.passed]

    def coverage(self) -> dict:
        """check → (examples it applied to, examples drawn)."""
        return {r.name: (r.applicable_examples, r.examples) for r in self.checks}

    def to_record(self) -> dict:
        return {
            "schema_version": DATA_SCHEMA_VERSION,
            "command": "verify",
            "target": self.target,
            "target_declaration": self.declaration,
            "data": self.data,
            "k": self.k,
            "profile": self.profile,
            "seed": self.seed,
            "max_examples": self.max_examples,
            "complete": self.complete,
            "passed": self.complete and not self.failed,
            "seconds": self.seconds,
            "versions": versions(),
            "coverage": {name: {"applied": a, "examples": e} for name, (a, e) in self.coverage().items()},
            "checks": [r.to_record() for r in self.checks],
        }


class DataVerification:
    """One ``verify --data`` run of ``runner``'s target on ``dataset`` with ``k`` centers.

    ``replay``: a data case file (or a verify --data report) to re-run instead of drawing cases; a
    changed data file is refused (InvalidArgument).  ``case_dir``: where each failure's case file goes.
    """

    def __init__(
        self,
        runner: Runner,
        *,
        spec: str,
        dataset: Dataset,
        k: int,
        checks: list[str] | None = None,
        profile: str = "quick",
        seed: int = 0,
        max_examples: int | None = None,
        max_points: int = 400,
        replay: str | None = None,
        json_path: str | None = None,
        case_dir: str = ".",
    ):
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= dataset.n:
            raise InvalidArgument(f"--k: expected 1 <= k <= {dataset.n} (the data's rows), got {k!r}")
        names = list(checks) if checks else _default_checks(runner.target)
        unknown = [n for n in names if n not in CHECKS]
        if unknown:
            raise InvalidArgument(f"--check: unknown check {unknown[0]!r}; expected one of: {', '.join(CHECKS)}")
        self.replay = DataCase.load(replay, dataset=dataset) if replay else None
        if self.replay is not None:
            if self.replay.k != k:
                raise InvalidArgument(f"--k: the replayed case has k = {self.replay.k}, not {k}")
            if not checks:
                names = _replay_checks(replay) or names
        self.runner, self.spec, self.dataset, self.k = runner, spec, dataset, k
        self.names, self.profile, self.seed, self.max_examples = names, profile, seed, max_examples
        self.max_points, self.json_path, self.case_dir = max_points, json_path, case_dir

    def _report(self, results, complete, started) -> DataVerifyReport:
        return DataVerifyReport(
            target=self.spec,
            declaration=self.runner.target.record(),
            data={
                "path": self.dataset.path,
                "sha256": self.dataset.sha256,
                "rows": self.dataset.n,
                "columns": self.dataset.dim,
                "reference": self.dataset.reference,
                "whole_data_rows": min(self.dataset.n, WHOLE_DATA_ROWS),
            },
            k=self.k,
            profile=self.profile,
            seed=self.seed,
            max_examples=self.max_examples,
            complete=complete,
            seconds=time.perf_counter() - started,
            checks=list(results),
        )

    def run(self, on_check: Callable[[CheckResult], None] | None = None) -> DataVerifyReport:
        started = time.perf_counter()
        results = []
        for name in self.names:
            result = self._run_one(name)
            results.append(result)
            if on_check is not None:
                on_check(result)
            if self.json_path and self.json_path != "-":
                write_json(self.json_path, self._report(results, False, started).to_record())
        report = self._report(results, True, started)
        for r in report.failed:
            if r.case:
                path = self._write_case(r)
                if path:
                    report.case_files[r.name] = path
        if self.json_path:
            write_json(self.json_path, report.to_record())
        return report

    def _run_one(self, name: str) -> CheckResult:
        reason = needs_model(name)
        if reason is not None:
            return CheckResult(name=name, status="not-applicable", message=reason)
        if self.replay is not None:
            return _replay(self.runner, name, self.replay)
        return run_data_check(
            self.runner,
            name,
            dataset=self.dataset,
            k=self.k,
            profile=self.profile,
            seed=self.seed,
            max_examples=self.max_examples,
            max_points=self.max_points,
        )

    def _write_case(self, result: CheckResult) -> str | None:
        path = os.path.join(self.case_dir or ".", f"kmeans-harness-case-{result.name}.json")
        try:
            with open(path, "w", encoding="utf-8") as fh:
                json.dump({"check": result.name, "target": self.spec, "case": result.case}, fh, indent=1)
        except OSError:
            return None
        return path


def _replay_checks(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError):
        return []
    if isinstance(record, dict) and record.get("check") in CHECKS:
        return [record["check"]]
    return [c["name"] for c in record.get("checks", []) if c.get("case")][:1] if isinstance(record, dict) else []


def _replay(runner: Runner, name: str, case: DataCase) -> CheckResult:
    start = time.perf_counter()
    try:
        run_case(CheckRunner(runner), name, case)
    except NotApplicable as exc:
        return CheckResult(name=name, status="not-applicable", examples=1, message=str(exc))
    except Exception as exc:  # noqa: BLE001 - the engine's statuses
        status = _status_of(exc)
        if status == "internal":
            raise
        return CheckResult(
            name=name,
            status=status,
            examples=1,
            applicable_examples=1,
            seconds=time.perf_counter() - start,
            message=_message_of(exc, case),
            case=case.to_record(),
            details=dict(getattr(exc, "details", {}) or {}),
        )
    return CheckResult(name=name, status="pass", examples=1, applicable_examples=1, seconds=time.perf_counter() - start)


def run_data_check(
    runner: Runner,
    name: str,
    *,
    dataset: Dataset,
    k: int,
    profile: str = "quick",
    seed: int = 0,
    max_examples: int | None = None,
    max_points: int = 400,
) -> CheckResult:
    """Run check ``name`` on ``max_examples`` cases drawn from ``dataset`` (the whole file, or
    subsamples, with drawn starts), which Hypothesis shrinks on failure: the engine's
    :func:`~properties.engine.run_check` with the data's cases in place of the drawn mixtures."""
    # the whole file is one of the draws, not an explicit example, so that a failure on it shrinks
    # toward a smaller subsample (and simpler start) that still fails
    return run_check(
        runner,
        name,
        profile=profile,
        seed=seed,
        max_examples=max_examples,
        cases=data_cases(dataset, k, max_points=max_points, whole_rows=WHOLE_DATA_ROWS),
        not_applicable_message="no example of this data applied",
    )
