"""Archive the last run of a project as a Workflow Run RO-Crate a paper can cite: `brobygning archive <project>`.

Writes reports/<project>/archive/ (an RO-Crate: ro-crate-metadata.json beside copies of what it describes) and
reports/<project>/archive.zip (the same folder zipped). The crate conforms to the Workflow Run Crate profile
(https://w3id.org/ro/wfrun/workflow/0.5) and holds

* the workflow (workflow/Snakefile as the crate's main entity, its rules, schemas and captions) and the notebooks
  its rules run, with the package version (analysis.__version__) and the git commit of the code;
* the project's config (config.yaml, sites.tsv, codebook.yaml; never a pseudonym key), requirements.lock,
  pyproject.toml, CITATION.cff and LICENSE;
* every processed table under data/processed/<project>/ and every HTML report under reports/<project>/;
* one entry per raw input with its SHA-256 and size only: raw files never enter the archive;
* the run: one CreateAction for the whole workflow run and one per Snakemake job, read from Snakemake's own
  records (.snakemake/metadata/): rule, start and end time, the files it read and wrote.

Only a finished, up-to-date run is archived: before any run, or when Snakemake would still rerun something,
one line says what is missing. The archive is the same for the same run: its dates are the run's, not the
clock's, and the zip's entries are sorted with the run's end time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from rocrate.rocrate import ROCrate

from analysis import __version__
from analysis.core.errors import ConfigError
from analysis.project.loader import find_root, load_project, site_raw_files
from analysis.reports.provenance import code_version

PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": ("Process Run Crate", "0.5"),
    "https://w3id.org/ro/wfrun/workflow/0.5": ("Workflow Run Crate", "0.5"),
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": ("Workflow RO-Crate", "1.0"),
}
# The one Workflow Run term used beyond RO-Crate 1.1, inline, so that reading the crate fetches no context.
WFRUN_TERMS = {"sha256": "https://w3id.org/ro/terms/workflow-run#sha256"}
LICENSE_URL = "https://spdx.org/licenses/MIT"
CHECKOUT_FILES = ["requirements.lock", "pyproject.toml", "CITATION.cff", "LICENSE"]
PROJECT_CONFIG = ["config.yaml", "sites.tsv", "codebook.yaml"]
REPORT_SUFFIXES = {".html", ".csv"}  # the pages and key_figures.csv, the table they quote


@dataclass
class Job:
    """One finished Snakemake job, as Snakemake recorded it."""

    rule: str
    start: float
    end: float
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def snakemake_jobs(root: Path, project: str) -> list[Job]:
    """The finished jobs behind the project's outputs, from .snakemake/metadata/ (one record per output file,
    named by its path in URL-safe base64, split into '@'-prefixed folders when long), in order of start."""
    folder = root / ".snakemake" / "metadata"
    prefixes = (f"data/processed/{project}/", f"reports/{project}/")
    jobs: dict[tuple, Job] = {}
    for record in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if not record.is_file():
            continue
        name = "".join(part.removeprefix("@") for part in record.relative_to(folder).parts)
        output = base64.urlsafe_b64decode(name).decode()
        if not output.startswith(prefixes):
            continue
        data = json.loads(record.read_text(encoding="utf-8"))
        if data.get("incomplete") or data.get("starttime") is None:
            continue
        # One record per output file; the records of one job share its hash (their times differ slightly).
        key = (data["rule"], data.get("job_hash"))
        job = jobs.setdefault(key, Job(data["rule"], data["starttime"], data["endtime"], list(data["input"])))
        job.start, job.end = min(job.start, data["starttime"]), max(job.end, data["endtime"])
        job.outputs.append(output)
    return sorted(jobs.values(), key=lambda job: (job.start, job.rule))


def workflow_dir(root: Path) -> Path:
    """workflow/ of the project root, else of the checkout this package runs from."""
    for candidate in (root / "workflow", Path(__file__).resolve().parents[3] / "workflow"):
        if (candidate / "Snakefile").is_file():
            return candidate
    raise ConfigError([f"{root}: no workflow/Snakefile here or beside the installed package; run from a checkout"])


def check_last_run(root: Path, project: str, workflow: Path) -> list[Job]:
    """The last run's jobs; ConfigError naming what is missing when there is no finished, up-to-date run."""
    final = [f"data/processed/{project}/models/summary.json", f"reports/{project}/index.html"]
    missing = [path for path in final if not (root / path).is_file()]
    jobs = snakemake_jobs(root, project)
    if missing or not jobs:
        what = missing[0] if missing else f"Snakemake's record of the run (.snakemake/metadata/ in {root})"
        raise ConfigError(
            [
                f"archive: no finished run of project '{project}' to archive ({what} is missing): "
                f"run `make run PROJECT={project}` first"
            ]
        )
    dry_run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(workflow / "Snakefile"), "--directory", str(root), "-n"]
        + ["--config", f"project={project}"],
        capture_output=True,
        text=True,
        cwd=root,
    )
    if dry_run.returncode != 0 or "Nothing to be done" not in dry_run.stdout + dry_run.stderr:
        raise ConfigError(
            [
                f"archive: the outputs of project '{project}' are not up to date with its inputs (Snakemake would "
                f"run jobs again): run `make run PROJECT={project}` first, then archive"
            ]
        )
    return jobs


def _relative(path: str, root: Path, checkout: Path) -> str | None:
    """A recorded path relative to the project root (or to the checkout for code), None outside both."""
    candidate = Path(path)
    if not candidate.is_absolute():
        return candidate.as_posix()
    for base in (root, checkout):
        if candidate.is_relative_to(base):
            return candidate.relative_to(base).as_posix()
    return None


def build_crate(root: Path, project: str, workflow: Path, jobs: list[Job]) -> ROCrate:
    """The RO-Crate of the run, with every file it holds added (copied when written)."""
    loaded = load_project(project, root)
    checkout = workflow.parent
    version = code_version(checkout)
    end = max(job.end for job in jobs)
    crate = ROCrate(version="1.1")  # the version Workflow Run Crate 0.5 builds on
    crate.metadata.extra_terms.update(WFRUN_TERMS)
    crate.name = f"Brobygning run of project {project}"
    crate.description = (
        f"The last complete run of the Brobygning workflow on project '{project}': workflow, configuration, "
        "lock file, processed tables and reports, with the SHA-256 of every raw input (the raw files, which "
        "hold personal data, are not included)."
    )
    crate.datePublished = _iso(end)
    crate.root_dataset["license"] = crate.add(_contextual(crate, LICENSE_URL, "CreativeWork", name="MIT License"))
    makers = crate.add(_contextual(crate, "#brobygning-contributors", "Organization", name="Brobygning contributors"))
    crate.root_dataset["author"] = makers
    crate.root_dataset["publisher"] = makers
    crate.root_dataset["conformsTo"] = [
        crate.add(_contextual(crate, url, "CreativeWork", name=name, version=number))
        for url, (name, number) in PROFILES.items()
    ]

    snakemake = crate.add(
        _contextual(
            crate,
            "https://snakemake.github.io",
            "ComputerLanguage",
            name="Snakemake",
            identifier={"@id": "https://snakemake.readthedocs.io"},
            url={"@id": "https://snakemake.github.io"},
            version=metadata.version("snakemake"),
        )
    )
    main = crate.add_workflow(
        workflow / "Snakefile",
        "workflow/Snakefile",
        main=True,
        lang="snakemake",
        properties={
            "name": "Brobygning workflow",
            "version": __version__,
            "description": f"Brobygning {__version__}, git commit {version['commit']}"
            + (" with uncommitted changes" if version.get("dirty") else ""),
        },
    )
    main["programmingLanguage"] = snakemake
    for path in sorted(p for p in workflow.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if path.name != "Snakefile" or path.parent != workflow:
            crate.add_file(path, f"workflow/{path.relative_to(workflow).as_posix()}")

    added: dict[str, object] = {"workflow/Snakefile": main}

    def add(source: Path, dest: str, **properties) -> object:
        if dest not in added:
            added[dest] = crate.add_file(
                source,
                dest,
                properties={"sha256": _sha256(source), "contentSize": str(source.stat().st_size)} | properties,
            )
        return added[dest]

    for job in jobs:
        for path in job.inputs:
            relative = _relative(path, root, checkout)
            if relative and relative.startswith("notebooks/") and (checkout / relative).is_file():
                add(checkout / relative, relative)
    settings = [add(root / "config" / "config.yaml", "config/config.yaml")]
    settings += [add(loaded.config_dir / name, f"config/projects/{project}/{name}") for name in PROJECT_CONFIG]
    settings += [add(checkout / name, name) for name in CHECKOUT_FILES if (checkout / name).is_file()]

    raw_inputs = []
    for site in loaded.site_ids:
        for path in site_raw_files(loaded, site):
            relative = Path(path).resolve().relative_to(root.resolve()).as_posix()
            raw_inputs.append(
                crate.add(
                    _contextual(
                        crate,
                        f"#raw:{relative}",
                        "File",
                        name=relative,
                        description="Raw input, not included (it holds personal data); its SHA-256 and size only.",
                        sha256=_sha256(Path(path)),
                        contentSize=str(Path(path).stat().st_size),
                    )
                )
            )
            added[relative] = raw_inputs[-1]

    outputs = []
    for folder, keep in ((f"data/processed/{project}", None), (f"reports/{project}", REPORT_SUFFIXES)):
        for path in sorted(p for p in (root / folder).rglob("*") if p.is_file()):
            relative = path.relative_to(root).as_posix()
            if relative.startswith(f"reports/{project}/archive") or (keep and path.suffix not in keep):
                continue
            outputs.append(add(path, relative))

    run = crate.add_action(
        main,
        identifier="#run",
        object=settings + raw_inputs,
        result=outputs,
        properties={
            "name": f"Run of the Brobygning workflow on project {project}",
            "description": "The Snakemake run that produced the processed tables and reports in this crate.",
            "startTime": _iso(min(job.start for job in jobs)),
            "endTime": _iso(end),
        },
    )
    rules: dict[str, object] = {}
    for number, job in enumerate(jobs, start=1):
        if job.rule not in rules:
            rules[job.rule] = crate.add(
                _contextual(
                    crate,
                    f"#rule:{job.rule}",
                    "SoftwareApplication",
                    name=f"Snakemake rule {job.rule}",
                    softwareVersion=__version__,
                    isPartOf={"@id": main.id},
                )
            )
        read = [added[r] for r in (_relative(p, root, checkout) for p in job.inputs) if r in added]
        written = [added[r] for r in (_relative(p, root, checkout) for p in job.outputs) if r in added]
        crate.add_action(
            rules[job.rule],
            identifier=f"#job:{number}",
            object=read,
            result=written,
            properties={
                "name": f"Snakemake job {number}: rule {job.rule}",
                "description": f"Job {number} of the run (rule {job.rule}): the files it read and wrote.",
                "startTime": _iso(job.start),
                "endTime": _iso(job.end),
                "isPartOf": {"@id": run.id},
            },
        )
    crate.root_dataset["mentions"] = [entity for entity in crate.get_entities() if entity.type == "CreateAction"]
    return crate


def _contextual(crate: ROCrate, entity_id: str, kind: str, **properties):
    from rocrate.model.contextentity import ContextEntity

    return ContextEntity(crate, entity_id, properties={"@type": kind} | properties)


def write_zip(folder: Path, target: Path, when: float) -> None:
    """`folder`'s files in a zip at `target`, in sorted order and stamped with `when`: the same bytes each time."""
    stamp = datetime.fromtimestamp(when, UTC).timetuple()[:6]
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    partial.replace(target)


def archive(project: str, root: Path) -> tuple[Path, Path]:
    """Write reports/<project>/archive/ and reports/<project>/archive.zip; returns both paths."""
    workflow = workflow_dir(root)
    jobs = check_last_run(root, project, workflow)
    crate = build_crate(root, project, workflow, jobs)
    target = root / "reports" / project / "archive"
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".archive-") as scratch:
        written = Path(scratch) / "archive"
        crate.write(written)
        shutil.rmtree(target, ignore_errors=True)
        written.replace(target)
    zipped = target.with_suffix(".zip")
    write_zip(target, zipped, max(job.end for job in jobs))
    return target, zipped


def main(project: str | None, root: str | None = None) -> int:
    """Archive the project's last run; print where it went. Exit 1 with one line when there is nothing to archive."""
    folder = find_root() if root is None else Path(root).resolve()
    if project is None:
        from analysis.tools.workflow import default_project

        project = default_project(folder)
    crate, zipped = archive(project, folder)
    files = sum(1 for p in crate.rglob("*") if p.is_file())
    print(f"archive: {files} files in {crate.relative_to(folder)}/ and {zipped.relative_to(folder)}")
    return 0
