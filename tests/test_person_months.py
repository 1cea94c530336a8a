"""Person-months built from hand-made enrolments whose months can be counted on a calendar."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import DEFAULT_PROJECT_DIR

from analysis.retention.person_months import build_person_months, subsidy_end_bins

LOCKDOWN = [(date(2021, 2, 20), date(2021, 2, 25))]


def _enrolments():
    base = {
        "participant_id": "p",
        "site": "s",
        "referral_track": "health",
        "age": 40,
        "sex": "female",
        "accompanied": True,
        "team_type": "existing",
        "bridging_model": "b",
        "referral_date": pd.NaT,
        "end_status_reported": True,
        "dropout_reason": None,
    }
    rows = [
        dict(
            base,
            participant_id="a",
            enrolment=1,
            start_date="2021-01-15",
            end_date="2021-03-20",
            last_contact_date="2021-03-25",
            subsidy_months=1,
        ),
        dict(
            base,
            participant_id="b",
            enrolment=1,
            start_date="2021-01-31",
            end_date=None,
            last_contact_date="2021-04-29",
            subsidy_months=0,
        ),
        dict(
            base,
            participant_id="c",
            enrolment=1,
            start_date=None,
            end_date=None,
            last_contact_date=None,
            subsidy_months=3,
        ),
        dict(
            base,
            participant_id="d",
            enrolment=1,
            start_date="2021-01-10",
            end_date=None,
            last_contact_date=None,
            subsidy_months=3,
            end_status_reported=False,
        ),
        dict(
            base,
            participant_id="e",
            enrolment=1,
            start_date="2021-01-10",
            end_date=None,
            last_contact_date=None,
            subsidy_months=None,
        ),
    ]
    frame = pd.DataFrame(rows)
    for column in ("start_date", "end_date", "last_contact_date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["subsidy_months"] = frame["subsidy_months"].astype("Int64")
    return frame


@pytest.fixture
def built():
    return build_person_months(_enrolments(), date(2021, 6, 30), LOCKDOWN)


def test_a_leaver_is_at_risk_up_to_and_including_the_month_they_left(built):
    a = built.rows[built.rows["participant_id"] == "a"]
    assert list(a["month"]) == [1, 2, 3] and list(a["event"]) == [0, 0, 1]
    assert list(a["post_subsidy"]) == [0, 1, 1]
    assert list(a["months_from_subsidy_end"]) == [-1, 0, 1]
    assert list(a["lockdown"]) == [0, 1, 0]
    assert list(zip(a["day_from"], a["day_to"], strict=True)) == [(0, 31), (31, 59), (59, 65)]


def test_a_censored_enrolment_counts_only_months_seen_in_full(built):
    b = built.rows[built.rows["participant_id"] == "b"]
    # 31 Jan + 2 months = 31 Mar <= 29 Apr (last contact) < 30 Apr = 31 Jan + 3 months
    assert list(b["month"]) == [1, 2] and b["event"].sum() == 0
    assert b["post_subsidy"].sum() == 0 and b["months_from_subsidy_end"].isna().all()
    assert list(b["lockdown"]) == [1, 0]


def test_who_is_left_out_is_counted_and_said(built):
    assert set(built.rows["participant_id"]) == {"a", "b"}
    assert built.excluded["never started in the association"] == 1
    assert built.excluded["site does not report end status"] == 1
    assert built.excluded["planned subsidy length missing"] == 1
    assert any("planned subsidy length missing" in w for w in built.warnings)


def test_event_study_bins():
    months = pd.Series([-20, -12, -7, -6, -4, -3, -1, 0, 2, 3, 5, 6, 11, 12, 40, np.nan])
    assert list(subsidy_end_bins(months)) == [
        "<-12",
        "-12..-7",
        "-12..-7",
        "-6..-4",
        "-6..-4",
        "-3..-1",
        "-3..-1",
        "0..2",
        "0..2",
        "3..5",
        "3..5",
        "6..11",
        "6..11",
        "12+",
        "12+",
        "no subsidy",
    ]


def test_merging_unchanged_months_leaves_the_cox_fit_unchanged():
    """The counting-process Cox model on merged intervals equals the fit on one row per month, to rounding."""
    from analysis.retention.cox import cox_counting_process
    from analysis.retention.person_months import merge_unchanged_months
    from analysis.simulation.population import project_parameters, simulate_population
    from analysis.simulation.simulate import select_sites

    params = select_sites(project_parameters(DEFAULT_PROJECT_DIR), ["assens", "viborg", "helsingoer"], 0.5)
    participants, _ = simulate_population(params, seed=7, identities=False)
    lockdowns = [(date(2020, 3, 11), date(2020, 5, 17)), (date(2020, 12, 9), date(2021, 4, 20))]
    rows = build_person_months(participants, params.extraction_date, lockdowns).rows
    rows["employment"] = (rows["referral_track"] == "employment").astype("int64")  # tracks with events only
    merged = merge_unchanged_months(rows, ["post_subsidy", "lockdown", "employment"])
    assert len(merged) < len(rows) / 3 and merged["event"].sum() == rows["event"].sum()

    def fit(frame: pd.DataFrame) -> pd.DataFrame:
        data = pd.concat(
            [
                frame[["day_from", "day_to", "event", "post_subsidy", "lockdown", "employment"]],
                pd.get_dummies(frame[["site"]], drop_first=True, dtype="int64"),
            ],
            axis=1,
        )
        covariates = [c for c in data.columns if c not in ("day_from", "day_to", "event")]
        return cox_counting_process(data, stop="day_to", event="event", start="day_from", covariates=covariates).table

    by_month, by_interval = fit(rows), fit(merged)
    assert by_month["term"].tolist() == by_interval["term"].tolist()
    np.testing.assert_allclose(by_interval["estimate"], by_month["estimate"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(by_interval["std_error"], by_month["std_error"], rtol=1e-9)
