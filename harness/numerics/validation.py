"""Input validation at the edge: shapes, dtypes, finiteness, k against n.

Every public function of the harness calls these once before any kernel runs; messages name the
parameter, the value and what was expected.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from harness.errors import InvalidArgument

FLOAT_DTYPES = (np.float32, np.float64)


def check_data(X: object, name: str = "X") -> NDArray[np.floating[Any]]:
    """Return ``X`` as a C-contiguous float32/float64 (n, d) array (float32 stays float32; ints and
    other floats become float64).  Never the caller's array object, so kernels cannot alter it."""
    if isinstance(X, (str, bytes)) or X is None:
        raise InvalidArgument(f"{name}: expected a (n, d) array of numbers, got {type(X).__name__}")
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as exc:  # ragged nested lists, objects numpy cannot convert
        raise InvalidArgument(f"{name}: expected a (n, d) array of numbers, got {type(X).__name__} ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InvalidArgument(f"{name}: expected a numeric (n, d) array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise InvalidArgument(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise InvalidArgument(
            f"{name}: expected a 2-D (n, d) array, got {arr.ndim}-D with shape {arr.shape}"
            + ("; reshape 1-D data with X.reshape(-1, 1)" if arr.ndim == 1 else "")
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InvalidArgument(f"{name}: expected at least one point and one feature, got shape {arr.shape}")
    dtype = arr.dtype if arr.dtype in FLOAT_DTYPES else np.float64
    out = np.array(arr, dtype=dtype, order="C", copy=True)
    if not np.all(np.isfinite(out)):
        bad = np.argwhere(~np.isfinite(out))[0]
        raise InvalidArgument(
            f"{name}: expected finite values, got {out[tuple(bad)]} at row {bad[0]}, column {bad[1]}"
            + (" (after conversion to float64)" if arr.dtype != out.dtype else "")
        )
    return out


def check_k(k: object, n: int, name: str = "k") -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise InvalidArgument(f"{name}: expected an integer number of clusters, got {k!r}")
    if not 1 <= int(k) <= n:
        raise InvalidArgument(f"{name}: expected 1 <= {name} <= n_samples = {n}, got {k}")
    return int(k)


def check_centers(
    centers: object, k_or_none: int | None, dim: int, dtype: DTypeLike, name: str = "init"
) -> NDArray[np.floating[Any]]:
    arr = check_data(centers, name)
    if arr.shape[1] != dim:
        raise InvalidArgument(f"{name}: expected {dim} columns like X, got shape {arr.shape}")
    if k_or_none is not None and arr.shape[0] != k_or_none:
        raise InvalidArgument(f"{name}: expected {k_or_none} rows (one per center, k={k_or_none}), got {arr.shape[0]}")
    return np.ascontiguousarray(arr, dtype=dtype)


def check_max_iter(max_iter: object) -> int:
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise InvalidArgument(f"max_iter: expected an integer >= 1, got {max_iter!r}")
    return int(max_iter)


def check_seed(seed: object) -> int | np.random.Generator | None:
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidArgument(f"seed: expected None, a non-negative integer or a numpy Generator, got {seed!r}")
    return int(seed)
