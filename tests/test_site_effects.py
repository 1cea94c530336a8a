"""Random-intercept shrinkage of site effects, on simulated site estimates with a known truth."""

import numpy as np
import pandas as pd

from analysis.retention.site_effects import random_intercept_shrinkage, site_effects


def test_between_site_variance_and_mean_are_recovered():
    rng = np.random.default_rng(3)
    true_mu, true_tau = -0.4, 0.3
    effects = rng.normal(true_mu, true_tau, 2000)
    variances = rng.uniform(0.01, 0.2, 2000)
    estimates = effects + rng.normal(0, np.sqrt(variances))
    pooled = random_intercept_shrinkage(estimates, variances)
    assert abs(pooled["mu"] - true_mu) < 0.03
    assert abs(np.sqrt(pooled["tau2"]) - true_tau) < 0.03
    # shrunken values are closer to the truth than the raw estimates, on average
    assert np.mean((pooled["shrunken"] - effects) ** 2) < np.mean((estimates - effects) ** 2)
    # noisier sites are pulled further towards the mean
    assert np.corrcoef(variances, pooled["factor"])[0, 1] < -0.9


def test_no_between_site_variation_pulls_every_site_to_the_mean():
    estimates = np.array([0.1, -0.1, 0.05, -0.05])
    pooled = random_intercept_shrinkage(estimates, np.full(4, 1.0))
    assert pooled["tau2"] == 0.0
    assert np.allclose(pooled["shrunken"], pooled["mu"])


def test_a_site_without_dropouts_is_listed_without_estimates():
    rng = np.random.default_rng(1)
    rows = pd.DataFrame(
        {
            "site": np.repeat(["a", "b", "c"], 400),
            "month": np.tile(np.arange(1, 9), 150),
            "event": rng.random(1200) < 0.05,
        }
    )
    rows["event"] = rows["event"].astype(int)
    rows.loc[rows["site"] == "c", "event"] = 0
    table = site_effects(rows).set_index("site")
    assert table.loc["c", "events"] == 0 and np.isnan(table.loc["c", "shrunken_hr"])
    assert np.isfinite(table.loc[["a", "b"], "raw_hr"]).all()
