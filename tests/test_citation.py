"""Citable: one version everywhere (analysis.__version__), a CITATION.cff that cffconvert accepts, a changelog
entry and a licence for the version."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata

import pytest
import yaml
from conftest import REPO, need

import analysis
from analysis.__main__ import main
from analysis.reports.provenance import package_versions

CFFCONVERT = "cffconvert==2.0.0"


def test_the_version_has_one_source():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "analysis.__version__"}
    assert metadata.version("brobygning-analysis") == analysis.__version__, "reinstall: make .venv/.installed"


def test_citation_changelog_cli_and_footer_give_that_version(capsys):
    version = analysis.__version__
    assert str(yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))["version"]) == version
    assert f"\n## {version} " in (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"brobygning {version}"
    assert package_versions(["brobygning-analysis"]) == {"brobygning-analysis": version}


def test_the_licence_is_the_same_in_every_place():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert project["license"] == citation["license"] == "MIT"
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert "### Why MIT" in (REPO / "CHANGELOG.md").read_text(encoding="utf-8")


@pytest.mark.registry
def test_cffconvert_validates_citation_cff(tmp_path):
    # cffconvert 2.0.0 requires jsonschema 3, older than the pipeline's, so it runs in its own environment
    # (uv tool run, fetched from PyPI once and cached; with the system's certificates, as pip uses them).
    command = [sys.executable, "-m", "uv", "tool", "run", "--system-certs", "--python", sys.executable]
    command += ["--from", CFFCONVERT]
    command += ["cffconvert", "--validate", "--infile", str(REPO / "CITATION.cff")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0 and "Failed to fetch" in result.stderr:
        need("pypi", result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Citation metadata are valid" in result.stdout + result.stderr

    broken = tmp_path / "CITATION.cff"
    broken.write_text((REPO / "CITATION.cff").read_text(encoding="utf-8").replace("cff-version: 1.2.0", ""))
    command[-1] = str(broken)
    assert subprocess.run(command, capture_output=True, text=True, timeout=600).returncode != 0
