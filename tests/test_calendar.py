from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.core.calendar import add_months, full_months_between, in_any_period


def _days(*values):
    return np.array(values, dtype="datetime64[D]")


def test_adding_months_clips_to_the_last_day_of_a_short_month():
    got = add_months(_days("2021-01-31", "2020-01-31", "2021-03-15", "NaT"), 1)
    assert list(got.astype(str)) == ["2021-02-28", "2020-02-29", "2021-04-15", "NaT"]


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2021-01-15", "2021-01-15", 0),
        ("2021-01-15", "2021-02-14", 0),
        ("2021-01-15", "2021-02-15", 1),
        ("2021-01-31", "2021-02-28", 1),
        ("2021-01-31", "2021-02-27", 0),
        ("2020-12-20", "2021-12-19", 11),
        ("2021-05-01", "2021-04-01", 0),
    ],
)
def test_full_months_between(start, end, months):
    assert full_months_between(_days(start), _days(end))[0] == months


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2050, 1, 1)), st.integers(0, 120))
def test_full_months_undo_adding_months(start, k):
    day = _days(start.isoformat())
    assert full_months_between(day, add_months(day, k))[0] == k


def test_period_overlap_is_inclusive():
    periods = [(date(2020, 3, 11), date(2020, 5, 17))]
    first = _days("2020-03-01", "2020-05-17", "2020-05-18")
    hits = in_any_period(first, _days("2020-03-11", "2020-06-01", "2020-06-30"), periods)
    assert list(hits) == [True, True, False]
