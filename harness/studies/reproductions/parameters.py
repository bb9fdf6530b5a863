"""Checks of the reproductions' keyword parameters, done once at each entry point: each raises
:class:`harness.errors.InvalidArgument` naming the parameter, the value and what was expected.
"""

from __future__ import annotations

import math
import numbers
import os

from harness.errors import InvalidArgument

__all__ = ["check_int", "check_ints", "check_numbers", "check_path", "check_positive"]


def check_int(name: str, value, *, minimum: int, why: str = "") -> int:
    """``value`` as an int, or InvalidArgument unless it is an integer (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidArgument(f"{name}: expected an integer >= {minimum}{why}, got {value!r}")
    return int(value)


def check_ints(name: str, values, *, minimum: int) -> tuple[int, ...]:
    """A non-empty sequence of integers >= ``minimum``, as a tuple."""
    try:
        items = tuple(values)
    except TypeError:
        items = None
    if not items or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum for v in items):
        raise InvalidArgument(f"{name}: expected a non-empty sequence of integers >= {minimum}, got {values!r}")
    return tuple(int(v) for v in items)


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def check_positive(name: str, value, *, minimum: float = 0.0) -> float:
    """``value`` as a float, or InvalidArgument unless it is a finite number > ``minimum``."""
    if not _is_real(value) or value <= minimum:
        raise InvalidArgument(f"{name}: expected a finite number > {minimum:g}, got {value!r}")
    return float(value)


def check_numbers(name: str, values, *, minimum: float = 0.0) -> tuple[float, ...]:
    """A non-empty sequence of finite numbers > ``minimum``, as a tuple of floats."""
    try:
        items = tuple(values)
    except TypeError:
        items = None
    if not items or any(not _is_real(v) or v <= minimum for v in items):
        raise InvalidArgument(f"{name}: expected a non-empty sequence of finite numbers > {minimum:g}, got {values!r}")
    return tuple(float(v) for v in items)


def check_path(name: str, value, *, none_means: str) -> str | None:
    """None (write nothing; ``none_means`` says what that means) or a non-empty path, as a string."""
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise InvalidArgument(f"{name}: expected a non-empty path or None ({none_means}), got {value!r}")
    return os.fspath(value)
