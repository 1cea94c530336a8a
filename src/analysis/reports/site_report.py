"""One site's report page: the shared sections over that site's enrolments and answers, and what only a
site page says (its own subsidy, its row of the key figures, recruitment, funnel by group, its data quality)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.project.loader import site_raw_files
from analysis.reports import figures, overview, render, site_tables
from analysis.reports.context import ReportContext
from analysis.reports.disclosure import (
    coarsen_survival_curves,
    suppress_table,
)
from analysis.reports.sections import ReportSections


class SiteReport(ReportSections):
    """The sections of one site's report."""

    def __init__(self, context: ReportContext, site: str):
        super().__init__(
            context,
            context.participants[context.participants["site"] == site],
            context.responses[context.responses["site"] == site],
        )
        self.site = site
        self.reports_status = bool(context.project.site(site)["reports_end_status"])

    # ---------------------------------------------------------------------------------------- sections
    def title(self) -> list:
        return self._title(
            self.t(
                "report.site_title",
                title=self.ctx.project.config["title"],
                unit=self.ctx.unit,
                site=self.ctx.site_name(self.site),
            )
        )

    def _subsidy_here(self) -> list:
        """This site's planned subsidy (or that it had none) and whether it is in the pooled estimate (said only
        when there is one)."""
        name, lengths = self.ctx.site_name(self.site), [m for m in self.ctx.subsidy_lengths(self.site) if m > 0]
        numbers = [str(m) for m in lengths]
        if len(numbers) > 1:  # '3 eller 6 måneder'
            numbers = [", ".join(numbers[:-1]) + f" {self.t('subsidy.or')} {numbers[-1]}"]
        joined = (
            self.t("subsidy.months_one" if lengths == [1] else "subsidy.months_many", n=numbers[0]) if numbers else ""
        )
        key = (
            "subsidy.site_none"
            if not lengths
            else "subsidy.site_length"
            if len(lengths) == 1
            else "subsidy.site_lengths"
        )
        said = [self.t(key, site=name, months=joined)]
        in_model = self.ctx.sites_in_model
        if self.site in in_model:
            said.append(self.t("subsidy.in_model" if lengths else "subsidy.in_model_no_subsidy", site=name))
        elif in_model:  # with no estimate at all there is nothing to be part of; the next paragraph says why
            said.append(
                self.t("subsidy.not_in_model" if self.reports_status else "subsidy.not_in_model_status", site=name)
            )
        return [render.paragraph(" ".join(said))]

    def key_figures(self) -> list:
        """The site's row of key_figures.csv, with a sentence for what the site did not do or have."""
        row = self.ctx.key_figures.loc[self.site]
        site = self.ctx.site_name(self.site)
        out = [render.heading(self.t("sections.key_figures"))]
        notes = []
        if row["reports_end_status"] != "true":
            notes.append(self.t("key_figures.no_status_site", site=site))
        if row["subsidy_months"] in ("0", ""):
            notes.append(self.t("key_figures.no_subsidy", site=site))
        if row["in_subsidy_model"] != "true":
            notes.append(self.t("key_figures.not_in_model", site=site))
        if notes:
            out.append(render.paragraph(" ".join(notes)))
        return out + [overview.site_table(self.ctx.key_figures, self.site, self.ctx.messages), self._definitions()]

    def recruitment(self) -> list:
        tracks = site_tables.counts_by(self.people, "referral_track", ["health", "employment", "self", "other"])
        teams = site_tables.counts_by(self.people, "team_type", ["existing", "new"])
        return [
            render.heading(self.t("sections.recruitment")),
            render.table(self._counts(tracks, "tracks", self.t("labels.track"))),
            render.table(
                self._counts(site_tables.counts_by(self.people, "association"), None, self.t("labels.association"))
            ),
            render.table(self._counts(site_tables.counts_by(self.people, "activity"), None, self.t("labels.activity"))),
            render.table(self._counts(teams, "team_types", self.t("labels.team_type"))),
        ]

    def funnel(self) -> list:
        """Referred, started and active by group. The 'all' row is the site's row of key_figures.csv (same
        markers); a stage hidden there is hidden for every group. Groups too small to show on their own are
        merged, and the merged group is named by its members with a sentence saying why. A single group (or
        none left) is shown as the site's total alone, without a group column."""
        table, merged = self._safe_funnel(
            site_tables.funnel(self.people, self.ctx.project.config, by=self.ctx.compare_by)
        )
        stages = ["referred", "started", "active_course_end", "active_followup"]
        total = self.ctx.key_figures.loc[self.site]
        total_text = {s: overview.cell_text(total, s, self.ctx.messages) for s in stages}
        groups = table.drop(index="all", errors="ignore")
        out = [render.heading(self.t("sections.funnel")), render.paragraph(self.t("text.funnel"))]
        if len(groups) <= 1:
            shown = pd.DataFrame({self.t("key_figures.stage"): [self.t(f"key_figures.{s}") for s in stages]})
            shown[self.t("key_figures.value")] = [total_text[s] for s in stages]
            out.append(render.table(shown))
        else:
            # A stage whose total is hidden is not broken down by group at all: its group cells would carry
            # the complementary marker, whose bound (at least min_cell) and the group's previous stage can pin
            # them (5 referred, '..' started: exactly 5).
            shown_stages = [s for s in stages if total[s] not in (self.ctx.marker, self.ctx.secondary_marker)]
            rows = []
            for group, row in groups.iterrows():
                cells = {self.ctx.group_header: self._merged_label(merged) if group == "other" and merged else None}
                cells[self.ctx.group_header] = cells[self.ctx.group_header] or self.ctx.group_label(group)
                for stage in shown_stages:
                    cells[self.t(f"key_figures.{stage}")] = (
                        self.t("report.not_reported") if pd.isna(row[stage]) else self._count(row[stage])
                    )
                rows.append(cells)
            rows.append(
                {self.ctx.group_header: self.t("tracks.all")}
                | {self.t(f"key_figures.{s}"): total_text[s] for s in shown_stages}
            )
            out.append(render.table(pd.DataFrame(rows)))
            if len(shown_stages) < len(stages):
                out.append(render.paragraph(self.t("disclosure.funnel_stage_hidden")))
            if merged:
                out.append(
                    render.paragraph(
                        self.t(
                            "disclosure.merged_why",
                            groups=self._merged_label(merged, False),
                            min_cell=self.ctx.min_cell,
                        )
                    )
                )
        counts = table.loc["all"] if "all" in table.index else None
        if counts is not None and all(total[s].isdigit() for s in ("referred", "started")):
            out.append(
                render.figure(lambda: figures.funnel_figure(counts, self.ctx.messages), self.t("figures.funnel"))
            )
        return out

    def _merged_label(self, merged: list[str], name: bool = True) -> str:
        """'Øvrige: beskæftigelse og selvhenvendt' (or, without `name`, the members alone)."""
        labels = [self.ctx.group_label(g) for g in merged]
        labels = [labels[0], *(x.lower() for x in labels[1:])]
        members = (
            labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} {self.t('key_figures.and')} {labels[-1]}"
        )
        return self.t("disclosure.merged_name", groups=members.lower()) if name else members

    def _safe_funnel(self, table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        """The funnel with groups merged until no stage count, and no difference between adjacent stages, is
        small (1 to min_cell - 1); and the groups merged into 'other' (empty if none).

        Stages are nested (started is part of referred), so a small difference between two shown stages
        discloses as much as a small count. Groups failing that are merged into 'other'; if even the merged
        group fails, only the total is shown.
        """
        m = self.ctx.min_cell
        stages = ["referred", "started", "active_course_end", "active_followup"]

        def safe(row: pd.Series) -> bool:
            values = [row[s] for s in stages if pd.notna(row[s])]
            steps = [a - b for a, b in zip(values, values[1:], strict=False)]
            return not any(0 < v < m for v in [*values, *steps])

        groups = table.drop(index="all")
        members = [t for t in groups.index if not safe(groups.loc[t])]
        if not members:
            return table, []
        if "other" in groups.index and "other" not in members:
            members.append("other")
        rest = groups.drop(index=members)
        while len(rest) and not safe(groups.loc[members].sum(min_count=1)):
            smallest = rest["referred"].idxmin()  # merge the smallest shown group too
            members.append(smallest)
            rest = rest.drop(index=smallest)
        if not len(rest):  # everything merged: the total says it all
            return table.loc[["all"]], []
        merged = [g for g in groups.index if g in members]  # in report order
        rest.loc["other"] = groups.loc[merged].sum(min_count=1)
        return pd.concat([rest, table.loc[["all"]]]), merged

    def retention(self) -> list:
        out = [render.heading(self.t("sections.retention"))]
        if not self.reports_status:
            return out + [render.paragraph(self.t("report.not_reported"))]
        km = self.ctx.models["km"]
        hidden = self._hidden_groups()
        groups = {g: self.ctx.group_label(g) for g in self.ctx.groups_of_site(self.site) if g not in hidden}
        out += [
            render.paragraph(self.t("text.retention", min_cell=self.ctx.min_cell)),
            render.paragraph(self.t("disclosure.km_steps", min_cell=self.ctx.min_cell)),
            render.figure(
                lambda: figures.retention_figure(
                    coarsen_survival_curves(km, self.ctx.min_cell),
                    self.site,
                    self.ctx.messages,
                    self.ctx.min_cell,
                    groups=groups,
                ),
                self.t("figures.retention", scope=self.ctx.site_name(self.site)),
            ),
            render.paragraph(self.t("text.retention_at")),
            render.table(self._retention_table(self.site, hidden)),
        ]
        return out

    def _hidden_groups(self) -> set[str]:
        """The groups whose count the recruitment table of this page hides (when groups are tracks)."""
        if self.ctx.compare_by != "referral_track":
            return set()
        tracks = site_tables.counts_by(self.people, "referral_track", ["health", "employment", "self", "other"])
        table = suppress_table(tracks.to_frame("n"), self.ctx.min_cell, margins=True)
        return {str(g) for g in table.hidden.index[table.hidden["n"]]}

    def reasons(self) -> list:
        out = [render.heading(self.t("sections.reasons"))]
        if not self.reports_status:
            return out + [render.paragraph(self.t("report.not_reported"))]
        return out + [
            render.paragraph(self.t("text.reasons")),
            render.table(self._counts(site_tables.dropout_reasons(self.people), "reasons", self.t("labels.reason"))),
        ]

    def comparison(self) -> list:
        effects = self.ctx.models["site_effects"]
        names = {s: self.ctx.site_label(s) for s in self.ctx.project.site_ids}
        out = [render.heading(self.t("sections.comparison")), render.paragraph(self.t("text.comparison"))]
        if effects["shrunken_hr"].notna().sum() >= 2:
            out.append(
                render.figure(
                    lambda: figures.caterpillar_figure(effects, names, self.site, self.ctx.messages),
                    self.t("figures.caterpillar"),
                )
            )
        if self.site not in set(effects.dropna(subset=["shrunken_hr"])["site"]):
            key = "text.comparison_absent" if self.reports_status else "text.comparison_absent_status"
            out.append(render.paragraph(self.t(key, site=self.ctx.site_name(self.site))))
        return out

    def quality(self) -> list:
        quality = self.ctx.quality[self.site]
        files = self._file_counts(quality["files"])
        rates = pd.DataFrame(
            [
                {
                    self.t("labels.wave"): self.t(f"waves.{wave}"),
                    self.t("labels.eligible"): self._count(v["eligible"]),
                    self.t("labels.answered"): self._count(v["answered"], v["eligible"]),
                    self.t("labels.response_rate"): self._response_rate(v),
                }
                for wave, v in quality["response_rate"].items()
            ]
        )
        tables = {
            field: pd.DataFrame(
                [
                    {
                        self.t("labels.file"): Path(f["file"]).name,
                        self.t("labels.reason"): self._row_reason(key),
                        self.t("labels.count"): n,
                    }
                    for f in quality["files"]
                    for key, n in f.get(field, {}).items()
                ]
            )
            for field in ("rejected_by_reason", "repairs_by_rule", "flags_by_flag")
        }
        # Rejected, repaired and flagged rows name no one: their counts are shown in full (_file_counts hides
        # a small kept count, which counts people).
        out = [
            render.heading(self.t("sections.quality")),
            render.paragraph(self.t("text.quality")),
            render.table(files),
        ]
        for field, text in (
            ("rejected_by_reason", "text.rejections"),
            ("repairs_by_rule", "text.repairs"),
            ("flags_by_flag", "text.flags"),
        ):
            if not tables[field].empty:
                out += [render.paragraph(self.t(text)), render.table(tables[field])]
        return out + ([render.table(rates)] if not rates.empty else [])

    def _row_reason(self, key: str) -> str:
        """A ledger key in the page's language (the catalogue's row_reasons)."""
        return self.t(f"row_reasons.{key}")

    def _file_counts(self, files: list[dict]) -> pd.DataFrame:
        """Rows read, kept and rejected per raw file. Rejected rows describe no one in the data (they are in
        the table of reasons too) and are shown; kept survey rows are the people who answered, so a kept
        count of 1 to min_cell - 1 is hidden, with the rows read (read - rejected would give it back)."""
        rows = []
        for f in files:
            small = 0 < f["kept"] < self.ctx.min_cell
            number = self.ctx.messages.number
            rows.append(
                {
                    self.t("labels.file"): Path(f["file"]).name,
                    self.t("labels.read"): self.ctx.secondary_marker if small else number(f["read"]),
                    self.t("labels.kept"): self.ctx.marker if small else number(f["kept"]),
                    self.t("labels.rejected"): number(f["rejected"]),
                }
            )
        return pd.DataFrame(rows)

    def footer(self, parameters: dict) -> list:
        return self._footer(site_raw_files(self.ctx.project, self.site), parameters)
