"""Privacy audit of a project's outputs: `python -m analysis audit <project>`.

Scans every file under data/processed/<project>/ and reports/<project>/ for

* personal values from the raw data: every CPR number, name, phone number, e-mail address and free-text
  remark written in the raw registers and survey exports (the columns the codebook maps to `__drop__`, plus
  the CPR column);
* CPR-like numbers: six digits, an optional hyphen or space, four digits, standing alone (not inside a
  hexadecimal pseudonym, a longer number or a decimal fraction) and with a real date of birth;
* in the reports, what disclosure control hid and a reader could still work out, with the attacker's view of
  `analysis.tools.attack`: all pages of the project (site pages, summary, index) and key_figures.csv read
  together, every count table with the bounds its markers give away, one linear program for the tightest
  interval of every hidden count and of every group between published counts. A hidden count pinned to
  one value, a group shown to hold 1 to min_cell - 1 people, a shown count below `min_cell`, a share resting
  on fewer than `min_cell`, markers that contradict the totals, and a page that disagrees with
  key_figures.csv are findings.

A finding names the output file and the kind of value with a count of distinct values, never the value
itself: the audit log must not become the leak. Exit code 0 when nothing is found, 1 with findings,
2 when the project cannot be loaded.

How files are read: parquet files by their decoded contents (as CSV text), JSON and notebooks by their
decoded strings, HTML with entities decoded; other text files as text. Long base64 runs (embedded images)
are left out. Binary files (images, PDFs, archives) are listed as not scanned.

Personal values are matched with boundaries so that a number found inside another number, a pseudonym or a
decimal fraction does not count: digit values (CPR and phone numbers, compared as their digits, phone numbers
also without +45) must stand alone; text values (names, e-mails, remarks; compared case-insensitively with
whitespace collapsed) must not continue a word on the left. Values too short to be told apart from ordinary
text are not looked for: names under 5 characters, remarks under 15, numbers under 8 digits.
"""

from __future__ import annotations

import html
import io
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pandas as pd

from analysis.core.errors import ConfigError, RawInputError
from analysis.project.loader import RAW_SUFFIXES, Project, load_project
from analysis.read.codebook import DROP, normalise_label
from analysis.read.cpr import normalise_cpr
from analysis.read.dates import is_blank
from analysis.read.readers import read_raw_table

# Kinds of finding, in the order they are printed for a file.
CPR_RAW = "CPR number from the raw data"
CPR_LIKE = "CPR-like number"
NAME = "name from the raw data"
PHONE = "phone number from the raw data"
EMAIL = "e-mail address from the raw data"
FREE_TEXT = "free text from the raw data"
RECOVERABLE = "suppressed cell recoverable from margins"
SMALL_COUNT = "shown count below min_cell"
UNREADABLE = "file could not be read"
RAW_UNREADABLE = "raw file could not be read (its values were not looked for)"
KINDS = [CPR_RAW, CPR_LIKE, NAME, PHONE, EMAIL, FREE_TEXT, RECOVERABLE, SMALL_COUNT, UNREADABLE, RAW_UNREADABLE]

MIN_DIGITS = 8  # phone numbers and other numeric values: shorter ones are indistinguishable from counts
MIN_NAME_LENGTH = 5
MIN_FREE_TEXT_LENGTH = 15
BINARY_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".ico",
    ".pdf",
    ".zip",
    ".gz",
    ".bz2",
    ".xz",
    ".woff",
    ".woff2",
    ".ttf",
    ".pickle",
    ".pkl",
    ".feather",
    ".xlsx",
    ".sav",
}
HTML_SUFFIXES = {".html", ".htm", ".ipynb"}
JSON_SUFFIXES = {".json", ".ipynb"}

# Kind of a dropped raw column, from its header (checked in this order); anything else is free text.
_HEADER_KINDS = [
    (re.compile(r"mail"), EMAIL),
    (re.compile(r"tlf|telefon|mobil|phone"), PHONE),
    (re.compile(r"navn|name"), NAME),
]
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digit groups separated by single spaces or hyphens, standing alone: not preceded by a letter, digit
# or '.', not followed by a letter, digit or a decimal fraction (so never inside a hex pseudonym or 0.7103851233).
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z.])[0-9]+(?:[ -][0-9]+)*(?![0-9A-Za-z]|\.[0-9])")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{100,}={0,2}")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Finding:
    """One line of the audit: a file, what kind of thing it shows, and how many distinct ones."""

    file: str
    kind: str
    count: int

    def line(self) -> str:
        return f"{self.file}: {self.kind} ({self.count})"


@dataclass
class PersonalValues:
    """What to look for, never to be printed. `digits`: digit string -> kind (CPR and phone numbers);
    `texts`: first word (lower case) -> [(value in lower case, offset of that word in it, kind)]."""

    digits: dict[str, str] = field(default_factory=dict)
    texts: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    files_read: int = 0

    def __len__(self) -> int:
        return len(self.digits) + sum(len(v) for v in self.texts.values())

    def add_digits(self, digits: str, kind: str) -> None:
        self.digits.setdefault(digits, kind)  # a CPR number added first keeps its kind

    def add_text(self, value: str, kind: str) -> None:
        value = _SPACES.sub(" ", value).strip().lower()
        word = _WORD.search(value)
        if word is None:
            return
        entry = (value, word.start(), kind)
        bucket = self.texts.setdefault(word.group(), [])
        if entry not in bucket:
            bucket.append(entry)


@dataclass
class AuditResult:
    attack: object  # analysis.tools.attack.Attack, or None without reports
    findings: list[Finding]
    scanned: int
    not_scanned: Counter
    missing_folders: list[str]
    personal_values: int
    raw_files: int


# ------------------------------------------------------------------------------------------ personal values
def _column_kind(header: str, canonical: str | None) -> str | None:
    if canonical == "cpr":
        return CPR_RAW
    if canonical != DROP:
        return None
    label = normalise_label(header)
    return next((kind for pattern, kind in _HEADER_KINDS if pattern.search(label)), FREE_TEXT)


def _cell_text(value: object) -> str | None:
    """A raw cell as the text to look for; None for blanks and for dates (which are no one's own)."""
    if is_blank(value) or hasattr(value, "year"):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def _add_value(values: PersonalValues, value: object, kind: str) -> None:
    text = _cell_text(value)
    if text is None:
        return
    digits = re.sub(r"\D", "", text)
    if kind == CPR_RAW:
        if isinstance(value, int | float) and len(digits) == 9:  # Excel stored it as a number: leading 0 lost
            digits = digits.zfill(10)
        if len(digits) == 10:
            values.add_digits(digits, CPR_RAW)
        return
    if _EMAIL.fullmatch(text):
        values.add_text(text, EMAIL)
    elif re.fullmatch(r"[\d\s()+./-]+", text):  # a number as written: phone numbers, numeric identifiers
        if len(digits) >= MIN_DIGITS:
            values.add_digits(digits, kind)
            for prefix in ("0045", "45"):
                if digits.startswith(prefix) and len(digits) - len(prefix) == 8:
                    values.add_digits(digits[len(prefix) :], kind)
    elif kind == PHONE:
        return
    elif len(text) >= (MIN_NAME_LENGTH if kind == NAME else MIN_FREE_TEXT_LENGTH):
        values.add_text(text, kind)


def personal_values(project: Project) -> tuple[PersonalValues, list[Finding]]:
    """CPR numbers, names, phone numbers, e-mails and remarks of every raw file of the project.

    The columns are those the codebook maps to `cpr` or drops (register section for register.*, survey
    section for the rest). A raw file that cannot be read is a finding (its values could not be looked for).
    """
    values, problems = PersonalValues(), []
    lookups = {section: project.codebook.header_lookup(section) for section in ("register", "survey")}
    for site in project.site_ids:
        folder = project.raw_dir / site
        files = (
            sorted(
                p
                for p in folder.iterdir()
                if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in RAW_SUFFIXES
            )
            if folder.is_dir()
            else []
        )
        for path in files:
            lookup = lookups["register" if path.stem == "register" else "survey"]
            try:
                table = read_raw_table(path, lambda header, known=lookup: normalise_label(header) in known)
            except RawInputError:
                problems.append(Finding(_relative(path, project.root), RAW_UNREADABLE, 1))
                continue
            values.files_read += 1
            for header in table.frame.columns:
                kind = _column_kind(header, lookup.get(normalise_label(header)))
                if kind is not None:
                    for value in table.frame[header]:
                        _add_value(values, value, kind)
    return values, problems


# ------------------------------------------------------------------------------------------- text scanning
def _walk_json(node: object, out: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            out.append(str(key))
            _walk_json(value, out)
    elif isinstance(node, list):
        for value in node:
            _walk_json(value, out)
    elif node is not None:
        out.append(str(node))


def _decode_bytes(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def file_text(path: Path) -> str | None:
    """The text of an output file to scan, or None for a binary file that is not scanned.

    Raises an exception (from pandas, json, ...) when the file cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        buffer = io.StringIO()
        pd.read_parquet(path).to_csv(buffer, index=False)
        return buffer.getvalue()
    if suffix in BINARY_SUFFIXES:
        return None
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        return None
    text = _decode_bytes(raw)
    if suffix in JSON_SUFFIXES:
        try:
            strings: list[str] = []
            _walk_json(json.loads(text), strings)
            text = "\n".join(strings)
        except ValueError:
            pass  # not valid JSON: scan the text as it is
    if suffix in HTML_SUFFIXES:
        text = html.unescape(text)
    return text


def _is_cpr(text: str) -> bool:
    try:
        normalise_cpr(text)
    except ValueError:
        return False
    return True


def scan_text(text: str, values: PersonalValues) -> dict[str, int]:
    """Kinds of personal value found in `text`, with the number of distinct values of each kind."""
    text = _BASE64_RUN.sub(" ", text)
    found: dict[str, set[str]] = {}
    for run in _DIGIT_RUN.finditer(text):
        groups = re.split(r"[ -]", run.group())
        separators = re.findall(r"[ -]", run.group())
        for i in range(len(groups)):
            digits, written = "", ""
            for j in range(i, min(i + 6, len(groups))):
                digits += groups[j]
                written += (separators[j - 1] if j > i else "") + groups[j]
                if len(digits) > 12:
                    break
                if len(digits) < MIN_DIGITS or _ISO_DATE.match(written):
                    continue
                kind = values.digits.get(digits)
                if (
                    kind is None
                    and len(digits) == 10
                    and (j == i or (j == i + 1 and len(groups[i]) == 6))
                    and _is_cpr(digits)
                ):
                    kind = CPR_LIKE
                if kind is not None:
                    found.setdefault(kind, set()).add(digits)
    lowered = _SPACES.sub(" ", text).lower()
    for word in _WORD.finditer(lowered):
        for value, offset, kind in values.texts.get(word.group(), ()):
            start = word.start() - offset
            if start >= 0 and lowered.startswith(value, start) and (start == 0 or not lowered[start - 1].isalnum()):
                found.setdefault(kind, set()).add(value)
    return {kind: len(matched) for kind, matched in found.items()}


# ---------------------------------------------------------------------------------------------- tables
def page_problems(page: str, min_cell: int, language: str = "da") -> dict[str, int]:
    """Disclosure problems of one HTML page read alone (see `attack.attack_project` for all pages together):
    kinds as in `attack`, with RECOVERABLE for hidden counts pinned to one value."""
    from analysis.tools.attack import PINNED, attack_project

    found = Counter(kind for kind, _ in attack_project({"page.html": page}, None, min_cell, language).findings)
    if PINNED in found:
        found[RECOVERABLE] = found.pop(PINNED)
    return dict(found)


# ------------------------------------------------------------------------------------------------ audit
def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def output_folders(project: Project) -> list[Path]:
    return [project.processed_dir, project.root / "reports" / project.name]


def audit(project: Project) -> AuditResult:
    """Run every check on the outputs of a loaded project."""
    values, findings = personal_values(project)
    min_cell = int(project.config.get("min_cell", 5))
    scanned, not_scanned, missing = 0, Counter(), []
    for folder in output_folders(project):
        if not folder.is_dir():
            missing.append(_relative(folder, project.root))
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = _relative(path, project.root)
            try:
                text = file_text(path)
            except Exception:  # noqa: BLE001 - any reading failure is reported, never its message (may hold data)
                findings.append(Finding(name, UNREADABLE, 1))
                continue
            if text is None:
                not_scanned[path.suffix.lower() or "(no suffix)"] += 1
                continue
            scanned += 1
            kinds = scan_text(text, values)
            findings += [Finding(name, kind, kinds[kind]) for kind in KINDS if kinds.get(kind)]
    reports = project.root / "reports" / project.name
    attack = None
    if reports.is_dir():
        from analysis.tools.attack import PINNED, attack_reports

        language = project.config.get("language", "da")
        overrides = project.config.get("messages", {}).get(language, {})
        attack = attack_reports(reports, min_cell, language, project.site_ids, overrides)
        by_page = Counter(
            (
                _relative(reports, project.root) + "/" + where.split(":")[0].split(" / ")[0],
                RECOVERABLE if kind == PINNED else kind,
            )
            for kind, where in attack.findings
        )
        findings += [Finding(page, kind, n) for (page, kind), n in sorted(by_page.items())]
    return AuditResult(
        attack=attack,
        findings=findings,
        scanned=scanned,
        not_scanned=not_scanned,
        missing_folders=missing,
        personal_values=len(values),
        raw_files=values.files_read,
    )


def main(
    project_name: str, root: str | Path | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print the audit of a project; return the exit code (0 clean, 1 findings, 2 project not loadable)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        project = load_project(project_name, root)
    except ConfigError as error:
        print(f"audit: cannot load project '{project_name}': {error}", file=err)
        return 2
    result = audit(project)
    for finding in result.findings:
        print(finding.line(), file=out)
    print(
        f"audit: looked for {result.personal_values} personal values from {result.raw_files} raw files "
        f"in {result.scanned} output files",
        file=out,
    )
    if result.attack is not None:
        attack = result.attack
        narrowest = attack.narrowest
        widest = (
            f"; narrowest implied interval of a hidden count: [{narrowest[1]:g}, {narrowest[2]:g}] ({narrowest[0]})"
            if narrowest
            else ""
        )
        print(
            f"audit: read {attack.tables} count tables of all pages together with key_figures.csv: "
            f"{attack.hidden} hidden counts, {attack.groups} groups between published counts{widest}",
            file=out,
        )
    for folder in result.missing_folders:
        print(f"audit: note: {folder} does not exist", file=out)
    if result.not_scanned:
        listed = ", ".join(f"{n} {suffix}" for suffix, n in sorted(result.not_scanned.items()))
        print(f"audit: note: binary files not scanned: {listed}", file=out)
    files = len({f.file for f in result.findings})
    print(f"audit: {len(result.findings)} findings in {files} files", file=out)
    return 1 if result.findings else 0
