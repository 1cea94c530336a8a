"""Reports compare the groups the config names (`compare_by`), in the project's words, with small cells hidden."""

from __future__ import annotations

import dataclasses
import re
from html import unescape

import pytest
from conftest import REPO

from analysis.project.loader import load_project
from analysis.reports.context import ReportContext
from analysis.reports.messages import Messages
from analysis.reports.site_report import SiteReport
from analysis.reports.summary_report import SummaryReport
from analysis.retention.pipeline import fit_retention
from analysis.simulation.population import project_parameters, simulate_population

PROJECT = "kbh-udslusning"


@pytest.fixture(scope="module")
def tables():
    project = load_project(PROJECT, REPO)
    participants, responses = simulate_population(project_parameters(project.config_dir), 3, identities=False)
    results = fit_retention(participants, project.config)
    models = results.tables
    return project, participants, responses, models, results.summary


def _context(tables, language: str, min_cell: int, config: dict | None = None) -> ReportContext:
    project, participants, responses, models, summary = tables
    if config is not None:
        project = dataclasses.replace(project, config=config)
    overrides = project.config.get("messages", {}).get(language, {})
    return ReportContext(
        project=project,
        messages=Messages(language, overrides),
        min_cell=min_cell,
        participants=participants,
        responses=responses,
        models=models,
        model_summary=summary,
        quality={},
    )


def _rows(items: list) -> list[list[str]]:
    html = "\n".join(i.data for i in items if isinstance(getattr(i, "data", None), str))
    body = re.search(r"<table.*?</table>", html, re.DOTALL).group(0)
    cell = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.DOTALL)
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cell.findall(r)]
        for r in re.findall(r"<tr.*?</tr>", body, re.DOTALL)
    ]


def test_the_summary_compares_the_bridging_models_the_config_names(tables):
    rows = _rows(SummaryReport(_context(tables, "en", 5)).groups())
    assert rows[0][:3] == ["Bridging model", "Prevention centres", "Referred"]  # unit_label_plural
    assert [r[0] for r in rows[1:]] == [
        "Amager model",
        "Vesterbro model",
        "Vanløse model",
        "Trial sessions (usual practice)",
        "All",
    ]
    assert rows[4][1] == "Østerbro, Nørrebro"
    participants = tables[1]
    amager = participants[participants["site"] == "amager"]
    started = int(amager["start_date"].notna().sum())
    assert rows[1][2:4] == [str(len(amager)), f"{started} ({round(100 * started / len(amager))}\u00a0%)"]


def test_groups_below_min_cell_are_hidden_with_their_shares(tables):
    rows = _rows(SummaryReport(_context(tables, "en", 50)).groups())
    amager = rows[1]  # 42 referred, fewer than 50
    assert amager[2] == "<50" and amager[3] == "<50"
    assert all(
        re.fullmatch(r"<50|\.\.|\d{2,}(,\d{3})*( \(\d+\u00a0%\))?", cell) for row in rows[1:] for cell in row[2:]
    )


def test_without_compare_by_there_is_no_group_section_and_tracks_are_compared(tables):
    config = {k: v for k, v in tables[0].config.items() if k != "compare_by"}
    context = _context(tables, "da", 5, config)
    assert SummaryReport(context).groups() == []
    assert context.group_header == "Henvisningsspor" and context.group_label("health") == "Sundhed"


def test_site_reports_name_the_centre_its_model_and_the_project_wording(tables):
    context = _context(tables, "da", 5)
    report = SiteReport(context, "vanloese")
    title = "".join(i.data for i in report.title() if isinstance(getattr(i, "data", None), str))
    assert "Forebyggelsescenter Vanløse" in title
    assert context.site_label("oesterbro") == "Østerbro (Prøvetimer (almindelig udslusning))"
    subsidy = "".join(i.data for i in report.subsidy() if isinstance(getattr(i, "data", None), str))
    assert "gratis periode" in subsidy and "kontingentstøtte" not in subsidy
    funnel = _rows(report.funnel())
    # one model per centre: a group row would repeat the total, so the funnel is the total alone, by stage
    assert funnel[0] == ["Trin", "Værdi"] and funnel[1][0] == "Henvist til forløb"  # the project's wording
    participants = tables[1]
    assert funnel[1][1] == str(int((participants["site"] == "vanloese").sum()))
