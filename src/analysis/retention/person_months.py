"""From enrolments to person-months: the data behind the discrete-time hazard models.

Month m of an enrolment is the calendar-month anniversary interval [start + (m-1) months, start + m
months) (see analysis.core.calendar). An enrolment is at risk from its start date until it leaves the
association (the event) or its follow-up ends: at its last contact date, or at the extraction date when the
register has no contact date. A censored enrolment contributes only the months it was observed in full;
an enrolment that leaves contributes every month up to and including the month it left, with event = 1 in
that last month. Months after a recorded end are never at risk.

`post_subsidy` is 1 in month m when the *planned* subsidy (subsidy_months > 0) has ended before the month
began: m > subsidy_months. The planned length is used, never one cut short by dropout, so the indicator
does not depend on the outcome. `months_from_subsidy_end` = m - subsidy_months - 1 counts from the first
unsubsidised month (0) backwards and forwards; -3..-1 are the last three subsidised months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from analysis.core.calendar import add_months, full_months_between, in_any_period

CARRIED = [
    "participant_id",
    "enrolment",
    "site",
    "referral_track",
    "age",
    "sex",
    "accompanied",
    "team_type",
    "bridging_model",
    "subsidy_months",
]


@dataclass
class PersonMonths:
    """Person-month rows plus the enrolments left out and why (plain-language warnings)."""

    rows: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)


def _follow_up_end(frame: pd.DataFrame, extraction: np.datetime64) -> np.ndarray:
    end = frame["end_date"].to_numpy(dtype="datetime64[D]")
    contact = frame["last_contact_date"].to_numpy(dtype="datetime64[D]")
    censor = np.where(np.isnat(contact), extraction, np.minimum(contact, extraction))
    return np.where(np.isnat(end), censor, end)


def _excluded(participants: pd.DataFrame) -> tuple[pd.Series, dict[str, int], list[str]]:
    """Which enrolments cannot enter the risk set, counted by reason."""
    reasons = {
        "never started in the association": participants["start_date"].isna(),
        "site does not report end status": ~participants["end_status_reported"].astype(bool),
        "planned subsidy length missing": participants["subsidy_months"].isna(),
    }
    out = pd.Series(False, index=participants.index)
    counts, warnings = {}, []
    for reason, mask in reasons.items():
        new = mask & ~out
        counts[reason] = int(new.sum())
        out |= mask
    for reason in ("site does not report end status", "planned subsidy length missing"):
        if counts[reason]:
            warnings.append(f"{counts[reason]} enrolments left out of the retention models: {reason}.")
    return out, counts, warnings


def build_person_months(
    participants: pd.DataFrame,
    extraction_date: date,
    lockdowns: list[tuple[date, date]] = (),
    carry: list[str] = CARRIED,
) -> PersonMonths:
    """One row per enrolment and month at risk: month, event, post_subsidy, lockdown, relative month.

    Columns: the `carry` columns of the enrolment, month (1, 2, ...), month_start (date), event (0/1),
    post_subsidy (0/1), months_from_subsidy_end (NaN without subsidy), lockdown (0/1: the month overlaps
    an association lockdown), day_from and day_to (the month as an interval (day_from, day_to] of days since
    start), calendar_year (of the month's start).
    """
    excluded, counts, warnings = _excluded(participants)
    people = participants.loc[~excluded].reset_index(drop=True)
    extraction = np.datetime64(extraction_date.isoformat(), "D")
    start = people["start_date"].to_numpy(dtype="datetime64[D]")
    stop = _follow_up_end(people, extraction)
    left = people["end_date"].notna().to_numpy()
    observed_months = full_months_between(start, stop)
    n_months = np.where(left, observed_months + 1, observed_months)
    index = np.repeat(np.arange(len(people)), n_months)
    month = np.arange(len(index)) - np.repeat(np.cumsum(n_months) - n_months, n_months) + 1
    month_start = add_months(start[index], month - 1)
    month_end = add_months(start[index], month) - np.timedelta64(1, "D")
    planned = people["subsidy_months"].to_numpy(dtype="int64")[index]
    rows = people.loc[index, [c for c in carry if c in people.columns]].reset_index(drop=True)
    rows["month"] = month
    rows["month_start"] = month_start.astype("datetime64[ms]")
    rows["event"] = (left[index] & (month == n_months[index])).astype("int64")
    rows["post_subsidy"] = ((planned > 0) & (month > planned)).astype("int64")
    rows["months_from_subsidy_end"] = np.where(planned > 0, month - planned - 1, np.nan)
    rows["lockdown"] = in_any_period(month_start, month_end, lockdowns).astype("int64")
    # The same months as (day_from, day_to] intervals in days since start, for the counting-process Cox
    # model: day 1 is the start day, a month ends where the next begins, and a leaver's last month ends on
    # the day of leaving, so that every interval has day_to > day_from.
    first_day = start[index]
    end_day = people["end_date"].to_numpy(dtype="datetime64[D]")[index]
    rows["day_from"] = (month_start - first_day).astype("int64")
    rows["day_to"] = np.where(
        rows["event"].to_numpy() == 1,
        (end_day - first_day).astype("int64") + 1,
        (month_end - first_day).astype("int64") + 1,
    )
    rows["calendar_year"] = month_start.astype("datetime64[Y]").astype("int64") + 1970
    if (n_months == 0).any():
        counts["no complete month of follow-up"] = int((n_months == 0).sum())
    return PersonMonths(rows=rows, warnings=warnings, excluded=counts)


def merge_unchanged_months(rows: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Consecutive months of one enrolment whose `covariates` are all equal, as one (day_from, day_to]
    interval that ends with the last month's event.

    A Cox partial likelihood depends only on who is at risk at each event time and with which covariate
    values, so cutting an interval where nothing changes alters nothing: the merged rows give the same fit
    (tests/test_person_months.py checks it) with several times fewer rows, which is what lets the
    counting-process model run on national-scale data. Expects build_person_months' row order (each
    enrolment's months contiguous and ascending). Returns the key columns, `covariates`, day_from, day_to
    and event.
    """
    keys = ["site", "participant_id", "enrolment"]
    columns = list(dict.fromkeys([*keys, *covariates]))
    values = rows[columns]
    new_run = (values != values.shift()).any(axis=1).to_numpy()
    merged = rows.loc[new_run, columns].reset_index(drop=True)
    merged["day_from"] = rows["day_from"].to_numpy()[new_run]
    last = np.append(new_run[1:], True)
    merged["day_to"] = rows["day_to"].to_numpy()[last]
    merged["event"] = rows["event"].to_numpy()[last]
    return merged


DAYS_PER_MONTH = 365.25 / 12


def enrolment_durations(participants: pd.DataFrame, extraction_date: date) -> PersonMonths:
    """One row per enrolment at risk: months from start to leaving (event = 1) or end of follow-up (0).

    The same enrolments as build_person_months, with follow-up measured in average-length months
    (days / 30.44) for Kaplan-Meier curves.
    """
    excluded, counts, warnings = _excluded(participants)
    people = participants.loc[~excluded].reset_index(drop=True)
    extraction = np.datetime64(extraction_date.isoformat(), "D")
    start = people["start_date"].to_numpy(dtype="datetime64[D]")
    days = (_follow_up_end(people, extraction) - start).astype("int64")
    rows = people[[c for c in CARRIED if c in people.columns]].copy()
    rows["months"] = days / DAYS_PER_MONTH
    rows["event"] = people["end_date"].notna().astype("int64").to_numpy()
    return PersonMonths(rows=rows, warnings=warnings, excluded=counts)


def subsidy_end_bins(months_from_end: pd.Series, edges: tuple[int, ...] = (-12, -6, -3, 0, 3, 6, 12)) -> pd.Series:
    """Event-study bins of months relative to the planned subsidy end, as ordered labels.

    With the default edges: '<-12', '-12..-7', '-6..-4', '-3..-1' (the reference: last three subsidised
    months), '0..2', '3..5', '6..11', '12+'. Unsubsidised enrolments get 'no subsidy'.
    """
    labels = [f"<{edges[0]}"]
    labels += [f"{lo}..{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    labels += [f"{edges[-1]}+"]
    codes = np.searchsorted(np.asarray(edges), months_from_end.to_numpy(), side="right")
    out = np.asarray(labels, dtype=object)[np.clip(codes, 0, len(labels) - 1)]
    out = np.where(months_from_end.isna().to_numpy(), "no subsidy", out)
    return pd.Series(out, index=months_from_end.index, dtype="str")
