"""The code, notebooks and workflow stay lint-clean, and notebooks are committed without outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "src", "tests", "notebooks", "scripts"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_leaves_everything_as_it_is():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "src", "tests", "notebooks", "scripts"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakefmt_leaves_the_workflow_as_it_is():
    snakefmt = Path(sys.executable).with_name("snakefmt")
    result = subprocess.run(
        [str(snakefmt), "--check", "--line-length", "120", "workflow/"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_lint_runs_the_same_checks():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    for command in ("ruff check", "ruff format --check", "snakefmt --check --line-length 120 workflow/", "--lint"):
        assert command in lint


def test_snakemake_lint_is_clean():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0 and "Congratulations" in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_stripped_and_have_a_parameters_cell(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "outputs not stripped"
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code)


def test_there_are_pipeline_notebooks():
    assert [p.name for p in NOTEBOOKS][:1] == ["10_clean.ipynb"]
