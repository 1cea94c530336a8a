"""The codebook: from the spellings in raw exports to canonical column names and codes.

Matching is on a normalised form (case-folded, surrounding and repeated spaces removed), so "CPR-nr. "
and "cpr-NR." are the same header. Anything not in the codebook is an error that names the file, row and
column: the evaluator adds the spelling to codebook.yaml, the code never guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analysis.core.errors import RawInputError
from analysis.read.masking import quotable
from analysis.read.readers import RawTable

DROP = "__drop__"  # personal data or free text: read, then discarded in the raw layer
_SPACES = re.compile(r"\s+")


def normalise_label(value: object) -> str:
    """The form in which headers and answer labels are compared."""
    return _SPACES.sub(" ", str(value)).strip().casefold()


def _lookup(mapping: dict[object, list]) -> dict[str, object]:
    """Invert {canonical: [spellings]} into {normalised spelling: canonical}; the canonical name matches too."""
    table: dict[str, object] = {}
    for canonical, spellings in mapping.items():
        for spelling in [canonical, *(spellings or [])]:
            table[normalise_label(spelling)] = canonical
    return table


@dataclass(frozen=True)
class Codebook:
    """A project's codebook.yaml, with lookups built once."""

    raw: dict

    def header_lookup(self, section: str) -> dict[str, str]:
        """Normalised header -> canonical column (or DROP) for 'register' or 'survey'."""
        spec = self.raw[section]
        table = _lookup(spec["columns"])
        table.update({normalise_label(h): DROP for h in spec["drop"]})
        return table

    def map_headers(self, table: RawTable, section: str, problems: list | None = None) -> dict[str, str]:
        """Return {header in file: canonical name or DROP}.

        Raises RawInputError for a header the codebook does not know, for two headers that mean the same
        column, and for a required column that is absent. With a `problems` list, unknown headers are
        appended to it (and left out of the mapping) instead, so that a check can list them all.
        """
        lookup = self.header_lookup(section)
        mapping: dict[str, str] = {}
        for header in table.frame.columns:
            canonical = lookup.get(normalise_label(header))
            if canonical is None:
                error = RawInputError(
                    table.file,
                    f"unknown header '{quotable(header)}': add it to codebook.yaml under {section}.columns or "
                    f"{section}.drop",
                    row=1,
                    column=quotable(table.column_ref(header)),
                )
                if problems is None:
                    raise error
                problems.append(error)
                mapping[header] = DROP
                continue
            if canonical != DROP and canonical in mapping.values():
                other = next(h for h, c in mapping.items() if c == canonical)
                raise RawInputError(
                    table.file,
                    f"headers '{quotable(other)}' and '{quotable(header)}' both mean '{canonical}'",
                    row=1,
                    column=table.column_ref(header),
                )
            mapping[header] = canonical
        for required in self.raw[section]["required"]:
            if required not in mapping.values():
                expected = ", ".join(f"'{s}'" for s in self.raw[section]["columns"][required])
                raise RawInputError(
                    table.file, f"required column '{required}' is missing (expected a header such as {expected})", row=1
                )
        return mapping

    def canonical_records(self, table: RawTable, mapping: dict[str, str]) -> list[dict]:
        """Each data row as {canonical column: raw value}, with dropped columns (personal data) left out."""
        renamed = table.frame.rename(columns=mapping)
        return renamed.loc[:, [c for c in renamed.columns if c != DROP]].to_dict("records")

    def labels(self, kind: str) -> dict[str, object]:
        """Normalised label -> canonical code for a label set under `labels:` (referral_track, boolean...)."""
        return _lookup(self.raw["labels"][kind])

    def names(self, kind: str) -> dict[str, str]:
        """Normalised spelling -> canonical name for `associations` or `activities`."""
        return _lookup(self.raw[kind])

    def spellings(self, section: str) -> dict[str, object]:
        """Normalised spelling -> canonical value for a section named as in LABELLED_COLUMNS ('labels.boolean',
        'associations')."""
        kind, _, label_set = section.partition(".")
        return self.labels(label_set) if kind == "labels" else self.names(kind)

    def scale_labels(self, name: str) -> dict[str, int]:
        """Normalised answer text -> score for a scale's `labels`."""
        labels = self.raw["scales"][name]["labels"]
        return {normalise_label(text): int(score) for score, texts in labels.items() for text in texts}

    def missing_labels(self) -> set[str]:
        """Normalised answers that mean 'no answer'."""
        return {normalise_label(v) for v in self.raw["missing"]}

    def scale_of(self, column: str, site: str | None = None, wave: str | None = None) -> str:
        """Name of the answer scale of a survey column: the file's own (`survey.site_scales` under
        '<site>/<wave>'), else the site's own (under '<site>'), else the project's (`survey.scale_of`)."""
        own = self.raw["survey"].get("site_scales") or {}
        for where in (f"{site}/{wave}", site):
            if column in (own.get(where) or {}):
                return own[where][column]
        return self.raw["survey"]["scale_of"][column]

    def scale(self, name: str) -> dict:
        """A scale's spec: `labels` {score: [labels]}, `codes` {code: score} or `range` [lo, hi]."""
        return self.raw["scales"][name]


def contradictions(raw: dict) -> list[str]:
    """Spellings the codebook gives two meanings (the last would silently win): a header under two canonical
    columns (or under a column and under drop), an answer label under two scores of one scale (also in a
    site's or file's own scale), and a register label or name under two codes of one label set."""
    problems = []

    def clash(where: str, mapping: dict[object, list]) -> None:
        meaning: dict[str, object] = {}
        for canonical, spellings in mapping.items():
            for spelling in spellings or []:
                key = normalise_label(spelling)
                if key in meaning and meaning[key] != canonical:
                    problems.append(
                        f"codebook.yaml: at '{where}': '{spelling}' is listed under both '{meaning[key]}' and "
                        f"'{canonical}'; keep it under one"
                    )
                meaning.setdefault(key, canonical)

    for section in ("register", "survey"):
        spec = raw.get(section, {})
        clash(f"{section}/columns", {**(spec.get("columns") or {}), "drop": spec.get("drop") or []})
    for name, spec in (raw.get("scales") or {}).items():
        clash(f"scales/{name}/labels", spec.get("labels") or {})
    for label_set, spec in (raw.get("labels") or {}).items():
        clash(f"labels/{label_set}", spec or {})
    for kind in ("associations", "activities"):
        clash(kind, raw.get(kind) or {})
    return problems


def site_scale_problems(raw: dict, site_ids: set[str], waves: list[str]) -> list[str]:
    """Entries of `survey.site_scales` that name an unknown site, wave, answer column or scale."""
    survey = raw.get("survey") or {}
    problems = []
    for where, columns in (survey.get("site_scales") or {}).items():
        site, _, wave = str(where).partition("/")
        if site not in site_ids:
            problems.append(f"codebook.yaml: at 'survey/site_scales/{where}': no site '{site}' in sites.tsv")
        if wave and wave not in waves:
            problems.append(f"codebook.yaml: at 'survey/site_scales/{where}': wave '{wave}' is not in config.yaml")
        for column, scale in (columns or {}).items():
            if column not in (survey.get("scale_of") or {}):
                problems.append(
                    f"codebook.yaml: at 'survey/site_scales/{where}/{column}': '{column}' has no scale in "
                    "survey.scale_of"
                )
            if scale not in (raw.get("scales") or {}):
                problems.append(f"codebook.yaml: at 'survey/site_scales/{where}/{column}': unknown scale '{scale}'")
    return problems
