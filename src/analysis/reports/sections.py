"""The sections the site and summary pages share, each a list of displayable pieces.

A report notebook holds one cell per section, each calling one method here, so notebooks narrate and the
package computes. Every count goes through disclosure control before it is shown; every sentence takes
its numbers from the data and its words from the message catalogue.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML

from analysis.clean.pseudonym import load_key
from analysis.core.vocabulary import ALL_SITES
from analysis.reports import figures, overview, render, site_tables
from analysis.reports.context import ReportContext
from analysis.reports.disclosure import (
    SuppressedTable,
    suppress_pooled,
    suppress_share,
    suppress_table,
)
from analysis.reports.provenance import code_version, file_hashes, package_versions
from analysis.retention.absolute import interval_ends, reference_hazard, stops_per_100


class ReportSections:
    """Sections shared by the site and summary reports, over a given set of enrolments and answers."""

    def __init__(self, context: ReportContext, people: pd.DataFrame, answers: pd.DataFrame):
        self.ctx, self.people, self.answers = context, people, answers
        self.t = context.messages.t

    # ------------------------------------------------------------------ formatting with disclosure control
    def _count(self, value: float | None, reference: float | None = None) -> str:
        """A count in a sentence: hidden when small, or when its complement to `reference` is small."""
        if value is None or pd.isna(value):
            return self.t("report.not_reported")
        hidden = (
            suppress_share(value, reference, self.ctx.min_cell, suppress_zeros=False)
            if reference is not None
            else 0 < value < self.ctx.min_cell
        )
        if not hidden:
            return self.ctx.messages.number(value)
        return self.ctx.marker if 0 < value < self.ctx.min_cell else self.ctx.secondary_marker

    def shown_count(self, value: float | None, reference: float | None = None) -> str:
        """A count as a sentence shows it: the number, the marker when it or its complement to `reference`
        is small, or 'not reported' when missing (what the site and summary pages print)."""
        return self._count(value, reference)

    def _response_rate(self, wave: dict) -> str:
        """A wave's response rate from quality.json, hidden when answered, not answered or eligible is small."""
        hidden = wave["rate"] is None or suppress_share(wave["answered"], wave["eligible"], self.ctx.min_cell)
        return self.ctx.secondary_marker if hidden else self.ctx.messages.percent(wave["rate"])

    def _counts(
        self, counts: pd.Series, label_key: str | None, header: str, suppressed: SuppressedTable | None = None
    ) -> pd.DataFrame:
        """A one-way table of counts with a total row, small cells and their complements hidden (by
        `suppressed` when given, e.g. a pooled table's suppression that protects its parts)."""
        frame = counts.to_frame(self.t("labels.count"))
        suppressed = suppressed or suppress_table(frame, self.ctx.min_cell, margins=True)
        shown = suppressed.display(
            marker=self.ctx.marker,
            secondary_marker=self.ctx.secondary_marker,
            number=self.ctx.messages.number,
            total_label="total",
        )
        labels = [
            self.t("tracks.all")
            if i == "total"
            else self.t("labels.not_recorded")
            if i == "unknown"
            else self.t(f"{label_key}.{i}")
            if label_key
            else str(i)
            for i in shown.index
        ]
        return shown.set_axis(labels).rename_axis(header).reset_index()

    def subsidy(self) -> list:
        """The subsidy-end finding: this page's own subsidy and place in the model (site pages), the pooled
        hazard ratio introduced as pooled, the same in whole people, what it cannot tell, the event study."""
        primary = self.ctx.models["primary"]
        post = primary[(primary["term"] == "post_subsidy") & primary["shown"].astype(bool)]
        out = [render.heading(self.t("sections.subsidy")), *self._subsidy_here()]
        summary = self.ctx.model_summary["primary"]
        variation = summary.get("variation") or {}
        if variation.get("thin"):
            counts = {k: self.ctx.messages.number(variation[f"carrying_{k}"]) for k in ("enrolments", "events")}
            total = self.ctx.messages.number(variation["enrolments"])
            text = self.t(
                "text.subsidy_thin_variation", carrying=counts["enrolments"], enrolments=total, events=counts["events"]
            )
            return out + [render.paragraph(text)]
        if post.empty or not bool(post.iloc[0]["identified"]):
            checks = self.ctx.model_summary["primary"]["identification"]
            key = (
                "text.subsidy_not_identified"
                if any(not c["identified"] for c in checks)
                else "text.subsidy_not_estimated"
            )
            return out + [render.paragraph(self.t(key))]
        row, n = post.iloc[0], self.ctx.messages.number
        lower, upper = interval_ends(row)  # the page says 0 or 'infinity' where the bootstrap found no end
        unbounded = lower == 0 or not np.isfinite(upper)
        in_model = self.ctx.sites_in_model
        out.append(
            render.paragraph(
                self.t(
                    "text.subsidy_effect",
                    n=len(in_model),
                    with_subsidy=sum(1 for s in in_model if max(self.ctx.subsidy_lengths(s), default=0) > 0),
                    hr=n(row["hazard_ratio"], 2),
                    lower=n(lower, 2) if lower > 0 else n(0),
                    upper=n(upper, 2) if np.isfinite(upper) else self.t("text.unbounded_upper"),
                )
            )
        )
        few_sites = row["se_type"] == "few_sites"
        interval = "text.subsidy_interval_few_sites" if few_sites else "text.subsidy_interval_clustered"
        out.append(render.paragraph(self.t(interval, sites=n(summary["info"]["clusters"]))))
        if unbounded:
            out.append(render.paragraph(self.t("text.subsidy_unbounded", sites=n(summary["info"]["clusters"]))))
        if lower <= 1 <= upper:
            out.append(render.paragraph(self.t("text.subsidy_includes_one")))
        if variation.get("between_sites_only"):
            out.append(render.paragraph(self.t("text.subsidy_between_sites")))
        out.append(render.paragraph(self.t("text.subsidy_estimand")))
        if not unbounded:  # whole people within an interval of 0 to infinity would say nothing
            out += self._subsidy_in_people(row)
        out += [
            render.paragraph(self.t("subsidy.cannot_tell")),
            render.paragraph(self.t("text.event_study")),
            render.figure(
                lambda: figures.event_study_figure(self.ctx.models["event_study"], self.ctx.messages),
                self.t("figures.event_study"),
            ),
        ]
        return out

    def _subsidy_here(self) -> list:
        """What the page says about its own site's subsidy before the pooled estimate (none on the summary)."""
        return []

    def _subsidy_in_people(self, estimate: pd.Series) -> list:
        """'Of 100 still active when the subsidy ends, about X (interval) stop in the next three months,
        against Y at the subsidised rate': from the monthly stopping rate of the last three subsidised months
        (shown only when it rests on at least min_cell stops)."""
        reference = reference_hazard(self.ctx.model_summary.get("event_study", {}).get("info", {}))
        if reference is None or reference[1] < self.ctx.min_cell:
            return []
        hazard, number = reference[0], self.ctx.messages.number
        result = stops_per_100(hazard, float(estimate["hazard_ratio"]))
        lower = stops_per_100(hazard, float(estimate["ci_lower"])).after
        upper = stops_per_100(hazard, float(estimate["ci_upper"])).after
        text = self.t(
            "subsidy.absolute",
            after=number(result.after),
            after_lower=number(lower),
            after_upper=number(upper),
            during=number(result.during),
        )
        return [render.paragraph(text)]

    def outcomes(self) -> list:
        """Means per wave with the number answering, and paired changes from start with 95 % CIs.
        A mean or change resting on fewer than min_cell answers is hidden."""
        waves = self.surveyed_waves()
        if not waves:
            return [render.heading(self.t("sections.outcomes")), render.paragraph(self.t("text.not_surveyed"))]
        means = site_tables.outcome_means(self.answers)
        changes = site_tables.outcome_changes(self.answers)
        asked = [m for m in site_tables.MEASURES if self.ctx.responses[m].notna().any()]
        level, change = [], []
        for measure in asked:
            level_row = {self.t("labels.measure"): self.t(f"measures.{measure}")}
            change_row = dict(level_row)
            for wave in waves:
                hit = means[(means["measure"] == measure) & (means["wave"] == wave)]
                level_row[self.t(f"waves.{wave}")] = self._estimate(hit, ci=not self._n_is_safe(measure, wave))
                if wave != "baseline":
                    hit = changes[(changes["measure"] == measure) & (changes["wave"] == wave)]
                    change_row[self.t("labels.change_to", wave=self.t(f"waves.{wave}").lower())] = self._estimate(hit)
            level.append(level_row)
            change.append(change_row)
        tables = [render.table(pd.DataFrame(level))]
        if "baseline" in waves and len(waves) > 1:  # changes need a baseline and a later wave
            tables.append(render.table(pd.DataFrame(change)))
        return [
            render.heading(self.t("sections.outcomes")),
            render.paragraph(self.t("text.outcomes" if len(tables) > 1 else "text.outcomes_levels")),
            *tables,
            render.paragraph(self.t("text.who_answered")),
            *self._who_answered(waves),
        ]

    def _n_is_safe(self, measure: str, wave: str) -> bool:
        """Whether the number answering may be shown beside a pooled mean: not if a site among these people
        hides its own number (then pooled minus the other sites' numbers would give it back)."""
        sites = sorted(set(self.people["site"]))
        if len(sites) < 2:
            return True
        for site in sites:
            mine = self.answers[(self.answers["site"] == site) & (self.answers["wave"] == wave)][measure]
            if 0 < mine.notna().sum() < self.ctx.min_cell:
                return False
        return True

    def surveyed_waves(self) -> list[str]:
        """The config's waves that at least one of these sites surveyed (had an export of)."""
        return [w for w in self.ctx.project.config["waves"] if self._sites_surveying(w)]

    def _sites_surveying(self, wave: str) -> list[str]:
        """These people's sites that surveyed `wave`."""
        return [s for s in sorted(set(self.people["site"])) if wave in self.ctx.quality[s]["response_rate"]]

    def _who_answered(self, waves: list[str]) -> list:
        """Per wave: answered / did not answer among those still active, stopped and never started, in the
        sites that surveyed the wave."""
        out = []
        for wave in waves:
            asked = self.people[self.people["site"].isin(self._sites_surveying(wave))]
            suppressed = self._suppressed_over_sites(asked, functools.partial(self._response_table, wave=wave))
            if suppressed is None:
                out.append(render.paragraph(self.t("disclosure.pooled_withheld", wave=self.t(f"waves.{wave}"))))
                continue
            shown = suppressed.display(
                marker=self.ctx.marker,
                secondary_marker=self.ctx.secondary_marker,
                number=self.ctx.messages.number,
                total_label=self.t("tracks.all"),
            )
            shown.index = [
                self.t(f"status.{i}") if i in ("active", "stopped", "never_started") else i for i in shown.index
            ]
            out.append(render.table(shown.rename_axis(self.t(f"waves.{wave}")).reset_index()))
        return out

    def _suppressed_over_sites(
        self, people: pd.DataFrame, table_of: Callable[[pd.DataFrame], pd.DataFrame]
    ) -> SuppressedTable | None:
        """The suppression of `table_of(people)`. Over one site: the table's own, with margins. Pooled over
        several sites, whose pages each show `table_of` of their own people: suppressed so that no site's hidden
        cell follows from the pooled one minus the other sites' (`suppress_pooled`), or None when no
        suppression can do that (then the pooled table must be withheld)."""
        table = table_of(people)
        sites = sorted(set(people["site"]))
        if len(sites) < 2:
            return suppress_table(table, self.ctx.min_cell, margins=True)
        parts = [suppress_table(table_of(people[people["site"] == s]), self.ctx.min_cell, margins=True) for s in sites]
        return suppress_pooled(table, parts, self.ctx.min_cell)

    def _response_table(self, people: pd.DataFrame, wave: str) -> pd.DataFrame:
        """Answered / not answered by status (active, stopped, never started) among `people`."""
        table = site_tables.response_by_status(people, self.answers, wave)
        table = table.reindex(index=["active", "stopped", "never_started"], columns=[True, False], fill_value=0)
        table = table[table.sum(axis=1) > 0]
        table.columns = [self.t("labels.answered"), self.t("labels.not_answered")]
        return table

    def _estimate(self, rows: pd.DataFrame, ci: bool = True) -> str:
        if rows.empty or rows.iloc[0]["n"] == 0:
            return ""
        row, number = rows.iloc[0], self.ctx.messages.number
        if row["n"] < self.ctx.min_cell or pd.isna(row["mean"]):
            return self.ctx.secondary_marker
        if not ci:
            return self.t("labels.mean_n", mean=number(row["mean"], 1), n=number(row["n"]))
        if pd.isna(row["lower"]):
            return number(row["mean"], 1)
        return self.t(
            "labels.estimate_ci",
            estimate=number(row["mean"], 1),
            lower=number(row["lower"], 1),
            upper=number(row["upper"], 1),
        )

    def who5(self) -> list:
        """WHO-5 read as Topp et al. (2015) do: per wave, the share of those answering with a score of 50 or
        below (poor well-being) and 28 or below (risk of depression), and the share who improved by at least
        10 points since the start. Each share is hidden when its count, complement or base is small."""
        if "who5_pct" not in self.answers or not self.answers["who5_pct"].notna().any():
            return []
        scores = self.answers.dropna(subset=["who5_pct"])
        waves = [w for w in self.ctx.project.config["waves"] if (scores["wave"] == w).any()]
        start = scores[scores["wave"] == "baseline"].set_index(["participant_id", "enrolment"])["who5_pct"]
        rows = {key: {} for key in ("answered", "poor", "depression", "improved")}
        for wave in waves:
            column = self.t(f"waves.{wave}")
            values = scores.loc[scores["wave"] == wave, "who5_pct"].astype(float)
            rows["answered"][column] = self._count(len(values))
            rows["poor"][column] = self._share(int((values <= 50).sum()), len(values))
            rows["depression"][column] = self._share(int((values <= 28).sum()), len(values))
            if wave != "baseline" and len(start):
                later = scores[scores["wave"] == wave].set_index(["participant_id", "enrolment"])["who5_pct"]
                change = (later - start.reindex(later.index)).dropna().astype(float)
                rows["improved"][column] = self._share(int((change >= 10).sum()), len(change)) if len(change) else ""
            else:
                rows["improved"][column] = ""
        if not any(rows["improved"].values()):
            del rows["improved"]
        labels = {
            "answered": "outcome_thresholds.answered",
            "poor": "outcome_thresholds.poor",
            "depression": "outcome_thresholds.depression",
            "improved": "outcome_thresholds.improved",
        }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index = [self.t(labels[k]) for k in frame.index]
        return [
            render.paragraph(self.t("outcome_thresholds.intro")),
            render.table(frame.rename_axis(self.t("measures.who5_pct")).reset_index()),
        ]

    def _share(self, count: int, base: int) -> str:
        """A share of `base` as a percentage, or the complementary marker when the count, its complement or base
        is small (the share would tell the count)."""
        if not base or suppress_share(count, base, self.ctx.min_cell):
            return self.ctx.secondary_marker
        return self.ctx.messages.percent(count / base)

    def _retention_table(self, scope: str, hidden_groups: set[str] = frozenset()) -> pd.DataFrame:
        """Share still active 3, 6, 12 months after starting, per group. Hidden ('..') where fewer than
        min_cell are followed then, where fewer than min_cell had stopped by then (a share of a known group
        would tell how many; 100 % says nobody did), or for groups whose count the page hides
        (`hidden_groups`)."""
        at = self.ctx.models["retention_at"]
        km = self.ctx.models["km"]
        rows = at[at["scope"] == scope]
        table = {}
        order = {g: i for i, g in enumerate(["all", *self.ctx.group_order(set(rows["group"]) - {"all"})])}
        for group, group_rows in sorted(rows.groupby("group", sort=False), key=lambda item: order.get(item[0], 99)):
            curve = km[(km["scope"] == scope) & (km["group"] == group)]
            cells = {}
            for _, row in group_rows.iterrows():
                stopped = curve.loc[curve["time"] <= row["time"], "n_event"].sum()
                ok = (
                    row["n_risk"] >= self.ctx.min_cell
                    and pd.notna(row["survival"])
                    and stopped >= self.ctx.min_cell
                    and group not in hidden_groups
                )
                cells[self.t("labels.months_after_start", months=int(row["time"]))] = (
                    self._retention_cell(row) if ok else self.ctx.secondary_marker
                )
            table[self.ctx.group_label(group)] = cells
        frame = pd.DataFrame(table).T
        if len(frame) == 2 and frame.iloc[0].equals(frame.iloc[1]):  # one group: the total says it all
            frame = frame.iloc[:1]
        return frame.rename_axis(self.ctx.group_header).reset_index()

    def _retention_cell(self, row: pd.Series) -> str:
        """'62 % (60–64 %; n=861)': the share still active, its 95 % interval and how many were still
        followed at that month (the interval is left out where it could not be computed)."""
        percent, number = self.ctx.messages.percent, self.ctx.messages.number
        if pd.isna(row.get("ci_lower")) or pd.isna(row.get("ci_upper")):
            return self.t("labels.mean_n", mean=percent(row["survival"]), n=number(row["n_risk"]))
        return self.t(
            "labels.retention_ci_n",
            share=percent(row["survival"]).replace(" ", "\u00a0"),
            lower=number(100 * row["ci_lower"]),
            upper=percent(row["ci_upper"]).replace(" ", "\u00a0"),
            n=number(row["n_risk"]),
        )

    def groups(self, with_retention: bool = False) -> list:
        """Seed 001's question when the config sets `compare_by`: per group across all sites, how many were
        referred, started in an association and were still active at course end and follow-up (each with
        its share), and, with_retention, the share still active 3, 6 and 12 months after starting.
        Nothing without `compare_by`."""
        if not self.ctx.compares_groups:
            return []
        config, by = self.ctx.project.config, self.ctx.compare_by
        table = site_tables.funnel(self.ctx.participants, config, by=by)
        table = table.reindex([*self.ctx.group_order(set(table.index) - {"all"}), "all"])
        pairs = [
            ("referred", None),
            ("started", "referred"),
            ("active_course_end", "eligible_course_end"),
            ("active_followup", "eligible_followup"),
        ]
        rows = []
        figures_ = self.ctx.key_figures
        hidden = (self.ctx.marker, self.ctx.secondary_marker)
        for group, row in table.iterrows():
            cells = {self.ctx.group_header: self.ctx.group_label(group)}
            members = [s for s in self.ctx.project.site_ids if self.ctx.groups_of_site(s) == [group]]
            if self.ctx.groups_are_sites and group != "all":
                cells[self.t("labels.sites")] = ", ".join(self.ctx.site_name(s) for s in members)
            for stage, base in pairs:
                text = self._count_share(row[stage], row[base] if base else None)
                # groups made of whole sites add up key figures: what a site hides, its group hides too
                if self.ctx.groups_are_sites and group == "all" and figures_.loc[ALL_SITES, stage] in hidden:
                    text = figures_.loc[ALL_SITES, stage]
                elif self.ctx.groups_are_sites and any(figures_.loc[s, stage] in hidden for s in members):
                    one = len(members) == 1
                    text = figures_.loc[members[0], stage] if one else self.ctx.secondary_marker
                cells[self.t(f"labels.{stage}")] = text
            rows.append(cells)
        out = [
            render.heading(self.t("sections.groups", group=self.ctx.group_header.lower())),
            render.paragraph(self.t("text.groups", group=self.ctx.group_header.lower())),
            render.table(pd.DataFrame(rows)),
        ]
        if with_retention:
            out += [render.paragraph(self.t("text.groups_retention")), render.table(self._retention_table(ALL_SITES))]
        return out

    def _count_share(self, count: float, base: float | None) -> str:
        """'12 (34 %)': a count and its share of `base`, the share hidden with the count or when it tells
        about a small complement."""
        shown = self._count(count, base)
        if base is None or pd.isna(count) or shown in (self.ctx.marker, self.ctx.secondary_marker) or not base:
            return shown
        if suppress_share(count, base, self.ctx.min_cell, suppress_zeros=False):
            return shown
        share = self.ctx.messages.percent(count / base).replace(" ", "\u00a0")  # keep '60 %' on one line
        return self.t("labels.count_share", count=shown, share=share)

    def methods(self) -> list:
        """The methods and their limits, as an appendix of the page (the table of contents links to it)."""
        out = [render.heading(self.t("sections.methods")), render.paragraph(self.t("text.methods"))]
        return out + [
            render.paragraph(self.t("subsidy.method")),
            render.paragraph(self.t("text.methods_privacy", min_cell=self.ctx.min_cell)),
        ]

    def publication_dates(self) -> dict[str, str]:
        """The data extraction date and the publication date (config publication_date, else the extraction
        date: never the clock), as ISO strings."""
        config = self.ctx.project.config
        extraction = str(config["extraction_date"])
        return {"extraction": extraction, "published": str(config.get("publication_date", extraction))}

    def _footer(self, raw_files: list[Path], parameters: dict) -> list:
        project = self.ctx.project
        inputs = [*raw_files, *(project.config_dir / n for n in ("config.yaml", "sites.tsv", "codebook.yaml"))]
        made_for = [(self.t("provenance.project"), project.config["title"])]
        if "site" in parameters:
            made_for.append((self.ctx.unit, self.ctx.site_name(parameters["site"])))
        return [
            render.footer(
                self.ctx.messages,
                code_version(Path(__file__).resolve().parents[3]),
                self.publication_dates(),
                made_for,
                file_hashes(inputs, project.root),
                package_versions(),
            )
        ]

    def _title(self, title: str) -> list:
        cfg, dates, messages = self.ctx.project.config, self.publication_dates(), self.ctx.messages
        dated = f"{self.t('report.extraction', date=messages.date(dates['extraction']))} " + self.t(
            "page.published", date=messages.date(dates["published"])
        )
        out = [render.heading(title, 1), render.paragraph(dated)]
        if cfg.get("contact"):
            out.append(render.paragraph(self.t("page.contact", contact=cfg["contact"])))
        if load_key(self.ctx.project).is_demo:
            out.append(render.notice(self.t("report.demo_key_warning")))
        out.append(render.paragraph(overview.disclosure_note(self.ctx.messages, self.ctx.min_cell)))
        return out

    def _definitions(self) -> HTML:
        """What 'active' means, once per page under the key figures."""
        config = self.ctx.project.config
        return render.paragraph(
            self.t(
                "key_figures.definitions",
                weeks=config["course_weeks"],
                months=config["followup_months"],
                units=self.ctx.units,
            )
        )
