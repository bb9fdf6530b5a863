"""The one way to run a target's fits, for every command: a :class:`Runner` opens a target with one
:class:`~harness.targets.options.RunOptions` record and calls it in-process or in its worker process.

Both modes behave alike: the call's time is measured where the call ran, the caller's arrays are
compared before and after the call there, and what goes wrong is one of the exceptions of
:mod:`harness.targets.failures`.  It knows nothing of checks, rows or statuses.
"""

from __future__ import annotations

import time
import traceback
import warnings
from dataclasses import replace

import numpy as np

from harness.targets.capture import CapturedOutput
from harness.targets.declaration import Target
from harness.targets.failures import BadOutput, TargetOutOfMemory, TargetRaised
from harness.targets.fit import Fit, input_dtype, modified_inputs, normalise_output
from harness.targets.loader import load_target
from harness.targets.options import RunOptions, describe_bytes
from harness.targets.worker import TargetWorker

__all__ = ["Runner"]


class Runner:
    """A target opened under ``options``; call :meth:`fit` for each fit and :meth:`close` when done
    (or use it as a context manager).

    Parameters
    ----------
    spec : str or object
        Built-in name, ``package.module:attr``, ``path/to/file.py:attr``, or a Python object that
        :func:`~harness.targets.loader.load_target` accepts (a Target, a function, an estimator).
        Only a string can be isolated: the worker loads the target itself, so the harness never
        imports the user's code.
    options : RunOptions, optional
        Isolation, timeout and memory limit (default: ``RunOptions()``, isolation decided by the spec).

    Raises
    ------
    harness.errors.TargetLoadError, harness.errors.MissingDependency, harness.InvalidArgument
        When the target cannot be loaded, in either mode alike.

    Attributes
    ----------
    target : Target
        The declaration (name, claims, precision, ...).  When isolated, its ``fit`` is the worker.
    options : RunOptions
        The options in effect: ``isolate`` decided; no limits when in-process.
    calls, warnings : int
        Calls made, and warnings the target issued during them (captured, never printed).
    """

    def __init__(self, spec, options: RunOptions | None = None):
        options = (options or RunOptions()).resolved(spec)
        self.spec = spec
        self.options = options
        self.calls = 0
        self.warnings = 0
        self._worker = None
        if options.isolate:
            if not isinstance(spec, str):
                raise TypeError(f"only a target given by name can run isolated, got {type(spec).__name__}")
            self._worker = TargetWorker(spec, timeout=options.timeout, memory_limit=options.memory_limit)
            record = dict(self._worker.start())
            self.target = Target.from_record(record, fit=self._worker, description=record.get("description", ""))
        else:
            self.target = load_target(spec)

    @property
    def isolated(self) -> bool:
        return self._worker is not None

    @property
    def worker_starts(self) -> int:
        """How many times the worker process was started (0 in-process)."""
        return self._worker.starts if self._worker is not None else 0

    def fit(self, X, k, *, init=None, seed=None) -> Fit:
        """Fit the target once on ``X`` (float32 and float64 arrays are passed in their dtype, anything
        else as float64) with ``k`` centers, from ``init`` if given, with ``seed``.

        The target gets copies; :attr:`Fit.modified_inputs` names the arrays it wrote into.

        Raises
        ------
        harness.targets.failures.TargetAborted
            It timed out, crashed or ran out of memory (``.status`` says which).
        harness.targets.failures.TargetRaised
            It raised (``.type_name``, ``.message``, ``.traceback_text``).
        harness.targets.failures.BadOutput
            It returned something that is not a k-means answer.
        """
        self.calls += 1
        if self._worker is not None:
            return self._fit_isolated(X, k, init, seed)
        X_given = np.array(X, dtype=input_dtype(X), copy=True)
        init_given = None if init is None else np.array(init, dtype=input_dtype(init), copy=True)
        captured = CapturedOutput()
        try:
            with warnings.catch_warnings(record=True) as caught:  # a peer's warnings are not ours to print
                warnings.simplefilter("always")
                with captured:  # nor is its output: it is kept with the call
                    start = time.perf_counter()
                    out = self.target.fit(X_given, k, init=init_given, seed=seed)
                    seconds = time.perf_counter() - start
            self.warnings += len(caught)
        except MemoryError as exc:
            error = TargetOutOfMemory(f"out of memory: the target raised MemoryError: {exc}")
            error.output = captured.text
            raise error from exc
        except (Exception, SystemExit) as exc:  # SystemExit from the target is the target's error too
            raise TargetRaised(
                type(exc).__name__, str(exc), "".join(traceback.format_exception(exc)), captured.text
            ) from exc
        try:
            fit = normalise_output(out, seconds)
        except Exception as exc:  # noqa: BLE001 - a malformed answer is the target's failure
            raise BadOutput(str(exc), captured.text) from None
        modified = modified_inputs(X_given, X, init_given, init)
        return replace(fit, input_unchanged=not modified, modified_inputs=modified, output=captured.text)

    def _fit_isolated(self, X, k, init, seed) -> Fit:
        r = self._worker.call(X, k, init=init, seed=seed)
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
            output=r.output,
        )

    def close(self) -> None:
        """Stop the worker, if any (idempotent)."""
        if self._worker is not None:
            self._worker.close()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe_isolation(self) -> str:
        """One line for a report: how the target runs."""
        if not self.isolated:
            return "in-process"
        timeout = "no time limit" if self.options.timeout is None else f"{self.options.timeout:g} s per call"
        return f"isolated in a worker process: {timeout}, memory limit {describe_bytes(self.options.memory_limit)}"
