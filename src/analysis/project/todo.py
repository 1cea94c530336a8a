"""Placeholders that `python -m analysis init` leaves for the evaluator to fill in.

A placeholder is a text value, list item or mapping key that starts with "TODO", in config.yaml,
codebook.yaml or a cell of sites.tsv. The words after "TODO" say what belongs there, so that the problem
`python -m analysis check` prints can be acted on without opening the file. Validation lists each
placeholder as a problem and checks the rest of the document as though the placeholders were absent, so
that a half-filled project gets one line per thing left to do and no echoes of them from the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

MARKER = "TODO"


def is_placeholder(value: object) -> bool:
    """Whether a value (or mapping key) is a placeholder."""
    return isinstance(value, str) and value.strip().startswith(MARKER)


@dataclass(frozen=True)
class Placeholder:
    """One placeholder: where it is, its hint, and (for a placeholder key) the values listed under it."""

    path: tuple[str, ...]  # the key path of the placeholder value; for a placeholder key, the key's own path
    hint: str  # the words after the marker ('' if none)
    is_key: bool = False
    items: tuple = ()

    @property
    def location(self) -> str:
        """The path shown in messages: a placeholder key is named by the mapping that holds it."""
        return "/".join(self.path[:-1] if self.is_key else self.path) or "(top level)"


def _hint(text: str) -> str:
    return text.strip()[len(MARKER) :].strip(" :-")


def find_placeholders(document: object, path: tuple[str, ...] = ()) -> list[Placeholder]:
    """Every placeholder in a document of dicts, lists and scalars, in document order."""
    found: list[Placeholder] = []
    if isinstance(document, dict):
        for key, value in document.items():
            here = (*path, str(key))
            if is_placeholder(key):
                items = tuple(value) if isinstance(value, list) else (() if value is None else (value,))
                found.append(Placeholder(here, _hint(key), is_key=True, items=items))
            else:
                found.extend(find_placeholders(value, here))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found.extend(find_placeholders(value, (*path, str(index))))
    elif is_placeholder(document):
        found.append(Placeholder(path, _hint(document)))
    return found


def without_placeholders(document: object) -> object:
    """A copy of the document with every placeholder key, value and list item left out."""
    if isinstance(document, dict):
        return {
            k: without_placeholders(v) for k, v in document.items() if not is_placeholder(k) and not is_placeholder(v)
        }
    if isinstance(document, list):
        return [without_placeholders(v) for v in document if not is_placeholder(v)]
    return document


def describe(placeholder: Placeholder, fallback: str | None = None) -> str:
    """The message of a placeholder (without the file name): where, what to fill in, and any listed values."""
    hint = placeholder.hint or fallback or "fill it in (see the comment beside it)"
    text = f"at '{placeholder.location}': still {MARKER}: {hint}"
    if placeholder.items:
        text += ": " + ", ".join(f"'{item}'" for item in placeholder.items)
    return text
