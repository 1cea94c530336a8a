"""Kaplan–Meier tables against R's published `summary(survfit(...))` output, and the edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.retention.km import kaplan_meier, survival_at

REFERENCE = Path(__file__).resolve().parent / "reference"
FLOAT_SLACK = 1e-12
COMPARED = {"survival": "survival", "std.err": "std_error", "lower_95": "ci_lower", "upper_95": "ci_upper"}


def half_unit(decimals: int) -> float:
    """Tolerance of a printed number: half a unit in its last printed digit (tests/reference/SOURCES.md)."""
    return 0.5 * 10.0**-decimals + FLOAT_SLACK


def assert_matches_r_table(ours: pd.DataFrame, table: dict) -> None:
    """Event-time rows of our curve agree with a published R table within the printed precision."""
    at_events = ours[ours["n_event"] > 0].reset_index(drop=True)
    rows = table["rows"]
    assert at_events["time"].tolist() == [r["time"] for r in rows]
    assert at_events["n_risk"].tolist() == [r["n.risk"] for r in rows]
    assert at_events["n_event"].tolist() == [r["n.event"] for r in rows]
    for r_name, our_name in COMPARED.items():
        published = np.array([np.nan if r[r_name] in (None, "NaN") else r[r_name] for r in rows], dtype=float)
        mine = at_events[our_name].to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(published), err_msg=our_name)
        ok = ~np.isnan(published)
        diff = np.abs(mine[ok] - published[ok])
        assert diff.max() <= half_unit(table["printed_decimals"][r_name]), (our_name, diff.max())


def load(name: str) -> tuple[pd.DataFrame, dict]:
    reference = json.loads((REFERENCE / f"km_{name}.json").read_text())
    return pd.read_csv(REFERENCE / reference["data_file"]), reference


def test_ovarian_overall_and_by_rx_match_r():
    """tests/reference/km_ovarian.json: ?summary.survfit examples (survival-Ex.Rout.save), overall and by rx."""
    ovarian, reference = load("ovarian")
    overall, rx1, rx2 = reference["tables"]
    assert_matches_r_table(kaplan_meier(ovarian, "futime", "fustat"), overall)
    by_rx = kaplan_meier(ovarian, "futime", "fustat", group="rx")
    assert_matches_r_table(by_rx[by_rx["group"] == 1], rx1)
    assert_matches_r_table(by_rx[by_rx["group"] == 2], rx2)


def test_aml_by_arm_matches_r_including_tied_events_and_the_drop_to_zero():
    """tests/reference/km_aml.json: doaml.Rout.save table by x; ties at t=5 and t=8, S=0 (NaN/NA) at t=45."""
    aml, reference = load("aml")
    maintained, nonmaintained = reference["tables"]
    by_arm = kaplan_meier(aml, "time", "status", group="x")
    assert_matches_r_table(by_arm[by_arm["group"] == "Maintained"], maintained)
    assert_matches_r_table(by_arm[by_arm["group"] == "Nonmaintained"], nonmaintained)


def test_aml_overall_curve_matches_r_to_eight_decimals_at_every_time():
    """tests/reference/km_aml.json `overall_km_8_significant_digits` (?rttright example): all 18 distinct times."""
    aml, reference = load("aml")
    published = reference["overall_km_8_significant_digits"]["rows"]
    ours = kaplan_meier(aml, "time", "status")
    assert ours["time"].tolist() == [r["time"] for r in published]
    diff = np.abs(ours["survival"].to_numpy() - [r["survival"] for r in published])
    assert diff.max() <= half_unit(8)
    assert set(ours["group"]) == {"all"}


def test_no_events_gives_survival_one_and_zero_standard_error():
    data = pd.DataFrame({"t": [3.0, 1.0, 2.0, 2.0], "e": [0, 0, 0, 0]})
    km = kaplan_meier(data, "t", "e")
    assert km["time"].tolist() == [1.0, 2.0, 3.0]
    assert km["n_risk"].tolist() == [4, 3, 1]
    assert km["n_censor"].tolist() == [1, 2, 1]
    assert (km["survival"] == 1).all() and (km["std_error"] == 0).all()
    assert (km["ci_lower"] == 1).all() and (km["ci_upper"] == 1).all()


def test_all_events_end_at_zero_with_undefined_error_and_interval():
    data = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 1, 1]})
    km = kaplan_meier(data, "t", "e")
    np.testing.assert_allclose(km["survival"], [2 / 3, 1 / 3, 0.0])
    assert km[["std_error", "ci_lower", "ci_upper"]].iloc[-1].isna().all()
    assert km[["std_error", "ci_lower", "ci_upper"]].iloc[:-1].notna().all().all()


@pytest.mark.parametrize(("event", "survival"), [(1, 0.0), (0, 1.0)])
def test_a_single_participant(event, survival):
    km = kaplan_meier(pd.DataFrame({"t": [7.0], "e": [event]}), "t", "e")
    assert len(km) == 1
    assert km.loc[0, "n_risk"] == 1 and km.loc[0, "n_event"] == event
    assert km.loc[0, "survival"] == survival
    assert np.isnan(km.loc[0, "std_error"]) == (event == 1)


def test_censored_at_an_event_time_are_still_at_risk_then():
    """R's convention: at t=2 the two censored are in the risk set, so n=4 and S drops by 1/4, not 1/2."""
    data = pd.DataFrame({"t": [1, 2, 2, 2, 3], "e": [1, 1, 0, 0, 1]})
    km = kaplan_meier(data, "t", "e").set_index("time")
    assert km.loc[2, "n_risk"] == 4 and km.loc[2, "n_event"] == 1 and km.loc[2, "n_censor"] == 2
    assert km.loc[2, "survival"] == pytest.approx(4 / 5 * 3 / 4)
    greenwood = 1 / (5 * 4) + 1 / (4 * 3)
    assert km.loc[2, "std_error"] == pytest.approx(0.6 * np.sqrt(greenwood))
    z = 1.959963984540054
    assert km.loc[2, "ci_lower"] == pytest.approx(0.6 * np.exp(-z * np.sqrt(greenwood)))
    assert km.loc[2, "ci_upper"] == pytest.approx(min(1.0, 0.6 * np.exp(z * np.sqrt(greenwood))))
    assert km.loc[3, "survival"] == 0.0


def test_confidence_changes_only_the_interval():
    aml, _ = load("aml")
    wide, narrow = kaplan_meier(aml, "time", "status"), kaplan_meier(aml, "time", "status", confidence=0.8)
    pd.testing.assert_series_equal(wide["survival"], narrow["survival"])
    assert (narrow["ci_lower"] >= wide["ci_lower"]).all()
    with pytest.raises(ValueError, match="confidence"):
        kaplan_meier(aml, "time", "status", confidence=95)


def test_missing_durations_are_refused_naming_column_and_count():
    data = pd.DataFrame({"days": [1.0, np.nan, 3.0, np.nan], "left": [1, 0, 1, 0]})
    with pytest.raises(ValueError, match=r"'days' has 2 missing"):
        kaplan_meier(data, "days", "left")


def test_events_must_be_zero_or_one():
    with pytest.raises(ValueError, match="0/1"):
        kaplan_meier(pd.DataFrame({"t": [1, 2], "e": [1, 2]}), "t", "e")


def test_survival_at_reads_the_right_continuous_step_function():
    aml, _ = load("aml")
    by_arm = kaplan_meier(aml, "time", "status", group="x")
    at = survival_at(by_arm, [0, 9, 10, 161, 170]).set_index(["group", "time"])
    maintained = by_arm[by_arm["group"] == "Maintained"].set_index("time")
    assert at.loc[("Maintained", 0.0), "survival"] == 1 and at.loc[("Maintained", 0.0), "n_risk"] == 11
    assert at.loc[("Maintained", 9.0), "survival"] == maintained.loc[9, "survival"]  # value after the drop at 9
    assert at.loc[("Maintained", 10.0), "survival"] == maintained.loc[9, "survival"]
    assert at.loc[("Maintained", 10.0), "n_risk"] == maintained.loc[13, "n_risk"]
    assert at.loc[("Maintained", 161.0), "ci_lower"] == maintained.loc[161, "ci_lower"]
    assert np.isnan(at.loc[("Maintained", 170.0), "survival"])  # beyond the last observed time
    assert at.loc[("Nonmaintained", 161.0), "survival"] == 0  # a curve that reached 0 stays 0


def test_large_censored_sample_recovers_a_known_survival_curve():
    """100,000 exponential lifetimes (mean 100) under independent exponential censoring (mean 200):
    the estimate at t = 50, 100, 200 lies within 4 SEs of the true S(t) = exp(-t/100)."""
    rng = np.random.default_rng(7)
    n = 100_000
    lifetime, censor = rng.exponential(100, n), rng.exponential(200, n)
    data = pd.DataFrame({"t": np.minimum(lifetime, censor), "e": (lifetime <= censor).astype(int)})
    km = kaplan_meier(data, "t", "e")
    assert len(km) == n and km["n_event"].sum() == data["e"].sum()
    at = survival_at(km, [50.0, 100.0, 200.0]).set_index("time")
    for t in (50.0, 100.0, 200.0):
        assert abs(at.loc[t, "survival"] - np.exp(-t / 100)) < 4 * at.loc[t, "std_error"]
