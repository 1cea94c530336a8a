"""Reading raw exports (Excel registers, survey CSV/XLSX/SPSS .sav) into tables of untouched cell values.

Every reader returns a RawTable whose `rows` give, for each data row, the row number a person sees when
opening the file (header = row 1), so that every later message can point at the exact cell. Values are
kept as the file holds them (date cells stay dates, text stays text); interpretation is the cleaner's job.
An SPSS file is read as its data view shows it with value labels switched on (see `_read_sav`).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyreadstat
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
    column_refs: dict[str, str] = field(default_factory=dict)  # header -> "B" (xlsx), "2" (csv), variable (sav)
    encoding: str | None = None
    blank_rows: list[int] = field(default_factory=list)  # rows with no value at all

    def column_ref(self, header: str) -> str:
        """How to name a column in a message: its header and its position in the file."""
        ref = self.column_refs.get(header)
        return header if ref is None else f"{header} [{ref}]"


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
    if suffix == ".xlsx":
        header, body, rows, refs = _read_xlsx(path)
        encoding = None
    elif suffix == ".csv":
        header, body, rows, refs, encoding = _read_csv(path)
    elif suffix == ".sav":
        header, body, rows, refs, encoding = _read_sav(path)
    else:
        raise RawInputError(path, f"unsupported file type '{suffix}' (expected .xlsx, .csv or .sav)")
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
