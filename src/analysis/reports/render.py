"""Turning report content into displayed HTML: headings, paragraphs, tables and the provenance footer.

Notebooks call these so that report cells hold no formatting logic and every text goes through the
message catalogue. All HTML is escaped; tables carry no index column unless asked.
"""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML

from analysis.reports.messages import Messages


def heading(text: str, level: int = 2) -> HTML:
    anchor = html.escape(text.lower().replace(" ", "-"))
    return HTML(f'<h{level} id="{anchor}">{html.escape(text)}</h{level}>')


def paragraph(text: str, css_class: str = "") -> HTML:
    attribute = f' class="{css_class}"' if css_class else ""
    return HTML(f"<p{attribute}>{html.escape(text)}</p>")


def notice(text: str) -> HTML:
    """A highlighted box, e.g. for the demo-key warning."""
    return HTML(
        '<div style="border-left:4px solid #E69F00;background:#fff7e6;padding:0.6em 1em;margin:1em 0">'
        f"{html.escape(text)}</div>"
    )


def table(frame: pd.DataFrame, index: bool = False) -> HTML:
    """An HTML table of already formatted (string) cells."""
    return HTML(frame.to_html(index=index, escape=True, border=0, classes="report-table", na_rep=""))


def footer(
    messages: Messages,
    project: str,
    version: dict,
    inputs: dict[str, str],
    packages: dict[str, str],
    parameters: dict[str, object],
) -> HTML:
    """The provenance footer: project, code version, input hashes, package versions and parameters."""
    state = messages.t("provenance.dirty") if version.get("dirty") else messages.t("provenance.clean")
    rows = [
        f"<dt>{html.escape(messages.t('provenance.project'))}</dt><dd>{html.escape(project)}</dd>",
        f"<dt>{html.escape(messages.t('provenance.code_version'))}</dt>"
        f"<dd><code>{html.escape(version.get('commit', 'unknown'))}</code> ({html.escape(state)})</dd>",
        f"<dt>{html.escape(messages.t('provenance.parameters'))}</dt><dd>"
        + ", ".join(f"{html.escape(k)} = {html.escape(str(v))}" for k, v in parameters.items())
        + "</dd>",
        f"<dt>{html.escape(messages.t('provenance.packages'))}</dt><dd>"
        + ", ".join(f"{html.escape(k)} {html.escape(v)}" for k, v in packages.items())
        + "</dd>",
        f"<dt>{html.escape(messages.t('provenance.inputs'))}</dt><dd><ul>"
        + "".join(f"<li><code>{html.escape(h)}</code> {html.escape(p)}</li>" for p, h in inputs.items())
        + "</ul></dd>",
    ]
    return HTML(
        '<footer style="font-size:0.8em;color:#444;border-top:1px solid #ccc;margin-top:2em">'
        f"<h2>{html.escape(messages.t('sections.provenance'))}</h2><dl>{''.join(rows)}</dl></footer>"
    )
