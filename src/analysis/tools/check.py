"""`python -m analysis check <project>`: validate a project's config and raw files without running the pipeline.

Lists every problem it can find in one go: config, site sheet and codebook against their schemas, raw
folders and file names, the pseudonym key, and in every raw file each unknown header and each unknown
answer or label, with file, row and column. The same unknown value in many rows of one column is one line
naming all its rows. A problem that makes a file unreadable (or a required column missing) ends the check
of that site's remaining files; the other sites are still checked.
"""

from __future__ import annotations

from pathlib import Path

from analysis.clean.pseudonym import load_key
from analysis.clean.site import clean_site
from analysis.core.errors import ConfigError, RawInputError
from analysis.project.loader import load_project, raw_folder_problems
from analysis.reports.messages import project_message_problems

ROWS_SHOWN = 10


def _rows(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:ROWS_SHOWN]))
    return f"rows {shown} and {len(rows) - ROWS_SHOWN} more" if len(rows) > ROWS_SHOWN else f"rows {shown}"


def one_line_each(found: list) -> list[str]:
    """Messages in the order first found; RawInputErrors that differ only in their row become one line."""
    rows: dict[tuple, list[int]] = {}
    for item in found:
        if isinstance(item, RawInputError) and item.row is not None:
            rows.setdefault((item.file, item.column, item.detail), []).append(item.row)
    lines, done = [], set()
    for item in found:
        key = (item.file, item.column, item.detail) if isinstance(item, RawInputError) else None
        if key in done:
            continue
        if key in rows and len(rows[key]) > 1:
            done.add(key)
            column = "" if item.column is None else f", column '{item.column}'"
            lines.append(f"{item.file}, {_rows(rows[key])}{column}: {item.detail}")
        else:
            lines.append(str(item))
    return lines


def check_project(name: str, root: str | Path | None = None, notes: list | None = None) -> list[str]:
    """Every problem found in the project's config and raw files, as one-line messages (empty: ready).

    With a `notes` list, what the reader passed over in each file and why (title rows above the header,
    sheets beside the data sheet) is listed there: not problems, but worth a look.
    """
    try:
        project = load_project(name, root)
    except ConfigError as error:
        return list(error.problems)
    problems = raw_folder_problems(project) + project_message_problems(project)
    try:
        load_key(project)
    except ConfigError as error:
        problems.extend(error.problems)
    if problems:
        return problems
    found: list = []
    for site in project.site_ids:
        try:
            clean_site(project, site, problems=found, notes=notes)
        except (RawInputError, ConfigError) as error:
            found.append(str(error))
    return one_line_each(found)


def main(name: str, root: str | None = None) -> int:
    """Print the problems, one per line, and a summary; exit 1 when there are any."""
    notes: list[str] = []
    problems = check_project(name, root, notes)
    for note in notes:
        print(f"note: {note}")
    for problem in problems:
        print(problem)
    print(
        f"check: {len(problems)} problems in project '{name}'"
        if problems
        else f"check: project '{name}' is ready to run"
    )
    return 1 if problems else 0
