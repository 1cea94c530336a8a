"""The conda environment pins the same versions as the lock file the README's commands install."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from conftest import REPO


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


CONDA_FILES = ["environment.yml", "workflow/envs/brobygning.yaml"]


def _conda_pins(name: str = "environment.yml") -> dict[str, str]:
    env = yaml.safe_load((REPO / name).read_text())
    pins = {}
    for dep in env["dependencies"]:
        # a package conda-forge lacks is pinned in the pip list beside it
        for item in dep.get("pip", []) if isinstance(dep, dict) else [dep]:
            if "==" in item:
                name, version = item.split("#")[0].strip().split("==")
                pins[name.lower()] = version
    return pins


@pytest.mark.parametrize("name", CONDA_FILES)
def test_every_conda_pin_matches_the_lock_file(name):
    lock, conda = _lock(), _conda_pins(name)
    mismatched = {name: (version, lock.get(name)) for name, version in conda.items() if lock.get(name) != version}
    assert not mismatched, f"{name} and requirements.lock disagree: {mismatched}"


@pytest.mark.parametrize("name", CONDA_FILES)
def test_every_direct_dependency_is_pinned_in_both(name):
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=\[ ]", d)[0].lower() for d in direct}
    lock, conda = _lock(), _conda_pins(name)
    assert names - set(lock) == set(), "direct dependencies missing from requirements.lock"
    assert names - set(conda) == set(), f"direct dependencies missing from {name}"


def test_conda_python_is_the_supported_version():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
