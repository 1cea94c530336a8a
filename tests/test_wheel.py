"""The wheel is a package that works outside the checkout: it holds every data file beside the code (schemas,
message catalogues, templates, style), and installed into a fresh virtual environment in a scratch folder its
`brobygning check` (and `python -m analysis check`) validates a project's config and raw files.

The fresh environment gets the wheel itself from pip; the wheel's dependencies are borrowed from the test's
environment by a path entry (installing the whole lock again would take minutes), and the test confirms they
satisfy every run-time requirement the wheel declares. The checkout is not on its path: `analysis` must come
from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import DEFAULT_PROJECT, REPO

import analysis

SOURCE_FILES = ["pyproject.toml", "README.md", "LICENSE"]
# Run in the fresh environment: the wheel's run-time requirements that no installed distribution satisfies.
UNMET_REQUIREMENTS = """
from importlib import metadata
from packaging.requirements import Requirement
unmet = []
for text in metadata.requires("brobygning-analysis"):
    requirement = Requirement(text)
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
        continue
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        version = None
    if version is None or not requirement.specifier.contains(version, prereleases=True):
        unmet.append(text)
print(unmet)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the sources (the build leaves nothing in the checkout)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in SOURCE_FILES:
        shutil.copy2(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet"]
        + ["--wheel-dir", str(work / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = (work / "dist").glob("brobygning_analysis-*.whl")
    return built


def test_the_wheel_holds_every_file_of_the_package_and_its_metadata(wheel):
    package = REPO / "src" / "analysis"
    tracked = subprocess.run(
        ["git", "ls-files", "src/analysis"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    expected = {f"analysis/{Path(p).relative_to('src/analysis').as_posix()}" for p in tracked}
    assert any(not name.endswith(".py") for name in expected), "no data files found to check"
    names = set(zipfile.ZipFile(wheel).namelist())
    assert expected - names == set(), "files of src/analysis missing from the wheel"
    assert {n for n in names if n.startswith("analysis/")} - expected == set(), "files in the wheel not in git"
    assert (package / "project" / "schemas" / "config.schema.yaml").is_file()
    dist_info = next(n for n in names if n.endswith(".dist-info/METADATA"))
    meta = zipfile.ZipFile(wheel).read(dist_info).decode()
    assert f"Version: {analysis.__version__}" in meta
    assert "License-Expression: MIT" in meta
    assert "Requires-Python: <3.14,>=3.11.2" in meta or "Requires-Python: >=3.11.2,<3.14" in meta
    entry_points = zipfile.ZipFile(wheel).read(dist_info.replace("METADATA", "entry_points.txt")).decode()
    assert "brobygning = analysis.__main__:main" in entry_points


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory, wheel) -> Path:
    """A new virtual environment outside the checkout with the wheel installed; returns its folder."""
    env = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    python = env / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # Dependencies from this environment; .pth files found there (the editable install of the checkout) are
    # not processed for a directory added this way.
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "borrowed-dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet"]
        + [str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env


def _env_run(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, env=clean, timeout=600)


def test_the_installed_wheel_is_used_and_its_dependencies_are_satisfied(fresh_env, tmp_path):
    python = str(fresh_env / "bin" / "python")
    where = _env_run(fresh_env, python, "-c", "import analysis; print(analysis.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(fresh_env), where.stdout + where.stderr
    check = _env_run(fresh_env, python, "-c", UNMET_REQUIREMENTS, cwd=tmp_path)
    assert check.returncode == 0 and check.stdout.strip() == "[]", check.stdout + check.stderr
    version = _env_run(fresh_env, str(fresh_env / "bin" / "brobygning"), "--version", cwd=tmp_path)
    assert version.stdout.strip() == f"brobygning {analysis.__version__}"


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    """A project root outside the checkout: the default project's config and raw data."""
    root = tmp_path_factory.mktemp("outside")
    shutil.copytree(REPO / "config" / "projects" / DEFAULT_PROJECT, root / "config" / "projects" / DEFAULT_PROJECT)
    shutil.copytree(REPO / "data" / "raw" / DEFAULT_PROJECT, root / "data" / "raw" / DEFAULT_PROJECT)
    return root


def test_brobygning_check_from_the_wheel_validates_a_project(fresh_env, project_copy):
    result = _env_run(fresh_env, str(fresh_env / "bin" / "brobygning"), "check", DEFAULT_PROJECT, cwd=project_copy)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == f"check: project '{DEFAULT_PROJECT}' is ready to run"


def test_a_config_error_is_found_by_the_wheels_schemas(fresh_env, project_copy, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(project_copy / "config", broken / "config")
    config = broken / "config" / "projects" / DEFAULT_PROJECT / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("followup_months: 12", "followup_months: twelve"))
    python = str(fresh_env / "bin" / "python")
    result = _env_run(fresh_env, python, "-m", "analysis", "check", DEFAULT_PROJECT, cwd=broken)
    assert result.returncode == 1
    assert "followup_months" in result.stdout + result.stderr
