"""Reading raw exports (Excel registers, survey CSV/XLSX) into tables of untouched cell values.

Every reader returns a RawTable whose `rows` give, for each data row, the row number a person sees when
opening the file (header = row 1), so that every later message can point at the exact cell. Values are
kept as the file holds them (date cells stay dates, text stays text); interpretation is the cleaner's job.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .dates import is_blank
from .errors import RawInputError

CSV_ENCODINGS = ("utf-8", "cp1252")  # tried in this order after a BOM check; cp1252 covers Latin-1 text


@dataclass
class RawTable:
    """Cell values of one raw file, with the spreadsheet row number of every data row."""

    file: str
    frame: pd.DataFrame  # columns = header texts as written in the file; object dtype
    rows: list[int]  # spreadsheet row number of each frame row
    column_refs: dict[str, str] = field(default_factory=dict)  # header -> "B" (xlsx) or "2" (csv)
    encoding: str | None = None
    blank_rows: list[int] = field(default_factory=list)  # rows with no value at all

    def column_ref(self, header: str) -> str:
        """How to name a column in a message: its header and its position in the file."""
        ref = self.column_refs.get(header)
        return header if ref is None else f"{header} [{ref}]"


def read_raw_table(path: str | Path) -> RawTable:
    """Read a register or survey export by its file ending (.xlsx, .csv).

    Raises RawInputError naming the file for a missing, empty, unreadable or header-less file, for
    duplicate or blank headers, and for a CSV row with more fields than the header.
    """
    path = Path(path)
    if not path.exists():
        raise RawInputError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise RawInputError(path, "file is empty")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        header, body, rows, refs = _read_xlsx(path)
        encoding = None
    elif suffix == ".csv":
        header, body, rows, refs, encoding = _read_csv(path)
    else:
        raise RawInputError(path, f"unsupported file type '{suffix}' (expected .xlsx or .csv)")
    return _to_table(path, header, body, rows, refs, encoding)


def _check_header(path: Path, header: list[object], refs: list[str]) -> list[str]:
    names: list[str] = []
    seen: dict[str, str] = {}
    for value, ref in zip(header, refs, strict=True):
        name = "" if is_blank(value) else str(value).strip()
        if name and name in seen:
            raise RawInputError(path, f"header '{name}' appears twice (columns {seen[name]} and {ref})", row=1)
        seen[name] = ref
        names.append(name)
    if not any(names):
        raise RawInputError(path, "no header row: row 1 is empty", row=1)
    return names


def _to_table(path: Path, header: list[object], body: list[list[object]], rows: list[int],
              refs: list[str], encoding: str | None) -> RawTable:
    names = _check_header(path, header, refs)
    kept_body, kept_rows, blank_rows = [], [], []
    for values, row in zip(body, rows, strict=True):
        values = list(values) + [None] * (len(names) - len(values))
        for name, value, ref in zip(names, values, refs, strict=False):
            if not name and not is_blank(value):
                raise RawInputError(path, "a value stands in a column without a header", row=row, column=ref)
        if all(is_blank(v) for v in values):
            blank_rows.append(row)
            continue
        kept_body.append(values)
        kept_rows.append(row)
    keep = [i for i, name in enumerate(names) if name]
    frame = pd.DataFrame([[r[i] for i in keep] for r in kept_body], columns=[names[i] for i in keep], dtype=object)
    return RawTable(file=str(path), frame=frame, rows=kept_rows,
                    column_refs={names[i]: refs[i] for i in keep}, encoding=encoding, blank_rows=blank_rows)


def _read_xlsx(path: Path):
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise RawInputError(path, f"not a readable Excel workbook ({type(exc).__name__})") from exc
    try:
        sheet = workbook.worksheets[0]
        all_rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    if not all_rows:
        raise RawInputError(path, "the first sheet is empty")
    width = max(len(r) for r in all_rows)
    while width > 0 and all(len(r) < width or is_blank(r[width - 1]) for r in all_rows):
        width -= 1
    refs = [get_column_letter(i + 1) for i in range(width)]
    header = (all_rows[0] + [None] * width)[:width]
    body = [(r + [None] * width)[:width] for r in all_rows[1:]]
    return header, body, list(range(2, len(all_rows) + 1)), refs


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    if b"\x00" in raw:
        raise RawInputError(path, "file holds binary data, not text (is it really a CSV export?)")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
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
        if len(record) > len(header) and any(v.strip() for v in record[len(header):]):
            raise RawInputError(path, f"row has {len(record)} fields but the header has {len(header)}", row=row)
    body = [record[: len(header)] for record in records[1:]]
    return header, body, rows[1:], refs, encoding
