"""The bad-input corpus (tests/bad_inputs/make_corpus.py) through the real cleaning path.

Every case ends as it declares: a one-line RawInputError naming file (row, column), documented repairs
in the ledger, rejections with a reason, or rows kept by a documented rule; never another exception.
For every file read, kept + rejected equals the data rows the case wrote: nothing is lost silently.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest
from bad_inputs.make_corpus import CASES, Case, write_case
from conftest import DEFAULT_PROJECT, REPO

from analysis.clean import reasons
from analysis.clean.site import clean_site
from analysis.core.errors import RawInputError
from analysis.project.loader import load_project

RULES_DOC = (REPO / "docs" / "cleaning-rules.md").read_text(encoding="utf-8")


def _raw_path(item: Case) -> str:
    return f"data/raw/{DEFAULT_PROJECT}/{item.site}/{item.file}"


def _sortable(values) -> list:
    plain = [None if pd.isna(v) else v for v in values]
    return sorted(plain, key=lambda v: (v is not None, v if v is not None else 0))


def test_the_corpus_is_large_and_covers_every_outcome():
    assert len(CASES) >= 30 and len({c.name for c in CASES}) == len(CASES)
    assert {c.expect.outcome for c in CASES} == {"error", "repair", "reject", "kept"}


@pytest.mark.parametrize("item", CASES, ids=[c.name for c in CASES])
def test_each_bad_input_ends_as_declared(item: Case, site_root):
    write_case(item, site_root / "data" / "raw" / DEFAULT_PROJECT / item.site)
    project = load_project(DEFAULT_PROJECT, site_root)
    expect, file = item.expect, _raw_path(item)
    if expect.outcome == "error":
        with pytest.raises(RawInputError) as caught:
            clean_site(project, item.site)
        error = caught.value
        assert "\n" not in str(error) and error.file == file, str(error)
        assert re.search(expect.message, error.detail), str(error)
        assert (error.row, error.column) == (expect.row, expect.column), str(error)
        return
    result = clean_site(project, item.site)
    tallies = {t["file"]: t for t in result.quality["files"]}
    for tally in tallies.values():
        assert tally["kept"] + tally["rejected"] == tally["read"], tally
    assert tallies[file]["read"] == item.rows
    rejected = result.ledger.rejected_frame().query("file == @file")
    repairs = result.ledger.repairs_frame().query("file == @file")
    if expect.outcome == "reject":
        assert len(rejected) == expect.count, rejected
        assert set(rejected["reason"]) <= set(reasons.REJECTIONS), rejected  # catalogue keys only
        assert all(re.search(expect.message, f"{r}: {reasons.text(r)}") for r in rejected["reason"]), rejected
        found = rejected
    elif expect.outcome == "repair":
        assert expect.message in RULES_DOC, f"repair rule not in docs/cleaning-rules.md: {expect.message}"
        assert set(repairs["rule"]) <= set(reasons.REPAIRS), repairs  # catalogue keys only
        found = repairs[[expect.message in (rule, reasons.text(rule)) for rule in repairs["rule"]]]
        assert len(found) == expect.count, repairs
        assert len(rejected) == expect.rejected, rejected
    else:
        assert rejected.empty and repairs.empty, (rejected, repairs)
        found = rejected
    if expect.row is not None:
        assert set(found["row"]) == {expect.row}
    if expect.column is not None:
        assert set(found["column"]) == {expect.column}
    tables = {"participants": result.participants, "responses": result.responses}
    for where, values in expect.values.items():
        table, column = where.split(".")
        assert _sortable(tables[table][column]) == _sortable(values), where


def test_the_check_command_prints_one_line_per_bad_file_and_no_traceback(site_root):
    """One error case per site through `python -m analysis check`: one line each, naming the cell."""
    raw = site_root / "data" / "raw" / DEFAULT_PROJECT
    sites = [
        line.split("\t")[0]
        for line in (site_root / "config" / "projects" / DEFAULT_PROJECT / "sites.tsv").read_text().splitlines()[1:]
    ]
    errors = [c for c in CASES if c.expect.outcome == "error" and c.site == "assens"][: len(sites)]
    for site, item in zip(sites, errors, strict=False):
        write_case(item, raw / site)
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "check", DEFAULT_PROJECT, "--root", str(site_root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(errors) + 1
    assert lines[-1] == f"check: {len(errors)} problems in project '{DEFAULT_PROJECT}'"
    for site, item in zip(sites, errors, strict=False):
        line = next(x for x in lines if f"/{site}/{item.file}" in x)
        assert re.search(item.expect.message, line), line
        if item.expect.row is not None:
            assert f"row {item.expect.row}" in line
        if item.expect.column is not None:
            assert f"column '{item.expect.column}'" in line


def test_the_corpus_script_writes_every_case_and_a_manifest(tmp_path):
    small = [c.name for c in CASES if c.name != "register_100k_rows"]
    from bad_inputs import make_corpus

    first = {name: write_case(next(c for c in CASES if c.name == name), tmp_path / "a" / name) for name in small}
    again = {name: write_case(next(c for c in CASES if c.name == name), tmp_path / "b" / name) for name in small}
    for name in small:
        assert [p.read_bytes() for p in first[name]] == [p.read_bytes() for p in again[name]], name
    assert [m["case"] for m in make_corpus.manifest()] == [c.name for c in CASES]
