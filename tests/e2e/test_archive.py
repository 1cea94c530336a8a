"""`brobygning archive`: the last run as a Workflow Run RO-Crate that roc-validator accepts, holding the hashes
of the raw inputs but no raw file, no personal value from them and no pseudonym key.

The project is the e2e-mini project (tests/mini_project.py, two sites) with a secret pseudonym key in
config/projects/<p>/pseudonym.key instead of the public demo key, run once through the real workflow.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from mini_project import PROJECT, make_project, run_snakemake

from analysis.project.loader import load_project, site_raw_files
from analysis.tools.audit import file_text, personal_values, scan_text

pytestmark = pytest.mark.e2e

SECRET = "archive-test-secret-7f3c9d21b6e84a5f"
SITES = ["assens", "jammerbugt"]


def _archive(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", "archive", PROJECT, "--root", str(root)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
    )


@pytest.fixture(scope="module")
def project_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    make_project(root, sites=SITES)
    config_dir = root / "config" / "projects" / PROJECT
    config = yaml.safe_load((config_dir / "config.yaml").read_text(encoding="utf-8"))
    config["pseudonym"].pop("demo_key")
    (config_dir / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (config_dir / "pseudonym.key").write_text(SECRET + "\n", encoding="utf-8")
    return root


def test_archive_before_any_run_says_what_is_missing_in_one_line(project_root):
    result = _archive(project_root)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no finished run" in lines[0] and f"make run PROJECT={PROJECT}" in lines[0]
    assert not (project_root / "reports" / PROJECT / "archive").exists()


@pytest.fixture(scope="module")
def archived(project_root) -> Path:
    run_snakemake(project_root)
    result = _archive(project_root)
    assert result.returncode == 0, result.stdout + result.stderr
    return project_root / "reports" / PROJECT / "archive"


def test_roc_validator_accepts_it_as_a_workflow_run_crate(archived):
    result = subprocess.run(
        [sys.executable, str(REPO / "tests" / "rocrate_offline.py"), "--no-interactive", "--disable-color"]
        + ["validate", "-p", "workflow-run-crate-0.5", "--no-paging", "-v", str(archived)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "RO-Crate is a valid workflow-run-crate-0.5" in result.stdout


def _graph(archived: Path) -> dict[str, dict]:
    graph = json.loads((archived / "ro-crate-metadata.json").read_text(encoding="utf-8"))["@graph"]
    return {entity["@id"]: entity for entity in graph}


def test_raw_inputs_are_there_as_hashes_only(project_root, archived):
    graph = _graph(archived)
    project = load_project(PROJECT, project_root)
    raw = [Path(p) for site in project.site_ids for p in site_raw_files(project, site)]
    assert raw
    for path in raw:
        relative = path.resolve().relative_to(project_root.resolve()).as_posix()
        entity = graph[f"#raw:{relative}"]
        assert entity["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entity["contentSize"] == str(path.stat().st_size)
    files = [p.relative_to(archived).as_posix() for p in archived.rglob("*") if p.is_file()]
    assert not [f for f in files if f.startswith("data/raw") or f.endswith(".key")]
    raw_bytes = {p.read_bytes() for p in raw}
    assert not [f for f in files if (archived / f).read_bytes() in raw_bytes]


def test_no_personal_value_or_key_is_inside(project_root, archived):
    values, problems = personal_values(load_project(PROJECT, project_root))
    assert not problems and len(values) > 0
    findings = {}
    for path in sorted(p for p in archived.rglob("*") if p.is_file()):
        assert SECRET.encode() not in path.read_bytes(), f"the pseudonym key is in {path}"
        text = file_text(path)
        found = scan_text(text, values) if text is not None else {}
        if found:
            findings[path.relative_to(archived).as_posix()] = found
    assert findings == {}


def test_it_holds_the_run_its_inputs_and_outputs(project_root, archived):
    graph = _graph(archived)
    root = graph["./"]
    assert root["mainEntity"] == {"@id": "workflow/Snakefile"}
    assert {"ComputationalWorkflow", "File", "SoftwareSourceCode"} <= set(graph["workflow/Snakefile"]["@type"])
    for name in ["requirements.lock", "config/config.yaml", f"config/projects/{PROJECT}/config.yaml"]:
        assert name in graph and (archived / name).is_file()
    processed = project_root / "data" / "processed" / PROJECT
    tables = [p.relative_to(project_root).as_posix() for p in processed.rglob("*") if p.is_file()]
    reports = [
        p.relative_to(project_root).as_posix()
        for p in (project_root / "reports" / PROJECT).rglob("*")
        if p.suffix in (".html", ".csv")
    ]
    reports = [r for r in reports if "/archive/" not in r]
    run = graph["#run"]
    assert {e["@id"] for e in run["result"]} == set(tables) | set(reports)
    for name in tables + reports:
        assert (archived / name).read_bytes() == (project_root / name).read_bytes()
    jobs = [e for e in graph.values() if e["@id"].startswith("#job:")]
    rules = {graph[job["instrument"]["@id"]]["name"].removeprefix("Snakemake rule ") for job in jobs}
    assert {"clean_sites_1", "pool", "retention", "key_figures", "reports_1"} <= rules
    # the two sites are cleaned in one batch: one job whose results hold both sites' tables
    (clean,) = [job for job in jobs if job["instrument"]["@id"] == "#rule:clean_sites_1"]
    results = clean["result"] if isinstance(clean["result"], list) else [clean["result"]]
    assert all(any(f"/sites/{site}/" in result["@id"] for result in results) for site in SITES), results
    assert all(job.get("result") for job in jobs)


def test_the_zip_is_the_folder_and_the_same_each_time(project_root, archived):
    zipped = archived.with_suffix(".zip")
    with zipfile.ZipFile(zipped) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    files = {p.relative_to(archived).as_posix(): p.read_bytes() for p in archived.rglob("*") if p.is_file()}
    assert members == files
    before = zipped.read_bytes()
    assert _archive(project_root).returncode == 0
    assert zipped.read_bytes() == before
