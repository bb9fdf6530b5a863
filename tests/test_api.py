"""The public entry points :func:`harness.kmeans` and :func:`harness.lloyd`: inputs left untouched,
dtypes as documented, reproducible, correct on easy data, an honest ``converged`` flag, and every bad
argument rejected with a message that names it.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import harness
from harness import BallMixture, InvalidArgument
from harness.numerics import kernels


def blobs(dtype=np.float64):
    """Two tight groups on a line, far apart: an easy, exactly summable data set."""
    return np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [10.0, 9.0], [11.0, 10.0], [12.0, 9.0]], dtype=dtype)


def assert_same_result(a, b):
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert (a.objective, a.n_iter, a.converged) == (b.objective, b.n_iter, b.converged)
    assert a.centers.dtype == b.centers.dtype


# ----------------------------------------------------------------------------------------------
# the caller's arrays


RUNS = {
    "kmeans k-means++": lambda X, init: harness.kmeans(X, 2, seed=0),
    "kmeans random": lambda X, init: harness.kmeans(X, 2, init="random", seed=0),
    "kmeans init array": lambda X, init: harness.kmeans(X, 2, init=init),
    "lloyd": lambda X, init: harness.lloyd(X, init),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("run", list(RUNS.values()), ids=list(RUNS))
def test_callers_arrays_are_never_modified(run, dtype):
    X = blobs(dtype)
    init = np.array([[0, 1], [1, 0]], dtype=dtype)  # a bad start: both centers in one group
    X_before, init_before = X.copy(), init.copy()
    result = run(X, init)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(init, init_before)
    assert not np.shares_memory(result.centers, X) and not np.shares_memory(result.centers, init)
    result.centers[...] = -1.0  # the result is the caller's to modify, without side effects
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(init, init_before)

    # write-protected inputs are accepted (they are copied, never written) and give the same result
    X_read_only, init_read_only = X_before.copy(), init_before.copy()
    X_read_only.setflags(write=False)
    init_read_only.setflags(write=False)
    assert_same_result(run(X_read_only, init_read_only), run(X_before.copy(), init_before.copy()))


# ----------------------------------------------------------------------------------------------
# dtypes


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int64, np.float64),
        (np.int32, np.float64),
        (np.uint8, np.float64),
        (np.float16, np.float64),
        (bool, np.float64),
    ],
)
def test_result_dtypes(dtype, expected):
    X = blobs(dtype) if dtype is not bool else blobs() > 5
    for result in (
        harness.kmeans(X, 2, seed=1),
        harness.kmeans(X, 2, init=np.array([[0.0, 0.0], [1.0, 1.0]])),  # float64 init, cast to X's dtype
        harness.lloyd(X, np.array([[0, 0], [1, 1]], dtype=np.int64)),
    ):
        assert result.centers.dtype == expected
        assert result.labels.dtype == np.int64 and result.labels.shape == (X.shape[0],)
        assert isinstance(result.objective, float) and isinstance(result.n_iter, int)
        assert isinstance(result.converged, bool)


def test_lists_are_accepted():
    result = harness.kmeans(blobs().tolist(), 2, seed=0)
    assert_same_result(result, harness.kmeans(blobs(), 2, seed=0))


# ----------------------------------------------------------------------------------------------
# reproducibility and correctness


@pytest.mark.parametrize("init", ["k-means++", "greedy-k-means++", "plain-k-means++", "random"])
def test_reproducible_for_a_fixed_seed(init):
    X, _ = BallMixture.with_separation(5, 3, 2.5, seed=4).sample(300, seed=5)
    first = harness.kmeans(X, 5, init=init, seed=123)
    assert_same_result(first, harness.kmeans(X, 5, init=init, seed=123))
    assert_same_result(first, harness.kmeans(X, 5, init=init, seed=np.random.default_rng(123)))
    # the seed is actually used: some other seed starts elsewhere
    starts = {harness.kmeans(X, 5, init=init, seed=s, max_iter=1).centers.tobytes() for s in range(4)}
    assert len(starts) > 1


@pytest.mark.parametrize("seed", range(5))
def test_recovers_well_separated_ball_mixture(seed):
    model = BallMixture.with_separation(4, 3, 8.0, radius=1.0, seed=seed, offset=100.0)
    X, true_labels = model.sample(800, seed=seed + 1000, stratified=True)
    result = harness.kmeans(X, 4, seed=seed)
    assert result.converged
    distances = np.linalg.norm(result.centers[:, None, :] - model.centers[None, :, :], axis=2)
    match = distances.argmin(axis=1)
    assert sorted(match.tolist()) == [0, 1, 2, 3], "one fitted center per true center"
    # with every cell exactly one ball, each center is a mean of points of a ball, so inside that
    # ball (convexity); 1e-9 relative covers the rounding of a mean of 200 points near 100
    assert distances[np.arange(4), match].max() <= model.radius * (1 + 1e-9)
    np.testing.assert_array_equal(match[result.labels], true_labels)


def test_fixed_point_and_objective_are_consistent():
    X, _ = BallMixture.with_separation(3, 2, 3.0, seed=2).sample(200, seed=3)
    result = harness.kmeans(X, 3, seed=0)
    assert result.converged
    labels, min_sqdist = kernels.assign_labels(X, result.centers)
    np.testing.assert_array_equal(result.labels, labels)
    assert result.objective == float(np.sum(min_sqdist))
    again = harness.lloyd(X, result.centers, max_iter=1)  # a fixed point does not move
    np.testing.assert_array_equal(again.centers, result.centers)
    np.testing.assert_array_equal(again.labels, result.labels)
    assert (again.objective, again.n_iter, again.converged) == (result.objective, 1, True)


def test_converged_flag_is_honest():
    X = blobs()
    bad_start = np.array([[0.0, 1.0], [1.0, 0.0]])  # both in the first group
    capped = harness.lloyd(X, bad_start, max_iter=1)
    # the first update pulls center 1 toward the right-hand group, so the second assignment moves
    # points 1 and 2 to center 0: the labels changed, this is not a fixed point
    assert (capped.n_iter, capped.converged) == (1, False)
    capped_kmeans = harness.kmeans(X, 2, init=bad_start, max_iter=1)
    assert (capped_kmeans.n_iter, capped_kmeans.converged) == (1, False)
    full = harness.lloyd(X, bad_start)
    assert full.converged and full.n_iter >= 2
    np.testing.assert_array_equal(full.labels, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(full.centers, [[1.0, 2.0 / 3.0], [11.0, 28.0 / 3.0]])


@pytest.mark.parametrize("init", ["k-means++", "plain-k-means++", "random"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fewer_distinct_points_than_k(init, dtype):
    X = np.ones((10, 2), dtype=dtype)
    result = harness.kmeans(X, 3, init=init, seed=0)
    assert np.all(np.isfinite(result.centers)) and result.centers.dtype == dtype
    np.testing.assert_array_equal(result.centers, np.ones((3, 2)))
    np.testing.assert_array_equal(result.labels, np.zeros(10))  # ties to the lowest index
    assert result.objective == 0.0 and result.converged

    two = np.array([[0.0], [0.0], [0.0], [4.0], [4.0]], dtype=dtype)
    result = harness.kmeans(two, 4, init=init, seed=0)
    assert np.all(np.isfinite(result.centers)) and result.converged and result.objective == 0.0
    assert set(result.centers.ravel().tolist()) == {0.0, 4.0}


def test_k_equals_n():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    result = harness.kmeans(X, 4, seed=0)
    assert result.objective == 0.0 and result.converged
    np.testing.assert_array_equal(np.sort(result.centers, axis=0), np.sort(X, axis=0))


# ----------------------------------------------------------------------------------------------
# bad arguments: one row each; the message must start with the parameter's name

X_OK = blobs()
INIT_OK = np.array([[0.0, 1.0], [10.0, 9.0]])

INVALID = [
    ("X 1-D", lambda: harness.kmeans(np.arange(6.0), 2), "X"),
    ("X empty list", lambda: harness.kmeans([], 1), "X"),
    ("X 3-D", lambda: harness.kmeans(np.zeros((4, 2, 2)), 2), "X"),
    ("X no rows", lambda: harness.kmeans(np.empty((0, 2)), 1), "X"),
    ("X no columns", lambda: harness.kmeans(np.empty((3, 0)), 1), "X"),
    ("X NaN", lambda: harness.kmeans(np.where(X_OK == 10.0, np.nan, X_OK), 2), "X"),
    ("X inf", lambda: harness.kmeans(np.where(X_OK == 10.0, np.inf, X_OK), 2), "X"),
    ("X -inf float32", lambda: harness.kmeans(np.where(X_OK == 10.0, -np.inf, X_OK).astype(np.float32), 2), "X"),
    ("X overflows float64", lambda: harness.kmeans(np.array([[np.longdouble("1e400")], [1]]), 1), "X"),
    ("X strings", lambda: harness.kmeans(np.array([["a", "b"], ["c", "d"]]), 1), "X"),
    ("X a string", lambda: harness.kmeans("abc", 1), "X"),
    ("X object", lambda: harness.kmeans(np.array([[1.0, None], [2.0, 3.0]], dtype=object), 1), "X"),
    ("X numbers as objects", lambda: harness.kmeans(X_OK.astype(object), 1), "X"),
    ("X None", lambda: harness.kmeans(None, 1), "X"),
    ("X complex", lambda: harness.kmeans(X_OK + 1j, 1), "X"),
    ("k=0", lambda: harness.kmeans(X_OK, 0), "k"),
    ("k=-1", lambda: harness.kmeans(X_OK, -1), "k"),
    ("k>n", lambda: harness.kmeans(X_OK, 7), "k"),
    ("k=2.5", lambda: harness.kmeans(X_OK, 2.5), "k"),
    ("k=2.0", lambda: harness.kmeans(X_OK, 2.0), "k"),
    ("k=True", lambda: harness.kmeans(X_OK, True), "k"),
    ("k='2'", lambda: harness.kmeans(X_OK, "2"), "k"),
    ("k=None", lambda: harness.kmeans(X_OK, None), "k"),
    ("init too many rows", lambda: harness.kmeans(X_OK, 2, init=np.zeros((3, 2))), "init"),
    ("init wrong columns", lambda: harness.kmeans(X_OK, 2, init=np.zeros((2, 3))), "init"),
    ("init 1-D", lambda: harness.kmeans(X_OK, 2, init=np.zeros(2)), "init"),
    ("init NaN", lambda: harness.kmeans(X_OK, 2, init=np.array([[0.0, np.nan], [1.0, 1.0]])), "init"),
    ("init unknown string", lambda: harness.kmeans(X_OK, 2, init="kmeans++"), "init"),
    ("init None", lambda: harness.kmeans(X_OK, 2, init=None), "init"),
    ("max_iter=0", lambda: harness.kmeans(X_OK, 2, max_iter=0), "max_iter"),
    ("max_iter=-1", lambda: harness.kmeans(X_OK, 2, max_iter=-1), "max_iter"),
    ("max_iter=2.5", lambda: harness.kmeans(X_OK, 2, max_iter=2.5), "max_iter"),
    ("max_iter=True", lambda: harness.kmeans(X_OK, 2, max_iter=True), "max_iter"),
    ("seed=-1", lambda: harness.kmeans(X_OK, 2, seed=-1), "seed"),
    ("seed=1.5", lambda: harness.kmeans(X_OK, 2, seed=1.5), "seed"),
    ("seed='0'", lambda: harness.kmeans(X_OK, 2, seed="0"), "seed"),
    ("seed=-1 with init array", lambda: harness.kmeans(X_OK, 2, init=INIT_OK, seed=-1), "seed"),
    ("lloyd X 1-D", lambda: harness.lloyd(np.arange(6.0), INIT_OK), "X"),
    ("lloyd X NaN", lambda: harness.lloyd(np.where(X_OK == 10.0, np.nan, X_OK), INIT_OK), "X"),
    ("lloyd centers None", lambda: harness.lloyd(X_OK, None), "centers"),
    ("lloyd centers wrong columns", lambda: harness.lloyd(X_OK, np.zeros((2, 1))), "centers"),
    ("lloyd centers NaN", lambda: harness.lloyd(X_OK, np.array([[np.nan, 0.0]])), "centers"),
    ("lloyd centers empty", lambda: harness.lloyd(X_OK, np.zeros((0, 2))), "centers"),
    ("lloyd more centers than points", lambda: harness.lloyd(X_OK, np.zeros((7, 2))), "centers"),
    ("lloyd max_iter=0", lambda: harness.lloyd(X_OK, INIT_OK, max_iter=0), "max_iter"),
]


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # the longdouble row
@pytest.mark.parametrize(("call", "parameter"), [row[1:] for row in INVALID], ids=[row[0] for row in INVALID])
def test_invalid_arguments_raise_naming_the_parameter(call, parameter):
    with pytest.raises(InvalidArgument, match=rf"^{re.escape(parameter)}\b") as info:
        call()
    assert isinstance(info.value, ValueError)
