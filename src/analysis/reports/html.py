"""Rendering an executed report notebook to one self-contained HTML page, without code.

Figures are embedded as data URIs and no script, style or font is fetched from the internet, so the page
opens offline. The page title is the report's first heading; the language attribute is the project's.
"""

from __future__ import annotations

import copy
import html
import re
from functools import cache
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from analysis.core.outputs import write_text
from analysis.reports.messages import Messages

TEMPLATE_DIR = Path(__file__).parent / "templates"
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.DOTALL)
_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.DOTALL)
CONTENTS_FROM = 4  # pages with at least this many sections get a table of contents


def first_heading(notebook: nbformat.NotebookNode) -> str | None:
    """Text of the first <h1> in the notebook's HTML outputs."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            found = _H1.search(str(output.get("data", {}).get("text/html", "")))
            if found:
                return re.sub(r"<[^>]+>", "", found.group(1)).strip()
    return None


def render_html(notebook: nbformat.NotebookNode, html_path: str | Path, language: str) -> Path:
    """Write an executed notebook's outputs (no input cells, no prompts) as an HTML page, atomically."""
    notebook = copy.deepcopy(notebook)
    notebook.metadata["title"] = first_heading(notebook) or Path(html_path).stem
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"  # papermill gives its injected cell a random id; the page must not vary
    body, _ = _exporter(language).from_notebook_node(notebook)
    return write_text(with_contents(body, Messages(language)), html_path)


@cache
def _exporter(language: str) -> HTMLExporter:
    """One exporter per language and process: its templates are compiled once for a batch of pages."""
    return HTMLExporter(
        template_name="brobygning",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code=language,
    )


def with_contents(page: str, messages: Messages) -> str:
    """The page with a table of contents (a list of links to its sections) before its first section,
    when it has at least CONTENTS_FROM sections; otherwise unchanged."""
    sections = _H2.findall(page)
    if len(sections) < CONTENTS_FROM:
        return page
    title = html.escape(messages.t("page.contents"))
    items = "".join(f'<li><a href="#{anchor}">{text}</a></li>' for anchor, text in sections)
    nav = f'<nav class="contents" aria-label="{title}"><h2 class="contents-title">{title}</h2><ol>{items}</ol></nav>'
    first = page.index(f'<h2 id="{sections[0][0]}">')
    return page[:first] + nav + page[first:]
