"""Each job's code inputs are the modules it imports: an edit reruns the stage it is in and what follows,
and an edit to a tool no job imports reruns nothing.

The workflow runs once on a two-site project inside a scratch copy of the checkout's code (src/, workflow/,
notebooks/), so that the test can edit modules without touching the checkout; then each edit is followed by
a dry run, and undone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mini_project import REPO, make_project

pytestmark = pytest.mark.e2e

PROJECT = "e2e-code"
SITES = ["assens", "jammerbugt"]
REPORTS = {"reports_1", "all"}  # two sites: one report batch, which renders the summary and index too
STAGE_RULES = {
    "clean": {"clean_sites_1", "pool", "retention", "key_figures"} | REPORTS,
    "pool": {"pool", "retention", "key_figures"} | REPORTS,
    "retention": {"retention", "key_figures"} | REPORTS,
    "reports": REPORTS,  # a figure: the pages only
    "reports and key figures": {"key_figures"} | REPORTS,  # the catalogue: key_figures.csv holds its markers
}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A scratch checkout (code, workflow with its profiles, notebooks) with a two-site project, run to the end."""
    root = tmp_path_factory.mktemp("checkout")
    for folder in ("src", "workflow", "notebooks"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    make_project(root, PROJECT, SITES, scale=0.1)
    run(root)
    return root


def run(root: Path, *args: str) -> str:
    command = [sys.executable, "-m", "snakemake", "-s", str(root / "workflow" / "Snakefile"), "--directory", str(root)]
    command += ["--cores", "2", *args, "--config", f"project={PROJECT}", "clean_batch_size=2", "report_batch_size=2"]
    env = os.environ | {"PYTHONPATH": str(root / "src")}  # snakemake and the kernels import the scratch copy
    result = subprocess.run(command, capture_output=True, text=True, cwd=root, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def planned_rules(root: Path, module: str) -> set[str]:
    """The rules a dry run plans after a comment is appended to `module` (a path under src/analysis/)."""
    path = root / "src" / "analysis" / module
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n# an edit\n")
        plan = run(root, "--dry-run", "--quiet", "rules")
    finally:
        path.write_bytes(original)
    return set(re.findall(r"^(\w+)\s+\d+$", plan, re.MULTILINE)) - {"total"}


def test_a_rerun_with_nothing_edited_plans_nothing(checkout):
    assert "Nothing to be done" in run(checkout, "--dry-run")


@pytest.mark.parametrize(
    "module",
    [
        "tools/init.py",
        "tools/check.py",
        "tools/audit.py",
        "tools/browser.py",
        "simulation/simulate.py",
        "bench/floor.py",
    ],
)
def test_an_edit_to_a_tool_reruns_nothing(checkout, module):
    assert planned_rules(checkout, module) == set()


@pytest.mark.parametrize(
    ("module", "stage"),
    [
        ("read/dates.py", "clean"),
        ("clean/register.py", "clean"),
        ("pool/combine.py", "pool"),
        ("retention/km.py", "retention"),
        ("reports/figures.py", "reports"),
        ("reports/messages/da.yaml", "reports and key figures"),
    ],
)
def test_an_edit_in_a_stage_reruns_that_stage_and_what_follows(checkout, module, stage):
    assert planned_rules(checkout, module) == STAGE_RULES[stage]
