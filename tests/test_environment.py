"""environment.yml, for conda users, is generated from requirements.lock (scripts/conda_environment.py) and
holds every run-time package at the lock's version; the workflow's rules declare no conda environment of their
own (each job runs the interpreter Snakemake runs under, so one would never take effect)."""

from __future__ import annotations

import importlib.util
import platform
import re
import sys
import tomllib
from importlib import metadata

import yaml
from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

_spec = importlib.util.spec_from_file_location("conda_environment", REPO / "scripts" / "conda_environment.py")
conda_environment = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conda_environment)

PYTHON = conda_environment.CONDA_PYTHON
MARKERS = {"python_version": PYTHON, "python_full_version": f"{PYTHON}.0", "sys_platform": "linux", "extra": ""}
MARKERS |= {"platform_system": "Linux", "platform_machine": "x86_64", "implementation_name": "cpython"}


def _lock() -> dict[str, str]:
    """name -> version the lock installs on the environment's Python, on Linux."""
    pins = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.lstrip().startswith("#"):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(MARKERS):
                pins[canonicalize_name(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return pins


def _markered_for_other_pythons() -> set[str]:
    """Packages the lock installs only under a marker that excludes the Python running the tests."""
    here = {
        "python_version": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "python_full_version": platform.python_version(),
    }
    names = set()
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.lstrip().startswith("#"):
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate(MARKERS | here):
                names.add(canonicalize_name(requirement.name))
    return names


def _environment() -> dict:
    return yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))


def _conda_pins() -> dict[str, str]:
    """PyPI name -> version pinned in environment.yml (conda names translated back)."""
    pypi_name = {conda: pypi for pypi, conda in conda_environment.CONDA_NAMES.items()}
    pins = {}
    for dep in _environment()["dependencies"]:
        if isinstance(dep, str) and "==" in dep:
            name, version = dep.split("==")
            pins[canonicalize_name(pypi_name.get(name, name))] = version
    return pins


def test_environment_yml_is_what_the_script_generates_from_the_lock():
    assert (REPO / "environment.yml").read_text(encoding="utf-8") == conda_environment.environment_yml(), (
        "environment.yml is stale: run `make lock` (or .venv/bin/python scripts/conda_environment.py > environment.yml)"
    )


def test_every_conda_pin_is_the_locks_version():
    lock, conda = _lock(), _conda_pins()
    mismatched = {name: (version, lock.get(name)) for name, version in conda.items() if lock.get(name) != version}
    assert not mismatched, f"environment.yml and requirements.lock disagree: {mismatched}"


def test_every_runtime_dependency_and_what_it_needs_is_in_the_environment_and_no_dev_tool():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    conda = _conda_pins()
    direct = {canonicalize_name(Requirement(d).name) for d in project["dependencies"]}
    assert direct - set(conda) == set(), "run-time dependencies missing from environment.yml"
    # Closed under what the installed packages declare they need (their metadata, not the lock's notes). Only
    # the packages the lock gives this Python alone are not installed here to be asked.
    missing, not_here = {}, set()
    for name in conda:
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            not_here.add(name)
            continue
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate(MARKERS):
                if canonicalize_name(requirement.name) not in conda:
                    missing.setdefault(name, []).append(requirement.name)
    assert not missing, f"environment.yml lacks what its packages need: {missing}"
    assert not_here <= _markered_for_other_pythons(), f"not installed here: {sorted(not_here)}"
    dev_only = {"pytest", "ruff", "snakefmt", "hypothesis", "playwright", "uv", "roc-validator"}
    assert dev_only & set(conda) == set()


def test_the_conda_python_is_supported_and_the_package_is_installed_from_the_checkout():
    dependencies = _environment()["dependencies"]
    assert f"python={PYTHON}" in dependencies
    assert (3, 11) <= tuple(map(int, PYTHON.split("."))) <= (3, 13)
    assert {"pip": ["--no-deps", "-e ."]} in dependencies


def test_no_rule_declares_a_conda_environment():
    rules = [REPO / "workflow" / "Snakefile", *(REPO / "workflow" / "rules").glob("*.smk")]
    assert [p.name for p in rules if re.search(r"^\s*conda:", p.read_text(encoding="utf-8"), re.M)] == []
    assert not (REPO / "workflow" / "envs").exists()
