"""Danish CPR numbers: normalisation and what may be derived before the number is dropped.

A CPR number is DDMMYY-SSSS. The 7th digit with the two-digit year gives the century; the last digit
gives legal sex (odd = male). Substitute numbers ("erstatningspersonnummer") add 60 to the day.
No check-digit (modulus 11) test is made: numbers issued since 2007 need not pass it.
"""

from __future__ import annotations

import re
from datetime import date

_SEPARATORS = re.compile(r"[\s\-]")
_TEN_DIGITS = re.compile(r"^\d{10}$")
_STANDARD_FORM = re.compile(r"^\d{6}-\d{4}$")
NORMALISED_RULE = "CPR number written without hyphen or with spaces"


def normalise_cpr(value: object) -> str:
    """Return the CPR number as ten digits without separators.

    Accepts DDMMYY-SSSS, DDMMYYSSSS and either with spaces. Raises ValueError saying what is wrong for a
    blank, a wrong number of digits, letters, or a date of birth that does not exist.
    """
    if value is None or (isinstance(value, float) and value != value):
        raise ValueError("CPR number is missing")
    text = _SEPARATORS.sub("", str(value).strip())
    if text == "":
        raise ValueError("CPR number is missing")
    if not _TEN_DIGITS.match(text):
        raise ValueError("CPR number is not ten digits (expected DDMMYY-SSSS)")
    birth_date(text)  # raises for an impossible date of birth
    return text


def written_in_standard_form(value: object) -> bool:
    """True when a raw cell holds the number exactly as DDMMYY-SSSS (else normalising it is a repair)."""
    return bool(_STANDARD_FORM.match(str(value).strip()))


def is_substitute(cpr: str) -> bool:
    """True for a substitute number (day of birth + 60)."""
    return int(cpr[0:2]) > 60


def _century(two_digit_year: int, seventh_digit: int) -> int:
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if two_digit_year <= 36 else 1900
    return 2000 if two_digit_year <= 57 else 1800


def birth_date(cpr: str) -> date:
    """Date of birth encoded in a normalised CPR number (substitute numbers included)."""
    day = int(cpr[0:2])
    if day > 60:
        day -= 60
    month, yy, seventh = int(cpr[2:4]), int(cpr[4:6]), int(cpr[6])
    try:
        return date(_century(yy, seventh) + yy, month, day)
    except ValueError as exc:
        raise ValueError("CPR number holds an impossible date of birth") from exc


def sex(cpr: str) -> str:
    """Legal sex from the last digit: odd is 'male', even is 'female'."""
    return "male" if int(cpr[9]) % 2 == 1 else "female"


def age_at(cpr: str, on: date) -> int:
    """Age in completed years on the given date."""
    born = birth_date(cpr)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
