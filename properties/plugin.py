"""pytest plugin (entry point ``pytest11``): ``pytest --pyargs properties --kmeans-target SPEC``
runs the suite on a target, one test item per (check, target)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("kmeans-harness")
    group.addoption(
        "--kmeans-target",
        action="append",
        default=[],
        metavar="SPEC",
        help="k-means target to verify: built-in name, package.module:attr or path/to/file.py:attr (repeatable)",
    )
    group.addoption(
        "--kmeans-profile",
        default=None,
        choices=("quick", "default", "thorough"),
        help="Hypothesis profile for the kmeans-harness suite (default: $KMEANS_HARNESS_PROFILE or quick)",
    )


def make_check(name, profile=None):
    """A callable ``check(target)`` that runs one named check and raises on failure
    (:func:`properties.engine.make_check`)."""
    # this plugin is loaded by every pytest session where the package is installed: the suite (numba,
    # Hypothesis profiles) is imported only when a kmeans-harness check is actually asked for
    from properties.engine import make_check as engine_make_check

    return engine_make_check(name, profile)


def _no_target(_):
    pytest.fail(
        "no target to verify: pass --kmeans-target SPEC (a built-in name such as lloyd, "
        "package.module:attr or path/to/file.py:attr; repeatable)",
        pytrace=False,
    )


def pytest_generate_tests(metafunc):
    if "kmeans_target" in metafunc.fixturenames and "kmeans_check" in metafunc.fixturenames:
        from properties.suite import CHECKS  # only when a kmeans-harness check is asked for (see make_check)

        specs = metafunc.config.getoption("--kmeans-target") or []
        if not specs:  # an empty run must never look green: one item that says what is missing
            metafunc.parametrize(("kmeans_target", "kmeans_check"), [(None, _no_target)], ids=["no-target"])
            return
        profile = metafunc.config.getoption("--kmeans-profile")
        pairs = [(spec, make_check(name, profile)) for spec in specs for name in CHECKS]
        ids = [f"{spec}-{name}" for spec in specs for name in CHECKS]
        metafunc.parametrize(("kmeans_target", "kmeans_check"), pairs, ids=ids)


@pytest.fixture
def kmeans_harness_check():
    """The :func:`make_check` factory, for users writing their own parametrisation."""
    return make_check
