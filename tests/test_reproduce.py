"""Reproductions: their pieces against closed forms, and small versions of each run end to end."""

from __future__ import annotations

import argparse
import inspect
import json
import math

import numpy as np
import pytest

from harness import InvalidArgument
from harness.cli import reproduce as cli_reproduce
from harness.studies.reproductions import balancing_squares as squares
from harness.studies.reproductions import density_law as law
from harness.studies.reproductions.registry import REPRODUCTIONS, format_text

pytest.importorskip("fastcluster")


def test_finite_k_prediction_is_the_square_root_law_without_corrections():
    # Exact E(k) = G/k, huge n: the minimiser of n1 G/k1 + n2 G/(k - k1) is k1 ∝ √n1.
    pairs = [(k, 10**12, 0.16 / k) for k in (40, 60, 150, 160)]
    k1, fit = squares._finite_k_prediction(pairs, 10_000, 1_000, 200)
    assert k1 == round(200 * 100 / (100 + math.sqrt(1000)))
    assert fit["G"] == pytest.approx(0.16) and abs(fit["b"]) < 1e-6  # (1 - k/n) leaves ~1e-10


def test_finite_k_prediction_moves_with_a_boundary_term():
    # A positive boundary term costs the sparse square more per center, so it gets more centers.
    pairs = [(k, 10**12, 0.16 / k * (1 + 1.0 / math.sqrt(k))) for k in (40, 60, 150, 160)]
    k1, fit = squares._finite_k_prediction(pairs, 10_000, 1_000, 200)
    assert fit["b"] == pytest.approx(1.0) and k1 < 152


@pytest.mark.parametrize("d", [1, 2, 3])
def test_density_law_cubes_balance_exactly(d):
    X, bounds = law._density_law_data(np.random.default_rng(0), d, 3, 20_000, 64.0)
    weights = [n * side**2 for _, _, n, side in bounds]
    np.testing.assert_allclose(weights, weights[0], rtol=1e-3)  # n_j L_j² equal, up to rounding n_j
    densities = [n / side**d for _, _, n, side in bounds]
    assert densities[0] / densities[-1] == pytest.approx(64.0, rel=1e-3)
    assert X.shape == (sum(b[2] for b in bounds), d)
    for (_, hi, _, _), (lo2, _, _, _) in zip(bounds, bounds[1:]):
        assert lo2 - hi >= bounds[-1][3] - 1e-12  # gaps of the largest side


def test_balancing_squares_small_run_has_the_registry_shape():
    result = REPRODUCTIONS["balancing-squares"].function(
        repeats=2, seed=1, methods=["ward+polish", "greedy-k-means++ +lloyd"]
    )
    assert {"paper", "ours", "verdict"} <= set(result)
    assert result["paper"]["dense_asymptotic"] == pytest.approx(151.949, abs=1e-3)
    rows = {r["method"]: r for r in result["ours"]["methods"]}
    # Ward's tree is deterministic in the data, and the data of both repeats are drawn the same way:
    # the split stays near the law (within 10 centers of 152, far from the data's 182 : 18).
    assert abs(rows["ward+polish"]["dense_mean"] - 152) < 10
    assert result["verdict"]["reproduced"] == rows["ward+polish"]["agrees"]
    assert any("ward+polish" in line for line in format_text(result))


def test_density_law_small_run_measures_one_third_in_one_dimension():
    result = REPRODUCTIONS["density-law"].function(repeats=2, seed=0, dims=(1,), methods=["greedy-k-means++ +lloyd"])
    (row,) = result["ours"]["fits"]
    assert row["expected"] == pytest.approx(1 / 3)
    assert abs(row["slope_mean"] - 1 / 3) < 0.1  # random starts would give ≈ 1
    assert "density-law" in format_text(result)[0]


def test_reproductions_need_a_spread():
    with pytest.raises(InvalidArgument, match="repeats"):
        squares.balancing_squares(repeats=1)


@pytest.mark.parametrize(
    "name, keywords, match",
    [
        ("balancing-squares", {"repeats": 1}, r"repeats: .*>= 2.*got 1"),
        ("balancing-squares", {"repeats": 2.5}, r"repeats: expected an integer.*got 2\.5"),
        ("balancing-squares", {"seed": -1}, r"seed: expected an integer >= 0, got -1"),
        ("balancing-squares", {"methods": ["no-such"]}, r"methods: .*'no-such' is unknown"),
        ("balancing-squares", {"methods": "ward+polish"}, r"methods: expected a list"),
        ("balancing-squares", {"methods": []}, r"methods: expected distinct names"),
        ("density-law", {"dims": (0,)}, r"dims: .*>= 1, got \(0,\)"),
        ("density-law", {"dims": ()}, r"dims: expected a non-empty sequence"),
        ("density-law", {"methods": ["ward+polish", "ward+polish"]}, r"methods: expected distinct names"),
        ("prop1", {"ks": (1, 2)}, r"ks: .*>= 2, got \(1, 2\)"),
        ("prop1", {"n": 1}, r"n: expected an integer >= 4"),
        ("prop1", {"restarts": -1}, r"restarts: .*>= 0, got -1"),
        ("example2", {"deltas": (0.01, -0.01)}, r"deltas: .*finite numbers > 0"),
        ("figure1", {"eta": 2.0}, r"eta: expected a finite number > 2, got 2\.0"),
        ("figure1", {"qmc_points": 1000}, r"qmc_points: expected a power of 2"),
        ("figure1", {"output_dir": ""}, r"output_dir: expected a non-empty path or None"),
        ("theorem1-gap", {"etas": (2.0, 3.0)}, r"etas: .*> 2"),
        ("theorem1-gap", {"starts": 0}, r"starts: expected an integer >= 1, got 0"),
        ("theorem1-gap", {"full": "yes"}, r"full: expected True or False"),
        ("theorem1-gap", {"lloyd_tol": float("nan")}, r"lloyd_tol: expected a finite number > 0"),
        ("theorem1-gap", {"progress_json": ""}, r"progress_json: expected a non-empty path or None"),
    ],
)
def test_bad_arguments_name_the_parameter_and_the_value(name, keywords, match):
    # raised at the edge, before any experiment runs
    with pytest.raises(InvalidArgument, match=match):
        REPRODUCTIONS[name].function(**keywords)


@pytest.mark.parametrize("name", list(REPRODUCTIONS))
def test_entry_points_take_keyword_only_parameters_with_documented_defaults(name):
    function = REPRODUCTIONS[name].function
    parameters = inspect.signature(function).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)
    assert all(p.default is not inspect.Parameter.empty for p in parameters)
    doc = inspect.getdoc(function)
    if parameters:
        assert "Parameters\n----------" in doc
        for p in parameters:
            assert f"{p.name} : " in doc, p.name
    with pytest.raises(TypeError):
        function(None)  # no positional (argparse namespace) argument


def test_cli_keywords_are_parameters_of_each_reproduction():
    assert set(cli_reproduce.KEYWORDS) == set(REPRODUCTIONS)
    for name, options in cli_reproduce.KEYWORDS.items():
        parameters = inspect.signature(REPRODUCTIONS[name].function).parameters
        assert set(options.values()) <= set(parameters), name


def _parse(argv):
    parser = argparse.ArgumentParser()
    cli_reproduce.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_parser_keeps_the_flags_and_their_defaults():
    args = _parse(["reproduce", "theorem1-gap"])
    assert args.func is cli_reproduce.run
    assert (args.repeats, args.seed, args.json, args.out, args.full) == (None, None, None, None, None)
    assert cli_reproduce.keywords_for(args) == {}  # every default is the function's own
    args = _parse(["reproduce", "theorem1-gap", "--repeats", "3", "--seed", "2", "--out", "", "--full"])
    assert cli_reproduce.keywords_for(args) == {"starts": 3, "seed": 2, "output_dir": None, "full": True}
    args = _parse(["reproduce", "figure1", "--out", "pics", "--repeats", "3", "--seed", "1"])
    assert cli_reproduce.keywords_for(args) == {"output_dir": "pics"}  # figure1 takes no repeats, no seed
    args = _parse(["reproduce", "balancing-squares", "--repeats", "5", "--seed", "0", "--full"])
    assert cli_reproduce.keywords_for(args) == {"repeats": 5, "seed": 0}


def test_cli_run_prints_the_lines_and_exits_with_the_verdict(capsys, tmp_path):
    EXIT_OK, EXIT_FAILED = cli_reproduce.EXIT_OK, cli_reproduce.EXIT_FAILED
    assert (EXIT_OK, EXIT_FAILED) == (0, 1)
    assert cli_reproduce.run(_parse(["reproduce", "prop2"])) == EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("prop2  (paper: ")
    assert "verdict  REPRODUCED" in out
    path = tmp_path / "example1.json"
    assert cli_reproduce.run(_parse(["reproduce", "example1", "--json", str(path)])) == EXIT_FAILED  # the erratum
    assert "verdict  NOT REPRODUCED" in capsys.readouterr().out
    written = json.loads(path.read_text())
    assert (written["schema_version"], written["command"], written["name"]) == (1, "reproduce", "example1")
    assert cli_reproduce.run(_parse(["reproduce", "prop2", "--json", "-"])) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["name"] == "prop2"  # JSON only on standard output


def test_cli_rejects_an_unknown_reproduction(capsys):
    from harness.cli.main import EXIT_USAGE, main

    assert main(["reproduce", "no-such"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such" in err
