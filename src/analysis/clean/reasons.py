"""The catalogue of reasons the ledger records: stable keys, each with a one-line English text for terminals.

`rejected.csv`, `repairs.csv` and `quality.json` hold only these keys (never a raw cell value: file, row and
column are enough to find the cell). Pages render a key in their language from the report catalogue
(`row_reasons:` in src/analysis/reports/messages/{da,en}.yaml), which must hold every key listed here.
"""

from __future__ import annotations

from analysis.read.readers import (
    BOM_RULE,
    EXCEL_ERROR_RULE,
    MERGED_RULE,
    MOJIBAKE_RULE,
    TOTALS_REASON,
    TRUNCATED_REASON,
)

# Rejections: the row cannot be used, for want of something the analysis cannot do without.
REJECTIONS = {
    "empty_row": "empty row",
    "cpr_missing": "CPR number is missing",
    "cpr_not_ten_digits": "CPR number is not ten digits (expected DDMMYY-SSSS)",
    "cpr_impossible_birth_date": "CPR number holds an impossible date of birth",
    "cpr_invalid": "CPR number cannot be read",
    "age_out_of_range": (
        "CPR number and referral date give an age outside 0-110 at referral (check the CPR number's 7th "
        "digit, which sets the century, and the referral year)"
    ),
    "referral_track_missing": "referral track is missing",
    "referral_date_missing": "referral date is missing",
    "date_unreadable": "a key date is not a date in an accepted style, or names a day that does not exist",
    "date_after_extraction": "a key date is after the extraction date",
    "start_before_referral": "start_date is before referral_date",
    "end_without_start": "end_date is given but start_date is missing",
    "end_before_start": "end_date is before start_date",
    "duplicate_registration": "duplicate registration: same person and referral date as an earlier row",
    "respondent_not_in_register": "respondent is not in the site's register",
    "response_date_missing": "response date is missing",
    "response_date_unreadable_several_enrolments": (
        "response date cannot be read and the person has several enrolments, so the answer cannot be placed"
    ),
    "duplicate_response": "duplicate response: same enrolment and wave as an earlier row",
    "totals_row": TOTALS_REASON,
    "row_cut_off": TRUNCATED_REASON,
}

# Repairs: a value was changed (or set missing) and the row kept.
REPAIRS = {
    "cpr_normalised": "CPR number written without hyphen or with spaces",
    "association_mapped": "association spelling mapped via codebook",
    "activity_mapped": "activity spelling mapped via codebook",
    "subsidy_months_from_rule": "blank subsidy months taken from the config rule",
    "subsidy_months_unreadable": "unreadable or impossible subsidy months set missing; the config rule used",
    "dropout_reason_unknown": "missing reason for a recorded end set to unknown",
    "answer_out_of_scale": "answer outside its scale set missing",
    "minor_date_unreadable": "unreadable date in a column the analysis can do without set missing",
    "minor_date_after_extraction": "date after the extraction date in a column the analysis can do without set missing",
    "last_contact_before_referral": "last contact before referral set missing",
    "response_date_unreadable": "unreadable response date set missing; the answer kept for the only enrolment",
    "encoding_garbled": MOJIBAKE_RULE,
    "bom_removed": BOM_RULE,
    "excel_error_value": EXCEL_ERROR_RULE,
    "merged_cell_copied": MERGED_RULE,
}

# Flags: the row is kept unchanged, but something about it is implausible and counted in quality.json.
FLAGS = {
    "overlapping_enrolment": "the person's enrolments at this site overlap in time (re-referred while still active)",
    "enrolled_at_several_sites": "the person has overlapping enrolments at more than one site",
}

REASONS = {**REJECTIONS, **REPAIRS, **FLAGS}

# Rules and reasons the reader (analysis.read.readers) records as English text, and their keys.
_READER_RULES = {
    REASONS[k]: k
    for k in ("encoding_garbled", "bom_removed", "excel_error_value", "merged_cell_copied", "totals_row", "row_cut_off")
}


def reader_rule_key(rule: str) -> str:
    """The key of a repair the reader recorded; a rule the catalogue does not know yet is kept as it is
    (the reader's rules are fixed texts that never hold a cell value)."""
    return _READER_RULES.get(rule, rule)


def text(key: str) -> str:
    """The English one-line text of a key (for terminal messages); the key itself if unknown."""
    return REASONS.get(key, key)
