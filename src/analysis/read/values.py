"""Interpreting single raw cells: labels, yes/no codes, whole numbers and decimal-comma numbers.

Each parser returns the canonical value, None for a blank, or raises ValueError with a reason that never
repeats the raw value when that value could be personal.
"""

from __future__ import annotations

import re

from analysis.read.codebook import normalise_label
from analysis.read.dates import is_blank
from analysis.read.masking import quotable  # noqa: F401  (re-exported: the cleaning quotes values through it)

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$|^[+-]?\d*\.\d+$")


def parse_number(value: object) -> float | None:
    """A number as Danes write it: decimal comma, optional '.' thousands separators ('1.234,5').

    Plain numeric cells pass through. A '.' is a decimal point only when no comma is present and it is
    not followed by exactly three digits in a thousands pattern.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a number")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if not _NUMBER.match(text):
        raise ValueError(f"'{text}' is not a number")
    if "," in text or re.match(r"^[+-]?\d{1,3}(\.\d{3})+$", text):
        text = text.replace(".", "").replace(",", ".")
    return float(text)


def parse_whole_number(value: object) -> int | None:
    """A whole number (also '3,0' or 3.0); ValueError for fractions and text."""
    number = parse_number(value)
    if number is None:
        return None
    if number != int(number):
        raise ValueError(f"{number:g} is not a whole number")
    return int(number)


def label_key(value: object) -> str:
    """The normalised form in which a non-blank cell is looked up as a label (a cell holding 1.0 reads '1')."""
    return normalise_label(value if not isinstance(value, float) or value != int(value) else int(value))


def parse_label(value: object, lookup: dict[str, object], missing: set[str] | frozenset = frozenset()):
    """Canonical code of a label via a normalised lookup; None for blank or a 'no answer' label.

    Raises KeyError (an unknown label is a codebook gap, not a row fault).
    """
    if is_blank(value):
        return None
    key = label_key(value)
    if key in missing:
        return None
    if key not in lookup:
        raise KeyError(str(value).strip())
    return lookup[key]
