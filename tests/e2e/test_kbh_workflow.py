"""End-to-end: the second project, Copenhagen's prevention centres (seed 001), through the real workflow.

It is config and raw data only (tests/test_project_names.py proves no code names it), compares its
bridging models because its config says `compare_by: bridging_model`, has one survey wave at three of its
five centres, and calls its sites prevention centres.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
PROJECT = "kbh-udslusning"
SITES = ["amager", "vesterbro", "vanloese", "oesterbro", "noerrebro"]
MODELS = ["Amagermodellen", "Vesterbromodellen", "Vanløsemodellen", "Prøvetimer (almindelig udslusning)"]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kbh")
    shutil.copytree(REPO / "config" / "projects" / PROJECT, root / "config" / "projects" / PROJECT)
    shutil.copytree(REPO / "data" / "raw" / PROJECT, root / "data" / "raw" / PROJECT)
    (root / "config" / "config.yaml").write_text(f"project: {PROJECT}\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "workflow" / "Snakefile"),
        "--directory",
        str(root),
        "--cores",
        "2",
        "--config",
        f"project={PROJECT}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root


def _page(root: Path, name: str) -> str:
    return (root / "reports" / PROJECT / name).read_text(encoding="utf-8")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_row_is_kept_or_rejected_and_the_starters_match_the_associations_register(root):
    processed = root / "data" / "processed" / PROJECT
    for site in SITES:
        quality = json.loads((processed / "sites" / site / "quality.json").read_text())
        assert all(t["kept"] + t["rejected"] == t["read"] for t in quality["files"])
        assert list(quality["response_rate"]) == (["followup"] if site in SITES[:3] else [])
    participants = pd.read_parquet(processed / "participants.parquet")
    started = participants[participants["start_date"].notna()]
    with open(REPO / "data" / "raw" / PROJECT / "foreninger.csv", encoding="utf-8", newline="") as handle:
        register = Counter()
        for row in csv.DictReader(handle, delimiter=";"):
            register[row["forening"]] += int(row["antal_deltagere"])
    assert Counter(started["association"].value_counts().to_dict()) == register
    assert sorted(participants["subsidy_months"].unique()) == [1, 2, 3]  # the free periods


def test_the_summary_compares_the_bridging_models(root):
    text = _text(_page(root, "summary.html"))
    assert "Sammenligning efter udslusningsmodel" in text
    for model in MODELS:
        assert model in text
    assert re.search(r"Amagermodellen Amager \d+ \d+ \(\d+ %\)", text), "referred, then started with its share"
    assert "Frafald når den gratis periode slutter" in text
    identified = "gange så stor som i den gratis periode" in text
    assert identified != ("kan ikke beregnes" in text)  # a number, or the plain sentence, never both
    assert "kontingentstøtte" not in text and "COVID" not in text and "Kommune" not in text


def test_site_reports_are_about_prevention_centres_and_say_who_was_not_surveyed(root):
    amager = _text(_page(root, "sites/amager.html"))
    assert "Forebyggelsescenter Amager" in amager and "Udslusningsmodel" in amager
    assert "Sammenligning efter udslusningsmodel" in amager and "Ikke registreret" in amager
    noerrebro = _text(_page(root, "sites/noerrebro.html"))
    assert "var ikke med i spørgeskemaundersøgelsen" in noerrebro
    assert "Jobparathed" not in noerrebro + amager  # not asked in this project
    index = _text(_page(root, "index.html"))
    assert "Forebyggelsescenter" in index and "Vanløse" in index  # the key figures table: one row per centre


def test_the_privacy_audit_finds_nothing(root):
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "audit", PROJECT], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0 and "audit: 0 findings" in result.stdout, result.stdout + result.stderr


def test_every_page_opens_cleanly_in_a_browser(root, chromium):
    reports = root / "reports" / PROJECT
    result = subprocess.run(
        [sys.executable, "-m", "analysis.tools.browser", "check", str(reports)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list((reports / "screenshots").rglob("*.png"))) == 14  # 7 pages at a phone's and a desktop's width
