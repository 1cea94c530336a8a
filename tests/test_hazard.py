"""The discrete-time hazard model on simulated data with a known truth, and on data it must refuse."""

from __future__ import annotations

import dataclasses
from datetime import date
from math import log

import numpy as np
import pytest
from conftest import DEFAULT_PROJECT_DIR

from analysis.retention.hazard import fit_discrete_hazard, fit_event_study
from analysis.retention.person_months import build_person_months
from analysis.simulation.population import project_parameters, simulate_population
from analysis.simulation.simulate import select_sites

PARAMS = project_parameters(DEFAULT_PROJECT_DIR)
COVARIATES = ["referral_track", "lockdown"]


def _person_months(params, seed):
    participants, _ = simulate_population(params, seed, identities=False)
    return build_person_months(participants, params.extraction_date, list(params.lockdowns)).rows


def _post(fit, se_type="clustered"):
    table = fit.table
    return table[(table["term"] == "post_subsidy") & (table["se_type"] == se_type)].iloc[0]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_recovers_the_true_post_subsidy_effect(seed):
    """Fast recovery check (the full coverage study is `python -m analysis.simulation.recovery`)."""
    params = select_sites(PARAMS, None, 3.0)
    fit = fit_discrete_hazard(_person_months(params, seed), ["post_subsidy"], COVARIATES)
    post = _post(fit)
    truth = PARAMS.log_hr_post_subsidy
    assert fit.identified
    assert abs(post["estimate"] - truth) < 4 * post["std_error"] and abs(post["estimate"] - truth) < 0.3
    lockdown = fit.table[(fit.table["term"] == "lockdown") & (fit.table["se_type"] == "naive")].iloc[0]
    assert abs(lockdown["estimate"] - PARAMS.log_hr_lockdown) < 4 * lockdown["std_error"]


def test_clustered_interval_uses_t_with_sites_minus_one_degrees_of_freedom():
    fit = fit_discrete_hazard(_person_months(PARAMS, 5), ["post_subsidy"], COVARIATES)
    post = _post(fit)
    from scipy import stats

    width = np.log(post["ci_upper"]) - post["estimate"]
    assert fit.info["clusters"] == 8 and post["reference"] == "t(G-1)"
    assert width == pytest.approx(stats.t(df=7).ppf(0.975) * post["std_error"])


def test_aggregation_gives_the_same_fit_as_person_months():
    """Patterns of covariates give the exact person-month likelihood: compare with an unaggregated GLM."""
    import patsy
    import statsmodels.api as sm

    rows = _person_months(select_sites(PARAMS, ["assens", "viborg", "helsingoer"], 1.0), 3)
    fit = fit_discrete_hazard(rows, ["post_subsidy"], ["lockdown"], baseline_edges=(1, 4, 7, 13, 25))
    bins = np.searchsorted([1, 4, 7, 13, 25], rows["month"], side="right")
    design = patsy.dmatrix("C(bins) + C(site) + lockdown + post_subsidy", rows.assign(bins=bins))
    direct = sm.GLM(rows["event"], design, family=sm.families.Binomial(link=sm.families.links.CLogLog())).fit()
    assert _post(fit, "naive")["estimate"] == pytest.approx(np.asarray(direct.params)[-1], abs=1e-8)
    assert _post(fit, "naive")["std_error"] == pytest.approx(np.asarray(direct.bse)[-1], rel=1e-6)


def test_equal_subsidy_lengths_everywhere_are_not_identified_and_no_number_is_printed():
    same = tuple(
        dataclasses.replace(s, subsidy_rules=((date(2019, 1, 1), 6),), subsidy_exception_share=0.0)
        for s in PARAMS.sites
    )
    fit = fit_discrete_hazard(_person_months(dataclasses.replace(PARAMS, sites=same), 1), ["post_subsidy"], COVARIATES)
    assert not fit.identified
    assert _post(fit)[["estimate", "hazard_ratio", "ci_lower", "ci_upper"]].isna().all()
    assert any("cannot be separated from time since start" in w for w in fit.warnings)


def test_different_lengths_between_sites_are_identified():
    lengths = [3, 6, 9, 12, 3, 6, 9, 12, 6]
    sites = tuple(
        dataclasses.replace(s, subsidy_rules=((date(2019, 1, 1), m),))
        for s, m in zip(PARAMS.sites, lengths, strict=True)
    )
    fit = fit_discrete_hazard(_person_months(dataclasses.replace(PARAMS, sites=sites), 1), ["post_subsidy"], COVARIATES)
    assert fit.identified and np.isfinite(_post(fit)["estimate"])


def test_bad_inputs_give_warnings_not_crashes():
    rows = _person_months(select_sites(PARAMS, ["assens", "viborg", "fredensborg"], 0.5), 2)
    quiet = rows[rows["site"] != "viborg"]
    silent_site = rows.assign(event=np.where(rows["site"] == "viborg", 0, rows["event"]))
    fit = fit_discrete_hazard(
        silent_site.assign(everyone=1), ["post_subsidy"], COVARIATES + ["bridging_model", "everyone"]
    )
    assert any("No one left the association at viborg" in w for w in fit.warnings)
    assert any("'everyone' has the same value for everyone" in w for w in fit.warnings)
    assert any("'bridging_model[foreningsdating]' cannot be separated" in w for w in fit.warnings)
    assert np.isfinite(_post(fit)["estimate"])
    censored = fit_discrete_hazard(quiet.assign(event=0), ["post_subsidy"], COVARIATES)
    assert censored.table.empty and "No one left" in censored.warnings[0]
    one = rows[rows["participant_id"] == rows["participant_id"].iloc[0]]
    assert isinstance(fit_discrete_hazard(one, ["post_subsidy"], COVARIATES).warnings, list)


def test_event_study_rises_after_the_planned_end():
    fit = fit_event_study(_person_months(select_sites(PARAMS, None, 3.0), 21), COVARIATES)
    clustered = fit.table[fit.table["se_type"] == "clustered"].set_index("term")
    assert clustered.loc["months 0..2", "estimate"] > log(1.3)
    assert abs(clustered.loc["months -6..-4", "estimate"]) < 0.3
    assert fit.info["bins"]["-3..-1"]["events"] > 0
