"""What every report page knows about its project: the config and the project's words for a site, the
canonical tables, the models and quality files, and the key figures every page quotes."""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.core.vocabulary import DEFAULT_COMPARE_BY, REFERRAL_TRACKS
from analysis.project.loader import Project, load_project
from analysis.reports.disclosure import (
    SECONDARY_MARKER,
)
from analysis.reports.key_figures import key_figures_table, model_sites, read_key_figures
from analysis.reports.messages import Messages

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
    figures: pd.DataFrame | None = None  # key_figures.csv (strings, by site); computed if not given

    def __post_init__(self) -> None:
        # every message may name the project's word for a site ({unit}, {units}, ...)
        words = unit_words(self.project.config, self.messages.language)
        self.messages = dataclasses.replace(self.messages, placeholders={**words, **self.messages.placeholders})

    @property
    def marker(self) -> str:
        return f"<{self.min_cell}"

    @property
    def secondary_marker(self) -> str:
        return SECONDARY_MARKER

    @functools.cached_property
    def key_figures(self) -> pd.DataFrame:
        """The disclosure-controlled key figures every page quotes (reports/<project>/key_figures.csv)."""
        if self.figures is not None:
            return self.figures
        table = key_figures_table(
            self.project,
            self.participants,
            self.models["km"],
            model_sites(self.models["primary"], self.model_summary),
            self.min_cell,
        )
        return table.set_index("site")

    @property
    def units(self) -> str:
        """The plural of the unit label, lower case (config `unit_label_plural`, else the catalogue's word)."""
        plural = self.project.config.get("unit_label_plural", {}).get(self.messages.language)
        return (plural or self.messages.t("labels.sites")).lower()

    def site_name(self, site: str) -> str:
        return self.project.site(site)["name"]

    @property
    def unit(self) -> str:
        return self.project.config["unit_label"][self.messages.language]

    # ------------------------------------------------------------------ subsidy and model membership
    @property
    def sites_in_model(self) -> list[str]:
        """The sites in the subsidy model, in config order: those whose enrolments enter an identified estimate
        of the subsidy's end (`key_figures.model_sites`, as key_figures.csv says); none when there is no estimate
        (not identified, withheld for thin variation, or not estimated)."""
        used = model_sites(self.models["primary"], self.model_summary)
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
    figures_file = spec.root / "reports" / spec.name / "key_figures.csv"
    return ReportContext(
        project=spec,
        messages=Messages(language, spec.config.get("messages", {}).get(language, {})),
        min_cell=int(spec.config["min_cell"]),
        participants=pd.read_parquet(processed / "participants.parquet"),
        responses=pd.read_parquet(processed / "responses.parquet"),
        models=models,
        model_summary=json.loads((processed / "models" / "summary.json").read_text(encoding="utf-8")),
        quality=quality,
        figures=read_key_figures(figures_file) if figures_file.exists() else None,
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
