from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.read.cpr import age_at, birth_date, is_substitute, normalise_cpr, sex


@pytest.mark.parametrize("raw", ["710385-1233", "7103851233", "710385 1233", " 710385-1233 ", "710385 - 1233"])
def test_separators_and_spaces_are_normalised(raw):
    assert normalise_cpr(raw) == "7103851233"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("  ", "missing"),
        ("71038-1233", "ten digits"),
        ("710385-12334", "ten digits"),
        ("71O385-1233", "ten digits"),
        ("923085-1233", "impossible"),
        ("691385-1233", "impossible"),
    ],
)
def test_bad_numbers_are_refused_with_a_reason(raw, reason):
    with pytest.raises(ValueError, match=reason):
        normalise_cpr(raw)


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("0101850000", date(1985, 1, 1)),
        ("0101054000", date(2005, 1, 1)),
        ("0101454000", date(1945, 1, 1)),
        ("0101505000", date(2050, 1, 1)),
        ("0101605000", date(1860, 1, 1)),
        ("0101369000", date(2036, 1, 1)),
        ("0101379000", date(1937, 1, 1)),
        ("6101850000", date(1985, 1, 1)),
    ],
)
def test_century_follows_the_seventh_digit(cpr, born):
    assert birth_date(cpr) == born


def test_substitute_numbers_add_sixty_to_the_day():
    assert is_substitute("7103851233") and not is_substitute("1103851233")
    assert birth_date("7103851233") == date(1985, 3, 11)


def test_sex_from_last_digit_and_age_in_completed_years():
    assert sex("7103851233") == "male" and sex("7103851234") == "female"
    assert age_at("7103851233", date(2021, 3, 10)) == 35
    assert age_at("7103851233", date(2021, 3, 11)) == 36


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    st.integers(0, 3999),
    st.booleans(),
    st.sampled_from(["-", "", " "]),
)
def test_any_valid_number_round_trips(born, serial, substitute, separator):
    day = born.day + (60 if substitute else 0)
    text = f"{day:02d}{born.month:02d}{born.year % 100:02d}{separator}{serial:04d}"
    number = normalise_cpr(text)
    assert len(number) == 10 and birth_date(number) == born
    assert sex(number) == ("male" if serial % 2 else "female")
