"""The key figures as pages show them: one site's key figures, the summary's overview of every site, and
the index's table. Every number comes from key_figures.csv (`reports.key_figures`), already
disclosure-controlled; this module only formats it in the report's language. Each table is wrapped in
`<div class="key-figures" data-site=...>` so that tests and the audit can find it and compare it with the file.
"""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML

from analysis.core.vocabulary import ALL_SITES
from analysis.reports.disclosure import SECONDARY_MARKER
from analysis.reports.key_figures import COUNTS, NOT_REPORTED
from analysis.reports.messages import Messages

FIELDS = [*COUNTS, "retention_12m", "retention_12m_n", "subsidy_months", "in_subsidy_model"]


def cell_text(row: pd.Series, field: str, messages: Messages) -> str:
    """One key figure of one row of key_figures.csv as the page prints it."""
    t = messages.t
    value = row[field]
    if value == NOT_REPORTED:
        return t("report.not_reported")
    if field in COUNTS:
        return value if not value.isdigit() else messages.number(int(value))
    if field == "retention_12m":
        if value == SECONDARY_MARKER or not value:
            return SECONDARY_MARKER
        return t(
            "key_figures.retention_value",
            share=messages.percent(float(value)).replace(" ", "\u00a0"),
            lower=messages.number(100 * float(row["retention_12m_lower"])),
            upper=messages.number(100 * float(row["retention_12m_upper"])),
        )
    if field == "retention_12m_n":
        return value if not value.isdigit() else messages.number(int(value))
    if field == "subsidy_months":
        months = [int(m) for m in value.split(";") if m != ""]
        if not months:
            return ""
        texts = [t("key_figures.subsidy_none") if m == 0 else t("key_figures.subsidy_value", months=m) for m in months]
        return texts[0] if len(texts) == 1 else t("key_figures.subsidy_then", first=texts[0], then=", ".join(texts[1:]))
    if field == "in_subsidy_model" and row.name == ALL_SITES:
        return ""
    if field == "in_subsidy_model":
        return t("key_figures.yes") if value == "true" else t("key_figures.no")
    raise KeyError(field)


def _wrap(table_html: str, site: str) -> HTML:
    # focusable, so that a keyboard can scroll it (axe: scrollable-region-focusable)
    return HTML(
        f'<div class="key-figures" data-site="{html.escape(site)}" style="overflow-x:auto" tabindex="0">'
        f"{table_html}</div>"
    )


def site_table(figures: pd.DataFrame, site: str, messages: Messages) -> HTML:
    """A site's key figures as a two-column table (figure, value)."""
    row = figures.loc[site]
    frame = pd.DataFrame(
        {
            messages.t("key_figures.heading"): [messages.t(f"key_figures.{f}") for f in FIELDS],
            messages.t("key_figures.value"): [cell_text(row, f, messages) for f in FIELDS],
        }
    )
    return _wrap(frame.to_html(index=False, escape=True, border=0, classes="report-table"), site)


def overview_table(figures: pd.DataFrame, names: dict[str, str], unit: str, messages: Messages, links: bool = False):
    """Every site and all sites, one row each: the summary's overview and the index's table. With `links`, a
    site's name links to its page."""
    head = [unit, *(messages.t(f"key_figures.{f}") for f in FIELDS)]
    rows = []
    for site, row in figures.iterrows():
        name = messages.t("key_figures.all_sites") if site == ALL_SITES else names.get(site, site)
        label = html.escape(name)
        if links and site != ALL_SITES:
            label = f'<a href="sites/{html.escape(site)}.html">{label}</a>'
        cells = "".join(
            f'<td style="white-space:nowrap">{html.escape(cell_text(row, f, messages))}</td>' for f in FIELDS
        )
        rows.append(f'<tr data-site="{html.escape(site)}"><th scope="row">{label}</th>{cells}</tr>')
    header = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
    table = f'<table class="report-table"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    return _wrap(table, ALL_SITES)


def disclosure_note(messages: Messages, min_cell: int) -> str:
    """The one sentence per page that explains both markers."""
    return messages.t(
        "disclosure.note",
        min_cell=min_cell,
        below=min_cell - 1,
        marker=f"<{min_cell}",
        secondary=SECONDARY_MARKER,
    )
