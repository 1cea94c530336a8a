"""Cluster jackknife (CV3) for one coefficient of the cloglog hazard model: refit without each site in turn.

With few sites the CR1 clustered standard error is too small on average and the wild cluster score bootstrap
(`retention/bootstrap.py`) still covers a little under 95 % where effects differ between sites or some sites
have no subsidy (docs/validation.md). The cluster jackknife measures the same uncertainty another way: the
estimate's spread when each site in turn is left out,

    CV3 = (G - 1) / G * sum_g (beta_(g) - beta)^2,

with a t(G - 1) reference, as MacKinnon, Nielsen & Webb (2024, "Cluster-robust jackknife and bootstrap
inference for logistic regression models", arXiv:2406.00650) do for binary response models: the model is
refitted G times, with no linearisation.

Leaving a site out can leave a column without meaning: that site's own fixed effect, or a month-since-start
bin whose only dropouts were at that site. An indicator column with no event among the remaining rows has a
maximum-likelihood coefficient of minus infinity, and its rows then carry no information about the others,
so those rows and the column are dropped (the limit of the likelihood); a column that has become a linear
combination of earlier ones (the intercept, when the left-out site was the reference) is dropped too. A
refit whose estimate runs beyond MAX_LOG_HR is separated (the likelihood keeps rising towards infinity, for
example when the remaining dropouts after the subsidy all fall in month bins no one else left in); the term
is then not estimable without that site, and no jackknife is computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.retention.bootstrap import restricted_fit
from analysis.retention.identification import MAX_LOG_HR

DEPENDENT_BELOW = 1e-9  # share of a column's sum of squares left after regressing it on the earlier kept columns


@dataclass(frozen=True)
class JackknifeResult:
    """The leave-one-site-out estimates and the CV3 interval (log hazard ratio scale, t(G-1)).

    `dropped_site` names a site without which the term cannot be estimated (then everything else is NaN)."""

    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    p_value: float
    leave_one_out: dict[str, float]
    dropped_site: str | None = None


def cluster_jackknife(
    events: np.ndarray,
    trials: np.ndarray,
    design: pd.DataFrame,
    term: str,
    groups: np.ndarray,
    estimate: float,
    confidence: float = 0.95,
) -> JackknifeResult:
    """CV3 standard error of `term` around `estimate`, its t(G-1) interval and the p-value of term = 0."""
    events, trials = np.asarray(events, float), np.asarray(trials, float)
    z_all = design.to_numpy(dtype=float)
    column = design.columns.get_loc(term)
    groups = np.asarray(groups)
    sites = list(pd.unique(groups))
    leave_one_out = {}
    for site in sites:
        keep = groups != site
        value = _refit_without(z_all[keep], events[keep], trials[keep], column)
        leave_one_out[str(site)] = value
        if not np.isfinite(value):
            nan = float("nan")
            return JackknifeResult(estimate, nan, nan, nan, nan, leave_one_out, dropped_site=str(site))
    values = np.array(list(leave_one_out.values()))
    g = len(values)
    std_error = float(np.sqrt((g - 1) / g * np.sum((values - estimate) ** 2)))
    reference = stats.t(df=g - 1)
    quantile = reference.ppf(0.5 + confidence / 2)
    p_value = float(2 * reference.sf(abs(estimate) / std_error)) if std_error > 0 else float("nan")
    return JackknifeResult(
        estimate,
        std_error,
        estimate - quantile * std_error,
        estimate + quantile * std_error,
        p_value,
        leave_one_out,
    )


def _refit_without(z: np.ndarray, events: np.ndarray, trials: np.ndarray, column: int) -> float:
    """The coefficient of `column` refitted on the remaining rows (NaN if it is no longer estimable)."""
    rows = np.ones(len(z), dtype=bool)
    indicator = np.all((z == 0) | (z == 1), axis=0)
    indicator[column] = False
    while True:
        on = (z == 1) & rows[:, None]
        eventless = indicator & on.any(axis=0) & ((events * rows) @ (z == 1) == 0)
        if not eventless.any():
            break
        rows &= ~(z[:, eventless] == 1).any(axis=1)
    z, events, trials = z[rows], events[rows], trials[rows]
    if events.sum() == 0:
        return float("nan")
    order = [k for k in range(z.shape[1]) if k != column] + [column]
    kept = [order[i] for i in independent_columns(z[:, order])]
    if column not in kept:
        return float("nan")
    # tighter than the bootstrap's tolerance: the jackknife works with differences of estimates
    params = restricted_fit(z[:, kept], np.zeros(len(z)), events, trials, tolerance=1e-13)
    value = float(params[kept.index(column)])
    return value if np.isfinite(value) and abs(value) < MAX_LOG_HR else float("nan")


def independent_columns(z: np.ndarray) -> list[int]:
    """Indices of the columns of `z` that are not linear combinations of the earlier kept ones (greedy, in
    order, on the Gram matrix); all-zero columns are dropped."""
    gram = z.T @ z
    kept: list[int] = []
    for k in range(z.shape[1]):
        total = gram[k, k]
        if total <= 0:
            continue
        explained = gram[kept, k] @ np.linalg.solve(gram[np.ix_(kept, kept)], gram[kept, k]) if kept else 0.0
        if total - explained > DEPENDENT_BELOW * total:
            kept.append(k)
    return kept
