"""Reproductions: their pieces against closed forms, and small versions of each run end to end."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from harness import InvalidArgument
from harness.studies.reproductions import blog as rp

pytest.importorskip("fastcluster")


def test_finite_k_prediction_is_the_square_root_law_without_corrections():
    # Exact E(k) = G/k, huge n: the minimiser of n1 G/k1 + n2 G/(k - k1) is k1 ∝ √n1.
    pairs = [(k, 10**12, 0.16 / k) for k in (40, 60, 150, 160)]
    k1, fit = rp._finite_k_prediction(pairs, 10_000, 1_000, 200)
    assert k1 == round(200 * 100 / (100 + math.sqrt(1000)))
    assert fit["G"] == pytest.approx(0.16) and abs(fit["b"]) < 1e-6  # (1 - k/n) leaves ~1e-10


def test_finite_k_prediction_moves_with_a_boundary_term():
    # A positive boundary term costs the sparse square more per center, so it gets more centers.
    pairs = [(k, 10**12, 0.16 / k * (1 + 1.0 / math.sqrt(k))) for k in (40, 60, 150, 160)]
    k1, fit = rp._finite_k_prediction(pairs, 10_000, 1_000, 200)
    assert fit["b"] == pytest.approx(1.0) and k1 < 152


@pytest.mark.parametrize("d", [1, 2, 3])
def test_density_law_cubes_balance_exactly(d):
    X, bounds = rp._density_law_data(np.random.default_rng(0), d, 3, 20_000, 64.0)
    weights = [n * side**2 for _, _, n, side in bounds]
    np.testing.assert_allclose(weights, weights[0], rtol=1e-3)  # n_j L_j² equal, up to rounding n_j
    densities = [n / side**d for _, _, n, side in bounds]
    assert densities[0] / densities[-1] == pytest.approx(64.0, rel=1e-3)
    assert X.shape == (sum(b[2] for b in bounds), d)
    for (_, hi, _, _), (lo2, _, _, _) in zip(bounds, bounds[1:]):
        assert lo2 - hi >= bounds[-1][3] - 1e-12  # gaps of the largest side


def test_balancing_squares_small_run_has_the_registry_shape():
    args = SimpleNamespace(repeats=2, seed=1, methods=["ward+polish", "greedy-k-means++ +lloyd"])
    result = rp.REPRODUCTIONS["balancing-squares"](args)
    assert {"paper", "ours", "verdict"} <= set(result)
    assert result["paper"]["dense_asymptotic"] == pytest.approx(151.949, abs=1e-3)
    rows = {r["method"]: r for r in result["ours"]["methods"]}
    # Ward's tree is deterministic in the data, and the data of both repeats are drawn the same way:
    # the split stays near the law (within 10 centers of 152, far from the data's 182 : 18).
    assert abs(rows["ward+polish"]["dense_mean"] - 152) < 10
    assert result["verdict"]["reproduced"] == rows["ward+polish"]["agrees"]
    assert any("ward+polish" in line for line in rp.format_text(result))


def test_density_law_small_run_measures_one_third_in_one_dimension():
    args = SimpleNamespace(repeats=2, seed=0, dims=(1,), methods=["greedy-k-means++ +lloyd"])
    result = rp.REPRODUCTIONS["density-law"](args)
    (row,) = result["ours"]["fits"]
    assert row["expected"] == pytest.approx(1 / 3)
    assert abs(row["slope_mean"] - 1 / 3) < 0.1  # random starts would give ≈ 1
    assert "density-law" in rp.format_text(result)[0]


def test_reproductions_need_a_spread():
    with pytest.raises(InvalidArgument, match="repeats"):
        rp.balancing_squares(SimpleNamespace(repeats=1))


def test_cli_rejects_an_unknown_reproduction(capsys):
    from harness.cli.main import EXIT_USAGE, main

    assert main(["reproduce", "no-such"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such" in err
