"""Bad input to our own API and CLI, table-driven (as Hypothesis tests its own bad arguments).

Every public function raises :class:`harness.InvalidArgument` (or, for a spec, ``TargetLoadError``)
whose message names the parameter; every CLI command exits with code 2 and a one-line message on
standard error naming the option.  Never a numba traceback, a hang or a silent wrong answer.

Decisions recorded here: boolean data is accepted as 0/1 (numpy's own conversion) and complex data
is rejected (dropping the imaginary part would be a silent wrong answer); an unknown keyword is
Python's ``TypeError``.  Valid but degenerate data works: all points identical, fewer distinct
points than k, and magnitudes at the limits of float64/float32 (scaled internally by a power of
two, which is exact).
"""

from __future__ import annotations

import numpy as np
import pytest

import harness
from harness.cli.main import main
from harness.clustering.kmeans import init_centers
from harness.errors import InvalidArgument, TargetLoadError
from harness.targets.loader import load_target
from harness.theory.models import BallMixture, GaussianMixture

RNG = np.random.default_rng(0)
X = np.vstack([RNG.standard_normal((20, 2)), RNG.standard_normal((20, 2)) + 10])
CENTERS = np.array([[0.0, 0.0], [10.0, 10.0]])


def _with(value, row=3, col=1):
    out = X.copy()
    out[row, col] = value
    return out


#: bad data: (id, X, the phrase the message must hold); "X" must be named too
BAD_DATA = [
    ("nan", _with(np.nan), "finite"),
    ("inf", _with(np.inf), "finite"),
    ("-inf", _with(-np.inf), "finite"),
    ("empty", np.empty((0, 2)), "at least one point"),
    ("no-features", np.empty((5, 0)), "at least one point"),
    ("1-D", X[:, 0], "2-D"),
    ("3-D", X[:, :, None], "2-D"),
    ("0-D", np.float64(1.0), "2-D"),
    ("object", X.astype(object), "dtype object"),
    ("complex", X.astype(complex), "real numbers"),
    ("strings", np.array([["a", "b"]] * 5), "numeric"),
    ("None", None, "array"),
    ("string", "X", "array"),
    ("ragged", [[1.0, 2.0], [3.0]], "X"),
]

#: public functions of one data argument, called with valid other arguments
DATA_FUNCTIONS = {
    "kmeans": lambda data: harness.kmeans(data, 2, seed=0),
    "lloyd": lambda data: harness.lloyd(data, CENTERS),
    "init_centers": lambda data: init_centers(data, 2, seed=0),
}


@pytest.mark.parametrize("function", list(DATA_FUNCTIONS))
@pytest.mark.parametrize("label,data,phrase", BAD_DATA, ids=[b[0] for b in BAD_DATA])
def test_bad_data(function, label, data, phrase):
    with pytest.raises(InvalidArgument) as info:
        DATA_FUNCTIONS[function](data)
    message = str(info.value)
    assert message.startswith("X: ") and phrase in message


#: (id, call, parameter named first in the message)
BAD_ARGUMENTS = [
    ("k=0", lambda: harness.kmeans(X, 0), "k"),
    ("k<0", lambda: harness.kmeans(X, -3), "k"),
    ("k>n", lambda: harness.kmeans(X, 41), "k"),
    ("k=2.0", lambda: harness.kmeans(X, 2.0), "k"),
    ("k=2.5", lambda: harness.kmeans(X, 2.5), "k"),
    ("k='2'", lambda: harness.kmeans(X, "2"), "k"),
    ("k=True", lambda: harness.kmeans(X, True), "k"),
    ("k=None", lambda: harness.kmeans(X, None), "k"),
    ("init_centers k>n", lambda: init_centers(X, 41), "k"),
    ("init rows", lambda: harness.kmeans(X, 2, init=X[:3]), "init"),
    ("init columns", lambda: harness.kmeans(X, 2, init=X[:2, :1]), "init"),
    ("init 1-D", lambda: harness.kmeans(X, 2, init=X[:2, 0]), "init"),
    ("init nan", lambda: harness.kmeans(X, 2, init=[[np.nan, 0.0], [1.0, 1.0]]), "init"),
    ("init inf", lambda: harness.kmeans(X, 2, init=[[np.inf, 0.0], [1.0, 1.0]]), "init"),
    ("init name", lambda: harness.kmeans(X, 2, init="kmeans++"), "init"),
    ("init_centers name", lambda: init_centers(X, 2, init="farthest"), "init"),
    ("init complex", lambda: harness.kmeans(X, 2, init=CENTERS.astype(complex)), "init"),
    ("lloyd centers None", lambda: harness.lloyd(X, None), "centers"),
    ("lloyd centers columns", lambda: harness.lloyd(X, CENTERS[:, :1]), "centers"),
    ("lloyd centers nan", lambda: harness.lloyd(X, [[np.nan, 0.0]]), "centers"),
    ("lloyd centers empty", lambda: harness.lloyd(X, np.empty((0, 2))), "centers"),
    ("lloyd k>n", lambda: harness.lloyd(X[:1], CENTERS), "centers"),
    ("max_iter=0", lambda: harness.kmeans(X, 2, max_iter=0), "max_iter"),
    ("max_iter<0", lambda: harness.kmeans(X, 2, max_iter=-1), "max_iter"),
    ("max_iter=1.5", lambda: harness.kmeans(X, 2, max_iter=1.5), "max_iter"),
    ("lloyd max_iter=0", lambda: harness.lloyd(X, CENTERS, max_iter=0), "max_iter"),
    ("seed<0", lambda: harness.kmeans(X, 2, seed=-1), "seed"),
    ("seed=1.5", lambda: harness.kmeans(X, 2, seed=1.5), "seed"),
    # mixtures
    ("Ball centers nan", lambda: BallMixture([[np.nan, 0.0], [10.0, 0.0]]), "centers"),
    ("Ball centers 1-D", lambda: BallMixture([0.0, 10.0]), "centers"),
    ("Ball centers 3-D", lambda: BallMixture(np.zeros((2, 2, 2))), "centers"),
    ("Ball centers empty", lambda: BallMixture(np.zeros((0, 2))), "centers"),
    ("Ball centers object", lambda: BallMixture(np.array([[0, "a"]], dtype=object)), "centers"),
    ("Ball centers complex", lambda: BallMixture(CENTERS + 1j), "centers"),
    ("Ball radius 0", lambda: BallMixture(CENTERS, radius=0), "radius"),
    ("Ball radius nan", lambda: BallMixture(CENTERS, radius=np.nan), "radius"),
    ("Ball overlapping", lambda: BallMixture(CENTERS, radius=8), "radius"),
    ("Gaussian sigma<0", lambda: GaussianMixture(CENTERS, sigma=-1), "sigma"),
    ("Gaussian centers complex", lambda: GaussianMixture(CENTERS + 1j), "centers"),
    ("with_separation k=0", lambda: BallMixture.with_separation(0, 2, 10), "k"),
    ("with_separation k=2.5", lambda: GaussianMixture.with_separation(2.5, 2, 10), "k"),
    ("with_separation dim=0", lambda: GaussianMixture.with_separation(2, 0, 10), "dim"),
    ("with_separation eta=2 (ball)", lambda: BallMixture.with_separation(2, 2, 2), "separation_ratio_min"),
    ("with_separation eta nan", lambda: GaussianMixture.with_separation(2, 2, np.nan), "separation_ratio_min"),
    (
        "with_separation spread<1",
        lambda: GaussianMixture.with_separation(2, 2, 10, separation_ratio_spread=0.5),
        "separation_ratio_spread",
    ),
    ("with_separation offset shape", lambda: BallMixture.with_separation(2, 2, 10, offset=[1, 2, 3]), "offset"),
    ("sample n<0", lambda: BallMixture(CENTERS).sample(-1), "n"),
    ("sample n=2.5", lambda: BallMixture(CENTERS).sample(2.5), "n"),
]


@pytest.mark.parametrize("label,call,parameter", BAD_ARGUMENTS, ids=[b[0] for b in BAD_ARGUMENTS])
def test_bad_argument(label, call, parameter):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert str(info.value).startswith(f"{parameter}")


@pytest.mark.parametrize(
    "call",
    [
        lambda: harness.kmeans(X, 2, tol=0),
        lambda: harness.lloyd(X, CENTERS, seed=0),
        lambda: BallMixture.with_separation(2, 2, 10, sigma=1),
    ],
)
def test_unknown_keyword_is_a_type_error_naming_it(call):
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        call()


@pytest.mark.parametrize(
    "spec,phrase",
    [
        ("", "expected a built-in name"),
        ("no-such-builtin", "expected a built-in name"),
        ("module:", "expected a built-in name"),
        (":attr", "expected a built-in name"),
        ("no_such_module_xyz:fit", "cannot import module"),
        ("missing/file.py:fit", "does not exist"),
        ("harness.clustering.kmeans:no_such_function", "has no attribute"),
        ("harness.config:DEFAULT_MAX_ITER", "neither callable nor an estimator"),
        (42, "neither callable nor an estimator"),
        (None, "neither callable nor an estimator"),
    ],
)
def test_bad_target_spec(spec, phrase):
    with pytest.raises(TargetLoadError, match=phrase):
        load_target(spec)


#: (argv, the option or word the one-line message must name)
BAD_COMMANDS = [
    (["--bogus"], "--bogus"),
    (["no-such-command"], "no-such-command"),
    (["targets", "--bogus"], "--bogus"),
    (["targets", "extra"], "extra"),
    (["fit"], "target"),
    (["fit", "no-such-target"], "no-such-target"),
    (["fit", "lloyd", "--k", "0"], "--k"),
    (["fit", "lloyd", "--k", "2.5"], "--k"),
    (["fit", "lloyd", "--k", "-1"], "--k"),
    (["fit", "lloyd", "--k-fit", "0"], "--k-fit"),
    (["fit", "lloyd", "--k-fit", "50", "--n", "20"], "--k-fit"),
    (["fit", "lloyd", "--k", "8", "--n", "5"], "--k"),
    (["fit", "lloyd", "--n", "0"], "--n"),
    (["fit", "lloyd", "--d", "0"], "--d"),
    (["fit", "lloyd", "--separation-ratio", "nan"], "--separation-ratio"),
    (["fit", "lloyd", "--separation-ratio", "-1"], "--separation-ratio"),
    (["fit", "lloyd", "--separation-ratio", "1.5", "--mixture", "ball"], "--separation-ratio"),
    (["fit", "lloyd", "--mixture", "uniform"], "--mixture"),
    (["fit", "lloyd", "--seed", "-1"], "--seed"),
    (["fit", "lloyd", "--max-iter", "0"], "--max-iter"),
    (["verify"], "target"),
    (["verify", "no-such-target"], "no-such-target"),
    (["verify", "missing/file.py:fit"], "does not exist"),
    (["verify", "lloyd", "--check", "no_such_check"], "--check"),
    (["verify", "lloyd", "--profile", "slow"], "--profile"),
    (["verify", "lloyd", "--seed", "-1"], "--seed"),
    (["verify", "lloyd", "--max-examples", "0"], "--max-examples"),
    (["verify", "lloyd", "--timeout", "0"], "--timeout"),
    (["verify", "lloyd", "--timeout", "inf"], "--timeout"),
    (["verify", "lloyd", "--memory-limit", "lots"], "--memory-limit"),
    (["verify", "lloyd", "--replay", "/no/such/case.json"], "replay"),
    (["verify", "lloyd", "--json", "/no/such/dir/report.json", "--check", "output_contract"], "--json"),
    (["verify", "lloyd", "--bogus"], "--bogus"),
]


@pytest.mark.parametrize("argv,name", BAD_COMMANDS, ids=[" ".join(a) for a, _ in BAD_COMMANDS])
def test_bad_command_line(argv, name, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: "), err
    assert len(err.splitlines()) == 1, err
    assert name in err


def test_bad_replay_files(tmp_path, capsys):
    not_json = tmp_path / "case.json"
    not_json.write_text("{ not json")
    not_a_case = tmp_path / "other.json"
    not_a_case.write_text('{"n": 3}')
    for path in (not_json, not_a_case):
        assert main(["verify", "lloyd", "--replay", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and len(err.splitlines()) == 1


# ------------------------------------------------------------------------------------------------
# Valid degenerate data: works, and the answer is right


def test_boolean_data_is_taken_as_zero_one():
    B = X > 5
    r = harness.kmeans(B, 2, seed=0)
    assert r.centers.dtype == np.float64
    np.testing.assert_array_equal(r.labels, harness.kmeans(B.astype(np.float64), 2, seed=0).labels)


@pytest.mark.parametrize("init", ["k-means++", "plain-k-means++", "random"])
def test_all_points_identical(init):
    data = np.full((10, 3), 5.0)
    r = harness.kmeans(data, 4, init=init, seed=0)
    assert r.converged and r.objective == 0.0
    np.testing.assert_array_equal(r.centers, np.full((4, 3), 5.0))


@pytest.mark.parametrize("init", ["k-means++", "plain-k-means++", "random"])
def test_fewer_distinct_points_than_k(init):
    data = np.array([[0.0, 0.0]] * 7 + [[1.0, 1.0]] * 3)
    r = harness.kmeans(data, 4, init=init, seed=0)
    assert r.converged and r.objective == 0.0
    # every point sits on a center; at most two clusters are non-empty
    np.testing.assert_array_equal(r.centers[r.labels], data)
    assert len(np.unique(r.labels)) == 2


@pytest.mark.parametrize(
    "dtype,exponent",
    [
        (np.float64, 515),  # ~1e155: squared distances overflow to inf without scaling
        (np.float64, 1000),  # ~1e301
        (np.float64, -515),  # ~1e-155: squared distances underflow
        (np.float64, -1000),
        (np.float32, 63),  # ~1e19
        (np.float32, 100),
        (np.float32, -63),
        (np.float32, -100),
    ],
)
def test_extreme_magnitudes_give_the_scaled_answer(dtype, exponent):
    """Lloyd on X·2^e returns exactly the centers on X times 2^e and the same labels."""
    data = X.astype(dtype)
    start = data[[0, 25]]
    scale = 2.0**exponent
    expected = harness.lloyd(data, start)
    got = harness.lloyd((data * scale).astype(dtype), (start * scale).astype(dtype))
    np.testing.assert_array_equal(got.labels, expected.labels)
    assert got.converged and got.n_iter == expected.n_iter
    np.testing.assert_array_equal(got.centers, (expected.centers.astype(np.float64) * scale).astype(dtype))
    with np.errstate(over="ignore", under="ignore"):
        assert got.objective == np.ldexp(np.float64(expected.objective), 2 * exponent)
    seeded = harness.kmeans((data * scale).astype(dtype), 2, seed=0)
    np.testing.assert_array_equal(seeded.labels, harness.kmeans(data, 2, seed=0).labels)
