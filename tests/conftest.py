"""Shared test helpers: the repository root, a copy of the default project's config, and one run of the
end-to-end project that several test files compare against."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PROJECT = "motion-paa-recept"
DEFAULT_PROJECT_DIR = REPO / "config" / "projects" / DEFAULT_PROJECT
TEST_KEY = "3f9c2a7be41d8605f7a9c3e12b8d4f60"  # the key of hand-made test projects: 32 hex digits, 128 bits


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    """A scratch project root holding a copy of the default project's config (no raw data) and a project key.

    Its raw files are written by hand, not by the simulator, so the config's public demo key would be
    refused: like a real project, it has a key file (TEST_KEY, 128 bits in hex).
    """
    shutil.copytree(REPO / "config" / "projects" / DEFAULT_PROJECT, tmp_path / "config" / "projects" / DEFAULT_PROJECT)
    (tmp_path / "config" / "projects" / DEFAULT_PROJECT / "pseudonym.key").write_text(TEST_KEY + "\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def site_root(project_root: Path) -> Path:
    """The scratch project root with an empty raw folder for every site of the site sheet."""
    raw = project_root / "data" / "raw" / DEFAULT_PROJECT
    sheet = (project_root / "config" / "projects" / DEFAULT_PROJECT / "sites.tsv").read_text(encoding="utf-8")
    for line in sheet.splitlines()[1:]:
        (raw / line.split("\t")[0]).mkdir(parents=True)
    return project_root


@pytest.fixture(scope="session")
def workflow_root(tmp_path_factory) -> Path:
    """The e2e-mini project (tests/mini_project.py) after one local run of the whole workflow."""
    from mini_project import make_project, run_snakemake

    root = tmp_path_factory.mktemp("e2e")
    make_project(root)
    run_snakemake(root)
    return root
