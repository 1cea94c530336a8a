from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from analysis.core.errors import RawInputError
from analysis.read.readers import TOTALS_REASON, TRUNCATED_REASON, read_raw_table, unmangled

DANISH_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ 0123456789-.,/()?æøåÆØÅéü", max_size=40)


def _xlsx(path, rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_xlsx_keeps_cell_types_and_spreadsheet_row_numbers(tmp_path):
    path = _xlsx(
        tmp_path / "r.xlsx",
        [["CPR", "Dato"], ["710385-1233", datetime(2021, 1, 31)], [None, None], ["720385-1234", 44227]],
    )
    table = read_raw_table(path)
    assert list(table.frame.columns) == ["CPR", "Dato"]
    assert table.rows == [2, 4] and table.blank_rows == [3]
    assert table.frame.iloc[0, 1] == datetime(2021, 1, 31) and table.frame.iloc[1, 1] == 44227
    assert table.column_ref("Dato") == "Dato [B]"


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", b"\xef\xbb\xbf"), ("utf-8", b""), ("cp1252", b"")])
def test_csv_encodings_are_detected(tmp_path, encoding, bom):
    path = tmp_path / "s.csv"
    path.write_bytes(bom + "CPR;Spørgsmål\r\n710385-1233;Næsten hele tiden\r\n".encode(encoding))
    table = read_raw_table(path)
    assert list(table.frame.columns) == ["CPR", "Spørgsmål"]
    assert table.frame.iloc[0, 1] == "Næsten hele tiden"
    assert table.encoding == {"utf-8": "utf-8-sig" if bom else "utf-8", "cp1252": "cp1252"}[encoding]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "file is empty"),
        ("garbage.csv", b"\x00\x01\x02PK", "binary data"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "not a readable Excel workbook"),
        ("dup.csv", b"CPR;CPR\n1;2\n", "header 'CPR' appears twice"),
        ("wide.csv", b"CPR;Navn\n1;2;3\n", "row has 3 fields"),
        ("notes.docx", b"hello", "unsupported file type"),
    ],
)
def test_unreadable_files_give_one_line_errors_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RawInputError, match=message) as caught:
        read_raw_table(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_a_value_without_header_is_an_error_naming_the_cell(tmp_path):
    path = _xlsx(tmp_path / "r.xlsx", [["CPR", None], ["710385-1233", "stray"]])
    with pytest.raises(RawInputError, match=r"row 2, column 'B'"):
        read_raw_table(path)


@given(DANISH_TEXT)
def test_correct_danish_text_is_never_taken_for_garbled_text(text):
    assert unmangled(text) is None


@given(DANISH_TEXT)
def test_text_garbled_by_reading_utf8_as_windows_1252_is_decoded_back(text):
    garbled = text.encode("utf-8").decode("cp1252")
    assert unmangled(garbled) == (None if text.isascii() else text)


def _text(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_title_and_blank_rows_above_the_header_are_passed_over_and_named(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Henvisninger 2021"])
    sheet.merge_cells("A1:C1")
    sheet.append(["Udtrukket", datetime(2023, 3, 1)])
    sheet.append([])
    sheet.append(["CPR", "Dato", "Navn"])
    sheet.append(["710385-1233", datetime(2021, 1, 31), "A"])
    book.save(tmp_path / "r.xlsx")
    table = read_raw_table(tmp_path / "r.xlsx")
    assert list(table.frame.columns) == ["CPR", "Dato", "Navn"] and table.rows == [5] and table.header_row == 4
    assert table.notes == ["rows 1-3 above the header (row 4) not read: a title or note, not data"]
    assert table.repairs == []  # the merged title is not mended: it is above the header


def test_known_headers_find_the_header_under_a_row_of_other_names(tmp_path):
    """Two header rows (variable names, then question texts): the codebook's spellings pick the second."""
    path = _text(tmp_path / "s.csv", "q0;q1;q2\nCPR;Dato;Spørgsmål\n710385-1233;31-01-2021;Hele tiden\n")
    assert read_raw_table(path).header_row == 1
    table = read_raw_table(path, lambda header: header in {"CPR", "Dato"})
    assert table.header_row == 2 and table.rows == [3] and list(table.frame.columns) == ["CPR", "Dato", "Spørgsmål"]


@pytest.mark.parametrize(
    ("first", "totals"),
    [
        ("I alt", True),
        ("I ALT:", True),
        ("Total", True),
        ("Sum", True),
        ("Gennemsnit", True),
        ("Antal besvarelser", True),
        ("Antal: 85", True),
        ("Samlet antal", True),
        ("Sum Jensen", False),  # a name, not a sum
        ("Totalbyg ApS", False),
        ("710385-1233", False),
    ],
)
def test_a_totals_row_is_set_aside_with_its_reason(tmp_path, first, totals):
    path = _xlsx(tmp_path / "r.xlsx", [["Navn", "CPR"], ["A", "710385-1233"], [first, 1]])
    table = read_raw_table(path)
    if totals:
        assert table.rows == [2] and table.set_aside == [(3, TOTALS_REASON)]
    else:
        assert table.rows == [2, 3] and table.set_aside == []


def test_csv_rows_are_records_even_when_a_cell_spans_lines(tmp_path):
    path = _text(tmp_path / "s.csv", 'CPR;Kommentar;Dato\n1;"en\nto\ntre";x\n2;;y\n3;"a\r\nb";z\n')
    table = read_raw_table(path)
    assert table.rows == [2, 3, 4] and table.frame["Kommentar"].tolist() == ["en\nto\ntre", "", "a\r\nb"]


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("CPR;A;B\n1;x;y\n2;x\n", [3]),  # a short row
        ('CPR;A;B\n1;x;y\n2;x;"half a comm', [3]),  # the file stops inside a quoted cell
        ("CPR;A;B\n1;x;y\n2;x;y", []),  # no line end after the last row: nothing is missing
        ("CPR;A;B;\n1;x;y\n", []),  # a trailing separator in the header only: no column is missing
    ],
)
def test_a_row_cut_off_is_set_aside_with_its_reason(tmp_path, text, cut):
    table = read_raw_table(_text(tmp_path / "s.csv", text))
    assert [row for row, reason in table.set_aside if reason == TRUNCATED_REASON] == cut
    assert len(table.rows) + len(table.set_aside) == text.count("\n") + (not text.endswith("\n")) - 1


@pytest.mark.parametrize(
    ("name", "data", "encoding", "separator"),
    [
        ("s.txt", "\ufeffCPR\tSpørgsmål\tDato\r\n1\tNæsten hele tiden\t1\r\n".encode("utf-16-le"), "utf-16", "\t"),
        ("s.csv", "\ufeffCPR\tSpørgsmål\tDato\r\n1\tNæsten hele tiden\t1\r\n".encode("utf-16-be"), "utf-16", "\t"),
        ("s.tsv", "CPR\tSpørgsmål\tDato\n1\tNæsten hele tiden\t1\n".encode(), "utf-8", "\t"),
        ("s.csv", "CPR,Spørgsmål,Dato\n1,Næsten hele tiden,1\n".encode("cp1252"), "cp1252", ","),
        # Latin-1 with byte 0x81, which Windows-1252 leaves undefined
        ("s.csv", "CPR;Spørgsmål;Dato\n1;Næsten hele tiden;1\x81\n".encode("latin-1"), "latin-1", ";"),
    ],
)
def test_text_exports_in_every_encoding_and_separator_are_read(tmp_path, name, data, encoding, separator):
    (tmp_path / name).write_bytes(data)
    table = read_raw_table(tmp_path / name)
    assert table.encoding == encoding and list(table.frame.columns) == ["CPR", "Spørgsmål", "Dato"]
    assert table.frame.iloc[0, 1] == "Næsten hele tiden"
    assert ("read as tab-separated text" in table.notes) == (separator == "\t")


def test_a_title_line_with_commas_does_not_make_commas_the_separator(tmp_path):
    text = "Henvisninger, Assens, 2021;;\n;;\nCPR;Navn;Dato\n1;Hansen, Ida;x\n2;Berg, Bo;y\n"
    table = read_raw_table(_text(tmp_path / "r.csv", text))
    assert table.header_row == 3 and table.frame["Navn"].tolist() == ["Hansen, Ida", "Berg, Bo"]


@pytest.mark.parametrize(
    ("name", "content", "message", "row"),
    [
        ("long.csv", "CPR;Kommentar\n1;ok\n2;" + "x" * 140_000 + "\n", "longer than 131,072 characters", 3),
        ("open.csv", 'CPR;Kommentar\n1;"never closed\n' + "2;y\n" * 40_000, "longer than 131,072 characters", 2),
    ],
)
def test_over_long_cells_are_one_line_naming_file_and_row(tmp_path, name, content, message, row):
    with pytest.raises(RawInputError, match=message) as caught:
        read_raw_table(_text(tmp_path / name, content))
    assert caught.value.row == row and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("streams", "message"),
    [
        (("Root Entry", "EncryptionInfo", "EncryptedPackage"), "protected by a password"),
        (("Root Entry", "Workbook"), "Excel 97-2003"),
    ],
)
def test_compound_files_named_xlsx_say_what_they_are(tmp_path, streams, message):
    """An encrypted workbook and an old .xls are OLE2 compound files: magic number, then a directory of
    stream names in UTF-16."""
    data = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(504)
        + b"".join(s.encode("utf-16-le").ljust(128, b"\0") for s in streams)
    )
    (tmp_path / "r.xlsx").write_bytes(data)
    with pytest.raises(RawInputError, match=message) as caught:
        read_raw_table(tmp_path / "r.xlsx")
    assert "\n" not in str(caught.value) and "BadZipFile" not in str(caught.value)


def test_the_data_sheet_is_found_beside_a_summary_sheet(tmp_path):
    book = Workbook()
    book.active.title = "Oversigt"
    book.active.append(["Antal", 2])
    data = book.create_sheet("Data")
    for row in (["CPR", "Dato"], ["1", "x"], ["2", "y"]):
        data.append(row)
    book.create_sheet("Tom")
    book.save(tmp_path / "r.xlsx")
    table = read_raw_table(tmp_path / "r.xlsx")
    assert table.rows == [2, 3] and list(table.frame.columns) == ["CPR", "Dato"]
    assert table.notes == [
        "sheet 'Oversigt' not read (not the data)",
        "sheet 'Tom' not read (empty)",
        "data read from sheet 'Data', not the first sheet",
    ]
