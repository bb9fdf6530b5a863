"""Provenance for every report: the versions of Python and of the installed distributions that
matter, the git commit of a source checkout, and the CPU model."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata

__all__ = ["VERSIONED", "cpu_model", "git_commit", "versions"]

#: Distributions whose versions a report records (those not installed are left out).
VERSIONED = (
    "kmeans-harness",
    "numpy",
    "scipy",
    "numba",
    "hypothesis",
    "scikit-learn",
    "scikit-learn-intelex",
    "faiss-cpu",
    "kmeans1d",
)


def versions(extra=()) -> dict:
    """Python's and the installed versions of :data:`VERSIONED` and of ``extra``."""
    out = {"python": sys.version.split()[0]}
    for dist in (*VERSIONED, *extra):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def git_commit() -> str | None:
    """The commit of the source checkout this package runs from (``+dirty`` if modified), or None."""
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=here, capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor() or "unknown"
