"""The per-site report and the summary report as sequences of displayable sections.

A report notebook holds one cell per section, each calling one method here, so notebooks narrate and the
package computes. Every count goes through disclosure control before it is shown; every sentence takes
its numbers from the data and its words from the message catalogue.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.clean.pseudonym import load_key
from analysis.core.vocabulary import ALL_SITES, DEFAULT_COMPARE_BY, REFERRAL_TRACKS
from analysis.project.loader import Project, load_project, site_raw_files
from analysis.reports import figures, render, site_tables
from analysis.reports.disclosure import suppress_share, suppress_table
from analysis.reports.messages import Messages
from analysis.reports.provenance import code_version, file_hashes, package_versions
from analysis.retention.absolute import reference_hazard, stops_per_100

MODEL_TABLES = ["primary", "event_study", "site_effects", "km", "retention_at"]


@dataclass
class ReportContext:
    """Everything the reports of one project read: config, canonical tables, models, quality files."""

    project: Project
    messages: Messages
    min_cell: int
    participants: pd.DataFrame
    responses: pd.DataFrame
    models: dict[str, pd.DataFrame]
    model_summary: dict
    quality: dict[str, dict]

    def __post_init__(self) -> None:
        # every message may name the project's word for a site ({unit}, {units}, ...)
        words = unit_words(self.project.config, self.messages.language)
        self.messages = dataclasses.replace(self.messages, placeholders={**words, **self.messages.placeholders})

    @property
    def marker(self) -> str:
        return f"<{self.min_cell}"

    def site_name(self, site: str) -> str:
        return self.project.site(site)["name"]

    @property
    def unit(self) -> str:
        return self.project.config["unit_label"][self.messages.language]

    # ------------------------------------------------------------------ subsidy and model membership
    @property
    def sites_in_model(self) -> list[str]:
        """The sites whose person-months the hazard models used (summary.json), in config order."""
        used = set(self.model_summary.get("sites_in_model", []))
        return [s for s in self.project.site_ids if s in used]

    def subsidy_lengths(self, site: str) -> list[int]:
        """The planned subsidy lengths (months) of a site's citizens who started, else of its config rules."""
        people = self.participants[(self.participants["site"] == site) & self.participants["start_date"].notna()]
        lengths = sorted({int(m) for m in people["subsidy_months"].dropna()})
        if lengths:
            return lengths
        return sorted({int(rule["months"]) for rule in self.project.config.get("subsidy_rules", {}).get(site, [])})

    # ------------------------------------------------------------------ the groups the reports compare
    @property
    def compare_by(self) -> str:
        """The column the reports compare groups by (config `compare_by`; referral track by default)."""
        return self.project.config.get("compare_by", DEFAULT_COMPARE_BY)

    @property
    def compares_groups(self) -> bool:
        """Whether the config asks for a comparison of groups (adds the groups section to the reports)."""
        return "compare_by" in self.project.config

    @property
    def group_header(self) -> str:
        return self.messages.t(f"compare.{self.compare_by}")

    def group_label(self, value: str) -> str:
        """A group's name in the report language: catalogue words for tracks and team types, else the
        config's compare_labels, else the value as written. 'all' is the total, 'other' merged small groups."""
        t = self.messages.t
        if value == "all":
            return t("tracks.all")
        if self.compare_by == "referral_track":
            return t(f"tracks.{value}")
        if self.compare_by == "team_type" and value in ("existing", "new"):
            return t(f"team_types.{value}")
        labels = self.project.config.get("compare_labels", {})
        if value in labels:
            return labels[value][self.messages.language]
        return t("labels.other_groups") if value == "other" else str(value)

    def group_order(self, values) -> list[str]:
        """Groups in report order: tracks and team types in their usual order, other groups in the order of
        compare_labels, then alphabetically."""
        values = set(values)
        fixed = {"referral_track": REFERRAL_TRACKS, "team_type": ["existing", "new"]}.get(
            self.compare_by, list(self.project.config.get("compare_labels", {}))
        )
        return [v for v in fixed if v in values] + sorted(values - set(fixed))

    def groups_of_site(self, site: str) -> list[str]:
        """The compare_by values among a site's enrolments, in report order."""
        return self._groups_by_site.get(site, [])

    @functools.cached_property
    def _groups_by_site(self) -> dict[str, list[str]]:
        # once per report: the site labels of a national comparison ask for every site's groups
        known = self.participants.dropna(subset=[self.compare_by])
        return {
            site: self.group_order(values.astype(str).unique())
            for site, values in known.groupby("site", sort=False)[self.compare_by]
        }

    @property
    def groups_are_sites(self) -> bool:
        """True when every site belongs to exactly one group (e.g. one bridging model per site)."""
        return all(len(self.groups_of_site(s)) <= 1 for s in self.project.site_ids)

    def site_label(self, site: str) -> str:
        """The site's name, with its group when each site belongs to one group ('Amager (Amager model)')."""
        name = self.site_name(site)
        groups = self.groups_of_site(site)
        if self.compares_groups and self.groups_are_sites and groups:
            return f"{name} ({self.group_label(groups[0])})"
        return name


def load_context(project: str, root: str | Path | None = None) -> ReportContext:
    """Read a project's processed data and model results for reporting."""
    spec = load_project(project, root)
    processed = spec.processed_dir
    models = {name: pd.read_parquet(processed / "models" / f"{name}.parquet") for name in MODEL_TABLES}
    quality = {
        site: json.loads((processed / "sites" / site / "quality.json").read_text(encoding="utf-8"))
        for site in spec.site_ids
    }
    language = spec.config["language"]
    return ReportContext(
        project=spec,
        messages=Messages(language, spec.config.get("messages", {}).get(language, {})),
        min_cell=int(spec.config["min_cell"]),
        participants=pd.read_parquet(processed / "participants.parquet"),
        responses=pd.read_parquet(processed / "responses.parquet"),
        models=models,
        model_summary=json.loads((processed / "models" / "summary.json").read_text(encoding="utf-8")),
        quality=quality,
    )


def unit_words(config: dict, language: str) -> dict[str, str]:
    """The project's words for a site, as standing placeholders of every message: {unit} ('Kommune'),
    {unit_lower} ('kommune'), {units} ('kommuner') and {units_title} ('Kommuner'). The plural comes from
    the config's unit_label_plural, else the catalogue's neutral word ('enheder')."""
    unit = config["unit_label"][language]
    plural = config.get("unit_label_plural", {}).get(language) or Messages(language).t("page.default_units")
    return {
        "unit": unit,
        "unit_lower": unit[:1].lower() + unit[1:],
        "units": plural[:1].lower() + plural[1:],
        "units_title": plural[:1].upper() + plural[1:],
    }


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
        return self.ctx.marker if hidden else self.ctx.messages.number(value)

    def shown_count(self, value: float | None, reference: float | None = None) -> str:
        """A count as a sentence shows it: the number, the marker when it or its complement to `reference`
        is small, or 'not reported' when missing (what the site and summary pages print)."""
        return self._count(value, reference)

    def _response_rate(self, wave: dict) -> str:
        """A wave's response rate from quality.json, hidden when answered, not answered or eligible is small."""
        hidden = wave["rate"] is None or suppress_share(wave["answered"], wave["eligible"], self.ctx.min_cell)
        return self.ctx.marker if hidden else self.ctx.messages.percent(wave["rate"])

    def _counts(self, counts: pd.Series, label_key: str | None, header: str) -> pd.DataFrame:
        """A one-way table of counts with a total row, small cells and their complements hidden."""
        frame = counts.to_frame(self.t("labels.count"))
        shown = suppress_table(frame, self.ctx.min_cell, margins=True).display(
            marker=self.ctx.marker, number=self.ctx.messages.number, total_label="total"
        )
        labels = [
            self.t(f"{label_key}.{i}")
            if label_key and i != "total"
            else (self.t("tracks.all") if i == "total" else self.t("labels.not_recorded") if i == "unknown" else str(i))
            for i in shown.index
        ]
        return shown.set_axis(labels).rename_axis(header).reset_index()

    def subsidy(self) -> list:
        """The subsidy-end finding: this page's own subsidy and place in the model (site pages), the pooled
        hazard ratio introduced as pooled, the same in whole people, what it cannot tell, the event study."""
        primary = self.ctx.models["primary"]
        post = primary[(primary["term"] == "post_subsidy") & (primary["se_type"] == "clustered")]
        out = [render.heading(self.t("sections.subsidy")), *self._subsidy_here()]
        if post.empty or not bool(post.iloc[0]["identified"]):
            checks = self.ctx.model_summary["primary"]["identification"]
            key = (
                "text.subsidy_not_identified"
                if any(not c["identified"] for c in checks)
                else "text.subsidy_not_estimated"
            )
            return out + [render.paragraph(self.t(key))]
        row, n = post.iloc[0], self.ctx.messages.number
        in_model = self.ctx.sites_in_model
        out.append(
            render.paragraph(
                self.t(
                    "text.subsidy_effect",
                    n=len(in_model),
                    with_subsidy=sum(1 for s in in_model if max(self.ctx.subsidy_lengths(s), default=0) > 0),
                    hr=n(row["hazard_ratio"], 2),
                    lower=n(row["ci_lower"], 2),
                    upper=n(row["ci_upper"], 2),
                )
            )
        )
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
                level_row[self.t(f"waves.{wave}")] = self._estimate(hit, ci=False)
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
            table = site_tables.response_by_status(asked, self.answers, wave)
            table = table.reindex(columns=[True, False], fill_value=0)
            table.columns = [self.t("labels.answered"), self.t("labels.not_answered")]
            shown = suppress_table(table, self.ctx.min_cell, margins=True).display(
                marker=self.ctx.marker, number=self.ctx.messages.number, total_label=self.t("tracks.all")
            )
            shown.index = [
                self.t(f"status.{i}") if i in ("active", "stopped", "never_started") else i for i in shown.index
            ]
            out.append(render.table(shown.rename_axis(self.t(f"waves.{wave}")).reset_index()))
        return out

    def _estimate(self, rows: pd.DataFrame, ci: bool = True) -> str:
        if rows.empty or rows.iloc[0]["n"] == 0:
            return ""
        row, number = rows.iloc[0], self.ctx.messages.number
        if row["n"] < self.ctx.min_cell or pd.isna(row["mean"]):
            return self.ctx.marker
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
        """A share of `base` as a percentage, or the marker when the count, its complement or base is small."""
        if not base or suppress_share(count, base, self.ctx.min_cell):
            return self.ctx.marker
        return self.ctx.messages.percent(count / base)

    def _retention_table(self, scope: str) -> pd.DataFrame:
        at = self.ctx.models["retention_at"]
        rows = at[at["scope"] == scope]
        table = {}
        order = {g: i for i, g in enumerate(["all", *self.ctx.group_order(set(rows["group"]) - {"all"})])}
        for group, group_rows in sorted(rows.groupby("group", sort=False), key=lambda item: order.get(item[0], 99)):
            cells = {}
            for _, row in group_rows.iterrows():
                ok = row["n_risk"] >= self.ctx.min_cell and pd.notna(row["survival"])
                cells[self.t("labels.months_after_start", months=int(row["time"]))] = (
                    self._retention_cell(row) if ok else self.ctx.marker
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
        if pd.isna(row.get("lower")) or pd.isna(row.get("upper")):
            return self.t("labels.mean_n", mean=percent(row["survival"]), n=number(row["n_risk"]))
        return self.t(
            "labels.retention_ci_n",
            share=percent(row["survival"]).replace(" ", "\u00a0"),
            lower=number(100 * row["lower"]),
            upper=percent(row["upper"]).replace(" ", "\u00a0"),
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
        for group, row in table.iterrows():
            cells = {self.ctx.group_header: self.ctx.group_label(group)}
            if self.ctx.groups_are_sites and group != "all":
                cells[self.t("labels.sites")] = ", ".join(
                    self.ctx.site_name(s) for s in self.ctx.project.site_ids if self.ctx.groups_of_site(s) == [group]
                )
            for stage, base in pairs:
                cells[self.t(f"labels.{stage}")] = self._count_share(row[stage], row[base] if base else None)
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
        if base is None or pd.isna(count) or shown == self.ctx.marker or not base:
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
        out.append(
            render.paragraph(self.t("report.suppressed_note", min_cell=self.ctx.min_cell, marker=self.ctx.marker))
        )
        return out


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
        """This site's planned subsidy (or that it had none) and whether it is in the pooled estimate."""
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
        if self.site in self.ctx.sites_in_model:
            said.append(self.t("subsidy.in_model" if lengths else "subsidy.in_model_no_subsidy", site=name))
        else:
            said.append(
                self.t("subsidy.not_in_model" if self.reports_status else "subsidy.not_in_model_status", site=name)
            )
        return [render.paragraph(" ".join(said))]

    def key_figures(self) -> list:
        figures_ = site_tables.key_figures(self.people, self.ctx.project.config)
        referred, started = figures_["referred"], figures_["started"]
        values = {"referred": self._count(referred), "started": self._count(started, referred)}
        if self.reports_status:
            values["active_end"] = self._count(figures_["active_course_end"], figures_["eligible_course_end"])
            values["active_followup"] = self._count(figures_["active_followup"], figures_["eligible_followup"])
            text = self.t("text.key_figures", **values)
        else:
            text = self.t("text.key_figures_no_status", **values)
        return [render.heading(self.t("sections.key_figures")), render.paragraph(text)]

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
            render.table(
                self._counts(
                    teams.rename(index={"unknown": "existing"}).groupby(level=0).sum(),
                    "team_types",
                    self.t("labels.team_type"),
                )
            ),
        ]

    def funnel(self) -> list:
        table = self._safe_funnel(site_tables.funnel(self.people, self.ctx.project.config, by=self.ctx.compare_by))
        if len(table) == 2 and table.iloc[0].equals(table.iloc[1]):  # one group: the total says it all
            table = table.loc[["all"]]
        stages = ["referred", "started", "active_course_end", "active_followup"]
        shown = table[stages].map(lambda v: self._count(v) if pd.notna(v) else self.t("report.not_reported"))
        shown.index = [self.ctx.group_label(g) for g in shown.index]
        shown.columns = [self.t(f"labels.{s}") for s in stages]
        out = [
            render.heading(self.t("sections.funnel")),
            render.paragraph(self.t("text.funnel")),
            render.table(shown.rename_axis(self.ctx.group_header).reset_index()),
        ]
        if "all" in table.index and (table.loc["all", ["referred", "started"]] >= self.ctx.min_cell).all():
            out.append(
                render.figure(
                    lambda: figures.funnel_figure(table.loc["all"], self.ctx.messages), self.t("figures.funnel")
                )
            )
        return out

    def _safe_funnel(self, table: pd.DataFrame) -> pd.DataFrame:
        """The funnel with tracks merged until no stage count, and no step between stages, is small.

        Stages are nested (started is part of referred), so a small difference between two shown stages
        discloses as much as a small count. Tracks failing that are merged into 'other'; if even the merged
        group fails, only the total is shown. Every shown number then rests on at least min_cell people.
        """

        def safe(row: pd.Series) -> bool:
            pairs = [
                ("referred", None),
                ("started", "referred"),
                ("active_course_end", "eligible_course_end"),
                ("active_followup", "eligible_followup"),
            ]
            return not any(
                pd.notna(row[a])
                and (
                    suppress_share(row[a], row[b], self.ctx.min_cell, suppress_zeros=False)
                    if b
                    else row[a] < self.ctx.min_cell
                )
                for a, b in pairs
            )

        tracks = table.drop(index="all")
        unsafe = [t for t in tracks.index if not safe(tracks.loc[t])]
        if unsafe:
            merged = tracks.loc[unsafe + (["other"] if "other" in tracks.index and "other" not in unsafe else [])]
            tracks = tracks.drop(index=merged.index)
            other = merged.sum(min_count=1)
            if safe(other):
                tracks.loc["other"] = other
            else:
                tracks = tracks.iloc[:0]
        total = table.loc[["all"]]
        if not safe(total.iloc[0]):
            return total.iloc[:0]
        return pd.concat([tracks, total])

    def retention(self) -> list:
        out = [render.heading(self.t("sections.retention"))]
        if not self.reports_status:
            return out + [render.paragraph(self.t("report.not_reported"))]
        km = self.ctx.models["km"]
        groups = {g: self.ctx.group_label(g) for g in self.ctx.groups_of_site(self.site)}
        out += [
            render.paragraph(self.t("text.retention", min_cell=self.ctx.min_cell)),
            render.figure(
                lambda: figures.retention_figure(km, self.site, self.ctx.messages, self.ctx.min_cell, groups=groups),
                self.t("figures.retention", scope=self.ctx.site_name(self.site)),
            ),
            render.paragraph(self.t("text.retention_at")),
            render.table(self._retention_table(self.site)),
        ]
        return out

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
        files = pd.DataFrame(
            [
                {
                    self.t("labels.file"): Path(f["file"]).name,
                    self.t("labels.read"): f["read"],
                    self.t("labels.kept"): f["kept"],
                    self.t("labels.rejected"): f["rejected"],
                }
                for f in quality["files"]
            ]
        )
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
        reasons = pd.DataFrame(
            [
                {
                    self.t("labels.file"): Path(f["file"]).name,
                    self.t("labels.reason"): reason,
                    self.t("labels.count"): n,
                }
                for f in quality["files"]
                for reason, n in f["rejected_by_reason"].items()
            ]
        )
        # Row counts of files are about records, not people, and rejected rows name no one: shown in full.
        out = [
            render.heading(self.t("sections.quality")),
            render.paragraph(self.t("text.quality")),
            render.table(files),
        ]
        if not reasons.empty:
            out += [render.paragraph(self.t("text.rejections")), render.table(reasons)]
        return out + ([render.table(rates)] if not rates.empty else [])

    def footer(self, parameters: dict) -> list:
        return self._footer(site_raw_files(self.ctx.project, self.site), parameters)


__all__ = ["ALL_SITES", "ReportContext", "SiteReport", "load_context"]
