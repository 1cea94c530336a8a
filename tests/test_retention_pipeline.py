"""The retention stage as the workflow runs it: every table written, honest about what it cannot do."""

import dataclasses
import json
from datetime import date

import pandas as pd
from conftest import DEFAULT_PROJECT, DEFAULT_PROJECT_DIR, REPO

from analysis.project.loader import load_project
from analysis.retention.pipeline import fit_retention, headline, write_retention
from analysis.simulation.population import project_parameters, simulate_population
from analysis.simulation.simulate import select_sites

CONFIG = load_project(DEFAULT_PROJECT, REPO).config


def _participants(params, seed=4):
    return simulate_population(params, seed, identities=False)[0]


def test_all_tables_are_written_and_the_headline_quotes_the_fit(tmp_path):
    params = select_sites(
        project_parameters(DEFAULT_PROJECT_DIR), ["assens", "viborg", "helsingoer", "jammerbugt"], 1.0
    )
    results = fit_retention(_participants(params), CONFIG)
    written = write_retention(results, tmp_path)
    assert {p.name for p in written} == {
        "primary.parquet",
        "event_study.parquet",
        "cox.parquet",
        "site_effects.parquet",
        "km.parquet",
        "retention_at.parquet",
        "summary.json",
    }
    post = results.primary.table.query("term == 'post_subsidy' and se_type == 'clustered'").iloc[0]
    sentence = headline(results.primary)
    assert f"{post['hazard_ratio']:.2f} times" in sentence and f"{post['ci_lower']:.2f} to" in sentence
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["excluded"]["site does not report end status"] > 0  # jammerbugt
    cox_post = results.cox.table.set_index("term").loc["post_subsidy", "hazard_ratio"]
    assert abs(cox_post - post["hazard_ratio"]) < 0.1 * post["hazard_ratio"]  # the robustness check agrees


def test_same_subsidy_everywhere_gives_a_plain_statement_instead_of_a_number():
    params = project_parameters(DEFAULT_PROJECT_DIR)
    same = tuple(
        dataclasses.replace(s, subsidy_rules=((date(2019, 1, 1), 6),), subsidy_exception_share=0.0)
        for s in params.sites
    )
    results = fit_retention(_participants(dataclasses.replace(params, sites=same)), CONFIG)
    assert headline(results.primary).startswith("No subsidy-end effect is reported.")
    assert "cannot be separated from time since start" in headline(results.primary)


def test_a_project_where_no_site_reports_end_status_does_not_crash():
    participants = _participants(select_sites(project_parameters(DEFAULT_PROJECT_DIR), ["assens"], 0.3))
    results = fit_retention(participants.assign(end_status_reported=False), CONFIG)
    assert results.primary.table.empty and results.summary["events"] == 0
    assert any("site does not report end status" in w for w in results.summary["warnings"])
    assert isinstance(results.km, pd.DataFrame)
