"""Writing outputs atomically and deterministically.

Every file is written to a temporary name in the same folder and renamed into place, so a killed job
never leaves a half-written file under the final name. Tables are written without index and in a fixed
row order, so the same data gives the same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def _atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as parquet (no index, no compression timestamps), atomically."""
    return _atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow"))


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as UTF-8 CSV with '\\n' line ends, atomically."""
    return _atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))


def write_json(data: object, path: str | Path) -> Path:
    """Write JSON with sorted keys and a final newline, atomically."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    return _atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
