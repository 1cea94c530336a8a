"""Cleaning a bridge builder's register into canonical enrolments.

Rules (documented for evaluators in docs/cleaning-rules.md). A row is rejected only for what the analysis
cannot do without, its key columns (KEY_COLUMNS): the CPR number, referral track and referral date, and the
start and end dates that retention is measured between. Everything else that cannot be read becomes missing
with a recorded repair and the row is kept.
- a register without data rows stops the job with an error naming the file;
- a row without a valid CPR number, referral track or referral date is rejected;
- a CPR number and referral date that give an age outside 0-110 at referral reject the row (a wrong
  century digit in the CPR number, or a mistyped referral year);
- a key date that cannot be read, lies after the extraction date, or puts the end before the start or the
  start before the referral rejects the row; an end date without a start date rejects the row;
- a last-contact date that cannot be read, lies after the extraction date or before the referral is set
  missing (repair); so are unreadable or impossible subsidy months (then the config's rule applies);
- a second row with the same person and referral date is rejected as a duplicate of the first;
- the same person with another referral date is a re-referral: a new enrolment (1, 2, ...); one referred
  again while an earlier enrolment at the site is still running is flagged (kept unchanged);
- spellings of associations and activities are mapped to canonical names via the codebook (recorded as
  repairs); a label the codebook does not know stops the job with an error naming the cell;
- planned subsidy months come from the register where it has them, else from the config's rule in force
  at the start date (or at referral for those who never started);
- a recorded end without a reason gets reason 'unknown';
- in a yes/no column whose answers are only 'x', a blank means no.
Reasons and rules are keys of analysis.clean.reasons: no raw cell value reaches the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from analysis.clean.ledger import Ledger
from analysis.clean.pseudonym import PseudonymKey, pseudonymise
from analysis.core.errors import RawInputError
from analysis.read import cpr as cprlib
from analysis.read.codebook import DROP, Codebook, normalise_label
from analysis.read.dates import is_blank, parse_date
from analysis.read.readers import RawTable
from analysis.read.values import parse_label, parse_whole_number, quotable

DATE_COLUMNS = ["referral_date", "start_date", "end_date", "last_contact_date"]
# What the analysis cannot do without: a fault here rejects the row (docs/cleaning-rules.md lists them).
KEY_COLUMNS = ["cpr", "referral_track", "referral_date", "start_date", "end_date"]
MIN_AGE, MAX_AGE = 0, 110  # plausible ages at referral (the participants table allows 0-120)
_CPR_FAULTS = {
    "missing": "cpr_missing",
    "not ten digits": "cpr_not_ten_digits",
    "impossible date of birth": "cpr_impossible_birth_date",
}
# Register columns read as labels, and the codebook section that lists their spellings.
LABELLED_COLUMNS = {
    "referral_track": "labels.referral_track",
    "dropout_reason": "labels.dropout_reason",
    "team_type": "labels.team_type",
    "accompanied": "labels.boolean",
    "association": "associations",
    "activity": "activities",
}


class RowRejected(Exception):
    """A row fault: the row goes to the ledger with this reason (a key of analysis.clean.reasons) and column."""

    def __init__(self, column: str | None, reason: str, same_as_row: int | None = None):
        super().__init__(reason)
        self.column = column
        self.reason = reason
        self.same_as_row = same_as_row


def cpr_fault(error: ValueError) -> str:
    """The reason key of a CPR number that normalise_cpr refused."""
    return next((key for words, key in _CPR_FAULTS.items() if words in str(error)), "cpr_invalid")


@dataclass(frozen=True)
class RegisterContext:
    """What cleaning one site's register needs to know besides the file."""

    site: str
    bridging_model: str
    reports_end_status: bool
    extraction_date: date
    subsidy_rules: list[dict]
    codebook: Codebook
    key: PseudonymKey
    problems: list | None = None  # when given, unknown values are listed here (as RawInputError) instead of stopping


def planned_subsidy_months(rules: list[dict], on: date) -> int:
    """Months of subsidy under the rule in force on a date (rules sorted by 'from'); 0 without rules."""
    months = 0
    for rule in sorted(rules, key=lambda r: r["from"]):
        if date.fromisoformat(rule["from"]) <= on:
            months = rule["months"]
    return months


def _x_coded(values: pd.Series) -> bool:
    answers = {normalise_label(v) for v in values if not is_blank(v)}
    return answers == {"x"}


class _RowCleaner:
    """Turns one register row (canonical name -> raw value) into a canonical record."""

    def __init__(self, table: RawTable, mapping: dict[str, str], ctx: RegisterContext):
        self.table, self.ctx = table, ctx
        self.header_of = {canonical: header for header, canonical in mapping.items() if canonical != DROP}
        self.lookups = {column: ctx.codebook.spellings(section) for column, section in LABELLED_COLUMNS.items()}
        self.blank_means_no = {
            c for c in ("team_type", "accompanied") if c in self.header_of and _x_coded(table.frame[self.header_of[c]])
        }

    def ref(self, column: str) -> str:
        return self.table.column_ref(self.header_of.get(column, column))

    def label(self, values: dict, row: int, column: str) -> object:
        try:
            return parse_label(values.get(column), self.lookups[column])
        except KeyError as exc:
            error = RawInputError(
                self.table.file,
                f"unknown value '{quotable(exc.args[0])}': add it to codebook.yaml under {LABELLED_COLUMNS[column]}",
                row=row,
                column=self.ref(column),
            )
            if self.ctx.problems is None:
                raise error from None
            self.ctx.problems.append(error)
            return None

    def date(self, values: dict, column: str, row: int, ledger: Ledger) -> date | None:
        """A date cell; a fault rejects the row in a key column and sets the value missing elsewhere."""
        key_column = column in KEY_COLUMNS and (column != "end_date" or self.ctx.reports_end_status)
        try:
            parsed = parse_date(values.get(column), self.ctx.extraction_date.year)
        except ValueError:
            if key_column:
                raise RowRejected(column, "date_unreadable") from None
            ledger.repair(self.table.file, row, self.ref(column), "minor_date_unreadable")
            return None
        if parsed is not None and parsed > self.ctx.extraction_date:
            if key_column:
                raise RowRejected(column, "date_after_extraction")
            ledger.repair(self.table.file, row, self.ref(column), "minor_date_after_extraction")
            return None
        return parsed

    def clean(self, values: dict, row: int, ledger: Ledger) -> dict:
        try:
            number = cprlib.normalise_cpr(values.get("cpr"))
        except ValueError as exc:
            raise RowRejected("cpr", cpr_fault(exc)) from None
        if not cprlib.written_in_standard_form(values["cpr"]):
            ledger.repair(self.table.file, row, self.ref("cpr"), "cpr_normalised")
        track = self.label(values, row, "referral_track")
        if track is None:
            raise RowRejected("referral_track", "referral_track_missing")
        dates = {c: self.date(values, c, row, ledger) for c in DATE_COLUMNS}
        if dates["referral_date"] is None:
            raise RowRejected("referral_date", "referral_date_missing")
        if not MIN_AGE <= cprlib.age_at(number, dates["referral_date"]) <= MAX_AGE:
            raise RowRejected("cpr", "age_out_of_range")
        if dates["start_date"] and dates["start_date"] < dates["referral_date"]:
            raise RowRejected("start_date", "start_before_referral")
        if dates["end_date"] and not dates["start_date"]:
            raise RowRejected("end_date", "end_without_start")
        if dates["end_date"] and dates["end_date"] < dates["start_date"]:
            raise RowRejected("end_date", "end_before_start")
        if dates["last_contact_date"] and dates["last_contact_date"] < dates["referral_date"]:
            ledger.repair(self.table.file, row, self.ref("last_contact_date"), "last_contact_before_referral")
            dates["last_contact_date"] = None
        record = {"cpr": number, **dates, "referral_track": track, "row": row}
        for column in ("association", "activity"):
            record[column] = self.label(values, row, column)
            raw = values.get(column)
            if record[column] is not None and normalise_label(raw) != normalise_label(record[column]):
                ledger.repair(self.table.file, row, self.ref(column), f"{column}_mapped")
        record["team_type"] = self.label(values, row, "team_type")
        if record["team_type"] is None and "team_type" in self.blank_means_no:
            record["team_type"] = "existing"
        accompanied = self.label(values, row, "accompanied")
        if accompanied is None and "accompanied" in self.blank_means_no:
            accompanied = "false"
        record["accompanied"] = None if accompanied is None else accompanied == "true"
        record["subsidy_months"] = self.subsidy_months(values, record, row, ledger)
        record["dropout_reason"] = self.label(values, row, "dropout_reason")
        if record["end_date"] and record["dropout_reason"] is None:
            record["dropout_reason"] = "unknown"
            ledger.repair(self.table.file, row, self.ref("dropout_reason"), "dropout_reason_unknown")
        return record

    def subsidy_months(self, values: dict, record: dict, row: int, ledger: Ledger) -> int:
        rule = "subsidy_months_from_rule"
        try:
            months = parse_whole_number(values.get("subsidy_months"))
        except ValueError:
            months, rule = None, "subsidy_months_unreadable"
        if months is not None and not 0 <= months <= 60:
            months, rule = None, "subsidy_months_unreadable"
        if months is None:
            months = planned_subsidy_months(self.ctx.subsidy_rules, record["start_date"] or record["referral_date"])
            if "subsidy_months" in self.header_of:
                ledger.repair(self.table.file, row, self.ref("subsidy_months"), rule)
        return months


def clean_register(table: RawTable, ctx: RegisterContext, ledger: Ledger) -> pd.DataFrame:
    """Canonical enrolments of one register (participants table columns plus the internal 'cpr').

    Every row of the file is either returned or recorded in the ledger; fully blank rows are recorded as
    rejected 'empty_row'. Raises RawInputError for an unknown header or label and for a register without
    data rows.
    """
    mapping = ctx.codebook.map_headers(table, "register", ctx.problems)
    if not table.rows:
        raise RawInputError(table.file, "the register has no data rows under the header", row=table.header_row + 1)
    _end_status_contradiction(table, mapping, ctx)
    ledger.read_file(table.file, "register", None, table.encoding, len(table.rows), table.blank_rows, table.set_aside)
    cleaner = _RowCleaner(table, mapping, ctx)
    records, first_row_of = [], {}
    for row, values in zip(table.rows, ctx.codebook.canonical_records(table, mapping), strict=True):
        try:
            record = cleaner.clean(values, row, ledger)
            key = (record["cpr"], record["referral_date"])
            if key in first_row_of:
                raise RowRejected("cpr", "duplicate_registration", same_as_row=first_row_of[key])
        except RowRejected as fault:
            column = cleaner.ref(fault.column) if fault.column else None
            ledger.reject(table.file, row, column, fault.reason, fault.same_as_row)
            continue
        first_row_of[key] = row
        ledger.keep(table.file)
        records.append(record)
    if ctx.reports_end_status:
        _flag_overlaps(records, table, cleaner, ledger)
    return _enrolments(records, ctx)


def _end_status_contradiction(table: RawTable, mapping: dict[str, str], ctx: RegisterContext) -> None:
    """A register that contradicts the site sheet's reports_end_status stops the site (or is listed by check):
    without an end column every dropout would look still active; with end dates at a site said not to report
    them, the ends would be thrown away."""
    header = next((h for h, c in mapping.items() if c == "end_date"), None)
    if ctx.reports_end_status and header is None:
        error = RawInputError(
            table.file,
            f"sites.tsv says site '{ctx.site}' reports end status (reports_end_status true), but the register has "
            "no end-date column: add its header to codebook.yaml under register.columns.end_date, or set "
            "reports_end_status false",
            row=1,
        )
    elif not ctx.reports_end_status and header is not None:
        filled = [row for row, value in zip(table.rows, table.frame[header], strict=True) if not is_blank(value)]
        if not filled:
            return
        error = RawInputError(
            table.file,
            f"the register has end dates in {len(filled)} rows (first in row {filled[0]}), but sites.tsv says site "
            f"'{ctx.site}' does not report end status: set reports_end_status true",
            row=filled[0],
            column=table.column_ref(header),
        )
    else:
        return
    if ctx.problems is None:
        raise error
    ctx.problems.append(error)


def _flag_overlaps(records: list[dict], table: RawTable, cleaner: _RowCleaner, ledger: Ledger) -> None:
    """Flag a re-referral while the person's previous enrolment at the site was still running (started, and
    not ended before the new referral). Only where ends are reported: elsewhere every start looks open."""
    by_person: dict[str, list[dict]] = {}
    for record in records:
        by_person.setdefault(record["cpr"], []).append(record)
    for enrolments in by_person.values():
        ordered = sorted(enrolments, key=lambda r: r["referral_date"])
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            still_running = earlier["start_date"] is not None and (
                earlier["end_date"] is None or earlier["end_date"] > later["referral_date"]
            )
            if still_running:
                ledger.flag(table.file, later["row"], cleaner.ref("referral_date"), "overlapping_enrolment")


def _enrolments(records: list[dict], ctx: RegisterContext) -> pd.DataFrame:
    frame = pd.DataFrame(
        records,
        columns=[
            "cpr",
            "referral_track",
            *DATE_COLUMNS,
            "association",
            "activity",
            "team_type",
            "accompanied",
            "subsidy_months",
            "dropout_reason",
        ],
    )
    frame = frame.sort_values(["cpr", "referral_date"], kind="mergesort").reset_index(drop=True)
    frame["enrolment"] = frame.groupby("cpr").cumcount() + 1
    frame["participant_id"] = [pseudonymise(c, ctx.key) for c in frame["cpr"]]
    frame["site"] = ctx.site
    frame["bridging_model"] = ctx.bridging_model
    frame["age"] = [cprlib.age_at(c, d) for c, d in zip(frame["cpr"], frame["referral_date"], strict=True)]
    frame["sex"] = [cprlib.sex(c) for c in frame["cpr"]]
    for column in DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column])
    starts = frame["start_date"]
    months = frame["subsidy_months"].astype("Int64")
    frame["subsidy_end_date"] = [
        s + pd.DateOffset(months=int(m)) if pd.notna(s) and pd.notna(m) and m > 0 else pd.NaT
        for s, m in zip(starts, months, strict=True)
    ]
    frame["subsidy_end_date"] = pd.to_datetime(frame["subsidy_end_date"])
    frame["end_status_reported"] = ctx.reports_end_status
    if not ctx.reports_end_status:
        frame[["end_date", "last_contact_date"]] = pd.NaT
        frame["dropout_reason"] = None
    return frame
