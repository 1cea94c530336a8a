"""The floor: every analysis of the pipeline in one plain Python process, without kernels or Snakemake.

    python -m analysis.bench.floor PROJECT [--models-only]      (run in a project root)

Runs the code cells of the pipeline's notebooks in workflow order (clean each site, pool, retention, the key
figures table, each site report, the summary with the index), with the same parameters the workflow passes.
Displayed objects are rendered to HTML or PNG as a kernel would, so figures cost what they cost in the
pipeline; only the notebook machinery (kernel start, papermill, nbconvert) and Snakemake's scheduling are left out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from analysis.pool import combine as pool
from analysis.project.loader import load_project
from analysis.reports import key_figures

NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"


def _render(*objects: object) -> None:
    for item in objects:
        for method in ("_repr_html_", "_repr_png_"):
            if hasattr(item, method):
                getattr(item, method)()
                break


def run_code_cells(notebook: Path, parameters: dict[str, str]) -> None:
    """Execute a notebook's code cells in one namespace, the parameters cell overridden by `parameters`."""
    import IPython.display

    IPython.display.display = _render  # the notebooks import display from here
    namespace: dict[str, object] = {"__name__": "__floor__"}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, str(notebook), "exec"), namespace)  # noqa: S102 - our own notebooks
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(parameters)


def run_floor(project: str) -> None:
    """Every step of the pipeline for `project`, in workflow order, in this process."""
    spec = load_project(project)
    for site in spec.site_ids:
        run_code_cells(NOTEBOOKS / "10_clean.ipynb", {"project": project, "site": site})
    processed = f"data/processed/{project}"
    pool.main(["--out", processed, *(f"{processed}/sites/{site}" for site in spec.site_ids)])
    run_code_cells(NOTEBOOKS / "20_retention.ipynb", {"project": project})
    key_figures.main([project, f"reports/{project}/key_figures.csv"])
    for site in spec.site_ids:
        run_code_cells(NOTEBOOKS / "30_site_report.ipynb", {"project": project, "site": site})
    run_code_cells(NOTEBOOKS / "40_summary.ipynb", {"project": project})  # which writes the index too


if __name__ == "__main__":
    project, *flags = sys.argv[1:]
    if flags == ["--models-only"]:
        run_code_cells(NOTEBOOKS / "20_retention.ipynb", {"project": project})
    else:
        run_floor(project)
