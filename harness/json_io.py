"""Writing a JSON report atomically, with the values JSON cannot hold made safe (NaN → null,
numpy scalars and arrays → numbers and lists).  A reader, or a resumed run, never sees half a file."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import tempfile

import numpy as np

from harness.errors import InvalidArgument

__all__ = ["json_safe", "write_json"]


def json_safe(obj):
    """NaN and infinities become None: JSON has no such numbers (a hostile target's answer may)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def _default(obj):
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        return json_safe(obj.item())
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def write_json(path: str, payload: dict, *, parameter: str = "--json") -> None:
    """Write ``payload`` to ``path`` (``-``: standard output) atomically: a temporary file in the same
    directory, then ``os.replace``.  An unwritable path is an :class:`~harness.errors.InvalidArgument`
    naming ``parameter``."""
    text = json.dumps(json_safe(payload), indent=2, default=_default, allow_nan=False)
    if path == "-":
        sys.stdout.write(text + "\n")
        return
    if os.path.exists(path) and not os.path.isfile(path):  # /dev/null, a FIFO: write through, never replace it
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            raise InvalidArgument(f"{parameter}: cannot write {path!r}: {exc.strerror}") from None
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InvalidArgument(f"{parameter}: cannot write {path!r}: {exc.strerror}") from None
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
