"""The within-ball problem (harness.theory.within_ball) against independent computations: the exact 1-D
Hessian, finite differences of the exact 2-D disk integrals, RQMC means and second differences of W."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.errors import InvalidArgument
from harness.studies.reproductions import disk_integrals, example2
from harness.theory import population as pop
from harness.theory import within_ball as wb
from harness.theory.models import BallMixture


def test_half_ball_centroid_closed_forms():
    assert wb.half_ball_centroid(1, 2.0) == pytest.approx(1.0, rel=1e-15)  # r/2
    assert wb.half_ball_centroid(2, 1.5) == pytest.approx(4 * 1.5 / (3 * math.pi), rel=1e-14)  # 4r/(3π)
    # 3-D: 3r/8
    assert wb.half_ball_centroid(3, 1.0) == pytest.approx(3 / 8, rel=1e-14)


@pytest.mark.parametrize("d", [3, 10])
def test_two_center_fixed_point_is_the_rqmc_lloyd_image(d):
    # the RQMC cell means of ±a·u are ±a·u again, within 6 standard errors of the replicate means
    u = np.random.default_rng(d).standard_normal(d)
    fp = wb.two_center_fixed_point(u, 1.3)
    cells = wb.cell_integrals(fp, 1.3, points=2**12)
    means = cells.first / cells.masses[..., None]  # (R, 2, d)
    se = means.std(axis=0, ddof=1) / math.sqrt(means.shape[0])
    assert np.all(np.abs(means.mean(axis=0) - fp) < 6 * se + 1e-12)
    assert np.all(np.abs(cells.masses.mean(axis=0) - 0.5) < 6 * cells.masses.std(axis=0, ddof=1) / math.sqrt(8))


def test_two_center_hessian_is_the_exact_1d_hessian():
    # one ball on the line: hessian_1d is exact, so they agree to rounding
    mixture = BallMixture([[0.0]], 0.7)
    fp = wb.two_center_fixed_point([1.0], 0.7)
    H, smooth = pop.hessian_1d(mixture, fp)
    assert smooth
    assert np.allclose(H, wb.two_center_hessian([1.0], 0.7), atol=1e-14, rtol=0)


def test_two_center_hessian_matches_finite_differences_of_the_exact_disk_objective():
    r = 1.0
    u = np.array([0.6, 0.8])

    def G(b):
        b = b.reshape(2, 2)
        return disk_integrals.disk_two_center_integrals(np.zeros((1, 2)), r, b[0], b[1])[2].sum()

    def fd(h):
        x = wb.two_center_fixed_point(u, r).ravel()
        H = np.zeros((4, 4))
        for i in range(4):
            for j in range(4):
                e, f = np.zeros(4), np.zeros(4)
                e[i], f[j] = h, h
                H[i, j] = (G(x + e + f) - G(x + e - f) - G(x - e + f) + G(x - e - f)) / (4 * h * h)
        return H

    exact = wb.two_center_hessian(u, r)
    coarse, fine = fd(2e-3), fd(1e-3)
    # central differences err by O(h²): Richardson's estimate of fine's error is |coarse − fine|/3;
    # rounding adds ~ε·G/h² ≈ 1e-10
    allowance = 2 * np.abs(coarse - fine) / 3 + 1e-9
    assert np.all(np.abs(fine - exact) <= allowance)
    assert np.abs(fine - exact).max() < 1e-5  # and the difference is small, not just within a loose bound


@pytest.mark.parametrize("d", [3, 10])
def test_two_center_hessian_matches_the_rqmc_facet_hessian(d):
    u = np.random.default_rng(d).standard_normal(d)
    fp = wb.two_center_fixed_point(u, 1.3)
    H, se = wb.facet_hessian(fp, 1.3, points=2**12)
    # six standard errors of the replicate mean; entries with se = 0 are exact (zero in both)
    assert np.all(np.abs(H - wb.two_center_hessian(u, 1.3)) <= 6 * se + 1e-12)


@pytest.mark.parametrize("d", [1, 2, 3, 10])
def test_two_center_spectrum(d):
    ev = wb.two_center_eigenvalues(d, 0.8)
    assert ev["across_apart"] == pytest.approx(0.0, abs=1e-14)  # a = 2·S2: the rotations are flat
    assert ev["along_together"] > 0.3
    u = np.eye(d)[0]
    closed = sorted([ev["along_together"], ev["along_apart"]] + [ev["across_together"], ev["across_apart"]] * (d - 1))
    assert np.allclose(np.linalg.eigvalsh(wb.two_center_hessian(u, 0.8)), closed, atol=1e-13)


def test_rotation_tangents_are_flat_directions_of_the_facet_hessian():
    fp, converged = wb.lloyd(np.array([[0.5, 0.0], [-0.25, 0.43], [-0.25, -0.43]]), 1.0)
    assert converged
    H, se = wb.facet_hessian(fp, 1.0)
    T = wb.rotation_tangents(fp)
    assert T.shape == (6, 1)
    # H·t = 0 along the rotation, within the Frobenius bound on the Hessian's RQMC error
    assert np.linalg.norm(H @ T[:, 0]) < 4 * np.linalg.norm(se) + 1e-3


def test_facet_hessian_matches_rqmc_second_differences_for_three_centers():
    c, _ = wb.lloyd(np.array([[0.5, 0.0], [-0.25, 0.43], [-0.25, -0.43]]), 1.0)
    H, se = wb.facet_hessian(c, 1.0)
    rng = np.random.default_rng(0)
    t = 0.05

    def W(b):
        return wb.cell_integrals(b, 1.0, points=2**15).second.sum(axis=1)  # per replicate

    W0 = W(c)
    for _ in range(2):
        v = rng.standard_normal(c.shape)
        v /= np.linalg.norm(v)
        dd = (W(c + t * v) + W(c - t * v) - 2 * W0) / t**2
        dd_se = dd.std(ddof=1) / math.sqrt(len(dd))
        quad = float(v.ravel() @ H @ v.ravel())
        quad_se = math.sqrt(float(v.ravel() @ se**2 @ v.ravel()))
        # 6 combined standard errors plus the truncation t²/12·|∂⁴W| with |∂⁴W| ≲ 1 (measured on the
        # exact 2-D objective above: FD error 7.9e-5 at h = 1e-2)
        assert abs(dd.mean() - quad) < 6 * math.hypot(dd_se, quad_se) + t * t


def _collinear_fixed_point(r=1.0):
    """Three centers (−p, 0, p) on a diameter of a disk: p is the centroid of the cap beyond p/2."""
    p = 0.5 * r
    for _ in range(200):
        area, first, _ = disk_integrals._segment(p / 2, r)
        p = first / area
    return np.array([[-p, 0.0], [0.0, 0.0], [p, 0.0]])


def test_three_centers_on_a_diameter_are_a_saddle_confirmed_by_second_differences():
    c = _collinear_fixed_point()
    H, se = wb.facet_hessian(c, 1.0)
    T = wb.rotation_tangents(c)
    N = np.linalg.svd(np.eye(6) - T @ T.T)[0][:, : 6 - T.shape[1]]
    ev, vec = np.linalg.eigh(N.T @ H @ N)
    error = 4 * np.linalg.norm(se)
    assert ev[0] < -error
    v = (N @ vec[:, 0]).reshape(3, 2)
    t = 0.05
    W = [wb.cell_integrals(b, 1.0, points=2**15).second.sum(axis=1) for b in (c + t * v, c - t * v, c)]
    dd = (W[0] + W[1] - 2 * W[2]) / t**2
    assert dd.mean() < -6 * dd.std(ddof=1) / math.sqrt(len(dd))  # an independent descent


def test_classify_three_centers_in_a_disk_is_non_strict_at_the_symmetric_fixed_point():
    v = wb.classify(np.array([[0.5, 0.0], [-0.3, 0.4], [-0.2, -0.45]]), 1.0, points=2**12)
    assert v.kind == "non-strict" and not v.exact
    radii = np.linalg.norm(v.fixed_point, axis=1)
    assert np.ptp(radii) < 0.02  # three-fold symmetric up to RQMC error (~1e-2 of the radius here)
    assert np.allclose(v.masses, 1 / 3, atol=0.01)
    assert v.normal_eigenvalues[0] > v.error


@pytest.mark.parametrize(
    "call",
    [
        lambda: wb.half_ball_centroid(0),
        lambda: wb.half_ball_centroid(2, -1.0),
        lambda: wb.two_center_fixed_point([0.0, 0.0]),
        lambda: wb.facet_hessian([[0.1], [0.2]]),
        lambda: wb.facet_hessian([[0.1, 0.0], [0.1, 0.0]]),
    ],
)
def test_bad_arguments_name_the_parameter(call):
    with pytest.raises(InvalidArgument, match="dim|radius|direction|centers"):
        call()


def test_mixture_facet_hessian_matches_finite_differences_of_the_exact_disk_objective():
    # Example 2's three disks (r = 0.3) with a boundary through the middle disk: the exact segment
    # integrals give G, central differences its Hessian; facet_hessian sums the disks' facets
    r = 0.3
    beta = np.array([[-0.9, 0.05], [0.4, -0.02]])

    def G(b):
        return example2.example2_objective(b.reshape(2, 2), r)

    coarse = example2._hessian_fd(G, beta.ravel(), 2e-4)
    fine = example2._hessian_fd(G, beta.ravel(), 1e-4)
    H, se = wb.facet_hessian(beta, r, ball_centers=example2.EXAMPLE2_TRUTH, points=2**12)
    # 6 RQMC standard errors (the masses' term) plus Richardson's bound on the FD error (|coarse − fine|/3)
    assert np.all(np.abs(H - fine) <= 6 * se + 2 * np.abs(coarse - fine) / 3 + 1e-7)
    assert abs(H[0, 2] + 0.25274) < 1e-4  # the cross term is there (the disks' facets), not just 2P·I
