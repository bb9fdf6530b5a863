"""Configuration defined once: numba flags, kernel chunk sizes, and the Hypothesis profile names.

Tolerances are derived in :mod:`harness.numerics.tolerances`; this module holds only constants.
"""

from __future__ import annotations

import os

#: Flags for every ``numba.njit`` in :mod:`harness.numerics.kernels`.  ``fastmath`` stays off: it would let
#: LLVM reassociate sums, and the harness promises results that do not depend on the build.
NUMBA_FLAGS = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}

#: OpenBLAS's idle threads busy-wait for 2^THREAD_TIMEOUT cycles after each call (default 2^28,
#: about 0.1 s), on the cores numba's threads are about to use.  Measured on a 2-core AMD EPYC, a loop
#: alternating ``lloyd`` (200000x16x64, 5 iterations) with a 1000² numpy matmul took 1.53 s against
#: 1.09 s for the two alone; with a timeout of 2^4 cycles, 1.07 s against 0.99 s.  Applied when
#: harness is imported before numpy (the CLI always is), and never over the user's own setting.
OPENBLAS_THREAD_TIMEOUT = "4"


def quiet_blas_threads() -> None:
    """Set ``OPENBLAS_THREAD_TIMEOUT`` unless the user did (OpenBLAS reads it when it loads)."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", OPENBLAS_THREAD_TIMEOUT)


quiet_blas_threads()


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
