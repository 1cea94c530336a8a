"""No code path knows a project: the package and the workflow never mention any project by name.

A new evaluation must need config and raw data only (issue 5). Project names are the folders under
config/projects/, so a project added later is covered too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

PROJECTS = sorted(p.name for p in (REPO / "config" / "projects").iterdir() if p.is_dir())
CODE = sorted(
    [
        *(REPO / "src").rglob("*.py"),
        *(REPO / "src").rglob("*.yaml"),
        *(REPO / "src").rglob("*.j2"),
        *(p for p in (REPO / "workflow").rglob("*") if p.is_file()),
    ]
)


def test_there_are_at_least_two_projects_to_look_for():
    assert {"motion-paa-recept", "kbh-udslusning"} <= set(PROJECTS)
    assert len(CODE) > 40


@pytest.mark.parametrize("project", PROJECTS)
def test_no_module_or_workflow_file_names_the_project(project):
    naming = [
        str(path.relative_to(REPO))
        for path in CODE
        if project in Path(path).read_text(encoding="utf-8", errors="replace")
    ]
    assert not naming, f"{project} is named in {naming}: a project must be config and raw data only"
