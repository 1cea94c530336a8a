"""Provenance of a report: what made it, so that a reader can tell two reports apart and a researcher can
rebuild one. No wall-clock time: the date shown is the data extraction date from the project config."""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

from analysis import __version__

PACKAGES = [
    "brobygning-analysis",
    "pandas",
    "numpy",
    "statsmodels",
    "scipy",
    "seaborn",
    "matplotlib",
    "pandera",
    "pyarrow",
    "openpyxl",
    "papermill",
    "nbconvert",
    "snakemake",
]


def code_version(repo: str | Path) -> dict:
    """The git commit of the code and whether tracked files differ from it ('unknown' outside git)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": dirty}


def file_hashes(paths: list[str | Path], root: str | Path) -> dict[str, str]:
    """SHA-256 of each file, keyed by its path relative to `root`, in sorted order."""
    root = Path(root).resolve()
    out = {}
    for path in sorted(Path(p).resolve() for p in paths):
        out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def package_versions(names: list[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that shape the results; this package's own is analysis.__version__."""
    versions = {}
    for name in names:
        if name == "brobygning-analysis":
            versions[name] = __version__
            continue
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
