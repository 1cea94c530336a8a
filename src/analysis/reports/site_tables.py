"""The numbers a site report shows, computed from the canonical tables (counts before disclosure control).

Every function returns counts or estimates with the group sizes they rest on, so that disclosure control
can hide what is too small and every sentence can quote the data.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student t quantile; scipy.stats costs half a second to import

from analysis.core.vocabulary import REFERRAL_TRACKS

STAGES = ["referred", "started", "active_course_end", "active_followup"]
MEASURES = ["who5_pct", "srh", "pa_level", "job_readiness"]


def _milestones(participants: pd.DataFrame, config: dict) -> dict[str, pd.Series]:
    referral = participants["referral_date"]
    return {
        "active_course_end": referral + pd.Timedelta(weeks=config["course_weeks"]),
        "active_followup": referral + pd.DateOffset(months=config["followup_months"]),
    }


def funnel(participants: pd.DataFrame, config: dict, by: str = "referral_track") -> pd.DataFrame:
    """Counts reaching each stage, per level of `by` and in total ('all').

    Stages: referred, started (in an association), active_course_end and active_followup. A later stage is
    counted among enrolments whose milestone (referral + course weeks, referral + follow-up months) lies on
    or before the extraction date; those without a recorded end by then count as active. Where the site
    does not report end status, the active stages are NaN ('not reported'), never 0. Columns
    `eligible_course_end` and `eligible_followup` give the denominators.
    """
    extraction = pd.Timestamp(date.fromisoformat(config["extraction_date"]))
    reported = bool(participants["end_status_reported"].all()) if len(participants) else False
    frame = participants.assign(started=participants["start_date"].notna())
    for stage, when in _milestones(participants, config).items():
        due = when <= extraction
        still = frame["started"] & (frame["end_date"].isna() | (frame["end_date"] > when))
        frame[f"eligible_{stage.removeprefix('active_')}"] = due
        frame[stage] = due & still
    columns = ["started", "active_course_end", "active_followup", "eligible_course_end", "eligible_followup"]
    grouped = frame.groupby(by, observed=True)[columns].sum()
    grouped.insert(0, "referred", frame.groupby(by, observed=True).size())
    order = [t for t in REFERRAL_TRACKS if t in grouped.index] if by == "referral_track" else list(grouped.index)
    table = grouped.reindex(order)
    table.loc["all"] = table.sum()
    table = table.astype("float64")
    if not reported:
        table[["active_course_end", "active_followup"]] = np.nan
    return table


def counts_by(participants: pd.DataFrame, column: str, order: list[str] | None = None) -> pd.Series:
    """Number of enrolments per value of a column (missing values as 'unknown'), in a given order."""
    counts = participants[column].fillna("unknown").value_counts()
    if order is not None:
        counts = counts.reindex([o for o in order if o in counts.index] + sorted(set(counts.index) - set(order)))
    return counts.sort_index() if order is None else counts


def dropout_reasons(participants: pd.DataFrame) -> pd.Series:
    """Recorded reasons among enrolments that stopped, most frequent first."""
    stopped = participants[participants["end_date"].notna()]
    return stopped["dropout_reason"].fillna("unknown").value_counts()


def outcome_means(responses: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per measure and wave: n answering, mean and t-based confidence interval of the mean."""
    rows = []
    for measure in MEASURES:
        for wave, values in responses.groupby("wave", sort=False)[measure]:
            values = values.dropna().astype(float)
            rows.append({"measure": measure, "wave": wave, **_mean_ci(values.to_numpy(), confidence)})
    return pd.DataFrame(rows, columns=["measure", "wave", "n", "mean", "lower", "upper"])


def outcome_changes(responses: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Paired change from baseline to each later wave, among enrolments that answered both."""
    key = ["participant_id", "enrolment"]
    baseline = responses[responses["wave"] == "baseline"]
    rows = []
    for wave in ("end", "followup"):
        later = responses[responses["wave"] == wave]
        both = baseline.merge(later, on=key, how="inner", suffixes=("_before", "_after"))
        for measure in MEASURES:
            diff = (both[f"{measure}_after"].astype(float) - both[f"{measure}_before"].astype(float)).dropna()
            rows.append({"measure": measure, "wave": wave, **_mean_ci(diff.to_numpy(), confidence)})
    return pd.DataFrame(rows, columns=["measure", "wave", "n", "mean", "lower", "upper"])


def _mean_ci(values: np.ndarray, confidence: float) -> dict:
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": np.nan, "lower": np.nan, "upper": np.nan}
    mean = float(values.mean())
    if n < 2:
        return {"n": n, "mean": mean, "lower": np.nan, "upper": np.nan}
    half = stdtrit(n - 1, 0.5 + confidence / 2) * values.std(ddof=1) / np.sqrt(n)
    return {"n": n, "mean": mean, "lower": mean - half, "upper": mean + half}


def response_by_status(participants: pd.DataFrame, responses: pd.DataFrame, wave: str) -> pd.DataFrame:
    """Who answered a wave: counts of answered / not answered among those still active and those who stopped."""
    key = ["participant_id", "enrolment"]
    answered = responses.loc[responses["wave"] == wave, key].drop_duplicates().assign(answered=True)
    frame = participants.merge(answered, on=key, how="left").fillna({"answered": False})
    status = np.where(
        frame["start_date"].isna(), "never_started", np.where(frame["end_date"].notna(), "stopped", "active")
    )
    return pd.crosstab(pd.Series(status, name="status"), frame["answered"].astype(bool).rename("answered"))
