"""harness.KMeans: scikit-learn's estimator checks, agreement with harness.kmeans, and the lazy import."""

from __future__ import annotations

import inspect
import sys

import numpy as np
import pytest

import harness
from harness.errors import MissingDependency

pytest.importorskip("sklearn", reason="harness.KMeans needs the peers extra (scikit-learn)")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from harness.clustering.estimator import KMeans  # noqa: E402

# Strict xfail (a listed check that passes fails the run, so the list stays honest); scikit-learn >= 1.8.
XFAIL_STRICT = {"xfail_strict": True} if "xfail_strict" in inspect.signature(parametrize_with_checks).parameters else {}


def expected_failed_checks(estimator):
    # Every scikit-learn check is expected to pass; a failure that must be accepted goes here with its reason.
    return {}


@parametrize_with_checks(
    [KMeans(n_clusters=3, random_state=0), KMeans(n_clusters=2, init="random", random_state=0)],
    expected_failed_checks=expected_failed_checks,
    **XFAIL_STRICT,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _blobs(n=300, d=2, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0] * d, [10.0] * d, [-10.0] + [10.0] * (d - 1)])
    return (means[rng.integers(3, size=n)] + rng.normal(size=(n, d))).astype(dtype)


@pytest.mark.parametrize("init", ["k-means++", "plain-k-means++", "random"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_matches_harness_kmeans(init, dtype):
    X = _blobs(dtype=dtype)
    est = KMeans(3, init=init, random_state=7, max_iter=50).fit(X)
    ref = harness.kmeans(X, 3, init=init, seed=7, max_iter=50)
    np.testing.assert_array_equal(est.cluster_centers_, ref.centers)
    np.testing.assert_array_equal(est.labels_, ref.labels)
    assert est.cluster_centers_.dtype == dtype
    assert (est.inertia_, est.n_iter_, est.converged_) == (ref.objective, ref.n_iter, ref.converged)
    assert est.score(X) == -ref.objective
    np.testing.assert_array_equal(est.predict(X), ref.labels)


def test_array_init_and_transform_is_euclidean_distance():
    X = _blobs(d=3)
    init = X[[0, 1, 2]]
    est = KMeans(3, init=init).fit(X)
    ref = harness.lloyd(X, init)
    np.testing.assert_array_equal(est.cluster_centers_, ref.centers)
    # Far from the origin the exact differences keep their precision (the norm expansion would not).
    far = X + 1e8
    est_far = KMeans(3, init=init + 1e8).fit(far)
    expected = np.sqrt(((far[:, None, :] - est_far.cluster_centers_[None]) ** 2).sum(axis=2))
    distances = est_far.transform(far)
    np.testing.assert_allclose(distances, expected, rtol=1e-12)
    np.testing.assert_array_equal(distances.argmin(axis=1), est_far.predict(far))


@pytest.mark.parametrize(
    "params, X, match",
    [
        ({"n_clusters": 5}, np.zeros((4, 2)), "n_clusters: expected 1 <= n_clusters <= n_samples = 4, got 5"),
        ({"n_clusters": 0}, np.zeros((4, 2)), "n_clusters"),
        ({"n_clusters": 2.5}, np.zeros((4, 2)), "n_clusters: expected an integer"),
        ({"init": "kmeans++"}, np.zeros((4, 2)), "init: expected"),
        ({"n_clusters": 2, "init": np.zeros((3, 2))}, np.zeros((4, 2)), "init: expected 2 rows"),
        ({"max_iter": 0}, np.zeros((4, 2)), "max_iter"),
        ({"random_state": -1}, np.zeros((4, 2)), "random_state"),
        ({}, np.array([[np.nan, 1.0]]), "NaN"),
        ({}, np.zeros(4), "Expected 2D array"),
    ],
)
def test_bad_arguments_raise_value_error(params, X, match):
    with pytest.raises(ValueError, match=match):
        KMeans(**{"n_clusters": 2, **params}).fit(X)


def test_random_state_kinds():
    X = _blobs()
    a = KMeans(3, random_state=np.random.RandomState(0)).fit(X).cluster_centers_
    b = KMeans(3, random_state=np.random.RandomState(0)).fit(X).cluster_centers_
    np.testing.assert_array_equal(a, b)
    c = KMeans(3, random_state=np.random.default_rng(1)).fit(X)
    assert c.n_iter_ >= 1


def test_lazy_export_and_missing_scikit_learn(monkeypatch):
    assert harness.KMeans is KMeans
    # Pretend scikit-learn is not installed: the lazy attribute must say how to install it.
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.delitem(sys.modules, "harness.clustering.estimator")
    with pytest.raises(MissingDependency, match=r"pip install 'kmeans-harness\[peers\]'"):
        harness.KMeans  # noqa: B018


def test_feature_names_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(_blobs(), columns=["width", "height"])
    est = KMeans(3, random_state=0).fit(X)
    assert list(est.feature_names_in_) == ["width", "height"]
    assert list(est.get_feature_names_out()) == ["kmeans0", "kmeans1", "kmeans2"]
    np.testing.assert_array_equal(est.predict(X), est.labels_)
