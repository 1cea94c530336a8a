"""The conda environments are generated from requirements.lock (scripts/conda_environment.py) and hold every
run-time package at the lock's version: environment.yml for users, workflow/envs/brobygning.yaml for the rules.
Under `--software-deployment-method conda` each job really runs in its rule's environment: its command calls
the environment's `python` and native kernel, not the interpreter Snakemake runs under.

Not tested here: solving the environments on conda-forge (this machine has neither conda nor that channel);
the dry run uses a stand-in `conda` that only answers Snakemake's questions about itself."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest
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


@pytest.mark.parametrize(("name", "rules"), [("environment.yml", False), ("workflow/envs/brobygning.yaml", True)])
def test_the_conda_files_are_what_the_script_generates_from_the_lock(name, rules):
    assert (REPO / name).read_text(encoding="utf-8") == conda_environment.environment_yml(rules=rules), (
        f"{name} is stale: run `make lock`"
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


def _shell_commands(*flags: str, path: str = "") -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-p", "--forceall", *flags],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=os.environ | {"PATH": f"{path}{os.environ['PATH']}"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return [line for line in result.stdout.splitlines() if "analysis." in line and "PYTHONPATH" in line]


def test_every_rule_declares_the_generated_environment():
    rules = [REPO / "workflow" / "Snakefile", *(REPO / "workflow" / "rules").glob("*.smk")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in rules)
    declared = re.findall(r"conda:\n\s+\"(.+?)\"", text)
    assert declared and set(declared) == {"../envs/brobygning.yaml"}
    assert len(declared) == len(re.findall(r"^\s*shell:", text, re.M)), "a rule with a shell command lacks conda:"


def test_under_sdm_conda_jobs_call_the_environments_python_and_kernel(tmp_path):
    conda = tmp_path / "conda"
    info = json.dumps(
        {"conda_version": "25.1.0", "conda_prefix": str(tmp_path), "envs_dirs": [str(tmp_path)], "platform": "linux-64"}
    )
    channel = json.dumps({"get": {"channel_priority": "strict"}})
    conda.write_text(
        "#!/bin/sh\n# Stand-in for conda in a dry run: answers what Snakemake asks about conda itself, nothing else.\n"
        f"case \"$1\" in\n  --version) echo 'conda 25.1.0' ;;\n  info) echo '{info}' ;;\n"
        f"  config) echo '{channel}' ;;\n  *) exit 1 ;;\nesac\n",
        encoding="utf-8",
    )
    conda.chmod(0o755)
    in_conda = _shell_commands("--sdm", "conda", path=f"{tmp_path}:")
    assert in_conda and all(" python -m analysis." in c and sys.executable not in c for c in in_conda)
    assert all("--kernel python3" in c for c in in_conda if "run_notebook" in c)
    in_venv = _shell_commands()
    assert len(in_venv) == len(in_conda)
    assert all(f"{sys.executable} -m analysis." in c for c in in_venv)
    assert all("--kernel brobygning" in c for c in in_venv if "run_notebook" in c)
