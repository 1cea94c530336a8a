"""The conda environment pins the same versions as the lock file the README's commands install."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import REPO


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "==" in dep:
            name, version = dep.split("==")
            pins[name.lower()] = version
    return pins


def test_every_conda_pin_matches_the_lock_file():
    lock, conda = _lock(), _conda_pins()
    mismatched = {name: (version, lock.get(name)) for name, version in conda.items() if lock.get(name) != version}
    assert not mismatched, f"environment.yml and requirements.lock disagree: {mismatched}"


def test_every_direct_dependency_is_pinned_in_both():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=\[ ]", d)[0].lower() for d in direct}
    lock, conda = _lock(), _conda_pins()
    assert names - set(lock) == set(), "direct dependencies missing from requirements.lock"
    assert names - set(conda) == set(), "direct dependencies missing from environment.yml"


def test_conda_python_is_the_supported_version():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
