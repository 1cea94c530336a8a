"""End-to-end privacy over bad input: personal data typed into the wrong cells of a register reaches no
output, executed notebook, report, log or Snakemake record, whether the run succeeds or stops on the cell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from mini_project import SITES, make_project, run_snakemake
from openpyxl import load_workbook
from test_workflow import _output_texts

from analysis.read.codebook import Codebook, normalise_label

pytestmark = pytest.mark.e2e

PROJECT = "e2e-privacy"
SITE = SITES[0]
PERSONAL = ("cpr", "navn", "telefon", "tlf", "mobil", "e-mail", "mail")


def _columns(sheet_rows: list[tuple], codebook: Codebook) -> dict[str, int]:
    """Canonical column (or header, for dropped ones) -> index in the sheet."""
    lookup = codebook.header_lookup("register")
    found = {}
    for index, header in enumerate(sheet_rows[0]):
        canonical = lookup.get(normalise_label(header))
        found[canonical if canonical and not canonical.startswith("__") else normalise_label(header)] = index
    return found


def _personal_values(root: Path) -> set[bytes]:
    """Every CPR number (both forms), name, phone number and e-mail address in the raw registers."""
    values = set()
    for site in SITES:
        rows = list(load_workbook(root / "data" / "raw" / PROJECT / site / "register.xlsx").worksheets[0].values)
        for index, header in enumerate(rows[0]):
            if not any(word in normalise_label(header) for word in PERSONAL):
                continue
            for row in rows[1:]:
                text = str(row[index] or "").strip()
                digits = "".join(c for c in text if c.isdigit())
                if "cpr" in normalise_label(header) and len(digits) == 10:
                    values |= {digits.encode(), f"{digits[:6]}-{digits[6:]}".encode()}
                elif len(text) >= 6:
                    values.add(text.encode())
    return values


def _plant(root: Path, codebook: Codebook) -> dict[str, int]:
    """Write each person's own name, phone and CPR number into the date and number cells of three rows of
    one register (as a bridge builder's note would): a key column (start date, rejected), a minor one (last
    contact, set missing) and the subsidy months (set missing). Returns the spreadsheet rows planted."""
    path = root / "data" / "raw" / PROJECT / SITE / "register.xlsx"
    book = load_workbook(path)
    sheet = book.worksheets[0]
    rows = list(sheet.values)
    at = _columns(rows, codebook)
    name = next(i for h, i in at.items() if "navn" in h)
    phone = next(i for h, i in at.items() if any(w in h for w in ("telefon", "tlf", "mobil")))
    planted = {}
    for row, column in zip((2, 3, 4), ("start_date", "last_contact_date", "subsidy_months"), strict=True):
        values = rows[row - 1]
        note = f"ring {values[name]} {values[phone]} {values[at['cpr']]} mail@eksempel.dk"
        sheet.cell(row=row, column=at[column] + 1, value=note)
        planted[column] = row
    book.save(path)
    return planted


def _leaks(root: Path, secrets: set[bytes], extra: dict[str, bytes] | None = None) -> list[str]:
    texts = {str(p): b for p, b in _output_texts(root).items()}
    for folder in (root / "logs", root / ".snakemake"):
        texts |= {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    texts |= extra or {}
    return [f"{where}: {secret!r}" for where, blob in texts.items() for secret in secrets if secret in blob]


def test_personal_data_in_wrong_cells_reaches_no_output_log_or_record(tmp_path):
    root = tmp_path / "root"
    make_project(root, PROJECT)
    codebook = Codebook(
        yaml.safe_load((root / "config" / "projects" / PROJECT / "codebook.yaml").read_text(encoding="utf-8"))
    )
    planted = _plant(root, codebook)
    secrets = _personal_values(root) | {b"mail@eksempel.dk"}
    assert len(secrets) > 100  # the registers' own names, phones and CPR numbers

    run_snakemake(root, project=PROJECT)
    processed = root / "data" / "processed" / PROJECT / "sites" / SITE
    register = f"data/raw/{PROJECT}/{SITE}/register.xlsx"
    rejected, repairs = (pd.read_csv(processed / name) for name in ("rejected.csv", "repairs.csv"))
    rejected, repairs = rejected[rejected["file"] == register], repairs[repairs["file"] == register]
    assert rejected[rejected["row"] == planted["start_date"]]["reason"].tolist() == ["date_unreadable"]
    assert "minor_date_unreadable" in repairs[repairs["row"] == planted["last_contact_date"]]["rule"].tolist()
    assert "subsidy_months_unreadable" in repairs[repairs["row"] == planted["subsidy_months"]]["rule"].tolist()
    assert (root / "reports" / PROJECT / "notebooks" / f"10_clean_{SITE}.ipynb").exists()
    assert _leaks(root, secrets) == []

    # A CPR number typed into a category column stops the site: the message masks it everywhere.
    path = root / "data" / "raw" / PROJECT / SITE / "register.xlsx"
    book = load_workbook(path)
    rows = list(book.worksheets[0].values)
    at = _columns(rows, codebook)
    book.worksheets[0].cell(row=6, column=at["referral_track"] + 1, value=rows[5][at["cpr"]])
    book.save(path)
    check = subprocess.run(
        [sys.executable, "-m", "analysis", "check", PROJECT, "--root", str(root)], capture_output=True, text=True
    )
    assert check.returncode == 1 and "unknown value '***'" in check.stdout, check.stdout[-2000:]
    failed = run_snakemake(root, project=PROJECT, check=False)
    assert failed.returncode != 0
    printed = {"check": (check.stdout + check.stderr).encode(), "snakemake": (failed.stdout + failed.stderr).encode()}
    assert _leaks(root, secrets, printed) == []
