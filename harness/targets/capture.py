"""The output a target writes while it runs, captured at the file-descriptor level, so that a C
library's ``printf`` is caught as well as Python's ``print``; the runner and the worker wrap every
call in :class:`CapturedOutput`, and the commands show the text with the case, never mid-table.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import tempfile

__all__ = ["OUTPUT_LIMIT", "CapturedOutput"]

#: Characters of one call's output that are kept (the rest is counted, not kept): enough for a
#: library's warnings or a progress log, bounded for a target that prints every iteration.
OUTPUT_LIMIT = 16_000


class CapturedOutput:
    """Redirect file descriptors 1 and 2 (and ``sys.stdout``/``sys.stderr``, which may not write to
    them) into one temporary file for the duration of a ``with`` block; ``text`` is what was written,
    cut to :data:`OUTPUT_LIMIT` characters, ``size`` its full length in bytes."""

    def __init__(self):
        self.text = ""
        self.size = 0
        self._file = None

    def __enter__(self) -> CapturedOutput:
        for stream in (sys.stdout, sys.stderr):
            _flush(stream)  # what the harness wrote before the call is not the target's
        _flush_c_streams()
        self._file = tempfile.TemporaryFile()
        fd = self._file.fileno()
        self._saved_fds = (os.dup(1), os.dup(2))
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        # write_through: each Python write reaches the file at once, in order with the C writes
        self._stream = io.TextIOWrapper(
            io.FileIO(os.dup(fd), "w"), encoding="utf-8", errors="replace", write_through=True
        )
        self._saved_streams = (sys.stdout, sys.stderr)
        sys.stdout = sys.stderr = self._stream
        return self

    def __exit__(self, *exc) -> None:
        try:
            _flush(self._stream)
            _flush_c_streams()
            sys.stdout, sys.stderr = self._saved_streams
            self._stream.close()
            for target_fd, saved in zip((1, 2), self._saved_fds, strict=True):
                os.dup2(saved, target_fd)
                os.close(saved)
            self._file.seek(0, os.SEEK_END)
            self.size = self._file.tell()
            self._file.seek(0)
            data = self._file.read(OUTPUT_LIMIT * 4)
        finally:
            self._file.close()
        text = data.decode("utf-8", errors="replace")
        if len(text) > OUTPUT_LIMIT or self.size > len(data):
            text = text[:OUTPUT_LIMIT] + f"\n[... {self.size} bytes in all; the rest not kept]"
        self.text = text


def _flush(stream) -> None:
    try:
        stream.flush()
    except (AttributeError, OSError, ValueError):
        pass


def _flush_c_streams() -> None:
    """``fflush(NULL)``: C's stdout is fully buffered when it is a file, so a library's ``printf``
    would otherwise reach the file after the call, or never."""
    libc = _libc()
    if libc is not None:
        libc.fflush(None)


@functools.cache
def _libc():
    try:
        import ctypes

        return ctypes.CDLL(None)
    except (OSError, AttributeError):  # pragma: no cover - no C library to flush
        return None
