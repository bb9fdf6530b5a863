"""Hypothesis profiles for the test suite, chosen by ``KMEANS_HARNESS_PROFILE`` (quick/default/thorough).

The names are those of :mod:`harness.config` with a ``-tests`` suffix, so they never replace the
profiles that ``kmeans-harness verify`` registers (:mod:`properties.suite`).  ``derandomize`` keeps
a run reproducible (CI failures replay locally); the health checks are relaxed because the kernels
run as plain Python under ``NUMBA_DISABLE_JIT=1``, which is slow by design.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from harness.config import HYPOTHESIS_PROFILES

PROFILE_ENV_VAR = "KMEANS_HARNESS_PROFILE"
MAX_EXAMPLES = {"quick": 25, "default": 100, "thorough": 1000}

for _short, _full in HYPOTHESIS_PROFILES.items():
    settings.register_profile(
        f"{_full}-tests",
        max_examples=MAX_EXAMPLES[_short],
        deadline=None,  # JIT compilation of a new dtype specialisation takes seconds on first call
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )

_requested = os.environ.get(PROFILE_ENV_VAR, "quick") or "quick"
if _requested not in HYPOTHESIS_PROFILES:
    raise pytest.UsageError(f"{PROFILE_ENV_VAR}: expected one of {', '.join(HYPOTHESIS_PROFILES)}, got {_requested!r}")
settings.load_profile(f"{HYPOTHESIS_PROFILES[_requested]}-tests")


def pytest_report_header(config):
    name = HYPOTHESIS_PROFILES[_requested]
    return f"kmeans-harness Hypothesis profile: {name}-tests ({PROFILE_ENV_VAR}={_requested})"
