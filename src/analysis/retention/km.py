"""Kaplan–Meier retention curves with Greenwood standard errors and R-style log-scale confidence intervals.

Estimand: for each group, the survival function S(t) = P(T > t) of the time T from the origin (e.g. the
start date) to the event (e.g. leaving the association), under independent right censoring. The
product-limit estimate is S(t) = prod over event times t_j <= t of (1 - d_j / n_j), where n_j counts everyone
whose duration is >= t_j (a participant censored at t_j is still at risk at t_j, as in R's survival package)
and d_j counts the events at t_j.

Conventions follow R's `summary(survfit(...))` (checked against published R tables in tests/reference):

- `std_error` is the standard error of S(t) itself, S(t) * sqrt(G(t)) with Greenwood's
  G(t) = sum over t_j <= t of d_j / (n_j (n_j - d_j)); it is *not* the SE of log S.
- the pointwise interval is R's default `conf.type = "log"`: exp(log S(t) -/+ z sqrt(G(t))), with the upper
  limit truncated at 1.
- once S(t) reaches 0 the SE and both limits are NaN (R prints NaN / NA there).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

KM_COLUMNS = ["group", "time", "n_risk", "n_event", "n_censor", "survival", "std_error", "ci_lower", "ci_upper"]
AT_COLUMNS = ["group", "time", "n_risk", "survival", "std_error", "ci_lower", "ci_upper"]
ALL = "all"


def kaplan_meier(
    data: pd.DataFrame, duration: str, event: str, group: str | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """Kaplan–Meier estimate of S(t) = P(T > t) per group, one row per distinct event-or-censoring time.

    Parameters
    ----------
    data : one row per participant (or enrolment).
    duration : column with the follow-up time (event or censoring time); no missing values.
    event : column with 1/True when the event happened at `duration`, 0/False when censored there.
    group : optional column to stratify by; None estimates one curve and labels it "all".
    confidence : coverage of the pointwise log-scale interval.

    Returns
    -------
    DataFrame with columns group, time, n_risk (number with duration >= time), n_event, n_censor, survival
    (S just after `time`: the curve is right-continuous), std_error (Greenwood SE of S), ci_lower, ci_upper. Rows are
    sorted by group then time. Groups with no events have S = 1 and SE 0 throughout.

    Raises
    ------
    ValueError when a used column is missing or has missing values (naming the column and count), when
    `event` holds anything but 0/1, or when `confidence` is not strictly between 0 and 1.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    times, events, groups = _clean_inputs(data, duration, event, group)
    counts = _event_counts(times, events, groups)
    return _estimate(counts, norm.ppf(0.5 + confidence / 2))


def survival_at(km: pd.DataFrame, times: Sequence[float]) -> pd.DataFrame:
    """Read the Kaplan–Meier step function of each group at the given times.

    The curve is right-continuous: at t it equals the estimate at the last observed time <= t (1 before the
    first observed time, with SE 0 and interval [1, 1]). `n_risk` is the number still under observation at t
    (duration >= t). Beyond a group's last observed time the estimate is unknown and survival, std_error,
    ci_lower and ci_upper are NaN (n_risk is 0 there); the one exception is a curve that has reached 0, which stays 0.

    `km` is the output of `kaplan_meier`. Returns one row per group and requested time, in the order the
    times were given, with columns group, time, n_risk, survival, std_error, ci_lower, ci_upper.
    """
    missing = [c for c in KM_COLUMNS if c not in km.columns]
    if missing:
        raise ValueError(f"km is missing columns {missing}; pass the output of kaplan_meier()")
    query = np.asarray(times, dtype=float)
    if np.isnan(query).any():
        raise ValueError("times must not contain missing values")
    parts = [_read_curve(label, curve, query) for label, curve in km.groupby("group", sort=False)]
    if not parts:
        return pd.DataFrame(columns=AT_COLUMNS)
    return pd.concat(parts, ignore_index=True)[AT_COLUMNS]


def _clean_inputs(
    data: pd.DataFrame, duration: str, event: str, group: str | None
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Validated float durations, 0/1 events and group labels (all "all" when group is None)."""
    used = [duration, event] + ([group] if group is not None else [])
    absent = [c for c in used if c not in data.columns]
    if absent:
        raise ValueError(f"column(s) {absent} not in the data")
    for column in used:
        n_missing = int(data[column].isna().sum())
        if n_missing:
            raise ValueError(f"column '{column}' has {n_missing} missing value(s); drop or impute them first")
    times = pd.to_numeric(data[duration], errors="raise").to_numpy(dtype=float)
    events = data[event].to_numpy()
    if not np.isin(events, [0, 1]).all():
        raise ValueError(f"column '{event}' must hold only 0/1 (or False/True)")
    groups = data[group] if group is not None else pd.Series(ALL, index=data.index)
    return times, events.astype(np.int64), groups.reset_index(drop=True)


def _event_counts(times: np.ndarray, events: np.ndarray, groups: pd.Series) -> pd.DataFrame:
    """Per group and distinct time: number leaving observation (n_out), events, censorings and number at risk."""
    frame = pd.DataFrame({"group": groups, "time": times, "event": events})
    counts = (
        frame.groupby(["group", "time"], sort=True, observed=True)["event"]
        .agg(n_out="size", n_event="sum")
        .reset_index()
    )
    counts["n_censor"] = counts["n_out"] - counts["n_event"]
    by_group = counts.groupby("group", sort=False, observed=True)["n_out"]
    # at risk at t = everyone in the group minus those whose time is strictly before t
    counts["n_risk"] = by_group.transform("sum") - by_group.cumsum() + counts["n_out"]
    return counts


def _estimate(counts: pd.DataFrame, z: float) -> pd.DataFrame:
    """Product-limit estimate, Greenwood SE and log-scale interval from the per-time counts."""
    n = counts["n_risk"].to_numpy(dtype=float)
    d = counts["n_event"].to_numpy(dtype=float)
    keys = counts["group"]
    factor = pd.Series(1.0 - d / n, index=counts.index)
    survival = factor.groupby(keys, sort=False, observed=True).cumprod().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        increment = np.where(d > 0, d / (n * (n - d)), 0.0)  # inf when everyone at risk has the event
    greenwood = pd.Series(increment, index=counts.index).groupby(keys, sort=False, observed=True).cumsum()
    se_log = np.sqrt(greenwood.to_numpy())
    dead = survival <= 0
    with np.errstate(invalid="ignore", over="ignore"):
        std_error = np.where(dead, np.nan, survival * se_log)
        ci_lower = np.where(dead, np.nan, survival * np.exp(-z * se_log))
        ci_upper = np.where(dead, np.nan, np.minimum(1.0, survival * np.exp(z * se_log)))
    out = counts.assign(survival=survival, std_error=std_error, ci_lower=ci_lower, ci_upper=ci_upper)
    out[["n_risk", "n_event", "n_censor"]] = out[["n_risk", "n_event", "n_censor"]].astype("int64")
    return out[KM_COLUMNS]


def _read_curve(label: object, curve: pd.DataFrame, query: np.ndarray) -> pd.DataFrame:
    """One group's step function at the query times (see `survival_at`)."""
    curve = curve.sort_values("time")
    t = curve["time"].to_numpy(dtype=float)
    # index of the last observed time <= query; -1 when the query lies before the first observed time
    idx = np.searchsorted(t, query, side="right") - 1
    before = idx < 0
    beyond = (query > t[-1]) & (curve["survival"].to_numpy()[-1] > 0)
    safe = np.clip(idx, 0, len(t) - 1)
    values = {c: curve[c].to_numpy(dtype=float)[safe] for c in ("survival", "std_error", "ci_lower", "ci_upper")}
    for column, start_value in (("survival", 1.0), ("std_error", 0.0), ("ci_lower", 1.0), ("ci_upper", 1.0)):
        values[column] = np.where(before, start_value, values[column])
        values[column] = np.where(beyond, np.nan, values[column])
    # at risk at q = at risk at the first observed time >= q; nobody beyond the last time
    n_risk_at = curve["n_risk"].to_numpy()
    nxt = np.searchsorted(t, query, side="left")
    n_risk = np.where(nxt < len(t), n_risk_at[np.clip(nxt, 0, len(t) - 1)], 0)
    return pd.DataFrame({"group": label, "time": query, "n_risk": n_risk.astype("int64"), **values})
