"""The small end-to-end project (3 simulated sites in a scratch folder) and how the tests run Snakemake on it.

Shared by the local end-to-end tests and the SLURM test, which compare their outputs file by file.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PROJECT = "e2e-mini"
SITES = ["assens", "guldborgsund", "jammerbugt"]


def make_project(root: Path) -> None:
    """Write the e2e-mini project (the default project's config cut to SITES) and simulate its raw data."""
    source = REPO / "config" / "projects" / "motion-paa-recept"
    target = root / "config" / "projects" / PROJECT
    shutil.copytree(source, target)
    config = yaml.safe_load((target / "config.yaml").read_text(encoding="utf-8"))
    config["project"] = PROJECT
    config["subsidy_rules"] = {site: rules for site, rules in config["subsidy_rules"].items() if site in SITES}
    (target / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    lines = (target / "sites.tsv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split("\t")[0] in SITES]
    (target / "sites.tsv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    (root / "config" / "config.yaml").write_text(f"project: {PROJECT}\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "analysis.simulate", "--project-dir", str(target),
                    "--out", str(root / "data" / "raw" / PROJECT),
                    "--sites", ",".join(SITES), "--scale", "0.15"], check=True, capture_output=True)


def copy_inputs(source: Path, target: Path) -> Path:
    """A fresh project root holding only `source`'s config and raw data; returns `target`."""
    shutil.copytree(source / "config", target / "config")
    shutil.copytree(source / "data" / "raw", target / "data" / "raw")
    return target


def run_snakemake(root: Path, *args: str, check: bool = True, env: dict[str, str] | None = None,
                  timeout: float | None = None) -> subprocess.CompletedProcess:
    """The repository's workflow on the project in `root`, 2 cores; on failure (if `check`) the output's tail."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(root),
               "--cores", "2", "--config", f"project={PROJECT}", *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root, env=env, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, keyed by its path relative to `folder`."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def reproducible_outputs(root: Path) -> dict[str, str]:
    """Hashes of every processed table and every HTML report of the project in `root`.

    Executed notebooks (the audit trail) are left out: papermill stamps them with run times.
    """
    hashes = file_hashes(root / "data" / "processed" / PROJECT)
    hashes |= {f"reports/{k}": v for k, v in file_hashes(root / "reports" / PROJECT).items() if k.endswith(".html")}
    return hashes
