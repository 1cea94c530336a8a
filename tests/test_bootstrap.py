"""The wild cluster score bootstrap: its pieces against statsmodels, its weights, its interval and its seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.retention.bootstrap import (
    DEFAULT_DRAWS,
    ScoreTest,
    restricted_fit,
    weight_vectors,
    wild_cluster_bootstrap,
)

CLOGLOG = sm.families.Binomial(link=sm.families.links.CLogLog())


def grouped_data(seed: int, sites: int = 8, effect: float = 0.5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Aggregated monthly data written here: per site, month bin (1-6) and post (subsidy over after month
    2 + site % 3), events out of person-months with cloglog hazard -2 - 0.2 * bin + site shift + effect * post."""
    rng = np.random.default_rng(seed)
    rows = []
    for site in range(sites):
        shift = rng.normal(0, 0.3)
        for month in range(1, 7):
            post = int(month > 2 + site % 3)
            trials = int(rng.integers(40, 120))
            p = -np.expm1(-np.exp(-2 - 0.2 * month + shift + effect * post))
            rows.append({"site": f"s{site}", "month": month, "post": post, "trials": trials})
            rows[-1]["events"] = int(rng.binomial(trials, p))
    data = pd.DataFrame(rows)
    design = pd.get_dummies(data[["site"]].astype(str), dtype=float).join(
        pd.get_dummies(data["month"].astype(str), prefix="m", drop_first=True, dtype=float)
    )
    design["post"] = data["post"].astype(float)
    return data, design


def glm(data: pd.DataFrame, exog: np.ndarray, offset: np.ndarray | None = None):
    endog = np.column_stack([data["events"], data["trials"] - data["events"]])
    return sm.GLM(endog, exog, family=CLOGLOG, offset=offset)


def test_the_restricted_fit_is_statsmodels_glm_with_an_offset():
    data, design = grouped_data(1)
    z, x = design.drop(columns="post").to_numpy(), design["post"].to_numpy()
    ours = restricted_fit(z, 0.3 * x, data["events"].to_numpy(float), data["trials"].to_numpy(float))
    theirs = glm(data, z, 0.3 * x).fit(tol=1e-12).params
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)


def test_the_cluster_scores_add_up_to_the_models_score_for_the_tested_term():
    """At the restricted estimate the nuisance scores are zero, so the efficient score summed over sites is
    the plain score of `post` of the full model (statsmodels' GLM.score) there."""
    data, design = grouped_data(2)
    test = ScoreTest(data["events"], data["trials"], design, "post", data["site"].to_numpy(), np.ones((1, 8)))
    b0 = 0.2
    z, x = design.drop(columns="post").to_numpy(), design["post"].to_numpy()
    nuisance = glm(data, z, b0 * x).fit(tol=1e-12).params
    full = glm(data, design.to_numpy())
    score = full.score(np.append(nuisance, b0))
    assert test.cluster_scores(b0).sum() == pytest.approx(score[-1], rel=1e-6)


@pytest.mark.parametrize(("sites", "vectors", "scheme"), [(4, 6**4, "Webb"), (8, 2**8, "Rademacher"), (12, 2**12, "R")])
def test_few_sites_enumerate_every_weight_vector(sites, vectors, scheme):
    weights, name = weight_vectors(sites, None)
    assert weights.shape == (vectors, sites) and name.startswith(scheme)
    assert len(np.unique(weights, axis=0)) == vectors  # every vector once


def test_many_sites_draw_webb_weights_from_the_given_seed_only():
    first, name = weight_vectors(20, np.random.default_rng(5))
    again, _ = weight_vectors(20, np.random.default_rng(5))
    assert first.shape == (DEFAULT_DRAWS, 20) and "draws" in name and np.array_equal(first, again)
    assert set(np.round(np.abs(first).ravel(), 6)) == {round(np.sqrt(0.5), 6), 1.0, round(np.sqrt(1.5), 6)}
    with pytest.raises(ValueError, match="seeded generator"):
        weight_vectors(20, None)


def test_the_interval_is_where_the_test_stops_rejecting():
    data, design = grouped_data(3)
    full = glm(data, design.to_numpy()).fit()
    estimate = float(full.params[-1])
    result = wild_cluster_bootstrap(
        data["events"], data["trials"], design, "post", data["site"].to_numpy(), estimate, float(full.bse[-1])
    )
    assert result.ci_lower < estimate < result.ci_upper
    weights, _ = weight_vectors(8, None)
    test = ScoreTest(data["events"], data["trials"], design, "post", data["site"].to_numpy(), weights)
    assert test.p_value(estimate) > 0.9  # the score is zero at the estimate, up to the fit's tolerance
    for end, outward in ((result.ci_lower, -1), (result.ci_upper, 1)):
        assert test.p_value(end - outward * 1e-3) > 0.05 >= test.p_value(end + outward * 1e-3)
    assert result.p_value == test.p_value(0.0) and result.vectors == 256 and result.clusters == 8
