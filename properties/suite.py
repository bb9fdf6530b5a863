"""The registry of named checks and the Hypothesis settings profiles of the suite.

``CHECKS`` maps a snake_case name to ``check_<name>(case, fit, runner)``; the CLI, the pytest
plugin and ``parametrize_with_checks`` all iterate over it.  :func:`checks_for` gives the checks a
target's kind runs: ``KMEANS_CHECKS`` for a k-means target, ``SEEDING_CHECKS`` for a seeding target
(each check of the other kind is not applicable to it).
"""

from __future__ import annotations

import functools

from hypothesis import HealthCheck, Phase, settings

from harness.config import HYPOTHESIS_PROFILES, PROFILE_EXAMPLES
from harness.errors import NotApplicable
from properties import checks, robustness, seeding_checks, structure_checks
from properties.metamorphic import RELATIONS, make_relation_check


def _only_for_kmeans(check):
    """``check`` made not applicable to a seeding target, before it reads its fit (so a seeding
    function is never called as a k-means one); its attributes (``cases``, ...) are kept."""

    @functools.wraps(check)
    def guarded(case, fit, runner):
        if getattr(runner.target, "kind", "kmeans") != "kmeans":
            raise NotApplicable(f"a check of k-means targets; this target is kind={runner.target.kind!r}")
        return check(case, fit, runner)

    return guarded


_KMEANS_CHECKS = {
    "output_contract": checks.check_output_contract,
    "fixed_point": checks.check_fixed_point,
    "objective_not_worse_than_init": checks.check_objective_not_worse_than_init,
    "respects_init": checks.check_respects_init,
    "deterministic": robustness.check_deterministic,
    **{name: make_relation_check(name) for name in RELATIONS},
    "partition_structure": structure_checks.check_partition_structure,
    "truth_is_global_minimum": structure_checks.check_truth_is_global_minimum,
    "far_from_origin": robustness.check_far_from_origin,
    "layout_invariance": robustness.check_layout_invariance,
}
KMEANS_CHECKS = {name: _only_for_kmeans(check) for name, check in _KMEANS_CHECKS.items()}

SEEDING_CHECKS = {
    "seeding_contract": seeding_checks.check_seeding_contract,
    "seeding_distribution": seeding_checks.check_seeding_distribution,
}

CHECKS = {**KMEANS_CHECKS, **SEEDING_CHECKS}


def checks_for(target) -> list[str]:
    """The names of the checks ``target`` (a declaration with a ``kind``) runs by default."""
    return list(SEEDING_CHECKS if getattr(target, "kind", "kmeans") == "seeding" else KMEANS_CHECKS)


def register_profiles() -> None:
    """Register ``kmeans-harness-quick|default|thorough`` (never touching the user's default)."""
    for profile, name in HYPOTHESIS_PROFILES.items():
        settings.register_profile(
            name,
            max_examples=PROFILE_EXAMPLES[profile],
            deadline=None,
            database=None,
            derandomize=profile != "thorough",
            report_multiple_bugs=False,
            print_blob=False,
            suppress_health_check=list(HealthCheck),
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
        )


def profile_settings(profile: str) -> settings:
    if profile not in HYPOTHESIS_PROFILES:
        raise ValueError(f"profile: expected one of {sorted(HYPOTHESIS_PROFILES)}, got {profile!r}")
    register_profiles()
    return settings.get_profile(HYPOTHESIS_PROFILES[profile])


register_profiles()
