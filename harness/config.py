"""Configuration defined once: numba flags, kernel chunk sizes, and the Hypothesis profile names.

Tolerances are derived in :mod:`harness.tolerances`; this module holds only constants.
"""

from __future__ import annotations

import os

#: Flags for every ``numba.njit`` in :mod:`harness.kernels`.  ``fastmath`` stays off: it would let
#: LLVM reassociate sums, and the harness promises results that do not depend on the build.
NUMBA_FLAGS = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}

#: Whether numba is disabled (``NUMBA_DISABLE_JIT=1``): kernels then run as plain Python.
JIT_DISABLED = os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")

#: Rows per block in the parallel update kernel.  The partial sums of each block are combined in
#: block order, so centers do not depend on the number of threads.
UPDATE_BLOCK_ROWS = 4096

#: Default iteration cap for Lloyd's algorithm.
DEFAULT_MAX_ITER = 300

#: Hypothesis profiles registered by the harness (never the user's global default).
HYPOTHESIS_PROFILES = {
    "quick": "kmeans-harness-quick",
    "default": "kmeans-harness-default",
    "thorough": "kmeans-harness-thorough",
}

#: Examples per check in each profile.
PROFILE_EXAMPLES = {"quick": 12, "default": 60, "thorough": 400}
