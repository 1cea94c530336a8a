"""Render the synthetic truth as the messy raw files a bridge builder and a survey tool would hand over.

Each site gets its own house style (header spellings from the codebook, date style, yes/no style, file
format and encoding, column order, answer coding), and faults are planted on purpose: duplicate rows,
malformed or missing CPR numbers, an end before the start, respondents unknown to the register, repeated
answers, out-of-range answers and misspelt associations. Every planted fault is returned as a `Fault`
saying where it is (file, spreadsheet row with the header as row 1, column header) and what a correct
cleaner does with it: "reject" the row, "repair" the value, or "keep" the row as it is.

Files are byte-for-byte reproducible: randomness comes only from the generator passed in, and Excel
files get fixed document-property times and fixed zip entry times.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.xml.functions import tostring

from analysis.simulation.population import WAVES, WHO5_ITEMS, draw_identities, substitute_cprs

FIXED_TIME = datetime(2023, 12, 31, 0, 0, 0)  # stamped into every workbook instead of the clock
EXCEL_EPOCH = date(1899, 12, 30)
ANSWERS = (*WHO5_ITEMS, "srh", "pa_level", "job_readiness")
NAME_HEADERS = ("Navn", "Borgerens navn")
PHONE_HEADERS = ("Telefon", "Tlf.", "Mobil")
REMARK_HEADERS = ("Bemærkninger", "Noter", "Kommentar")
COMMENT_HEADERS = ("Kommentar", "Andet du vil fortælle os?")
LINE_END = "\r\n"


# ------------------------------------------------------------------------------------------------ styles
@dataclass(frozen=True)
class SiteStyle:
    """How one site's raw files look.

    variant: which spelling to take from each codebook list (index modulo the list's length).
    date_style: excel (date cells), excel_some_text (date cells, ~5 % typed as text 31-01-2021),
        serial (Excel serial numbers as integer cells), or a text pattern: dd-mm-yyyy, dd.mm.yy, yyyy-mm-dd,
        d/m/yyyy, dd.mm.yyyy, or a Danish month name: "d. mmm. yyyy" (10. jun. 2021, 3. maj 2021) or
        "d. mmmm yyyy" (1. februar 2021).
    bool_style: janej ("ja"/"nej"), x ("x"/blank) or 10 (1/0 number cells).
    subsidy_column: the register has a planned-subsidy column (else the config rule applies).
    survey_format: csv-utf8-bom, csv-latin1, csv-utf8 or xlsx. survey_coding: labels or codes.
    decimal_comma: CSV numbers are written 6,5 instead of 6.5.
    title_rows: the register workbook has a title, a note and a blank row above its header (row 4).
    totals_row: the register workbook ends in an "I alt" row counting the people above it.
    """

    variant: int
    date_style: str
    bool_style: str
    subsidy_column: bool
    survey_format: str
    survey_coding: str
    decimal_comma: bool
    has_email: bool
    title_rows: bool = False
    totals_row: bool = False


_CYCLE = ("excel", "dd-mm-yyyy", "dd.mm.yy", "serial", "yyyy-mm-dd", "d/m/yyyy", "dd.mm.yyyy")
STYLE_FIELDS = (
    "date_style",
    "bool_style",
    "subsidy_column",
    "survey_format",
    "decimal_comma",
    "title_rows",
    "totals_row",
)
DANISH_MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
# Danish abbreviations as Danish Excel writes them: a dot after each, except where the name is that short.
DANISH_MONTHS_SHORT = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")
REGISTER_TITLE_ROWS = (("Henvisninger til brobygning",), ("Udtræk til evaluering",), ())
TOTALS_LABEL = "I alt"


def site_style(index: int, survey_coding: str, chosen: dict | None = None) -> SiteStyle:
    """The house style of the index-th site of the site sheet: the style a project's simulation.yaml
    gives the site (`chosen`: date_style, bool_style, subsidy_column, survey_format, decimal_comma, and
    optionally title_rows and totals_row), or else one cycled from the index through the same repertoire
    (without title or totals rows)."""
    if chosen:
        unknown = sorted(set(chosen) - set(STYLE_FIELDS))
        if unknown:
            raise ValueError(f"unknown style setting(s) {', '.join(unknown)}; known: {', '.join(STYLE_FIELDS)}")
        dates, bools = str(chosen["date_style"]), str(chosen["bool_style"])
        subsidy, survey = bool(chosen["subsidy_column"]), str(chosen["survey_format"])
        comma = bool(chosen["decimal_comma"])
        title, totals = bool(chosen.get("title_rows", False)), bool(chosen.get("totals_row", False))
    else:
        title = totals = False
        dates, bools = _CYCLE[index % len(_CYCLE)], ("janej", "x", "10")[index % 3]
        subsidy, comma = index % 2 == 0, index % 3 == 1
        survey = ("csv-utf8-bom", "csv-latin1", "xlsx", "csv-utf8")[index % 4]
    return SiteStyle(
        variant=index,
        date_style=dates,
        bool_style=bools,
        subsidy_column=subsidy,
        survey_format=survey,
        survey_coding=survey_coding,
        decimal_comma=comma,
        has_email=index % 3 == 0,
        title_rows=title,
        totals_row=totals,
    )


# ------------------------------------------------------------------------------------------------ faults
@dataclass(frozen=True)
class Fault:
    """One planted fault. row: spreadsheet/CSV line (header = 1); column: the header as written, or None
    when the whole row is the fault; expected: reject | repair | keep."""

    site: str
    file: str
    row: int
    column: str | None
    kind: str
    expected: str
    raw_value: str | None = None
    canonical_value: str | None = None
    original_row: int | None = None

    def to_json(self) -> dict:
        """Plain dict for _simulation_truth.json."""
        return asdict(self)


@dataclass
class _Row:
    """A raw row under construction: cells by canonical key, and the faults planted in it."""

    cells: dict[str, object]
    faults: list[dict] = field(default_factory=list)
    source: int | None = None  # index of the truth row it renders (None for planted rows)

    def plant(
        self,
        kind: str,
        key: str | None,
        expected: str,
        raw: object = None,
        canonical: object = None,
        original: _Row | None = None,
    ) -> None:
        self.faults.append(
            {"kind": kind, "key": key, "expected": expected, "raw": raw, "canonical": canonical, "original": original}
        )


@dataclass
class _Sheet:
    """A raw file under construction: column keys in file order, their headers, and the rows."""

    file: str
    keys: list[str]
    headers: dict[str, str]
    rows: list[_Row]
    above: list[list[object]] = field(default_factory=list)  # title rows above the header
    totals_row: bool = False  # an "I alt" row under the last row

    def header_row(self) -> list[str]:
        return [self.headers[k] for k in self.keys]

    @property
    def header_line(self) -> int:
        """The header's row number in the file."""
        return len(self.above) + 1

    def below(self) -> list[list[object]]:
        """Rows under the data: the totals row, counting the rows above it."""
        return [[TOTALS_LABEL, len(self.rows)]] if self.totals_row else []

    def clean_rows(self) -> list[int]:
        """Positions of truth rows without planted faults (safe originals for copies and changes)."""
        return [i for i, row in enumerate(self.rows) if row.source is not None and not row.faults]

    def faults(self, site: str) -> list[Fault]:
        """The planted faults with their final line numbers; a totals row is one (reject: not a person)."""
        line_of = {id(row): i + self.header_line + 1 for i, row in enumerate(self.rows)}
        found = []
        for row in self.rows:
            for f in row.faults:
                original = f["original"]
                found.append(
                    Fault(
                        site=site,
                        file=self.file,
                        row=line_of[id(row)],
                        kind=f["kind"],
                        expected=f["expected"],
                        column=None if f["key"] is None else self.headers[f["key"]],
                        raw_value=_text_or_none(f["raw"]),
                        canonical_value=_text_or_none(f["canonical"]),
                        original_row=None if original is None else line_of[id(original)],
                    )
                )
        if self.totals_row:
            row = self.header_line + len(self.rows) + 1
            found.append(Fault(site=site, file=self.file, row=row, column=None, kind="totals_row", expected="reject"))
        return found


def _text_or_none(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------------------------------- rendering
def _pick(options: list | tuple, variant: int) -> object:
    return options[variant % len(options)]


def _py_date(value: object) -> date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def render_date(day: date | None, style: str, typed: bool = False) -> object:
    """A date as the site writes it: a date cell, an Excel serial number or day-first text.
    `typed` turns a date cell into hand-typed text 31-01-2021 (style excel_some_text)."""
    if day is None:
        return None
    if style in ("excel", "excel_some_text"):
        return day.strftime("%d-%m-%Y") if typed else day
    if style == "serial":
        return (day - EXCEL_EPOCH).days
    if style == "d/m/yyyy":
        return f"{day.day}/{day.month}/{day.year}"
    if style == "d. mmm. yyyy":
        return f"{day.day}. {DANISH_MONTHS_SHORT[day.month - 1]} {day.year}"
    if style == "d. mmmm yyyy":
        return f"{day.day}. {DANISH_MONTHS[day.month - 1]} {day.year}"
    patterns = {"dd-mm-yyyy": "%d-%m-%Y", "dd.mm.yy": "%d.%m.%y", "yyyy-mm-dd": "%Y-%m-%d", "dd.mm.yyyy": "%d.%m.%Y"}
    return day.strftime(patterns[style])


def render_bool(value: bool, style: str) -> object:
    """A yes/no answer in the site's style: ja/nej, x/blank or 1/0."""
    if style == "janej":
        return "ja" if value else "nej"
    if style == "x":
        return "x" if value else None
    return 1 if value else 0


def render_phone(phone: str, variant: int) -> str:
    """Eight digits as 12 34 56 78, 12345678 or +45 12345678."""
    style = variant % 3
    if style == 0:
        return " ".join(phone[i : i + 2] for i in range(0, 8, 2))
    return phone if style == 1 else f"+45 {phone}"


def _label_noise(text: str, roll: float) -> str:
    """Typing variation that the codebook's matching forgives (case, stray spaces) in ~3 % of cells."""
    if roll < 0.01:
        return text.lower()
    if roll < 0.02:
        return text + " "
    if roll < 0.03:
        return text.upper()
    return text


def _activity_spelling(codebook: dict, activity: str | None, variant: int) -> str | None:
    if not isinstance(activity, str):  # never started: no team
        return None
    return _pick([activity, *(codebook["activities"].get(activity) or [])], variant)


# -------------------------------------------------------------------------------------------- register
def register_keys(style: SiteStyle, reports_end_status: bool, rng: np.random.Generator) -> list[str]:
    """Register columns in file order: the canonical columns the site records plus name, phone, remarks
    (and e-mail at some sites), placed differently from site to site."""
    core = [
        "cpr",
        "referral_date",
        "referral_track",
        "start_date",
        "association",
        "activity",
        "team_type",
        "accompanied",
        "subsidy_months",
        "end_date",
        "dropout_reason",
        "last_contact_date",
    ]
    if rng.random() < 0.5:
        core[1], core[2] = core[2], core[1]
    if not style.subsidy_column:
        core.remove("subsidy_months")
    if not reports_end_status:
        for key in ("end_date", "dropout_reason", "last_contact_date"):
            core.remove(key)
    core.insert(0 if rng.random() < 0.4 else 1, "name")
    contact = ["phone", "email"] if style.has_email else ["phone"]
    if rng.random() < 0.5:
        at = core.index("name") + 1
        core[at:at] = contact
    else:
        core += contact
    core.insert(core.index("activity") + 1 if rng.random() < 0.3 else len(core), "remark")
    return core


def register_headers(codebook: dict, keys: list[str], variant: int) -> dict[str, str]:
    """Header text of each register key: the site's variant of the codebook spelling."""
    columns = codebook["register"]["columns"]
    extra = {
        "name": _pick(NAME_HEADERS, variant),
        "phone": _pick(PHONE_HEADERS, variant),
        "email": "E-mail",
        "remark": _pick(REMARK_HEADERS, variant),
    }
    return {k: extra[k] if k in extra else _pick(columns[k], variant) for k in keys}


def _register_row(record: dict, style: SiteStyle, codebook: dict, rolls: np.ndarray) -> dict[str, object]:
    """Cells of one truth enrolment in the site's style (CPR and association still canonical)."""
    labels = codebook["labels"]
    typed = style.date_style == "excel_some_text"
    cells = {
        key: render_date(_py_date(record[key]), style.date_style, typed and rolls[i] < 0.05)
        for i, key in enumerate(("referral_date", "start_date", "end_date", "last_contact_date"))
    }
    tracks = labels["referral_track"][record["referral_track"]]
    track = tracks[int(rolls[4] * len(tracks))] if rolls[5] < 0.1 else _pick(tracks, style.variant)
    cells["referral_track"] = _label_noise(track, rolls[6])
    reason = record["dropout_reason"]
    if isinstance(reason, str):  # the site's usual spelling, the next one in 20 % of rows
        spelling = _pick(labels["dropout_reason"][reason], style.variant + int(rolls[7] < 0.2))
        cells["dropout_reason"] = _label_noise(spelling, rolls[8])
    cells.update(
        {
            "cpr": record["cpr"],
            "name": record["name"],
            "phone": render_phone(record["phone"], style.variant),
            "email": record["email"],
            "remark": record["remark"] or None,
            "association": record["association"] if isinstance(record["association"], str) else None,
            "activity": _activity_spelling(codebook, record["activity"], style.variant),
            "team_type": render_bool(record["team_type"] == "new", style.bool_style),
            "accompanied": render_bool(bool(record["accompanied"]), style.bool_style),
            "subsidy_months": int(record["subsidy_months"]),
        }
    )
    return cells


def build_register(
    truth: pd.DataFrame, style: SiteStyle, reports_end_status: bool, codebook: dict, rng: np.random.Generator
) -> _Sheet:
    """The site's register rows in referral order, before faults are planted; second enrolments are
    recorded as 're_referral' (keep). Activities use the site's house spelling (activity_spellings)."""
    keys = register_keys(style, reports_end_status, rng)
    headers = register_headers(codebook, keys, style.variant)
    rolls = rng.random((len(truth), 9))
    rows = []
    for i, record in enumerate(truth.to_dict("records")):
        cells = _register_row(record, style, codebook, rolls[i])
        row = _Row({k: cells.get(k) for k in keys}, source=i)
        if record["enrolment"] > 1:
            row.plant("re_referral", None, "keep", canonical=f"enrolment {record['enrolment']}")
        rows.append(row)
    above = [list(r) for r in REGISTER_TITLE_ROWS] if style.title_rows else []
    return _Sheet("register.xlsx", keys, headers, rows, above, style.totals_row)


# ---------------------------------------------------------------------------------------- register faults
def plant_cpr_spelling(sheet: _Sheet, rng: np.random.Generator, p_no_hyphen: float, p_space: float) -> None:
    """Write some CPR numbers as DDMMYYSSSS or DDMMYY SSSS (to be normalised: repair)."""
    for row in sheet.rows:
        roll = rng.random()
        cpr = row.cells.get("cpr")
        if row.source is None or not isinstance(cpr, str):
            continue
        if roll < p_no_hyphen:
            row.cells["cpr"] = cpr.replace("-", "")
            row.plant("cpr_without_hyphen", "cpr", "repair", row.cells["cpr"], cpr)
        elif roll < p_no_hyphen + p_space:
            row.cells["cpr"] = cpr.replace("-", " ")
            row.plant("cpr_with_space", "cpr", "repair", row.cells["cpr"], cpr)


def plant_misspelt_associations(sheet: _Sheet, codebook: dict, rng: np.random.Generator, share: float) -> None:
    """Replace ~share of association names by one of their codebook aliases (repair)."""
    aliases = codebook["associations"]
    for row in sheet.rows:
        name, roll = row.cells.get("association"), rng.random()
        if row.source is None or not aliases.get(name) or roll >= share:
            continue
        row.cells["association"] = aliases[name][int(rng.random() * len(aliases[name]))]
        row.plant("misspelt_association", "association", "repair", row.cells["association"], name)


def plant_duplicate(sheet: _Sheet, rng: np.random.Generator) -> None:
    """Insert an exact copy of a clean row 1-30 rows further down (reject the later copy)."""
    clean = sheet.clean_rows()
    if not clean:
        return
    at = clean[int(rng.random() * len(clean))]
    original = sheet.rows[at]
    copy = _Row(dict(original.cells))
    copy.plant("duplicate_registration", None, "reject", original=original)
    sheet.rows.insert(min(at + int(rng.integers(1, 31)), len(sheet.rows)), copy)


def _new_person_row(sheet: _Sheet, rng: np.random.Generator, template: _Row, cpr: str | None, name: str) -> _Row:
    """Insert, at a random place, a person who is not in the truth, copying a template row's other cells."""
    cells = dict(template.cells)
    cells.update({"cpr": cpr, "name": name, "remark": None})
    cells.update({key: None for key in ("phone", "email") if key in cells})
    row = _Row(cells)
    sheet.rows.insert(int(rng.integers(0, len(sheet.rows) + 1)), row)
    return row


def plant_end_before_start(
    sheet: _Sheet, truth: pd.DataFrame, style: SiteStyle, rng: np.random.Generator, cpr: str, name: str
) -> None:
    """Add a new person whose end date lies 5-60 days before the start date (reject)."""
    started = [i for i in sheet.clean_rows() if pd.notna(truth.iloc[sheet.rows[i].source]["start_date"])]
    if not started:
        return
    template = sheet.rows[started[int(rng.random() * len(started))]]
    start = _py_date(truth.iloc[template.source]["start_date"])
    row = _new_person_row(sheet, rng, template, cpr, name)
    end = start - timedelta(days=int(rng.integers(5, 61)))
    row.cells["end_date"] = render_date(end, style.date_style)
    row.cells["last_contact_date"] = render_date(end, style.date_style)
    if "dropout_reason" in row.cells:
        row.cells["dropout_reason"] = "Andet"
    row.plant("end_before_start", "end_date", "reject", end, start)


def plant_bad_cpr(sheet: _Sheet, rng: np.random.Generator, kind: str, raw: str | None, name: str) -> None:
    """Add a new person with a blank or malformed CPR number (reject)."""
    clean = sheet.clean_rows()
    if not clean:
        return
    template = sheet.rows[clean[int(rng.random() * len(clean))]]
    row = _new_person_row(sheet, rng, template, raw, name)
    row.plant(kind, "cpr", "reject", raw)


def malformed_cpr(variant: str, rng: np.random.Generator) -> str:
    """A CPR number a register should reject: 'length' (9 digits), 'letters' or 'date' (30 February)."""
    serial = f"{int(rng.integers(0, 4))}{int(rng.integers(0, 100)):02d}{int(rng.integers(0, 10))}"
    if variant == "length":
        return f"{int(rng.integers(61, 89))}{int(rng.integers(1, 13)):02d}7-{serial}"
    if variant == "letters":
        return f"{int(rng.integers(61, 89))}0{int(rng.integers(1, 10))}6O-{serial}"
    return f"9002{int(rng.integers(50, 99))}-{serial}"


# ---------------------------------------------------------------------------------------------- surveys
def survey_answers(codebook: dict) -> list[str]:
    """The answer columns a project's survey asks: those of ANSWERS that its codebook lists."""
    return [column for column in ANSWERS if column in codebook["survey"]["columns"]]


def survey_keys(style: SiteStyle, codebook: dict) -> list[str]:
    """Survey columns in file order (SurveyXact-like exports for code sites carry a respondent id)."""
    head = ["cpr", "name", "email", "response_date"]
    if style.variant % 2 == 1:
        head = ["response_date", "cpr", "name", "email"]
    keys = head + survey_answers(codebook) + ["comment"]
    return (["respondent_id"] if style.survey_coding == "codes" else []) + keys


def survey_headers(codebook: dict, keys: list[str], style: SiteStyle) -> dict[str, str]:
    """Long question texts for label sites, short names (WHO5_1 ...) for code sites."""
    columns = codebook["survey"]["columns"]
    answer_form = 0 if style.survey_coding == "labels" else 1
    headers = {
        "respondent_id": "Respondent-ID",
        "name": "Navn",
        "email": "E-mail",
        "comment": _pick(COMMENT_HEADERS, style.variant),
        "cpr": _pick(columns["cpr"], style.variant),
        "response_date": _pick(columns["response_date"], style.variant),
    }
    headers.update({k: columns[k][answer_form] for k in survey_answers(codebook)})
    return {k: headers[k] for k in keys}


def _number_text(value: float, style: SiteStyle) -> object:
    """A job-readiness number: a number cell in XLSX, '6,5' or '6.5' text in CSV."""
    number = int(value) if float(value).is_integer() else float(value)
    if style.survey_format == "xlsx":
        return number
    text = str(number)
    return text.replace(".", ",") if style.decimal_comma else text


def render_answer(column: str, score: float, style: SiteStyle, codebook: dict, roll: float) -> object:
    """One answer in the site's coding; a missing answer is 'Ved ikke' (label sites, 40 %) or blank."""
    if pd.isna(score):
        return "Ved ikke" if style.survey_coding == "labels" and roll < 0.4 else None
    if column == "job_readiness":
        return _number_text(score, style)
    scale = codebook["scales"][codebook["survey"]["scale_of"][column]]
    if style.survey_coding == "labels":
        return scale["labels"][int(score)][0]
    code = next(int(c) for c, s in scale["codes"].items() if int(s) == int(score))
    return code if style.survey_format == "xlsx" else str(code)


def render_response_date(day: date, style: SiteStyle) -> object:
    return day if style.survey_format == "xlsx" else day.strftime("%d-%m-%Y")


def build_survey(wave: str, truth: pd.DataFrame, style: SiteStyle, codebook: dict, rng: np.random.Generator) -> _Sheet:
    """One wave's export, rows in response-date order, ~1 % of CPR numbers without hyphen (repair)."""
    keys = survey_keys(style, codebook)
    headers = survey_headers(codebook, keys, style)
    ext = "xlsx" if style.survey_format == "xlsx" else "csv"
    rolls = rng.random((len(truth), len(ANSWERS) + 1))  # every answer's roll is drawn, asked or not
    rows = []
    for i, record in enumerate(truth.to_dict("records")):
        cells = {
            "cpr": record["cpr"],
            "name": record["name"],
            "email": record["email"],
            "response_date": render_response_date(_py_date(record["response_date"]), style),
            "comment": record["remark"] or None,
        }
        for j, column in enumerate(ANSWERS):
            if column in keys:
                cells[column] = render_answer(column, record[column], style, codebook, rolls[i, j])
        row = _Row({k: cells.get(k) for k in keys}, source=i)
        if rolls[i, -1] < 0.01:
            row.cells["cpr"] = record["cpr"].replace("-", "")
            row.plant("cpr_without_hyphen", "cpr", "repair", row.cells["cpr"], record["cpr"])
        rows.append(row)
    return _Sheet(f"survey_{wave}.{ext}", keys, headers, rows)


def plant_unknown_respondents(sheet: _Sheet, rng: np.random.Generator, cprs: list[str], names: list[str]) -> None:
    """Add respondents with valid substitute CPR numbers that no register holds (reject)."""
    for cpr, name in zip(cprs, names, strict=True):
        template = sheet.rows[int(rng.random() * len(sheet.rows))]
        cells = dict(template.cells)
        cells.update({"cpr": cpr, "name": name, "email": None, "comment": None})
        row = _Row(cells)
        row.plant("respondent_not_in_register", "cpr", "reject", cpr)
        sheet.rows.insert(int(rng.integers(0, len(sheet.rows) + 1)), row)


def plant_duplicate_response(
    sheet: _Sheet, style: SiteStyle, truth: pd.DataFrame, rng: np.random.Generator, extraction: date
) -> None:
    """Insert a second answer of the same person and wave 0-3 days later, further down (reject it)."""
    clean = sheet.clean_rows()
    if not clean:
        return
    at = clean[int(rng.random() * len(clean))]
    original = sheet.rows[at]
    answered = _py_date(truth.iloc[original.source]["response_date"])
    copy = _Row(dict(original.cells))
    copy.cells["response_date"] = render_response_date(
        min(answered + timedelta(days=int(rng.integers(0, 4))), extraction), style
    )
    copy.plant("duplicate_response", None, "reject", original=original)
    sheet.rows.insert(min(at + int(rng.integers(1, 21)), len(sheet.rows)), copy)


def plant_out_of_range(
    sheet: _Sheet, column: str, value: object, truth: pd.DataFrame, rng: np.random.Generator
) -> bool:
    """Overwrite one answered cell with an impossible value (repair: set missing). False if no cell fits."""
    fits = [i for i in sheet.clean_rows() if pd.notna(truth.iloc[sheet.rows[i].source][column])]
    if not fits:
        return False
    row = sheet.rows[fits[int(rng.random() * len(fits))]]
    row.cells[column] = value
    row.plant("out_of_range_answer", column, "repair", value, None)
    return True


# ---------------------------------------------------------------------------------------------- writing
def _cell_rows(sheet: _Sheet) -> Iterator[list[object]]:
    """The rows' cells in column order; a respondent id numbers the rows as the survey tool would."""
    for line, row in enumerate(sheet.rows, start=2):
        if "respondent_id" in row.cells:
            row.cells["respondent_id"] = 100_000 + 7 * line
        yield [row.cells.get(k) for k in sheet.keys]


def _fixed_zip(data: bytes, core_xml: bytes) -> bytes:
    """Rewrite a zip with constant entry times and permissions, entries in their written order, and the
    workbook's core properties replaced by `core_xml` (openpyxl stamps the clock into both)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = core_xml if info.filename == "docProps/core.xml" else source.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            target.writestr(entry, payload)
    return out.getvalue()


def xlsx_bytes(
    header: list[str],
    rows: list[list[object]],
    sheet_title: str = "Ark1",
    above: list[list[object]] = (),
    below: list[list[object]] = (),
) -> bytes:
    """A one-sheet workbook (header in row 1, or under the rows `above`; the rows `below` after the data),
    date cells shown as dd-mm-yyyy, reproducible bytes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    for values in [*above, header, *rows, *below]:
        sheet.append(values)
    for row in sheet.iter_rows(min_row=len(above) + 2):
        for cell in row:
            if isinstance(cell.value, date | datetime):
                cell.number_format = "dd-mm-yyyy"
    workbook.properties.creator = "Brobygning simulator"
    workbook.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)  # stamps the clock into properties.modified ...
    workbook.properties.modified = FIXED_TIME  # ... so the core properties are rewritten without it
    return _fixed_zip(buffer.getvalue(), tostring(workbook.properties.to_tree()))


def csv_bytes(header: list[str], rows: list[list[object]], encoding: str) -> bytes:
    """Semicolon-separated text with CRLF line ends, quoted only where needed, in the given encoding."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator=LINE_END)
    writer.writerow(header)
    for values in rows:
        writer.writerow(["" if v is None else v for v in values])
    return text.getvalue().encode(encoding)


def sheet_bytes(sheet: _Sheet, survey_format: str) -> bytes:
    """The file's bytes: XLSX for registers and XLSX surveys, else CSV in the site's encoding."""
    rows = list(_cell_rows(sheet))
    if sheet.file.endswith(".xlsx"):
        return xlsx_bytes(sheet.header_row(), rows, above=sheet.above, below=sheet.below())
    encoding = {"csv-utf8-bom": "utf-8-sig", "csv-latin1": "latin-1", "csv-utf8": "utf-8"}[survey_format]
    return csv_bytes(sheet.header_row(), rows, encoding)


# --------------------------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class FaultPlan:
    """How many faults of each kind to plant across the exported sites."""

    duplicate_registration_sites: int = 3
    end_before_start_sites: int = 2
    missing_cpr_sites: int = 2
    malformed_cpr: tuple[tuple[str, ...], ...] = (("length", "letters"), ("date",))  # one tuple per site
    unknown_respondent_files: int = 5
    duplicate_response_files: int = 2
    p_cpr_without_hyphen: float = 0.03
    p_cpr_with_space: float = 0.005
    misspelt_association_share: float = 0.03


@dataclass
class SiteExport:
    """A site's raw files under construction (register + one sheet per wave)."""

    site: str
    style: SiteStyle
    reports_end_status: bool
    register: _Sheet
    register_truth: pd.DataFrame
    surveys: dict[str, _Sheet]
    survey_truth: dict[str, pd.DataFrame]

    def sheets(self) -> list[_Sheet]:
        return [self.register, *self.surveys.values()]

    def activity_spellings(self, codebook: dict) -> dict[str, str]:
        """House spellings of activities in this register that differ from the canonical name."""
        names = sorted(set(self.register_truth["activity"].dropna()))
        spelled = {_activity_spelling(codebook, a, self.style.variant): a for a in names}
        return {raw: canonical for raw, canonical in spelled.items() if raw != canonical}


def build_site(
    site: str,
    style: SiteStyle,
    reports_end_status: bool,
    participants: pd.DataFrame,
    responses: pd.DataFrame,
    codebook: dict,
    rng: np.random.Generator,
    waves: tuple[str, ...] = tuple(WAVES),
) -> SiteExport:
    """Render one site's truth (rows of that site only) into unfaulted sheets: the register and one export
    per surveyed wave (in WAVES order)."""
    register_truth = participants.reset_index(drop=True)
    register = build_register(register_truth, style, reports_end_status, codebook, rng)
    surveys, survey_truth = {}, {}
    for wave in (w for w in WAVES if w in waves):
        survey_truth[wave] = responses[responses["wave"] == wave].reset_index(drop=True)
        surveys[wave] = build_survey(wave, survey_truth[wave], style, codebook, rng)
    return SiteExport(site, style, reports_end_status, register, register_truth, surveys, survey_truth)


def _choose(rng: np.random.Generator, items: list, count: int) -> list:
    """Up to `count` distinct items in their original order."""
    if not items or count <= 0:
        return []
    picked = sorted(rng.choice(len(items), size=min(count, len(items)), replace=False).tolist())
    return [items[i] for i in picked]


def _strangers(rng: np.random.Generator, count: int, taken: set[str], extraction: date) -> tuple[list, list]:
    """Valid substitute CPR numbers (aged 20-75 at extraction) and names of people who are in no register."""
    born = np.datetime64(extraction.isoformat(), "D") - rng.integers(20 * 365, 75 * 365, count).astype("timedelta64[D]")
    male = rng.random(count) < 0.4
    cprs = substitute_cprs(rng, born, male, taken=taken).tolist()
    return cprs, draw_identities(rng, male)["name"].tolist()


def plant_faults(
    exports: list[SiteExport],
    codebook: dict,
    plan: FaultPlan,
    rng: np.random.Generator,
    extraction: date,
    taken: set[str],
) -> None:
    """Plant the faults of `plan` across the sites (in place). Sites and files are drawn with `rng`."""
    for export in exports:
        plant_cpr_spelling(export.register, rng, plan.p_cpr_without_hyphen, plan.p_cpr_with_space)
        plant_misspelt_associations(export.register, codebook, rng, plan.misspelt_association_share)
    cprs, names = _strangers(rng, 64, taken, extraction)
    strangers = iter(zip(cprs, names, strict=True))
    for export in _choose(rng, exports, plan.duplicate_registration_sites):
        for _ in range(int(rng.integers(1, 3))):
            plant_duplicate(export.register, rng)
    reporting = [e for e in exports if e.reports_end_status and e.register_truth["start_date"].notna().any()]
    for export in _choose(rng, reporting, plan.end_before_start_sites):
        plant_end_before_start(export.register, export.register_truth, export.style, rng, *next(strangers))
    for export in _choose(rng, exports, plan.missing_cpr_sites):
        plant_bad_cpr(export.register, rng, "missing_cpr", None, next(strangers)[1])
    malformed_sites = _choose(rng, exports, len(plan.malformed_cpr))
    for export, variants in zip(malformed_sites, plan.malformed_cpr, strict=False):
        for variant in variants:
            raw = malformed_cpr(variant, rng)
            plant_bad_cpr(export.register, rng, "malformed_cpr", raw, next(strangers)[1])
    _plant_survey_faults(exports, plan, rng, extraction, strangers)


def _plant_survey_faults(
    exports: list[SiteExport],
    plan: FaultPlan,
    rng: np.random.Generator,
    extraction: date,
    strangers: Iterator[tuple[str, str]],
) -> None:
    """Unknown respondents, repeated answers and out-of-range answers in randomly chosen survey files."""
    files = [(e, w) for e in exports for w in WAVES if w in e.surveys and e.surveys[w].rows]
    for export, wave in _choose(rng, files, plan.unknown_respondent_files):
        picked = [next(strangers) for _ in range(int(rng.integers(1, 4)))]
        plant_unknown_respondents(export.surveys[wave], rng, [c for c, _ in picked], [n for _, n in picked])
    for export, wave in _choose(rng, files, plan.duplicate_response_files):
        truth = export.survey_truth[wave]
        plant_duplicate_response(export.surveys[wave], export.style, truth, rng, extraction)
    code_files = [(e, w) for e, w in files if e.style.survey_coding == "codes"]
    for export, wave in _choose(rng, code_files, 1):
        code = 7 if export.style.survey_format == "xlsx" else "7"
        plant_out_of_range(export.surveys[wave], "who5_3", code, export.survey_truth[wave], rng)
    job_files = [(e, w) for e, w in files if e.survey_truth[w]["job_readiness"].notna().any()]
    for export, wave in _choose(rng, job_files, 1):
        plant_out_of_range(
            export.surveys[wave], "job_readiness", _number_text(12, export.style), export.survey_truth[wave], rng
        )


def write_site(export: SiteExport, out_dir: Path) -> list[Fault]:
    """Write the site's files to out_dir/<site>/ and return their planted faults (register first)."""
    folder = out_dir / export.site
    folder.mkdir(parents=True, exist_ok=True)
    faults = []
    for sheet in export.sheets():
        (folder / sheet.file).write_bytes(sheet_bytes(sheet, export.style.survey_format))
        faults += sheet.faults(export.site)
    return faults
