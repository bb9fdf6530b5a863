"""Each numba kernel wrapper in :mod:`harness.numerics.kernels` against its plain-numpy reference.

Inputs come from Hypothesis and include ties, duplicate points, empty clusters, k = 1, k = n, d = 1,
float32 and float64.  Where two correct float64 evaluations may legitimately differ (near-ties),
only the weaker property that both are correct is required; every tolerance is derived below.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from harness.config import JIT_DISABLED
from harness.numerics import kernels, reference
from harness.numerics.kernels import cache as kernel_cache

# ----------------------------------------------------------------------------------------------
# Floating-point error model.
#
# UNIT_ROUNDOFF u = 2^-53 bounds the relative error of one float64 operation.  float32 inputs are
# cast to float64 exactly, so every kernel computes in float64.  Following Higham (Accuracy and
# Stability of Numerical Algorithms, Lemma 3.1 and eq. (4.4)), gamma(m) = m·u / (1 − m·u) bounds
# the accumulated relative error of m such operations, and a sum of m nonnegative terms in *any*
# order (sequential in the kernels, pairwise or einsum's order in numpy) is within gamma(m − 1) of
# the exact sum.

UNIT_ROUNDOFF = 2.0**-53
FLOAT32_EPS = float(np.finfo(np.float32).eps)  # 2^-23, spacing of float32 numbers in [1, 2)


def gamma(m: int) -> float:
    return m * UNIT_ROUNDOFF / (1.0 - m * UNIT_ROUNDOFF)


def sqdist_relative_error(d: int) -> float:
    """Relative error bound of one computed squared distance over ``d`` coordinates.

    Each term: ``diff = fl(x − c) = (x − c)(1 + δ1)``, ``fl(diff·diff) = (x − c)²(1 + δ1)²(1 + δ2)``,
    three roundings; the sum of d nonnegative terms adds at most d − 1 more.  So the computed value
    is ``D·(1 + θ)`` with ``|θ| ≤ gamma(d + 2)``, in whatever order the terms are added.
    """
    return gamma(d + 2)


def fixed_point_scale(*arrays, max_exponent: int = 10, max_scaled: float = 2.0**20):
    """The smallest ``p`` with every value an integer multiple of 2^-p of magnitude ≤ 2^20·2^-p, or None.

    Then, for d ≤ 2^10 columns, every difference is such a multiple ≤ 2^21 (exact), its square a
    multiple of 2^-2p below 2^42 (exact) and a sum of d squares stays below 2^52 (exact in any
    order); likewise any sum of n ≤ 2^32 values is exact.  Scaling by a power of two is exact.
    So kernel and reference must agree *bit for bit* on such inputs, ties included.
    """
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
    for p in range(max_exponent + 1):
        scaled = values * 2.0**p
        if np.all(scaled == np.rint(scaled)):
            return p if np.max(np.abs(scaled), initial=0.0) <= max_scaled else None
    return None


def is_exact(*arrays) -> bool:
    return fixed_point_scale(*arrays) is not None and arrays[0].shape[1] <= 2**10


def nearest_candidates(X, centers):
    """Boolean ``(n, k)``: the centers that some correct float64 evaluation may call nearest.

    Kernel and reference each compute ``D̂_j = D_j (1 + θ_j)``, ``|θ_j| ≤ γ = gamma(d + 2)``.  If the
    kernel picks j_k and the reference j_r, then ``D̂ref(j_k) ≤ ((1 + γ)/(1 − γ))² · D̂ref(j_r)``, and
    ``((1 + γ)/(1 − γ))² < 1 + 5γ`` for γ < 0.01.  So j_k lies in {j : D̂ref(j) ≤ (1 + 5γ)·min D̂ref};
    when that set has one element the labels must be equal.  (This is the ``c·d·u·distance`` margin,
    relative to each point's own best distance.)  On exactly computable inputs (see
    :func:`fixed_point_scale`) the margin is 0: exact ties go to the lowest index in both.
    """
    D = reference.sqdist_ref(X, centers)
    best = D.min(axis=1, keepdims=True)
    if is_exact(X, centers):
        return D == best
    return D <= best * (1.0 + 5.0 * sqdist_relative_error(X.shape[1]))


def unambiguous(X, centers):
    """``(n,)`` bool: the points on whose label every correct evaluation agrees (all of them when the
    distances are computed exactly, as ties then go to the lowest index everywhere)."""
    if is_exact(X, centers):
        return np.ones(X.shape[0], dtype=bool)
    return nearest_candidates(X, centers).sum(axis=1) == 1


def center_tolerance(X) -> float:
    """Largest allowed ``|kernel − reference|`` of one coordinate of a cell mean.

    A cell sum of c ≤ n terms is within gamma(n − 1)·Σ|x| of the exact sum in any order (the kernel
    adds block partial sums in block order, numpy's mean sums pairwise); dividing by c adds u·|mean|.
    Each computed mean is therefore within gamma(n + 1)·max|X| of the exact mean, and the two within
    2·gamma(n + 1)·max|X|.  float32 output: both float64 means are then rounded to float32, which
    can split two close values by one float32 spacing, at most FLOAT32_EPS·|mean| ≤ FLOAT32_EPS·max|X|.
    """
    scale = float(np.max(np.abs(X.astype(np.float64)), initial=0.0))
    tol = 2.0 * gamma(X.shape[0] + 1) * scale
    if X.dtype == np.float32:
        tol += FLOAT32_EPS * scale
    return tol


# ----------------------------------------------------------------------------------------------
# Strategies.  They shrink toward fewer points, fewer clusters, one dimension and small integers.

DTYPES = st.sampled_from([np.float64, np.float32])
ELEMENT_BOUND = {"grid": 8.0, "fixed": 64.0, "float": 1e3}


def elements(kind: str, dtype):
    if kind == "grid":  # small integers: many exact ties and duplicate points
        return st.integers(-8, 8).map(float)
    if kind == "fixed":  # multiples of 1/64: look like real data, yet sums and distances are exact
        return st.integers(-4096, 4096).map(lambda v: v / 64.0)
    # general floats; magnitudes ≥ 2^-20 (or 0) make every nonzero difference a multiple of at least
    # 2^-72 (one float64 spacing at 2^-20), so squares stay far above the float64 underflow
    # threshold 2^-1022, below which the relative error model above would not hold
    width = 32 if dtype == np.float32 else 64
    magnitude = st.floats(min_value=2.0**-20, max_value=ELEMENT_BOUND["float"], width=width)
    return st.just(0.0) | st.builds(lambda m, s: s * m, magnitude, st.sampled_from([1.0, -1.0]))


@st.composite
def data_and_centers(draw, *, kinds=("grid", "fixed", "float"), max_n=40, max_k=8, max_d=5):
    """``(X : (n, d), centers : (k, d))`` of one dtype, with 1 ≤ k ≤ n."""
    dtype = draw(DTYPES)
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    k = draw(st.integers(1, min(n, max_k)) | st.just(n))
    X = draw(arrays(dtype, (n, d), elements=elements(kind, dtype)))
    if n > 1 and draw(st.booleans()):  # resample rows: duplicate points
        X = X[draw(arrays(np.int64, n, elements=st.integers(0, n - 1)))]
    if draw(st.booleans()):  # centers on data points (zero distances, duplicated centers)
        centers = X[draw(arrays(np.int64, k, elements=st.integers(0, n - 1)))]
    else:
        centers = draw(arrays(dtype, (k, d), elements=elements(kind, dtype)))
    if k >= 2 and draw(st.booleans()):  # a point exactly (grid, fixed) or nearly (float) tied
        X[0] = ((centers[0].astype(np.float64) + centers[1]) / 2).astype(dtype)
    if k >= 2 and draw(st.booleans()):
        # a center 16 times farther out than any data value: never nearest, so its cluster is empty
        centers[-1] = 16.0 * ELEMENT_BOUND[kind]
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(centers, dtype=dtype)


@st.composite
def data_labels_centers(draw, **kwargs):
    """``(X, labels, centers)`` with an arbitrary labelling that leaves some clusters empty."""
    X, centers = draw(data_and_centers(**kwargs))
    k = centers.shape[0]
    used = draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=k, unique=True))
    labels = draw(arrays(np.int64, X.shape[0], elements=st.sampled_from(sorted(used))))
    return X, labels, centers


def _case(X, centers, dtype=np.float64):
    return np.array(X, dtype=dtype), np.array(centers, dtype=dtype)


# Hand-picked corners, always run: an exact tie (point 1 is equidistant from both centers, in both
# center orders), k = n, k = 1 with d = 1, float32, duplicated centers.
CORNER_CASES = [
    _case([[0.0], [1.0], [2.0]], [[0.0], [2.0]]),
    _case([[0.0], [1.0], [2.0]], [[2.0], [0.0]]),
    _case([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [3.0, -1.0]], [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [3.0, -1.0]]),
    _case([[5.0], [5.0], [-3.0]], [[1.0]], np.float32),
    _case([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]], np.float32),
]


# ----------------------------------------------------------------------------------------------
# matrix-product screening (the search of kernels.lloyd from GEMM_MIN_WORK on)


@example(case=CORNER_CASES[0])
@example(case=CORNER_CASES[2])
@example(case=CORNER_CASES[4])
@given(case=data_and_centers(max_k=12))
def test_gemm_screening_gives_the_exact_tiles_result(case):
    """Ties, duplicates and far centers included: the screened search returns the exact tile's
    label and distance bit for bit (a near-tie is recomputed exactly), and a lower bound of the
    second distance: the true one is ≥ it, so the exact tile's computed value, within a factor
    (1 ± γ) of the true one, is ≥ it·(1 − γ)."""
    X, centers = case
    j_exact, best_exact, second_exact, _ = kernels.nearest_two(X, centers, screened=False)
    j, best, second, _ = kernels.nearest_two(X, centers, screened=True)
    np.testing.assert_array_equal(j, j_exact)
    np.testing.assert_array_equal(best, best_exact)
    if is_exact(X, centers):  # the computed second distance is the true one: a strict bound
        assert (second <= second_exact).all()
    else:
        g = sqdist_relative_error(X.shape[1])
        assert (second * (1 - g) <= second_exact).all()


def test_gemm_screening_leaves_subnormal_distances_to_the_exact_tile():
    """Found in review: with every coordinate near 2^-538 the squared distances are subnormal, each
    operation errs by up to 2^-1075 absolutely, and the screening error e underflowed to 0.  Plain
    Lloyd computes 16 and 17 (units of 2^-1074) here: label 0; screened it once said 1."""
    s = 2.0**-538
    X = np.array([[-6.0, 1.0, 1.0]]) * s
    centers = np.array([[1.0, 2.0, 5.0], [-1.0, -2.0, -5.0]]) * s
    exact = kernels.nearest_two(X, centers, screened=False)
    screened = kernels.nearest_two(X, centers, screened=True)
    assert exact[0].tolist() == [0]
    np.testing.assert_array_equal(screened[0], exact[0])
    np.testing.assert_array_equal(screened[1], exact[1])
    assert screened[3] == 1  # left to the exact tile


@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_gemm_screening_settles_clear_points_without_the_exact_tile(offset):
    """On ordinary data the screening decides almost every point by itself (the fast path is the one
    exercised), also far from the origin thanks to the shift by the centers' mean; its lower bound
    of the second distance is tight to the screening error e (float32 products: e is about
    1e-6·R², R² a few times the second distance here)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2000, 5)) + offset
    centers = X[rng.choice(2000, 16, replace=False)].copy()
    centers[9] = centers[2]  # a duplicated center: its cell's points tie exactly, all over X
    j_exact, best_exact, second_exact, _ = kernels.nearest_two(X, centers, screened=False)
    j, best, second, n_exact = kernels.nearest_two(X, centers, screened=True)
    np.testing.assert_array_equal(j, j_exact)
    np.testing.assert_array_equal(best, best_exact)
    ties = int(np.sum(j_exact == 2))
    assert ties > 0 and not np.any(j_exact == 9)
    assert ties <= n_exact < ties + 0.01 * X.shape[0]  # the ties, and hardly anything else
    np.testing.assert_allclose(second, second_exact, rtol=1e-4)


@pytest.mark.parametrize("scale", [2.0**-400, 1e-12, 1.0, 1e12, 2.0**400])
def test_gemm_screening_decides_at_any_scale(scale):
    """The float32 products run on coordinates shifted and scaled by a power of two that puts the
    centers' spread near 1: data at 1e±12 or 2^±400 (far outside float32's range) is decided by the
    screening as at 1, with plain Lloyd's labels and distances bit for bit."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((1500, 4)) * scale
    centers = X[rng.choice(1500, 12, replace=False)].copy()
    j_exact, best_exact, second_exact, _ = kernels.nearest_two(X, centers, screened=False)
    j, best, second, n_exact = kernels.nearest_two(X, centers, screened=True)
    np.testing.assert_array_equal(j, j_exact)
    np.testing.assert_array_equal(best, best_exact)
    assert (second * (1 - sqdist_relative_error(X.shape[1])) <= second_exact).all()
    assert n_exact < 0.01 * X.shape[0]


# ----------------------------------------------------------------------------------------------
# assign_labels / objective


def test_ties_go_to_the_lowest_index():
    X, centers = CORNER_CASES[0]
    assert kernels.assign_labels(X, centers)[0].tolist() == [0, 0, 1]
    assert kernels.assign_labels(X, centers[::-1].copy())[0].tolist() == [1, 0, 0]


@example(case=CORNER_CASES[0])
@example(case=CORNER_CASES[1])
@example(case=CORNER_CASES[2])
@example(case=CORNER_CASES[3])
@example(case=CORNER_CASES[4])
@given(case=data_and_centers())
def test_assign_labels_matches_reference(case):
    X, centers = case
    labels, min_sqdist = kernels.assign_labels(X, centers)
    labels_ref, min_sqdist_ref = reference.assign_labels_ref(X, centers)
    assert labels.dtype == np.int64 and labels.shape == (X.shape[0],)
    assert min_sqdist.dtype == np.float64 and min_sqdist.shape == (X.shape[0],)

    candidates = nearest_candidates(X, centers)
    clear = unambiguous(X, centers)
    event(f"near-ties: {'some' if not clear.all() else 'none'}")
    np.testing.assert_array_equal(labels[clear], labels_ref[clear])
    # at a near-tie the kernel may pick another center, but only one of the near-best ones
    assert candidates[np.arange(X.shape[0]), labels].all()
    if is_exact(X, centers):
        np.testing.assert_array_equal(labels, labels_ref)
        np.testing.assert_array_equal(min_sqdist, min_sqdist_ref)
    else:
        # both minima lie within a factor (1 ± γ) of the exact minimum, so they differ by at most
        # 2γ/(1 − γ) relative to the reference; 3γ is a safe round-up
        np.testing.assert_allclose(min_sqdist, min_sqdist_ref, rtol=3 * sqdist_relative_error(X.shape[1]), atol=0)


@given(case=data_and_centers())
def test_objective_matches_reference(case):
    X, centers = case
    n, d = X.shape
    value, value_ref = kernels.objective(X, centers), reference.objective_ref(X, centers)
    assert isinstance(value, float)
    # each of the n minima is within γ(d + 2) of exact (relative) and each float64 sum of n
    # nonnegative terms is within γ(n − 1) of exact, so the two results differ by at most
    # 2·(γ(d + 2) + γ(n − 1)) plus second-order terms; 3·(...) rounds that up safely
    np.testing.assert_allclose(value, value_ref, rtol=3 * (gamma(d + 2) + gamma(n)), atol=0)


# ----------------------------------------------------------------------------------------------
# update_centers


@given(case=data_labels_centers())
def test_update_centers_matches_reference(case):
    X, labels, centers = case
    new, counts = kernels.update_centers(X, labels, centers)
    new_ref, counts_ref = reference.update_centers_ref(X, labels, centers)
    assert new.dtype == X.dtype and new.shape == centers.shape
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts, counts_ref)
    # the documented empty-cluster policy: keep the previous center, bit for bit
    empty = counts == 0
    event(f"empty clusters: {'some' if empty.any() else 'none'}")
    np.testing.assert_array_equal(new[empty], centers[empty])
    if is_exact(X):
        # exact sums, and both divide once in float64 (then round once to X.dtype): identical
        np.testing.assert_array_equal(new, new_ref)
    else:
        np.testing.assert_allclose(new, new_ref, rtol=0, atol=center_tolerance(X))


@given(case=data_labels_centers(max_n=60))
def test_update_centers_block_rows(case):
    """Block size changes only the grouping of the float64 partial sums (not promised bit-identical);
    the same block size is deterministic, and exact sums are identical for every block size."""
    X, labels, centers = case
    results = {b: kernels.update_centers(X, labels, centers, block_rows=b) for b in (1, 7, 4096)}
    again = kernels.update_centers(X, labels, centers, block_rows=7)
    np.testing.assert_array_equal(again[0], results[7][0])
    np.testing.assert_array_equal(again[1], results[7][1])
    for b in (1, 7):
        np.testing.assert_array_equal(results[b][1], results[4096][1])
        if is_exact(X):
            np.testing.assert_array_equal(results[b][0], results[4096][0])
        else:
            np.testing.assert_allclose(results[b][0], results[4096][0], rtol=0, atol=center_tolerance(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("block_rows", [1, 7, 64])
@pytest.mark.parametrize("bounds", [True, False])
def test_results_independent_of_thread_count(dtype, block_rows, bounds):
    """Partial sums are combined in block order, so centers are bit-identical for any thread count
    (with bounds, and on the dense path of tiny k·d)."""
    most = numba.config.NUMBA_NUM_THREADS
    if most < 2:
        pytest.skip("needs at least two numba threads to compare thread counts")
    rng = np.random.default_rng(20240611)
    # scales spread over many binades, so that a different summation order would change low bits
    X = (rng.standard_normal((200, 3)) * np.exp(rng.uniform(-8, 8, (200, 1)))).astype(dtype)
    labels = rng.integers(0, 5, 200)
    centers = rng.standard_normal((6, 3)).astype(dtype)  # cluster 5 is empty
    previous = numba.get_num_threads()
    outputs = {}
    try:
        for threads in (1, most):
            numba.set_num_threads(threads)
            outputs[threads] = (
                kernels.update_centers(X, labels, centers, block_rows=block_rows),
                kernels.lloyd(X, centers, 50, block_rows, bounds=bounds),
            )
    finally:
        numba.set_num_threads(previous)
    (one_update, one_lloyd), (many_update, many_lloyd) = outputs[1], outputs[most]
    np.testing.assert_array_equal(one_update[0], many_update[0])
    np.testing.assert_array_equal(one_update[1], many_update[1])
    for a, b in zip(one_lloyd, many_lloyd):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------------------------
# lloyd


def _reference_trajectory_is_unambiguous(X, centers, n_assignments):
    """Replay :func:`reference.lloyd_ref` and say whether every assignment it made is free of
    near-ties (see :func:`nearest_candidates`).  Then the kernel must follow the same trajectory:
    identical labels give identical cell means on exactly summable data."""
    current = np.array(centers, dtype=X.dtype, copy=True)
    for step in range(n_assignments):
        if not unambiguous(X, current).all():
            return False
        if step + 1 < n_assignments:
            labels, _ = reference.assign_labels_ref(X, current)
            current, _ = reference.update_centers_ref(X, labels, current)
    return True


@example(case=CORNER_CASES[2], max_iter=5, bounds=True, threads=None)
@example(case=CORNER_CASES[3], max_iter=5, bounds=False, threads=1)
@given(
    case=data_and_centers(kinds=("grid", "fixed")),
    max_iter=st.integers(1, 20),
    bounds=st.sampled_from([None, True, False]),
    threads=st.sampled_from([None, 1, 2]),
)
def test_lloyd_matches_reference(case, max_iter, bounds, threads):
    # integer or 1/64-grid data: cell sums are exact, so centers are bit-identical whenever labels are
    # (with bounds or without: the strategy's k·d are small, where None picks the dense path; and
    # on one thread, the serial path of small problems, or on two)
    X, centers = case
    assert is_exact(X), "the strategy must give exactly summable data for this comparison"
    out, labels, min_sqdist, n_iter, converged = kernels.lloyd(X, centers, max_iter, bounds=bounds, threads=threads)
    centers_ref, labels_ref, n_iter_ref, converged_ref = reference.lloyd_ref(X, centers, max_iter)
    # lloyd_ref assigns once per update plus once at the start
    if not _reference_trajectory_is_unambiguous(X, centers, n_iter_ref + 1):
        event("lloyd: near-tie on the reference trajectory; only the invariants are compared")
        _check_lloyd_invariants(X, centers, max_iter, out, labels, min_sqdist, n_iter, converged, bounds)
        return
    event("lloyd: trajectories compared exactly")
    assert (n_iter, converged) == (n_iter_ref, converged_ref)
    np.testing.assert_array_equal(labels, labels_ref)
    assert out.dtype == X.dtype
    np.testing.assert_array_equal(out, centers_ref)
    _, min_sqdist_ref = reference.assign_labels_ref(X, centers_ref)
    np.testing.assert_allclose(min_sqdist, min_sqdist_ref, rtol=3 * sqdist_relative_error(X.shape[1]), atol=0)


def test_the_form_compiled_for_the_shape_is_chosen_for_many_rows_and_tiny_center_work():
    big = kernels.DENSE_FIXED_MIN_ROWS
    assert kernels.use_fixed_shape(big, 2, 8) and kernels.use_fixed_shape(big, 1, 31)
    assert not kernels.use_fixed_shape(big - 1, 2, 8)  # verify's cases: the generic form, no compile
    assert not kernels.use_fixed_shape(big, 8, 32)  # bounds=False forced at k·d = 256: not unrolled
    assert kernels.use_fixed_shape(10, 2, 8, True) and not kernels.use_fixed_shape(big, 2, 8, False)


@pytest.mark.parametrize(
    ("k", "d", "dtype"), [(8, 2, np.float64), (1, 3, np.float32), (32, 1, np.float64), (4, 8, np.float64)]
)
def test_dense_form_for_the_shape_is_the_generic_form_bit_for_bit(k, d, dtype):
    """The dense iteration compiled for this (k, d) (``fixed_shape=True``; by default from
    ``DENSE_FIXED_MIN_ROWS`` rows) returns the generic form's centers, labels, distances, count and
    stopping state exactly, on one thread and on two; on exactly summable data with no near-tie on
    the way, both follow the reference's trajectory."""
    rng = np.random.default_rng(100 * k + d)
    n = 20 * kernels.DENSE_TILE + 17  # a ragged last tile; with 500-row update blocks, a ragged last block
    X = (rng.integers(-4000, 4001, size=(n, d)) / 64.0).astype(dtype)  # 1/64 grid: exact cell sums
    init = X[rng.choice(n, k, replace=False)].copy()
    generic = kernels.lloyd(X, init, 12, 500, bounds=False, fixed_shape=False)
    for threads in (1, 2):
        fixed = kernels.lloyd(X, init, 12, 500, bounds=False, fixed_shape=True, threads=threads)
        for a, b in zip(fixed, generic):
            np.testing.assert_array_equal(a, b)
    out, labels, _, n_iter, converged = generic
    centers_ref, labels_ref, n_iter_ref, converged_ref = reference.lloyd_ref(X, init, 12)
    assert _reference_trajectory_is_unambiguous(X, init, n_iter_ref + 1), "pick data without near-ties"
    assert (n_iter, converged) == (n_iter_ref, converged_ref)
    np.testing.assert_array_equal(labels, labels_ref)
    np.testing.assert_array_equal(out, centers_ref)


def _check_lloyd_invariants(X, centers, max_iter, out, labels, min_sqdist, n_iter, converged, bounds=None):
    assert out.dtype == X.dtype and out.shape == centers.shape
    assert 1 <= n_iter <= max_iter
    assert converged or n_iter == max_iter
    # on return the labels are the nearest centers of the returned centers, exactly as
    # assign_labels computes them (same kernel, same inputs) ...
    again_labels, again_sqdist = kernels.assign_labels(X, out)
    np.testing.assert_array_equal(labels, again_labels)
    np.testing.assert_array_equal(min_sqdist, again_sqdist)
    # ... and as the reference does, up to near-ties
    candidates = nearest_candidates(X, out)
    assert candidates[np.arange(X.shape[0]), labels].all()
    if converged:
        # Lemma 2 fixed point: every center is its cell's mean exactly as update_centers computes it
        # (the last update used these very labels); an empty cell keeps its center trivially
        new, counts = kernels.update_centers(X, labels, out)
        np.testing.assert_array_equal(new, out)
        new_ref, counts_ref = reference.update_centers_ref(X, labels, out)
        np.testing.assert_array_equal(counts, counts_ref)
        np.testing.assert_allclose(out, new_ref, rtol=0, atol=center_tolerance(X))
        # restarting from a fixed point converges after one update without moving
        restart = kernels.lloyd(X, out, 1, bounds=bounds)
        np.testing.assert_array_equal(restart[0], out)
        np.testing.assert_array_equal(restart[1], labels)
        assert restart[3:] == (1, True)


@example(case=CORNER_CASES[0], max_iter=1, bounds=True)
@example(case=CORNER_CASES[4], max_iter=3, bounds=True)
@given(case=data_and_centers(), max_iter=st.integers(1, 30), bounds=st.sampled_from([None, True, False]))
def test_lloyd_invariants(case, max_iter, bounds):
    X, centers = case
    out, labels, min_sqdist, n_iter, converged = kernels.lloyd(X, centers, max_iter, bounds=bounds)
    event(f"lloyd converged: {converged}")
    _check_lloyd_invariants(X, centers, max_iter, out, labels, min_sqdist, n_iter, converged, bounds)


def test_lloyd_not_converged_when_capped():
    # from a bad start the first update moves points between cells, so one update cannot converge
    X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
    out, labels, _, n_iter, converged = kernels.lloyd(X, X[:2].copy(), 1)
    assert (n_iter, converged) == (1, False)
    out, labels, _, n_iter, converged = kernels.lloyd(X, X[:2].copy(), 100)
    assert converged and n_iter >= 2
    np.testing.assert_array_equal(out, [[1.0], [11.0]])
    np.testing.assert_array_equal(labels, [0, 0, 0, 1, 1, 1])


# ----------------------------------------------------------------------------------------------
# kmeans_plusplus

# Same Generator seed, same random numbers: the indices must agree exactly.  On exactly computable
# data (any d) every distance is exact; for general floats the kernel adds d squares in order while
# numpy's row sums may group them differently once d ≥ 3, so general floats are limited to d ≤ 2
# where both orders coincide.  (Potentials and cumulative sums are per-64-row block sums in both.)
SEEDING_CASES = data_and_centers(kinds=("grid", "fixed"), max_d=6) | data_and_centers(kinds=("float",), max_d=2)


@given(
    n=st.integers(65, 700),
    d=st.integers(1, 2),
    k=st.integers(2, 12),
    duplicates=st.booleans(),
    greedy=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_kmeans_plusplus_matches_reference_across_blocks(n, d, k, duplicates, greedy, seed):
    """Several 64-row blocks and a partial last one: the two-level D² sampling (block, then row)
    and the blocked potentials give the reference's indices (general floats in d ≤ 2, where the
    distance sums of kernel and reference coincide; duplicated rows give zero-weight points)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.exp(rng.uniform(-3, 3, (n, 1)))
    if duplicates:
        X = X[rng.integers(0, max(1, n // 8), n)]
    indices = kernels.kmeans_plusplus(X, k, np.random.default_rng(seed + 1), greedy=greedy)[1]
    indices_ref = reference.kmeans_plusplus_ref(X, k, np.random.default_rng(seed + 1), greedy=greedy)[1]
    np.testing.assert_array_equal(indices, indices_ref)
    if duplicates:  # never a point that coincides with a chosen one while another is left
        assert len(np.unique(X[indices], axis=0)) == min(k, len(np.unique(X, axis=0)))


def test_d2_sampling_never_draws_a_zero_weight_row():
    """Found in review: when rounding kept every running sum of the chosen block at or below u·total,
    the draw fell on the block's last row, which can weigh 0.  The running sum now reproduces the
    block's cumulative sum exactly, and the fallback (u·total rounded up to the total) is the last
    positive row; kernel and reference agree."""
    closest = np.array([1.0] * 64 + [1e-15] * 10 + [0.0] * 54)
    cumulative = np.cumsum(reference._block_sums_ref(closest))
    for u in (0.9999999999999998, 1.0 - 2.0**-53, 0.0, 0.5, 64.0 / (64 + 1e-14)):
        idx = kernels._d2_sample(closest, cumulative, u, len(closest))
        assert closest[idx] > 0, (u, idx)
        assert idx == reference._d2_sample_ref(closest, cumulative, u)


@example(case=CORNER_CASES[2], greedy=True, seed=0)
@example(case=CORNER_CASES[3], greedy=False, seed=0)
@given(case=SEEDING_CASES, greedy=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_kmeans_plusplus_matches_reference(case, greedy, seed):
    X, centers = case
    k = centers.shape[0]
    chosen, indices = kernels.kmeans_plusplus(X, k, np.random.default_rng(seed), greedy=greedy)
    chosen_ref, indices_ref = reference.kmeans_plusplus_ref(X, k, np.random.default_rng(seed), greedy=greedy)
    assert indices.dtype == np.int64 and chosen.dtype == X.dtype
    np.testing.assert_array_equal(indices, indices_ref)
    np.testing.assert_array_equal(chosen, chosen_ref)
    np.testing.assert_array_equal(chosen, X[indices])
    # D² sampling never picks a point that already coincides with a chosen center while another
    # point is left, so the centers are distinct up to the number of distinct points
    distinct_points = len(np.unique(X, axis=0))
    assert len(np.unique(chosen, axis=0)) == min(k, distinct_points)


def test_kmeans_plusplus_draws_per_step():
    # greedy: 2 + floor(ln k) candidates per step (as scikit-learn); plain: one.  The next draw from
    # the generator tells how many numbers were consumed
    X = np.arange(40.0).reshape(20, 2)
    for greedy, n_trials in ((True, 2 + int(math.log(5))), (False, 1)):
        rng, expected = np.random.default_rng(3), np.random.default_rng(3)
        kernels.kmeans_plusplus(X, 5, rng, greedy=greedy)
        expected.integers(20)
        expected.random((4, n_trials))
        assert rng.random() == expected.random(), f"greedy={greedy}: expected {n_trials} draws per step"


# ----------------------------------------------------------------------------------------------
# the compile notice's cache probe


def test_cache_probe_names_each_driver_after_the_file_that_defines_it():
    """numba names a cache index after the defining file's stem: the probe must follow the split."""
    assert kernel_cache.cache_index_name(kernels._lloyd) == "lloyd._lloyd-*.nbi"
    assert kernel_cache.cache_index_name(kernels._lloyd_dense) == "dense._lloyd_dense-*.nbi"


@pytest.mark.skipif(JIT_DISABLED, reason="without the JIT nothing is compiled or cached")
def test_cache_probe_is_cold_in_an_empty_cache_and_warm_after_a_fit(tmp_path):
    """In a fresh NUMBA_CACHE_DIR the probe says cold (the CLI prints "first run: numba is compiling");
    after one fit, in a new process, warm; the index it found is the new file's."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    env.pop("NUMBA_DISABLE_JIT", None)
    probe = "from harness.numerics import kernels; print(kernels.cache_is_warm())"
    fit = (
        "import numpy as np; from harness.numerics import kernels; "
        "kernels.lloyd(np.arange(8.0).reshape(4, 2), np.zeros((2, 2)), 3)"
    )

    def run(code):
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert run(probe).stdout.strip() == "False"
    run(fit)  # k·d = 4: the dense driver
    assert run(probe).stdout.strip() == "True"
    assert list(tmp_path.glob("**/dense._lloyd_dense-*.nbi"))
    assert not list(tmp_path.glob("**/kernels._lloyd*.nbi"))  # the name before the split


@pytest.mark.skipif(JIT_DISABLED, reason="no numba cache without the JIT")
def test_every_kernel_cache_is_stamped_with_the_whole_kernel_package(tmp_path):
    """numba stamps a cached function with its own file only, but a kernel's machine code holds the
    kernels it calls from other modules and the constants it reads: every kernel's cache carries one
    stamp over all the kernel modules and harness.config, so an edit anywhere invalidates them all
    (no test or benchmark runs a stale kernel after a kernel edit)."""
    from harness.numerics.kernels import stamp

    for kernel in (kernels._lloyd, kernels._assign_grouped, kernels._nearest_two_rows_gemm, kernels._lloyd_dense):
        locator = kernel._cache._impl.locator
        assert isinstance(locator, (stamp.KernelCacheDirLocator, stamp.KernelInTreeLocator))
        assert locator.get_source_stamp() == stamp.package_stamp()
    assert any(path.endswith("screening.py") for path in stamp.stamp_files())
    assert any(path.endswith(os.path.join("harness", "config.py")) for path in stamp.stamp_files())
    files = [tmp_path / "bounds.py", tmp_path / "screening.py"]
    for f in files:
        f.write_text("x = 1\n")
    before = stamp.package_stamp([str(f) for f in files])
    files[1].write_text("x = 22\n")  # only the callee's module changes
    assert stamp.package_stamp([str(f) for f in files]) != before
