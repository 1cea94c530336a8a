"""`python -m analysis init`: a new project from sample raw files fails `check` with TODOs, then passes once filled."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import DEFAULT_PROJECT, REPO
from openpyxl import load_workbook

from analysis.core.errors import ConfigError
from analysis.project.loader import load_schema
from analysis.read.codebook import Codebook
from analysis.tools.check import check_project
from analysis.tools.init import Known, init_project, main

NAME = "ny-evaluering"
# a site whose survey answers are texts, one whose answers are numbers, and one that records no ends
SITES = ["assens", "broenderslev", "jammerbugt"]
DEFAULT_RAW = REPO / "data" / "raw" / DEFAULT_PROJECT
DEFAULT_CONFIG = REPO / "config" / "projects" / DEFAULT_PROJECT


def _default_sheet() -> dict[str, dict]:
    with open(DEFAULT_CONFIG / "sites.tsv", encoding="utf-8", newline="") as handle:
        return {row["site"]: row for row in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture
def samples(tmp_path):
    """Three of the default project's site folders, with a header and a referral label no codebook knows."""
    folder = tmp_path / "samples"
    for site in SITES:
        shutil.copytree(DEFAULT_RAW / site, folder / site)
    book = load_workbook(folder / "assens" / "register.xlsx")
    sheet = book.worksheets[0]
    track = [c.value for c in sheet[1]].index("Henvist fra") + 1
    sheet.cell(row=1, column=sheet.max_column + 1, value="Skostørrelse")
    sheet.cell(row=2, column=track, value="Frisør")
    book.save(folder / "assens" / "register.xlsx")
    return folder


def _init(*args):
    return subprocess.run([sys.executable, "-m", "analysis", "init", *args], capture_output=True, text=True)


def _fill_in(folder):
    """Replace each TODO as an evaluator would, editing the files' lines, with the default project's facts."""
    truth = yaml.safe_load((DEFAULT_CONFIG / "config.yaml").read_text(encoding="utf-8"))
    config = folder / "config.yaml"
    lines = []
    for line in config.read_text(encoding="utf-8").splitlines():
        key = line.split(":")[0].strip()
        if line.startswith("title:"):
            line = 'title: "Ny evaluering"'
        elif line.startswith("extraction_date:"):
            line = "extraction_date: 2023-12-31   # the day of the export"
        elif line.startswith("  ") and key in truth["subsidy_rules"]:
            rules = ", ".join(f"{{from: {r['from']}, months: {r['months']}}}" for r in truth["subsidy_rules"][key])
            line = f"  {key}: [{rules}]"
        lines.append(line)
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    sheet = _default_sheet()
    rows = [line.split("\t") for line in (folder / "sites.tsv").read_text(encoding="utf-8").splitlines()]
    header = rows[0]
    for row in rows[1:]:
        for column in ("name", "bridging_model"):
            row[header.index(column)] = sheet[row[0]][column]
        for column in ("reports_end_status", "survey_coding"):  # init's guesses, confirmed
            row[header.index(column)] = row[header.index(column)].split()[2].rstrip(":")
    (folder / "sites.tsv").write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")

    codebook = folder / "codebook.yaml"
    text = codebook.read_text(encoding="utf-8")
    text = re.sub(r"\n +'?TODO[^\n]*", "", text)  # the two TODO entries, once their contents are placed:
    text = text.replace("  drop: [", "  drop: [Skostørrelse, ", 1)
    text = text.replace("    other: [", "    other: [Frisør, ", 1)
    codebook.write_text(text, encoding="utf-8")
    (folder / "pseudonym.key").write_text("a long random secret for the test\n", encoding="utf-8")


def test_a_new_project_fails_check_with_its_todos_until_filled_in(tmp_path, samples):
    root = tmp_path / "root"
    (root / "config" / "projects").mkdir(parents=True)
    result = _init(NAME, "--from", str(samples), "--root", str(root))
    assert result.returncode == 0, result.stderr
    folder = root / "config" / "projects" / NAME
    assert sorted(p.name for p in folder.iterdir()) == ["codebook.yaml", "config.yaml", "sites.tsv"]
    assert sorted(p.name for p in (root / "data" / "raw" / NAME).iterdir()) == [".gitignore", *SITES]

    # what the files tell is guessed (end status, how answers are coded) and marked as a guess; the waves found
    default = _default_sheet()
    with open(folder / "sites.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert [r["site"] for r in rows] == SITES
    for row in rows:
        for column in ("reports_end_status", "survey_coding"):
            assert row[column].startswith(f"TODO guessed {default[row['site']][column]}: "), (row["site"], column)
        assert row["name"] == row["bridging_model"] == "TODO"
    assert yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))["waves"] == [
        "baseline",
        "end",
        "followup",
    ]

    problems = check_project(NAME, root)
    assert all("still TODO" in p for p in problems), problems
    expected = {
        "config.yaml: at 'title'",
        "config.yaml: at 'extraction_date'",
        *(f"config.yaml: at 'subsidy_rules/{s}'" for s in SITES),
        *(
            f"sites.tsv, row {i}: at '{c}'"
            for i in range(2, 2 + len(SITES))
            for c in ("name", "bridging_model", "reports_end_status", "survey_coding")
        ),
        "codebook.yaml: at 'register/columns'",
        "codebook.yaml: at 'labels/referral_track'",
    }
    assert {p.split(f"{NAME}/", 1)[1].split(": still")[0] for p in problems} == expected
    assert any(p.endswith(": 'Skostørrelse'") for p in problems)
    assert any(p.endswith(": 'Frisør'") for p in problems)

    _fill_in(folder)
    for site in SITES:
        for path in (samples / site).iterdir():
            shutil.copy(path, root / "data" / "raw" / NAME / site / path.name)
    assert check_project(NAME, root) == []


def test_every_header_and_label_is_placed_as_the_known_codebook_places_it(tmp_path, samples):
    """With the default project's codebook as the only known one, each spelling lands where that codebook has it,
    and every label spelling it knows is offered (answers in columns init could not place are found later)."""
    known = yaml.safe_load((DEFAULT_CONFIG / "codebook.yaml").read_text(encoding="utf-8"))
    init_project(NAME, tmp_path, samples, known=Known([Codebook(known)]))
    made = yaml.safe_load((tmp_path / "config" / "projects" / NAME / "codebook.yaml").read_text(encoding="utf-8"))
    for section in ("register", "survey"):
        for column, spellings in made[section]["columns"].items():
            if not column.startswith("TODO"):
                assert set(spellings) <= set(known[section]["columns"][column]), (section, column)
        assert set(made[section]["drop"]) <= set(known[section]["drop"])
    assert made["survey"]["scale_of"] == known["survey"]["scale_of"]
    assert made["register"]["columns"]["TODO: put each header under a column above or under drop"] == ["Skostørrelse"]
    assert made["labels"]["referral_track"].pop("TODO: put each answer of referral_track under a code above") == [
        "Frisør"
    ]
    assert made["labels"] == known["labels"]
    assert made["scales"] == known["scales"]


def test_without_known_spellings_every_header_is_left_to_sort(tmp_path, samples):
    init_project(NAME, tmp_path, samples, known=Known([]))
    text = (tmp_path / "config" / "projects" / NAME / "codebook.yaml").read_text(encoding="utf-8")
    made = yaml.safe_load(text)
    todo_headers = made["register"]["columns"]["TODO: put each header under a column above or under drop"]
    assert "CPR-nr." in todo_headers and "Skostørrelse" in todo_headers
    assert made["register"]["columns"]["cpr"] == ["TODO: the header of the column with the CPR number"]
    assert "'Skostørrelse': in assens/register.xlsx [Q]" in text  # where to look it up
    problems = check_project(NAME, tmp_path)
    assert any("codebook.yaml: at 'register/columns/cpr/0': still TODO" in p for p in problems)
    assert any("codebook.yaml: at 'survey/scale_of/who5_1': still TODO" in p for p in problems)


def schema_keys(node: object) -> set[str]:
    """Every property name anywhere in a JSON schema."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                found |= set(value)
            found |= schema_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= schema_keys(value)
    return found


def test_the_config_template_has_every_schema_key(tmp_path, samples):
    init_project(NAME, tmp_path, samples)
    text = (tmp_path / "config" / "projects" / NAME / "config.yaml").read_text(encoding="utf-8")
    for key in schema_keys(load_schema("config.schema.yaml")):
        assert re.search(rf"(^|[\s{{#]){re.escape(key)}:", text, re.MULTILINE), key


def test_an_existing_project_is_never_overwritten(tmp_path, samples, capsys):
    init_project(NAME, tmp_path, samples)
    config = tmp_path / "config" / "projects" / NAME / "config.yaml"
    config.write_text("# mine\n", encoding="utf-8")
    assert main(NAME, str(tmp_path), str(samples)) == 1
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err.count("\n") == 1 and "already exists" in printed.err
    assert config.read_text(encoding="utf-8") == "# mine\n"


def test_raw_files_already_in_place_are_the_default_samples(tmp_path, samples):
    shutil.copytree(samples, tmp_path / "data" / "raw" / NAME)
    (tmp_path / "data" / "raw" / NAME / ".gitignore").write_text("# shared synthetic data\n", encoding="utf-8")
    made = init_project(NAME, tmp_path)
    assert (tmp_path / "data" / "raw" / NAME / ".gitignore").read_text(encoding="utf-8") == "# shared synthetic data\n"
    assert made.sites == SITES and made.files_read == sum(len(list((samples / s).iterdir())) for s in SITES)
    with pytest.raises(ConfigError, match="cannot be a project name"):
        init_project("Ny Evaluering", tmp_path, samples)
    with pytest.raises(ConfigError, match="no sample raw files"):
        init_project("tom", tmp_path)


def test_init_names_the_title_rows_it_passed_over(tmp_path, samples):
    """jammerbugt's register has a title, a note and a blank row above its header: init finds the header
    without a codebook and says which rows it did not read."""
    made = init_project(NAME, tmp_path, samples)
    register = samples / "jammerbugt" / "register.xlsx"
    assert f"{register}: rows 1-3 above the header (row 4) not read: a title or note, not data" in made.notes
    codebook = yaml.safe_load((made.folder / "codebook.yaml").read_text(encoding="utf-8"))
    assert "Henvisninger til brobygning" not in yaml.safe_dump(codebook, allow_unicode=True)
