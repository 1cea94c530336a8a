"""The cluster jackknife of the subsidy-end effect: its refits against statsmodels, the sites it cannot do
without, and the interval the reports show with few sites (tests/test_r_crosscheck.py compares it with R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import r_datasets

from analysis.retention.hazard import fit_discrete_hazard
from analysis.retention.jackknife import cluster_jackknife, independent_columns

COVARIATES = ["track", "lockdown"]


def _jackknife(fit):
    patterns = fit.data.patterns
    estimate = float(fit.table.loc[fit.table["term"] == "post_subsidy", "estimate"].iloc[0])
    return cluster_jackknife(
        patterns["events"], patterns["exposure"], fit.data.design, "post_subsidy", patterns["site"], estimate
    )


def test_each_leave_one_site_out_estimate_is_the_statsmodels_fit_without_that_site():
    rows = r_datasets.person_month_data(np.random.default_rng(13))
    fit = fit_discrete_hazard(rows, ["post_subsidy"], COVARIATES)
    jack = _jackknife(fit)
    sites = sorted(rows["site"].unique())
    assert sorted(jack.leave_one_out) == sites and jack.dropped_site is None
    compared = []
    for site in sites:
        refit = fit_discrete_hazard(rows[rows["site"] != site], ["post_subsidy"], COVARIATES)
        if refit.warnings != fit.warnings:  # another month bin merged: a different model, compared with R instead
            continue
        expected = float(refit.table.loc[refit.table["term"] == "post_subsidy", "estimate"].iloc[0])
        assert jack.leave_one_out[site] == pytest.approx(expected, rel=1e-6)
        compared.append(site)
    assert sites[0] in compared  # the reference site of the full design: the intercept then spans the others
    assert len(compared) >= 3
    g = len(sites)
    values = np.array(list(jack.leave_one_out.values()))
    assert jack.std_error == pytest.approx(np.sqrt((g - 1) / g * np.sum((values - jack.estimate) ** 2)))


def _sites(lengths: tuple[int, ...], seed: int = 3) -> pd.DataFrame:
    """Person-months of sites of 200 where everyone at a site has the site's subsidy length."""
    rng = np.random.default_rng(seed)
    parts = []
    for s, length in enumerate(lengths):
        for person in range(200):
            months = np.arange(1, 25)
            post = ((length > 0) & (months > length)).astype(int)
            hazard = -np.expm1(-np.exp(-2.8 + 0.2 * s + 0.5 * post))
            leaves = rng.random(len(months)) < hazard
            last = int(np.argmax(leaves)) + 1 if leaves.any() else len(months)
            parts.append(
                pd.DataFrame(
                    {
                        "site": f"s{s}",
                        "participant_id": f"p{s}-{person}",
                        "enrolment": 1,
                        "month": months[:last],
                        "event": ((months == last) & leaves)[:last].astype(int),
                        "post_subsidy": post[:last],
                        "track": "a",
                        "lockdown": 0,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def test_a_site_without_which_the_effect_cannot_be_estimated_is_named_and_the_bootstrap_interval_stays():
    rows = _sites((6, 6, 0))  # without the unsubsidised site, post_subsidy is a function of month
    fit = fit_discrete_hazard(rows, ["post_subsidy"], [], bootstrap=("post_subsidy",))
    post = fit.table[fit.table["term"] == "post_subsidy"].set_index("se_type")
    assert not bool(post.loc["jackknife", "identified"])
    assert any("Without site s2" in w and "rests on that one site" in w for w in fit.warnings)
    assert post.loc["few_sites", "reference"] == "wild bootstrap"
    columns = ["ci_lower", "ci_upper", "p_value"]  # NaN where the bootstrap is unbounded, as here on one side
    np.testing.assert_equal(
        post.loc["few_sites", columns].to_numpy(float), post.loc["wild_bootstrap", columns].to_numpy(float)
    )
    assert bool(post.loc["few_sites", "shown"])


def test_with_few_sites_the_shown_interval_holds_every_value_the_bootstrap_or_the_jackknife_keeps():
    rows = _sites((3, 9, 0, 6, 12))
    fit = fit_discrete_hazard(rows, ["post_subsidy"], [], bootstrap=("post_subsidy",))
    post = fit.table[fit.table["term"] == "post_subsidy"].set_index("se_type")
    assert set(post.index) == {"clustered", "naive", "wild_bootstrap", "jackknife", "few_sites"}
    assert post[["ci_lower", "ci_upper"]].notna().all().all()
    assert post.loc["few_sites", "ci_lower"] == min(
        post.loc["wild_bootstrap", "ci_lower"], post.loc["jackknife", "ci_lower"]
    )
    assert post.loc["few_sites", "ci_upper"] == max(
        post.loc["wild_bootstrap", "ci_upper"], post.loc["jackknife", "ci_upper"]
    )
    assert post.loc["few_sites", "p_value"] == max(
        post.loc["wild_bootstrap", "p_value"], post.loc["jackknife", "p_value"]
    )
    assert post["shown"].sum() == 1 and bool(post.loc["few_sites", "shown"])
    assert post.loc["jackknife", "reference"] == "t(G-1), CV3"


def test_columns_that_are_combinations_of_earlier_ones_are_left_out():
    z = np.array([[1, 1, 0, 2.0], [1, 0, 1, 3.0], [1, 1, 0, 5.0], [1, 0, 1, 7.0]])  # col 0 = col 1 + col 2
    assert independent_columns(z) == [0, 1, 3]
    assert independent_columns(np.column_stack([np.zeros(4), z[:, 3]])) == [1]
