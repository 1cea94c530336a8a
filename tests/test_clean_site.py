"""Cleaning a small hand-made site: every rule, the ledger reconciliation and the privacy of outputs."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from conftest import DEFAULT_PROJECT
from openpyxl import Workbook

from analysis.clean.pseudonym import load_key, pseudonymise
from analysis.clean.site import clean_site, write_site_outputs
from analysis.core.errors import RawInputError
from analysis.project.loader import load_project

SITE = "assens"
HEADER = [
    "Navn",
    "CPR-nr.",
    "Telefon",
    "Henvist fra",
    "Henvisningsdato",
    "Opstartsdato",
    "Forening",
    "Aktivitet",
    "Nyt hold",
    "Ledsaget",
    "Kontingentstøtte (mdr.)",
    "Udmeldt",
    "Årsag til stop",
    "Sidste kontakt",
    "Bemærkninger",
]
GOOD = [
    "Ole Hansen",
    "710385-1233",
    "20 30 40 50",
    "Sundhed",
    datetime(2021, 1, 4),
    "20-01-2021",
    "Asens Svømmeklub",
    "Svømmehold",
    "nej",
    "ja",
    6,
    "15.09.21",
    "Økonomi",
    None,
    "Ringet til Ole 3/5",
]


def _register(path, rows):
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    book.save(path)


def _row(**changes):
    row = dict(zip(HEADER, GOOD, strict=True))
    row.update(changes)
    return [row[h] for h in HEADER]


def _clean(root, register_rows, survey_text=None):
    folder = root / "data" / "raw" / DEFAULT_PROJECT / SITE
    _register(folder / "register.xlsx", register_rows)
    if survey_text is not None:
        (folder / "survey_baseline.csv").write_bytes(b"\xef\xbb\xbf" + survey_text.encode("utf-8"))
    project = load_project(DEFAULT_PROJECT, root)
    return project, clean_site(project, SITE)


def test_rows_are_kept_or_rejected_with_reasons_and_the_ledger_reconciles(site_root):
    rows = [
        _row(),
        _row(),  # exact duplicate registration
        _row(**{"Henvisningsdato": "01-06-2022", "Opstartsdato": None, "Udmeldt": None, "Årsag til stop": None}),
        _row(**{"CPR-nr.": "720385 1234", "Udmeldt": "01-01-2021"}),  # ends before it starts
        _row(**{"CPR-nr.": None}),
        _row(**{"CPR-nr.": "7203851"}),
        _row(**{"CPR-nr.": "7303851236", "Henvisningsdato": "29-02-2021"}),
        _row(**{"CPR-nr.": "7403851237", "Kontingentstøtte (mdr.)": None, "Udmeldt": None, "Årsag til stop": None}),
        [None] * len(HEADER),
        _row(**{"CPR-nr.": "7503851238", "Udmeldt": "01.02.22", "Årsag til stop": None}),
    ]
    project, result = _clean(site_root, rows)
    ledger = result.ledger.rejected_frame()
    assert result.ledger.unreconciled() == []
    tally = result.quality["files"][0]
    assert (tally["read"], tally["kept"], tally["rejected"]) == (10, 4, 6)
    reasons = dict(zip(ledger["row"], ledger["reason"], strict=True))
    assert reasons[3] == "duplicate_registration" and ledger.set_index("row")["same_as_row"][3] == 2
    assert reasons[5] == "end_before_start"
    assert reasons[6] == "cpr_missing" and reasons[7] == "cpr_not_ten_digits"
    assert reasons[8] == "date_unreadable" and reasons[10] == "empty_row"
    assert set(ledger.loc[ledger["row"] == 5, "column"]) == {"Udmeldt [L]"}

    people = result.participants
    key = load_key(project)
    ole = people[people["participant_id"] == pseudonymise("7103851233", key)]
    first = ole[ole["enrolment"] == 1].iloc[0]
    assert first["referral_date"] == pd.Timestamp("2021-01-04")
    assert (first["association"], first["activity"]) == ("Assens Svømmeklub", "Svømning")
    assert (first["age"], first["sex"], first["referral_track"]) == (35, "male", "health")
    assert first["subsidy_end_date"] == pd.Timestamp("2021-07-20") and first["dropout_reason"] == "cost"
    rereferral = people[people["participant_id"] == first["participant_id"]]
    assert sorted(rereferral["enrolment"]) == [1, 2]
    blank_subsidy = people[people["participant_id"] == pseudonymise("7403851237", key)].iloc[0]
    assert blank_subsidy["subsidy_months"] == 6  # the config rule for assens
    no_reason = people[people["participant_id"] == pseudonymise("7503851238", key)].iloc[0]
    assert no_reason["dropout_reason"] == "unknown"
    rules = set(result.ledger.repairs_frame()["rule"])
    assert {"association_mapped", "activity_mapped", "subsidy_months_from_rule", "dropout_reason_unknown"} <= rules


def test_unknown_header_and_unknown_label_stop_the_site_naming_the_cell(site_root):
    folder = site_root / "data" / "raw" / DEFAULT_PROJECT / SITE
    folder.mkdir(parents=True, exist_ok=True)
    expected = r"register.xlsx, row 4, column 'Henvist fra \[D\]': unknown value 'Frisør'"
    with pytest.raises(RawInputError, match=expected):
        _clean(site_root, [_row(), _row(**{"CPR-nr.": "7203851234"}), _row(**{"Henvist fra": "Frisør"})])
    book = Workbook()
    book.active.append(["CPR-nr.", "Skostørrelse"])
    book.save(folder / "register.xlsx")
    with pytest.raises(RawInputError, match=r"row 1, column 'Skostørrelse \[B\]': unknown header"):
        clean_site(load_project(DEFAULT_PROJECT, site_root), SITE)


SURVEY = (
    "CPR;Navn;E-mail;Besvarelsesdato;Jeg har været glad og i godt humør;Jeg har følt mig rolig og afslappet;"
    "Jeg har følt mig aktiv og energisk;Jeg er vågnet frisk og udhvilet;"
    "Min dagligdag har været fyldt med ting der interesserer mig;Kommentar\r\n"
    "710385-1233;Ole Hansen;ole@eksempel.dk;05-01-2021;Hele tiden;Lidt af tiden;På intet tidspunkt;"
    "Det meste af tiden;Lidt mere end halvdelen af tiden;Godt forløb\r\n"
    "710385-1233;Ole Hansen;ole@eksempel.dk;06-01-2021;"
    "Hele tiden;Hele tiden;Hele tiden;Hele tiden;Hele tiden;\r\n"
    "8101901231;Ukendt Person;;05-01-2021;Hele tiden;Hele tiden;Hele tiden;Hele tiden;Hele tiden;\r\n"
    "720385-1234;Kim;;05-01-2021;Ved ikke;Hele tiden;Hele tiden;Hele tiden;Hele tiden;\r\n"
)


def test_survey_answers_link_to_enrolments_and_score_who5(site_root):
    rows = [_row(), _row(**{"CPR-nr.": "7203851234"})]
    project, result = _clean(site_root, rows, SURVEY)
    responses = result.responses
    assert len(responses) == 2 and result.ledger.unreconciled() == []
    ole = responses[responses["participant_id"] == pseudonymise("7103851233", load_key(project))].iloc[0]
    assert (ole["who5_raw"], ole["who5_pct"], ole["wave"]) == (5 + 1 + 0 + 4 + 3, 52, "baseline")
    kim = responses[responses["participant_id"] != ole["participant_id"]].iloc[0]
    assert pd.isna(kim["who5_1"]) and pd.isna(kim["who5_raw"])
    reasons = result.ledger.rejected_frame().set_index("row")["reason"]
    assert reasons[3] == "duplicate_response" and reasons[4] == "respondent_not_in_register"


def test_outputs_hold_no_personal_data(site_root):
    project, result = _clean(site_root, [_row(), _row(**{"CPR-nr.": "7203851234"})], SURVEY)
    out = site_root / "data" / "processed" / DEFAULT_PROJECT / "sites" / SITE
    write_site_outputs(result, out)
    blob = b"".join(p.read_bytes() for p in sorted(out.iterdir()))
    for secret in ("710385", "7103851233", "Ole Hansen", "20 30 40 50", "ole@eksempel.dk", "Ringet", "Godt forløb"):
        assert secret.encode() not in blob, secret
