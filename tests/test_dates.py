from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.read.dates import parse_date

PIVOT = 2023
# Month names as Danish Retskrivningsordbogen writes them, with Danish Excel's abbreviations.
DANISH_LONG = "januar februar marts april maj juni juli august september oktober november december".split()
DANISH_SHORT = "jan. feb. mar. apr. maj jun. jul. aug. sep. okt. nov. dec.".split()


@pytest.mark.parametrize(
    "raw",
    [
        "31-01-2021",
        "31.01.21",
        "31/1/2021",
        "31.01.2021",
        "2021-01-31",
        "31-1-21",
        44227,
        44227.0,
        "44227",
        datetime(2021, 1, 31),
        date(2021, 1, 31),
        "2021-01-31 00:00:00",
        "31-01-2021 00:00",
        "2021/01/31",
        "31. jan. 2021",
        "31. jan 2021",
        "31 jan 21",
        "31. januar 2021",
        "31-Jan-2021",
        "31.jan.21",
        "31. JANUAR 2021",
        "søndag den 31. januar 2021",
        "31 January 2021",
    ],
)
def test_every_danish_style_gives_the_same_day(raw):
    assert parse_date(raw, PIVOT) == date(2021, 1, 31)


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan")])
def test_blanks_are_none(raw):
    assert parse_date(raw, PIVOT) is None


def test_two_digit_years_never_land_after_the_extraction_year():
    assert parse_date("01.01.23", PIVOT) == date(2023, 1, 1)
    assert parse_date("01.01.24", PIVOT) == date(1924, 1, 1)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("29-02-2021", "not a real calendar date"),
        ("31/04/2022", "not a real calendar date"),
        ("next monday", "not a date"),
        ("2021/31/01", "not a real calendar date"),
        (12, "not a plausible Excel date serial"),
        (44227.5, "time part"),
        (datetime(2021, 1, 31, 14, 5), "time part"),
        (True, "yes/no"),
        ("31. feb. 2021", "not a real calendar date"),
        ("06/13/2021", "not a real calendar date"),  # month first: read day first, month 13 does not exist
        ("10. jux 2021", "'jux' is not a month"),
        ("10/6", "has no year"),
        ("10. juni", "has no year"),
        ("juni 2021", "names a month but no day"),
        ("okt.", "not a date"),
        ("maj", "not a date"),
    ],
)
def test_impossible_or_unknown_dates_are_refused_with_a_reason(raw, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(raw, PIVOT)


@given(st.dates(min_value=date(1960, 1, 1), max_value=date(2023, 12, 31)))
def test_all_styles_agree_for_any_day(day):
    serial = (day - date(1899, 12, 30)).days
    styles = [
        day.strftime("%d-%m-%Y"),
        day.strftime("%d.%m.%y"),
        f"{day.day}/{day.month}/{day.year}",
        day.isoformat(),
        serial,
        datetime(day.year, day.month, day.day),
        f"{day.day}/{day.month}-{day.year}",
        f"{day.day}. {DANISH_SHORT[day.month - 1]} {day.year}",
        f"{day.day}. {DANISH_LONG[day.month - 1]} {day.year}",
        f"{day.day} {DANISH_SHORT[day.month - 1].rstrip('.')} {day.strftime('%y')}",
    ]
    assert {parse_date(s, PIVOT) for s in styles} == {day}


@pytest.mark.parametrize(
    "raw", [datetime(2021, 1, 31, 14, 5), "31-01-2021 14:05", "31.01.2021 14.05.59", "2021-01-31T09:30"]
)
def test_survey_timestamps_keep_their_day(raw):
    assert parse_date(raw, PIVOT, keep_day_of_timestamp=True) == date(2021, 1, 31)
    with pytest.raises(ValueError):
        parse_date(raw, PIVOT)
