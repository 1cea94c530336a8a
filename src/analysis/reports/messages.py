"""Message catalogues: every word a report shows comes from messages/<language>.yaml.

Notebooks never branch on the language: they ask a Messages object for a key and get the text in the
project's language, with numbers formatted the way that language writes them (Danish: 1.234,5).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CATALOGUE_DIR = Path(__file__).parent / "messages"
LANGUAGES = ("da", "en")


@cache
def _catalogue(language: str) -> dict:
    if language not in LANGUAGES:
        raise ValueError(f"no message catalogue for language '{language}' (have {', '.join(LANGUAGES)})")
    return yaml.safe_load((CATALOGUE_DIR / f"{language}.yaml").read_text(encoding="utf-8"))


def format_number(value: float, language: str, decimals: int = 0) -> str:
    """A number as the language writes it: Danish uses '.' for thousands and ',' for decimals."""
    text = f"{value:,.{decimals}f}"
    if language == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_percent(share: float, language: str, decimals: int = 0) -> str:
    """A share (0-1) as a percentage: '45 %' in both languages (Danish and SI style use a space)."""
    return f"{format_number(100 * share, language, decimals)} %"


@dataclass(frozen=True)
class Messages:
    """Text of one language. `t('sections.retention')`, `t('text.key_figures', referred=...)`."""

    language: str

    def t(self, key: str, **values: object) -> str:
        """The text at a dotted key, with {placeholders} filled. KeyError names a missing key."""
        node: object = _catalogue(self.language)
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"message '{key}' is missing from the {self.language} catalogue")
            node = node[part]
        return str(node).format(**values) if values else str(node)

    def number(self, value: float, decimals: int = 0) -> str:
        return format_number(value, self.language, decimals)

    def percent(self, share: float, decimals: int = 0) -> str:
        return format_percent(share, self.language, decimals)

    def keys(self) -> set[str]:
        """Every dotted key of the catalogue (for checking that languages agree)."""
        def walk(node: dict, prefix: str) -> set[str]:
            out = set()
            for key, value in node.items():
                path = f"{prefix}{key}"
                out |= walk(value, f"{path}.") if isinstance(value, dict) else {path}
            return out
        return walk(_catalogue(self.language), "")
