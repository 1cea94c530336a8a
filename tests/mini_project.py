"""Small simulated projects run through the real Snakemake workflow in scratch folders.

Shared by the end-to-end tests (`tests/e2e/`, local and SLURM) and the fault trials (`tests/faults/`): how a
project is made, how Snakemake is called on it, which output files two runs must agree on byte for byte,
and what Snakemake recorded about its jobs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "config" / "projects" / yaml.safe_load((REPO / "config" / "config.yaml").read_text())["project"]
PROJECT = "e2e-mini"
SITES = ["assens", "guldborgsund", "jammerbugt"]
SCALE = 0.15


def make_project(root: Path, project: str = PROJECT, sites: Sequence[str] = SITES, scale: float = SCALE) -> None:
    """Write the default project's config cut down to `sites` under the name `project`, select it in
    config/config.yaml and simulate its raw exports at `scale` (deterministic: the seed is the project's)."""
    target = root / "config" / "projects" / project
    shutil.copytree(SOURCE, target)
    config = yaml.safe_load((target / "config.yaml").read_text(encoding="utf-8"))
    config["project"] = project
    config["subsidy_rules"] = {site: rules for site, rules in config["subsidy_rules"].items() if site in sites}
    (target / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    lines = (target / "sites.tsv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split("\t")[0] in sites]
    (target / "sites.tsv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    (root / "config" / "config.yaml").write_text(f"project: {project}\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.simulation",
            "--project-dir",
            str(target),
            "--out",
            str(root / "data" / "raw" / project),
            "--sites",
            ",".join(sites),
            "--scale",
            str(scale),
        ],
        check=True,
        capture_output=True,
    )


def copy_inputs(source: Path, target: Path) -> Path:
    """A fresh project root holding only `source`'s config and raw data; returns `target`."""
    shutil.copytree(source / "config", target / "config")
    shutil.copytree(source / "data" / "raw", target / "data" / "raw")
    return target


def snakemake_command(root: Path, project: str, *args: str) -> list[str]:
    """The workflow's command line for a project in `root`, 2 cores; the repository's `workflow/profiles/default`
    (with rerun-incomplete) applies, as for `make run`. `args` go before --config, which would otherwise
    read file targets as config values."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "workflow" / "Snakefile"),
        "--directory",
        str(root),
        "--cores",
        "2",
        *args,
        "--config",
        f"project={project}",
    ]


def run_snakemake(
    root: Path,
    *args: str,
    project: str = PROJECT,
    check: bool = True,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess:
    """Run the workflow to the end; with `check`, a failed run raises with the end of its output."""
    result = subprocess.run(
        snakemake_command(root, project, *args), capture_output=True, text=True, cwd=root, env=env, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, keyed by its path relative to `folder`."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def reproducible_outputs(root: Path, project: str = PROJECT) -> dict[str, str]:
    """Hashes of every processed table and every HTML report: what two runs from the same raw data must
    agree on. Executed notebooks (the audit trail) carry papermill's timestamps and are left out."""
    hashes = file_hashes(root / "data" / "processed" / project)
    hashes |= {f"reports/{k}": v for k, v in file_hashes(root / "reports" / project).items() if k.endswith(".html")}
    return hashes


def _snakemake_records(root: Path, kind: str) -> dict[str, Path]:
    folder = root / ".snakemake" / kind
    if not folder.exists():
        return {}

    # Snakemake names each record by the URL-safe base64 of the output path, split into '@'-prefixed folders
    # when longer than a file name may be.
    def output(record: Path) -> str:
        return base64.urlsafe_b64decode("".join(p.removeprefix("@") for p in record.relative_to(folder).parts)).decode()

    return {output(p): p for p in folder.rglob("*") if p.is_file()}


def snakemake_metadata(root: Path) -> dict[str, dict]:
    """Snakemake's metadata record (rule, log, start and end time...) of every output of a job it saw finish."""
    return {output: json.loads(path.read_text()) for output, path in _snakemake_records(root, "metadata").items()}


def marked_incomplete(root: Path) -> set[str]:
    """Output paths Snakemake has marked incomplete: a job started on them and was not seen to finish."""
    return set(_snakemake_records(root, "incomplete"))
