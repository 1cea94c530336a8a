"""`python -m analysis check` lists every problem of a project at once, with file, row and column."""

from __future__ import annotations

import subprocess
import sys

from conftest import DEFAULT_PROJECT, REPO
from openpyxl import Workbook
from test_clean_site import HEADER, _row

from analysis.tools.check import check_project

NO_END = {"Udmeldt": None, "Årsag til stop": None}  # jammerbugt's sheet says it does not report ends


def _one_row(site):
    return [_row(**NO_END)] if site == "jammerbugt" else [_row()]


def _register(path, rows, header=HEADER):
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    book.save(path)


def test_the_default_project_is_ready():
    assert check_project(DEFAULT_PROJECT, REPO) == []


def test_every_unknown_header_and_value_is_listed_at_once(site_root):
    raw = site_root / "data" / "raw" / DEFAULT_PROJECT
    header = [*HEADER, "Skostørrelse", "Hårfarve"]
    rows = [
        _row() + [42, "brun"],
        _row(**{"CPR-nr.": "7203851234", "Henvist fra": "Frisør"}) + [40, "rød"],
        _row(**{"CPR-nr.": "7303851236", "Forening": "Skakklubben"}) + [38, "sort"],
    ]
    for site in ("assens", "viborg"):
        _register(raw / site / "register.xlsx", rows, header)
    for site in (
        "broenderslev",
        "fredensborg",
        "guldborgsund",
        "helsingoer",
        "hoeje-taastrup",
        "jammerbugt",
        "silkeborg",
    ):
        _register(raw / site / "register.xlsx", _one_row(site))
    (raw / "silkeborg" / "survey_end.csv").write_bytes(b"")
    problems = check_project(DEFAULT_PROJECT, site_root)
    for site in ("assens", "viborg"):
        mine = [p for p in problems if f"/{site}/register.xlsx" in p]
        assert len(mine) == 4, mine
        assert any("row 1, column 'Skostørrelse [P]': unknown header" in p for p in mine)
        assert any("row 1, column 'Hårfarve [Q]': unknown header" in p for p in mine)
        assert any("row 3, column 'Henvist fra [D]': unknown value 'Frisør'" in p for p in mine)
        assert any("row 4, column 'Forening [G]': unknown value 'Skakklubben'" in p for p in mine)
    assert any("silkeborg/survey_end.csv: file is empty" in p for p in problems)
    assert len(problems) == 9


def test_the_command_line_exits_non_zero_and_prints_one_line_per_problem(site_root):
    raw = site_root / "data" / "raw" / DEFAULT_PROJECT
    (raw / "vejle").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "check", DEFAULT_PROJECT, "--root", str(site_root)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "vejle: folder of an unknown site" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("check: ")


def test_the_same_unknown_value_in_many_rows_is_one_line_naming_the_rows(site_root):
    raw = site_root / "data" / "raw" / DEFAULT_PROJECT
    rows = [_row(**{"CPR-nr.": f"{d:02d}0385123{d % 10}", "Henvist fra": "Frisør"}) for d in range(61, 73)]
    rows.insert(3, _row(**{"Henvist fra": "Skomager"}))
    for site in (
        "assens",
        "broenderslev",
        "fredensborg",
        "guldborgsund",
        "helsingoer",
        "hoeje-taastrup",
        "jammerbugt",
        "viborg",
        "silkeborg",
    ):
        _register(raw / site / "register.xlsx", rows if site == "viborg" else _one_row(site))
    problems = check_project(DEFAULT_PROJECT, site_root)
    assert problems == [
        "data/raw/motion-paa-recept/viborg/register.xlsx, rows 2, 3, 4, 6, 7, 8, 9, 10, 11, 12 and 2 more, column "
        "'Henvist fra [D]': unknown value 'Frisør': add it to codebook.yaml under labels.referral_track",
        "data/raw/motion-paa-recept/viborg/register.xlsx, row 5, column 'Henvist fra [D]': unknown value 'Skomager': "
        "add it to codebook.yaml under labels.referral_track",
    ]
