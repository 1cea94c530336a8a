"""Errors that point an evaluator at the exact place in a raw file."""

from __future__ import annotations

from pathlib import Path


class RawInputError(ValueError):
    """A raw file cannot be used as it is. Its message is one line naming file, row and column.

    `row` is the 1-based line in the file as a spreadsheet shows it (the header is row 1);
    None when the problem concerns the whole file.
    """

    def __init__(self, file: str | Path, message: str, row: int | None = None, column: str | None = None):
        self.file = str(file)
        self.row = row
        self.column = column
        self.detail = message
        where = [self.file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}")


class ConfigError(ValueError):
    """A project's config, site sheet or codebook is invalid. Holds every problem found, not just the first."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(
            "; ".join(self.problems)
            if len(self.problems) == 1
            else f"{len(self.problems)} problems:\n" + "\n".join(f"  - {p}" for p in self.problems)
        )
