"""python -m analysis.bench: the pipeline against its floor, at a chosen scale, on this machine.

    python -m analysis.bench [--scale default|98x1000|98x5000] [--models-only] [--cores 2] [--work DIR]

For the whole pipeline it measures, in one invocation and in fresh scratch roots: the cold run, a rerun
with nothing changed, and (default project) after one site's register changed (a remark only, then a row
deleted): the time until that site's report is rebuilt (`make site`) and then the rest, and the time of a
whole rerun after the same kind of change; then the floor (python -m analysis.bench.floor: the same analyses
in one plain process), and the fixed cost of one notebook job against a bare import of the same libraries.
With --models-only it times the retention step alone on the simulated truth. Wall times, peak memory (summed
over the process tree) and per-rule figures (from the rules' Snakemake benchmark files) are printed and
written to <work>/bench.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import nbformat
import psutil
from openpyxl import load_workbook

from analysis.bench.measure import measure
from analysis.bench.projects import REPO, default_root, scaled_participants, scaled_root
from analysis.tools.workflow import SITE_ONLY

PYTHON = sys.executable
REPORT_IMPORTS = (
    "from IPython.display import display; import analysis.reports.figures, "
    "analysis.reports.site_report, analysis.reports.summary_report"
)


def snakemake(project: str, cores: int, *targets: str, config: tuple[str, ...] = ()) -> list[str]:
    return [
        PYTHON,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "workflow" / "Snakefile"),
        "--cores",
        str(cores),
        *targets,
        "--rerun-incomplete",
        "--config",
        f"project={project}",
        *config,
    ]


def per_rule(root: Path, project: str, sites: list[str]) -> dict[str, dict]:
    """Jobs, summed and longest wall seconds and the largest max_rss (MB) of each rule, from the
    benchmark files the rules write under logs/<project>/benchmarks/ (the batches of a rule, e.g.
    reports_1, reports_2, ..., count as one rule, reports)."""
    rules: dict[str, dict] = {}
    for path in sorted((root / "logs" / project / "benchmarks").glob("*.tsv")):
        name = re.sub(r"^(reports|clean_sites)_\d+$", r"\1", path.stem)
        for site in sites:
            name = name.removesuffix(f"_{site}")
        with open(path, encoding="utf-8") as handle:
            row = next(csv.DictReader(handle, delimiter="\t"))
        seconds, rss = float(row["s"]), float(row["max_rss"]) if row["max_rss"] not in ("", "NA", "-") else 0.0
        entry = rules.setdefault(name, {"jobs": 0, "seconds": 0.0, "longest": 0.0, "max_rss_mb": 0.0})
        entry["jobs"] += 1
        entry["seconds"] = round(entry["seconds"] + seconds, 2)
        entry["longest"] = max(entry["longest"], round(seconds, 2))
        entry["max_rss_mb"] = max(entry["max_rss_mb"], round(rss, 1))
    return rules


def edit_register(root: Path, project: str, site: str, *, remark: bool) -> None:
    """Edit one site's register as a researcher fixing it would: a new free-text remark in the first data
    row (the clean tables stay byte-identical), or, with remark=False, the last data row deleted."""
    register = root / "data" / "raw" / project / site / "register.xlsx"
    book = load_workbook(register)
    sheet = book.worksheets[0]
    if remark:
        column = next(c.column for c in sheet[1] if c.value in ("Bemærkninger", "Noter", "Kommentar"))
        cell = sheet.cell(row=2, column=column)
        cell.value = f"{cell.value or ''} Ny bemærkning".strip()  # a new text every time
    else:
        sheet.delete_rows(sheet.max_row)
    book.save(register)


def notebook_overhead(root: Path, repeats: int = 3) -> dict[str, float]:
    """Median seconds of: a bare import of the report notebooks' libraries; one notebook job (kernel, an
    empty notebook, HTML export) through analysis.jobs.run_notebook; and the same job whose notebook does the
    imports. The issue's target: job <= 2 x import."""
    work = root / "overhead"
    work.mkdir()
    for name, source in (("empty", "pass"), ("imports", REPORT_IMPORTS)):
        book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        book.metadata["kernelspec"] = {"name": "brobygning", "display_name": "Brobygning", "language": "python"}
        nbformat.write(book, work / f"{name}.ipynb")

    def job(name: str) -> list[str]:
        return [
            PYTHON,
            "-m",
            "analysis.jobs.run_notebook",
            str(work / f"{name}.ipynb"),
            str(work / f"{name}.out.ipynb"),
            "--html",
            str(work / f"{name}.html"),
            "--log",
            str(work / f"{name}.log"),
        ]

    commands = {
        "bare_import": [PYTHON, "-c", REPORT_IMPORTS],
        "empty_notebook_job": job("empty"),
        "notebook_job_with_imports": job("imports"),
    }
    return {
        name: round(statistics.median(measure(command, root, work / "measure.log").seconds for _ in range(repeats)), 2)
        for name, command in commands.items()
    }


def _timed(command: list[str], cwd: Path, log: Path) -> dict:
    """Seconds and peak MB of a step that must succeed; a failed step stops the benchmark, naming its log."""
    m = measure(command, cwd, log)
    if m.returncode != 0:
        raise SystemExit(f"bench: step failed with status {m.returncode}; see {log}")
    return {"seconds": round(m.seconds, 1), "peak_mb": round(m.peak_mb)}


def bench_pipeline(work: Path, scale: str, cores: int) -> dict:
    pipeline, floor = work / "pipeline", work / "floor"
    if scale == "default":
        project = default_root(pipeline)
    else:
        n_sites, per_site = (int(x) for x in scale.split("x"))
        project = scaled_root(pipeline, n_sites, per_site)
    shutil.copytree(pipeline, floor)
    from analysis.project.loader import load_project  # after the scratch root exists

    sites = list(load_project(project, root=pipeline).site_ids)
    results = {"cold": _timed(snakemake(project, cores), pipeline, work / "cold.log")}
    results["per_rule"] = per_rule(pipeline, project, sites)
    results["rerun_nothing_changed"] = _timed(snakemake(project, cores), pipeline, work / "rerun.log")
    if scale == "default":  # the incremental targets are the default project's; at 98 sites they take long
        page = f"reports/{project}/sites/{sites[0]}.html"  # what `make site SITE=...` builds, as it builds it
        for change, remark in (("one_site_remark_changed", True), ("one_site_row_deleted", False)):
            edit_register(pipeline, project, sites[0], remark=remark)
            results[f"{change}_its_report"] = _timed(
                snakemake(project, cores, page, config=SITE_ONLY), pipeline, work / f"{change}_its_report.log"
            )
            results[f"{change}_then_the_rest"] = _timed(
                snakemake(project, cores), pipeline, work / f"{change}_rest.log"
            )
            edit_register(pipeline, project, sites[0], remark=remark)
            results[f"{change}_everything"] = _timed(snakemake(project, cores), pipeline, work / f"{change}.log")
    results["floor"] = _timed([PYTHON, "-m", "analysis.bench.floor", project], floor, work / "floor.log")
    results["ratio_cold_to_floor"] = round(results["cold"]["seconds"] / results["floor"]["seconds"], 2)
    results["notebook_overhead"] = notebook_overhead(work)
    overhead = results["notebook_overhead"]
    results["ratio_job_to_import"] = round(overhead["empty_notebook_job"] / overhead["bare_import"], 2)
    return results


def bench_models(work: Path, scale: str) -> dict:
    n_sites, per_site = (int(x) for x in scale.split("x"))
    project = scaled_participants(work, n_sites, per_site)
    job = [
        PYTHON,
        "-m",
        "analysis.jobs.run_notebook",
        str(REPO / "notebooks" / "20_retention.ipynb"),
        str(work / "20_retention.ipynb"),
        "-p",
        f"project={project}",
        "--log",
        str(work / "retention.log"),
    ]
    results = {"retention_job": _timed(job, work, work / "retention_measure.log")}
    floor = [PYTHON, "-m", "analysis.bench.floor", project, "--models-only"]
    results["floor"] = _timed(floor, work, work / "floor.log")
    results["ratio_job_to_floor"] = round(results["retention_job"]["seconds"] / results["floor"]["seconds"], 2)
    summary = json.loads((work / "data" / "processed" / project / "models" / "summary.json").read_text())
    results["person_months"] = summary["person_months"]
    return results


def machine() -> dict:
    return {
        "cpus": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in psutil.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="default", help="default, or SITESxPARTICIPANTS such as 98x1000")
    parser.add_argument("--models-only", action="store_true", help="time the retention step alone")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary folder)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="brobygning-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    record = {
        "scale": args.scale,
        "models_only": args.models_only,
        "cores": args.cores,
        "machine": machine(),
        "command": "python -m analysis.bench " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    record["results"] = (
        bench_models(work, args.scale) if args.models_only else bench_pipeline(work, args.scale, args.cores)
    )
    (work / "bench.json").write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=1, ensure_ascii=False))
    print(f"written to {work / 'bench.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
