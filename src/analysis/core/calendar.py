"""Calendar arithmetic on numpy day arrays, shared by the simulator and the person-month builder.

A "month since start" is a calendar-month anniversary interval: month m of a person who started on day d
is [d + (m-1) months, d + m months), where adding months keeps the day of month and clips it to the last
day of a shorter month (31 January + 1 month = 28/29 February).
"""

from __future__ import annotations

from datetime import date

import numpy as np

NAT = np.datetime64("NaT", "D")


def as_day(value: date) -> np.datetime64:
    """A date as numpy datetime64[D]."""
    return np.datetime64(value.isoformat(), "D")


_MONTH_START = np.arange("1900-01", "2101-01", dtype="datetime64[M]").astype("datetime64[D]")
_MONTH_LENGTH = np.diff(np.append(_MONTH_START, np.datetime64("2101-01-01", "D"))).astype("int64")


def month_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(month index since January 1900, 0-based day of month) of datetime64[D] days without NaT.

    Table look-ups instead of datetime64 unit casts keep this fast for millions of dates.
    """
    index = np.searchsorted(_MONTH_START, days, side="right") - 1
    if np.any(index < 0) or np.any(days >= _MONTH_START[-1] + np.timedelta64(31, "D")):
        raise ValueError("dates must lie in 1900-2100")
    return index, (days - _MONTH_START[index]).astype("int64")


def from_month_parts(index: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """The day `offset` days into month `index`, clipped to the month's last day."""
    return _MONTH_START[index] + np.minimum(offset, _MONTH_LENGTH[index] - 1)


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Calendar-month addition on datetime64[D] arrays: 31 Jan + 1 month = 28/29 Feb. NaT stays NaT."""
    days = np.asarray(days, dtype="datetime64[D]")
    missing = np.isnat(days)
    index, offset = month_parts(np.where(missing, _MONTH_START[0], days))
    out = from_month_parts(index + np.asarray(months, dtype="int64"), offset)
    return np.where(missing, NAT, out)


def full_months_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Whole calendar months from start to end: the largest k with start + k months <= end (k >= 0)."""
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.asarray(end, dtype="datetime64[D]")
    start_index, start_offset = month_parts(start)
    end_index, _ = month_parts(end)
    k = np.maximum(end_index - start_index, 0)
    k = np.where(from_month_parts(start_index + k, start_offset) > end, k - 1, k)
    return np.maximum(k, 0)


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day (1-31) of a datetime64[D] array without NaT."""
    index, offset = month_parts(days)
    return 1900 + index // 12, index % 12 + 1, offset + 1


def in_any_period(first: np.ndarray, last: np.ndarray, periods) -> np.ndarray:
    """True where the day range [first, last] overlaps one of the (start, end) date periods (inclusive)."""
    hit = np.zeros(len(first), dtype=bool)
    for start, end in periods:
        hit |= (first <= as_day(end)) & (last >= as_day(start))
    return hit
