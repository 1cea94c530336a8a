"""Cox proportional-hazards regression on counting-process (start, stop] data with R survival's risk sets.

Estimand: the log hazard ratios beta of h(t | x(t)) = h0(t) exp(beta' x(t)), where h0 is an unspecified baseline
hazard and x(t) may change over time by splitting a person's follow-up into (start, stop] rows. beta is estimated
by maximising the partial likelihood (Efron or Breslow handling of tied event times); statsmodels' PHReg does the
fitting.

Risk sets follow R's `coxph(Surv(start, stop, event) ~ ...)`: a row is at risk at event time t if and only if
start < t <= stop. A row whose start equals t is *not* at risk at t (that is what makes a time-varying covariate
switch "just after" t). statsmodels' `entry` argument uses the opposite, Stata-like convention (at risk when
entry == t); `_ranked_times` converts exactly, without an epsilon.

Standard errors are model-based (inverse observed information) by default. With `cluster`, they are robust
sandwich SEs summed over clusters, as R's `coxph(..., cluster = id)` computes them: V = I^-1 (sum_g U_g U_g') I^-1
with U_g the sum of the rows' score residuals in cluster g (Efron-weighted under Efron ties). These score
residuals are computed here rather than by PHReg's `fit(groups=...)`, which returns NaN when any row is never in
a risk set and counts rows whose interval holds no event time as at risk (see `_score_residuals`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import norm
from statsmodels.duration.hazard_regression import PHReg

TIES = ("efron", "breslow")
COLUMNS = ["term", "estimate", "std_error", "hazard_ratio", "ci_lower", "ci_upper", "z", "p_value", "n", "events"]
_EXTREME_LOG_HR = 15.0


@dataclass
class CoxFit:
    """A fitted Cox model: the tidy table (one row per covariate, COLUMNS) and how it was obtained.

    `warnings` are plain-language notes (covariates left out, optimiser trouble); `variance` says how the
    standard errors were computed; `optimiser` names the method whose answer is reported.
    """

    table: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    ties: str = "efron"
    variance: str = "model-based"
    log_likelihood: float = float("nan")
    optimiser: str = "newton"


def cox_counting_process(
    data: pd.DataFrame,
    stop: str,
    event: str,
    covariates: list[str],
    start: str | None = None,
    ties: str = "efron",
    cluster: str | None = None,
    confidence: float = 0.95,
) -> CoxFit:
    """Fit a Cox model on (start, stop] rows and return one tidy row per covariate.

    Parameters
    ----------
    data : one row per interval (or per person when `start` is None).
    stop : end of the interval; the event, if any, happens at `stop`.
    event : 1/True when the event happens at `stop`, 0/False when the row is censored there.
    covariates : numeric columns, constant within a row's interval (0/1 for categories).
    start : start of the interval (exclusive); None means every row is at risk from the time origin.
    ties : "efron" (R's default) or "breslow".
    cluster : optional id column (person, site): robust sandwich SEs summed within its values.
    confidence : coverage of the Wald interval.

    Returns
    -------
    CoxFit whose table has columns term, estimate (log hazard ratio), std_error, hazard_ratio, ci_lower and
    ci_upper (Wald interval of the hazard ratio), z, p_value (two-sided Wald), n (rows used), n_subjects
    (distinct `cluster` values, only when `cluster` is given) and events; its `warnings` are plain-language
    strings (e.g. for a covariate left out because it never varies).

    Raises
    ------
    ValueError for an unknown `ties`, absent columns, missing values in a used column (naming the column and
    count), a non-numeric covariate, event values other than 0/1, rows with stop <= start, or no events.
    """
    ties = _check_ties(ties)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    used = [stop, event, *covariates] + [c for c in (start, cluster) if c is not None]
    _check_columns(data, used, covariates)
    start_t, stop_t, status = _times_and_status(data, start, stop, event)
    kept, notes = _varying_covariates(data, covariates)
    kept, more = _independent_covariates(data, kept)
    notes += more
    columns = COLUMNS + (["n_subjects"] if cluster is not None else [])
    variance = "model-based" if cluster is None else f"robust, clustered by '{cluster}'"
    if not kept:
        return CoxFit(pd.DataFrame(columns=columns), notes, ties, variance)
    x = data[kept].to_numpy(dtype=float)
    entry_rank, stop_rank = _ranked_times(start_t, stop_t)
    model = PHReg(stop_rank, x, status=status, entry=entry_rank, ties=ties)
    fitted = maximise_partial_likelihood(model)
    notes += fitted.notes
    if fitted.params is None:
        table = _tidy(kept, np.full(len(kept), np.nan), np.full(len(kept), np.nan), len(data), int(status.sum()), 0.95)
        return CoxFit(table[[c for c in columns if c != "n_subjects"]], notes, ties, variance, optimiser="none")
    notes += _extreme_notes(kept, fitted.params, _standard_errors(fitted.cov))
    cov = fitted.cov
    if cluster is not None:
        groups = data[cluster].to_numpy()
        cov = _sandwich(cov, _score_residuals(x, status, entry_rank, stop_rank, fitted.params, ties), groups)
        if len(pd.unique(groups)) < 2:
            notes.append(f"'{cluster}' has a single value, so the robust standard errors are not meaningful")
    table = _tidy(kept, fitted.params, _standard_errors(cov), len(data), int(status.sum()), confidence)
    if cluster is not None:
        table["n_subjects"] = data[cluster].nunique()
    return CoxFit(table[columns], notes, ties, variance, fitted.log_likelihood, fitted.optimiser)


@dataclass
class _Maximum:
    params: np.ndarray | None
    cov: np.ndarray | None
    log_likelihood: float
    optimiser: str
    notes: list[str]


def maximise_partial_likelihood(model: PHReg) -> _Maximum:
    """Maximise PHReg's partial likelihood with Newton's method (statsmodels' own), falling back to Newton
    with step-halving from zero and then to BFGS when an attempt fails or ends where the likelihood is not at
    a maximum (large site effects can make plain Newton overshoot and diverge).

    An attempt counts as converged when its estimates and log-likelihood are finite, the information matrix
    (minus the Hessian) is positive definite, and the Newton decrement g' I^-1 g is below 1e-6 (the
    log-likelihood is within about 1e-6 of its maximum). The notes say which methods failed and why and
    report each distinct numerical warning once, with its count. If every method fails, params is None.
    """
    failures, caught = [], []
    for name, attempt in (("Newton", _newton), ("step-halving Newton", _halving_newton), ("BFGS", _bfgs)):
        with warnings.catch_warnings(record=True) as seen, np.errstate(all="warn"):
            warnings.simplefilter("always")
            try:
                params = np.asarray(attempt(model), dtype=float)
                problem = _not_a_maximum(model, params)
            except (np.linalg.LinAlgError, ValueError, OverflowError, FloatingPointError) as error:
                params, problem = None, f"it stopped with an error ({error})"
        caught += seen
        if problem is None:
            notes = [f"{method} did not converge: {why}" for method, why in failures]
            if failures:
                notes.append(f"the estimates come from {name}, which did converge")
            information = -model.hessian(params)
            return _Maximum(params, np.linalg.inv(information), float(model.loglike(params)), name, notes)
        failures.append((name, problem))
    notes = [f"{method} did not converge: {why}" for method, why in failures]
    notes.append(
        "no method found the maximum of the partial likelihood, so no Cox estimates are reported; this happens "
        "when a covariate separates those who leave from those who stay, or when covariates are nearly collinear"
    )
    return _Maximum(None, None, float("nan"), "none", notes + _warning_notes(caught))


def _newton(model: PHReg) -> np.ndarray:
    return np.asarray(model.fit(disp=False).params)


def _halving_newton(model: PHReg, max_iterations: int = 200) -> np.ndarray:
    """Newton steps from zero, each halved until the log-likelihood does not fall."""
    params = np.zeros(model.exog.shape[1])
    current = model.loglike(params)
    for _ in range(max_iterations):
        gradient, information = model.score(params), -model.hessian(params)
        step = np.linalg.lstsq(information, gradient, rcond=None)[0]
        size = 1.0
        while size > 1e-12:
            candidate = params + size * step
            value = model.loglike(candidate)
            if np.isfinite(value) and value >= current - 1e-12:
                break
            size /= 2
        else:
            return params
        params, previous, current = candidate, current, value
        if abs(current - previous) < 1e-12 * (1 + abs(current)):
            break
    return params


def _bfgs(model: PHReg) -> np.ndarray:
    start = np.zeros(model.exog.shape[1])
    result = minimize(
        lambda b: -model.loglike(b), start, jac=lambda b: -model.score(b), method="BFGS", options={"gtol": 1e-9}
    )
    return result.x


def _not_a_maximum(model: PHReg, params: np.ndarray) -> str | None:
    """None when params are a finite maximum (see maximise_partial_likelihood), else why not, in words."""
    if not np.all(np.isfinite(params)):
        return "its estimates are not finite"
    value = model.loglike(params)
    if not np.isfinite(value):
        return "the log-likelihood is not finite at its estimates"
    information = -model.hessian(params)
    try:
        np.linalg.cholesky(information)
    except np.linalg.LinAlgError:
        return "the information matrix is not positive definite at its estimates"
    gradient = model.score(params)
    decrement = float(gradient @ np.linalg.solve(information, gradient))
    if not decrement < 1e-6:
        return f"the log-likelihood is still {decrement / 2:.2g} below its maximum"
    return None


def _check_ties(ties: str) -> str:
    if not isinstance(ties, str) or ties.lower() not in TIES:
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    return ties.lower()


def _check_columns(data: pd.DataFrame, used: list[str], covariates: list[str]) -> None:
    """Every used column exists, has no missing values, and every covariate is numeric."""
    if not covariates:
        raise ValueError("give at least one covariate")
    absent = [c for c in dict.fromkeys(used) if c not in data.columns]
    if absent:
        raise ValueError(f"column(s) {absent} not in the data")
    gaps = [f"column '{c}' has {n} missing value(s)" for c in dict.fromkeys(used) if (n := int(data[c].isna().sum()))]
    if gaps:
        raise ValueError("; ".join(gaps) + " — drop or impute them before fitting")
    for c in covariates:
        if not (pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])):
            raise ValueError(f"covariate '{c}' is not numeric; code categories as 0/1 columns")


def _times_and_status(
    data: pd.DataFrame, start: str | None, stop: str, event: str
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Float start/stop times and a 0/1 event array, after checking stop > start and that events exist."""
    stop_t = pd.to_numeric(data[stop], errors="raise").to_numpy(dtype=float)
    start_t = None if start is None else pd.to_numeric(data[start], errors="raise").to_numpy(dtype=float)
    raw = data[event].to_numpy()
    if not np.isin(raw, [0, 1]).all():
        raise ValueError(f"column '{event}' must hold only 0/1 (or False/True)")
    status = raw.astype(np.int64)
    if start_t is not None:
        bad = np.flatnonzero(stop_t <= start_t)
        if len(bad):
            raise ValueError(
                f"'{stop}' must be greater than '{start}' in every row: {len(bad)} row(s) have "
                f"{stop} <= {start} (first at index {data.index[bad[0]]!r})"
            )
    if status.sum() == 0:
        raise ValueError(f"column '{event}' has no events, so there is no partial likelihood to maximise")
    return start_t, stop_t, status


def _varying_covariates(data: pd.DataFrame, covariates: list[str]) -> tuple[list[str], list[str]]:
    """Covariates that take at least two values, and a warning for each one left out."""
    kept, notes = [], []
    for c in dict.fromkeys(covariates):
        if data[c].nunique() < 2:
            notes.append(
                f"covariate '{c}' has the same value in every row, so its hazard ratio cannot be "
                f"estimated; it was left out of the model"
            )
        else:
            kept.append(c)
    return kept, notes


def _independent_covariates(data: pd.DataFrame, covariates: list[str]) -> tuple[list[str], list[str]]:
    """Covariates in the given order, leaving out (with a warning) each one that the earlier ones determine."""
    kept, notes, basis = [], [], np.empty((len(data), 0))
    for c in covariates:
        column = data[c].to_numpy(dtype=float)
        candidate = np.column_stack([basis, column - column.mean()])
        if np.linalg.matrix_rank(candidate) > basis.shape[1]:
            kept.append(c)
            basis = candidate
        else:
            notes.append(
                f"covariate '{c}' is a linear combination of {kept} (plus a constant), so its hazard "
                f"ratio cannot be separated from theirs; it was left out of the model"
            )
    return kept, notes


def _ranked_times(start_t: np.ndarray | None, stop_t: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Times replaced by ranks so that PHReg's risk sets are exactly R's (start, stop] risk sets.

    The partial likelihood depends on the times only through their order (which rows are at risk at each
    event time and which events are tied), so any strictly increasing map of the times gives the same fit.
    All distinct start and stop values are mapped to their integer ranks 0, 1, 2, ...; each row then enters at
    rank(start) + 0.5. PHReg counts a row as at risk at event time t when entry <= t <= stop; with integer event
    ranks, rank(start) + 0.5 <= rank(t) holds exactly when start < t, which is R's rule. Ties among stop times
    are kept, and rank(start) + 0.5 < rank(stop) because stop > start. The map is exact (no epsilon that could
    be smaller than the data's resolution or swallowed by rounding) and also makes negative times acceptable
    to PHReg, which requires non-negative entry times.
    """
    if start_t is None:
        return None, np.unique(stop_t, return_inverse=True)[1].astype(float)
    n = len(stop_t)
    ranks = np.unique(np.concatenate([start_t, stop_t]), return_inverse=True)[1].astype(float)
    return ranks[:n] + 0.5, ranks[n:]


def _score_residuals(
    x: np.ndarray, status: np.ndarray, entry_rank: np.ndarray | None, stop_rank: np.ndarray, beta: np.ndarray, ties: str
) -> np.ndarray:
    """Score residuals U_i (rows x covariates) at beta, with R's (start, stop] risk sets; they sum to the score.

    U_i = delta_i (x_i - m_k(i)) - r_i sum_{k: start_i < t_k <= stop_i} sum_l w_ikl (x_i - xbar_kl) / S0_kl, with
    r_i = exp(x_i' beta). Under Efron ties the d_k events at t_k are split into d_k sub-events l = 0..d_k-1 in
    which the dying rows count with weight 1 - l/d_k (w = 1 for every other row at risk), and m_k is the mean
    of the xbar_kl; under Breslow every weight is 1. Equivalently, U_i is the derivative of the case-weighted
    score with respect to row i's weight, which is what R's `residuals(coxph_fit, type = "score")` returns.

    Written here because PHReg's `score_residuals` builds risk sets from set updates that put a row whose
    interval holds no event time into the risk set of the event before it, marks rows that are never at risk
    as NaN (which makes PHReg's robust covariance all NaN), and ignores Efron weighting.
    """
    eta = x @ beta
    r = np.exp(eta - eta.max())
    event_times = np.unique(stop_rank[status == 1])
    dying = np.flatnonzero(status == 1)
    k_dying = np.searchsorted(event_times, stop_rank[dying])
    # row i is at risk at the event times with index lo_i .. hi_i - 1
    lo = np.zeros(len(r), np.int64) if entry_rank is None else np.searchsorted(event_times, entry_rank, "right")
    hi = np.searchsorted(event_times, stop_rank, "right")
    sub = _efron_sub_events(x, r, dying, k_dying, lo, hi, len(event_times), ties)
    hazard = _cumulated(_per_time(1 / sub["s0"], sub["k"], len(event_times)))
    hazard_x = _cumulated(_per_time(sub["xbar"] / sub["s0"][:, None], sub["k"], len(event_times)))
    resid = -r[:, None] * (x * (hazard[hi] - hazard[lo])[:, None] - (hazard_x[hi] - hazard_x[lo]))
    # dying rows: the observed part, and back the l/d_k share of their own risk-set terms that Efron removes
    d = np.bincount(k_dying, minlength=len(event_times))
    mean_xbar = _per_time(sub["xbar"], sub["k"], len(event_times)) / d[:, None]
    back = _per_time(sub["frac"] / sub["s0"], sub["k"], len(event_times))
    back_x = _per_time(sub["frac"][:, None] * sub["xbar"] / sub["s0"][:, None], sub["k"], len(event_times))
    xd, rd = x[dying], r[dying, None]
    resid[dying] += xd - mean_xbar[k_dying] + rd * (xd * back[k_dying, None] - back_x[k_dying])
    return resid


def _efron_sub_events(
    x: np.ndarray,
    r: np.ndarray,
    dying: np.ndarray,
    k_dying: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    n_times: int,
    ties: str,
) -> dict[str, np.ndarray]:
    """Per death (sub-event l of event time k): k, the Efron fraction l/d_k (0 for Breslow), S0_kl and xbar_kl."""
    rx = r[:, None] * x
    s0 = np.cumsum(_per_time(r, lo, n_times + 1) - _per_time(r, hi, n_times + 1))[:n_times]
    s1 = np.cumsum(_per_time(rx, lo, n_times + 1) - _per_time(rx, hi, n_times + 1), axis=0)[:n_times]
    e0 = _per_time(r[dying], k_dying, n_times)
    e1 = _per_time(rx[dying], k_dying, n_times)
    d = np.bincount(k_dying, minlength=n_times)
    k = np.repeat(np.arange(n_times), d)
    frac = (np.arange(len(k)) - np.repeat(np.cumsum(d) - d, d)) / d[k]
    if ties == "breslow":
        frac = np.zeros(len(k))
    s0_l = s0[k] - frac * e0[k]
    return {"k": k, "frac": frac, "s0": s0_l, "xbar": (s1[k] - frac[:, None] * e1[k]) / s0_l[:, None]}


def _per_time(values: np.ndarray, index: np.ndarray, size: int) -> np.ndarray:
    """Sums of `values` (a vector, or a matrix column by column) by integer `index`, `size` bins."""
    if values.ndim == 1:
        return np.bincount(index, values, size)
    return np.stack([np.bincount(index, v, size) for v in values.T], axis=1)


def _cumulated(values: np.ndarray) -> np.ndarray:
    """Running sums with a leading zero row, so that c[hi] - c[lo] sums values[lo:hi]."""
    return np.concatenate([np.zeros((1,) + values.shape[1:]), np.cumsum(values, axis=0)])


def _sandwich(naive_cov: np.ndarray, score_resid: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Robust covariance I^-1 (sum_g U_g U_g') I^-1 with U_g the score residuals summed within group g."""
    codes = pd.factorize(groups)[0]
    per_group = _per_time(score_resid, codes, codes.max() + 1)
    return naive_cov @ (per_group.T @ per_group) @ naive_cov


def _standard_errors(cov: np.ndarray) -> np.ndarray:
    """Square roots of the variances; NaN where a variance is negative (a singular information matrix)."""
    variances = np.diag(cov)
    return np.sqrt(np.where(variances >= 0, variances, np.nan))


def _warning_notes(caught: list) -> list[str]:
    """Each distinct numerical warning once, with how often it occurred."""
    counts: dict[str, int] = {}
    for w in caught:
        counts[str(w.message)] = counts.get(str(w.message), 0) + 1
    return [f"the optimiser reported {n} time(s): {message}" for message, n in counts.items()]


def _extreme_notes(terms: list[str], params: np.ndarray, bse: np.ndarray) -> list[str]:
    """Plain-language warnings about infinite or unidentified estimates."""
    notes = []
    for term, b, se in zip(terms, params, bse, strict=True):
        if not np.isfinite(se) or abs(b) > _EXTREME_LOG_HR:
            notes.append(
                f"the estimate for '{term}' is extreme or its standard error is undefined: the events "
                f"may all fall in one of its levels (the true estimate is then infinite) or it may be "
                f"collinear with other covariates"
            )
    return notes


def _tidy(terms: list[str], beta: np.ndarray, se: np.ndarray, n: int, events: int, confidence: float) -> pd.DataFrame:
    """One row per term: log HR, SE, HR with its Wald interval, z and two-sided p."""
    z, quantile = beta / se, norm.ppf(0.5 + confidence / 2)
    with np.errstate(over="ignore"):
        return pd.DataFrame(
            {
                "term": terms,
                "estimate": beta,
                "std_error": se,
                "hazard_ratio": np.exp(beta),
                "ci_lower": np.exp(beta - quantile * se),
                "ci_upper": np.exp(beta + quantile * se),
                "z": z,
                "p_value": 2 * norm.sf(np.abs(z)),
                "n": n,
                "events": events,
            }
        )
