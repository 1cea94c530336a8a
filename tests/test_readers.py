from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from analysis.core.errors import RawInputError
from analysis.read.readers import read_raw_table, unmangled

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
