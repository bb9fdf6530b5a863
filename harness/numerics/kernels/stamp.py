"""One freshness stamp for every kernel's numba cache: the contents of all the kernel modules and of
:mod:`harness.config`, so that editing one module invalidates the cached machine code of all.

numba stamps a cached function with its own file only, while a kernel's machine code holds the
kernels it calls from other modules and the constants it reads (block sizes, tiles, flags): after
the split into one module per concern, an edit of ``screening.py`` left ``bounds._assign_grouped``
cached with the old screening.  Imported first by the package, before any kernel is decorated.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os

from numba.core import caching

import harness.config

#: The kernel package's folder: functions defined in a file here get the package stamp.
KERNELS_DIR = os.path.dirname(os.path.abspath(__file__))


def stamp_files() -> list:
    """The files whose contents every kernel's machine code may depend on, in a fixed order."""
    return sorted(glob.glob(os.path.join(KERNELS_DIR, "*.py"))) + [os.path.abspath(harness.config.__file__)]


def package_stamp(paths=None) -> bytes:
    """SHA-256 over the names and contents of ``paths`` (default :func:`stamp_files`)."""
    paths = stamp_files() if paths is None else list(paths)
    return _stamp(tuple((p, os.stat(p).st_mtime_ns, os.stat(p).st_size) for p in paths))


@functools.lru_cache(maxsize=8)
def _stamp(files) -> bytes:
    """The hash, recomputed only when a file's modification time or size changes."""
    digest = hashlib.sha256()
    for path, _, _ in files:
        with open(path, "rb") as fh:
            digest.update(os.path.basename(path).encode() + b"\0" + fh.read() + b"\0")
    return digest.digest()


class _PackageStampMixin:
    """A numba cache locator for the kernel modules: numba's own, with the package stamp."""

    def get_source_stamp(self):
        return package_stamp()

    @classmethod
    def from_function(cls, py_func, py_file):
        if os.path.dirname(os.path.abspath(py_file)) != KERNELS_DIR:
            return None  # not a kernel: numba's own locators decide
        return super().from_function(py_func, py_file)


class KernelCacheDirLocator(_PackageStampMixin, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR`` set: cache there, stamped with the package."""


class KernelInTreeLocator(_PackageStampMixin, caching.InTreeCacheLocator):
    """Otherwise: the package's ``__pycache__``, stamped with the package."""


def install() -> None:
    """Put the package-stamped locators first in numba's list (once)."""
    locators = caching.CacheImpl._locator_classes
    for cls in (KernelInTreeLocator, KernelCacheDirLocator):  # the cache-dir one ends up first
        if cls not in locators:
            locators.insert(0, cls)


install()
