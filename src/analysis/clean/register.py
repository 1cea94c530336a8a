"""Cleaning a bridge builder's register into canonical enrolments.

Rules (documented for evaluators in docs/cleaning-rules.md):
- a register without data rows stops the job with an error naming the file;
- a row without a valid CPR number, referral track or referral date is rejected;
- a CPR number and referral date that give an age outside 0-120 at referral reject the row (a wrong
  century digit in the CPR number, or a mistyped referral year);
- a date that cannot be read, lies after the extraction date, or puts the end before the start or the
  start before the referral rejects the row;
- an end date without a start date rejects the row;
- a second row with the same person and referral date is rejected as a duplicate of the first;
- the same person with another referral date is a re-referral: a new enrolment (1, 2, ...);
- spellings of associations and activities are mapped to canonical names via the codebook (recorded as
  repairs); a label the codebook does not know stops the job with an error naming the cell;
- planned subsidy months come from the register where it has them, else from the config's rule in force
  at the start date (or at referral for those who never started);
- a recorded end without a reason gets reason 'unknown';
- in a yes/no column whose answers are only 'x', a blank means no.
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
from analysis.read.values import parse_label, parse_whole_number

DATE_COLUMNS = ["referral_date", "start_date", "end_date", "last_contact_date"]
MIN_AGE, MAX_AGE = 0, 120  # the participants table's bounds for age at referral
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
    """A row fault: the row goes to the ledger with this reason and column."""

    def __init__(self, column: str | None, reason: str):
        super().__init__(reason)
        self.column = column
        self.reason = reason


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
                f"unknown value '{exc.args[0]}': add it to codebook.yaml under {LABELLED_COLUMNS[column]}",
                row=row,
                column=self.ref(column),
            )
            if self.ctx.problems is None:
                raise error from None
            self.ctx.problems.append(error)
            return None

    def date(self, values: dict, column: str) -> date | None:
        try:
            parsed = parse_date(values.get(column), self.ctx.extraction_date.year)
        except ValueError as exc:
            raise RowRejected(column, f"{column}: {exc}") from None
        if parsed is not None and parsed > self.ctx.extraction_date:
            raise RowRejected(column, f"{column} is after the extraction date")
        return parsed

    def clean(self, values: dict, row: int, ledger: Ledger) -> dict:
        try:
            number = cprlib.normalise_cpr(values.get("cpr"))
        except ValueError as exc:
            raise RowRejected("cpr", str(exc)) from None
        if not cprlib.written_in_standard_form(values["cpr"]):
            ledger.repair(self.table.file, row, self.ref("cpr"), cprlib.NORMALISED_RULE)
        track = self.label(values, row, "referral_track")
        if track is None:
            raise RowRejected("referral_track", "referral track is missing")
        dates = {c: self.date(values, c) for c in DATE_COLUMNS}
        if dates["referral_date"] is None:
            raise RowRejected("referral_date", "referral date is missing")
        if not MIN_AGE <= cprlib.age_at(number, dates["referral_date"]) <= MAX_AGE:
            raise RowRejected(
                "cpr",
                f"CPR number and referral date give an age outside {MIN_AGE}-{MAX_AGE} at "
                "referral (check the CPR number's 7th digit, which sets the century, and the "
                "referral year)",
            )
        if dates["start_date"] and dates["start_date"] < dates["referral_date"]:
            raise RowRejected("start_date", "start_date is before referral_date")
        if dates["end_date"] and not dates["start_date"]:
            raise RowRejected("end_date", "end_date is given but start_date is missing")
        if dates["end_date"] and dates["end_date"] < dates["start_date"]:
            raise RowRejected("end_date", "end_date is before start_date")
        record = {"cpr": number, **dates, "referral_track": track}
        for column in ("association", "activity"):
            record[column] = self.label(values, row, column)
            raw = values.get(column)
            if record[column] is not None and normalise_label(raw) != normalise_label(record[column]):
                ledger.repair(self.table.file, row, self.ref(column), f"{column} spelling mapped via codebook")
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
            ledger.repair(
                self.table.file, row, self.ref("dropout_reason"), "missing reason for a recorded end set to unknown"
            )
        return record

    def subsidy_months(self, values: dict, record: dict, row: int, ledger: Ledger) -> int:
        try:
            months = parse_whole_number(values.get("subsidy_months"))
        except ValueError as exc:
            raise RowRejected("subsidy_months", f"subsidy_months: {exc}") from None
        if months is not None and not 0 <= months <= 60:
            raise RowRejected("subsidy_months", "subsidy_months is outside 0..60")
        if months is None:
            months = planned_subsidy_months(self.ctx.subsidy_rules, record["start_date"] or record["referral_date"])
            if "subsidy_months" in self.header_of:
                ledger.repair(
                    self.table.file, row, self.ref("subsidy_months"), "blank subsidy months taken from the config rule"
                )
        return months


def clean_register(table: RawTable, ctx: RegisterContext, ledger: Ledger) -> pd.DataFrame:
    """Canonical enrolments of one register (participants table columns plus the internal 'cpr').

    Every row of the file is either returned or recorded in the ledger; fully blank rows are recorded as
    rejected 'empty row'. Raises RawInputError for an unknown header or label and for a register without
    data rows.
    """
    mapping = ctx.codebook.map_headers(table, "register", ctx.problems)
    if not table.rows:
        raise RawInputError(table.file, "the register has no data rows under the header", row=table.header_row + 1)
    ledger.read_file(table.file, "register", None, table.encoding, len(table.rows), table.blank_rows, table.set_aside)
    cleaner = _RowCleaner(table, mapping, ctx)
    records, first_row_of = [], {}
    for row, values in zip(table.rows, ctx.codebook.canonical_records(table, mapping), strict=True):
        try:
            record = cleaner.clean(values, row, ledger)
            key = (record["cpr"], record["referral_date"])
            if key in first_row_of:
                raise RowRejected(
                    "cpr", f"duplicate registration: same person and referral date as row {first_row_of[key]}"
                )
        except RowRejected as fault:
            ledger.reject(table.file, row, cleaner.ref(fault.column) if fault.column else None, fault.reason)
            continue
        first_row_of[key] = row
        ledger.keep(table.file)
        records.append(record)
    return _enrolments(records, ctx)


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
