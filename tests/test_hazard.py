"""The discrete-time hazard model on simulated data with a known truth, and on data it must refuse."""

from __future__ import annotations

import dataclasses
from datetime import date
from math import log

import numpy as np
import pandas as pd
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


def test_small_recovery_study_bias_and_coverage_within_monte_carlo_bounds():
    """40 replicates of the validation study's first scenario (8 sites of 150, site frailty SD 0.3); the
    full study is `make validate` (docs/validation.md). Bounds follow from the replicate count: the mean is
    within 3 Monte Carlo SEs of the truth, and each interval covers at least 38 - 3 x 1.38 = 34 of 40
    replicates, three binomial SDs below the 38 expected at 95 %."""
    from analysis.simulation.recovery import SCENARIOS, fit_replicate, summarise

    replicates = 40
    rows = pd.DataFrame([fit_replicate(PARAMS, SCENARIOS[0], seed) for seed in range(500, 500 + replicates)])
    summary = summarise(rows, PARAMS.log_hr_post_subsidy).iloc[0]
    assert summary["usable"] == replicates
    assert abs(summary["bias"]) < 3 * summary["empirical_sd"] / np.sqrt(replicates)
    for kind in ("naive", "clustered", "jackknife", "bootstrap", "shown"):
        assert summary[f"{kind}_coverage"] * replicates >= 34, kind


def test_the_reference_includes_never_subsidised_months_as_the_simulator_defines():
    """Every subsidised site gives 6 months, so post_subsidy is identified only by the unsubsidised sites:
    the estimate compares months after a subsidy with months of people never subsidised (at the same month
    since start), and the simulator's truth b_post means exactly that contrast (its never-subsidised people
    have post_subsidy = 0). Pooled over 3 large replicates it recovers b_post."""
    lengths = [6, 6, 6, 6, 6, 6, 6, 0, 0]
    sites = tuple(
        dataclasses.replace(s, subsidy_rules=((date(2019, 1, 1), m),), subsidy_exception_share=0.0, n=4 * s.n)
        for s, m in zip(PARAMS.sites, lengths, strict=True)
    )
    params = dataclasses.replace(PARAMS, sites=sites)
    estimates, ses = [], []
    for seed in (31, 32, 33):
        rows = _person_months(params, seed)
        fit = fit_discrete_hazard(rows, ["post_subsidy"], COVARIATES)
        estimates.append(_post(fit, "naive")["estimate"])
        ses.append(_post(fit, "naive")["std_error"])
    pooled, pooled_se = np.mean(estimates), np.sqrt(np.sum(np.square(ses))) / 3
    assert abs(pooled - PARAMS.log_hr_post_subsidy) < 3 * pooled_se


def _hand_made(lengths_by_person: dict[tuple[str, str], int], months: int = 8) -> pd.DataFrame:
    """Person-months by hand: (site, person) -> planned subsidy months; everyone followed `months` months,
    one dropout per person in their last month."""
    rows = []
    for (site, person), length in lengths_by_person.items():
        for month in range(1, months + 1):
            post = int(length > 0 and month > length)
            rows.append((site, person, 1, length, month, post, int(month == months)))
    columns = ["site", "participant_id", "enrolment", "subsidy_months", "month", "post_subsidy", "event"]
    return pd.DataFrame(rows, columns=columns)


def test_identifying_variation_names_its_sources_and_counts_who_carries_it():
    from analysis.retention.identification import identifying_variation

    between = identifying_variation(_hand_made({("a", "1"): 3, ("a", "2"): 3, ("b", "3"): 6, ("b", "4"): 6}))
    assert between.sources == ("between sites",) and between.between_sites_only and not between.thin
    assert between.site_lengths == {"a": 3, "b": 6} and between.carrying_enrolments == 0
    # person 2 deviates from site a's usual 3 months: months 4..6 differ (no dropout there: it falls in month 8)
    within = identifying_variation(_hand_made({("a", "1"): 3, ("a", "2"): 6, ("a", "5"): 3, ("b", "3"): 3}))
    assert within.sources == ("within sites",) and within.carrying_enrolments == 1 and within.carrying_events == 0
    assert within.thin and "No number is reported" in within.message
    unsubsidised = identifying_variation(_hand_made({("a", "1"): 3, ("b", "2"): 0}))
    assert unsubsidised.sources == ("unsubsidised sites",) and unsubsidised.between_sites_only
