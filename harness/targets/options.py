"""How a target is run: in-process or isolated in a worker process, with a per-call timeout and a
memory limit.  One record (:class:`RunOptions`), its defaults per command declared here and only
here, and the parsing of sizes.  ``None`` is the one spelling of "no limit"."""

from __future__ import annotations

from dataclasses import dataclass, replace

from harness.errors import InvalidArgument
from harness.targets.registry import BUILTINS

__all__ = [
    "COMMAND_DEFAULTS",
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_TIMEOUT",
    "RunOptions",
    "describe_bytes",
    "isolated_by_default",
    "parse_memory_limit",
]

#: Seconds one call of an isolated target may take before its worker is killed.  Lloyd on the
#: suite's largest cases takes well under a second; 60 s leaves room for a slow pure-Python target.
DEFAULT_TIMEOUT = 60.0

#: Address-space limit of the worker (``RLIMIT_AS``), in bytes.  A worker with numpy, numba and
#: scikit-learn loaded maps about 0.7 GiB; the suite's largest case needs a few MiB.
DEFAULT_MEMORY_LIMIT = 4 * 2**30


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How to run a target's fits.

    Parameters
    ----------
    isolate : bool or None
        Run the target in a worker process (its own interpreter) with ``timeout`` and
        ``memory_limit``.  None: decide by the spec (:func:`isolated_by_default`): user code
        (``module:attr``, ``file.py:attr``) is isolated, built-ins and Python objects are not.
    timeout : float or None
        Seconds one call of an isolated target may take; None: no limit.
    memory_limit : int or None
        Address-space limit of the worker in bytes (see :func:`parse_memory_limit`); None: no limit.

    An in-process target has neither limit: :meth:`resolved` records that.
    """

    isolate: bool | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT

    def __post_init__(self):
        if self.isolate not in (None, True, False):
            raise InvalidArgument(f"isolate: expected True, False or None (decide by the spec), got {self.isolate!r}")
        if self.timeout is not None and not (
            isinstance(self.timeout, (int, float)) and not isinstance(self.timeout, bool) and 0 < self.timeout < 1e9
        ):
            raise InvalidArgument(
                f"timeout: expected a positive number of seconds or None (no limit), got {self.timeout!r}"
            )
        if self.memory_limit is not None and not (
            isinstance(self.memory_limit, int) and not isinstance(self.memory_limit, bool) and self.memory_limit > 0
        ):
            raise InvalidArgument(
                f"memory_limit: expected a positive number of bytes or None (no limit), got {self.memory_limit!r}"
            )

    def resolved(self, spec) -> RunOptions:
        """These options for ``spec``: ``isolate`` decided, and no limits when in-process."""
        isolate = isolated_by_default(spec) if self.isolate is None else self.isolate
        if not isolate:
            return RunOptions(isolate=False, timeout=None, memory_limit=None)
        return replace(self, isolate=True)

    def to_record(self) -> dict:
        return {"isolate": self.isolate, "timeout": self.timeout, "memory_limit": self.memory_limit}


#: Each command's defaults.  bench fits benchmark-sized data, so a user target gets ten times the
#: time and twice the memory there.
COMMAND_DEFAULTS = {
    "verify": RunOptions(),
    "fit": RunOptions(),
    "sweep": RunOptions(),
    "bench": RunOptions(timeout=600.0, memory_limit=8 * 2**30),
}


def isolated_by_default(spec) -> bool:
    """User targets run isolated by default; built-ins (our code and the peers' configured
    adapters) and Python objects run in-process."""
    # a spec without ':' that is no built-in cannot load anywhere: let it fail in-process, at once
    return isinstance(spec, str) and spec not in BUILTINS and ":" in spec


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
