"""Running a target in a worker process, so that a target which hangs, crashes, exits or eats
memory costs one check its status and never takes the harness down.

One persistent worker per :class:`TargetWorker` loads the target itself from its spec (the
harness process never imports the user's code), runs each call under a timeout and a memory
limit, and is restarted after a crash or timeout.  This module knows nothing of Hypothesis or of
the property suite; :mod:`properties.engine` turns its exceptions into check statuses.
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

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_MEMORY_LIMIT",
    "TargetAborted",
    "TargetTimeout",
    "TargetCrashed",
    "TargetOutOfMemory",
    "TargetRaised",
    "BadOutput",
    "TargetWorker",
    "WorkerReply",
    "load_isolated",
    "parse_memory_limit",
    "describe_bytes",
    "is_isolated",
    "default_isolation",
]

#: Seconds one call of a target may take before its worker is killed.  Lloyd on the suite's
#: largest cases takes well under a second; 60 s leaves room for a slow pure-Python target.
DEFAULT_TIMEOUT = 60.0

#: Address-space limit of the worker (``RLIMIT_AS``), in bytes.  A worker with numpy, numba and
#: scikit-learn loaded maps about 0.7 GiB; the suite's largest case needs a few MiB.
DEFAULT_MEMORY_LIMIT = 4 * 2**30

#: Extra seconds allowed for the worker to start and load the target (imports, numba's cache).
STARTUP_ALLOWANCE = 60.0

# 'spawn' rather than 'fork': forking a process whose numba/OpenMP thread pools are running can
# deadlock the child.  The worker is persistent, so spawn's start-up (~1 s) is paid once per run.
_CONTEXT = multiprocessing.get_context("spawn")


class TargetAborted(Exception):
    """The call did not return: the worker timed out, crashed or ran out of memory.

    ``status`` is the check status it maps to.
    """

    status = "crashed"


class TargetTimeout(TargetAborted):
    status = "timeout"


class TargetCrashed(TargetAborted):
    status = "crashed"


class TargetOutOfMemory(TargetAborted):
    status = "out-of-memory"


class TargetRaised(Exception):
    """The target raised an exception inside the worker; ``traceback_text`` is its traceback."""

    def __init__(self, type_name: str, message: str, traceback_text: str):
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text


class BadOutput(TypeError):
    """The target returned something that is not a k-means answer (a string, None, ...)."""


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


# ------------------------------------------------------------------------------------------------
# Sizes


_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 2**10, "kib": 2**10, "m": 2**20, "mb": 2**20, "mib": 2**20}
_UNITS.update({"g": 2**30, "gb": 2**30, "gib": 2**30, "t": 2**40, "tb": 2**40, "tib": 2**40})


def parse_memory_limit(text) -> int | None:
    """``"4G"``, ``"512M"``, ``"1.5GiB"``, a number of bytes, or ``"none"`` (no limit) → bytes or None.

    Units are binary (``G`` = 2**30 bytes)."""
    if text is None:
        return None
    s = str(text).strip().lower()
    if s in ("none", "unlimited", "0"):
        return None
    number = s.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = s[len(number) :].strip()
    try:
        value = float(number)
    except ValueError:
        value = float("nan")
    if unit not in _UNITS or not (value > 0 and value < float("inf")):
        raise InvalidArgument(f"memory limit: expected a size such as 4G, 512M or 1073741824, or 'none', got {text!r}")
    bytes_ = int(value * _UNITS[unit])
    if bytes_ < 64 * 2**20:
        raise InvalidArgument(f"memory limit: expected at least 64M (a Python worker needs more), got {text!r}")
    return bytes_


def describe_bytes(n: int | None) -> str:
    if n is None:
        return "no limit"
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} B"


# ------------------------------------------------------------------------------------------------
# The worker process (runs in the child)


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
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - any failure is the target's
        return _Unconvertible(f"{type(exc).__name__}: {exc}")
    if arr.dtype.hasobject or arr.shape != expected_shape:
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
    from harness.targets.declaration import modified_inputs, normalise_output

    n, d = X.shape
    X_before = X.copy()
    init_before = None if init is None else init.copy()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            out = target.fit(X, k, init=init, seed=seed)
            seconds = time.perf_counter() - start
    except MemoryError as exc:
        return ("oom", "".join(traceback.format_exception_only(type(exc), exc)).strip())
    except BaseException as exc:  # noqa: BLE001 - SystemExit from the target is the target's error too
        return ("raised", type(exc).__name__, str(exc), "".join(traceback.format_exception(exc)))
    modified = modified_inputs(X, X_before, init, init_before)
    unchanged = not modified
    try:
        fit = normalise_output(out, seconds)
    except Exception as exc:  # noqa: BLE001
        return ("bad-output", str(exc), unchanged, len(caught))
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
        ),
    )


def _worker_main(conn, spec, memory_limit):  # pragma: no cover - runs in the child process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the harness's to handle
    _die_with_parent()
    try:
        _set_memory_limit(memory_limit)
        from harness.targets.declaration import load_target

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


# ------------------------------------------------------------------------------------------------
# The harness side


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
    timeout : float
        Seconds per call; on expiry the worker is killed and :class:`TargetTimeout` raised.
    memory_limit : int or None
        ``RLIMIT_AS`` of the worker in bytes (None: no limit).
    """

    def __init__(self, spec: str, *, timeout: float = DEFAULT_TIMEOUT, memory_limit: int | None = DEFAULT_MEMORY_LIMIT):
        if not isinstance(spec, str):
            raise InvalidArgument(f"spec: a worker loads its target by name, expected a string, got {spec!r}")
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise InvalidArgument(f"timeout: expected a positive number of seconds, got {timeout!r}")
        self.spec = spec
        self.timeout = float(timeout)
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
        if not parent.poll(self.timeout + STARTUP_ALLOWANCE):
            self.close()
            raise TargetLoadError(
                f"target {self.spec!r}: the worker did not finish loading it within "
                f"{self.timeout + STARTUP_ALLOWANCE:g} s (does importing it hang?)"
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
        """Run the target once on ``X`` (float64, sent to the worker) and return its reply.

        Raises :class:`TargetTimeout`, :class:`TargetCrashed`, :class:`TargetOutOfMemory` (the
        worker is then restarted on the next call), :class:`TargetRaised` or :class:`BadOutput`.
        """
        self.start()
        conn = self._conn
        X = np.ascontiguousarray(X, dtype=np.float64)
        init = None if init is None else np.ascontiguousarray(init, dtype=np.float64)
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
            )
        if kind == "raised":
            _, type_name, message, text = reply
            raise TargetRaised(type_name, message, text)
        if kind == "oom":
            self.close()  # a fresh worker for the next call: the heap may be fragmented
            limit = describe_bytes(self.memory_limit)
            raise TargetOutOfMemory(
                f"out of memory: the target exceeded the worker's memory limit ({limit}): {reply[1]}"
            )
        if kind == "bad-output":
            raise BadOutput(reply[1])
        raise TargetCrashed(f"target crashed: the worker sent an unexpected reply {kind!r}")  # pragma: no cover

    def __call__(self, X, k, *, init=None, seed=None) -> dict:
        r = self.call(X, k, init=init, seed=seed)
        return {"centers": r.centers, "labels": r.labels, "converged": r.converged, "n_iter": r.n_iter}


def load_isolated(spec: str, *, timeout: float = DEFAULT_TIMEOUT, memory_limit: int | None = DEFAULT_MEMORY_LIMIT):
    """A :class:`~harness.targets.declaration.Target` whose calls run in a worker process.

    The worker loads ``spec`` and reports its declaration; loading errors are raised here exactly
    as :func:`~harness.targets.declaration.load_target` would raise them.  ``target.fit`` is the
    :class:`TargetWorker`; call ``target.fit.close()`` when done (it is also closed at exit).
    """
    from harness.targets.declaration import Target

    worker = TargetWorker(spec, timeout=timeout, memory_limit=memory_limit)
    record = dict(worker.start())
    return Target(
        name=record.pop("name"),
        fit=worker,
        claims=record["claims"],
        precision=record["precision"],
        honours_init=record["honours_init"],
        deterministic=record["deterministic"],
        description=record.get("description", ""),
        max_dim=record.get("max_dim"),
    )


def is_isolated(target) -> bool:
    return isinstance(getattr(target, "fit", None), TargetWorker)


def default_isolation(spec) -> bool:
    """User targets run isolated by default; built-ins (our code and the peers' configured
    adapters) and Python objects run in-process."""
    from harness.targets.declaration import BUILTINS

    # a spec without ':' that is no built-in cannot load anywhere: let it fail in-process, at once
    return isinstance(spec, str) and spec not in BUILTINS and ":" in spec
