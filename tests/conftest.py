"""Shared test helpers: the repository root, a copy of the default project's config, one run of the
end-to-end project that several test files compare against, and what to do when a test needs something
this machine lacks (`need`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# One BLAS thread per test process (before numpy is first imported): on two cores, a thread per core in each
# of several processes slowed model fits many times over. The workflow's jobs do the same (common.smk).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

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


# What some tests need beyond the venv, and the one command that provides it. Outside CI a test lacking one is
# skipped, and the end of the run lists every such skip with that command; on CI (CI=true, where `make test`
# installs them first) a lacking one fails the test.
NEEDS = {
    "chromium": ("Chromium", "make browser   (root: apt-get install chromium; otherwise playwright install chromium)"),
    "slurm": ("a local SLURM cluster", "sudo make slurm, then make test as root   (slurmd must run as root)"),
    "pypi": ("network access to PyPI", "make test where https://pypi.org is reachable"),
    "r": (
        "R with survival and sandwich",
        "sudo make r   (apt-get install r-base-core r-cran-survival r-cran-sandwich)",
    ),
}
NEED_PREFIX = "needs "


def need(what: str, reason: str) -> None:
    """Skip this test (fail it on CI) because `what` (a key of NEEDS) is missing, saying why in one line."""
    label, _ = NEEDS[what]
    message = f"{NEED_PREFIX}{label}: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (on CI nothing may be skipped)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium the report checks use (analysis.tools.browser.find_chromium); a missing one: `need`."""
    from analysis.tools.browser import find_chromium

    found = find_chromium()
    if found is None:
        need("chromium", "none in Playwright's browsers, on the system or from Google Chrome")
    return found


def pytest_terminal_summary(terminalreporter) -> None:
    """After the run: every test skipped for want of something in NEEDS, grouped, with the command to get it."""
    wanting: dict[str, list[str]] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        for what, (label, _) in NEEDS.items():
            if reason.startswith(f"{NEED_PREFIX}{label}:"):
                wanting.setdefault(what, []).append(report.nodeid)
    if not wanting:
        return
    terminalreporter.section("skipped: what this machine lacks, and the command that enables it", yellow=True)
    for what, tests in wanting.items():
        label, command = NEEDS[what]
        terminalreporter.line(f"{len(tests):4d} tests need {label}: {command}")
