"""Run the Snakemake workflow of a checkout from the command line: `brobygning run|site|unlock|report`.

Each function builds the same Snakemake command line the Makefile used to spell out, runs it in the project
root with this interpreter's Snakemake, and returns its exit code. The workflow lives in the checkout
(`workflow/Snakefile`), not in the installed package: a root without it gets one line saying so.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from analysis.core.errors import ConfigError
from analysis.project.loader import find_root


def workflow_root(root: str | Path | None) -> Path:
    """The checkout holding workflow/Snakefile and config/; ConfigError naming what is missing otherwise."""
    folder = find_root() if root is None else Path(root).resolve()
    if not (folder / "workflow" / "Snakefile").is_file():
        raise ConfigError(
            [f"{folder}: no workflow/Snakefile here; run from a Brobygning checkout (git clone) or pass --root"]
        )
    return folder


def default_project(root: Path) -> str:
    """The project config/config.yaml names (the one `make run` runs without PROJECT=)."""
    return yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))["project"]


def snakemake_command(root: Path, project: str | None, *arguments: str) -> list[str]:
    """`python -m snakemake` on the project (None: the default project); Snakemake applies the workflow's own
    profile, workflow/profiles/default, by itself."""
    project = project or default_project(root)
    return [sys.executable, "-m", "snakemake", *arguments, "--config", f"project={project}"]


def _run(root: Path, command: list[str]) -> int:
    print(" ".join(command[2:]), file=sys.stderr, flush=True)
    return subprocess.run(command, cwd=root).returncode


def run(
    project: str | None,
    root: str | Path | None,
    cores: int,
    targets: list[str] | None = None,
    config: tuple[str, ...] = (),
) -> int:
    """Run the whole pipeline (or `targets`) on a project on this machine, with extra `config` values."""
    folder = workflow_root(root)
    command = snakemake_command(folder, project, "--cores", str(cores), *(targets or []))
    return _run(folder, [*command, *config])


# `site` renders the one page in a report batch of its own: its usual batch would also render other sites'
# pages, which the next whole run rebuilds anyway (every page quotes the pooled models).
SITE_ONLY = ("report_batch_size=1",)


def site(project: str | None, site_id: str, root: str | Path | None, cores: int) -> int:
    """Rebuild one site's report and only the pooled models it needs."""
    folder = workflow_root(root)
    name = project or default_project(folder)
    return run(name, folder, cores, [f"reports/{name}/sites/{site_id}.html"], config=SITE_ONLY)


def unlock(project: str | None, root: str | Path | None) -> int:
    """Remove the lock a killed run left behind."""
    folder = workflow_root(root)
    return _run(folder, snakemake_command(folder, project, "--unlock"))


def report(project: str | None, root: str | Path | None) -> int:
    """Snakemake's own report bundle of a project's reports, with captions, in reports/<project>/."""
    folder = workflow_root(root)
    name = project or default_project(folder)
    return _run(folder, snakemake_command(folder, name, "--report", f"reports/{name}/snakemake-report.zip"))
