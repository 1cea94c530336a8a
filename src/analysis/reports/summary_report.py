"""The cross-site summary report and the index page linking every report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.clean.pseudonym import load_key
from analysis.core.outputs import write_text
from analysis.core.vocabulary import ALL_SITES
from analysis.project.loader import site_raw_files
from analysis.reports import figures, overview, render, site_tables
from analysis.reports.context import ReportContext
from analysis.reports.disclosure import coarsen_survival_curves
from analysis.reports.sections import ReportSections

PAGES_DIR = Path(__file__).parent / "templates" / "pages"


def _tracks(people: pd.DataFrame) -> pd.Series:
    return site_tables.counts_by(people, "referral_track", ["health", "employment", "self", "other"])


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

    def who_was_referred(self) -> list:
        """Who was referred, pooled over all sites: the referral period and when follow-up happens (config),
        age and sex, referral tracks, and reasons for stopping where sites reported who stopped."""
        config, messages, people = self.ctx.project.config, self.ctx.messages, self.people
        out = [render.heading(self.t("sections.people"))]
        referred = people["referral_date"].dropna()
        if len(referred):
            out.append(
                render.paragraph(
                    self.t(
                        "people.period",
                        first=messages.month(referred.min().date()),
                        last=messages.month(referred.max().date()),
                        course_weeks=config["course_weeks"],
                        followup_months=config["followup_months"],
                        extraction=messages.date(config["extraction_date"]),
                    )
                )
            )
        sex = people["sex"].fillna("unknown").value_counts().reindex(["female", "male", "unknown"]).dropna()
        sex = sex.rename(index={"female": self.t("people.female"), "male": self.t("people.male")})
        out += [
            render.paragraph(self.t("people.intro")),
            render.table(self._counts(sex.astype(int), None, self.t("people.sex"))),
            render.table(self._counts(self._age_bands(people["age"]), None, self.t("people.age"))),
            render.paragraph(self.t("people.recruitment")),
            *self._pooled_counts(people, _tracks, "tracks", self.t("labels.track")),
        ]
        reporting = [s["site"] for s in self.ctx.project.sites if s["reports_end_status"]]
        stopped = people[people["site"].isin(reporting)]
        if len(site_tables.dropout_reasons(stopped)):
            out += [
                render.paragraph(self.t("people.reasons")),
                *self._pooled_counts(stopped, site_tables.dropout_reasons, "reasons", self.t("labels.reason")),
            ]
        return out

    def _pooled_counts(self, people: pd.DataFrame, count, label_key: str, header: str) -> list:
        """A table of counts pooled over sites whose pages show the same table of their own: suppressed so
        that no site's hidden cell follows from the pooled one minus the other sites' (`suppress_pooled`), or
        withheld with a sentence when no suppression can do that."""
        pooled, column = count(people), self.t("labels.count")
        suppressed = self._suppressed_over_sites(
            people, lambda some: count(some).reindex(pooled.index, fill_value=0).to_frame(column)
        )
        if suppressed is None:
            return [render.paragraph(self.t("disclosure.pooled_table_withheld"))]
        return [render.table(self._counts(pooled, label_key, header, suppressed))]

    def _age_bands(self, ages: pd.Series, edges: tuple[int, ...] = (30, 45, 60, 70)) -> pd.Series:
        """Number of people per age band (under 30, 30–44, 45–59, 60–69, 70 and over; unknown apart)."""
        labels = [self.t("people.age_below", high=edges[0])]
        labels += [self.t("people.age_band", low=lo, high=hi - 1) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        labels += [self.t("people.age_above", low=edges[-1])]
        known = ages.dropna().astype(int)
        bands = pd.cut(known, [-1, *[e - 1 for e in edges], 200], labels=labels)
        counts = bands.value_counts().reindex(labels).fillna(0).astype(int)
        if ages.isna().any():
            counts.loc["unknown"] = int(ages.isna().sum())
        return counts

    def retention(self) -> list:
        km = self.ctx.models["km"]
        present = set(km.loc[(km["scope"] == ALL_SITES) & (km["group"] != "all"), "group"])
        groups = {g: self.ctx.group_label(g) for g in self.ctx.group_order(present)}
        return [
            render.heading(self.t("sections.retention")),
            render.paragraph(self.t("text.retention", min_cell=self.ctx.min_cell)),
            render.paragraph(self.t("disclosure.km_steps", min_cell=self.ctx.min_cell)),
            render.figure(
                lambda: figures.retention_figure(
                    coarsen_survival_curves(km, self.ctx.min_cell),
                    ALL_SITES,
                    self.ctx.messages,
                    self.ctx.min_cell,
                    groups=groups,
                ),
                self.t("figures.retention", scope=self.t("labels.all_sites")),
            ),
            render.paragraph(self.t("text.retention_at")),
            render.table(self._retention_table(ALL_SITES)),
        ]

    def comparison(self) -> list:
        effects = self.ctx.models["site_effects"]
        names = {s: self.ctx.site_label(s) for s in self.ctx.project.site_ids}
        out = [render.heading(self.t("sections.comparison")), render.paragraph(self.t("text.comparison"))]
        if effects["shrunken_hr"].notna().sum() >= 2:
            out.append(
                render.figure(
                    lambda: figures.caterpillar_figure(effects, names, None, self.ctx.messages),
                    self.t("figures.caterpillar"),
                )
            )
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
    """The HTML of reports/<project>/index.html, from templates/pages/index.html.j2: title, dates, contact,
    a link to the summary and the key figures of every site, each site's name linking to its page (every
    number from key_figures.csv)."""
    import markupsafe

    t, messages, config = context.messages.t, context.messages, context.project.config
    names = {s: context.site_name(s) for s in context.project.site_ids}
    table = overview.overview_table(context.key_figures, names, context.unit, messages, links=True).data
    reporting = sum(1 for s in context.project.sites if s["reports_end_status"])
    extraction = str(config["extraction_date"])
    published = str(config.get("publication_date", extraction))
    template = _pages().get_template("index.html.j2")
    return template.render(
        language=messages.language,
        title=t("report.index_title", title=config["title"]),
        dated=" ".join(
            [t("report.extraction", date=messages.date(extraction)), t("page.published", date=messages.date(published))]
        ),
        contact=t("page.contact", contact=config["contact"]) if config.get("contact") else "",
        notice=t("report.demo_key_warning") if load_key(context.project).is_demo else "",
        summary=t("report.summary_title", title=config["title"]),
        sites_heading=t("sections.sites"),
        table=markupsafe.Markup(table),
        note=t("key_figures.all_sites_active", reporting=reporting, sites=len(names), units=context.units),
        marker_note=overview.disclosure_note(messages, context.min_cell),
    )


def _pages():
    """The Jinja environment of the stand-alone pages (HTML-escaping every value)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PAGES_DIR),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def write_index(context: ReportContext, out_path: str | Path | None = None) -> Path:
    """Write the index page atomically, by default to reports/<project>/index.html (the summary notebook's
    last cell: the page only needs the key figures, and writing it there spares the workflow a job)."""
    spec = context.project
    return write_text(index_page(context), out_path or spec.root / "reports" / spec.name / "index.html")
