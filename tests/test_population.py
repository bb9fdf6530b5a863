"""Population k-means (harness.theory.population) against configurations whose answer is known analytically,
and against independent computations (finite differences of exact G, Monte Carlo, closed-form areas)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.errors import InvalidArgument
from harness.theory import certificates
from harness.theory import population as pop
from harness.theory.models import BallMixture, GaussianMixture

PROP2_TRUTH = [[-2.0], [0.0], [2.0]]


def prop2(r):
    """Proposition 2: β = (−2 − r/2, −2 + r/2, 1) for β* = (−2, 0, 2)."""
    return BallMixture(PROP2_TRUTH, r), np.array([[-2 - r / 2], [-2 + r / 2], [1.0]])


def fd_hessian(mixture, c, h):
    m = c.shape[0]
    H = np.zeros((m, m))

    def G(b):
        return pop.objective(mixture, b).value

    for i in range(m):
        for j in range(m):
            e = np.zeros_like(c)
            f = np.zeros_like(c)
            e[i, 0] = h
            f[j, 0] = h
            H[i, j] = (G(c + e + f) - G(c + e - f) - G(c - e + f) + G(c - e - f)) / (4 * h * h)
    return H


@pytest.mark.parametrize("r", [0.1, 0.3, 0.39])
def test_proposition2_is_a_strict_local_minimum(r):
    mixture, beta = prop2(r)
    assert np.allclose(pop.gradient(mixture, beta), 0, atol=1e-14)
    H, smooth = pop.hessian_1d(mixture, beta)
    assert smooth
    # Appendix C's numbers (its symbolic Hessian has typos), with the density 1/(3·2r) made explicit
    expected = np.array([[1.5 * r, -0.5 * r, 0], [-0.5 * r, 1.5 * r, 0], [0, 0, 8 * r]]) / (6 * r)
    assert np.allclose(H, expected, atol=1e-12)
    assert np.allclose(fd_hessian(mixture, beta, 1e-4 * r), H, atol=1e-5)
    verdict = certificates.is_local_minimum(mixture, beta)
    assert verdict.kind == "strict" and verdict
    assert verdict.eigenvalues.min() > 0


def test_proposition2_fails_beyond_r_04():
    # r > 0.4: the boundary between β2 and β3 enters the middle ball; β is no longer a fixed point
    mixture, beta = prop2(0.45)
    verdict = certificates.is_local_minimum(mixture, beta)
    assert verdict.kind == "not-stationary" and not verdict
    assert verdict.decrease > 0


@pytest.mark.parametrize("mixture", [BallMixture(PROP2_TRUTH, 0.3), GaussianMixture(PROP2_TRUTH, 0.3)])
def test_truth_is_strict(mixture):
    # Gaussian tails overlap: the truth is only close to the fixed point population Lloyd finds
    beta = pop.population_lloyd(mixture, mixture.centers).centers
    assert np.allclose(beta, mixture.centers, atol=1e-3 if isinstance(mixture, GaussianMixture) else 0)
    verdict = certificates.is_local_minimum(mixture, beta)
    assert verdict.kind == "strict"
    H, _ = pop.hessian_1d(mixture, beta)
    assert np.allclose(fd_hessian(mixture, beta, 1e-4), H, atol=1e-5)


def test_duplicated_centers_are_a_saddle():
    mixture = BallMixture(PROP2_TRUTH, 0.3)
    beta = np.array([[-2.0], [-2.0], [1.0]])
    verdict = certificates.is_local_minimum(mixture, beta)
    assert verdict.kind == "saddle" and not verdict
    after = pop.objective(mixture, beta + verdict.step * verdict.direction).value
    assert pop.objective(mixture, beta).value - after == pytest.approx(verdict.decrease, rel=1e-12)
    assert verdict.decrease > 0


def test_zero_mass_center_touching_the_data_is_a_saddle():
    # center 2 sits just right of ball 3 with an empty cell... the boundary with center 1 is inside ball 3
    mixture = BallMixture([[-2.0], [2.0]], 0.3)
    beta = np.array([[-2.0], [2.0], [2.0 + 0.3 + 0.3]])  # cell of center 2 begins at 2.3 = the ball's edge
    verdict = certificates.is_local_minimum(mixture, beta)
    assert verdict.kind == "saddle" and verdict.decrease > 0


def test_far_empty_center_is_non_strict():
    mixture = BallMixture([[-2.0], [2.0]], 0.3)
    beta = np.array([[-2.0], [2.0], [50.0]])
    assert certificates.is_local_minimum(mixture, beta).kind == "non-strict"


@pytest.mark.parametrize("r, kind", [(0.2, "saddle"), (0.3, "non-strict"), (0.45, "non-strict")])
def test_appendix_g_example1(r, kind):
    """Example 1: β* = (−1, 0, 1), β = (−2/3 − r/6, 2/3 + r/6, far).  The printed Hessian's second
    diagonal entry (37r/6 + 2/3) is a typo: by symmetry both are 35r/6 − 2/3 (times 1/(6r)), so the
    2-fit-3 point is a local minimum for r > 4/17 ≈ 0.235, not for r > 1/(9√2/2 − 1/4) ≈ 0.164."""
    mixture = BallMixture([[-1.0], [0.0], [1.0]], r)
    beta = np.array([[-2 / 3 - r / 6], [2 / 3 + r / 6], [50.0]])
    H, _ = pop.hessian_1d(mixture, beta)
    a, b = (35 * r / 6 - 2 / 3) / (6 * r), -(2 / 3 + r / 6) / (6 * r)
    assert np.allclose(H[:2, :2], [[a, b], [b, a]], atol=1e-12)
    assert np.allclose(fd_hessian(mixture, beta, 1e-4 * r)[:2, :2], H[:2, :2], atol=1e-5)
    assert certificates.is_local_minimum(mixture, beta).kind == kind


def test_exact_1d_integrals_match_monte_carlo():
    rng = np.random.default_rng(0)
    for mixture in (BallMixture(PROP2_TRUTH, 0.4), GaussianMixture(PROP2_TRUTH, 0.7)):
        centers = np.array([[-1.7], [0.4], [0.9], [2.2]])
        ci = pop.cell_integrals(mixture, centers)
        n = 200_000
        for s in range(3):
            X = np.asarray(mixture.centers[s]) + mixture._noise(n, rng)
            lab = np.argmin((X - centers[:, 0]) ** 2, axis=1)
            for i in range(4):
                inside = lab == i
                p = inside.mean()
                assert abs(ci.masses[i, s] - p) <= 5 * math.sqrt(max(p * (1 - p), 1 / n) / n)
                sq = np.where(inside, (X[:, 0] - centers[i, 0]) ** 2, 0.0)
                assert abs(ci.second[i, s] - sq.mean()) <= 5 * sq.std() / math.sqrt(n) + 1e-6


def test_gradient_matches_finite_differences():
    mixture = GaussianMixture(PROP2_TRUTH, 0.5)
    c = np.array([[-1.5], [0.3], [2.4]])
    g = pop.gradient(mixture, c)
    h = 1e-6
    for i in range(3):
        e = np.zeros_like(c)
        e[i] = h
        fd = (pop.objective(mixture, c + e).value - pop.objective(mixture, c - e).value) / (2 * h)
        assert fd == pytest.approx(g[i, 0], abs=1e-8)


def test_qmc_masses_match_circular_segments():
    # two centers symmetric about x = h: the cell boundary cuts the unit disc at distance h from its center
    mixture = BallMixture([[0.0, 0.0]], 1.0)
    for h in (0.0, 0.3, 0.8):
        ci = pop.cell_integrals(mixture, [[h - 1.0, 0.0], [h + 1.0, 0.0]], qmc_points=2**12, replicates=8)
        right = (math.acos(h) - h * math.sqrt(1 - h * h)) / math.pi
        assert ci.masses[1, 0] == pytest.approx(right, abs=5 * ci.masses_stderr[1, 0] + 2e-4)
        assert ci.masses_stderr[1, 0] < 2e-3


def test_population_lloyd_reaches_proposition2():
    mixture, beta = prop2(0.3)
    start = beta + np.array([[-0.05], [0.04], [0.2]])
    res = pop.population_lloyd(mixture, start)
    assert res.converged
    assert np.allclose(res.centers, beta, atol=1e-9)


def test_two_dimensional_truth_strict_and_duplicate_saddle():
    mixture = BallMixture([[0.0, 0.0], [10.0, 0.0]], 1.0)
    qmc = {"qmc_points": 2**10, "replicates": 4}
    truth = certificates.is_local_minimum(mixture, mixture.centers, n_directions=4, steps=(1e-2,), **qmc)
    assert truth.kind == "strict"
    dup = certificates.is_local_minimum(mixture, [[0.0, 0.0], [0.0, 0.0]], n_directions=4, **qmc)
    assert dup.kind == "saddle" and dup.decrease > 5 * dup.decrease_stderr


@pytest.mark.parametrize(
    "kwargs",
    [
        {"centers": [1.0, 2.0]},
        {"centers": [[np.nan], [0.0]]},
        {"centers": [[0.0, 1.0]]},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(InvalidArgument, match="centers"):
        pop.cell_integrals(BallMixture(PROP2_TRUTH, 0.3), **kwargs)


def test_bad_qmc_arguments():
    mixture = BallMixture([[0.0, 0.0], [10.0, 0.0]], 1.0)
    with pytest.raises(InvalidArgument, match="qmc_points"):
        pop.cell_integrals(mixture, mixture.centers, qmc_points=1000)
    with pytest.raises(InvalidArgument, match="replicates"):
        pop.cell_integrals(mixture, mixture.centers, replicates=1)


def test_whole_ball_certificate_agrees_with_the_integrals():
    """Where no ball is cut, the exact certificate and the (exact, 1-D) integrals agree: the truth
    is strict, one center for two balls plus two for the third is strict, an extra center far
    from the data is non-strict; a configuration that cuts a ball gets no certificate."""
    m = BallMixture(np.array([[-3.0], [0.0], [3.0]]), radius=1.0)
    kind, fixed, masses, margin = certificates.whole_ball_certificate(m, m.centers + 0.01)
    assert kind == "strict" and np.allclose(fixed, m.centers) and np.allclose(masses, 1 / 3)
    assert margin == pytest.approx(0.5)  # bisector at ±1.5, ball edge at ±1
    assert certificates.is_local_minimum(m, m.centers).kind == "strict"
    # one center for the two left balls (their mean, -1.5), two inside the right ball: the right
    # ball is cut by the boundary between its two centers, so no certificate
    cut = np.array([[-1.5], [2.5], [3.5]])
    assert certificates.whole_ball_certificate(m, cut) is None
    # balls at -3, 0, 6: one center for the two left balls (bisector with the right one at 2.25,
    # clear of both), one for the right ball, one far away with an empty cell
    m = BallMixture(np.array([[-3.0], [0.0], [6.0]]), radius=1.0)
    far = np.array([[-1.5], [6.0], [40.0]])
    kind, fixed, masses, margin = certificates.whole_ball_certificate(m, far)
    assert kind == "non-strict" and masses.tolist() == [2 / 3, 1 / 3, 0.0] and margin == pytest.approx(1.25)
    assert certificates.is_local_minimum(m, far).kind == "non-strict"


def test_whole_ball_certificate_in_ten_dimensions_matches_a_sample_optimum():
    """d = 10, where the QMC check is inconclusive: one center for balls 0 and 1, one far away
    (empty), the truth for balls 2 and 3.  The certified β° is the Lloyd fixed point of a large
    sample started there (recomputed, not restated)."""
    m = BallMixture.with_separation(4, 10, 20.0, seed=1)
    start = m.centers.copy()
    start[0] = m.centers[:2].mean(axis=0) + 0.05
    start[1] = m.centers.mean(axis=0) + 1000.0
    kind, fixed, masses, margin = certificates.whole_ball_certificate(m, start)
    assert kind == "non-strict" and masses.tolist() == [0.5, 0.0, 0.25, 0.25] and margin > 0
    np.testing.assert_allclose(fixed[0], m.centers[:2].mean(axis=0))
    X, _ = m.sample(40_000, seed=2)
    from harness.numerics import kernels

    out, _, _, _, converged = kernels.lloyd(X, fixed, 100)
    # the sample means of whole balls: within a few standard errors r/sqrt(n_s) of β°
    assert converged and np.abs(out - fixed).max() < 5 * m.radius / math.sqrt(10_000)
    # moving the pair's center half a radius toward ball 0 cuts nothing: the same β° is certified
    toward = start.copy()
    toward[0] += 0.5 * m.radius * (m.centers[0] - start[0]) / np.linalg.norm(m.centers[0] - start[0])
    np.testing.assert_allclose(certificates.whole_ball_certificate(m, toward)[1], fixed)
    # a second center inside ball 2 cuts it: no certificate
    cut = start.copy()
    cut[1] = m.centers[2] + 0.1
    assert certificates.whole_ball_certificate(m, cut) is None


def test_exclusion_margin_is_sound_and_beats_the_pairwise_bisector_test():
    # two centers share ball 0 at ±a·e2, a third sits at the neighbour's center 2.1 radii away:
    # no single bisector keeps ball 0 off the third cell, but their combination does
    a = 4 / (3 * math.pi)
    beta = np.array([[0.0, a], [0.0, -a], [2.1, 0.0]])
    # distance from the disk to the bisector of β_2 and β_j, on β_j's side: n·mid − r
    pairwise = max(
        float((beta[2] - beta[j]) @ (beta[2] + beta[j]) / 2) / np.linalg.norm(beta[2] - beta[j]) - 1.0 for j in (0, 1)
    )
    assert pairwise < 0
    margin = certificates._exclusion_margin(beta, 2, np.zeros(2), 1.0)
    assert margin > 0
    # soundness: no point of the disk is nearer the third center (dense polar grid, margin-deep)
    rho, phi = np.meshgrid(np.linspace(0, 1, 400), np.linspace(0, 2 * math.pi, 800))
    x = np.stack([(rho * np.cos(phi)).ravel(), (rho * np.sin(phi)).ravel()], axis=1)
    D = ((x[:, None] - beta[None]) ** 2).sum(axis=2)
    assert not np.any(D.argmin(axis=1) == 2)
    # and a center that does reach the disk is not excluded
    assert certificates._exclusion_margin(np.array([[0.0, a], [0.0, -a], [1.5, 0.0]]), 2, np.zeros(2), 1.0) < 0


def test_ball_decomposition_figure1_panels():
    from harness.studies.reproductions import figure1
    from harness.theory import within_ball as wb

    mixture, panels = figure1._figure1_panels(10.0)
    truth = certificates.ball_decomposition_certificate(mixture, panels["a"][1])
    assert truth.kind == "strict" and truth.exact
    np.testing.assert_allclose(truth.centers, mixture.centers, atol=1e-15)
    b = certificates.ball_decomposition_certificate(mixture, panels["b"][1])
    assert b.kind == "non-strict" and b.exact  # two centers share a disk: strict modulo its rotation
    shared = next(s for s, g in enumerate(b.groups) if len(g) == 2)
    pair = b.centers[list(b.groups[shared])] - mixture.centers[shared]
    np.testing.assert_allclose(np.linalg.norm(pair, axis=1), wb.half_ball_centroid(2), rtol=1e-14)
    np.testing.assert_allclose(pair[0], -pair[1], atol=1e-15)
    assert np.isclose(b.masses.sum(), 1.0)
    # the exact fixed point is a fixed point of the (QMC) Lloyd map up to its noise
    moved = pop.lloyd_map(mixture, b.centers, qmc_points=2**12)
    assert np.max(np.linalg.norm(moved - b.centers, axis=1)) < 0.02
    # c and d put a cell across two balls: not decomposable
    assert certificates.ball_decomposition_certificate(mixture, panels["c"][1]) is None
    assert certificates.ball_decomposition_certificate(mixture, panels["d"][1]) is None


def test_ball_decomposition_agrees_with_the_exact_1d_verdict():
    # two centers share the first of three balls, one owns the other two: exact 1-D comparison
    mixture = BallMixture([[-6.0], [0.0], [3.0]], 1.0)
    start = np.array([[-6.4], [-5.6], [1.4]])
    dec = certificates.ball_decomposition_certificate(mixture, start)
    assert dec is not None and dec.kind == "strict" and dec.exact
    limit = pop.population_lloyd(mixture, start).centers
    np.testing.assert_allclose(np.sort(dec.centers[:, 0]), np.sort(limit[:, 0]), atol=1e-12)
    assert certificates.is_local_minimum(mixture, limit).kind == "strict"
    np.testing.assert_allclose(dec.masses, pop.cell_integrals(mixture, dec.centers).cell_masses, atol=1e-15)


def test_ball_decomposition_rejects_a_cell_across_two_balls():
    mixture = BallMixture([[-3.0, 0.0], [0.0, 0.0], [3.0, 0.0]], 1.0)
    straddle = np.array([[-3.0, 0.0], [-1.0, 0.0], [1.0, 0.0]])  # center 1's bisector cuts two balls
    assert certificates.ball_decomposition_certificate(mixture, straddle) is None


def test_ball_decomposition_allows_a_tangent_cell_only_between_rigid_centers():
    # the k = 4 lattice at η_min = 4: the bisector of the one-fit-two center (between balls 0 and 3)
    # and ball 2's center is tangent to ball 0, while balls 1's pair rotates freely
    mixture = BallMixture.with_separation(4, 2, 4.0, seed=0)
    T = mixture.centers
    u = np.array([0.6, 0.8])
    c = np.array([T[1] + 0.4 * u, (T[0] + T[3]) / 2, T[2], T[1] - 0.4 * u])
    dec = certificates.ball_decomposition_certificate(mixture, c)
    assert dec.kind == "non-strict" and dec.touching == ((2, 0),)
    # a center that owns nothing and touches a ball could take a cap for free: not certified, and
    # is_local_minimum finds the descent
    two = BallMixture([[0.0, 0.0], [10.0, 0.0]], 1.0)
    free = np.array([[0.0, 0.0], [10.0, 0.0], [2.0, 0.0]])
    assert certificates.ball_decomposition_certificate(two, free) is None
    assert certificates.is_local_minimum(two, free).kind == "saddle"
    assert certificates.ball_decomposition_certificate(two, free + [[0, 0], [0, 0], [0.1, 0]]).kind == "non-strict"


def test_facet_certificate_on_figure1_panels():
    from harness.studies.reproductions import figure1
    from harness.theory import within_ball as wb

    mixture, panels = figure1._figure1_panels(10.0)
    opts = {"points": 2**11, "replicates": 4}
    kind, c, P, smallest, error, _ = certificates.facet_certificate(mixture, panels["b"][1], **opts)
    assert kind == "non-strict"
    # the smallest curvature across the pair's rotation is (1/k)(1 − 2aS0) exactly (the pair's
    # "together along u" mode); the refined point moved by δ, and the Hessian is Lipschitz with a
    # constant of order 1/r, so allow 10·δ on top of the RQMC bound
    moved = float(np.max(np.linalg.norm(c - panels["b"][1], axis=1)))
    exact = wb.two_center_eigenvalues(2)["along_together"] / mixture.k
    assert abs(smallest - exact) <= 10 * moved + error + 1e-12
    assert certificates.facet_certificate(mixture, panels["a"][1], **opts)[0] == "strict"
    kind, _, _, smallest, error, _ = certificates.facet_certificate(mixture, panels["c"][1], **opts)
    assert kind == "saddle" and smallest < -error  # Figure 1c: Lloyd escapes it
    assert certificates.facet_certificate(mixture, panels["d"][1], **opts)[0] == "not-stationary"


def test_symmetry_tangents_are_rotations_that_fix_every_ball():
    rng = np.random.default_rng(3)
    T = rng.standard_normal((3, 5)) * 4  # three balls span a 2-D affine plane in R^5
    c = rng.standard_normal((4, 5))
    tangents = certificates._symmetry_tangents(T, c)
    assert len(tangents) == 3  # so(3) on the 3-D complement
    for v in tangents:
        # infinitesimally every center keeps its distance to every ball center (G is invariant):
        # d/dt ‖c_i + t v_i − β*_s‖² = 2 (c_i − β*_s)·v_i = 0, to rounding of O(10) numbers
        rates = np.einsum("isd,id->is", c[:, None] - T[None], v)
        assert np.abs(rates).max() < 1e-12
        assert np.linalg.norm(v) > 1e-3
    assert np.linalg.matrix_rank(np.array([v.ravel() for v in tangents])) == 3
    # balls spanning the plane leave no rotation
    assert certificates._symmetry_tangents(np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]]), c[:, :2]) == []


@pytest.mark.parametrize("model", ["ball", "gaussian"])
def test_directional_step_reuses_the_base_integrals_bit_for_bit(model):
    """``_delta_G`` with the caller's base integrals and the second-only RQMC pass returns exactly
    what recomputing both full cell integrals returns (the same operations in the same order), so
    the speed-up cannot change a verdict."""
    mixture = (BallMixture if model == "ball" else GaussianMixture).with_separation(3, 3, 4.0, seed=1)
    rng = np.random.default_rng(7)
    c = mixture.centers + 0.3 * rng.standard_normal(mixture.centers.shape)
    c = np.vstack([c, c[:1] + 0.5])  # one more center than clusters: m != k
    qmc = {"qmc_points": 256, "replicates": 3}
    v = rng.standard_normal(c.shape)
    for t in (1e-1, 1e-3):
        a = pop.cell_integrals(mixture, c, **qmc)
        b = pop.cell_integrals(mixture, c + t * v, **qmc)
        diffs = (b.replicate_second.sum(axis=(1, 2)) - a.replicate_second.sum(axis=(1, 2))) / mixture.k
        expected = (float(diffs.mean()), float(diffs.std(ddof=1) / math.sqrt(len(diffs))))
        assert certificates._delta_G(mixture, c, v, t, qmc, a) == expected
        assert certificates._delta_G(mixture, c, v, t, qmc) == expected
