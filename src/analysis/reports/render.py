"""Turning report content into displayed HTML: headings, paragraphs, tables and the provenance footer.

Notebooks call these so that report cells hold no formatting logic and every text goes through the
message catalogue. All HTML is escaped; tables carry no index column unless asked.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Callable

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML

from analysis.reports.messages import Messages


def anchor(text: str) -> str:
    """A heading's id: its words in lower case joined by hyphens, letters and digits only ('Hvem blev
    henvist?' -> 'hvem-blev-henvist'), so a table of contents can link to it."""
    words = ["".join(c for c in word if c.isalnum()) for word in text.lower().split()]
    return "-".join(w for w in words if w) or "section"


def heading(text: str, level: int = 2) -> HTML:
    return HTML(f'<h{level} id="{html.escape(anchor(text))}">{html.escape(text)}</h{level}>')


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
    """An HTML table of already formatted (string) cells, in a container that scrolls sideways when the
    table is wider than the screen (a phone), so no column is cut off."""
    inner = frame.to_html(index=index, escape=True, border=0, classes="report-table", na_rep="")
    return HTML(f'<div class="table-scroll" tabindex="0">{inner}</div>')


NARROW_FIGURE = {
    "figure.figsize": (4.2, 3.6),
    "font.size": 10.5,
    "axes.labelsize": 10.5,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
}


def _png(fig) -> str:
    """A figure as a base64 PNG (no timestamp in its metadata), and the figure freed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figure(draw: Callable[[], object], alt: str) -> HTML:
    """A figure embedded in the page with its alt text: drawn once at report width and once narrower with
    relatively larger text for phones; the page's style shows one of the two by screen width, so the
    figure's text stays legible on a phone."""
    with warnings.catch_warnings():  # a layout warning belongs in a log, never on the page
        warnings.simplefilter("ignore", UserWarning)
        wide = _png(draw())
        with plt.rc_context(NARROW_FIGURE):
            narrow = _png(draw())
    text = html.escape(alt, quote=True)
    return HTML(
        '<figure class="report-figure">'
        f'<img class="figure-wide" src="data:image/png;base64,{wide}" alt="{text}">'
        f'<img class="figure-narrow" src="data:image/png;base64,{narrow}" alt="{text}">'
        "</figure>"
    )


def footer(
    messages: Messages,
    version: dict,
    dates: dict[str, str],
    made_for: list[tuple[str, str]],
    inputs: dict[str, str],
    packages: dict[str, str],
) -> HTML:
    """The provenance footer: code version, data extraction date and publication date in one line; what
    the report was made for, package versions and input hashes inside a collapsed <details>."""
    t = messages.t
    commit = version.get("commit", "unknown")
    state = t("provenance.dirty") if version.get("dirty") else t("provenance.clean")
    line = t(
        "footer.line",
        commit=commit[:12] if commit != "unknown" else t("footer.unknown_version"),
        state=state,
        extraction=messages.date(dates["extraction"]),
        published=messages.date(dates["published"]),
    )
    rows = [
        f"<dt>{html.escape(t('footer.parameters'))}</dt><dd>"
        + ", ".join(f"{html.escape(k)}: {html.escape(v)}" for k, v in made_for)
        + "</dd>",
        f"<dt>{html.escape(t('provenance.code_version'))}</dt><dd><code>{html.escape(commit)}</code></dd>",
        f"<dt>{html.escape(t('provenance.packages'))}</dt><dd>"
        + ", ".join(f"{html.escape(k)} {html.escape(v)}" for k, v in packages.items())
        + "</dd>",
        f'<dt>{html.escape(t("provenance.inputs"))}</dt><dd><ul class="hashes">'
        + "".join(f"<li>{html.escape(p)}: <code>{html.escape(h)}</code></li>" for p, h in inputs.items())
        + "</ul></dd>",
    ]
    title = t("sections.provenance")
    return HTML(
        '<footer class="provenance">'
        f'<h2 id="{anchor(title)}">{html.escape(title)}</h2>'
        f"<p>{html.escape(line)}</p>"
        f"<details><summary>{html.escape(t('footer.details'))}</summary><dl>{''.join(rows)}</dl></details>"
        "</footer>"
    )
