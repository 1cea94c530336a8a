"""Exports shaped as evaluators really receive them (tests/export_shapes.py) through `check` and the clean stage.

For every readable shape: `check` finds no problem and names what it passed over (title rows, other
sheets); the clean stage reads, keeps and rejects exactly the declared rows, kept + rejected == read for
every file, and the kept values are the days and scores the file means. An unreadable shape gives one
line naming the file (and row) from `check` and stops the clean stage with the same message.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date

import pandas as pd
import pytest
import yaml
from conftest import DEFAULT_PROJECT
from export_shapes import SHAPES, Shape, hand_kept_register, write_shape

from analysis.clean.site import clean_site
from analysis.core.errors import RawInputError
from analysis.project.loader import load_project
from analysis.tools.check import check_project

SITE = "assens"


def _one_site(root):
    """The project in `root` cut down to one site (whose answers are read as labels)."""
    config_dir = root / "config" / "projects" / DEFAULT_PROJECT
    lines = (config_dir / "sites.tsv").read_text(encoding="utf-8").splitlines()
    (config_dir / "sites.tsv").write_text(
        "\n".join([lines[0], *(x for x in lines[1:] if x.split("\t")[0] == SITE)]) + "\n", encoding="utf-8"
    )
    config = yaml.safe_load((config_dir / "config.yaml").read_text(encoding="utf-8"))
    config["subsidy_rules"] = {SITE: config["subsidy_rules"][SITE]}
    (config_dir / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    folder = root / "data" / "raw" / DEFAULT_PROJECT / SITE
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _plain(values) -> list:
    """Values of a table column as plain sortable Python (dates as dates, missing as None, last)."""
    out = []
    for v in values:
        if pd.isna(v):
            out.append(None)
        elif isinstance(v, pd.Timestamp):
            out.append(v.date())
        elif isinstance(v, date):
            out.append(v)
        else:
            out.append(int(v) if float(v).is_integer() else v)
    return sorted(out, key=lambda v: (v is None, v if v is not None else 0))


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_each_export_shape_is_checked_and_cleaned_as_declared(shape: Shape, project_root):
    write_shape(shape, _one_site(project_root))
    file = f"data/raw/{DEFAULT_PROJECT}/{SITE}/{shape.file}"
    notes: list[str] = []
    problems = check_project(DEFAULT_PROJECT, project_root, notes)
    project = load_project(DEFAULT_PROJECT, project_root)
    if shape.error is not None:
        assert len(problems) == 1 and "\n" not in problems[0], problems
        where = f"{file}, row {shape.row}" if shape.row else file
        assert problems[0].startswith(where) and shape.error in problems[0], problems
        with pytest.raises(RawInputError) as caught:
            clean_site(project, SITE)
        assert str(caught.value) == problems[0]
        return
    assert problems == []
    for text in shape.notes:
        assert any(n.startswith(f"{file}: ") and text in n for n in notes), notes
    result = clean_site(project, SITE)
    for tally in result.ledger.files.values():
        assert tally.kept + tally.rejected == tally.read, tally
    tally = result.ledger.files[file]
    assert (tally.read, tally.kept, tally.rejected) == (shape.read, shape.kept, shape.rejected)
    rejected = result.ledger.rejected_frame().query("file == @file")
    reasons = Counter(rejected["reason"])
    assert {r: reasons[r] for r in shape.reasons} == shape.reasons, reasons
    for row, column in shape.rejected_rows.items():
        assert rejected.loc[rejected["row"] == row, "column"].tolist() == [column], rejected
    tables = {"participants": result.participants, "responses": result.responses}
    for where, values in shape.values.items():
        table, column = where.split(".")
        assert _plain(tables[table][column]) == _plain(values), where


def test_the_hand_kept_register_has_its_header_in_row_4_and_totals_below(project_root):
    """The rows the ledger names are the spreadsheet's: blank row 9, totals rows 10 and 11."""
    (_one_site(project_root) / "register.xlsx").write_bytes(hand_kept_register())
    result = clean_site(load_project(DEFAULT_PROJECT, project_root), SITE)
    rejected = result.ledger.rejected_frame()
    assert rejected["row"].tolist() == [9, 10, 11]
    assert rejected["reason"].tolist()[1:] == ["totals_row"] * 2
    assert sorted(result.participants["referral_date"].dt.date) == sorted(
        [date(2021, 1, 4), date(2021, 6, 10), date(2021, 3, 1), date(2021, 2, 1)]
    )


def test_check_prints_what_it_passed_over_and_is_ready(project_root):
    (_one_site(project_root) / "register.xlsx").write_bytes(hand_kept_register())
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "check", DEFAULT_PROJECT, "--root", str(project_root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    file = f"data/raw/{DEFAULT_PROJECT}/{SITE}/register.xlsx"
    assert [line for line in lines if line.startswith("note:")] == [
        f"note: {file}: sheet 'Oversigt' not read (not the data)",
        f"note: {file}: data read from sheet 'Henvisninger', not the first sheet",
        f"note: {file}: rows 1-3 above the header (row 4) not read: a title or note, not data",
    ]
    # the dry run's line for the register: the totals rows and the blank row are rejected, nothing else
    assert f"{file}: 7 rows read; would keep 4 (0 of them repaired) and reject 3" in lines
    assert lines[-1] == f"check: project '{DEFAULT_PROJECT}' is ready to run"
