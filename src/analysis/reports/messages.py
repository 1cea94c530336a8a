"""Message catalogues: every word a report shows comes from messages/<language>.yaml.

Notebooks never branch on the language: they ask a Messages object for a key and get the text in the
project's language, with numbers formatted the way that language writes them (Danish: 1.234,5).
A project may replace single messages in its config (`messages: {da: {key: text}}`), e.g. to call its
subsidy a free period; `override_problems` checks such replacements before any job starts.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import yaml

CATALOGUE_DIR = Path(__file__).parent / "messages"
# Placeholders every message may use, filled from the project config (the reports' word for a site)
STANDING = frozenset({"unit", "unit_lower", "units", "units_title"})
LANGUAGES = ("da", "en")


@cache
def _catalogue(language: str) -> dict:
    if language not in LANGUAGES:
        raise ValueError(f"no message catalogue for language '{language}' (have {', '.join(LANGUAGES)})")
    return yaml.safe_load((CATALOGUE_DIR / f"{language}.yaml").read_text(encoding="utf-8"))


MINUS = "\u2212"  # the typographic minus sign: a hyphen is not a minus in print


def format_number(value: float, language: str, decimals: int = 0) -> str:
    """A number as the language writes it: Danish uses '.' for thousands and ',' for decimals; a negative
    number gets a real minus sign (U+2212), never a hyphen. A value that rounds to zero has no sign."""
    text = f"{value:,.{decimals}f}"
    if language == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if text.startswith("-"):
        text = text[1:] if not text.strip("-0.,") else MINUS + text[1:]
    return text


def format_date(day: date | str, language: str) -> str:
    """A date as the language writes it in prose: Danish '31. december 2023', English '31 December 2023'
    (month names from the catalogue). Accepts an ISO string."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    month = _lookup(language, f"calendar.month_{day.month}")
    return f"{day.day}. {month} {day.year}" if language == "da" else f"{day.day} {month} {day.year}"


def format_month(day: date | str, language: str) -> str:
    """A month and year in prose: 'marts 2020', 'March 2020'."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{_lookup(language, f'calendar.month_{day.month}')} {day.year}"


def format_percent(share: float, language: str, decimals: int = 0) -> str:
    """A share (0-1) as a percentage: '45 %' in both languages (Danish and SI style use a space)."""
    return f"{format_number(100 * share, language, decimals)} %"


def _lookup(language: str, key: str) -> str:
    node: object = _catalogue(language)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"message '{key}' is missing from the {language} catalogue")
        node = node[part]
    return str(node)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def override_problems(overrides: dict, where: str) -> list[str]:
    """Problems with a project's message replacements ({language: {key: text}}): every key must exist in
    the catalogue, and a replacement may use only the placeholders the catalogue's text offers."""
    problems = []
    for language, texts in (overrides or {}).items():
        for key, text in (texts or {}).items():
            try:
                offered = _placeholders(_lookup(language, key))
            except (KeyError, ValueError):
                problems.append(
                    f"{where}: at 'messages/{language}/{key}': no such message in the catalogue "
                    f"(src/analysis/reports/messages/{language}.yaml)"
                )
                continue
            try:
                used = _placeholders(str(text))
            except ValueError as exc:
                problems.append(f"{where}: at 'messages/{language}/{key}': {exc}")
                continue
            if used - offered - STANDING:
                problems.append(
                    f"{where}: at 'messages/{language}/{key}': unknown placeholder(s) "
                    f"{', '.join('{' + u + '}' for u in sorted(used - offered))}; this message offers "
                    f"{', '.join('{' + o + '}' for o in sorted(offered)) or 'none'}"
                )
    return problems


def project_message_problems(project) -> list[str]:
    """override_problems for a loaded project's `messages` setting (checked by `check` and by the workflow
    before any job starts; the project loader itself does not know the report stage's catalogue)."""
    return override_problems(project.config.get("messages", {}), str(project.config_dir / "config.yaml"))


@dataclass(frozen=True)
class Messages:
    """Text of one language. `t('sections.retention')`, `t('text.key_figures', referred=...)`.

    `overrides` (dotted key -> text) replace catalogue entries: a project's own wording."""

    language: str
    overrides: dict[str, str] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)

    def t(self, key: str, **values: object) -> str:
        """The text at a dotted key (the project's own where it has one), with {placeholders} filled from
        `values`, then from the standing `placeholders` (e.g. the project's word for a site, {unit}).
        KeyError names a missing key."""
        text = self.overrides[key] if key in self.overrides else _lookup(self.language, key)
        values = {**self.placeholders, **values}
        return text.format(**values) if values and _placeholders(text) else text

    def number(self, value: float, decimals: int = 0) -> str:
        return format_number(value, self.language, decimals)

    def percent(self, share: float, decimals: int = 0) -> str:
        return format_percent(share, self.language, decimals)

    def date(self, day: date | str) -> str:
        return format_date(day, self.language)

    def month(self, day: date | str) -> str:
        return format_month(day, self.language)

    def keys(self) -> set[str]:
        """Every dotted key of the catalogue (for checking that languages agree)."""

        def walk(node: dict, prefix: str) -> set[str]:
            out = set()
            for key, value in node.items():
                path = f"{prefix}{key}"
                out |= walk(value, f"{path}.") if isinstance(value, dict) else {path}
            return out

        return walk(_catalogue(self.language), "")
