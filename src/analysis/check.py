"""`python -m analysis check <project>`: validate a project's config and raw files without running the pipeline.

Lists every problem it can find in one go: config, site sheet and codebook against their schemas, raw
folders and file names, the pseudonym key, and in every raw file each unknown header and each unknown
answer or label, with file, row and column. A problem that makes a file unreadable (or a required column
missing) ends the check of that site's remaining files; the other sites are still checked.
"""

from __future__ import annotations

from pathlib import Path

from .clean import clean_site
from .errors import ConfigError, RawInputError
from .project import load_project, raw_folder_problems
from .pseudonym import load_key


def check_project(name: str, root: str | Path | None = None) -> list[str]:
    """Every problem found in the project's config and raw files, as one-line messages (empty: ready)."""
    try:
        project = load_project(name, root)
    except ConfigError as error:
        return list(error.problems)
    problems = raw_folder_problems(project)
    try:
        load_key(project)
    except ConfigError as error:
        problems.extend(error.problems)
    if problems:
        return problems
    for site in project.site_ids:
        try:
            clean_site(project, site, problems=problems)
        except (RawInputError, ConfigError) as error:
            problems.append(str(error))
    return problems


def main(name: str, root: str | None = None) -> int:
    """Print the problems, one per line, and a summary; exit 1 when there are any."""
    problems = check_project(name, root)
    for problem in problems:
        print(problem)
    print(f"check: {len(problems)} problems in project '{name}'" if problems else
          f"check: project '{name}' is ready to run")
    return 1 if problems else 0
