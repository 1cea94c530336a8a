"""A small simulated project run through the real Snakemake workflow in a scratch folder.

Shared by the end-to-end test (`tests/e2e/`) and the fault trials (`tests/faults/`): how the project is
made, how Snakemake is called on it, and which output files two runs must agree on byte for byte.
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
SOURCE_PROJECT = "motion-paa-recept"


def make_project(root: Path, project: str, sites: Sequence[str], scale: float) -> None:
    """Write the default project's config cut down to `sites` under the name `project`, and simulate its raw
    exports at `scale` (deterministic: the simulator's seed is fixed)."""
    target = root / "config" / "projects" / project
    shutil.copytree(REPO / "config" / "projects" / SOURCE_PROJECT, target)
    config = yaml.safe_load((target / "config.yaml").read_text(encoding="utf-8"))
    config["project"] = project
    config["subsidy_rules"] = {site: rules for site, rules in config["subsidy_rules"].items() if site in sites}
    (target / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    lines = (target / "sites.tsv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split("\t")[0] in sites]
    (target / "sites.tsv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    (root / "config" / "config.yaml").write_text(f"project: {project}\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "analysis.simulate", "--out", str(root / "data" / "raw" / project),
                    "--sites", ",".join(sites), "--scale", str(scale)], check=True, capture_output=True)


def snakemake_command(root: Path, project: str, *args: str) -> list[str]:
    """The workflow's command line for a project in `root`; the repository's `profiles/default` (with
    rerun-incomplete) applies, as it does for `make run`."""
    return [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(root),
            "--cores", "2", *args, "--config", f"project={project}"]


def run_snakemake(root: Path, project: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the workflow to the end; with `check`, a failed run raises with the end of its output."""
    result = subprocess.run(snakemake_command(root, project, *args), capture_output=True, text=True, cwd=root)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def compared_outputs(root: Path, project: str) -> dict[str, str]:
    """Hashes of every processed file and every HTML report: what two runs from the same raw data must agree
    on. Executed notebooks (the audit trail) carry papermill's timestamps and are left out."""
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
