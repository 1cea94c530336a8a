"""The cross-site summary report and the index page linking every report."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from analysis.core.outputs import write_text
from analysis.core.vocabulary import ALL_SITES
from analysis.project.loader import site_raw_files
from analysis.reports import figures, render
from analysis.reports.site_report import ReportContext, ReportSections, _show
from analysis.reports.site_tables import key_figures


class SummaryReport(ReportSections):
    """Sections of the summary: headline figures, subsidy effect, site comparison, outcomes, data quality."""

    def __init__(self, context: ReportContext):
        super().__init__(context, context.participants, context.responses)

    def title(self) -> list:
        return self._title(self.t("report.summary_title", title=self.ctx.project.config["title"]))

    def headline(self) -> list:
        """As seed 000 gives it: referred, and still active at project end in the sites that report it."""
        sites = self.ctx.project.sites
        reporting = [s["site"] for s in sites if s["reports_end_status"]]
        in_reporting = self.people[self.people["site"].isin(reporting)]
        active = int((in_reporting["start_date"].notna() & in_reporting["end_date"].isna()).sum())
        text = self.t(
            "text.summary_headline",
            referred=self._count(len(self.people)),
            sites=len(sites),
            reporting=len(reporting),
            active=self._count(active, len(in_reporting)),
        )
        return [render.heading(self.t("sections.key_figures")), render.paragraph(text)]

    def retention(self) -> list:
        km = self.ctx.models["km"]
        present = set(km.loc[(km["scope"] == ALL_SITES) & (km["group"] != "all"), "group"])
        groups = {g: self.ctx.group_label(g) for g in self.ctx.group_order(present)}
        return [
            render.heading(self.t("sections.retention")),
            render.paragraph(self.t("text.retention", min_cell=self.ctx.min_cell)),
            _show(figures.retention_figure(km, ALL_SITES, self.ctx.messages, self.ctx.min_cell, groups=groups)),
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
    """The HTML of reports/<project>/index.html: a link to the summary and one line per site."""
    t, unit = context.messages.t, context.unit
    lines = []
    for site in context.project.site_ids:
        people = context.participants[context.participants["site"] == site]
        figures_ = key_figures(people, context.project.config)
        section = ReportSections(context, people, people.iloc[:0])
        values = {
            "unit": unit,
            "site": context.site_name(site),
            "referred": section._count(figures_["referred"]),
            "started": section._count(figures_["started"], figures_["referred"]),
        }
        if context.project.site(site)["reports_end_status"]:
            active = int((people["start_date"].notna() & people["end_date"].isna()).sum())
            text = t("text.index_line_status", active=section._count(active, figures_["referred"]), **values)
        else:
            text = t("text.index_line", **values) + f" ({t('report.not_reported')})"
        lines.append(f'<li><a href="sites/{html.escape(site)}.html">{html.escape(text)}</a></li>')
    title = t("report.index_title", title=context.project.config["title"])
    summary = t("report.summary_title", title=context.project.config["title"])
    items = "\n".join(lines)
    return (
        f'<!DOCTYPE html>\n<html lang="{context.messages.language}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<style>body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:48em;margin:2em auto;padding:0 1em}'
        "li{margin:0.4em 0}</style></head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f'<p><a href="summary.html">{html.escape(summary)}</a></p>\n'
        f"<h2>{html.escape(t('sections.sites'))}</h2>\n<ul>\n{items}\n</ul>\n</body>\n</html>\n"
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
