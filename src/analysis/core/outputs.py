"""Writing outputs atomically and deterministically.

Every file is written to a temporary name in the same folder and renamed into place, so a killed job
never leaves a half-written file under the final name; the temporary left by a killed write is removed by
the next write of the same file, so a rerun leaves no litter beside its outputs. Tables are written
without index and in a fixed row order, so the same data gives the same bytes.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only annotations: a report job's runner writes pages and never imports pandas
    import pandas as pd


def _umask() -> int:
    """The process's file-creation mask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write` on a temporary file beside `path`, then rename it to `path`: `path` holds either its
    old content or the whole new one, never a part. Temporaries of earlier writes of `path` that were
    killed before their rename are removed first (each output has one writer at a time: Snakemake's lock)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates the file readable by its owner only; outputs are shared (a report is published), so
    # they get the mode an ordinary new file would get under the process's umask (0644 under umask 022).
    os.chmod(tmp, 0o666 & ~_umask())
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
    return write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n", path)


def write_text(text: str, path: str | Path) -> Path:
    """Write UTF-8 text (an HTML page, say), atomically."""
    return _atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
