"""The BLAS thread limit for the screened searches: each numba thread calls its own dgemm.

Holds no kernel; it only decides how many threads BLAS may use while the kernels run.
"""

from __future__ import annotations

import contextlib


def single_threaded_blas():
    """A context in which BLAS runs on one thread (each numba thread calls its own dgemm: a
    multi-threaded BLAS inside numba's parallel region would oversubscribe the cores and spin)."""
    try:
        import scipy.linalg.cython_blas  # noqa: F401  (numba's np.dot calls scipy's BLAS: load it first)
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
