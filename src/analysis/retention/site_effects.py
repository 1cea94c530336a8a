"""Comparing sites fairly: raw dropout rates beside shrunken (random-intercept) site effects.

Each site's effect is first estimated as a fixed effect in the discrete-time cloglog model (same baseline
by month and covariates as the primary model). The site effects are then treated as draws from a normal
distribution, N(mu, tau^2) — a random intercept — whose variance tau^2 is estimated by the method of
moments (DerSimonian & Laird, 1986). Each site's effect is pulled towards the average by the factor
B = tau^2 / (tau^2 + se^2): a small site with a noisy estimate is pulled far, a large site hardly at all.
All effects are reported as hazard ratios against the average site (exp(effect - mu)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm
from scipy import stats

from analysis.retention.hazard import DEFAULT_BASELINE_EDGES, baseline_bins

COLUMNS = [
    "site",
    "enrolments",
    "person_months",
    "events",
    "rate_per_100_months",
    "raw_hr",
    "raw_ci_lower",
    "raw_ci_upper",
    "shrunken_hr",
    "shrunken_ci_lower",
    "shrunken_ci_upper",
    "shrinkage",
    "tau",
]


def random_intercept_shrinkage(estimates: np.ndarray, variances: np.ndarray) -> dict:
    """DerSimonian-Laird random-effects summary of site estimates and the empirical-Bayes shrunken values.

    Returns mu (random-effects mean), tau2 (between-site variance), shrunken (posterior means), shrunken_var
    (their approximate variances, including the uncertainty of mu) and factor (B per site).
    """
    w = 1.0 / variances
    k = len(estimates)
    fixed_mean = np.sum(w * estimates) / np.sum(w)
    q = float(np.sum(w * (estimates - fixed_mean) ** 2))
    denominator = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - (k - 1)) / denominator) if k > 1 and denominator > 0 else 0.0
    w_star = 1.0 / (variances + tau2)
    mu = float(np.sum(w_star * estimates) / np.sum(w_star))
    factor = tau2 / (tau2 + variances)
    shrunken = mu + factor * (estimates - mu)
    shrunken_var = factor * variances + (1 - factor) ** 2 / np.sum(w_star)
    return {"mu": mu, "tau2": tau2, "shrunken": shrunken, "shrunken_var": shrunken_var, "factor": factor}


def site_effects(
    person_months: pd.DataFrame, covariates: list[str] = (), site: str = "site", confidence: float = 0.95
) -> pd.DataFrame:
    """Per site: enrolments, person-months, dropouts, crude rate, raw and shrunken hazard ratios with CIs.

    Sites without any dropout cannot have a finite fixed effect; they are listed with their counts and
    empty estimates. Covariates with a single value are ignored.
    """
    frame = person_months.copy()
    frame["baseline_bin"] = baseline_bins(frame["month"], DEFAULT_BASELINE_EDGES)
    counts = frame.groupby(site, observed=True).agg(person_months=("event", "size"), events=("event", "sum"))
    if {"participant_id", "enrolment"} <= set(frame.columns):
        enrolments = frame[[site, "participant_id", "enrolment"]].drop_duplicates()
        counts["enrolments"] = enrolments.groupby(site, observed=True).size()
    else:
        counts["enrolments"] = np.nan
    counts["rate_per_100_months"] = 100 * counts["events"] / counts["person_months"]
    estimable = counts.index[counts["events"] > 0]
    frame = frame[frame[site].isin(estimable)]
    covariates = [c for c in covariates if frame[c].nunique() > 1]
    out = counts.reset_index().rename(columns={site: "site"})
    if len(estimable) < 2:
        return out.reindex(columns=COLUMNS)
    events_by_bin = frame.groupby("baseline_bin")["event"].sum()
    frame = frame[frame["baseline_bin"].isin(events_by_bin[events_by_bin > 0].index)]
    keys = ["baseline_bin", site, *covariates]
    patterns = frame.groupby(keys, observed=True)["event"].agg(events="sum", exposure="size").reset_index()
    terms = [f"C({c})" if not pd.api.types.is_numeric_dtype(patterns[c]) else c for c in covariates]
    design = patsy.dmatrix(
        " + ".join(["0", f"C({site})", "C(baseline_bin)", *terms]), patterns, return_type="dataframe"
    )
    endog = np.column_stack([patterns["events"], patterns["exposure"] - patterns["events"]]).astype(float)
    fit = sm.GLM(endog, design, family=sm.families.Binomial(link=sm.families.links.CLogLog())).fit()
    columns = [f"C({site})[{s}]" for s in estimable]
    estimates = fit.params[columns].to_numpy()
    variances = np.diag(fit.cov_params().loc[columns, columns].to_numpy())
    pooled = random_intercept_shrinkage(estimates, variances)
    z = stats.norm.ppf(0.5 + confidence / 2)
    raw, raw_se = estimates - pooled["mu"], np.sqrt(variances)
    shrunk, shrunk_se = pooled["shrunken"] - pooled["mu"], np.sqrt(pooled["shrunken_var"])
    effects = pd.DataFrame(
        {
            "site": list(estimable),
            "raw_hr": np.exp(raw),
            "raw_ci_lower": np.exp(raw - z * raw_se),
            "raw_ci_upper": np.exp(raw + z * raw_se),
            "shrunken_hr": np.exp(shrunk),
            "shrunken_ci_lower": np.exp(shrunk - z * shrunk_se),
            "shrunken_ci_upper": np.exp(shrunk + z * shrunk_se),
            "shrinkage": 1 - pooled["factor"],
            "tau": np.sqrt(pooled["tau2"]),
        }
    )
    return out.merge(effects, on="site", how="left").reindex(columns=COLUMNS)
