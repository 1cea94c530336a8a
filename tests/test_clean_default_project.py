"""The cleaner on the embedded default project, checked against the simulator's known truth.

The simulator planted faults at known rows and knows every true value; the cleaner must reject exactly the
planted rows it should reject, repair the planted repairs, and recover the true canonical tables.
Validation code (like this test) is the only reader of _simulation_truth.json.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import DEFAULT_PROJECT, DEFAULT_PROJECT_DIR, REPO

from analysis.clean.site import clean_site
from analysis.core.tables import as_canonical
from analysis.core.vocabulary import PARTICIPANT_DTYPES, PARTICIPANT_KEY, RESPONSE_DTYPES, RESPONSE_KEY
from analysis.project.loader import load_project
from analysis.simulation.population import project_parameters, simulate_population

TRUTH = json.loads((REPO / "data" / "raw" / DEFAULT_PROJECT / "_simulation_truth.json").read_text(encoding="utf-8"))
PROJECT = load_project(DEFAULT_PROJECT, REPO)
NOT_REPORTED = ["end_date", "last_contact_date", "dropout_reason"]


@pytest.fixture(scope="module")
def cleaned() -> dict:
    return {site: clean_site(PROJECT, site) for site in PROJECT.site_ids}


@pytest.fixture(scope="module")
def true_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    participants, responses = simulate_population(project_parameters(DEFAULT_PROJECT_DIR), TRUTH["seed"])
    return (
        as_canonical(participants, PARTICIPANT_DTYPES, PARTICIPANT_KEY),
        as_canonical(responses, RESPONSE_DTYPES, RESPONSE_KEY),
    )


def _planted(site: str, expected: str) -> list[dict]:
    return [f for f in TRUTH["faults"] if f["site"] == site and f["expected"] == expected]


@pytest.mark.parametrize("site", PROJECT.site_ids)
def test_exactly_the_planted_rows_are_rejected(cleaned, site):
    rejected = cleaned[site].ledger.rejected_frame()
    got = {
        (f.split("/")[-1], r)
        for f, r, reason in zip(rejected["file"], rejected["row"], rejected["reason"], strict=True)
        if reason != "empty_row"
    }
    assert got == {(f["file"], f["row"]) for f in _planted(site, "reject")}


@pytest.mark.parametrize("site", PROJECT.site_ids)
def test_every_planted_repair_is_recorded_where_it_was_planted(cleaned, site):
    repairs = cleaned[site].ledger.repairs_frame()
    got = {
        (f.split("/")[-1], r, c.rsplit(" [", 1)[0])
        for f, r, c in zip(repairs["file"], repairs["row"], repairs["column"], strict=True)
    }
    missing = [f for f in _planted(site, "repair") if (f["file"], f["row"], f["column"]) not in got]
    assert not missing, missing[:3]


@pytest.mark.parametrize("site", PROJECT.site_ids)
def test_the_true_participants_are_recovered(cleaned, true_tables, site):
    truth = true_tables[0][true_tables[0]["site"] == site].reset_index(drop=True)
    got = cleaned[site].participants
    if not PROJECT.site(site)["reports_end_status"]:
        truth = truth.assign(end_date=pd.NaT, last_contact_date=pd.NaT, dropout_reason=pd.NA)
        assert got[NOT_REPORTED].isna().all().all()
        truth = truth.astype(PARTICIPANT_DTYPES)
    pd.testing.assert_frame_equal(got, truth)


@pytest.mark.parametrize("site", PROJECT.site_ids)
def test_the_true_responses_are_recovered_but_for_out_of_range_answers(cleaned, true_tables, site):
    truth = true_tables[1][true_tables[1]["site"] == site].reset_index(drop=True)
    got = cleaned[site].responses
    assert len(got) == len(truth)
    differing = got.astype("string").fillna("<missing>") != truth.astype("string").fillna("<missing>")
    out_of_range = [f for f in _planted(site, "repair") if f["kind"] == "out_of_range_answer"]
    # the planted out-of-range answer is set missing; so is the WHO-5 sum built on it
    cells_per_fault = {"who5": 3, "job_readiness": 1}
    expected = sum(cells_per_fault["who5" if "WHO5" in f["column"] else "job_readiness"] for f in out_of_range)
    assert int(differing.to_numpy().sum()) == expected


def test_the_default_project_totals_reconcile(cleaned):
    read = sum(r.quality["totals"]["read"] for r in cleaned.values())
    kept = sum(r.quality["totals"]["kept"] for r in cleaned.values())
    rejected = sum(r.quality["totals"]["rejected"] for r in cleaned.values())
    assert kept + rejected == read
    assert sum(len(r.participants) for r in cleaned.values()) == TRUTH["totals"]["referred"]
