"""The privacy audit (`python -m analysis audit <project>`): planted leaks are found, clean outputs pass, and the
audit never prints the personal values it looks for."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from datetime import datetime

import pandas as pd
import pytest
from conftest import DEFAULT_PROJECT
from openpyxl import Workbook

from analysis.tools.attack import CONTRADICTED
from analysis.tools.audit import (
    CPR_LIKE,
    CPR_RAW,
    EMAIL,
    NAME,
    PHONE,
    RECOVERABLE,
    SMALL_COUNT,
    PersonalValues,
    main,
    page_problems,
    scan_text,
)

SITE = "assens"
HEADER = [
    "Navn",
    "CPR-nr.",
    "Telefon",
    "E-mail",
    "Henvist fra",
    "Henvisningsdato",
    "Opstartsdato",
    "Forening",
    "Aktivitet",
    "Nyt hold",
    "Ledsaget",
    "Kontingentstøtte (mdr.)",
    "Udmeldt",
    "Årsag til stop",
    "Sidste kontakt",
    "Bemærkninger",
]
PEOPLE = [  # name, CPR as written, phone as written, e-mail, remark
    ("Ole Hansen", "710385-1233", "20 30 40 50", "ole.hansen@example.org", "Ringet til Ole 3/5 om kontingent"),
    ("Birthe Kjærgaard", "7203851234", "+45 31415926", "birthe.k@example.net", None),
    ("Søren Østergaard", "730385 1236", "27182818", None, "Har knæproblemer, træner forsigtigt"),
]
PLANTED = [value for person in PEOPLE for value in person if value] + ["7103851233", "710385 1233", "31415926"]
NOT_IN_REGISTER_CPR = "010190-1234"  # a valid date of birth, but nobody in the raw data


def _register(path) -> None:
    book = Workbook()
    book.active.append(HEADER)
    for name, cpr, phone, email, remark in PEOPLE:
        book.active.append(
            [
                name,
                cpr,
                phone,
                email,
                "Sundhed",
                datetime(2021, 1, 4),
                "20-01-2021",
                "Assens Svømmeklub",
                "Svømmehold",
                "nej",
                "ja",
                6,
                None,
                None,
                None,
                remark,
            ]
        )
    book.save(path)


def _report_page(*tables: str, text: str = "") -> str:
    return f'<html lang="da"><body><h1>Rapport</h1><p>{text}</p>{"".join(tables)}</body></html>'


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<table border="0" class="dataframe report-table"><thead><tr style="text-align: right;">{head}</tr>'
        f"</thead><tbody>{body}</tbody></table>"
    )


# Tables as disclosure control renders them: a one-way table with a small cell ("<5": 1 to 4) and its
# complement (".."), a two-way table with a small cell in a cycle of four, an estimates table (not a count
# table) and a file table without totals.
SAFE_ONE_WAY = _table(
    ["Årsag", "Antal"],
    [["Økonomi", "26"], ["Helbred", "12"], ["Smerter", "&lt;5"], ["Flyttet", ".."], ["Alle", "1.041"]],
)  # 1.041: Danish thousands
SAFE_TWO_WAY = _table(
    ["Start", "Besvaret", "Ikke besvaret", "Alle"],
    [["Stadig aktive", "&lt;5", "..", "40"], ["Stoppet", "..", "..", "172"], ["Alle", "150", "62", "212"]],
)
ESTIMATES = _table(["Henvisningsspor", "3 mdr.", "6 mdr."], [["Alle", "87 %", "81 %"], ["Andet", "..", ".."]])
LEAKY_ONE_WAY = _table(["Årsag", "Antal"], [["Økonomi", "26"], ["Smerter", "&lt;5"], ["Flyttet", "7"], ["Alle", "36"]])
SMALL_SHOWN = _table(["Holdtype", "Antal"], [["Eksisterende hold", "162"], ["Nyt hold", "3"], ["Alle", "165"]])


@pytest.fixture
def root(site_root):
    """A project root with the default project's config, a raw folder per site and one register with people."""
    project_root = site_root
    raw = project_root / "data" / "raw" / DEFAULT_PROJECT
    _register(raw / SITE / "register.xlsx")
    return project_root


def _clean_outputs(root) -> None:
    """Outputs without personal data, holding the things a naive scan would mistake for it."""
    processed = root / "data" / "processed" / DEFAULT_PROJECT
    reports = root / "reports" / DEFAULT_PROJECT
    (processed / "sites" / SITE).mkdir(parents=True)
    (reports / "sites").mkdir(parents=True)
    pseudonym = "ab" + "7103851233" + hashlib.sha256(b"x").hexdigest()[:52]  # CPR digits inside a hex pseudonym
    pd.DataFrame(
        {
            "participant_id": [pseudonym, hashlib.sha256(b"y").hexdigest()],
            "site": [SITE, SITE],
            "referral_date": pd.to_datetime(["2021-01-04", "2020-03-04"]),
            "score": [0.7103851233, 1.2030405],
        }
    ).to_parquet(processed / "participants.parquet")
    (processed / "sites" / SITE / "quality.json").write_text(
        '{"files": [{"file": "register.xlsx", "read": 3}]}', encoding="utf-8"
    )
    (processed / "rejected.csv").write_text(
        "row,file,reason\n2,register.xlsx,CPR number is missing\n", encoding="utf-8"
    )
    (reports / "sites" / f"{SITE}.html").write_text(
        _report_page(SAFE_ONE_WAY, SAFE_TWO_WAY, ESTIMATES, text="Opdateret 2021-01-04. Svarprocent 82 %."),
        encoding="utf-8",
    )
    (reports / "screenshot.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")


def _audit(root) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(DEFAULT_PROJECT, root, out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def _findings(output: str) -> dict[tuple[str, str], int]:
    lines = [line for line in output.splitlines() if not line.startswith("audit:")]
    found = {}
    for line in lines:
        where, rest = line.split(": ", 1)
        kind, count = rest.rsplit(" (", 1)
        found[(where, kind)] = int(count.rstrip(")"))
    return found


def test_clean_outputs_pass(root):
    _clean_outputs(root)
    code, output = _audit(root)
    assert code == 0, output
    assert _findings(output) == {}
    assert output.splitlines()[-1] == "audit: 0 findings in 0 files"
    assert "binary files not scanned: 1 .png" in output


def test_planted_leaks_are_found_and_never_printed(root):
    _clean_outputs(root)
    processed = root / "data" / "processed" / DEFAULT_PROJECT
    reports = root / "reports" / DEFAULT_PROJECT
    (processed / "rejected.csv").write_text(
        "row,file,reason,cpr\n2,register.xlsx,duplicate,710385-1233\n3,register.xlsx,date,010190-1234\n",
        encoding="utf-8",
    )
    pd.DataFrame({"participant_id": ["a1", "b2"], "note": ["Kontakt: Ole Hansen", "-"]}).to_parquet(
        processed / "sites" / SITE / "participants.parquet"
    )
    (reports / "summary.html").write_text(
        _report_page(SAFE_ONE_WAY, text="Ring på 20 30 40 50 for mere."), encoding="utf-8"
    )
    (reports / "sites" / f"{SITE}.html").write_text(
        _report_page(SAFE_TWO_WAY, LEAKY_ONE_WAY, SMALL_SHOWN), encoding="utf-8"
    )
    (reports / "notebook.ipynb").write_text(
        '{"cells": [{"outputs": [{"text": "mail: birthe.k@example.net"}]}]}', encoding="utf-8"
    )
    code, output = _audit(root)
    assert code == 1, output
    base = f"data/processed/{DEFAULT_PROJECT}"
    assert _findings(output) == {
        (f"{base}/rejected.csv", CPR_RAW): 1,
        (f"{base}/rejected.csv", CPR_LIKE): 1,
        (f"{base}/sites/{SITE}/participants.parquet", NAME): 1,
        (f"reports/{DEFAULT_PROJECT}/summary.html", PHONE): 1,
        (f"reports/{DEFAULT_PROJECT}/sites/{SITE}.html", RECOVERABLE): 1,
        (f"reports/{DEFAULT_PROJECT}/sites/{SITE}.html", SMALL_COUNT): 1,
        (f"reports/{DEFAULT_PROJECT}/notebook.ipynb", EMAIL): 1,
    }, output
    assert output.splitlines()[-1] == "audit: 7 findings in 5 files"
    for value in [*PLANTED, NOT_IN_REGISTER_CPR, "0101901234"]:
        assert value not in output and value.lower() not in output.lower()


def test_the_command_line_reports_and_fails(root):
    _clean_outputs(root)
    (root / "reports" / DEFAULT_PROJECT / "index.html").write_text(
        _report_page(text="CPR 7203851234"), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "audit", DEFAULT_PROJECT], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"reports/{DEFAULT_PROJECT}/index.html: {CPR_RAW} (1)" in result.stdout
    assert "7203851234" not in result.stdout + result.stderr


def test_a_project_that_cannot_be_loaded_exits_2(root):
    (root / "data" / "raw" / DEFAULT_PROJECT / "viborg").rmdir()
    code, output = _audit(root)
    assert code == 2 and "raw data folder of site 'viborg' is missing" in output
    out, err = io.StringIO(), io.StringIO()
    assert main("no-such-project", root, out=out, err=err) == 2
    assert "no such project" in err.getvalue() and out.getvalue() == ""


def test_cpr_like_numbers_stand_alone_only():
    nobody = PersonalValues()
    assert scan_text("cpr 010190-1234, 0101901234 and 010190 1234.", nobody) == {CPR_LIKE: 1}
    quiet = [
        "id ab0101901234cd",
        "x=0.0101901234",
        "0101901234.5",
        "123456-7890 (day 12, month 34)",
        "00101901234",
        "2021-01-04",
        "010190-12345",
    ]
    for text in quiet:
        assert scan_text(text, nobody) == {}, text


def test_personal_values_match_with_boundaries():
    values = PersonalValues()
    values.add_digits("20304050", PHONE)
    values.add_text("Ole  Hansen", NAME)
    assert scan_text("tlf. 20 30 40 50; OLE HANSEN's hold", values) == {PHONE: 1, NAME: 1}
    assert scan_text("tlf. 20-30-40-50 og ole\nhansen", values) == {PHONE: 1, NAME: 1}
    assert scan_text("0.2030405012 120304050 Kole Hansen 2030-40-50", values) == {}


def test_recoverable_cells_in_two_way_tables():
    one_hidden_in_a_row = _table(
        ["Start", "Besvaret", "Ikke besvaret", "Alle"],
        [["Stadig aktive", "&lt;5", "75", "79"], ["Stoppet", "20", "73", "93"], ["Alle", "24", "148", "172"]],
    )
    assert page_problems(one_hidden_in_a_row, 5) == {RECOVERABLE: 1}
    # two hidden cells in a row whose shown total leaves nothing for them: both must be 0
    zero_remainder = _table(
        ["Årsag", "Antal"], [["Økonomi", "26"], ["Smerter", ".."], ["Flyttet", ".."], ["Alle", "26"]]
    )
    assert page_problems(zero_remainder, 5) == {RECOVERABLE: 2}
    # "<5" twice where the total leaves 8: a reader who takes the marker at its word has 4 and 4
    both_four = _table(
        ["Årsag", "Antal"], [["Økonomi", "75"], ["Smerter", "&lt;5"], ["Flyttet", "&lt;5"], ["Alle", "83"]]
    )
    assert page_problems(both_four, 5) == {RECOVERABLE: 2}
    # "<5" where the total leaves 49: the marker does not mean what it says
    liar = _table(
        ["Spor", "Antal"], [["Sundhed", "128"], ["Selvhenvendt", "&lt;5"], ["Andet", "&lt;5"], ["Alle", "185"]]
    )
    assert page_problems(liar, 5) == {CONTRADICTED: 1}
    assert page_problems(SAFE_ONE_WAY + SAFE_TWO_WAY + ESTIMATES, 5) == {}
    files_without_totals = _table(["Fil", "Rækker læst", "Afvist"], [["register.xlsx", "212", "2"]])
    assert page_problems(files_without_totals, 5) == {}


def test_tables_as_the_reports_render_them():
    from analysis.reports import render
    from analysis.reports.disclosure import suppress_table

    counts = pd.DataFrame(
        {"Besvaret": [66, 3, 79], "Ikke besvaret": [13, 11, 2]}, index=["Stadig aktive", "Aldrig startet", "Stoppet"]
    )
    shown = suppress_table(counts, 5).display(total_label="Alle")
    page = render.table(shown.rename_axis("Start").reset_index()).data
    assert page.count("&lt;5") == 2 and page.count("..") >= 2 and page_problems(page, 5) == {}
    unprotected = shown.copy()
    unprotected.loc["Aldrig startet", "Ikke besvaret"] = "11"  # undo the complementary suppression of 11
    page = render.table(unprotected.rename_axis("Start").reset_index()).data
    assert page_problems(page, 5) == {RECOVERABLE: 3}  # the 3 by subtraction, then the two below it
