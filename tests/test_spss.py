"""SPSS .sav survey exports: headers from variable labels, answers from value labels, and a site cleaned end to end.

Every .sav file is generated here with pyreadstat.write_sav, as SurveyXact/Enalyzer write them: the question
text in the variable label, the answer texts in value labels, "Ved ikke" as a user-missing code.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from conftest import DEFAULT_PROJECT, REPO
from openpyxl import Workbook

from analysis.clean.pseudonym import load_key, pseudonymise
from analysis.clean.site import clean_site
from analysis.core.errors import RawInputError
from analysis.project.loader import load_project
from analysis.read.readers import read_raw_table

CODEBOOK = yaml.safe_load((REPO / "config" / "projects" / DEFAULT_PROJECT / "codebook.yaml").read_text("utf-8"))
QUESTION = {c: CODEBOOK["survey"]["columns"][c][0] for c in ("cpr", "response_date", "job_readiness")}
WHO5 = [f"who5_{i}" for i in range(1, 6)]
QUESTION.update({c: CODEBOOK["survey"]["columns"][c][0] for c in WHO5})
_scale = CODEBOOK["scales"]["who5"]
# SurveyXact's codes (1 = first option shown) labelled with the codebook's answer texts, plus "Ved ikke" = 9
WHO5_LABELS = {float(code): _scale["labels"][score][0] for code, score in _scale["codes"].items()} | {9.0: "Ved ikke"}
DONT_KNOW = 9.0


def _sav(path, frame, *, labelled=True, **options):
    """Write `frame` as a survey export: question texts as variable labels, WHO-5 value labels if `labelled`."""
    labels = {c: QUESTION[c] for c in frame.columns if c in QUESTION}
    value_labels = {c: WHO5_LABELS for c in WHO5 if c in frame.columns} if labelled else {}
    missing = {c: [DONT_KNOW] for c in WHO5 if c in frame.columns}
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=options.pop("column_labels", labels),
        variable_value_labels=value_labels,
        missing_ranges=missing,
        variable_format={"response_date": "DATE11"} | options.pop("variable_format", {}),
        **options,
    )
    return path


def _answers(*rows):
    """A survey frame: cpr, navn, response_date, who5_1..5 (codes), job_readiness."""
    columns = ["cpr", "navn", "response_date", *WHO5, "job_readiness"]
    frame = pd.DataFrame([list(r) for r in rows], columns=columns)
    frame[[*WHO5, "job_readiness"]] = frame[[*WHO5, "job_readiness"]].astype(float)
    return frame


def test_headers_are_variable_labels_and_answers_are_value_labels(tmp_path):
    frame = _answers(
        ("710385-1233", "Ole Hansen", date(2021, 1, 5), 1, 5, 6, 2, 3, 7),
        ("", "", None, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan),  # an empty case
        ("720385-1234", "Kim", date(2021, 2, 1), DONT_KNOW, 1, 7, 1, 1, 3.5),
    )
    table = read_raw_table(_sav(tmp_path / "survey_baseline.sav", frame))
    assert list(table.frame.columns) == [
        QUESTION["cpr"],
        "navn",
        QUESTION["response_date"],
        *(QUESTION[c] for c in WHO5),
        QUESTION["job_readiness"],
    ]
    assert table.rows == [2, 4] and table.blank_rows == [3]
    ole, kim = (dict(zip(frame.columns, values, strict=True)) for values in table.frame.itertuples(index=False))
    assert ole["cpr"] == "710385-1233" and ole["navn"] == "Ole Hansen"
    assert ole["response_date"] == date(2021, 1, 5)
    assert [ole[c] for c in WHO5] == [
        "Hele tiden",
        "Lidt af tiden",
        "På intet tidspunkt",
        "Det meste af tiden",
        "Lidt mere end halvdelen af tiden",
    ]
    assert ole["job_readiness"] == 7 and isinstance(ole["job_readiness"], int)  # unlabelled number stays a number
    assert kim["who5_1"] is None  # user-missing "Ved ikke" is blank
    assert kim["who5_3"] == 7  # a code without a value label stays a number
    assert kim["job_readiness"] == 3.5
    assert table.column_ref(QUESTION["who5_1"]) == f"{QUESTION['who5_1']} [who5_1]"
    assert table.column_ref("navn") == "navn [navn]" and table.encoding == "UTF-8"


def test_datetimes_stay_datetimes_and_n_format_numbers_keep_leading_zeros(tmp_path):
    frame = pd.DataFrame(
        {
            "cpr": [101901234.0, np.nan],
            "svar": [datetime(2021, 1, 5, 10, 30), datetime(2021, 2, 1)],
            "antal": [2.0, np.nan],
        }
    )
    path = _sav(
        tmp_path / "s.sav",
        frame,
        column_labels=None,
        variable_format={"cpr": "N10", "svar": "DATETIME20", "antal": "F8.0"},
    )
    table = read_raw_table(path)
    assert list(table.frame.columns) == ["cpr", "svar", "antal"]  # no labels: the variable names
    assert table.frame["cpr"].tolist() == ["0101901234", None]  # as SPSS shows an N10 CPR number
    assert table.frame["svar"].tolist() == [datetime(2021, 1, 5, 10, 30), datetime(2021, 2, 1)]
    assert type(table.frame.iloc[0, 1]) is datetime and table.frame["antal"].tolist() == [2, None]


def test_two_variables_with_the_same_label_are_a_duplicate_header(tmp_path):
    frame = pd.DataFrame({"q1": [1.0], "q2": [2.0]})
    path = _sav(tmp_path / "s.sav", frame, column_labels={"q1": "Dato", "q2": "Dato"})
    with pytest.raises(RawInputError, match=r"row 1, column 'q2': header 'Dato' appears twice \(columns q1 and q2\)"):
        read_raw_table(path)


@pytest.mark.parametrize("content", [b"CPR;Navn\r\n710385-1233;Ole\r\n", b"$FL2@(#) truncated"])
def test_an_unreadable_sav_gives_a_one_line_error_naming_the_file(tmp_path, content):
    path = tmp_path / "survey_baseline.sav"
    path.write_bytes(content)
    with pytest.raises(RawInputError, match=r"not a readable SPSS \.sav file") as caught:
        read_raw_table(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_a_truncated_sav_gives_a_one_line_error(tmp_path):
    good = _sav(tmp_path / "good.sav", _answers(("710385-1233", "Ole", date(2021, 1, 5), 1, 1, 1, 1, 1, 5)))
    path = tmp_path / "survey_end.sav"
    path.write_bytes(good.read_bytes()[:-16])
    with pytest.raises(RawInputError, match="not a readable SPSS") as caught:
        read_raw_table(path)
    assert "\n" not in str(caught.value)


# --- a hand-made site cleaned end to end (the approach of test_clean_site.py) ---

REGISTER_HEADER = [
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
REGISTER_ROW = [
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
    None,
]


def _clean(root, site, survey, *, labelled):
    folder = root / "data" / "raw" / DEFAULT_PROJECT / site
    book = Workbook()
    book.active.append(REGISTER_HEADER)
    book.active.append(REGISTER_ROW)
    book.active.append([*REGISTER_ROW[:1], "7203851234", *REGISTER_ROW[2:]])
    book.save(folder / "register.xlsx")
    _sav(folder / "survey_baseline.sav", survey, labelled=labelled)
    project = load_project(DEFAULT_PROJECT, root)
    return project, clean_site(project, site)


SURVEY = _answers(
    ("710385-1233", "Ole Hansen", date(2021, 1, 5), 1, 5, 6, 2, 3, 7),
    ("7203851234", "Kim", date(2021, 1, 5), DONT_KNOW, 1, 1, 1, 1, 10),
    ("8101901231", "Ukendt Person", date(2021, 1, 5), 1, 1, 1, 1, 1, 5),
)


@pytest.mark.parametrize(
    ("site", "labelled"),
    [("assens", True), ("broenderslev", False)],
    ids=["labels-site-with-value-labels", "codes-site-without-value-labels"],
)
def test_a_sav_survey_is_cleaned_into_who5_scores(site_root, site, labelled):
    project, result = _clean(site_root, site, SURVEY, labelled=labelled)
    assert project.site(site)["survey_coding"] == ("labels" if labelled else "codes")
    responses, key = result.responses, load_key(project)
    assert len(responses) == 2 and result.ledger.unreconciled() == []
    ole = responses[responses["participant_id"] == pseudonymise("7103851233", key)].iloc[0]
    assert [ole[c] for c in WHO5] == [5, 1, 0, 4, 3]
    assert (ole["who5_raw"], ole["who5_pct"], ole["job_readiness"]) == (13, 52, 7)
    assert ole["response_date"] == pd.Timestamp("2021-01-05") and ole["wave"] == "baseline"
    kim = responses[responses["participant_id"] == pseudonymise("7203851234", key)].iloc[0]
    assert pd.isna(kim["who5_1"]) and pd.isna(kim["who5_raw"]) and kim["who5_2"] == 5
    rejected = result.ledger.rejected_frame()
    assert rejected.set_index("row")["reason"].to_dict() == {4: "respondent_not_in_register"}
    assert rejected["file"].tolist() == [f"data/raw/{DEFAULT_PROJECT}/{site}/survey_baseline.sav"]


def test_value_labels_at_a_codes_site_stop_the_job_naming_the_cell(site_root):
    with pytest.raises(
        RawInputError,
        match=r"survey_baseline.sav, row 2, column '.* \[who5_1\]': answer "
        r"'Hele tiden' is not a number",
    ):
        _clean(site_root, "broenderslev", SURVEY, labelled=True)
