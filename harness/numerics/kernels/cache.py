"""The probe of numba's on-disk cache behind the CLI's "first run: numba is compiling" notice.

It asks numba where each driver kernel's cache index is (so it follows the file the kernel lives in
and ``NUMBA_CACHE_DIR``) and whether that index matches the source; it never compiles anything.
"""

from __future__ import annotations

import glob
import os

from harness.config import JIT_DISABLED
from harness.numerics.kernels.dense import _lloyd_dense
from harness.numerics.kernels.lloyd import _lloyd

#: The kernels that every fit compiles (one of the two drivers of :func:`~harness.numerics.kernels.lloyd.lloyd`).
DRIVER_KERNELS = (_lloyd, _lloyd_dense)


def cache_index_name(kernel) -> str:
    """The glob numba's index file of ``kernel`` matches, e.g. ``lloyd._lloyd-*.nbi``: numba names it
    after the defining file's stem, the function's qualified name and its first line."""
    func = getattr(kernel, "py_func", kernel)  # a plain function under NUMBA_DISABLE_JIT
    stem = os.path.splitext(os.path.basename(func.__code__.co_filename))[0]
    return f"{stem}.{func.__qualname__}-*.nbi"


def _is_cached(kernel) -> bool:
    """Whether numba's cache holds a compiled ``kernel`` for its current source file."""
    try:
        return bool(kernel._cache._cache_file._load_index())  # empty when missing or stale
    except Exception:  # pragma: no cover - numba internals moved: look for the index file by name
        func = getattr(kernel, "py_func", kernel)
        dirs = [os.path.join(os.path.dirname(func.__code__.co_filename), "__pycache__")]
        if os.environ.get("NUMBA_CACHE_DIR"):
            dirs.append(os.environ["NUMBA_CACHE_DIR"])
        try:
            from numba.misc.appdirs import AppDirs

            dirs.append(AppDirs(appname="numba", appauthor=False).user_cache_dir)
        except Exception:
            pass
        name = cache_index_name(kernel)
        return any(glob.glob(os.path.join(d, "**", name), recursive=True) for d in dirs)


def cache_is_warm() -> bool:
    """Whether compiled kernels are already in numba's on-disk cache (so start-up is fast): true
    when one of :data:`DRIVER_KERNELS` is cached for its current source, or without the JIT."""
    if JIT_DISABLED:
        return True
    return any(_is_cached(kernel) for kernel in DRIVER_KERNELS)
