"""Shared test helpers: the repository root and a copy of the default project's config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PROJECT = "motion-paa-recept"


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    """A scratch project root holding a copy of the default project's config (no raw data)."""
    shutil.copytree(REPO / "config" / "projects" / DEFAULT_PROJECT, tmp_path / "config" / "projects" / DEFAULT_PROJECT)
    return tmp_path
