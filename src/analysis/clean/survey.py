"""Cleaning survey exports (one file per wave) into canonical responses.

Rules (see docs/cleaning-rules.md): a row without a valid CPR number or response date, from a person not
in the site's register, dated after the extraction date, or repeating an earlier answer of the same
enrolment and wave is rejected. A response date that cannot be read is set missing (repair) when the person
has one enrolment, so the answers stay; with several enrolments the answer cannot be placed and the row is
rejected. An answer is read as label text or as the survey tool's label number, as
the site sheet says; "Ved ikke" and blanks are missing; a number scale's labelled points (such as
"10 = Helt klar" on a 0-10 item) are read as their numbers whatever the coding; a number outside its scale is
set missing and recorded as a repair; an unknown label stops the job with an error naming the cell. An answer belongs to
the person's latest enrolment referred on or before the response date (else their first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from analysis.clean.ledger import Ledger
from analysis.clean.register import RowRejected, cpr_fault
from analysis.core.errors import RawInputError
from analysis.core.vocabulary import WHO5_ITEMS
from analysis.read import cpr as cprlib
from analysis.read.codebook import DROP, Codebook, normalise_label
from analysis.read.dates import is_blank, parse_date
from analysis.read.readers import RawTable
from analysis.read.values import parse_label, parse_number, quotable

ANSWER_COLUMNS = [*WHO5_ITEMS, "srh", "pa_level", "job_readiness"]


@dataclass(frozen=True)
class SurveyContext:
    """What cleaning one survey file needs besides the file."""

    site: str
    wave: str
    coding: str  # labels | codes
    extraction_date: date
    codebook: Codebook
    problems: list | None = None  # when given, unknown answers are listed here (as RawInputError) instead of stopping


class _AnswerReader:
    """Reads answers of each scale as labels or label numbers."""

    def __init__(self, table: RawTable, header_of: dict[str, str], ctx: SurveyContext):
        self.table, self.header_of, self.ctx = table, header_of, ctx
        self.missing = ctx.codebook.missing_labels()
        self.lookups: dict[str, dict] = {}  # labelled scales read as labels
        self.points: dict[str, dict] = {}  # number scales' labelled points, read before numbers
        asked = ctx.codebook.raw["survey"].get("scale_of", {})
        for column in (c for c in ANSWER_COLUMNS if c in asked):  # a project need not ask every question
            scale = ctx.codebook.scale_of(column, ctx.site, ctx.wave)
            spec = ctx.codebook.scale(scale)
            if "labels" in spec and "range" in spec:
                self.points[column] = ctx.codebook.scale_labels(scale)
            elif "labels" in spec and ctx.coding == "labels":
                self.lookups[column] = ctx.codebook.scale_labels(scale)

    def read(self, column: str, value: object, row: int, ledger: Ledger) -> float | None:
        scale = self.ctx.codebook.scale_of(column, self.ctx.site, self.ctx.wave)
        spec = self.ctx.codebook.scale(scale)
        ref = self.table.column_ref(self.header_of[column])
        if column in self.lookups:
            try:
                return parse_label(value, self.lookups[column], self.missing)
            except KeyError as exc:
                return self._unknown(
                    RawInputError(
                        self.table.file,
                        f"unknown answer '{quotable(exc.args[0])}': add it to codebook.yaml under "
                        f"scales.{scale}.labels",
                        row,
                        ref,
                    )
                )
        if is_blank(value) or str(value).strip().casefold() in self.missing:
            return None
        if isinstance(value, str) and (point := self.points.get(column, {}).get(normalise_label(value))) is not None:
            return point
        try:
            number = parse_number(value)
        except ValueError:
            return self._unknown(
                RawInputError(
                    self.table.file,
                    f"answer '{quotable(value)}' is not a number, as the site sheet says this "
                    f"site's survey answers are ({self.ctx.coding})",
                    row,
                    ref,
                )
            )
        if "codes" in spec:
            score = {float(k): v for k, v in spec["codes"].items()}.get(number)
        else:
            lo, hi = spec["range"]
            score = number if lo <= number <= hi else None
        if score is None:
            ledger.repair(self.table.file, row, ref, "answer_out_of_scale")
        return score

    def _unknown(self, error: RawInputError) -> None:
        if self.ctx.problems is None:
            raise error
        self.ctx.problems.append(error)
        return None


def clean_survey(table: RawTable, ctx: SurveyContext, enrolments: pd.DataFrame, ledger: Ledger) -> pd.DataFrame:
    """Canonical responses of one survey file, linked to the register's enrolments via the CPR number.

    `enrolments` holds columns cpr, participant_id, enrolment, referral_date. Every row is returned or
    recorded in the ledger. Raises RawInputError for an unknown header or answer label.
    """
    mapping = ctx.codebook.map_headers(table, "survey", ctx.problems)
    header_of = {c: h for h, c in mapping.items() if c != DROP}
    ledger.read_file(table.file, "survey", ctx.wave, table.encoding, len(table.rows), table.blank_rows, table.set_aside)
    by_cpr = _enrolments_by_cpr(enrolments)
    answers = _AnswerReader(table, header_of, ctx)
    records, first_row_of = [], {}
    for row, values in zip(table.rows, ctx.codebook.canonical_records(table, mapping), strict=True):
        try:
            record = _clean_row(values, row, ctx, by_cpr, answers, header_of, ledger)
            key = (record["participant_id"], record["enrolment"])
            if key in first_row_of:
                raise RowRejected("cpr", "duplicate_response", same_as_row=first_row_of[key])
        except RowRejected as fault:
            column = table.column_ref(header_of[fault.column]) if fault.column in header_of else None
            ledger.reject(table.file, row, column, fault.reason, fault.same_as_row)
            continue
        first_row_of[key] = row
        ledger.keep(table.file)
        records.append(record)
    return pd.DataFrame(
        records, columns=["participant_id", "enrolment", "site", "wave", "response_date", *ANSWER_COLUMNS]
    )


def _enrolments_by_cpr(enrolments: pd.DataFrame) -> dict[str, list[tuple]]:
    """Each person's (referral_date, participant_id, enrolment) in referral order: plain tuples, because a
    lookup per answer row in pandas costs more than the rest of the cleaning at national scale."""
    ordered = enrolments.sort_values(["cpr", "referral_date"], kind="stable")
    by_cpr: dict[str, list[tuple]] = {}
    for cpr, referred, participant, enrolment in zip(
        ordered["cpr"], ordered["referral_date"], ordered["participant_id"], ordered["enrolment"], strict=True
    ):
        by_cpr.setdefault(cpr, []).append((referred, participant, int(enrolment)))
    return by_cpr


def _clean_row(
    values: dict,
    row: int,
    ctx: SurveyContext,
    by_cpr: dict,
    answers: _AnswerReader,
    header_of: dict[str, str],
    ledger: Ledger,
) -> dict:
    try:
        number = cprlib.normalise_cpr(values.get("cpr"))
    except ValueError as exc:
        raise RowRejected("cpr", cpr_fault(exc)) from None
    if number not in by_cpr:
        raise RowRejected("cpr", "respondent_not_in_register")
    if not cprlib.written_in_standard_form(values["cpr"]):
        ledger.repair(answers.table.file, row, answers.table.column_ref(header_of["cpr"]), "cpr_normalised")
    enrolments = by_cpr[number]
    try:
        answered = parse_date(values.get("response_date"), ctx.extraction_date.year, keep_day_of_timestamp=True)
    except ValueError:
        if len(enrolments) > 1:
            raise RowRejected("response_date", "response_date_unreadable_several_enrolments") from None
        ledger.repair(
            answers.table.file, row, answers.table.column_ref(header_of["response_date"]), "response_date_unreadable"
        )
        answered = None
    else:
        if answered is None:
            raise RowRejected("response_date", "response_date_missing")
        if answered > ctx.extraction_date:
            raise RowRejected("response_date", "date_after_extraction")
    answered_at = pd.NaT if answered is None else pd.Timestamp(answered)
    earlier = [e for e in enrolments if answered is not None and e[0] <= answered_at]
    _, participant, enrolment = earlier[-1] if earlier else enrolments[0]
    record = {
        "participant_id": participant,
        "enrolment": enrolment,
        "site": ctx.site,
        "wave": ctx.wave,
        "response_date": answered_at,
    }
    for column in ANSWER_COLUMNS:
        record[column] = answers.read(column, values.get(column), row, ledger) if column in header_of else None
    return record
