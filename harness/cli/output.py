"""What every command prints besides its own table: the first-run compile notice and JSON output
with an unwritable path reported as a usage error."""

from __future__ import annotations

import sys

from harness.cli._options import UsageError
from harness.errors import InvalidArgument
from harness.json_io import write_json
from harness.numerics.kernels import cache_is_warm


def compile_notice(stream=sys.stderr) -> None:
    if not cache_is_warm():
        print(
            "note: first run: numba is compiling the kernels (about 20-40 s); later runs load them from the cache.",
            file=stream,
            flush=True,
        )


def emit_json(path: str | None, payload: dict) -> None:
    """Write ``payload`` to ``--json PATH`` if given (``-``: standard output)."""
    if not path:
        return
    try:
        write_json(path, payload)
    except InvalidArgument as exc:
        raise UsageError(str(exc)) from None
