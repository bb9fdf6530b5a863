"""The property suite any k-means target runs, and its pytest integration.

``CHECKS`` names every check; :func:`parametrize_with_checks` turns a list of targets into one
pytest item per (check, target), like scikit-learn's estimator checks.
"""

from properties.engine import make_check
from properties.suite import CHECKS


def parametrize_with_checks(targets, *, expected_failed_checks=None, profile=None):
    """A ``pytest.mark.parametrize`` over (target, check) pairs.

    Usage::

        from properties import parametrize_with_checks

        @parametrize_with_checks([my_fit, "sklearn"])
        def test_kmeans(target, check):
            check(target)

    ``expected_failed_checks`` maps a check name to the reason it is expected to fail (it must say
    why; an empty reason is refused); those items are strict ``xfail``.  ``profile`` defaults to the
    ``KMEANS_HARNESS_PROFILE`` environment variable, else ``quick``.
    """
    import pytest  # only a pytest user calls this; the suite itself does not need pytest

    expected = dict(expected_failed_checks or {})
    for name, reason in expected.items():
        if name not in CHECKS:
            raise ValueError(f"expected_failed_checks: unknown check {name!r}; expected one of {list(CHECKS)}")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"expected_failed_checks[{name!r}]: give the reason the check is expected to fail")
    params = []
    for t in targets:
        for name in CHECKS:
            marks = [pytest.mark.xfail(strict=True, reason=expected[name])] if name in expected else []
            tid = t if isinstance(t, str) else getattr(t, "__name__", type(t).__name__)
            params.append(pytest.param(t, make_check(name, profile), id=f"{tid}-{name}", marks=marks))
    return pytest.mark.parametrize("target, check", params)


__all__ = ["CHECKS", "parametrize_with_checks"]
