"""Shared test helpers: the repository root and a copy of the default project's config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PROJECT = "motion-paa-recept"
DEFAULT_PROJECT_DIR = REPO / "config" / "projects" / DEFAULT_PROJECT


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    """A scratch project root holding a copy of the default project's config (no raw data)."""
    shutil.copytree(REPO / "config" / "projects" / DEFAULT_PROJECT, tmp_path / "config" / "projects" / DEFAULT_PROJECT)
    return tmp_path


@pytest.fixture
def site_root(project_root: Path) -> Path:
    """The scratch project root with an empty raw folder for every site of the site sheet."""
    raw = project_root / "data" / "raw" / DEFAULT_PROJECT
    sheet = (project_root / "config" / "projects" / DEFAULT_PROJECT / "sites.tsv").read_text(encoding="utf-8")
    for line in sheet.splitlines()[1:]:
        (raw / line.split("\t")[0]).mkdir(parents=True)
    return project_root
