"""Parsing the date styles found in Danish registers and survey exports.

Danish dates are always day-first. Accepted: date cells, Excel serial numbers, 31-01-2021, 31.01.21,
31/1/2021, 31.01.2021 and ISO 2021-01-31. A two-digit year is placed in the latest century that does not
put it after the data extraction year (so '21' is 2021 and '45' is 1945 when extracting in 2023).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0, accounting for its 1900 leap-year bug
_SERIAL_RANGE = (20000, 80000)  # 1954-10-03 .. 2119-01-07: numbers outside are not taken as dates
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4}|\d{2})$")
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
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real calendar date") from exc
    if _SERIAL_TEXT.match(text):
        return _from_serial(float(text.replace(",", ".")))
    raise ValueError(f"'{text}' is not a date (expected day-first, such as 31-01-2021)")
