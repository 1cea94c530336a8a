"""Raw exports shaped as evaluators receive them, which the project's simulator does not write.

Each shape is a site's raw folder (file name -> bytes) made from fixed data, so every run writes the same
bytes, with what `check` and the clean stage must make of it. The shapes follow how the tools and people
really save their files:
- a hand-kept Excel register: a summary sheet before the data sheet, a merged title and an extraction note
  above the header, a hidden phone column, dates as date cells, Excel serial numbers and Danish text
  ("10. jun. 2021", "1/2-2021"), a blank row and "I alt" / "Gennemsnit" rows under the data;
- the same register saved as CSV from Danish Excel in Latin-1 (';', title padded with separators, a
  "Sum" row), with a note holding a byte that Windows-1252 leaves undefined;
- SurveyXact answers saved as Excel's "Unicode text" (UTF-16 with a byte-order mark, tab-separated),
  with a comment cell spanning three lines before a row with a mistyped CPR number;
- an Enalyzer workbook: report title and "Antal besvarelser" above the header, month-name answer dates,
  a "Total" row;
- an SPSS .sav survey as SurveyXact writes it (question text as variable labels, value labels on);
- faults that must stop with one line: a CSV survey cut off inside its last row, a cell of 200,000
  characters, a password-protected workbook.

It knows nothing of `analysis.simulation`; CPR numbers are the bad-input corpus's substitute numbers
(day of birth + 60), so none can belong to a real person.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bad_inputs.make_corpus import cpr, repack
from openpyxl import Workbook

REGISTER_HEADER = [
    "Navn",
    "CPR-nr.",
    "Telefon",
    "Henvist fra",
    "Henvisningsdato",
    "Opstartsdato",
    "Forening",
    "Aktivitet",
    "Kontingentstøtte (mdr.)",
    "Udmeldt",
    "Årsag til stop",
    "Bemærkninger",
]
SURVEY_HEADER = [
    "CPR",
    "Navn",
    "Besvarelsesdato",
    "Jeg har været glad og i godt humør",
    "Jeg har følt mig rolig og afslappet",
    "Jeg har følt mig aktiv og energisk",
    "Jeg er vågnet frisk og udhvilet",
    "Min dagligdag har været fyldt med ting der interesserer mig",
    "Hvor klar føler du dig til at komme i job? (0-10)",
    "Kommentar",
]
# WHO-5 labels as the default project's codebook scores them, and the five answers each respondent gives.
WHO5 = {"Hele tiden": 5, "Det meste af tiden": 4, "Lidt mere end halvdelen af tiden": 3, "Lidt af tiden": 1}
ANSWERS = ["Hele tiden", "Det meste af tiden", "Lidt mere end halvdelen af tiden", "Lidt af tiden", "Hele tiden"]

# Referral and start dates as hand-kept registers write them, with the day each one means.
REFERRALS: list[tuple[object, date]] = [
    (datetime(2021, 1, 4), date(2021, 1, 4)),  # a date cell
    ("10. jun. 2021", date(2021, 6, 10)),
    (44256, date(2021, 3, 1)),  # an Excel serial number in a cell formatted as a number
    ("1/2-2021", date(2021, 2, 1)),
]
STARTS: list[tuple[object, date | None]] = [
    ("20. januar 2021", date(2021, 1, 20)),
    ("15 jun 21", date(2021, 6, 15)),
    (None, None),
    ("3. maj 2021", date(2021, 5, 3)),
]


@dataclass(frozen=True)
class Shape:
    """A site folder shaped like a real export, and what the pipeline must make of it.

    `files` name -> bytes; `file` the file under test. For a readable shape: `read`, `kept` and `rejected`
    (rows under the header) with `reasons` (reason -> count) and `values` ("table.column" -> sorted values
    of the kept rows); `notes` are texts that `check` must name (what it passed over). For an unreadable
    one: `error`, the text of its one-line message, with `row` when it names one.
    """

    name: str
    file: str
    files: Callable[[], dict[str, bytes]]
    read: int = 0
    kept: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    values: dict[str, list] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    rejected_rows: dict[int, str] = field(default_factory=dict)  # row -> column named in the ledger
    error: str | None = None
    row: int | None = None


def _register_rows(people: range) -> list[list[object]]:
    rows = []
    for i in people:
        referral, _ = REFERRALS[i % len(REFERRALS)]
        start, _ = STARTS[i % len(STARTS)]
        row = {
            "Navn": f"Testperson {i}",
            "CPR-nr.": cpr(i),
            "Telefon": f"2{i:07d}",
            "Henvist fra": "Sundhed",
            "Henvisningsdato": referral,
            "Opstartsdato": start,
            "Forening": "Assens Svømmeklub",
            "Aktivitet": "Svømning",
            "Kontingentstøtte (mdr.)": 6,
            "Udmeldt": None,
            "Årsag til stop": None,
            "Bemærkninger": "ringes op\nigen i august" if i == 1 else None,
        }
        rows.append([row[h] for h in REGISTER_HEADER])
    return rows


def _survey_row(i: int, answered: object, comment: str | None = None) -> list[object]:
    return [cpr(i), f"Testperson {i}", answered, *ANSWERS, "7", comment]


def _workbook_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return repack(out.getvalue())


def hand_kept_register() -> bytes:
    """Register workbook: summary sheet first; on the data sheet a merged title (row 1), an extraction note
    (row 2), a blank row, the header in row 4, four people (rows 5-8), a blank row and two totals rows."""
    book = Workbook()
    summary = book.active
    summary.title = "Oversigt"
    for line in (["Henvisninger i alt", 4], ["Heraf startet", 3], ["Opdateret", datetime(2023, 2, 28)]):
        summary.append(line)
    data = book.create_sheet("Henvisninger")
    data.append(["Motion på recept – henvisninger 2021"])
    data.merge_cells("A1:F1")
    data.append(["Udtrukket", datetime(2023, 3, 1)])
    data.append([])
    data.append(REGISTER_HEADER)
    for row in _register_rows(range(4)):
        data.append(row)
    data.append([])
    data.append(["I alt", None, None, None, None, None, None, None, 24])
    data.append(["Gennemsnit", None, None, None, None, None, None, None, 6])
    data.column_dimensions["C"].hidden = True  # the phone column, hidden but still there
    return _workbook_bytes(book)


def danish_excel_csv_register() -> bytes:
    """The register saved by Danish Excel as CSV in Latin-1: ';', every row padded to the full width, a
    title row, the header in row 3, four people, a "Sum" row; one note holds byte 0x81 (no character in
    Windows-1252, a control character in Latin-1)."""
    width = len(REGISTER_HEADER)
    lines = [["Henvisninger, Assens 2021", *[""] * (width - 1)], [""] * width, REGISTER_HEADER]
    for row in _register_rows(range(4, 8)):
        text = ["" if v is None else v.strftime("%d-%m-%Y") if isinstance(v, datetime) else str(v) for v in row]
        lines.append([t.replace("\n", " ") for t in text])
    lines[-1][REGISTER_HEADER.index("Bemærkninger")] = "kører selv\x81"
    lines.append(["Sum", *[""] * 7, "24", "", "", ""])
    return "".join(";".join(line) + "\r\n" for line in lines).encode("latin-1")


def unicode_text_survey() -> bytes:
    """SurveyXact answers saved as Excel's "Unicode text": UTF-16 LE with a byte-order mark, tab-separated,
    quoted cells only where needed. Person 1's comment (row 3) spans three lines; the last record (row 5 in
    Excel, line 7 of the file) has a CPR number with a digit missing."""
    rows = [
        SURVEY_HEADER,
        _survey_row(0, "10-06-2021 14:32"),
        _survey_row(1, "11-06-2021 09:05", "Godt hold\nSøde trænere\nTak"),
        _survey_row(2, "12-06-2021 18:40"),
        [cpr(3)[:-1], *_survey_row(3, "12-06-2021 19:00")[1:]],
    ]

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return f'"{text}"' if "\n" in text or "\t" in text else text

    text = "".join("\t".join(cell(v) for v in row) + "\r\n" for row in rows)
    return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")


def enalyzer_survey() -> bytes:
    """An Enalyzer workbook: report title, "Antal besvarelser: 3" and a blank row above the header (row 4),
    answer dates written with month names, then a "Total" row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["Enalyzer – Trivsel ved opstart"])
    sheet.append(["Antal besvarelser: 3"])
    sheet.append([])
    sheet.append(SURVEY_HEADER)
    for i, answered in enumerate(["10. jun. 2021", "1. februar 2021", "5. okt. 2021", "12. sept. 2021"]):
        sheet.append(_survey_row(i, answered))
    sheet.append(["Total", None, None, 4])
    return _workbook_bytes(book)


def spss_survey(path: Path) -> bytes:
    """An SPSS file as SurveyXact writes it: variable names q1..q5, question text as variable labels, the
    answers as codes 1-6 with value labels, the answer date as an SPSS date."""
    import pandas as pd
    import pyreadstat

    codes = {
        text: code
        for code, text in enumerate(
            [
                "Hele tiden",
                "Det meste af tiden",
                "Lidt mere end halvdelen af tiden",
                "Lidt mindre end halvdelen af tiden",
                "Lidt af tiden",
                "På intet tidspunkt",
            ],
            start=1,
        )
    }
    frame = pd.DataFrame(
        {
            "cpr": [cpr(i).replace("-", "") for i in range(3)],
            "svardato": [date(2021, 6, 10), date(2021, 6, 11), date(2021, 6, 12)],
            **{f"q{k}": [float(codes[ANSWERS[k - 1]])] * 3 for k in range(1, 6)},
        }
    )
    labels = {"cpr": "CPR", "svardato": "Besvarelsesdato"} | {f"q{k}": SURVEY_HEADER[2 + k] for k in range(1, 6)}
    value_labels = {f"q{k}": {float(c): t for t, c in codes.items()} for k in range(1, 6)}
    pyreadstat.write_sav(frame, str(path), column_labels=labels, variable_value_labels=value_labels)
    return path.read_bytes()


def cut_off_survey() -> bytes:
    """A UTF-8 CSV survey whose copy stopped inside its last row: three whole rows, then half a row."""
    lines = [
        ";".join("" if v is None else str(v) for v in row)
        for row in [SURVEY_HEADER, *(_survey_row(i, "10-06-2021") for i in range(4))]
    ]
    return ("\r\n".join(lines[:4]) + "\r\n" + lines[4][: len(lines[4]) // 2]).encode("utf-8")


def over_long_cell_survey() -> bytes:
    """A survey whose second row holds a comment of 200,000 characters (more than a CSV cell may hold)."""
    rows = [SURVEY_HEADER, _survey_row(0, "10-06-2021"), _survey_row(1, "10-06-2021", "x" * 200_000)]
    return "".join(";".join("" if v is None else str(v) for v in row) + "\r\n" for row in rows).encode("utf-8")


def password_protected_workbook() -> bytes:
    """The start of what Excel writes for a workbook saved with a password: an OLE2 compound file whose
    directory holds the streams "EncryptionInfo" and "EncryptedPackage" (not the zip of an .xlsx)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHH", 0x3E, 3, 0xFFFE) + bytes(486)
    entries = b"".join(
        name.encode("utf-16-le").ljust(128, b"\x00") for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage")
    )
    return header + entries + bytes(512 - len(entries) % 512)


def simple_register(people: range) -> bytes:
    """A plain register (header in row 1) for the people a survey shape answers for."""
    book = Workbook()
    sheet = book.active
    sheet.append(REGISTER_HEADER)
    for row in _register_rows(people):
        sheet.append(row)
    return _workbook_bytes(book)


def _sav(make: Callable[[Path], bytes]) -> Callable[[], bytes]:
    def bytes_of() -> bytes:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            return make(Path(folder) / "survey.sav")

    return bytes_of


_REFERRED = sorted(d for _, d in REFERRALS)
_TOTALS = "totals_row"
_CUT = "row_cut_off"

SHAPES = [
    Shape(
        "hand_kept_register",
        "register.xlsx",
        lambda: {"register.xlsx": hand_kept_register()},
        read=7,
        kept=4,
        rejected=3,
        reasons={"empty_row": 1, _TOTALS: 2},
        values={
            "participants.referral_date": _REFERRED,
            "participants.start_date": sorted(d for _, d in STARTS if d) + [None],
            "participants.subsidy_months": [6, 6, 6, 6],
        },
        notes=(
            "rows 1-3 above the header (row 4) not read",
            "sheet 'Oversigt' not read (not the data)",
            "data read from sheet 'Henvisninger', not the first sheet",
        ),
    ),
    Shape(
        "danish_excel_csv_register",
        "register.csv",
        lambda: {"register.csv": danish_excel_csv_register()},
        read=5,
        kept=4,
        rejected=1,
        reasons={_TOTALS: 1},
        values={"participants.referral_date": _REFERRED},
        notes=("rows 1-2 above the header (row 3) not read",),
    ),
    Shape(
        "surveyxact_unicode_text",
        "survey_baseline.txt",
        lambda: {"register.xlsx": simple_register(range(4)), "survey_baseline.txt": unicode_text_survey()},
        read=4,
        kept=3,
        rejected=1,
        values={
            "responses.response_date": [date(2021, 6, 10), date(2021, 6, 11), date(2021, 6, 12)],
            "responses.who5_raw": [18, 18, 18],
            "responses.job_readiness": [7, 7, 7],
        },
        notes=("read as tab-separated text",),
        rejected_rows={5: "CPR [1]"},
    ),
    Shape(
        "enalyzer_survey",
        "survey_baseline.xlsx",
        lambda: {"register.xlsx": simple_register(range(4)), "survey_baseline.xlsx": enalyzer_survey()},
        read=5,
        kept=4,
        rejected=1,
        reasons={_TOTALS: 1},
        values={
            "responses.response_date": [date(2021, 2, 1), date(2021, 6, 10), date(2021, 9, 12), date(2021, 10, 5)],
            "responses.who5_1": [5, 5, 5, 5],
        },
        notes=("rows 1-3 above the header (row 4) not read",),
    ),
    Shape(
        "spss_survey",
        "survey_baseline.sav",
        lambda: {"register.xlsx": simple_register(range(3)), "survey_baseline.sav": _sav(spss_survey)()},
        read=3,
        kept=3,
        values={
            "responses.who5_raw": [18, 18, 18],
            "responses.response_date": [date(2021, 6, d) for d in (10, 11, 12)],
        },
    ),
    Shape(
        "cut_off_survey",
        "survey_baseline.csv",
        lambda: {"register.xlsx": simple_register(range(4)), "survey_baseline.csv": cut_off_survey()},
        read=4,
        kept=3,
        rejected=1,
        reasons={_CUT: 1},
        rejected_rows={5: ""},
        values={"responses.who5_raw": [18, 18, 18]},
    ),
    Shape(
        "over_long_cell",
        "survey_baseline.csv",
        lambda: {"register.xlsx": simple_register(range(2)), "survey_baseline.csv": over_long_cell_survey()},
        error="a cell is longer than 131,072 characters",
        row=3,
    ),
    Shape(
        "password_protected",
        "register.xlsx",
        lambda: {"register.xlsx": password_protected_workbook()},
        error="the workbook is protected by a password",
    ),
]


def write_shape(shape: Shape, folder: Path) -> None:
    """Write a shape's files into a site's raw folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in shape.files().items():
        (folder / name).write_bytes(data)
