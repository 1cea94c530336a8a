import pytest
import yaml
from conftest import DEFAULT_PROJECT, REPO

from analysis.core.errors import ConfigError
from analysis.project.loader import load_project, raw_folder_problems


def _with_raw_folders(root):
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
        (root / "data" / "raw" / DEFAULT_PROJECT / site).mkdir(parents=True)


def test_the_default_project_is_valid():
    project = load_project(DEFAULT_PROJECT, REPO)
    assert len(project.site_ids) == 9
    assert project.extraction_date.isoformat() == project.config["extraction_date"]


def test_every_config_problem_is_reported_at_once(project_root):
    _with_raw_folders(project_root)
    config_path = project_root / "config" / "projects" / DEFAULT_PROJECT / "config.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["min_cell"] = "five"
    config["language"] = "de"
    config["subsidy_rules"]["odense"] = [{"from": "2020-01-01", "months": 3}]
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True))
    (project_root / "data" / "raw" / DEFAULT_PROJECT / "vejle").mkdir()
    with pytest.raises(ConfigError) as caught:
        load_project(DEFAULT_PROJECT, project_root)
    text = str(caught.value)
    for expected in ("'min_cell'", "'language'", "site 'odense'", "vejle: folder of an unknown site"):
        assert expected in text
    assert len(caught.value.problems) == 4


def test_a_bad_site_sheet_row_is_named(project_root):
    _with_raw_folders(project_root)
    sheet = project_root / "config" / "projects" / DEFAULT_PROJECT / "sites.tsv"
    sheet.write_text(sheet.read_text().replace("assens\tAssens\tbrobygger\ttrue", "assens\tAssens\tbrobygger\tmaybe"))
    with pytest.raises(ConfigError, match=r"sites.tsv, row 2: at 'reports_end_status'"):
        load_project(DEFAULT_PROJECT, project_root)


def test_a_codebook_with_an_unknown_canonical_column_is_refused(project_root):
    _with_raw_folders(project_root)
    path = project_root / "config" / "projects" / DEFAULT_PROJECT / "codebook.yaml"
    codebook = yaml.safe_load(path.read_text())
    codebook["register"]["columns"]["shoe_size"] = ["Skostørrelse"]
    path.write_text(yaml.safe_dump(codebook, allow_unicode=True))
    with pytest.raises(ConfigError, match="shoe_size"):
        load_project(DEFAULT_PROJECT, project_root)


def test_unknown_raw_files_and_missing_registers_are_listed_for_all_sites(project_root):
    _with_raw_folders(project_root)
    raw = project_root / "data" / "raw" / DEFAULT_PROJECT
    (raw / "assens" / "register.xlsx").write_bytes(b"x")
    (raw / "assens" / "notes.docx").write_bytes(b"x")
    project = load_project(DEFAULT_PROJECT, project_root)
    problems = raw_folder_problems(project)
    assert any("notes.docx: unexpected file" in p for p in problems)
    assert sum("expected exactly one register file" in p for p in problems) == 8


def test_a_missing_project_says_where_it_looked(tmp_path):
    with pytest.raises(ConfigError, match="no such project"):
        load_project("nope", tmp_path)


def test_a_notebook_opened_in_a_subfolder_finds_the_project_root(monkeypatch):
    monkeypatch.chdir(REPO / "notebooks")
    assert load_project(DEFAULT_PROJECT).root == REPO


def test_outside_a_checkout_the_root_is_not_guessed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="no folder at or above it holds config/projects"):
        load_project(DEFAULT_PROJECT)


def test_one_wave_in_two_formats_is_refused(project_root):
    _with_raw_folders(project_root)
    raw = project_root / "data" / "raw" / DEFAULT_PROJECT / "assens"
    for name in ("register.xlsx", "survey_end.csv", "survey_end.sav"):
        (raw / name).write_bytes(b"x")
    problems = raw_folder_problems(load_project(DEFAULT_PROJECT, project_root))
    assert any("survey_end is there in more than one format" in p for p in problems)


def test_a_link_leaving_the_project_in_a_raw_folder_is_refused(project_root, tmp_path_factory):
    _with_raw_folders(project_root)
    outside = tmp_path_factory.mktemp("elsewhere") / "register.xlsx"
    outside.write_bytes(b"x")
    raw = project_root / "data" / "raw" / DEFAULT_PROJECT
    (raw / "assens" / "register.xlsx").symlink_to(outside)
    (raw / "viborg" / "register.xlsx").write_bytes(b"x")
    (raw / "viborg" / "survey_end.csv").symlink_to(raw / "viborg" / "register.xlsx")  # stays inside: allowed
    problems = raw_folder_problems(load_project(DEFAULT_PROJECT, project_root))
    leaving = [p for p in problems if "symbolic link" in p]
    assert leaving == [
        f"{raw / 'assens' / 'register.xlsx'}: a symbolic link to a place outside the project folder; copy the "
        "file into the raw folder instead (raw data are read only from inside the project)"
    ]
    assert not any("viborg" in p for p in problems)
