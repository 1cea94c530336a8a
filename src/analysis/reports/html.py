"""Rendering an executed report notebook to one self-contained HTML page, without code.

Figures are embedded as data URIs and no script, style or font is fetched from the internet, so the page
opens offline. The page title is the report's first heading; the language attribute is the project's.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from analysis.core.outputs import write_text

TEMPLATE_DIR = Path(__file__).parent / "templates"
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.DOTALL)


def first_heading(notebook: nbformat.NotebookNode) -> str | None:
    """Text of the first <h1> in the notebook's HTML outputs."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            found = _H1.search(str(output.get("data", {}).get("text/html", "")))
            if found:
                return re.sub(r"<[^>]+>", "", found.group(1)).strip()
    return None


def render_html(notebook_path: str | Path, html_path: str | Path, language: str) -> Path:
    """Write the notebook's outputs (no input cells, no prompts) as an HTML page, atomically."""
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.metadata["title"] = first_heading(notebook) or Path(html_path).stem
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"  # papermill gives its injected cell a random id; the page must not vary
    exporter = HTMLExporter(
        template_name="brobygning",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code=language,
    )
    body, _ = exporter.from_notebook_node(notebook)
    return write_text(body, html_path)
