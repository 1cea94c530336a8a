"""Parsing the date styles found in Danish registers and survey exports.

Danish dates are always day-first. Accepted: date cells, Excel serial numbers, 31-01-2021, 31.01.21,
31/1/2021, 1/2-2021, 31.01.2021, ISO 2021-01-31 (also 2021/01/31), and a month written as a Danish or
English name or abbreviation, with or without a dot: "10. jun. 2021", "1. februar 2021", "10 jun 21",
"10-Jun-2021", "3. maj 2021", "tirsdag den 5. okt. 2021". A date at midnight ("31-01-2021 00:00") is the
date. A two-digit year is placed in the latest century that does not put it after the data extraction year
(so '21' is 2021 and '45' is 1945 when extracting in 2023). A day and month without a year ("10/6",
"10. juni") or a month without a day ("juni 2021") is not a date: which one was meant cannot be known.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0, accounting for its 1900 leap-year bug
_SERIAL_RANGE = (20000, 80000)  # 1954-10-03 .. 2119-01-07: numbers outside are not taken as dates
_MIDNIGHT = r"(?:[ T]0?0[:.]00(?:[:.]00)?)?"
_ISO = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_MIDNIGHT}$")
_DAY_FIRST = re.compile(rf"^(\d{{1,2}})[-./](\d{{1,2}})[-./](\d{{4}}|\d{{2}}){_MIDNIGHT}$")
# Weekday and "den" may stand before the day; the month is a word, then an optional dot; any of space,
# '.', '-' or '/' may separate the parts.
_NAMED_MONTH = re.compile(
    r"^(?:(?:man|tirs|ons|tors|fre|lør|søn)(?:dag)?\.?,?\s+)?(?:den\s+)?"
    r"(\d{1,2})\.?[\s./-]*([^\W\d_]+)\.?[\s./,-]*(\d{4}|\d{2})" + _MIDNIGHT + "$",
    re.IGNORECASE,
)
_MONTH_WITHOUT_DAY = re.compile(r"^([^\W\d_]+)\.?[\s./-]*(\d{4}|\d{2})$")
_DAY_WITHOUT_YEAR = re.compile(r"^(\d{1,2})[./\s-]+(\d{1,2}|[^\W\d_]+)\.?$")
# Danish and English month names and their usual abbreviations (casefolded, without a dot).
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("januar", "january", "jan"),
            ("februar", "february", "feb", "febr"),
            ("marts", "march", "mar", "mrt"),
            ("april", "apr"),
            ("maj", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_SERIAL_TEXT = re.compile(r"^\d{5}(?:[.,]0+)?$")
_TIME_OF_DAY = re.compile(r"[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2})?$")


def is_blank(value: object) -> bool:
    """True for None, NaN, NaT and strings that are empty after stripping."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return str(value) == "NaT"


def _from_serial(serial: float) -> date:
    if not _SERIAL_RANGE[0] <= serial <= _SERIAL_RANGE[1]:
        raise ValueError(f"number {serial:g} is not a plausible Excel date serial")
    if serial != int(serial):
        raise ValueError(f"Excel date serial {serial:g} has a time part")
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def _full_year(two_digits: int, pivot_year: int) -> int:
    year = 2000 + two_digits
    return year if year <= pivot_year else year - 100


def parse_date(value: object, pivot_year: int, keep_day_of_timestamp: bool = False) -> date | None:
    """Return the date a raw cell holds, None for a blank cell.

    Raises ValueError with a reason for anything that is not one of the accepted styles or names a day
    that does not exist (such as 29 February in a non-leap year). A time of day is refused (a register date
    with a time is suspect) unless `keep_day_of_timestamp`, for columns such as a survey tool's answer
    timestamp, where the day is what matters.
    """
    if is_blank(value):
        return None
    if keep_day_of_timestamp and isinstance(value, datetime):
        return value.date()
    if keep_day_of_timestamp and isinstance(value, str):
        value = _TIME_OF_DAY.sub("", value.strip())
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise ValueError(f"date cell {value.isoformat()} has a time part")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a date")
    if isinstance(value, int | float):
        return _from_serial(float(value))
    text = str(value).strip()
    try:
        if m := _ISO.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DAY_FIRST.match(text):
            year = int(m[3]) if len(m[3]) == 4 else _full_year(int(m[3]), pivot_year)
            return date(year, int(m[2]), int(m[1]))
        if m := _NAMED_MONTH.match(text):
            month = _MONTHS.get(m[2].casefold())
            if month is None:
                raise ValueError(f"'{text}' is not a date: '{m[2]}' is not a month")
            year = int(m[3]) if len(m[3]) == 4 else _full_year(int(m[3]), pivot_year)
            return date(year, month, int(m[1]))
    except ValueError as exc:
        if "is not a" in str(exc):
            raise
        raise ValueError(f"'{text}' is not a real calendar date") from exc
    if _SERIAL_TEXT.match(text):
        return _from_serial(float(text.replace(",", ".")))
    if (m := _MONTH_WITHOUT_DAY.match(text)) and m[1].casefold() in _MONTHS:
        raise ValueError(f"'{text}' names a month but no day: write the whole date, such as 10-06-2021")
    if (m := _DAY_WITHOUT_YEAR.match(text)) and (m[2].isdigit() or m[2].casefold() in _MONTHS):
        raise ValueError(f"'{text}' has no year: write the whole date, such as 10-06-2021")
    raise ValueError(f"'{text}' is not a date (expected day-first, such as 31-01-2021 or 31. jan. 2021)")
