"""The generative models of :mod:`harness.theory.models`: exact, reproducible sampling with the right
distribution, separations as requested, bad parameters rejected by name, records that round-trip.

Statistical checks use a fixed seed, so each is deterministic; the thresholds say how unlikely a
failure would be for a correct sampler and a random seed.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import pdist

from harness import BallMixture, GaussianMixture, InvalidArgument
from harness.theory.models import mixture_from_record

UNIT_ROUNDOFF = 2.0**-53

# KS and Monte Carlo checks: 20000 draws.  p > 1e-3 means a correct sampler fails for one seed in a
# thousand; the seeds below are fixed, so the outcome never changes between runs.  With n = 20000 the
# KS critical distance at that level is about 1.95/sqrt(n) ≈ 0.014: a CDF error larger than 1.4 %
# fails.  A mean is accepted within 5 standard errors (two-sided probability 6e-7 for a correct
# sampler, by the central limit theorem with the SE estimated from the same sample).
N_STATISTICAL = 20000
KS_P_MIN = 1e-3
MC_STANDARD_ERRORS = 5.0


def ball(d: int, k: int = 3, radius: float = 2.5) -> BallMixture:
    return BallMixture.with_separation(k, d, 6.0, radius=radius, seed=11, offset=1.0)


def gaussian(d: int, k: int = 3, sigma: float = 0.7) -> GaussianMixture:
    return GaussianMixture.with_separation(k, d, 3.0, sigma=sigma, seed=11, offset=-2.0)


def offsets_from_centers(model, X, labels):
    return X - model.centers[labels]


# ----------------------------------------------------------------------------------------------
# reproducibility and stratification


@pytest.mark.parametrize("model", [ball(3), gaussian(3)], ids=["ball", "gaussian"])
@pytest.mark.parametrize("stratified", [False, True])
def test_same_seed_same_sample(model, stratified):
    X1, y1 = model.sample(500, seed=7, stratified=stratified)
    X2, y2 = model.sample(500, seed=7, stratified=stratified)
    X3, _ = model.sample(500, seed=np.random.default_rng(7), stratified=stratified)
    assert X1.shape == (500, 3) and X1.dtype == np.float64 and y1.dtype == np.int64
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(X1, X3)
    other, _ = model.sample(500, seed=8, stratified=stratified)
    assert not np.array_equal(X1, other), "the seed must matter"


@given(k=st.integers(1, 8), n=st.integers(0, 200), seed=st.integers(0, 2**32 - 1))
def test_stratified_counts(k, n, seed):
    model = BallMixture.with_separation(k, 2, 4.0)
    X, labels = model.sample(n, seed=seed, stratified=True)
    assert X.shape == (n, 2) and labels.shape == (n,)
    counts = np.bincount(labels, minlength=k)
    assert len(counts) == k
    assert set(counts.tolist()) <= {n // k, -(-n // k)}
    # documented: the first n mod k components get the extra point
    expected = np.full(k, n // k)
    expected[: n % k] += 1
    np.testing.assert_array_equal(counts, expected)


# ----------------------------------------------------------------------------------------------
# the ball model


@given(
    k=st.integers(1, 5),
    d=st.integers(1, 6),
    radius=st.floats(1e-3, 1e3),
    seed=st.integers(0, 2**32 - 1),
)
def test_ball_samples_lie_in_their_ball(k, d, radius, seed):
    model = BallMixture.with_separation(k, d, 3.0, radius=radius, seed=seed)
    X, labels = model.sample(300, seed=seed)
    norms = np.linalg.norm(offsets_from_centers(model, X, labels), axis=1)
    # the unit direction has norm 1 within (d + 3)u and x − c re-rounds each coordinate once (≤ u·|x|,
    # and |x| ≤ |c| + r ≤ (3k + 1)·r here): far below the 1e-12 relative allowance for d, k this small
    assert norms.max() <= radius * (1 + 1e-12), (norms.max(), radius)


@pytest.mark.parametrize("d", [1, 2, 5])
def test_ball_radial_distribution_is_uniform_in_volume(d):
    # uniform in the d-ball  <=>  P(|x − c| <= ρ r) = ρ^d  <=>  (|x − c| / r)^d ~ U(0, 1)
    model = ball(d)
    X, labels = model.sample(N_STATISTICAL, seed=2024)
    rho = np.linalg.norm(offsets_from_centers(model, X, labels), axis=1) / model.radius
    result = stats.kstest(rho**d, "uniform")
    assert result.pvalue > KS_P_MIN, (d, result)
    if d > 1:
        # the same test rejects the classic bug (radius uniform instead of radius^d): it has power
        assert stats.kstest(rho, "uniform").pvalue < KS_P_MIN


def test_ball_direction_is_uniform_in_the_plane():
    model = ball(2)
    X, labels = model.sample(N_STATISTICAL, seed=99)
    v = offsets_from_centers(model, X, labels)
    angle = np.arctan2(v[:, 1], v[:, 0])
    result = stats.kstest(angle, stats.uniform(loc=-np.pi, scale=2 * np.pi).cdf)
    assert result.pvalue > KS_P_MIN, result


def _mean_within_standard_errors(values, expected):
    mean = values.mean()
    standard_error = values.std(ddof=1) / math.sqrt(len(values))
    assert abs(mean - expected) <= MC_STANDARD_ERRORS * standard_error, (mean, expected, standard_error)


@pytest.mark.parametrize("d", [1, 2, 5])
def test_ball_mean_squared_radius(d):
    model = ball(d, radius=1.7)
    expected = 1.7**2 * d / (d + 2)  # E|x − c|² = r² d/(d + 2) for x uniform in the d-ball
    assert model.within_cluster_variance == pytest.approx(expected, rel=1e-15)
    X, labels = model.sample(N_STATISTICAL, seed=31)
    squared = np.sum(offsets_from_centers(model, X, labels) ** 2, axis=1)
    _mean_within_standard_errors(squared, expected)


@pytest.mark.parametrize("d", [1, 2, 5])
def test_gaussian_mean_squared_distance(d):
    model = gaussian(d, sigma=0.7)
    expected = 0.7**2 * d  # E|x − c|² = σ² d for x ~ N(c, σ² I_d)
    assert model.within_cluster_variance == pytest.approx(expected, rel=1e-15)
    X, labels = model.sample(N_STATISTICAL, seed=31)
    squared = np.sum(offsets_from_centers(model, X, labels) ** 2, axis=1)
    _mean_within_standard_errors(squared, expected)
    # each coordinate is N(0, σ²), not just the total: KS on the standardised coordinates
    z = offsets_from_centers(model, X, labels).ravel() / 0.7
    assert stats.kstest(z, "norm").pvalue > KS_P_MIN


# ----------------------------------------------------------------------------------------------
# separations (Section 2.3)

# The constructor places centers exactly up to rounding: a rotation (orthogonal to ~d·u), a scale
# and at most one moved center; 1e-9 relative leaves a margin of about 10^6 over that rounding.
SEPARATION_REL = 1e-9


@st.composite
def separation_requests(draw, *, min_k=1):
    k = draw(st.integers(min_k, 10))
    d = draw(st.integers(1, 6))
    eta = draw(st.floats(2.001, 50.0))
    seed = draw(st.integers(0, 2**32 - 1))
    extra = draw(st.none() | st.floats(0.0, 5.0))  # None: no spread requested
    return k, d, eta, seed, extra


def _build(cls, k, d, eta, seed, extra, scale):
    keyword = "radius" if cls is BallMixture else "sigma"
    spread = None
    if extra is not None:
        # the smallest spread the lattice constructor reaches, then a requested spread at or above it
        spread = cls.with_separation(k, d, eta, seed=seed, **{keyword: scale}).separation_ratio_spread * (1 + extra)
    model = cls.with_separation(k, d, eta, separation_ratio_spread=spread, seed=seed, **{keyword: scale})
    return model, spread


@pytest.mark.parametrize("cls", [BallMixture, GaussianMixture])
@given(request=separation_requests(min_k=3), scale=st.floats(0.01, 100.0))
def test_with_separation_is_exact(cls, request, scale):
    k, d, eta, seed, extra = request
    if cls is GaussianMixture:
        eta = eta / 2  # Gaussian mixtures may overlap: ask for η below 2 as well
    model, spread = _build(cls, k, d, eta, seed, extra, scale)
    assert model.k == k and model.dim == d
    assert model.separation_ratio_min == pytest.approx(eta, rel=SEPARATION_REL)
    if spread is not None:
        assert model.separation_ratio_spread == pytest.approx(spread, rel=SEPARATION_REL)
        assert model.separation_ratio_max / model.separation_ratio_min == pytest.approx(spread, rel=SEPARATION_REL)
    # recomputed from scratch, not through the model's own properties
    distances = pdist(model.centers)
    model_scale = scale if cls is BallMixture else scale * math.sqrt(min(2 * k, d))
    assert distances.min() / model_scale == pytest.approx(eta, rel=SEPARATION_REL)


@pytest.mark.parametrize("extra", [None, 0.0])
def test_with_separation_two_clusters_without_spread(extra):
    model, spread = _build(BallMixture, 2, 3, 5.0, 0, extra, 1.0)
    assert model.separation_ratio_min == pytest.approx(5.0, rel=SEPARATION_REL)
    assert model.separation_ratio_spread == pytest.approx(1.0, rel=SEPARATION_REL)


@pytest.mark.parametrize("cls", [BallMixture, GaussianMixture])
def test_with_separation_two_clusters_rejects_or_honours_spread(cls):
    # with two centers η_max = η_min, so any spread other than 1 cannot be honoured
    try:
        model = cls.with_separation(2, 3, 5.0, separation_ratio_spread=3.0)
    except InvalidArgument as exc:
        assert str(exc).startswith("separation_ratio_spread:")
        return
    assert model.separation_ratio_min == pytest.approx(5.0, rel=SEPARATION_REL)
    assert model.separation_ratio_spread == pytest.approx(3.0, rel=SEPARATION_REL)


def test_with_separation_single_cluster():
    model = BallMixture.with_separation(1, 4, 5.0, offset=[1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(model.centers, [[1.0, 2.0, 3.0, 4.0]])
    assert model.separation_ratio_min == math.inf and model.separation_ratio_spread == 1.0


@pytest.mark.parametrize(("k", "d", "scale_dims"), [(2, 10, 4), (3, 2, 2), (4, 8, 8), (1, 3, 2)])
def test_gaussian_separation_ratio_divides_by_sigma_sqrt_min_2k_d(k, d, scale_dims):
    assert scale_dims == min(2 * k, d)
    rng = np.random.default_rng(k * 100 + d)
    centers = rng.standard_normal((k, d)) * 10
    model = GaussianMixture(centers, sigma=0.3)
    if k == 1:
        assert model.separation_ratio_min == math.inf
        return
    distances = pdist(centers)
    assert model.separation_ratio_min == pytest.approx(distances.min() / (0.3 * math.sqrt(scale_dims)), rel=1e-12)
    assert model.separation_ratio_max == pytest.approx(distances.max() / (0.3 * math.sqrt(scale_dims)), rel=1e-12)
    # the ball model divides by the radius alone
    separated = BallMixture(centers, radius=distances.min() / 3)
    assert separated.separation_ratio_min == pytest.approx(3.0, rel=1e-12)


# ----------------------------------------------------------------------------------------------
# bad parameters: one row each, the message must start with the parameter's name

_any_ball = BallMixture([[0.0, 0.0], [5.0, 0.0]], radius=1.0)

INVALID = [
    ("k=0", lambda: BallMixture.with_separation(0, 2, 5.0), "k"),
    ("k=2.5", lambda: GaussianMixture.with_separation(2.5, 2, 5.0), "k"),
    ("dim=0", lambda: BallMixture.with_separation(3, 0, 5.0), "dim"),
    ("radius=0", lambda: BallMixture([[0.0]], radius=0), "radius"),
    ("radius=-1", lambda: BallMixture([[0.0]], radius=-1), "radius"),
    ("radius=nan", lambda: BallMixture([[0.0]], radius=float("nan")), "radius"),
    ("radius=inf", lambda: BallMixture([[0.0]], radius=float("inf")), "radius"),
    ("radius='big'", lambda: BallMixture([[0.0]], radius="big"), "radius"),
    ("with_separation radius=0", lambda: BallMixture.with_separation(3, 2, 5.0, radius=0.0), "radius"),
    ("overlapping balls", lambda: BallMixture([[0.0], [1.5]], radius=1.0), "radius"),
    ("touching balls", lambda: BallMixture([[0.0], [2.0]], radius=1.0), "radius"),
    ("centers 1-D", lambda: BallMixture([0.0, 5.0], radius=1.0), "centers"),
    ("centers 3-D", lambda: GaussianMixture(np.zeros((2, 2, 2))), "centers"),
    ("centers empty", lambda: GaussianMixture(np.zeros((0, 2))), "centers"),
    ("centers with NaN", lambda: GaussianMixture([[0.0, float("nan")]]), "centers"),
    ("centers with inf", lambda: BallMixture([[0.0, float("inf")]]), "centers"),
    ("centers strings", lambda: BallMixture([["a", "b"]]), "centers"),
    ("sigma=0", lambda: GaussianMixture([[0.0]], sigma=0), "sigma"),
    ("sigma=-1", lambda: GaussianMixture.with_separation(2, 2, 1.0, sigma=-1.0), "sigma"),
    (
        "spread<1",
        lambda: BallMixture.with_separation(3, 2, 5.0, separation_ratio_spread=0.5),
        "separation_ratio_spread",
    ),
    (
        "spread below the lattice's",  # 5 centers on a line: Δmax/Δmin is at least 4
        lambda: BallMixture.with_separation(5, 1, 5.0, separation_ratio_spread=2.0),
        "separation_ratio_spread",
    ),
    (
        "spread≠1 with two clusters",  # one distance only: η_max = η_min
        lambda: GaussianMixture.with_separation(2, 3, 5.0, separation_ratio_spread=3.0),
        "separation_ratio_spread",
    ),
    ("separation_ratio_min=2 (ball)", lambda: BallMixture.with_separation(3, 2, 2.0), "separation_ratio_min"),
    ("separation_ratio_min=1 (ball)", lambda: BallMixture.with_separation(3, 2, 1.0), "separation_ratio_min"),
    ("separation_ratio_min=0", lambda: GaussianMixture.with_separation(3, 2, 0.0), "separation_ratio_min"),
    ("n=-1", lambda: _any_ball.sample(-1), "n"),
    ("n=2.5", lambda: _any_ball.sample(2.5), "n"),
    ("n=True", lambda: _any_ball.sample(True), "n"),
    ("record model unknown", lambda: mixture_from_record({"model": "blob"}), "model"),
]


@pytest.mark.parametrize(("call", "parameter"), [row[1:] for row in INVALID], ids=[row[0] for row in INVALID])
def test_invalid_parameters_raise_naming_the_parameter(call, parameter):
    with pytest.raises(InvalidArgument, match=rf"^{re.escape(parameter)}:") as info:
        call()
    assert isinstance(info.value, ValueError)


def test_mixture_does_not_alias_callers_centers():
    centers = np.array([[0.0, 0.0], [5.0, 5.0]])
    model = BallMixture(centers, radius=1.0)
    centers[0, 0] = 100.0
    assert model.centers[0, 0] == 0.0
    with pytest.raises(ValueError):
        model.centers[0, 0] = 1.0  # read-only


# ----------------------------------------------------------------------------------------------
# records


@pytest.mark.parametrize(
    "model",
    [
        BallMixture([[0.0, 0.0], [3.0, 4.0]], radius=0.1 + 0.2),
        BallMixture.with_separation(5, 3, 4.4, radius=1 / 3, seed=5, offset=[1e3, -1e-3, 0.1]),
        GaussianMixture([[1 / 7]], sigma=math.pi),
        GaussianMixture.with_separation(4, 6, 1.3, separation_ratio_spread=2.5, sigma=0.2, seed=9),
    ],
    ids=["ball", "ball-separated", "gaussian-k1", "gaussian-separated"],
)
def test_record_round_trip(model):
    record = json.loads(json.dumps(model.to_record()))  # records must survive JSON, bit for bit
    rebuilt = mixture_from_record(record)
    assert type(rebuilt) is type(model)
    np.testing.assert_array_equal(rebuilt.centers, model.centers)
    attribute = "radius" if isinstance(model, BallMixture) else "sigma"
    assert getattr(rebuilt, attribute) == getattr(model, attribute)
    assert rebuilt.to_record() == model.to_record()
    np.testing.assert_array_equal(rebuilt.sample(50, seed=3)[0], model.sample(50, seed=3)[0])
