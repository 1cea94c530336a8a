"""A tiny site's report: no number below min_cell can be read, or worked out from totals, in its HTML.

The site has 9 enrolments, so most of its breakdowns are small. The report's sections are rendered to
HTML exactly as the notebook shows them; the test then reads every table back from the HTML and attacks it
the way a reader could: by reading small numbers, and by subtracting shown cells from shown totals.
"""

from __future__ import annotations

import dataclasses
import re
from html import unescape

import pandas as pd
import pytest
from conftest import DEFAULT_PROJECT, DEFAULT_PROJECT_DIR, REPO

from analysis.project.loader import load_project
from analysis.reports.context import ReportContext
from analysis.reports.messages import Messages
from analysis.reports.site_report import SiteReport
from analysis.retention.pipeline import fit_retention
from analysis.simulation.population import project_parameters, simulate_population
from analysis.simulation.simulate import select_sites

MIN_CELL = 5
TINY = "assens"
SECTIONS = ["key_figures", "recruitment", "funnel", "retention", "reasons", "outcomes", "quality"]


@pytest.fixture(scope="module")
def html() -> str:
    params = select_sites(project_parameters(DEFAULT_PROJECT_DIR), [TINY, "viborg", "silkeborg", "helsingoer"], 1.0)
    sites = tuple(dataclasses.replace(s, n=9) if s.site == TINY else s for s in params.sites)
    participants, responses = simulate_population(dataclasses.replace(params, sites=sites), 8, identities=False)
    project = load_project(DEFAULT_PROJECT, REPO)
    results = fit_retention(participants, project.config)
    models = results.tables
    mine = participants[participants["site"] == TINY]
    quality = {
        TINY: {
            "files": [],
            "totals": {},
            "response_rate": {
                "baseline": {
                    "eligible": len(mine),
                    "answered": int((responses[responses["site"] == TINY]["wave"] == "baseline").sum()),
                    "rate": 0.5,
                }
            },
        }
    }
    context = ReportContext(
        project=project,
        messages=Messages("en"),
        min_cell=MIN_CELL,
        participants=participants,
        responses=responses,
        models=models,
        model_summary=results.summary,
        quality=quality,
    )
    report = SiteReport(context, TINY)
    parts = [
        item.data
        for section in SECTIONS
        for item in getattr(report, section)()
        if hasattr(item, "data") and isinstance(item.data, str)
    ]
    return "\n".join(parts)


def _tables(html: str) -> list[pd.DataFrame]:
    tables = []
    for body in re.findall(r"<table.*?</table>", html, re.DOTALL):
        rows = [
            [
                unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
            ]
            for row in re.findall(r"<tr.*?</tr>", body, re.DOTALL)
        ]
        tables.append(pd.DataFrame(rows[1:], columns=rows[0]))
    return tables


def _count(text: str) -> int | None:
    return int(text.replace(",", "")) if re.fullmatch(r"\d[\d,]*", text) else None


def test_no_shown_count_is_below_min_cell(html):
    for table in _tables(html):
        for value in table.iloc[:, 1:].to_numpy().ravel():
            count = _count(value)
            assert count is None or count == 0 or count >= MIN_CELL, table


def test_no_hidden_cell_can_be_worked_out_from_a_total(html):
    """One-way count tables end with a total row: a single hidden cell beside it would be recoverable."""
    for table in _tables(html):
        if table.empty or table.iloc[-1, 0] not in ("All", "Alle"):
            continue
        for column in table.columns[1:]:
            cells = list(table[column].iloc[:-1])
            hidden = [c for c in cells if c.startswith("<") or c == ".."]
            if table[column].iloc[-1].startswith("<") or table[column].iloc[-1] == "..":
                continue
            assert len(hidden) != 1, f"one hidden cell beside a shown total in:\n{table}"


def test_sentences_quote_no_small_number(html):
    sentences = re.findall(r"<p[^>]*>(.*?)</p>", html, re.DOTALL)
    for sentence in sentences:
        for number in re.findall(r"(?<![\d.,<])(\d+)(?![\d.,%])", unescape(sentence)):
            value = int(number)
            assert value == 0 or value >= MIN_CELL or number in ("3", "6", "12", "1", "95"), sentence


def test_the_site_is_really_tiny(html):
    assert "&lt;5" in html  # something had to be hidden
