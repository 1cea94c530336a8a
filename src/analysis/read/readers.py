"""Reading raw exports (Excel registers, survey CSV/XLSX/SPSS .sav) into tables of untouched cell values.

Every reader returns a RawTable whose `rows` give, for each data row, the row number a person sees when
opening the file (in a spreadsheet, or as the record's number in a CSV even when a quoted cell spans
lines), so that every later message can point at the exact cell. Values are kept as the file holds them
(date cells stay dates, text stays text); interpretation is the cleaner's job. An SPSS file is read as its
data view shows it with value labels switched on (see `_read_sav`).

The header is found where it is (`find_header`): title and blank rows above it are passed over and named
in `RawTable.notes`, as are the other sheets of a workbook whose data sheet is not the first. Rows under
the header that are not a person are set aside with a reason (`RawTable.set_aside`): a totals or summary
row ("I alt", "Total", "Gennemsnit" ...) and a CSV row with fewer fields than the header (a file cut off).

Faults of the file itself are mended here, each recorded in `RawTable.repairs` with its cell (rules in
docs/cleaning-rules.md): text garbled by a wrong encoding ("Ã¸" for "ø") is decoded back, a byte-order mark
left in a header is removed, an Excel error value (#N/A, #VALUE!, Danish #I/T ...) is read as blank, and a
merged Excel cell gives its value to every cell of its range. What cannot be mended (a formula Excel never
computed, a merged header, text lost to a wrong encoding, a register split over sheets) is an error.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyreadstat
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

# openpyxl's own sheet parser (pinned in requirements.lock): one pass over the sheet XML gives each cell's
# value, whether it holds a formula, and the merged ranges, which openpyxl's read-only sheets do not expose.
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

from analysis.core.errors import RawInputError
from analysis.read.dates import is_blank

CSV_ENCODINGS = ("utf-8", "cp1252")  # tried in this order after a BOM check; cp1252 covers Latin-1 text
BOM = "\ufeff"
# Error values as Excel stores them in .xlsx, and as Danish Excel writes them into a CSV export.
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#UNKNOWN!",
        "#BUSY!",
        "#NUL!",
        "#DIVISION/0!",
        "#VÆRDI!",
        "#REFERENCE!",
        "#NAVN?",
        "#I/T",
    }
)
MOJIBAKE_RULE = "text garbled by a wrong encoding (such as Ã¸ for ø) decoded back"
BOM_RULE = "byte-order mark removed from a header"
EXCEL_ERROR_RULE = "Excel error value (such as #N/A) read as blank"
MERGED_RULE = "merged cell: value of its first cell copied"
TOTALS_REASON = "totals row (a sum or summary under the data, not a person)"
TRUNCATED_REASON = "row has fewer fields than the header: the file was cut off or the row broken"

HEADER_SEARCH_ROWS = 30  # the header is looked for in this many rows from the top
# The first filled cell of a totals or summary row, as Danish and English spreadsheets write it: the word
# alone or followed by a colon, or by text that does not start with a capital (so that a name such as
# "Sum Jensen" is not taken for a sum).
_TOTALS = re.compile(
    r"^(?i:i alt|totalt?|hovedtotal|sum|summa|gennemsnit|gns\.?|middel|median|average|mean|antal|samlet)"
    r"(?:\s*[:.]?\s*$|\s*:|\s+(?![A-ZÆØÅ]))"
)
# Compound files (OLE2): an Excel 97-2003 workbook, or an .xlsx workbook encrypted with a password.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_DELIMITERS = (";", ",", "\t")  # a CSV export's field separator, preferred in this order on a tie
_SNIFF_LINES = 50


@dataclass
class RawTable:
    """Cell values of one raw file, with the spreadsheet row number of every data row."""

    file: str
    frame: pd.DataFrame  # columns = header texts as written in the file; object dtype
    rows: list[int]  # spreadsheet row number of each frame row
    column_refs: dict[str, str] = field(default_factory=dict)  # header -> "B" (xlsx), "2" (csv), variable (sav)
    encoding: str | None = None
    blank_rows: list[int] = field(default_factory=list)  # rows under the header with no value at all
    repairs: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column as in messages, rule)
    set_aside: list[tuple[int, str]] = field(default_factory=list)  # rows under the header that are not data
    header_row: int = 1
    notes: list[str] = field(default_factory=list)  # what was passed over (title rows, other sheets) and why

    def column_ref(self, header: str) -> str:
        """How to name a column in a message: its header and its position in the file."""
        ref = self.column_refs.get(header)
        return header if ref is None else f"{header} [{ref}]"


def _column_name(header: str | None, ref: str) -> str:
    """A column in a message: 'header [B]', or the letter alone for a column without a header."""
    return f"{header} [{ref}]" if header else ref


def read_raw_table(path: str | Path, is_known_header: Callable[[str], bool] | None = None) -> RawTable:
    """Read a register or survey export by its file ending (.xlsx; .csv, .tsv, .txt; .sav).

    `is_known_header` (a header text -> whether the codebook knows it) helps find the header row and the
    data sheet; without it they are found by the shape of the rows (see `find_header`).

    Raises RawInputError naming the file for a missing, empty, unreadable or header-less file, for
    duplicate or blank headers, and for a CSV row with more fields than the header.
    """
    path = Path(path)
    if not path.exists():
        raise RawInputError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise RawInputError(path, "file is empty")
    suffix = path.suffix.lower()
    repairs: list[tuple[int, str, str]] = []
    notes: list[str] = []
    if suffix == ".xlsx":
        cells, lengths, top = _read_xlsx(path, repairs, notes, is_known_header)
        refs, encoding, cut_off = _excel_refs, None, False
    elif suffix in (".csv", ".tsv", ".txt"):
        cells, lengths, encoding, cut_off = _read_csv(path, notes)
        top = find_header(cells, is_known_header)
        refs = _position_refs
    elif suffix == ".sav":
        header, body, rows, names, encoding = _read_sav(path)
        return _to_table(path, header, body, rows, names, encoding, repairs)
    else:
        raise RawInputError(path, f"unsupported file type '{suffix}' (expected .xlsx, .csv, .tsv, .txt or .sav)")
    if top > 0:
        notes.append(f"{_row_span(1, top)} above the header (row {top + 1}) not read: a title or note, not data")
    width = _width(cells[top:])
    header = (cells[top] + [None] * width)[:width]
    named_width = max((i + 1 for i, v in enumerate(header) if not is_blank(v)), default=0)
    body, rows, set_aside = [], [], []
    fields = len(cells[top])
    for index in range(top + 1, len(cells)):
        values, row = cells[index], index + 1
        if lengths is not None and lengths[index] > fields and any(v.strip() for v in values[fields:]):
            raise RawInputError(path, f"row has {lengths[index]} fields but the header has {fields}", row=row)
        first = next((v for v in values if not is_blank(v)), None)
        if isinstance(first, str) and _TOTALS.match(first.strip()):
            set_aside.append((row, TOTALS_REASON))
        elif (
            first is not None
            and lengths is not None
            and (lengths[index] < named_width or cut_off and row == len(cells))
        ):
            set_aside.append((row, TRUNCATED_REASON))
        else:
            body.append((values + [None] * width)[:width])
            rows.append(row)
    table = _to_table(path, header, body, rows, refs(width), encoding, repairs, header_row=top + 1)
    table.set_aside, table.notes = set_aside, notes
    return table


def _excel_refs(width: int) -> list[str]:
    return [get_column_letter(i + 1) for i in range(width)]


def _position_refs(width: int) -> list[str]:
    return [str(i + 1) for i in range(width)]


def _row_span(first: int, last: int) -> str:
    return f"row {first}" if first == last else f"rows {first}-{last}"


def _width(cells: list[list[object]]) -> int:
    """Columns up to the last one holding a value in any of the rows."""
    width = max((len(r) for r in cells), default=0)
    while width > 0 and all(len(r) < width or is_blank(r[width - 1]) for r in cells):
        width -= 1
    return width


def find_header(cells: list[list[object]], is_known_header: Callable[[str], bool] | None = None) -> int:
    """Index (0-based) of the header row among the first HEADER_SEARCH_ROWS rows.

    With `is_known_header`, the row holding the most known headers (the first such row on a tie); without
    it, or when no row holds a known header, the first row with a row of values under it that has at least
    two text cells, none of them a number or date, and fills at least half as many cells as the fullest row
    near the top (a title, a note such as "Udtræk: 01-03-2023" or a blank row does not). Failing that, the
    first row with a value.
    """
    top = cells[:HEADER_SEARCH_ROWS]
    if is_known_header is not None:
        known = [sum(1 for v in r if isinstance(v, str) and v.strip() and is_known_header(v.strip())) for r in top]
        if max(known, default=0) > 0:
            return known.index(max(known))
    filled = [sum(1 for v in r if not is_blank(v)) for r in top]
    fullest = max(filled, default=0)
    last = max((i for i, n in enumerate(filled) if n), default=0)
    for index, row in enumerate(top[:last]):
        texts = all(isinstance(v, str) for v in row if not is_blank(v))
        if filled[index] >= 2 and 2 * filled[index] >= fullest and texts:
            return index
    return next((i for i, n in enumerate(filled) if n), 0)


def unmangled(text: str) -> str | None:
    """The text before a wrong decoding garbled it ('PÃ¥' -> 'På'), or None when it is not garbled.

    Garbled means: UTF-8 bytes that were decoded as Windows-1252. Encoding back to Windows-1252 must give
    valid UTF-8 that differs from the text; Danish text written correctly never does (its 'æøå' are not
    followed by the characters that make a UTF-8 sequence).
    """
    if text.isascii():
        return None
    try:
        fixed = text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return None
    return fixed if fixed != text else None


def _check_header(
    path: Path, header: list[object], refs: list[str], repairs: list[tuple[int, str, str]], header_row: int = 1
) -> list[str]:
    names: list[str] = []
    seen: dict[str, str] = {}
    for value, ref in zip(header, refs, strict=True):
        name = "" if is_blank(value) else str(value).strip()
        if (fixed := unmangled(name)) is not None:
            name = fixed.strip()
            repairs.append((header_row, ref, MOJIBAKE_RULE))
        if name.startswith(BOM):
            name = name.lstrip(BOM).strip()
            repairs.append((header_row, ref, BOM_RULE))
        if "\ufffd" in name:
            raise RawInputError(
                path,
                "header holds the replacement character '\ufffd': text was lost to a wrong "
                "encoding before the file was saved; export it again from the source",
                row=header_row,
                column=_column_name(name, ref),
            )
        if name and name in seen:
            raise RawInputError(
                path, f"header '{name}' appears twice (columns {seen[name]} and {ref})", row=header_row, column=ref
            )
        seen[name] = ref
        names.append(name)
    if not any(names):
        raise RawInputError(path, "no header row: the file holds no row of column names", row=header_row)
    return names


def _mend(value: object, row: int, ref: str, repairs: list[tuple[int, str, str]]) -> object:
    """A text cell with an Excel error value read as blank, or garbled text decoded back (both recorded)."""
    if not isinstance(value, str) or value.isascii() and not value.startswith("#"):
        return value
    if value.strip().upper() in EXCEL_ERRORS:
        repairs.append((row, ref, EXCEL_ERROR_RULE))
        return None
    if (fixed := unmangled(value)) is not None:
        repairs.append((row, ref, MOJIBAKE_RULE))
        return fixed
    return value


def _to_table(
    path: Path,
    header: list[object],
    body: list[list[object]],
    rows: list[int],
    refs: list[str],
    encoding: str | None,
    repairs: list[tuple[int, str, str]] | None = None,
    header_row: int = 1,
) -> RawTable:
    """The table of a file's cells, with its repairs (cells named as in messages: header [ref])."""
    repairs = list(repairs or [])
    names = _check_header(path, header, refs, repairs, header_row)
    kept_body, kept_rows, blank_rows = [], [], []
    for values, row in zip(body, rows, strict=True):
        values = list(values) + [None] * (len(names) - len(values))
        for i, (name, value, ref) in enumerate(zip(names, values, refs, strict=False)):
            if not name and not is_blank(value):
                raise RawInputError(
                    path,
                    f"a value stands in a column without a header (the header is row {header_row}): "
                    "give the column a header or move the value",
                    row=row,
                    column=ref,
                )
            values[i] = _mend(value, row, ref, repairs)
        if all(is_blank(v) for v in values):
            blank_rows.append(row)
            continue
        kept_body.append(values)
        kept_rows.append(row)
    keep = [i for i, name in enumerate(names) if name]
    frame = pd.DataFrame([[r[i] for i in keep] for r in kept_body], columns=[names[i] for i in keep], dtype=object)
    header_of = {ref: name for name, ref in zip(names, refs, strict=True)}
    named = [(row, _column_name(header_of.get(ref), ref), rule) for row, ref, rule in repairs]
    return RawTable(
        file=str(path),
        frame=frame,
        rows=kept_rows,
        column_refs={names[i]: refs[i] for i in keep},
        encoding=encoding,
        blank_rows=blank_rows,
        repairs=named,
        header_row=header_row,
    )


class _SheetParser(WorkSheetParser):
    """openpyxl's parser, also marking formula cells that hold no computed value.

    Excel saves a formula's last result beside it; a file written by a program and never opened in Excel
    has only the formula, so openpyxl (reading values, not formulas) would see a blank.
    """

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if element.find(FORMULA_TAG) is not None and not element.findtext(VALUE_TAG) and element.get("t") != "str":
            cell["uncomputed"] = True
        return cell


_UNREADABLE_XLSX = (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, SyntaxError)


@dataclass
class _Sheet:
    title: str
    cells: list[list[object]]
    uncomputed: list[tuple[int, int]]
    merged: list[str]
    top: int = 0  # index of its header row
    known: int = 0  # known headers in its header row
    data_rows: int = 0  # rows with a value under its header

    def header_names(self) -> list[str]:
        return [str(v).strip() for v in self.cells[self.top] if not is_blank(v)] if self.cells else []


def _compound_file_problem(path: Path) -> str | None:
    """Why an .xlsx that is an OLE2 compound file cannot be read: a password, or the old .xls format."""
    with path.open("rb") as handle:
        if handle.read(len(_OLE2_MAGIC)) != _OLE2_MAGIC:
            return None
        encrypted = _ENCRYPTED_PACKAGE in handle.read()
    if encrypted:
        return (
            "the workbook is protected by a password (encrypted): open it in Excel, remove the password "
            "(File > Info > Protect Workbook > Encrypt with Password, then clear it) and save it"
        )
    return "the file is an old Excel 97-2003 workbook (.xls) named .xlsx: open it in Excel and save it as .xlsx"


def _read_xlsx(
    path: Path,
    repairs: list[tuple[int, str, str]],
    notes: list[str],
    is_known_header: Callable[[str], bool] | None,
) -> tuple[list[list[object]], None, int]:
    """Cells of the data sheet as Excel shows them (formula results, merged cells filled in), and the index
    of its header row.

    The data sheet is the one whose header row holds the most known headers, then the most rows under
    it (a summary or notes sheet beside the data has few); the first on a tie. The other sheets are named in
    `notes`, except that one with the same header is an error (a register split over sheets).
    """
    if (problem := _compound_file_problem(path)) is not None:
        raise RawInputError(path, problem)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except _UNREADABLE_XLSX as exc:  # SyntaxError covers XML parse errors
        raise RawInputError(path, f"not a readable Excel workbook ({type(exc).__name__})") from exc
    try:
        try:
            sheets = [_Sheet(sheet.title, *_parse_sheet(workbook, sheet)) for sheet in workbook.worksheets]
        except _UNREADABLE_XLSX as exc:
            raise RawInputError(path, f"not a readable Excel workbook ({type(exc).__name__})") from exc
    finally:
        workbook.close()
    holding = [s for s in sheets if any(not is_blank(v) for row in s.cells for v in row)]
    if not holding:
        raise RawInputError(path, f"the first sheet '{sheets[0].title}' is empty" if sheets else "no sheets")
    for sheet in holding:
        sheet.top = find_header(sheet.cells, is_known_header)
        names = sheet.header_names()
        sheet.known = sum(1 for n in names if is_known_header is not None and is_known_header(n))
        sheet.data_rows = sum(1 for r in sheet.cells[sheet.top + 1 :] if any(not is_blank(v) for v in r))
    chosen = max(holding, key=lambda s: (s.known, s.data_rows))
    for other in sheets:
        if other is chosen:
            continue
        if other in holding and other.header_names() == chosen.header_names():
            raise RawInputError(
                path,
                f"sheet '{other.title}' has the same header as sheet '{chosen.title}': its rows would not "
                "be read; put all rows on one sheet",
            )
        notes.append(f"sheet '{other.title}' not read ({'empty' if other not in holding else 'not the data'})")
    if chosen is not sheets[0]:
        notes.append(f"data read from sheet '{chosen.title}', not the first sheet")
    cells, top = chosen.cells, chosen.top
    names = ["" if is_blank(v) else str(v).strip() for v in cells[top]]
    if chosen.uncomputed:
        row, column = chosen.uncomputed[0]
        header_name = names[column - 1] if column <= len(names) else ""
        raise RawInputError(
            path,
            "formula without a computed value (the file was written by a program and never "
            "saved by Excel): open and save it in Excel, or write the values",
            row=row,
            column=_column_name(header_name, get_column_letter(column)),
        )
    _fill_merged(path, cells, chosen.merged, top + 1, repairs)
    return cells, None, top


def _fill_merged(
    path: Path, cells: list[list[object]], merged: list[str], header_row: int, repairs: list[tuple[int, str, str]]
) -> None:
    """Give each blank cell of a merged range under the header the value of its first cell, as Excel shows
    it (recorded). A range above the header (a title across the columns) is left alone."""
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if max_row < header_row:
            continue
        if min_row <= header_row:
            raise RawInputError(
                path,
                f"merged cells {ref} in the header row: unmerge them so that every column has its own header",
                row=header_row,
                column=ref,
            )
        first = cells[min_row - 1] if min_row <= len(cells) else []
        value = first[min_col - 1] if min_col <= len(first) else None
        if is_blank(value):
            continue
        for r in range(min_row, min(max_row, len(cells)) + 1):
            line = cells[r - 1]
            line.extend([None] * (max_col - len(line)))
            for c in range(min_col, max_col + 1):
                if (r, c) != (min_row, min_col) and is_blank(line[c - 1]):
                    line[c - 1] = value
                    repairs.append((r, get_column_letter(c), MERGED_RULE))


def _parse_sheet(workbook, sheet) -> tuple[list[list[object]], list[tuple[int, int]], list[str]]:
    """Rows 1..last of a read-only sheet as value lists, formula cells without a value, merged ranges."""
    grid: dict[int, list[object]] = {}
    uncomputed = []
    with sheet._get_source() as source:
        parser = _SheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for index, row_cells in parser.parse():
            values: list[object] = []
            for cell in row_cells:
                column = cell["column"]
                values.extend([None] * (column - len(values)))
                values[column - 1] = cell["value"]
                if cell.get("uncomputed"):
                    uncomputed.append((index, column))
            grid[index] = values
        merged = [str(m.ref) for m in parser.merged_cells.mergeCell] if parser.merged_cells else []
    last = max(grid, default=0)
    return [grid.get(i, []) for i in range(1, last + 1)], uncomputed, merged


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    """Text of a CSV file: UTF-16 or UTF-8 after a byte-order mark, else UTF-8, else Windows-1252, else
    Latin-1 (ISO-8859-1, which defines the few bytes Windows-1252 leaves undefined)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16 with a byte-order mark
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise RawInputError(path, "file starts with a UTF-16 byte-order mark but is not UTF-16 text") from None
    if raw.startswith(b"PK\x03\x04"):
        raise RawInputError(
            path,
            "file is an Excel workbook or other zip archive, not text: give it the ending .xlsx, or export it as CSV",
        )
    if b"\x00" in raw:
        raise RawInputError(path, "file holds binary data, not text (is it really a CSV export?)")
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:  # a mark promising UTF-8 before Latin-1 text: read on without it
            raw = raw[3:]
    for encoding in CSV_ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"  # never fails: every byte is a Latin-1 character


def _delimiter(text: str) -> str:
    """The field separator: of ';', ',' and tab, the one that splits most of the first lines into one
    same number (more than one) of fields; a title line above the header does not sway it."""
    sample = "".join(itertools.islice(io.StringIO(text, newline=""), _SNIFF_LINES))
    best, best_score = _DELIMITERS[0], (0, 0)
    for delimiter in _DELIMITERS:
        try:
            counts = Counter(len(r) for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        counts.pop(0, None)
        counts.pop(1, None)
        if counts:
            fields, lines = max(counts.items(), key=lambda item: (item[1], item[0]))
            if (lines, fields) > best_score:
                best, best_score = delimiter, (lines, fields)
    return best


def _read_csv(path: Path, notes: list[str]) -> tuple[list[list[object]], list[int], str, bool]:
    """The records of a delimited text export as rows (row n = the n-th record, as a spreadsheet opening the
    file shows it, whatever line breaks quoted cells hold), their field counts, the encoding, and whether
    the file ends inside a quoted cell (cut off)."""
    text, encoding = _decode(path, path.read_bytes())
    delimiter = _delimiter(text)
    if delimiter == "\t":
        notes.append("read as tab-separated text")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[object]] = []
    lines_before_last = 0
    try:
        lines_read = 0
        for record in reader:
            records.append(record)
            lines_before_last, lines_read = lines_read, reader.line_num
    except csv.Error as exc:
        detail = str(exc)
        if "field larger than field limit" in detail:
            detail = (
                f"a cell is longer than {csv.field_size_limit():,} characters, which no register or survey "
                "cell is: most often a quotation mark left open has swallowed the rows after it"
            )
        raise RawInputError(path, f"not readable as delimited text ({detail})", row=len(records) + 1) from None
    if not records:
        raise RawInputError(path, "file has no header row")
    cut_off = _ends_inside_quotes(text, lines_before_last, delimiter)
    return records, [len(r) for r in records], encoding, cut_off


def _ends_inside_quotes(text: str, lines_before_last: int, delimiter: str) -> bool:
    """True when the last record stops inside a quoted cell (the file was cut off in the middle of it)."""
    tail = "".join(itertools.islice(io.StringIO(text, newline=""), lines_before_last, None))
    try:
        list(csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


_RESTRICTED_NUMERIC = re.compile(r"^N(\d+)$")  # SPSS N format: whole numbers shown with leading zeros


def _read_sav(path: Path):
    """Cells of an SPSS .sav file as SPSS's data view shows them with value labels switched on.

    Header: each variable's label (where SurveyXact and Enalyzer put the question text), else its name;
    the variable name is the column reference in messages ("Jeg har været glad ... [who5_1]"). Two
    variables with the same label are a duplicate header, as in any other file.

    Values: a value with a value label becomes the label text ("Hele tiden"); a number without one stays a
    number (whole numbers as int, like a spreadsheet cell; a variable in SPSS's N format, such as a CPR
    number in N10, as the zero-padded text SPSS shows). The reader does not know the site, so it is the
    site sheet that says how answers are read: a site whose .sav answers carry value labels sets
    `survey_coding: labels` (the label text is matched against the codebook, whatever codes the survey
    tool used); `codes` suits only a .sav whose answers carry no value labels. A site sheet saying `codes`
    for labelled answers makes the cleaner stop with an error naming the cell. User-missing values (such as
    a "Ved ikke" code declared missing) and system-missing values are blank. Date and datetime variables
    stay dates. Row numbers are the case number + 1 (header = row 1, as in a spreadsheet).
    """
    try:
        data, meta = pyreadstat.read_sav(str(path), user_missing=False)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise RawInputError(path, f"not a readable SPSS .sav file ({reason})") from exc
    names = list(meta.column_names)
    labels = meta.column_names_to_labels or {}
    header = [label if isinstance(label := labels.get(name), str) and label.strip() else name for name in names]
    formats = meta.original_variable_types or {}
    columns = []
    for name in names:
        value_labels = (meta.variable_value_labels or {}).get(name, {})
        pad = _RESTRICTED_NUMERIC.match(formats.get(name, ""))
        width = int(pad[1]) if pad else None
        columns.append([_sav_value(v, value_labels, width) for v in data[name].tolist()])
    body = [list(values) for values in zip(*columns, strict=True)] if columns else []
    rows = list(range(2, len(data) + 2))
    return header, body, rows, names, meta.file_encoding


def _sav_value(value: object, value_labels: dict, width: int | None) -> object:
    if is_blank(value):
        return None if not isinstance(value, str) else value
    if value in value_labels:
        return value_labels[value]
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, float) and value.is_integer():
        if width is not None and value >= 0:
            return f"{int(value):0{width}d}"
        return int(value)
    return value
