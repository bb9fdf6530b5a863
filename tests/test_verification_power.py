"""Verification power, measured on the zoo: every broken target fails the check that should catch
it, and every correct target passes the core checks (quick profile, fixed seed).

The full matrix (every zoo target × every check) is printed by ``python -m tests.zoo.measure``.
"""

import pytest

from harness.targets.loader import load_target
from properties.engine import run_check

ZOO = "tests/zoo/{}.py:{}"

#: broken target -> the checks expected to catch it (any one failing is a catch)
BROKEN = {
    "wrong_update": ["fixed_point"],
    "wrong_update_shrink": ["fixed_point"],
    "wrong_distance": ["fixed_point"],
    "early_stop": ["fixed_point"],
    "stale_labels": ["fixed_point"],
    "loose_tolerance": ["fixed_point"],
    "absolute_tolerance": ["fixed_point"],
    "shuffled_labels": ["fixed_point"],
    "relabel_bug": ["fixed_point"],
    "ties_bug": ["fixed_point"],
    "nan_on_empty": ["output_contract"],
    "wrong_shapes": ["output_contract"],
    "empty_cluster_reinit_bug": ["fixed_point"],
    "frozen_center": ["fixed_point"],
    "input_mutation": ["output_contract"],
    "ignores_init": ["respects_init"],
    "ignores_seed": ["deterministic"],
    "float32_accumulation_bug": ["fixed_point"],
    "far_from_origin_bug": ["fixed_point"],
    "scale_bug": ["fixed_point"],
    "n_close_to_k_bug": ["fixed_point"],
    "degenerate_k1_bug": ["fixed_point"],
    "degenerate_d1_bug": ["output_contract"],
    "duplicate_points_bug": ["fixed_point"],
    "label_roundtrip_bug": ["fixed_point"],
    "high_dim_bug": ["fixed_point"],
    "init_mutation": ["output_contract"],
    # issue 19's blind spots
    "layout_bug": ["layout_invariance"],
    "hash_seeded": ["deterministic"],
    "degenerate_shortcut": ["fixed_point"],
    "float32_expansion_far": ["far_from_origin"],
}

#: wrong seeding targets (tests/zoo/seeding.py) -> the check expected to catch them
BROKEN_SEEDINGS = {
    "proportional_to_distance": "seeding_distribution",
    "first_row_fixed": "seeding_distribution",
    "farthest_point": "seeding_distribution",
    "uniform_rows": "seeding_distribution",
}
CORRECT_SEEDINGS = [
    "tests/zoo/seeding.py:correct_plain",
    "harness.targets.seeding_targets:plain_kmeans_plusplus",
    "harness.targets.seeding_targets:greedy_kmeans_plusplus",
    "harness.targets.seeding_targets:random_rows",
]
SEEDING_CHECKS = ["seeding_contract", "seeding_distribution"]

CORRECT = ["lloyd_numpy", "lloyd_expansion", "lloyd_float32", "lloyd_elkan_like", "lloyd_relocate", "sklearn_wrapper"]
CORE_CHECKS = [
    "output_contract",
    "fixed_point",
    "objective_not_worse_than_init",
    "respects_init",
    "deterministic",
    "far_from_origin",
    "layout_invariance",
]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_target_is_caught(name):
    # by spec, so that the deterministic check can load it in fresh interpreters
    results = [run_check(ZOO.format("broken", name), check, profile="quick", seed=0) for check in BROKEN[name]]
    caught = [r for r in results if not r.passed]
    assert caught, f"{name} passed {BROKEN[name]}"
    r = caught[0]
    assert r.case is not None and r.message  # a readable minimal case comes with the failure


@pytest.mark.parametrize(("name", "what"), [("input_mutation", "X"), ("init_mutation", "init")])
def test_modified_input_is_named(name, what):
    r = run_check(load_target(ZOO.format("broken", name)), "output_contract", profile="quick", seed=0)
    assert r.status == "fail"
    assert f"modified its input {what} in place" in r.message


def test_honest_early_stop_is_not_converged():
    r = run_check(load_target(ZOO.format("broken", "early_stop_honest")), "fixed_point", profile="quick", seed=0)
    assert r.status == "not-converged"


@pytest.mark.parametrize("name", CORRECT)
@pytest.mark.parametrize("check", CORE_CHECKS)
def test_correct_target_passes(name, check):
    r = run_check(load_target(ZOO.format("correct", name)), check, profile="quick", seed=0)
    assert r.passed, f"false alarm on correct target {name}: {r.status}: {r.message}"


def test_broken_target_shrinks_to_a_small_case():
    # generated cases only: the explicit corner cases are reported as written, not shrunk
    target = load_target(ZOO.format("broken", "wrong_update"))
    r = run_check(target, "fixed_point", profile="quick", seed=1, explicit_cases=False)
    assert not r.passed
    assert r.case["n"] <= 40 and len(r.case["mixture"]["centers"]) <= 3


@pytest.mark.parametrize("name", sorted(BROKEN_SEEDINGS))
def test_wrong_seeding_is_caught(name):
    r = run_check(ZOO.format("seeding", name), BROKEN_SEEDINGS[name], profile="quick", seed=0)
    assert r.status == "fail", f"{name}: {r.status} {r.message}"
    assert r.case is not None and "do not follow" in r.message


@pytest.mark.parametrize("spec", CORRECT_SEEDINGS)
@pytest.mark.parametrize("check", SEEDING_CHECKS)
def test_correct_seeding_passes(spec, check):
    r = run_check(spec, check, profile="quick", seed=0)
    assert r.status == "pass", f"false alarm on correct seeding {spec}: {r.status}: {r.message}"


def test_uncentered_expansion_message_names_the_fix():
    r = run_check(ZOO.format("broken", "float32_expansion_far"), "far_from_origin", profile="quick", seed=0)
    assert r.status == "fail"
    assert "uncentered data" in r.message and "subtract the data mean" in r.message
