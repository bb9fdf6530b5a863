"""Running a target in a worker process, so that a target which hangs, crashes, exits or eats
memory costs one check its status and never takes the harness down.

One persistent worker per :class:`TargetWorker` loads the target itself from its spec (the
harness process never imports the user's code), runs each call under a timeout and a memory
limit, and is restarted after a crash or timeout.  This module knows nothing of Hypothesis or of
the property suite; :mod:`harness.targets.runner` is the one
way the commands use it.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
import traceback
import warnings
import weakref
from dataclasses import dataclass

import numpy as np

from harness.errors import InvalidArgument, MissingDependency, TargetLoadError
from harness.targets.capture import CapturedOutput
from harness.targets.failures import (
    BadOutput,
    TargetAborted,
    TargetCrashed,
    TargetOutOfMemory,
    TargetRaised,
    TargetTimeout,
)
from harness.targets.fit import input_dtype, modified_inputs, normalise_output
from harness.targets.loader import load_target
from harness.targets.options import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT, describe_bytes

__all__ = ["TargetWorker", "WorkerReply"]


#: Extra seconds allowed for the worker to start and load the target (imports, numba's cache).
STARTUP_ALLOWANCE = 60.0

# 'spawn' rather than 'fork': forking a process whose numba/OpenMP thread pools are running can
# deadlock the child.  The worker is persistent, so spawn's start-up (~1 s) is paid once per run.
_CONTEXT = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class WorkerReply:
    """One call's answer from the worker: the target's output, normalised and made safe to send."""

    centers: object
    labels: object
    converged: bool | None
    n_iter: int | None
    seconds: float
    input_unchanged: bool
    warnings: int
    modified_inputs: tuple = ()
    output: str = ""


@dataclass(frozen=True)
class _ShapeOnly:
    """Stands in for an array whose shape is already wrong: only shape and dtype cross the pipe,
    so a huge (or lazily broadcast) answer is never copied."""

    shape: tuple
    dtype: str


class _Unconvertible:
    """Stands in for a value ``numpy.asarray`` could not convert; converting it again raises the
    same message, so the output contract reports it."""

    def __init__(self, message: str):
        self.message = message

    def __array__(self, *args, **kwargs):
        raise ValueError(self.message)

    def __repr__(self):
        return f"<unconvertible: {self.message}>"


def _pack(value, expected_shape):
    """``value`` as an array to send, if it has ``expected_shape`` or, for centers ``(k, d)``, fewer
    rows (a target declared ``empty_clusters="drop"`` returns m < k centers)."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - any failure is the target's
        return _Unconvertible(f"{type(exc).__name__}: {exc}")
    fewer_rows = len(expected_shape) == 2 and arr.ndim == 2 and arr.shape[1:] == expected_shape[1:]
    fewer_rows = fewer_rows and arr.shape[0] <= expected_shape[0]
    if arr.dtype.hasobject or not (arr.shape == expected_shape or fewer_rows):
        return _ShapeOnly(tuple(arr.shape), "object" if arr.dtype.hasobject else arr.dtype.str)
    return np.ascontiguousarray(arr)


def _unpack(value):
    if isinstance(value, _ShapeOnly):
        # zero memory whatever the shape; read-only
        return np.broadcast_to(np.zeros((), dtype=np.dtype(value.dtype)), value.shape)
    return value


def _die_with_parent():  # pragma: no cover - Linux only, best effort
    """Ask the kernel to kill this worker when the harness dies (so a hung target is not orphaned)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:  # noqa: BLE001
        pass


def _set_memory_limit(limit):
    if limit is None:
        return
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _call_target(target, X, k, init, seed):
    n, d = X.shape
    X_before = X.copy()
    init_before = None if init is None else init.copy()
    captured = CapturedOutput()  # the worker's fds 1 and 2 are the harness's terminal
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with captured:
                start = time.perf_counter()
                out = target.fit(X, k, init=init, seed=seed)
                seconds = time.perf_counter() - start
    except MemoryError as exc:
        return ("oom", "".join(traceback.format_exception_only(type(exc), exc)).strip(), captured.text)
    except BaseException as exc:  # noqa: BLE001 - SystemExit from the target is the target's error too
        return ("raised", type(exc).__name__, str(exc), "".join(traceback.format_exception(exc)), captured.text)
    modified = modified_inputs(X, X_before, init, init_before)
    unchanged = not modified
    try:
        fit = normalise_output(out, seconds)
    except Exception as exc:  # noqa: BLE001
        return ("bad-output", str(exc), captured.text)
    return (
        "ok",
        WorkerReply(
            centers=_pack(fit.raw_centers, (k, d)),
            labels=_pack(fit.raw_labels, (n,)),
            converged=fit.converged,
            n_iter=fit.n_iter,
            seconds=seconds,
            input_unchanged=unchanged,
            warnings=len(caught),
            modified_inputs=modified,
            output=captured.text,
        ),
    )


def _worker_main(conn, spec, memory_limit):  # pragma: no cover - runs in the child process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the harness's to handle
    _die_with_parent()
    try:
        _set_memory_limit(memory_limit)
        target = load_target(spec)
    except MemoryError as exc:
        conn.send(("load-error", "MemoryError", f"loading the target ran out of memory: {exc}"))
        return
    except BaseException as exc:  # noqa: BLE001
        conn.send(("load-error", type(exc).__name__, str(exc)))
        return
    conn.send(("ready", target.record() | {"description": target.description}))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the harness is gone
        if message[0] == "stop":
            return
        _, X, k, init, seed = message
        reply = _call_target(target, X, k, init, seed)
        del X, init
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("oom", "MemoryError while sending the answer to the harness"))
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable value
            conn.send(("bad-output", f"the answer could not be sent to the harness: {type(exc).__name__}: {exc}"))


def _kill(process):
    if process is not None and process.is_alive():
        process.kill()
        process.join(5)


class TargetWorker:
    """A target run in a persistent worker process; callable like a target (``fit(X, k, *, init,
    seed)`` → a mapping), and :meth:`call` gives the full :class:`WorkerReply`.

    Parameters
    ----------
    spec : str
        Built-in name, ``package.module:attr`` or ``path/to/file.py:attr`` (loaded in the worker).
    timeout : float or None
        Seconds per call (None: no limit); on expiry the worker is killed and :class:`TargetTimeout` raised.
    memory_limit : int or None
        ``RLIMIT_AS`` of the worker in bytes (None: no limit).
    """

    def __init__(self, spec: str, *, timeout: float = DEFAULT_TIMEOUT, memory_limit: int | None = DEFAULT_MEMORY_LIMIT):
        if not isinstance(spec, str):
            raise InvalidArgument(f"spec: a worker loads its target by name, expected a string, got {spec!r}")
        if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
            raise InvalidArgument(f"timeout: expected a positive number of seconds or None (no limit), got {timeout!r}")
        self.spec = spec
        self.timeout = None if timeout is None else float(timeout)
        self.memory_limit = memory_limit
        self.starts = 0
        self.startup_seconds = 0.0
        self.record: dict | None = None
        self._process = None
        self._conn = None
        self._finalizer = None

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> dict:
        """Start the worker (if needed) and return the loaded target's declaration.

        Raises :class:`TargetLoadError` / :class:`MissingDependency` / :class:`InvalidArgument` as
        loading it in-process would."""
        if self._process is not None and self._process.is_alive():
            return self.record
        self.close()
        begin = time.perf_counter()
        parent, child = _CONTEXT.Pipe(duplex=True)
        process = _CONTEXT.Process(
            target=_worker_main, args=(child, self.spec, self.memory_limit), daemon=True, name="kmeans-harness-worker"
        )
        process.start()
        child.close()  # so that the worker's death reads as end-of-file here
        self._process, self._conn = process, parent
        self._finalizer = weakref.finalize(self, _kill, process)
        startup = None if self.timeout is None else self.timeout + STARTUP_ALLOWANCE
        if not parent.poll(startup):
            self.close()
            raise TargetLoadError(
                f"target {self.spec!r}: the worker did not finish loading it within {startup:g} s "
                "(does importing it hang?)"
            )
        try:
            reply = parent.recv()
        except (EOFError, OSError):
            error = self._death(during="loading the target")
            raise TargetLoadError(f"target {self.spec!r}: {error}") from None
        if reply[0] == "load-error":
            self.close()
            _, type_name, message = reply
            if type_name == "MissingDependency":
                err = MissingDependency.__new__(MissingDependency)
                ImportError.__init__(err, message)
                raise err
            if type_name == "InvalidArgument":
                raise InvalidArgument(message)
            if type_name == "TargetLoadError":
                raise TargetLoadError(message)
            raise TargetLoadError(f"target {self.spec!r}: loading it raised {type_name}: {message}")
        self.record = reply[1]
        self.starts += 1
        self.startup_seconds += time.perf_counter() - begin
        return self.record

    def close(self) -> None:
        """Stop the worker (politely, then by force)."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if conn is not None:
            try:
                conn.send(("stop",))
            except (OSError, ValueError):
                pass
            conn.close()
        if process is not None:
            process.join(1)
            _kill(process)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    # -- calls -------------------------------------------------------------------------------

    def _death(self, during: str) -> TargetAborted:
        """The worker is gone: why, as an exception to raise."""
        process = self._process
        process.join(5)
        code = process.exitcode
        self._process = None
        self.close()
        if code is None:
            return TargetCrashed(f"target crashed: the worker stopped answering while {during}")
        if code < 0:
            sig = -code
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = "unknown signal"
            if sig == signal.SIGKILL:
                return TargetOutOfMemory(
                    f"out of memory: the worker was killed by signal {sig} ({name}) while {during}, most likely by "
                    "the operating system's out-of-memory killer"
                )
            return TargetCrashed(f"target crashed: signal {sig} ({name}) while {during}")
        return TargetCrashed(f"target crashed: the worker process exited with code {code} while {during}")

    def call(self, X, k, *, init=None, seed=None) -> WorkerReply:
        """Run the target once on ``X`` (sent to the worker in its dtype if float32 or float64, else
        as float64) and return its reply.

        Raises :class:`TargetTimeout`, :class:`TargetCrashed`, :class:`TargetOutOfMemory` (the
        worker is then restarted on the next call), :class:`TargetRaised` or :class:`BadOutput`.
        """
        self.start()
        conn = self._conn
        X = np.ascontiguousarray(X, dtype=input_dtype(X))
        init = None if init is None else np.ascontiguousarray(init, dtype=input_dtype(init))
        try:
            conn.send(("call", X, int(k), init, seed))
        except (OSError, EOFError):
            raise self._death(during="receiving the data") from None
        if not conn.poll(self.timeout):
            _kill(self._process)
            self.close()
            raise TargetTimeout(f"timed out after {self.timeout:g} s")
        try:
            reply = conn.recv()
        except (EOFError, OSError):
            raise self._death(during="fitting") from None
        kind = reply[0]
        if kind == "ok":
            r = reply[1]
            return WorkerReply(
                _unpack(r.centers),
                _unpack(r.labels),
                r.converged,
                r.n_iter,
                r.seconds,
                r.input_unchanged,
                r.warnings,
                r.modified_inputs,
                r.output,
            )
        if kind == "raised":
            _, type_name, message, text, output = reply
            raise TargetRaised(type_name, message, text, output)
        if kind == "oom":
            self.close()  # a fresh worker for the next call: the heap may be fragmented
            limit = describe_bytes(self.memory_limit)
            error = TargetOutOfMemory(
                f"out of memory: the target exceeded the worker's memory limit ({limit}): {reply[1]}"
            )
            error.output = reply[2] if len(reply) > 2 else ""
            raise error
        if kind == "bad-output":
            raise BadOutput(reply[1], reply[2] if len(reply) > 2 else "")
        raise TargetCrashed(f"target crashed: the worker sent an unexpected reply {kind!r}")  # pragma: no cover

    def __call__(self, X, k, *, init=None, seed=None) -> dict:
        r = self.call(X, k, init=init, seed=seed)
        return {"centers": r.centers, "labels": r.labels, "converged": r.converged, "n_iter": r.n_iter}
