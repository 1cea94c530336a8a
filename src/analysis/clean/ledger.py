"""The row ledger: every raw row is kept or rejected with a reason, and every repair is recorded.

The ledger never holds a raw value (no CPR number, name or answer text), only where and why: reasons and
rules are keys of the catalogue in analysis.clean.reasons, rendered in the page's language by the reports.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from analysis.clean.reasons import reader_rule_key

LEDGER_COLUMNS = ["file", "row", "column", "reason", "same_as_row"]
REPAIR_COLUMNS = ["file", "row", "column", "rule"]
FLAG_COLUMNS = ["file", "row", "column", "flag"]
FIRST_ROWS = 5  # row numbers kept per file and reason in the quality report


@dataclass
class FileTally:
    """Rows read, kept and rejected in one raw file."""

    file: str
    kind: str  # register | survey
    wave: str | None
    encoding: str | None
    read: int = 0
    kept: int = 0
    rejected: int = 0


@dataclass
class Ledger:
    """Rejections, repairs and flags of one site, with a tally per file that must reconcile."""

    rejected: list[dict] = field(default_factory=list)
    repairs: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    files: dict[str, FileTally] = field(default_factory=dict)

    def open_file(self, file: str, kind: str, wave: str | None, encoding: str | None) -> FileTally:
        tally = FileTally(file=file, kind=kind, wave=wave, encoding=encoding)
        self.files[file] = tally
        return tally

    def read_file(
        self,
        file: str,
        kind: str,
        wave: str | None,
        encoding: str | None,
        data_rows: int,
        blank_rows: list[int],
        set_aside: list[tuple[int, str]] = (),
    ) -> FileTally:
        """Open a file's tally: every row under the header counts as read; blank rows are rejected, and so
        are rows the reader set aside (a totals row, a row cut off), each with the reader's reason."""
        tally = self.open_file(file, kind, wave, encoding)
        tally.read = data_rows + len(blank_rows) + len(set_aside)
        for row in blank_rows:
            self.reject(file, row, None, "empty_row")
        for row, reason in set_aside:
            self.reject(file, row, None, reader_rule_key(reason))
        return tally

    def reject(self, file: str, row: int, column: str | None, reason: str, same_as_row: int | None = None) -> None:
        self.rejected.append(
            {"file": file, "row": row, "column": column or "", "reason": reason, "same_as_row": same_as_row}
        )
        self.files[file].rejected += 1

    def keep(self, file: str) -> None:
        self.files[file].kept += 1

    def repair(self, file: str, row: int, column: str, rule: str) -> None:
        self.repairs.append({"file": file, "row": row, "column": column, "rule": rule})

    def flag(self, file: str, row: int, column: str, flag: str) -> None:
        """A kept row left unchanged but implausible (counted in the quality report)."""
        self.flags.append({"file": file, "row": row, "column": column, "flag": flag})

    def unreconciled(self) -> list[str]:
        """Files where kept + rejected != read (should always be empty)."""
        return [t.file for t in self.files.values() if t.kept + t.rejected != t.read]

    def rejected_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rejected, columns=LEDGER_COLUMNS)
        frame["same_as_row"] = frame["same_as_row"].astype("Int64")
        return frame.sort_values(["file", "row"], kind="mergesort").reset_index(drop=True)

    def repairs_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.repairs, columns=REPAIR_COLUMNS)
        return frame.sort_values(["file", "row", "column"], kind="mergesort").reset_index(drop=True)

    def flags_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.flags, columns=FLAG_COLUMNS)
        return frame.sort_values(["file", "row", "column"], kind="mergesort").reset_index(drop=True)

    def file_summaries(self) -> list[dict]:
        """Per file: rows read/kept/rejected/repaired; rejections by reason, repairs by rule and flags by
        flag, each with its count and first row numbers."""
        out = []
        for file in sorted(self.files):
            tally = self.files[file]
            repaired_rows = {r["row"] for r in self.repairs if r["file"] == file and r["row"] > 1}
            out.append(
                {
                    "file": file,
                    "kind": tally.kind,
                    "wave": tally.wave,
                    "encoding": tally.encoding,
                    "read": tally.read,
                    "kept": tally.kept,
                    "rejected": tally.rejected,
                    "repaired": len(repaired_rows - {r["row"] for r in self.rejected if r["file"] == file}),
                    "rejected_by_reason": _counts(self.rejected, file, "reason"),
                    "repairs_by_rule": _counts(self.repairs, file, "rule"),
                    "flags_by_flag": _counts(self.flags, file, "flag"),
                    "first_rows": {
                        "rejected": _first_rows(self.rejected, file, "reason"),
                        "repairs": _first_rows(self.repairs, file, "rule"),
                        "flags": _first_rows(self.flags, file, "flag"),
                    },
                }
            )
        return out


def _counts(entries: list[dict], file: str, field_name: str) -> dict[str, int]:
    return dict(sorted(Counter(e[field_name] for e in entries if e["file"] == file).items()))


def _first_rows(entries: list[dict], file: str, field_name: str) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for entry in entries:
        if entry["file"] == file:
            rows.setdefault(entry[field_name], []).append(entry["row"])
    return {key: sorted(set(found))[:FIRST_ROWS] for key, found in sorted(rows.items())}
