"""Cleaning one site: raw register and surveys in, canonical tables, ledger and quality report out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.clean.ledger import Ledger
from analysis.clean.pseudonym import load_key
from analysis.clean.quality import site_quality
from analysis.clean.reasons import reader_rule_key
from analysis.clean.register import RegisterContext, clean_register
from analysis.clean.survey import SurveyContext, clean_survey
from analysis.core import outputs
from analysis.core.errors import RawInputError
from analysis.core.tables import PARTICIPANTS, RESPONSES, as_canonical
from analysis.core.vocabulary import PARTICIPANT_DTYPES, PARTICIPANT_KEY, RESPONSE_DTYPES, RESPONSE_KEY, WHO5_ITEMS
from analysis.project.loader import Project, site_raw_files
from analysis.read.codebook import normalise_label
from analysis.read.readers import RawTable, read_raw_table

SITE_OUTPUTS = ("participants.parquet", "responses.parquet", "rejected.csv", "repairs.csv", "quality.json")


@dataclass
class SiteResult:
    """The cleaned tables of one site with its ledger and quality report."""

    site: str
    participants: pd.DataFrame
    responses: pd.DataFrame
    ledger: Ledger
    quality: dict


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _read(path: Path, project: Project, ledger: Ledger, notes: list | None = None) -> RawTable:
    """Read a raw file, naming it relative to the project root in every later message and ledger row.

    The header row and data sheet are found with the codebook's header spellings. The reader's repairs of
    the file itself (encoding, Excel error values, merged cells) go to the ledger; what it passed over
    (title rows, other sheets) goes to `notes`, one line each naming the file.
    """
    file = _relative(path, project.root)
    known = {**project.codebook.header_lookup("register"), **project.codebook.header_lookup("survey")}
    try:
        table = read_raw_table(path, lambda header: normalise_label(header) in known)
    except RawInputError as error:
        raise RawInputError(file, error.detail, error.row, error.column) from error
    table.file = file
    for row, column, rule in table.repairs:
        ledger.repair(table.file, row, column, reader_rule_key(rule))
    if notes is not None:
        notes.extend(f"{file}: {note}" for note in table.notes)
    return table


def clean_site(project: Project, site: str, problems: list | None = None, notes: list | None = None) -> SiteResult:
    """Clean every raw file of a site. Raises RawInputError or ConfigError on a fault that stops the site.

    With a `problems` list, unknown headers and values are collected there instead of stopping at the first
    (for `python -m analysis check`); the tables returned then leave those values out and must not be used.
    With a `notes` list, what the reader passed over in each file (title rows above the header, sheets
    other than the data sheet) is listed there.
    """
    sheet = project.site(site)
    key = load_key(project)
    ledger = Ledger()
    files = site_raw_files(project, site)
    register_file = next(p for p in files if p.stem == "register")
    ctx = RegisterContext(
        site=site,
        bridging_model=sheet["bridging_model"],
        reports_end_status=sheet["reports_end_status"],
        extraction_date=project.extraction_date,
        subsidy_rules=project.config.get("subsidy_rules", {}).get(site, []),
        codebook=project.codebook,
        key=key,
        problems=problems,
    )
    enrolments = clean_register(_read(register_file, project, ledger, notes), ctx, ledger)
    waves = []
    for path in (p for p in files if p.stem.startswith("survey_")):
        table = _read(path, project, ledger, notes)
        survey_ctx = SurveyContext(
            site=site,
            wave=path.stem.removeprefix("survey_"),
            coding=sheet["survey_coding"],
            extraction_date=project.extraction_date,
            codebook=project.codebook,
            problems=problems,
        )
        waves.append(clean_survey(table, survey_ctx, enrolments, ledger))
    participants = as_canonical(enrolments, PARTICIPANT_DTYPES, PARTICIPANT_KEY)
    responses = as_canonical(_with_who5_scores(waves), RESPONSE_DTYPES, RESPONSE_KEY)
    PARTICIPANTS.validate(participants)
    RESPONSES.validate(responses)
    if ledger.unreconciled():
        raise AssertionError(f"ledger does not reconcile for {ledger.unreconciled()}")
    quality = site_quality(project, site, participants, responses, ledger)
    return SiteResult(site, participants, responses, ledger, quality)


def _with_who5_scores(waves: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(waves, ignore_index=True) if waves else pd.DataFrame(columns=list(RESPONSE_DTYPES))
    items = frame[WHO5_ITEMS].astype("Float64")
    raw = items.sum(axis=1, min_count=5).where(items.notna().all(axis=1))
    frame["who5_raw"] = raw.astype("Int64")
    frame["who5_pct"] = (raw * 4).astype("Int64")
    return frame


def write_site_outputs(result: SiteResult, out_dir: str | Path) -> list[Path]:
    """Write a site's canonical tables, ledger, repairs and quality report, each atomically."""
    out_dir = Path(out_dir)
    written = [
        outputs.write_parquet(result.participants, out_dir / "participants.parquet"),
        outputs.write_parquet(result.responses, out_dir / "responses.parquet"),
        outputs.write_csv(result.ledger.rejected_frame(), out_dir / "rejected.csv"),
        outputs.write_csv(result.ledger.repairs_frame(), out_dir / "repairs.csv"),
        outputs.write_json(result.quality, out_dir / "quality.json"),
    ]
    return written
