"""Quoting a raw value in a message without quoting personal data."""

from __future__ import annotations

import re

_CPR_LIKE = re.compile(r"\d{6}[\s-]?\d{4}")
_PHONE_LIKE = re.compile(r"(?:\+|00)?\d[\d\s-]{6,}\d")
_EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+")
MASK = "***"


def quotable(value: object) -> str:
    """A raw cell or header as a message may quote it: anything shaped like a CPR number, phone number or
    e-mail address is masked, so that a person's data typed into the wrong cell never reaches a terminal,
    log or page."""
    text = str(value).strip()
    for pattern in (_EMAIL_LIKE, _CPR_LIKE, _PHONE_LIKE):
        text = pattern.sub(MASK, text)
    return text
