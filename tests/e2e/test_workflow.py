"""End-to-end: the real Snakemake workflow on a small simulated project (3 sites) in a scratch folder."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from mini_project import (
    PROJECT,
    SITES,
    copy_inputs,
    file_hashes,
    marked_incomplete,
    reproducible_outputs,
    run_snakemake,
    snakemake_command,
)
from openpyxl import load_workbook

from analysis.tools.workflow import SITE_ONLY

# A CPR-like number standing alone (not inside a hexadecimal pseudonym, another number or a decimal fraction).
CPR_LIKE = re.compile(rb"(?<![0-9A-Za-z.])\d{6}[- ]?\d{4}(?![0-9A-Za-z])")

pytestmark = pytest.mark.e2e


def _registers_pii(root: Path) -> set[bytes]:
    """Every name, phone number and CPR number (with and without hyphen) written in the raw registers."""
    values = set()
    for site in SITES:
        sheet = load_workbook(root / "data" / "raw" / PROJECT / site / "register.xlsx", read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        for index, header in enumerate(rows[0]):
            if header and re.search(r"navn|telefon|tlf|mobil", str(header), re.IGNORECASE):
                values |= {str(r[index]).strip().encode() for r in rows[1:] if r[index] not in (None, "")}
            if header and re.search(r"cpr|personnummer", str(header), re.IGNORECASE):
                digits = {re.sub(r"\D", "", str(r[index])) for r in rows[1:] if r[index]}
                values |= {d.encode() for d in digits if len(d) == 10}
                values |= {f"{d[:6]}-{d[6:]}".encode() for d in digits if len(d) == 10}
    return values


def _output_texts(root: Path) -> dict[Path, bytes]:
    """Every output file as bytes; parquet files as the CSV text of their decoded contents."""
    texts = {}
    for folder in (root / "data" / "processed", root / "reports"):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.suffix == ".parquet":
                buffer = io.StringIO()
                pd.read_parquet(path).to_csv(buffer, index=False)
                texts[path] = buffer.getvalue().encode()
            else:
                texts[path] = path.read_bytes()
    return texts


def test_every_raw_row_is_kept_or_rejected(workflow_root):
    processed = workflow_root / "data" / "processed" / PROJECT
    participants = pd.read_parquet(processed / "participants.parquet")
    responses = pd.read_parquet(processed / "responses.parquet")
    rejected = pd.read_csv(processed / "rejected.csv")
    kept_registers = kept_surveys = 0
    for site in SITES:
        quality = json.loads((processed / "sites" / site / "quality.json").read_text())
        assert {f["file"].split("/")[-1] for f in quality["files"]} >= {"register.xlsx"}
        for tally in quality["files"]:
            assert tally["kept"] + tally["rejected"] == tally["read"], tally
            assert tally["rejected"] == ((rejected["file"] == tally["file"]).sum())
            if tally["kind"] == "register":
                kept_registers += tally["kept"]
            else:
                kept_surveys += tally["kept"]
    assert len(participants) == kept_registers and len(responses) == kept_surveys
    assert sorted(participants["site"].unique()) == SITES
    assert (workflow_root / "reports" / PROJECT / "notebooks" / "10_clean_assens.ipynb").exists()


def test_the_retention_models_are_written_for_the_reports(workflow_root):
    models = workflow_root / "data" / "processed" / PROJECT / "models"
    summary = json.loads((models / "summary.json").read_text())
    primary = pd.read_parquet(models / "primary.parquet")
    assert set(primary["se_type"]) == {"clustered", "naive"} and "post_subsidy" in set(primary["term"])
    assert summary["excluded"]["site does not report end status"] > 0  # jammerbugt reports no end status
    km = pd.read_parquet(models / "km.parquet")
    assert set(km["scope"]) == {"all sites", "assens", "guldborgsund"}
    assert (workflow_root / "reports" / PROJECT / "notebooks" / "20_retention.ipynb").exists()


def test_no_personal_data_reaches_the_outputs(workflow_root):
    pii = _registers_pii(workflow_root)
    assert len(pii) > 50, "the raw registers should hold names and phone numbers to look for"
    for path, blob in _output_texts(workflow_root).items():
        assert not CPR_LIKE.search(blob), f"CPR-like number in {path}"
        leaked = [value.decode() for value in pii if value in blob]
        assert not leaked, f"{path} holds names, phone or CPR numbers from the registers: {len(leaked)} values"


def test_every_report_opens_cleanly_in_a_browser(workflow_root, chromium):
    """Headless Chromium: no console error, no image that fails to load, no broken link, nothing fetched
    from the internet; a screenshot per page is kept beside the reports."""
    reports = workflow_root / "reports" / PROJECT
    pages = sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*.html"))
    assert pages == [
        "index.html",
        "sites/assens.html",
        "sites/guldborgsund.html",
        "sites/jammerbugt.html",
        "summary.html",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "analysis.tools.browser", "check", str(reports)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list((reports / "screenshots").rglob("*.png"))) == 2 * len(pages)  # a phone's width and a desktop's


def test_snakemake_report_bundles_every_html_report(workflow_root, tmp_path):
    import zipfile

    bundle = tmp_path / "report.zip"
    run_snakemake(workflow_root, "--report", str(bundle))
    archive = zipfile.ZipFile(bundle)
    names = {Path(n).name for n in archive.namelist()}
    assert {"assens.html", "guldborgsund.html", "jammerbugt.html", "summary.html", "report.html"} <= names
    # Site reports are rendered in batches; each file's caption names the sites of its batch, its own among them.
    report = archive.read(next(n for n in archive.namelist() if n.endswith("/report.html"))).decode("utf-8")
    for site, name in [("assens", "Assens"), ("guldborgsund", "Guldborgsund"), ("jammerbugt", "Jammerbugt")]:
        found = re.search(
            rf'"reports/{PROJECT}/sites/{site}\.html": \{{"name".*?"caption": "((?:[^"\\]|\\.)*)"', report, re.DOTALL
        )
        caption = json.loads(f'"{found.group(1)}"')
        assert name in caption and "()" not in caption, caption


def test_reports_are_in_danish_and_hold_the_provenance_footer(workflow_root):
    page = (workflow_root / "reports" / PROJECT / "sites" / "assens.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in page and "Nøgletal" in page and "Fastholdelse i foreningen" in page
    assert "Om denne rapport" in page and "data/raw/e2e-mini/assens/register.xlsx" in page
    assert "Syntetiske data" in page  # the demo key is flagged
    jammerbugt = (workflow_root / "reports" / PROJECT / "sites" / "jammerbugt.html").read_text(encoding="utf-8")
    assert "ikke indberettet" in jammerbugt
    # Reports are rendered in batches of sites: every page is its own site's, parameters and raw files alike.
    for site in SITES:
        page = (workflow_root / "reports" / PROJECT / "sites" / f"{site}.html").read_text(encoding="utf-8")
        made_for = f"Kommune: {site.capitalize()}</dd>"  # the footer names the site the page was made for
        assert made_for in page and f"data/raw/{PROJECT}/{site}/register.xlsx" in page
        assert not [other for other in SITES if other != site and f"data/raw/{PROJECT}/{other}/" in page]


def test_two_clean_runs_give_identical_tables_and_reports(workflow_root, tmp_path):
    """A second run from the same raw data in another folder: every processed file and every HTML report
    has the same SHA-256 (executed notebooks, the audit trail, carry papermill's timestamps and are left out)."""
    second = copy_inputs(workflow_root, tmp_path / "second")
    run_snakemake(second)
    first_run, second_run = reproducible_outputs(workflow_root), reproducible_outputs(second)
    assert len(second_run) > 25 and any(k.startswith("reports/sites/") for k in second_run)
    assert first_run == second_run


def test_the_privacy_audit_passes_on_the_real_outputs(workflow_root):
    """`python -m analysis audit`: no personal value, CPR-like number or recoverable small count anywhere."""
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "audit", PROJECT], cwd=workflow_root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "audit: 0 findings" in result.stdout


def test_rerun_does_nothing_and_a_changed_site_reruns_alone_with_identical_tables(workflow_root):
    from analysis.bench.__main__ import edit_register

    assert "Nothing to be done" in run_snakemake(workflow_root, "--dry-run").stdout
    processed = workflow_root / "data" / "processed" / PROJECT
    before = file_hashes(processed)
    sites_reports = workflow_root / "reports" / PROJECT / "sites"
    reports_before = file_hashes(sites_reports)
    edit_register(workflow_root, PROJECT, "guldborgsund", remark=True)  # the benchmark's remark-only edit

    def planned_jobs(*targets: str, config: tuple[str, ...] = ()) -> dict[str, str]:
        command = [*snakemake_command(workflow_root, PROJECT, *targets, "--dry-run", "--quiet", "rules"), *config]
        plan = subprocess.run(command, capture_output=True, text=True, cwd=workflow_root, check=True).stdout
        return dict(re.findall(r"^(\w+)\s+(\d+)$", plan, re.MULTILINE))

    # `make site SITE=guldborgsund`: that site's report (in a batch of its own: reports_2 of 3) and the pooled
    # models it rests on, nothing else
    assert planned_jobs(f"reports/{PROJECT}/sites/guldborgsund.html", config=SITE_ONLY) == {
        "clean_sites_1": "1",
        "pool": "1",
        "retention": "1",
        "key_figures": "1",
        "reports_2": "1",
        "total": "5",
    }
    # (a whole run: reports in 2 batches, assens and guldborgsund, then jammerbugt with the summary and index)
    assert planned_jobs() == {
        "all": "1",
        "clean_sites_1": "1",
        "pool": "1",
        "retention": "1",
        "key_figures": "1",
        "reports_1": "1",
        "reports_2": "1",
        "total": "7",
    }
    run_snakemake(workflow_root)
    assert "Nothing to be done" in run_snakemake(workflow_root, "--dry-run").stdout
    # A remark is free text and never leaves the raw layer: the rebuilt tables are byte-identical, and so are
    # the reports of the sites whose inputs did not change (the changed site's footer lists its new hash).
    assert file_hashes(processed) == before
    reports_after = file_hashes(sites_reports)
    assert {k: v for k, v in reports_after.items() if "guldborgsund" not in k} == {
        k: v for k, v in reports_before.items() if "guldborgsund" not in k
    }


@pytest.mark.parametrize("rule", ["clean_sites", "reports"])
def test_batches_can_be_one_site_per_job(workflow_root, rule):
    """`--config clean_batch_size=1 report_batch_size=1` (e.g. on a cluster with many free nodes) gives one
    cleaning job and one report job per site."""
    command = snakemake_command(workflow_root, PROJECT, "--dry-run", "--forceall", "--quiet", "rules")
    plan = subprocess.run(
        [*command, "clean_batch_size=1", "report_batch_size=1"], capture_output=True, text=True, cwd=workflow_root
    )
    jobs = dict(re.findall(rf"^({rule}_\d+)\s+(\d+)$", plan.stdout, re.MULTILINE))
    assert jobs == {f"{rule}_{n}": "1" for n in (1, 2, 3)}, plan.stdout + plan.stderr


def test_an_unknown_label_fails_the_site_naming_file_row_and_column(workflow_root, tmp_path):
    root = copy_inputs(workflow_root, tmp_path / "broken")
    register = root / "data" / "raw" / PROJECT / "assens" / "register.xlsx"
    book = load_workbook(register)
    sheet = book.worksheets[0]
    track_column = next(c.column for c in sheet[1] if c.value in ("Henvist fra", "Henvisning", "Målgruppe"))
    sheet.cell(row=3, column=track_column, value="Frisør")
    book.save(register)
    result = run_snakemake(root, check=False)
    assert result.returncode != 0
    one_line = (
        r"10_clean.ipynb \(project=\S+ site=assens\), cell In \[\d+\]: RawInputError: \S+/assens/register.xlsx, row 3, "
        r"column '[^']+'"
    )
    assert re.search(one_line, result.stdout + result.stderr), result.stderr[-2000:]
    log = (root / "logs" / PROJECT / "clean_sites_1.log").read_text()
    assert re.search(r"register.xlsx, row 3, column '[^']+ \[[A-Z]+\]': unknown value 'Frisør'", log), log[-2000:]
    # The failed job leaves none of its outputs (Snakemake removes them, so the next run redoes the job; its
    # metadata record of the failed job vouches for no file) and no incomplete mark.
    # (the batch cleaning assens and guldborgsund)
    outputs = [
        f"data/processed/{PROJECT}/sites/{site}/{name}"
        for site in ("assens", "guldborgsund")
        for name in ("participants.parquet", "responses.parquet", "rejected.csv", "repairs.csv", "quality.json")
    ]
    outputs += [f"reports/{PROJECT}/notebooks/10_clean_{site}.ipynb" for site in ("assens", "guldborgsund")]
    assert not [o for o in outputs if (root / o).exists()]
    assert not set(outputs) & marked_incomplete(root)


def test_the_benchmark_floor_does_the_same_analyses_as_the_workflow(workflow_root, tmp_path):
    """The benchmark's baseline (every notebook's code in one plain process) writes the same processed tables
    as the workflow, so the ratio pipeline / floor compares like with like; per-rule figures come from the
    rules' Snakemake benchmark files."""
    from analysis.bench.__main__ import per_rule

    floor = copy_inputs(workflow_root, tmp_path / "floor")
    subprocess.run([sys.executable, "-m", "analysis.bench.floor", PROJECT], cwd=floor, check=True, capture_output=True)
    assert file_hashes(floor / "data" / "processed" / PROJECT) == file_hashes(
        workflow_root / "data" / "processed" / PROJECT
    )
    # the site reports read this table; without it each would recompute the key figures
    key_figures = f"reports/{PROJECT}/key_figures.csv"
    assert (floor / key_figures).read_bytes() == (workflow_root / key_figures).read_bytes()
    rules = per_rule(workflow_root, PROJECT, SITES)
    assert {rule: figures["jobs"] for rule, figures in rules.items()} == {
        "clean_sites": 2,
        "key_figures": 1,
        "pool": 1,
        "retention": 1,
        "reports": 2,
    }
    assert all(figures["seconds"] > 0 and figures["max_rss_mb"] > 0 for figures in rules.values())


def test_report_pages_speak_plain_danish_to_a_reviewer(workflow_root):
    """Every page: the project's word for a site, no unexplained jargon or unreachable references, Danish
    dates and real minus signs in what is shown, alt text on every figure, hashes only behind <details>."""
    reports = workflow_root / "reports" / PROJECT
    for path in sorted(reports.rglob("*.html")):
        page = path.read_text(encoding="utf-8")
        assert re.search(r'<meta [^>]*name="viewport"', page), path
        assert oct(path.stat().st_mode & 0o777) == "0o644", path
        alts = re.findall(r"<img [^>]*?alt=\"([^\"]*)\"", page)
        assert len(alts) == page.count("<img "), path
        assert all(alt and "No description" not in alt for alt in alts), path
        shown = page.split("<details>")[0]
        shown = re.sub(r"<style.*?</style>|src=\"data:[^\"]+\"", "", shown, flags=re.DOTALL)
        text = re.sub(r"<[^>]+>", " ", shown)
        for word in ("enheder", "cloglog", "krympet", "docs/methods.md", "Parametre", "No description"):
            assert word not in text, (path, word)
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text), path
        assert not re.search(r"(?<![\w\d])-\d", text), path
