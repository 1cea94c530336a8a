"""The cross-site summary report and the index page linking every report."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from analysis.core.outputs import write_text
from analysis.core.vocabulary import ALL_SITES
from analysis.project.loader import site_raw_files
from analysis.reports import figures, overview, render
from analysis.reports.disclosure import coarsen_survival_curves
from analysis.reports.site_report import ReportContext, ReportSections, _show


class SummaryReport(ReportSections):
    """Sections of the summary: headline figures, subsidy effect, site comparison, outcomes, data quality."""

    def __init__(self, context: ReportContext):
        super().__init__(context, context.participants, context.responses)

    def title(self) -> list:
        return self._title(self.t("report.summary_title", title=self.ctx.project.config["title"]))

    def headline(self) -> list:
        """The per-unit overview: every site's row of key_figures.csv and the all-sites row."""
        figures_ = self.ctx.key_figures
        sites = self.ctx.project.sites
        reporting = sum(1 for s in sites if s["reports_end_status"])
        names = {s: self.ctx.site_name(s) for s in self.ctx.project.site_ids}
        return [
            render.heading(self.t("key_figures.overview_heading", unit=self.ctx.unit.lower())),
            render.paragraph(self.t("key_figures.overview_intro", unit=self.ctx.unit.lower())),
            overview.overview_table(figures_, names, self.ctx.unit, self.ctx.messages),
            render.paragraph(
                self.t("key_figures.all_sites_active", reporting=reporting, sites=len(sites), units=self.ctx.units)
            ),
            self._definitions(),
        ]

    def retention(self) -> list:
        km = self.ctx.models["km"]
        present = set(km.loc[(km["scope"] == ALL_SITES) & (km["group"] != "all"), "group"])
        groups = {g: self.ctx.group_label(g) for g in self.ctx.group_order(present)}
        return [
            render.heading(self.t("sections.retention")),
            render.paragraph(self.t("text.retention", min_cell=self.ctx.min_cell)),
            render.paragraph(self.t("disclosure.km_steps", min_cell=self.ctx.min_cell)),
            _show(
                figures.retention_figure(
                    coarsen_survival_curves(km, self.ctx.min_cell),
                    ALL_SITES,
                    self.ctx.messages,
                    self.ctx.min_cell,
                    groups=groups,
                )
            ),
            render.paragraph(self.t("text.retention_at")),
            render.table(self._retention_table(ALL_SITES)),
        ]

    def comparison(self) -> list:
        effects = self.ctx.models["site_effects"]
        names = {s: self.ctx.site_label(s) for s in self.ctx.project.site_ids}
        out = [render.heading(self.t("sections.comparison")), render.paragraph(self.t("text.comparison"))]
        if effects["shrunken_hr"].notna().sum() >= 2:
            out.append(_show(figures.caterpillar_figure(effects, names, None, self.ctx.messages)))
        return out

    def quality(self) -> list:
        rows = []
        for site in self.ctx.project.site_ids:
            quality = self.ctx.quality[site]
            row = {
                self.t("labels.site"): self.ctx.site_name(site),
                self.t("labels.read"): quality["totals"]["read"],
                self.t("labels.kept"): quality["totals"]["kept"],
                self.t("labels.rejected"): quality["totals"]["rejected"],
            }
            for wave in self.ctx.project.config["waves"]:
                v = quality["response_rate"].get(wave)
                row[f"{self.t('labels.response_rate')}: {self.t(f'waves.{wave}')}"] = (
                    self._response_rate(v) if v is not None else self.t("report.not_surveyed")
                )
            rows.append(row)
        return [
            render.heading(self.t("sections.quality")),
            render.paragraph(self.t("text.quality")),
            render.table(pd.DataFrame(rows)),
        ]

    def footer(self, parameters: dict) -> list:
        files = [f for site in self.ctx.project.site_ids for f in site_raw_files(self.ctx.project, site)]
        return self._footer(files, parameters)


def index_page(context: ReportContext) -> str:
    """The HTML of reports/<project>/index.html: a link to the summary and the key figures of every site, each
    site's name linking to its page (all numbers from key_figures.csv)."""
    t, unit = context.messages.t, context.unit
    names = {s: context.site_name(s) for s in context.project.site_ids}
    table = overview.overview_table(context.key_figures, names, unit, context.messages, links=True).data
    sites = context.project.sites
    reporting = sum(1 for s in sites if s["reports_end_status"])
    note = t("key_figures.all_sites_active", reporting=reporting, sites=len(sites), units=context.units)
    marker_note = overview.disclosure_note(context.messages, context.min_cell)
    title = t("report.index_title", title=context.project.config["title"])
    summary = t("report.summary_title", title=context.project.config["title"])
    return (
        f'<!DOCTYPE html>\n<html lang="{context.messages.language}">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        '<style>body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:75em;margin:2em auto;padding:0 1em}'
        ".key-figures{overflow-x:auto}.key-figures td{white-space:nowrap}table{border-collapse:collapse}"
        "th,td{padding:0.3em 0.6em;"
        "border-bottom:1px solid #ddd;text-align:left}</style></head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f'<p><a href="summary.html">{html.escape(summary)}</a></p>\n'
        f"<h2>{html.escape(t('sections.sites'))}</h2>\n{table}\n"
        f"<p>{html.escape(note)}</p>\n<p>{html.escape(marker_note)}</p>\n</body>\n</html>\n"
    )


def write_index(project: str, out_path: str | Path) -> Path:
    """Write the index page atomically."""
    from analysis.reports.site_report import load_context

    return write_text(index_page(load_context(project)), out_path)


def main(argv: list[str] | None = None) -> int:
    """`python -m analysis.reports.summary_report PROJECT OUT`: write the index page."""
    import sys

    project, out = (argv if argv is not None else sys.argv[1:])[:2]
    write_index(project, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
