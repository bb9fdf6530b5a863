"""The accelerated Lloyd (Hamerly's bounds, layouts per shape) against plain Lloyd, iteration by
iteration.

:func:`harness.numerics.kernels.lloyd` keeps a label without computing distances only when its bounds, with
the rounding slack derived in :func:`harness.numerics.kernels._lloyd`, prove that plain Lloyd's computed
nearest center is the same one.  So its trajectory must be plain Lloyd's *bit for bit*: the plain
loop below (the exact assignment kernel, then the update kernel with the same block size) is the
"same init, same iteration" comparison, and the reference in :mod:`harness.numerics.reference` is compared
with at every step up to near-ties within the derived margin.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.config import UPDATE_BLOCK_ROWS
from harness.numerics import kernels, reference
from harness.theory.models import GaussianMixture

UNIT_ROUNDOFF = 2.0**-53


def near_best(X, centers):
    """``(n, k)`` bool: centers within the reference's rounding margin of the nearest one.

    Two correct float64 evaluations of a squared distance over d coordinates differ by at most a
    factor (1 ± γ), γ = (d + 2)u/(1 − (d + 2)u) (see tests/test_kernels.py), so a label is acceptable
    when its reference distance is within (1 + 5γ) of the reference minimum."""
    D = reference.sqdist_ref(X, centers)
    m = X.shape[1] + 2
    gamma = m * UNIT_ROUNDOFF / (1 - m * UNIT_ROUNDOFF)
    return D <= D.min(axis=1, keepdims=True) * (1 + 5 * gamma)


def plain_lloyd_steps(X, centers, steps, block_rows=UPDATE_BLOCK_ROWS):
    """Plain Lloyd with the exact kernels: ``[(centers, labels)]`` after 0, 1, ..., steps updates."""
    current = np.array(centers, dtype=X.dtype, copy=True)
    labels, _ = kernels.assign_labels(X, current)
    out = [(current, labels)]
    for _ in range(steps):
        current, _ = kernels.update_centers(X, labels, current, block_rows=block_rows)
        labels, _ = kernels.assign_labels(X, current)
        out.append((current, labels))
    return out


@st.composite
def overlapping_data(draw):
    """A small overlapping Gaussian mixture (many points near cell boundaries, the hard case for the
    bounds), optionally far from the origin, float64 or float32, and random data rows as init."""
    k = draw(st.integers(2, 24))
    d = draw(st.integers(1, 4))
    n = draw(st.integers(k, 160))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    offset = draw(st.sampled_from([0.0, 1e3, 1e6]))
    seed = draw(st.integers(0, 2**16))
    separation = draw(st.sampled_from([0.5, 1.0, 3.0]))
    mixture = GaussianMixture.with_separation(k, d, separation, seed=seed, offset=offset)
    X, _ = mixture.sample(n, seed=seed + 1)
    X = np.ascontiguousarray(X, dtype=dtype)
    init = X[np.random.default_rng(seed).choice(n, k, replace=False)].copy()
    return X, init


@given(
    case=overlapping_data(),
    steps=st.integers(1, 8),
    block_rows=st.sampled_from([7, UPDATE_BLOCK_ROWS]),
    n_groups=st.one_of(st.none(), st.integers(1, 24)),
    use_gemm=st.booleans(),
    bounds=st.sampled_from([True, False, None]),
    threads=st.sampled_from([None, 1, 2]),
)
def test_every_iteration_equals_plain_lloyd(case, steps, block_rows, n_groups, use_gemm, bounds, threads):
    """Any number of center groups (one: Hamerly's bounds; k: one bound per center, as Elkan's),
    searches screened by matrix products or not, or no bounds at all (the dense path of tiny k·d),
    or whichever :func:`harness.numerics.kernels.use_bounds` picks; on the serial path of small
    problems (``threads=None`` picks it here: n·k·d is far below ``SERIAL_MAX_WORK``), or forced to
    one or two threads."""
    X, init = case
    plain = plain_lloyd_steps(X, init, steps, block_rows)
    for m in range(1, steps + 1):
        stats = {}
        out, labels, min_sqdist, n_iter, converged = kernels.lloyd(
            X,
            init,
            m,
            block_rows,
            stats=stats,
            n_groups=n_groups,
            use_gemm=use_gemm,
            bounds=bounds,
            threads=threads,
        )
        expected_centers, expected_labels = plain[n_iter]
        # the same centers and labels as plain Lloyd after n_iter updates, bit for bit
        np.testing.assert_array_equal(out, expected_centers)
        np.testing.assert_array_equal(labels, expected_labels)
        np.testing.assert_array_equal(min_sqdist, kernels.assign_labels(X, out)[1])
        # and the reference's nearest centers of those centers, up to near-ties within the margin
        assert near_best(X, out)[np.arange(X.shape[0]), labels].all()
        labels_ref, _ = reference.assign_labels_ref(X, out)
        clear = near_best(X, out).sum(axis=1) == 1
        np.testing.assert_array_equal(labels[clear], labels_ref[clear])
        # at most plain Lloyd's n·k distances per assignment, plus one bound-tightening distance
        # per point in each bounded step
        n, k = X.shape[0], init.shape[0]
        assert stats["distances"] <= n * k * (n_iter + 1) + n * n_iter
        if converged:
            assert np.array_equal(plain[n_iter - 1][1], labels)
            break
        assert n_iter == m


def test_center_groups_cover_every_center_and_are_deterministic():
    rng = np.random.default_rng(0)
    C = rng.normal(size=(57, 80))
    g = kernels.center_groups(C)
    assert g.shape == (57,) and g.dtype == np.int64
    assert sorted(set(g.tolist())) == list(range(57 // kernels.CENTERS_PER_GROUP))
    assert not kernels.center_groups(C[:, :3]).any()  # small d·k: one group
    np.testing.assert_array_equal(g, kernels.center_groups(C.copy()))
    assert set(kernels.center_groups(C, 57).tolist()) <= set(range(57))
    assert not kernels.center_groups(C[:9]).any()  # fewer than 2 groups' worth: one group (Hamerly)
    # duplicated centers: still every group non-empty
    g = kernels.center_groups(np.zeros((30, 2)), 3)
    assert sorted(set(g.tolist())) == list(range(g.max() + 1))


def test_groups_save_work_on_many_clusters():
    """With k = 64 on overlapping data, Yinyang's groups compute fewer distances than one group
    (Hamerly), and the result is the same bit for bit."""
    mixture = GaussianMixture.with_separation(64, 4, 1.0, seed=5)
    X, _ = mixture.sample(3000, seed=6)
    init = X[np.random.default_rng(0).choice(3000, 64, replace=False)].copy()
    one, many = {}, {}
    a = kernels.lloyd(X, init, 15, stats=one, n_groups=1)
    b = kernels.lloyd(X, init, 15, stats=many, n_groups=6)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert many["distances"] < 0.8 * one["distances"]


def test_bounds_skip_work_on_separated_data():
    """On well-separated clusters almost every point keeps its label without k distances."""
    mixture = GaussianMixture.with_separation(4, 2, 8.0, seed=3)
    X, _ = mixture.sample(400, seed=4)
    init = mixture.centers + 0.3
    stats = {}
    out, labels, _, n_iter, converged = kernels.lloyd(X, init, 20, stats=stats, bounds=True)
    assert converged
    # the first assignment computes all k distances of every point; later ones mostly none
    assert stats["full_assignments"] - X.shape[0] < 0.5 * X.shape[0] * n_iter
    plain = plain_lloyd_steps(X, init, n_iter)
    np.testing.assert_array_equal(out, plain[-1][0])
    np.testing.assert_array_equal(labels, plain[-1][1])


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 7, 8, 9, 33, 130])
@pytest.mark.parametrize("n_extra", [0, 5, kernels.POINT_TILE + 3])
def test_tiled_distances_agree_with_the_reference(k, n_extra):
    """Distances run four centers at a time over a tile of points (a remainder of 1-3 centers, a
    partial last tile): still plain Lloyd's arithmetic, so on exactly representable data with many
    ties they equal the reference bit for bit, ties to the lowest index included."""
    rng = np.random.default_rng(k)
    X = rng.integers(-8, 8, (k + n_extra + 1, 3)).astype(np.float64) / 4
    centers = X[rng.choice(X.shape[0], k, replace=False)].copy()
    labels, min_sqdist = kernels.assign_labels(X, centers)
    labels_ref, min_sqdist_ref = reference.assign_labels_ref(X, centers)
    np.testing.assert_array_equal(labels, labels_ref)
    np.testing.assert_array_equal(min_sqdist, min_sqdist_ref)


def test_kmeans_plusplus_independent_of_thread_count():
    most = numba.config.NUMBA_NUM_THREADS
    if most < 2:
        pytest.skip("needs at least two numba threads to compare thread counts")
    rng = np.random.default_rng(7)
    X = rng.standard_normal((700, 3)) * np.exp(rng.uniform(-4, 4, (700, 1)))
    previous = numba.get_num_threads()
    out = {}
    try:
        for threads in (1, most):
            numba.set_num_threads(threads)
            out[threads] = kernels.kmeans_plusplus(X, 9, np.random.default_rng(1))
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(out[1][1], out[most][1])


@given(
    seed=st.integers(0, 2**16),
    k=st.integers(2, 12),
    n_groups=st.integers(1, 12),
    steps=st.integers(1, 6),
    use_gemm=st.booleans(),
    bounds=st.booleans(),
)
def test_ties_across_groups_go_to_the_lowest_index_as_in_plain_lloyd(seed, k, n_groups, steps, use_gemm, bounds):
    """Lattice data with exact ties and duplicated initial centers, split over groups in any order:
    the grouped search must pick the lowest index among equal distances, as plain Lloyd does (with
    matrix-product screening, every exact tie falls back to the exact tile; without bounds, the
    dense select keeps the first of equal distances)."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, (60, 2)).astype(np.float64)
    init = X[rng.integers(0, 60, k)].copy()  # duplicates likely
    plain = plain_lloyd_steps(X, init, steps)
    out, labels, _, n_iter, _ = kernels.lloyd(
        X, init, steps, n_groups=min(n_groups, k), use_gemm=use_gemm, bounds=bounds
    )
    np.testing.assert_array_equal(out, plain[n_iter][0])
    np.testing.assert_array_equal(labels, plain[n_iter][1])


@pytest.mark.parametrize("offset", [0.0, 1e4, 1e8])
def test_gemm_screening_at_benchmark_size_equals_plain_lloyd(offset):
    """Above ``GEMM_MIN_WORK`` (the default path of the benchmarks), also far from the origin where
    the expansion ‖x‖² − 2⟨x, c⟩ + ‖c‖² would cancel without the shift: bit for bit plain Lloyd."""
    mixture = GaussianMixture.with_separation(40, 6, 1.0, seed=11, offset=offset)
    X, _ = mixture.sample(12_000, seed=12)
    init = X[np.random.default_rng(1).choice(X.shape[0], 40, replace=False)].copy()
    assert kernels.use_gemm_screening(*X.shape, 40)
    plain = plain_lloyd_steps(X, init, 6)
    out, labels, min_sqdist, n_iter, _ = kernels.lloyd(X, init, 6)
    np.testing.assert_array_equal(out, plain[n_iter][0])
    for threads in (1, 2):  # the serial path, and parallel whatever the size
        again = kernels.lloyd(X, init, 6, threads=threads)
        for a, b in zip(again, (out, labels, min_sqdist, n_iter)):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(labels, plain[n_iter][1])
    np.testing.assert_array_equal(min_sqdist, kernels.assign_labels(X, out)[1])


def test_dense_path_is_chosen_for_tiny_center_work_only():
    """The dense path (no bounds) below ``DENSE_MAX_CENTER_WORK``, except 1-D with many centers;
    its distance count is plain Lloyd's n·k per assignment, and its result the bounded one's."""
    assert not kernels.use_bounds(2, 8) and not kernels.use_bounds(4, 8) and not kernels.use_bounds(1, 16)
    assert kernels.use_bounds(8, 32) and kernels.use_bounds(1, 32) and kernels.use_bounds(64, 256)
    assert kernels.use_bounds(2, 8, True) and not kernels.use_bounds(8, 32, False)
    mixture = GaussianMixture.with_separation(8, 2, 1.0, seed=21)
    X, _ = mixture.sample(5000, seed=22)  # more than one tile and one update block
    init = X[np.random.default_rng(2).choice(X.shape[0], 8, replace=False)].copy()
    dense, bounded = {}, {}
    a = kernels.lloyd(X, init, 25, 1000, stats=dense, bounds=False)
    b = kernels.lloyd(X, init, 25, 1000, stats=bounded, bounds=True)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert dense["distances"] == X.shape[0] * 8 * (a[3] + 1)
    assert bounded["distances"] < dense["distances"]


@pytest.mark.parametrize("bounds", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_no_update_and_one_center_on_both_paths(bounds, dtype):
    """``max_iter = 0``: the starting centers, their plain labels and distances, not converged; k = 1
    (no other center: the half-gap is infinite): every label 0, the mean after one update."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((150, 3)).astype(dtype)
    init = X[:5].copy()
    out, labels, min_sqdist, n_iter, converged = kernels.lloyd(X, init, 0, bounds=bounds)
    np.testing.assert_array_equal(out, init)
    expected_labels, expected_sqdist = kernels.assign_labels(X, init)
    np.testing.assert_array_equal(labels, expected_labels)
    np.testing.assert_array_equal(min_sqdist, expected_sqdist)
    assert (n_iter, converged) == (0, False)
    plain = plain_lloyd_steps(X, X[:1], 1)
    out, labels, _, n_iter, converged = kernels.lloyd(X, X[:1], 10, bounds=bounds)
    assert (n_iter, converged) == (1, True) and not labels.any()  # no label can change
    np.testing.assert_array_equal(out, plain[1][0])


def _subnormal_case(seed):
    """Data at scales 1e-162 to 1e-155 (squared distances subnormal), half of it on a lattice."""
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.uniform(-162, -155)
    n, k, d = rng.integers(20, 200), rng.integers(2, 12), rng.integers(1, 5)
    X = rng.standard_normal((n, d)) * scale
    if rng.random() < 0.5:
        X = np.round(X / scale * 4) * scale / 4
    return X, X[rng.choice(n, k, replace=False)].copy()


@pytest.mark.parametrize("use_gemm", [False, True])
@pytest.mark.parametrize("seed", [295, 297, *range(8)])
def test_bounds_hold_when_squared_distances_underflow(seed, use_gemm):
    """Regression: with subnormal squared distances a product errs absolutely (up to 2^-1075), which
    the bounds' relative slack did not cover; seeds 295 and 297 (and 78 more of 600 such cases)
    left plain Lloyd's trajectory before ``kernels.UNDERFLOW_SLACK``."""
    X, init = _subnormal_case(seed)
    plain = plain_lloyd_steps(X, init, 6)
    out, labels, _, n_iter, _ = kernels.lloyd(X, init, 6, bounds=True, use_gemm=use_gemm)
    np.testing.assert_array_equal(out, plain[n_iter][0])
    np.testing.assert_array_equal(labels, plain[n_iter][1])


def test_small_problems_run_on_one_thread_and_the_setting_is_restored():
    """Below ``SERIAL_MAX_WORK`` a call runs serially (no parallel region waits on a descheduled
    thread); above it, on numba's setting; ``threads`` overrides both; the caller's setting is
    restored afterwards, also when the kernel raises."""
    from harness.numerics.kernels import threads as kernel_threads

    most = numba.get_num_threads()
    assert kernel_threads.threads_for(12_000 * 3 * 4) == 1 == kernel_threads.threads_for(50)
    assert kernel_threads.threads_for(kernels.SERIAL_MAX_WORK) == most
    assert kernel_threads.threads_for(50, threads=2) == min(2, numba.config.NUMBA_NUM_THREADS)
    assert kernel_threads.threads_for(10**9, threads=0) == 1
    with kernel_threads.kernel_threads(50) as used:
        assert used == 1 == numba.get_num_threads()
    assert numba.get_num_threads() == most
    with pytest.raises(RuntimeError):
        with kernel_threads.kernel_threads(50):
            raise RuntimeError("kernel failed")
    assert numba.get_num_threads() == most


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({}, ("passive", None)),  # nothing set: passive
        ({"OMP_WAIT_POLICY": "active"}, ("active", None)),  # the user's policy stands
        ({"GOMP_SPINCOUNT": "10000"}, (None, "10000")),  # a user's spin count: no policy over it
    ],
)
def test_openmp_wait_policy_is_passive_unless_the_user_set_one(user, expected):
    """Importing harness sets OpenMP's wait policy to passive, and never touches it when the user
    set it or a spin count (``GOMP_SPINCOUNT`` overrides the policy's spin in libgomp)."""
    env = {key: value for key, value in os.environ.items() if key not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(user)
    code = "import os, harness; print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(v) for v in expected]
