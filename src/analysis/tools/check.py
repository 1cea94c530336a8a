"""`python -m analysis check <project>`: validate a project's config and raw files without running the pipeline.

Lists every problem it can find in one go: config, site sheet and codebook against their schemas, raw
folders and file names, the pseudonym key, and in every raw file each unknown header and each unknown
answer or label, with file, row and column. The same unknown value in many rows of one column is one line
naming all its rows. A problem that makes a file unreadable (or a required column missing) ends the check
of that site's remaining files; the other sites are still checked.

The raw files are checked by a dry run of the cleaning itself (`clean_site`, the code the clean stage runs):
per file, how many rows would be kept, repaired and rejected, by reason with the first row numbers. A file
that would lose more than LOSS_LIMIT of its rows to unreadable or impossible values (NOT_FORMAT aside) is a
problem: most likely a format the cleaning does not read, to be looked at before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from analysis.clean import reasons
from analysis.clean.pseudonym import load_key
from analysis.clean.site import clean_site
from analysis.core.errors import ConfigError, RawInputError
from analysis.project.loader import load_project, raw_folder_problems
from analysis.reports.messages import project_message_problems

ROWS_SHOWN = 10
LOSS_LIMIT = 0.05  # share of a file's rows whose rejection suggests a format problem
LOSS_MIN_ROWS = 3  # ...and at least so many rows: one odd row in a tiny file is listed, not a format problem
# Rejections that say nothing about the file's format: blank rows, repeated rows, answers from people the
# register does not hold (all listed per file all the same).
NOT_FORMAT = {"empty_row", "totals_row", "duplicate_registration", "duplicate_response", "respondent_not_in_register"}


@dataclass
class CheckReport:
    """What `check` found: problems (none: ready to run) and, per raw file, what the cleaning would do."""

    problems: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the reader passed over and why: worth a look


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


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "0 %"


def file_lines(summary: dict) -> list[str]:
    """What the cleaning would do with one file: a line of counts, then one indented line per reason."""
    lines = [
        f"{summary['file']}: {summary['read']} rows read; would keep {summary['kept']} "
        f"({summary['repaired']} of them repaired) and reject {summary['rejected']}"
    ]
    for kind, counts, rows in (
        ("rejected", summary["rejected_by_reason"], summary["first_rows"]["rejected"]),
        ("repaired", summary["repairs_by_rule"], summary["first_rows"]["repairs"]),
        ("flagged", summary["flags_by_flag"], summary["first_rows"]["flags"]),
    ):
        for key, n in counts.items():
            first = ", ".join(map(str, rows[key]))
            more = " ..." if n > len(rows[key]) else ""
            lines.append(f"  {kind} {n}: {key} ({reasons.text(key)}): rows {first}{more}")
    return lines


def loss_problem(summary: dict) -> str | None:
    """A problem line when a file would lose more than LOSS_LIMIT of its rows (and at least LOSS_MIN_ROWS) to
    unreadable or impossible values, else None."""
    lost = sum(n for key, n in summary["rejected_by_reason"].items() if key not in NOT_FORMAT)
    if lost < LOSS_MIN_ROWS or lost / summary["read"] <= LOSS_LIMIT:
        return None
    top = max((k for k in summary["rejected_by_reason"] if k not in NOT_FORMAT), key=summary["rejected_by_reason"].get)
    rows = ", ".join(map(str, summary["first_rows"]["rejected"][top]))
    return (
        f"{summary['file']}: would reject {lost} of {summary['read']} rows ({_share(lost, summary['read'])}, "
        f"more than {_share(LOSS_LIMIT, 1)}), most as '{top}' (rows {rows}): "
        "likely a format problem (a date style, a shifted column); look at those rows before running"
    )


def check(name: str, root: str | Path | None = None) -> CheckReport:
    """Every problem in the project's config and raw files, and a dry run of the cleaning per file."""
    report = CheckReport()
    try:
        project = load_project(name, root)
    except ConfigError as error:
        report.problems = list(error.problems)
        return report
    problems = raw_folder_problems(project) + project_message_problems(project)
    try:
        load_key(project)
    except ConfigError as error:
        problems.extend(error.problems)
    if problems:
        report.problems = problems
        return report
    found: list = []
    losses: list[str] = []
    for site in project.site_ids:
        before = len(found)
        try:
            result = clean_site(project, site, problems=found, notes=report.notes)
        except (RawInputError, ConfigError) as error:
            found.append(str(error))
            continue
        faulty = {item.file for item in found[before:] if isinstance(item, RawInputError)}
        for summary in result.quality["files"]:
            report.files += file_lines(summary)
            if summary["file"] not in faulty and (line := loss_problem(summary)):
                losses.append(line)
    report.problems = one_line_each(found) + losses
    return report


def check_project(name: str, root: str | Path | None = None, notes: list | None = None) -> list[str]:
    """Every problem found in the project's config and raw files, as one-line messages (empty: ready).

    With a `notes` list, what the reader passed over in each file and why (title rows above the header,
    sheets beside the data sheet) is listed there: not problems, but worth a look.
    """
    report = check(name, root)
    if notes is not None:
        notes.extend(report.notes)
    return report.problems


def main(name: str, root: str | None = None) -> int:
    """Print what the cleaning would do with each file, then the problems, one per line, and a summary;
    exit 1 when there are any."""
    report = check(name, root)
    problems = report.problems
    for line in report.files:
        print(line)
    for note in report.notes:
        print(f"note: {note}")
    for problem in problems:
        print(problem)
    print(
        f"check: {len(problems)} problems in project '{name}'"
        if problems
        else f"check: project '{name}' is ready to run"
    )
    return 1 if problems else 0
