"""Reading raw exports (Excel registers, survey CSV/XLSX/SPSS .sav) into tables of untouched cell values.

Every reader returns a RawTable whose `rows` give, for each data row, the row number a person sees when
opening the file (header = row 1), so that every later message can point at the exact cell. Values are
kept as the file holds them (date cells stay dates, text stays text); interpretation is the cleaner's job.
An SPSS file is read as its data view shows it with value labels switched on (see `_read_sav`).

Faults of the file itself are mended here, each recorded in `RawTable.repairs` with its cell (rules in
docs/cleaning-rules.md): text garbled by a wrong encoding ("Ã¸" for "ø") is decoded back, a byte-order mark
left in a header is removed, an Excel error value (#N/A, #VALUE!, Danish #I/T ...) is read as blank, and a
merged Excel cell gives its value to every cell of its range. What cannot be mended (a formula Excel never
computed, a merged header, text lost to a wrong encoding, a register split over sheets) is an error.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
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


@dataclass
class RawTable:
    """Cell values of one raw file, with the spreadsheet row number of every data row."""

    file: str
    frame: pd.DataFrame  # columns = header texts as written in the file; object dtype
    rows: list[int]  # spreadsheet row number of each frame row
    column_refs: dict[str, str] = field(default_factory=dict)  # header -> "B" (xlsx), "2" (csv), variable (sav)
    encoding: str | None = None
    blank_rows: list[int] = field(default_factory=list)  # rows with no value at all
    repairs: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column as in messages, rule)

    def column_ref(self, header: str) -> str:
        """How to name a column in a message: its header and its position in the file."""
        ref = self.column_refs.get(header)
        return header if ref is None else f"{header} [{ref}]"


def _column_name(header: str | None, ref: str) -> str:
    """A column in a message: 'header [B]', or the letter alone for a column without a header."""
    return f"{header} [{ref}]" if header else ref


def read_raw_table(path: str | Path) -> RawTable:
    """Read a register or survey export by its file ending (.xlsx, .csv, .sav).

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
    if suffix == ".xlsx":
        header, body, rows, refs = _read_xlsx(path, repairs)
        encoding = None
    elif suffix == ".csv":
        header, body, rows, refs, encoding = _read_csv(path)
    elif suffix == ".sav":
        header, body, rows, refs, encoding = _read_sav(path)
    else:
        raise RawInputError(path, f"unsupported file type '{suffix}' (expected .xlsx, .csv or .sav)")
    return _to_table(path, header, body, rows, refs, encoding, repairs)


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


def _check_header(path: Path, header: list[object], refs: list[str], repairs: list[tuple[int, str, str]]) -> list[str]:
    names: list[str] = []
    seen: dict[str, str] = {}
    for value, ref in zip(header, refs, strict=True):
        name = "" if is_blank(value) else str(value).strip()
        if (fixed := unmangled(name)) is not None:
            name = fixed.strip()
            repairs.append((1, ref, MOJIBAKE_RULE))
        if name.startswith(BOM):
            name = name.lstrip(BOM).strip()
            repairs.append((1, ref, BOM_RULE))
        if "\ufffd" in name:
            raise RawInputError(
                path,
                "header holds the replacement character '\ufffd': text was lost to a wrong "
                "encoding before the file was saved; export it again from the source",
                row=1,
                column=_column_name(name, ref),
            )
        if name and name in seen:
            raise RawInputError(
                path, f"header '{name}' appears twice (columns {seen[name]} and {ref})", row=1, column=ref
            )
        seen[name] = ref
        names.append(name)
    if not any(names):
        raise RawInputError(path, "no header row: row 1 is empty", row=1)
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
) -> RawTable:
    """The table of a file's cells, with its repairs (cells named as in messages: header [ref])."""
    repairs = list(repairs or [])
    names = _check_header(path, header, refs, repairs)
    kept_body, kept_rows, blank_rows = [], [], []
    for values, row in zip(body, rows, strict=True):
        values = list(values) + [None] * (len(names) - len(values))
        for i, (name, value, ref) in enumerate(zip(names, values, refs, strict=False)):
            if not name and not is_blank(value):
                raise RawInputError(path, "a value stands in a column without a header", row=row, column=ref)
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


def _read_xlsx(path: Path, repairs: list[tuple[int, str, str]]):
    """Cells of the first sheet as Excel shows them (formula results, merged cells filled in).

    Other sheets are not read, but one with the same header as the first is an error (a register split
    over sheets), and an empty first sheet names the sheet that holds data.
    """
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except _UNREADABLE_XLSX as exc:  # SyntaxError covers XML parse errors
        raise RawInputError(path, f"not a readable Excel workbook ({type(exc).__name__})") from exc
    try:
        try:
            sheet = workbook.worksheets[0]
            cells, uncomputed, merged = _parse_sheet(workbook, sheet)
            others = [(other.title, _first_row(other)) for other in workbook.worksheets[1:]]
        except _UNREADABLE_XLSX as exc:
            raise RawInputError(path, f"not a readable Excel workbook ({type(exc).__name__})") from exc
    finally:
        workbook.close()
    if not any(not is_blank(v) for row in cells for v in row):
        holding = [title for title, first in others if first]
        where = (
            f"; sheet '{holding[0]}' holds data (the register or survey must be on the first sheet)" if holding else ""
        )
        raise RawInputError(path, f"the first sheet '{sheet.title}' is empty{where}")
    width = max(len(r) for r in cells)
    while width > 0 and all(len(r) < width or is_blank(r[width - 1]) for r in cells):
        width -= 1
    refs = [get_column_letter(i + 1) for i in range(width)]
    header = (cells[0] + [None] * width)[:width]
    names = ["" if is_blank(v) else str(v).strip() for v in header]
    for title, first in others:
        if first and [str(v).strip() for v in first if not is_blank(v)] == [n for n in names if n]:
            raise RawInputError(
                path,
                f"sheet '{title}' has the same header as the first sheet: its rows would not "
                "be read; put all rows on the first sheet",
            )
    if uncomputed:
        row, column = uncomputed[0]
        header_name = names[column - 1] if column <= width else ""
        raise RawInputError(
            path,
            "formula without a computed value (the file was written by a program and never "
            "saved by Excel): open and save it in Excel, or write the values",
            row=row,
            column=_column_name(header_name, get_column_letter(column)),
        )
    _fill_merged(path, cells, merged, repairs)
    body = [(r + [None] * width)[:width] for r in cells[1:]]
    return header, body, list(range(2, len(cells) + 1)), refs


def _fill_merged(path: Path, cells: list[list[object]], merged: list[str], repairs: list[tuple[int, str, str]]) -> None:
    """Give each blank cell of a merged range the value of its first cell, as Excel shows it (recorded)."""
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if min_row == 1:
            raise RawInputError(
                path,
                f"merged cells {ref} in the header row: unmerge them so that every column has its own header",
                row=1,
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


def _first_row(sheet) -> list[object]:
    """The first non-empty row of a sheet (empty list for an empty sheet)."""
    for row in sheet.iter_rows(values_only=True):
        if any(not is_blank(v) for v in row):
            return list(row)
    return []


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    """Text of a CSV file: UTF-8 after a byte-order mark, else UTF-8, else Windows-1252 (Latin-1)."""
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
    raise RawInputError(path, "text is neither UTF-8 nor Windows-1252/Latin-1")


def _read_csv(path: Path):
    text, encoding = _decode(path, path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, rows = [], []
    for record in reader:
        records.append(record)
        rows.append(reader.line_num)
    if not records:
        raise RawInputError(path, "file has no header row")
    header = records[0]
    refs = [str(i + 1) for i in range(len(header))]
    for record, row in zip(records[1:], rows[1:], strict=True):
        if len(record) > len(header) and any(v.strip() for v in record[len(header) :]):
            raise RawInputError(path, f"row has {len(record)} fields but the header has {len(header)}", row=row)
    body = [record[: len(header)] for record in records[1:]]
    return header, body, rows[1:], refs, encoding


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
