"""Release hygiene: one version everywhere, the typing marker and the license ship with the package."""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path

import pytest

import harness
from harness.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
installed = pytest.mark.skipif(
    harness.__version__ == "0.0.0+unknown", reason="kmeans-harness is not installed (run through tox)"
)


def _pyproject_version() -> str:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


@installed
def test_version_has_one_source(capsys):
    assert harness.__version__ == _pyproject_version()
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"kmeans-harness {harness.__version__}"


def _is_installed_wheel(dist: metadata.Distribution) -> bool:
    """True for a wheel installed normally; False for an editable install or a ``*.egg-info``."""
    if dist.read_text("WHEEL") is None:
        return False
    direct_url = dist.read_text("direct_url.json")
    return not (direct_url and json.loads(direct_url).get("dir_info", {}).get("editable"))


def test_distribution_ships_typing_marker_and_license():
    # Look past a *.egg-info in the source tree (left by building the wheel) and an editable install:
    # only a normally installed wheel (tox's ``package = wheel``) shows what the wheel ships.
    wheels = [d for d in metadata.distributions(name="kmeans-harness") if _is_installed_wheel(d)]
    if not wheels:
        pytest.skip("kmeans-harness is not installed from a wheel (run through tox)")
    dist = wheels[0]
    files = {str(f).replace("\\", "/") for f in dist.files or ()}
    assert "harness/py.typed" in files
    assert dist.metadata["License-Expression"] == "BSD-3-Clause"
    assert any(f.endswith("LICENSE") for f in files)


def test_source_tree_has_release_files():
    assert (ROOT / "harness" / "py.typed").is_file()
    assert "BSD 3-Clause License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {_pyproject_version()} - " in changelog, "CHANGELOG.md has no section for the current version"
