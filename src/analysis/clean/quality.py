"""Data-quality figures of a cleaned site: the ledger's tallies, missingness and response rates."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analysis.clean import reasons
from analysis.clean.ledger import Ledger
from analysis.project.loader import Project


def eligible_for_wave(participants: pd.DataFrame, wave: str, project: Project) -> pd.Series:
    """Which enrolments could have answered a wave by the extraction date (baseline: all of them)."""
    referral = participants["referral_date"]
    due = {
        "baseline": referral,
        "end": referral + pd.Timedelta(weeks=project.config["course_weeks"]),
        "followup": referral + pd.DateOffset(months=project.config["followup_months"]),
    }[wave]
    return due <= pd.Timestamp(project.extraction_date)


def site_quality(
    project: Project, site: str, participants: pd.DataFrame, responses: pd.DataFrame, ledger: Ledger
) -> dict:
    """Rows read/kept/rejected per file and reason, repairs per rule, missingness, response rate per wave.

    A wave the site has no export of (not surveyed there) has no response rate: it is left out."""
    rates = {}
    surveyed = {tally.wave for tally in ledger.files.values() if tally.kind == "survey"}
    for wave in (w for w in project.config["waves"] if w in surveyed):
        eligible = participants[eligible_for_wave(participants, wave, project)]
        answered = responses[responses["wave"] == wave][["participant_id", "enrolment"]].drop_duplicates()
        n_answered = len(answered.merge(eligible[["participant_id", "enrolment"]]))
        rates[wave] = {
            "eligible": len(eligible),
            "answered": n_answered,
            "rate": round(n_answered / len(eligible), 4) if len(eligible) else None,
        }
    return {
        "project": project.name,
        "site": site,
        "extraction_date": date.isoformat(project.extraction_date),
        "files": ledger.file_summaries(),
        "totals": {
            "read": sum(t.read for t in ledger.files.values()),
            "kept": sum(t.kept for t in ledger.files.values()),
            "rejected": sum(t.rejected for t in ledger.files.values()),
            "repairs": len(ledger.repairs),
            "flags": len(ledger.flags),
        },
        "enrolments": len(participants),
        "people": int(participants["participant_id"].nunique()),
        "missingness": {"participants": _missing_share(participants), "responses": _missing_share(responses)},
        "response_rate": rates,
    }


def _missing_share(frame: pd.DataFrame) -> dict[str, float | None]:
    if frame.empty:
        return {c: None for c in frame.columns}
    return {c: round(float(frame[c].isna().mean()), 4) for c in frame.columns}


def files_frame(quality: dict) -> pd.DataFrame:
    """One row per raw file: kind, wave, encoding, rows read, kept (of them repaired) and rejected."""
    columns = ["file", "kind", "wave", "encoding", "read", "kept", "repaired", "rejected"]
    return pd.DataFrame([{c: f[c] for c in columns} for f in quality["files"]], columns=columns)


def reasons_frame(quality: dict, field: str = "rejected_by_reason") -> pd.DataFrame:
    """Counts of rejections by reason (with field='repairs_by_rule' repairs by rule, with 'flags_by_flag' flags)
    per file: the key, its English text (this notebook's language; the reports use the message catalogue), the
    count and the first rows."""
    first = {"rejected_by_reason": "rejected", "repairs_by_rule": "repairs", "flags_by_flag": "flags"}[field]
    rows = [
        {
            "file": f["file"],
            "reason": key,
            "text": reasons.text(key),
            "rows": n,
            "first_rows": ", ".join(map(str, f["first_rows"][first].get(key, []))),
        }
        for f in quality["files"]
        for key, n in f.get(field, {}).items()
    ]
    return pd.DataFrame(rows, columns=["file", "reason", "text", "rows", "first_rows"])


def response_rate_frame(quality: dict) -> pd.DataFrame:
    """Per wave: enrolments that could have answered by the extraction date, those who did, and the rate."""
    rows = [{"wave": wave, **figures} for wave, figures in quality["response_rate"].items()]
    return pd.DataFrame(rows, columns=["wave", "eligible", "answered", "rate"])
