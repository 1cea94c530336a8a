"""The row ledger: every raw row is kept or rejected with a reason, and every repair is recorded.

The ledger never holds a raw value (no CPR number, name or answer text), only where and why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

LEDGER_COLUMNS = ["file", "row", "column", "reason"]
REPAIR_COLUMNS = ["file", "row", "column", "rule"]


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
    """Rejections and repairs of one site, with a tally per file that must reconcile."""

    rejected: list[dict] = field(default_factory=list)
    repairs: list[dict] = field(default_factory=list)
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
            self.reject(file, row, None, "empty row")
        for row, reason in set_aside:
            self.reject(file, row, None, reason)
        return tally

    def reject(self, file: str, row: int, column: str | None, reason: str) -> None:
        self.rejected.append({"file": file, "row": row, "column": column or "", "reason": reason})
        self.files[file].rejected += 1

    def keep(self, file: str) -> None:
        self.files[file].kept += 1

    def repair(self, file: str, row: int, column: str, rule: str) -> None:
        self.repairs.append({"file": file, "row": row, "column": column, "rule": rule})

    def unreconciled(self) -> list[str]:
        """Files where kept + rejected != read (should always be empty)."""
        return [t.file for t in self.files.values() if t.kept + t.rejected != t.read]

    def rejected_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rejected, columns=LEDGER_COLUMNS)
        return frame.sort_values(["file", "row"], kind="mergesort").reset_index(drop=True)

    def repairs_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.repairs, columns=REPAIR_COLUMNS)
        return frame.sort_values(["file", "row", "column"], kind="mergesort").reset_index(drop=True)

    def file_summaries(self) -> list[dict]:
        """Per file: rows read/kept/rejected, rejections by reason and repairs by rule."""
        out = []
        for file in sorted(self.files):
            tally = self.files[file]
            reasons = Counter(r["reason"] for r in self.rejected if r["file"] == file)
            rules = Counter(r["rule"] for r in self.repairs if r["file"] == file)
            out.append(
                {
                    "file": file,
                    "kind": tally.kind,
                    "wave": tally.wave,
                    "encoding": tally.encoding,
                    "read": tally.read,
                    "kept": tally.kept,
                    "rejected": tally.rejected,
                    "rejected_by_reason": dict(sorted(reasons.items())),
                    "repairs_by_rule": dict(sorted(rules.items())),
                }
            )
        return out
