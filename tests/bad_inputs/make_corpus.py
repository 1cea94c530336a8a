"""The bad-input corpus: raw exports as they really go wrong, each with the outcome the pipeline must give.

`python tests/bad_inputs/make_corpus.py OUT_DIR` writes one folder per case, laid out as a site's raw
folder (`register.xlsx|csv`, perhaps `survey_<wave>.csv|xlsx`), and `OUT_DIR/manifest.yaml` listing
each case's file under test and its declared outcome. The files are made from fixed data and a seeded
generator, so every run writes the same bytes; nothing binary is committed. `tests/test_bad_inputs.py`
imports CASES and runs every case through `analysis.clean.site.clean_site` on a scratch project.

Outcomes (`Expect.outcome`):
- `error`: the site stops with a one-line RawInputError naming the file, and the row and column when
  the fault sits in one cell (`row`/`column` as in the message, column like "Opstartsdato [F]");
- `repair`: the rows are kept and `count` repairs with rule `message` are recorded (docs/cleaning-rules.md);
- `reject`: `count` rows go to the rejected ledger with a reason matching `message`;
- `kept`: the file is read by a documented rule with nothing to repair or reject; `values` says what
  the canonical tables must then hold.
For every file that is read, kept + rejected must equal the data rows written (`rows` of the case).

CPR numbers are substitute numbers (day of birth + 60), so none can belong to a real person.
"""

from __future__ import annotations

import io
import random
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

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
]  # columns A..O
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
]  # columns 1..9
ANSWERS = [
    "Hele tiden",
    "Det meste af tiden",
    "På intet tidspunkt",
    "Lidt af tiden",
    "Lidt mere end halvdelen af tiden",
]


def cpr(i: int) -> str:
    """The i-th substitute CPR number (day + 60), unique for i < 100,800; born 1940-1999."""
    day, month, year, serial = 61 + i % 28, 1 + i // 28 % 12, 40 + i // 336 % 60, i // 20160
    return f"{day:02d}{month:02d}{year:02d}-{serial}{i % 1000:03d}"


def register_row(i: int, **changes: object) -> list[object]:
    """A clean register row for person i (referred 4 January 2021, started, still active)."""
    row = {
        "Navn": f"Testperson {i}",
        "CPR-nr.": cpr(i),
        "Telefon": f"2{i:07d}",
        "Henvist fra": "Sundhed",
        "Henvisningsdato": datetime(2021, 1, 4),
        "Opstartsdato": datetime(2021, 1, 20),
        "Forening": "Assens Svømmeklub",
        "Aktivitet": "Svømning",
        "Nyt hold": "nej",
        "Ledsaget": "ja",
        "Kontingentstøtte (mdr.)": 6,
        "Udmeldt": None,
        "Årsag til stop": None,
        "Sidste kontakt": None,
        "Bemærkninger": "fri tekst",
    }
    row.update(changes)
    return [row[h] for h in REGISTER_HEADER]


def survey_row(i: int, **changes: object) -> list[object]:
    """A clean baseline answer of person i (labels, as the site sheet says assens writes them)."""
    row = dict(zip(SURVEY_HEADER, [cpr(i), f"Testperson {i}", "10-01-2021", *ANSWERS, "7"], strict=True))
    row.update(changes)
    return [row[h] for h in SURVEY_HEADER]


# --- file writers -------------------------------------------------------------------------------------


def xlsx_bytes(
    rows: list[list[object]],
    header: list[object] | None = None,
    extra_sheets: dict | None = None,
    edit: Callable | None = None,
) -> bytes:
    """An xlsx workbook: header + rows on the first sheet; `edit(sheet)` may merge, hide or style cells."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Register"
    for row in ([header] if header is not None else []) + rows:
        sheet.append(row)
    if edit is not None:
        edit(sheet)
    for title, sheet_rows in (extra_sheets or {}).items():
        extra = book.create_sheet(title)
        for row in sheet_rows:
            extra.append(row)
    out = io.BytesIO()
    book.save(out)
    return repack(out.getvalue())


_STAMP = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)")


def repack(
    xlsx: bytes, changes: dict[str, Callable[[bytes], bytes]] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    """The workbook with members rewritten by `changes` and `add`ed at the end, made byte-reproducible:
    openpyxl stamps the save time into docProps/core.xml and every zip member, so both are fixed here."""
    changes = {"docProps/core.xml": lambda x: _STAMP.sub(rb"\g<1>2021-01-01T00:00:00Z\g<3>", x), **(changes or {})}
    src, out = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        members = [(i.filename, src.read(i.filename)) for i in src.infolist()] + list((add or {}).items())
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2021, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, changes[name](data) if name in changes else data)
    return out.getvalue()


def rewrite_part(xlsx: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one member rewritten."""
    return repack(xlsx, {part: change})


SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
EXCEL_EPOCH = datetime(1899, 12, 30)


def excel_like_xlsx(rows: list[list[object]], header: list[str]) -> bytes:
    """A workbook as Excel writes it: shared strings, a <dimension>, dates as styled serial numbers.

    openpyxl writes every text cell as an inline string, which Excel never does and which openpyxl reads
    several times slower, so a large register made by openpyxl would time the wrong thing.
    """
    strings: dict[str, int] = {}

    def cell(ref: str, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return f'<c r="{ref}" s="1"><v>{(value - EXCEL_EPOCH).days}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="s"><v>{strings.setdefault(str(value), len(strings))}</v></c>'

    letters = [get_column_letter(i + 1) for i in range(len(header))]
    body = "".join(
        f'<row r="{r}">' + "".join(cell(f"{c}{r}", v) for c, v in zip(letters, row, strict=True)) + "</row>"
        for r, row in enumerate([header, *rows], start=1)
    )
    sheet = (
        f'<worksheet xmlns="{MAIN_NS}"><dimension ref="A1:{letters[-1]}{len(rows) + 1}"/>'
        f"<sheetData>{body}</sheetData></worksheet>"
    )
    shared = (
        f'<sst xmlns="{MAIN_NS}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        + "</sst>"
    )
    template = xlsx_bytes([[datetime(2021, 1, 4)]])  # openpyxl's package, with a date style as style 1
    content_type = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>'
    )
    relation = (
        '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml" Id="rIdStrings" /></Relationships>'
    )
    return repack(
        template,
        {
            SHEET: lambda _: sheet.encode("utf-8"),
            "[Content_Types].xml": lambda x: x.replace(b"</Types>", content_type.encode()),
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(b"</Relationships>", relation.encode()),
        },
        add={"xl/sharedStrings.xml": shared.encode("utf-8")},
    )


def csv_bytes(
    rows: list[list[object]], header: list[str] = SURVEY_HEADER, encoding: str = "utf-8", bom: bool = True
) -> bytes:
    lines = [";".join("" if v is None else str(v) for v in r) for r in [header, *rows]]
    return (b"\xef\xbb\xbf" if bom else b"") + "\r\n".join(lines).encode(encoding) + b"\r\n"


def mojibake(text: str) -> str:
    """UTF-8 text wrongly decoded as Windows-1252 (what a mis-set import does to 'ø': 'Ã¸')."""
    return text.encode("utf-8").decode("cp1252")


def good_register(n: int = 3) -> bytes:
    return xlsx_bytes([register_row(i) for i in range(n)], REGISTER_HEADER)


# --- the cases ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """The declared outcome of a case (see the module docstring)."""

    outcome: str  # error | repair | reject | kept
    message: str = ""  # error: regex the message matches; repair: the rule; reject: regex of the reason
    row: int | None = None
    column: str | None = None
    count: int = 1
    rejected: int = 0  # for a repair: rows rejected besides (a repaired blank may leave a row incomplete)
    values: dict = field(default_factory=dict)  # "table.column" -> sorted values of kept rows (kept/repair)


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # the file under test, in the site folder
    files: Callable[[], dict[str, bytes]]  # every file of the site folder
    rows: int | None  # data rows written to the file under test (None: the file cannot be read)
    expect: Expect
    site: str = "assens"
    about: str = ""


CASES: list[Case] = []


def case(name: str, file: str, rows: int | None, expect: Expect, site: str = "assens"):
    """Register a function returning the files of one case; its docstring says what the case is."""

    def register(make: Callable[[], dict[str, bytes]]):
        CASES.append(Case(name, file, make, rows, expect, site, (make.__doc__ or "").strip()))
        return make

    return register


def _with_survey(survey: bytes, name: str = "survey_baseline.csv", people: int = 3) -> dict[str, bytes]:
    return {"register.xlsx": good_register(people), name: survey}


WHOLE_FILE_ERROR = Expect("error", r"not a readable Excel workbook")


@case("xlsx_truncated", "register.xlsx", None, WHOLE_FILE_ERROR)
def _():
    """A register cut off halfway through copying (the zip's directory at the end is missing)."""
    data = good_register()
    return {"register.xlsx": data[: len(data) // 2]}


@case("xlsx_corrupt_sheet_xml", "register.xlsx", None, WHOLE_FILE_ERROR)
def _():
    """A well-formed zip whose sheet XML stops mid-element (a program crashed while writing it)."""
    return {"register.xlsx": rewrite_part(good_register(), SHEET, lambda xml: xml[: len(xml) * 2 // 3])}


@case("xlsx_corrupt_zip_data", "register.xlsx", None, WHOLE_FILE_ERROR)
def _():
    """Bytes flipped inside the compressed sheet (a damaged USB stick): the zip directory is intact."""
    data = bytearray(good_register())
    start = data.find(SHEET.encode()) + len(SHEET) + 40  # inside the sheet's compressed data
    for i in range(start, start + 24):
        data[i] ^= 0x5A
    return {"register.xlsx": bytes(data)}


@case("xlsx_that_is_text", "register.xlsx", None, WHOLE_FILE_ERROR)
def _():
    """A semicolon text export saved with an .xlsx name."""
    return {"register.xlsx": ";".join(REGISTER_HEADER).encode("utf-8")}


@case("csv_binary_garbage", "survey_baseline.csv", None, Expect("error", r"binary data"))
def _():
    """Random bytes with a .csv name."""
    return _with_survey(random.Random(7).randbytes(2048))


@case("csv_that_is_xlsx", "survey_baseline.csv", None, Expect("error", r"Excel workbook"))
def _():
    """An Excel workbook renamed to .csv."""
    return _with_survey(xlsx_bytes([survey_row(0)], SURVEY_HEADER))


@case("csv_latin1", "survey_baseline.csv", 3, Expect("kept", values={"responses.who5_3": [0, 0, 0]}))
def _():
    """A survey saved in Latin-1/Windows-1252 (no BOM): 'På intet tidspunkt' must still be read."""
    return _with_survey(csv_bytes([survey_row(i) for i in range(3)], encoding="cp1252", bom=False))


@case(
    "csv_utf8_read_as_latin1",
    "survey_baseline.csv",
    3,
    Expect(
        "repair",
        "text garbled by a wrong encoding (such as Ã¸ for ø) decoded back",
        count=9,
        values={"responses.who5_3": [0, 0, 0]},
    ),
)
def _():
    """Mojibake: a UTF-8 survey opened as Latin-1 and saved again as UTF-8 ('PÃ¥ intet tidspunkt').

    Repaired: the 6 headers with 'æøå' in row 1 and the answer 'På intet tidspunkt' in each of 3 rows.
    """
    text = csv_bytes([survey_row(i) for i in range(3)], bom=False).decode("utf-8")
    return _with_survey(mojibake(text).encode("utf-8"))


@case(
    "csv_latin1_read_as_utf8",
    "survey_baseline.csv",
    3,
    Expect("error", r"replacement character", row=1, column="Jeg har v\ufffdret glad og i godt hum\ufffdr [4]"),
)
def _():
    """A Latin-1 survey once decoded as UTF-8 with replacement: every 'ø' became '\ufffd' (lost for good)."""
    text = csv_bytes([survey_row(i) for i in range(3)], bom=False).decode("utf-8")
    return _with_survey(re.sub(r"[æøåÆØÅ]", "\ufffd", text).encode("utf-8"))


@case(
    "csv_mixed_encodings",
    "survey_baseline.csv",
    3,
    Expect(
        "repair",
        "text garbled by a wrong encoding (such as Ã¸ for ø) decoded back",
        count=8,
        values={"responses.who5_3": [0, 0, 0]},
    ),
)
def _():
    """Two exports pasted together: UTF-8 rows, then one Latin-1 row. Read as Windows-1252, the UTF-8 cells
    are garbled and repaired (6 headers, 2 answers); the Latin-1 row is right as it is."""
    head = csv_bytes([survey_row(0), survey_row(1)], bom=False)
    tail = csv_bytes([survey_row(2)], encoding="cp1252", bom=False).split(b"\r\n", 1)[1]
    return _with_survey(head + tail)


@case("csv_bom_then_latin1", "survey_baseline.csv", 2, Expect("kept", values={"responses.who5_3": [0, 0]}))
def _():
    """A UTF-8 byte-order mark before Latin-1 text (a tool added the mark but not the encoding): the mark
    is dropped and the text read as Windows-1252."""
    return _with_survey(b"\xef\xbb\xbf" + csv_bytes([survey_row(0), survey_row(1)], encoding="cp1252", bom=False))


@case("csv_bom_in_first_header", "survey_baseline.csv", 2, Expect("kept", values={"responses.who5_1": [5, 5]}))
def _():
    """The usual UTF-8 export with a byte-order mark before 'CPR' (SurveyXact, Excel 'CSV UTF-8')."""
    return _with_survey(csv_bytes([survey_row(0), survey_row(1)]))


@case(
    "csv_double_bom",
    "survey_baseline.csv",
    2,
    Expect("repair", "byte-order mark removed from a header", row=1, column="CPR [1]"),
)
def _():
    """A BOM written twice (the file went through two tools), so one is left in the first header."""
    return _with_survey(b"\xef\xbb\xbf" + csv_bytes([survey_row(0), survey_row(1)]))


@case(
    "xlsx_bom_in_first_header",
    "register.xlsx",
    2,
    Expect("repair", "byte-order mark removed from a header", row=1, column="Navn [A]"),
)
def _():
    """A BOM pasted into the first header cell of a register (copied from a CSV)."""
    return {"register.xlsx": xlsx_bytes([register_row(0), register_row(1)], ["\ufeffNavn", *REGISTER_HEADER[1:]])}


@case(
    "duplicate_header",
    "register.xlsx",
    None,
    Expect("error", r"header 'Forening' appears twice \(columns G and P\)", row=1, column="P"),
)
def _():
    """The same header in two columns."""
    return {"register.xlsx": xlsx_bytes([register_row(0) + ["Assens GF"]], [*REGISTER_HEADER, "Forening"])}


@case(
    "duplicate_header_synonyms",
    "register.xlsx",
    1,
    Expect("error", r"headers 'CPR-nr.' and 'Personnummer' both mean 'cpr'", row=1, column="Personnummer [P]"),
)
def _():
    """Two headers that are spellings of the same column."""
    return {"register.xlsx": xlsx_bytes([register_row(0) + [cpr(0)]], [*REGISTER_HEADER, "Personnummer"])}


def _merge_association(sheet):
    sheet["G3"] = None
    sheet["G4"] = None
    sheet.merge_cells("G2:G4")


@case(
    "merged_cells_in_data",
    "register.xlsx",
    4,
    Expect(
        "repair",
        "merged cell: value of its first cell copied",
        count=2,
        values={"participants.association": ["Assens Gymnastikforening"] * 3 + ["Assens Svømmeklub"]},
    ),
)
def _():
    """One association cell merged down over three people (rows 2-4), as registers group people."""
    rows = [register_row(i, Forening="Assens Gymnastikforening") for i in range(3)] + [register_row(3)]
    return {"register.xlsx": xlsx_bytes(rows, REGISTER_HEADER, edit=_merge_association)}


@case(
    "merged_cells_in_header",
    "register.xlsx",
    None,
    Expect("error", r"merged cells K1:L1 in the header row", row=1, column="K1:L1"),
)
def _():
    """A header cell merged across two columns ('Kontingentstøtte (mdr.)' over K and L)."""

    def merge(sheet):
        sheet["L1"] = None
        sheet.merge_cells("K1:L1")

    return {"register.xlsx": xlsx_bytes([register_row(0)], REGISTER_HEADER, edit=merge)}


def _with_formula(formula: str, cached: str | None) -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        pattern = f"<f>{formula}</f><v />".encode()
        assert pattern in xml, "openpyxl no longer writes formulas as expected"
        value = f"<v>{cached}</v>" if cached else ""
        return xml.replace(pattern, f"<f>{formula}</f>{value}".encode())

    return change


@case(
    "formula_with_cached_value",
    "register.xlsx",
    2,
    Expect("kept", values={"participants.start_date": [datetime(2021, 1, 20), datetime(2021, 1, 25)]}),
)
def _():
    """A start date computed by a formula that Excel has evaluated and saved (=E3+21)."""
    data = xlsx_bytes([register_row(0), register_row(1, Opstartsdato="=E3+21")], REGISTER_HEADER)
    return {"register.xlsx": rewrite_part(data, SHEET, _with_formula("E3+21", "44221"))}


@case(
    "formula_without_cached_value",
    "register.xlsx",
    2,
    Expect("error", r"formula without a computed value", row=3, column="Opstartsdato [F]"),
)
def _():
    """A formula written by a program and never opened in Excel: the file holds no value for it."""
    data = xlsx_bytes([register_row(0), register_row(1, Opstartsdato="=E3+21")], REGISTER_HEADER)
    return {"register.xlsx": rewrite_part(data, SHEET, _with_formula("E3+21", None))}


@case(
    "excel_error_values",
    "register.xlsx",
    3,
    Expect(
        "repair",
        "Excel error value (such as #N/A) read as blank",
        count=3,
        rejected=1,
        values={"participants.association": [None, "Assens Svømmeklub"]},
    ),
)
def _():
    """#N/A from a failed lookup in 'Forening' and #VALUE! in 'Opstartsdato'; blank then starts nothing,
    so the third row (error in its referral date) is also rejected as missing its referral date."""
    rows = [
        register_row(0, Forening="#N/A", Aktivitet=None),
        register_row(1, Opstartsdato="#VALUE!"),
        register_row(2, Henvisningsdato="#VALUE!", Opstartsdato=None),
    ]
    return {"register.xlsx": xlsx_bytes(rows, REGISTER_HEADER)}


@case(
    "csv_danish_excel_error_value",
    "survey_baseline.csv",
    2,
    Expect(
        "repair",
        "Excel error value (such as #N/A) read as blank",
        row=3,
        column="Jeg har været glad og i godt humør [4]",
    ),
)
def _():
    """A survey sheet exported by Danish Excel: a failed lookup shows as '#I/T' (#N/A)."""
    return _with_survey(csv_bytes([survey_row(0), survey_row(1, **{SURVEY_HEADER[3]: "#I/T"})]))


@case(
    "dates_text_five_styles",
    "register.xlsx",
    5,
    Expect("kept", values={"participants.referral_date": [datetime(2021, 1, 4)] * 5}),
)
def _():
    """Referral dates typed as text in the five documented styles."""
    styles = ["04-01-2021", "04.01.21", "4/1/2021", "04.01.2021", "2021-01-04"]
    return {
        "register.xlsx": xlsx_bytes([register_row(i, Henvisningsdato=s) for i, s in enumerate(styles)], REGISTER_HEADER)
    }


@case(
    "dates_excel_serials",
    "register.xlsx",
    3,
    Expect("kept", values={"participants.referral_date": [datetime(2021, 1, 4)] * 3}),
)
def _():
    """Referral dates as bare Excel serial numbers: a number cell, as text, and as text with a decimal comma."""
    rows = [
        register_row(0, Henvisningsdato=44200),
        register_row(1, Henvisningsdato="44200"),
        register_row(2, Henvisningsdato="44200,0"),
    ]
    return {"register.xlsx": xlsx_bytes(rows, REGISTER_HEADER)}


@case(
    "dates_two_digit_years",
    "register.xlsx",
    2,
    Expect("reject", r"^age_out_of_range", row=3, column="CPR-nr. [B]"),
)
def _():
    """Two-digit years: '04.01.21' is 2021; '04.01.45' is 1945, before this person was born (1985)."""
    rows = [
        register_row(0, Henvisningsdato="04.01.21", Opstartsdato="20.01.21"),
        register_row(15120, Henvisningsdato="04.01.45", Opstartsdato=None),
    ]
    return {"register.xlsx": xlsx_bytes(rows, REGISTER_HEADER)}


@case(
    "date_29_february_non_leap",
    "register.xlsx",
    2,
    Expect("reject", r"^date_unreadable", row=3, column="Opstartsdato [F]"),
)
def _():
    """29 February 2021, which does not exist."""
    return {"register.xlsx": xlsx_bytes([register_row(0), register_row(1, Opstartsdato="29-02-2021")], REGISTER_HEADER)}


@case("date_in_the_future", "register.xlsx", 3, Expect("reject", r"^date_after_extraction", count=2))
def _():
    """A start date and an end date after the extraction date (2023-12-31): typos for 2023 and 2022."""
    rows = [
        register_row(0),
        register_row(1, Opstartsdato="20-01-2032"),
        register_row(2, Udmeldt="01.02.2042", **{"Årsag til stop": "Tid"}),
    ]
    return {"register.xlsx": xlsx_bytes(rows, REGISTER_HEADER)}


@case(
    "survey_date_in_the_future",
    "survey_baseline.csv",
    2,
    Expect("reject", r"^date_after_extraction", row=3, column="Besvarelsesdato [3]"),
)
def _():
    """A survey answer dated 2024, after the extraction date."""
    return _with_survey(csv_bytes([survey_row(0), survey_row(1, Besvarelsesdato="10-01-2024")]))


@case(
    "cpr_wrong_century_digit",
    "register.xlsx",
    3,
    Expect("reject", r"^age_out_of_range", count=2, column="CPR-nr. [B]"),
)
def _():
    """7th digits that put the birth in 1885 (5 with year 85) and 2025 (4 with year 25)."""
    rows = [
        register_row(0),
        register_row(1, **{"CPR-nr.": "620385-5001"}),
        register_row(2, **{"CPR-nr.": "630325-4002"}),
    ]
    return {"register.xlsx": xlsx_bytes(rows, REGISTER_HEADER)}


@case(
    "cpr_without_hyphen",
    "register.xlsx",
    3,
    Expect("repair", "CPR number written without hyphen or with spaces", count=2),
)
def _():
    """CPR numbers as ten digits, as text and as a number cell."""
    rows = [
        register_row(0),
        register_row(1, **{"CPR-nr.": cpr(1).replace("-", "")}),
        register_row(2, **{"CPR-nr.": int(cpr(2).replace("-", ""))}),
    ]
    return {"register.xlsx": xlsx_bytes(rows, REGISTER_HEADER)}


@case(
    "cpr_with_spaces",
    "survey_baseline.csv",
    3,
    Expect(
        "repair", "CPR number written without hyphen or with spaces", count=3, values={"responses.who5_1": [5, 5, 5]}
    ),
)
def _():
    """CPR numbers in a survey with a space for the hyphen, spaces between pairs and a no-break space."""
    spaced = [
        cpr(0).replace("-", " "),
        " ".join(cpr(1).replace("-", "")[i : i + 2] for i in range(0, 10, 2)),
        cpr(2).replace("-", "\u00a0"),
    ]
    return _with_survey(csv_bytes([survey_row(i, CPR=c) for i, c in enumerate(spaced)]))


@case("empty_sheet", "register.xlsx", None, Expect("error", r"the first sheet .*is empty"))
def _():
    """A workbook whose only sheet is empty."""
    return {"register.xlsx": xlsx_bytes([])}


@case(
    "empty_first_sheet_data_on_second",
    "register.xlsx",
    1,
    Expect("kept", values={"participants.referral_track": ["health"]}),
)
def _():
    """The register is on the second sheet; the first is empty: the data sheet is read wherever it is."""
    return {"register.xlsx": xlsx_bytes([], extra_sheets={"Ark2": [REGISTER_HEADER, register_row(0)]})}


@case("header_only_register", "register.xlsx", 0, Expect("error", r"no data rows under the header", row=2))
def _():
    """A register with its header and no people (an export with a filter that matched nobody)."""
    return {"register.xlsx": xlsx_bytes([], REGISTER_HEADER)}


@case(
    "extra_sheets_notes",
    "register.xlsx",
    2,
    Expect("kept", values={"participants.association": ["Assens Svømmeklub"] * 2}),
)
def _():
    """A register with an instructions sheet and a sheet of drop-down lists after it: only the first is read."""
    extra = {"Vejledning": [["Skriv én borger pr. række"]], "Lister": [["Sundhed"], ["Jobcenter"]]}
    return {"register.xlsx": xlsx_bytes([register_row(0), register_row(1)], REGISTER_HEADER, extra_sheets=extra)}


@case(
    "extra_sheet_same_header",
    "register.xlsx",
    1,
    Expect("error", r"sheet '2022' has the same header as sheet 'Register'"),
)
def _():
    """A register split into one sheet per year: people on the second sheet would be lost."""
    extra = {"2022": [REGISTER_HEADER, register_row(1)]}
    return {"register.xlsx": xlsx_bytes([register_row(0)], REGISTER_HEADER, extra_sheets=extra)}


@case("hidden_rows", "register.xlsx", 3, Expect("kept", values={"participants.association": ["Assens Svømmeklub"] * 3}))
def _():
    """Row 3 hidden (a filter or a 'hide'): hidden rows are data like any other and are read."""

    def hide(sheet):
        sheet.row_dimensions[3].hidden = True

    return {"register.xlsx": xlsx_bytes([register_row(i) for i in range(3)], REGISTER_HEADER, edit=hide)}


@case("decimal_commas", "survey_baseline.csv", 3, Expect("kept", values={"responses.job_readiness": [6.0, 7.5, 8.25]}))
def _():
    """Job readiness written with decimal commas and a decimal point."""
    rows = [
        survey_row(0, **{SURVEY_HEADER[8]: "7,5"}),
        survey_row(1, **{SURVEY_HEADER[8]: "8,25"}),
        survey_row(2, **{SURVEY_HEADER[8]: "6.0"}),
    ]
    return _with_survey(csv_bytes(rows))


@case(
    "thousands_separator_subsidy",
    "register.xlsx",
    3,
    Expect("repair", "subsidy_months_unreadable", row=4, column="Kontingentstøtte (mdr.) [K]"),
)
def _():
    """Subsidy months with a decimal comma ('6,0', kept) and a thousands separator ('1.000', out of range)."""
    rows = [
        register_row(0),
        register_row(1, **{"Kontingentstøtte (mdr.)": "6,0"}),
        register_row(2, **{"Kontingentstøtte (mdr.)": "1.000"}),
    ]
    return {"register.xlsx": xlsx_bytes(rows, REGISTER_HEADER)}


@case(
    "thousands_separator_answer",
    "survey_baseline.csv",
    2,
    Expect(
        "repair",
        "answer_out_of_scale",
        row=3,
        column="Hvor klar føler du dig til at komme i job? (0-10) [9]",
    ),
)
def _():
    """Job readiness '1.000' (a thousands separator): outside 0-10, set missing."""
    return _with_survey(csv_bytes([survey_row(0), survey_row(1, **{SURVEY_HEADER[8]: "1.000"})]))


@case(
    "fraction_subsidy",
    "register.xlsx",
    2,
    Expect("repair", "subsidy_months_unreadable", row=3, column="Kontingentstøtte (mdr.) [K]"),
)
def _():
    """Subsidy months '2,5'."""
    return {
        "register.xlsx": xlsx_bytes(
            [register_row(0), register_row(1, **{"Kontingentstøtte (mdr.)": "2,5"})], REGISTER_HEADER
        )
    }


@case(
    "unknown_answer_label",
    "survey_baseline.csv",
    2,
    Expect("error", r"unknown answer 'Næsten hele tiden'", row=3, column="Jeg har været glad og i godt humør [4]"),
)
def _():
    """An answer text the codebook does not know."""
    return _with_survey(csv_bytes([survey_row(0), survey_row(1, **{SURVEY_HEADER[3]: "Næsten hele tiden"})]))


@case(
    "unknown_register_label",
    "register.xlsx",
    2,
    Expect("error", r"unknown value 'Frisør'", row=3, column="Henvist fra [D]"),
)
def _():
    """A referral track the codebook does not know."""
    return {
        "register.xlsx": xlsx_bytes([register_row(0), register_row(1, **{"Henvist fra": "Frisør"})], REGISTER_HEADER)
    }


@case(
    "job_readiness_labelled_end_points",
    "survey_baseline.csv",
    5,
    Expect("kept", values={"responses.job_readiness": [0.0, 0.0, 7.0, 10.0, 10.0]}),
)
def _():
    """A 0-10 item whose end points carry labels, as SurveyXact exports them: '0 = Slet ikke', 'Helt klar'."""
    answers = ["0 = Slet ikke", "10 = Helt klar", "7", "Slet ikke", "Helt klar"]
    return _with_survey(csv_bytes([survey_row(i, **{SURVEY_HEADER[8]: a}) for i, a in enumerate(answers)]), people=5)


@case("wide_row", "survey_baseline.csv", None, Expect("error", r"row has 11 fields but the header has 9", row=3))
def _():
    """A row with more fields than the header (an unquoted ';' in a comment)."""
    rows = csv_bytes([survey_row(0), survey_row(1)]).decode("utf-8").split("\r\n")
    rows[2] += ";men;ikke mere"
    return _with_survey("\r\n".join(rows).encode("utf-8"))


@case(
    "value_without_header",
    "register.xlsx",
    None,
    Expect("error", r"a value stands in a column without a header", row=3, column="P"),
)
def _():
    """A note typed to the right of the table, in a column without a header."""
    return {"register.xlsx": xlsx_bytes([register_row(0), register_row(1) + ["ringet 3/5"]], REGISTER_HEADER)}


@case(
    "duplicate_registration",
    "register.xlsx",
    3,
    Expect("reject", r"^duplicate_registration", row=4),
)
def _():
    """The same person and referral date twice."""
    return {"register.xlsx": xlsx_bytes([register_row(0), register_row(1), register_row(0)], REGISTER_HEADER)}


@case(
    "respondent_not_in_register",
    "survey_baseline.csv",
    2,
    Expect("reject", r"respondent is not in the site's register", row=3, column="CPR [1]"),
)
def _():
    """A survey answer from someone the register does not know."""
    return _with_survey(csv_bytes([survey_row(0), survey_row(50)]))


@case("blank_rows", "register.xlsx", 4, Expect("reject", r"^empty_row", count=2))
def _():
    """Blank rows between people (rows 3 and 4)."""
    blank = [None] * len(REGISTER_HEADER)
    return {"register.xlsx": xlsx_bytes([register_row(0), blank, blank, register_row(1)], REGISTER_HEADER)}


BIG = 100_000
BIG_FAULT_EVERY = 5_000  # every 5,000th person has a 29 February 2021 start; every 5,000th (offset) no hyphen


def big_register() -> bytes:
    """The 100,000-row register, written as Excel writes it."""
    rows = []
    for i in range(BIG):
        changes: dict[str, object] = {"Henvisningsdato": datetime(2020 + i % 3, 1 + i % 12, 1 + i % 28)}
        changes["Opstartsdato"] = "29-02-2021" if i % BIG_FAULT_EVERY == 0 else None
        if i % BIG_FAULT_EVERY == 1:
            changes["CPR-nr."] = cpr(i).replace("-", "")
        rows.append(register_row(i, **changes))
    return excel_like_xlsx(rows, REGISTER_HEADER)


@case(
    "register_100k_rows",
    "register.xlsx",
    BIG,
    Expect("reject", r"^date_unreadable", count=BIG // BIG_FAULT_EVERY, column="Opstartsdato [F]"),
)
def _():
    """A national-scale register: 100,000 people, 20 with an impossible start date, 20 CPRs without hyphen."""
    return {"register.xlsx": big_register()}


# --- command line -------------------------------------------------------------------------------------


def write_case(item: Case, folder: Path) -> list[Path]:
    """Write one case's files into a site folder; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in item.files().items():
        (folder / name).write_bytes(data)
        written.append(folder / name)
    return written


def manifest() -> list[dict]:
    """Every case with its file under test and declared outcome, as plain data."""
    out = []
    for item in CASES:
        expect = {k: v for k, v in vars(item.expect).items() if v not in (None, "", {}) and k != "values"}
        out.append(
            {
                "case": item.name,
                "file": item.file,
                "rows": item.rows,
                "site": item.site,
                "about": item.about.splitlines()[0] if item.about else "",
                **expect,
            }
        )
    return out


def main(out_dir: str) -> int:
    import yaml

    out = Path(out_dir)
    for item in CASES:
        write_case(item, out / item.name)
    (out / "manifest.yaml").write_text(
        yaml.safe_dump(manifest(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    print(f"{len(CASES)} cases written to {out}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/bad_inputs/make_corpus.py OUT_DIR")
    sys.exit(main(sys.argv[1]))
