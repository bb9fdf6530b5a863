"""The pytest plugin, run as a user would: from a separate directory, on a target file."""

import os
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _pytest(args, cwd):
    env = dict(os.environ, KMEANS_HARNESS_PROFILE="quick")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_pyargs_runs_one_item_per_check_and_target(tmp_path):
    good = os.path.join(HERE, "zoo", "correct.py") + ":lloyd_numpy"
    bad = os.path.join(HERE, "zoo", "broken.py") + ":shuffled_labels"
    args = ["--pyargs", "properties", "--kmeans-target", good, "--kmeans-target", bad, "-k", "fixed_point", "-rf"]
    out = _pytest(args, tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 failed, 1 passed" in out.stdout, out.stdout
    assert "shuffled_labels-fixed_point" in out.stdout and "minimal case" in out.stdout


def test_parametrize_with_checks_in_a_users_test_file(tmp_path):
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {os.path.dirname(HERE)!r})
            from properties import parametrize_with_checks
            from tests.zoo.broken import frozen_center
            from tests.zoo.correct import lloyd_numpy

            @parametrize_with_checks(
                [lloyd_numpy, frozen_center],
                expected_failed_checks={{}},
            )
            def test_kmeans(target, check):
                check(target)
            """
        )
    )
    out = _pytest(["test_user.py", "-k", "fixed_point"], tmp_path)
    # one item per (target, check): lloyd_numpy passes fixed_point, frozen_center fails it
    assert "1 failed, 1 passed" in out.stdout, out.stdout + out.stderr


def test_expected_failed_checks_must_say_why():
    from properties import parametrize_with_checks

    with pytest.raises(ValueError, match="reason"):
        parametrize_with_checks(["lloyd"], expected_failed_checks={"fixed_point": ""})
    with pytest.raises(ValueError, match="unknown check"):
        parametrize_with_checks(["lloyd"], expected_failed_checks={"no_such_check": "because"})


def test_without_a_target_the_run_fails_and_says_why(tmp_path):
    out = _pytest(["--pyargs", "properties", "-rf"], tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "no-target" in out.stdout and "pass --kmeans-target SPEC" in out.stdout
