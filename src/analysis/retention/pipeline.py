"""The retention stage of the workflow: every model on a project's pooled enrolments, written as tables.

Outputs (data/processed/<project>/models/): primary.parquet (the subsidy-end effect and covariates),
event_study.parquet, cox.parquet (robustness check), site_effects.parquet, km.parquet (Kaplan-Meier curves by
scope and by the config's `compare_by` groups, referral track by default), retention_at.parquet (retention
at fixed months) and summary.json (sample sizes, what was left out and why, identification, warnings).
Report notebooks read only these files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from analysis.core import outputs
from analysis.core.vocabulary import ALL_SITES, DEFAULT_COMPARE_BY
from analysis.project.loader import load_schema
from analysis.retention.absolute import interval_ends
from analysis.retention.cox import CoxFit, cox_counting_process
from analysis.retention.hazard import FEW_SITES, HazardFit, fit_discrete_hazard, fit_event_study, withhold
from analysis.retention.identification import Identification, IdentifyingVariation, identifying_variation
from analysis.retention.km import AT_COLUMNS, kaplan_meier, survival_at
from analysis.retention.person_months import build_person_months, enrolment_durations, merge_unchanged_months
from analysis.retention.site_effects import site_effects

_SETTINGS = load_schema("config.schema.yaml")["properties"]["retention"]["properties"]
DEFAULT_COVARIATES = _SETTINGS["covariates"]["default"]  # the schema documents the defaults; this applies them
DEFAULT_RETENTION_MONTHS = _SETTINGS["retention_months"]["default"]


@dataclass
class RetentionResults:
    """All retention estimates of a project, ready to be written and read by the reports."""

    primary: HazardFit
    event_study: HazardFit
    cox: CoxFit | None
    sites: pd.DataFrame
    km: pd.DataFrame
    retention: pd.DataFrame
    summary: dict = field(default_factory=dict)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the stage by the name it is written under (models/<name>.parquet)."""
        return {
            "primary": self.primary.table,
            "event_study": self.event_study.table,
            "cox": self.cox.table if self.cox is not None else pd.DataFrame(),
            "site_effects": self.sites,
            "km": self.km,
            "retention_at": self.retention,
        }


def lockdown_periods(config: dict) -> list[tuple[date, date]]:
    """The config's association lockdowns as (first day, last day) pairs."""
    return [(date.fromisoformat(p["start"]), date.fromisoformat(p["end"])) for p in config.get("lockdowns", [])]


def kaplan_meier_by_scope(durations: pd.DataFrame, by: str = "referral_track") -> pd.DataFrame:
    """Kaplan-Meier curves for all sites together and for each site, overall and by `by`.

    Columns: scope ('all sites' or a site id), group ('all' or a level of `by`), then kaplan_meier's columns.
    """
    parts = []
    for scope, subset in [(ALL_SITES, durations), *durations.groupby("site", sort=True)]:
        for grouping in (None, by):
            curve = kaplan_meier(subset, "months", "event", group=grouping)
            parts.append(curve.assign(scope=scope))
    frame = pd.concat(parts, ignore_index=True)
    return frame[["scope", *[c for c in frame.columns if c != "scope"]]]


def retention_at(km: pd.DataFrame, months: list[int]) -> pd.DataFrame:
    """Share still in the association at each of `months` after starting, per scope and group."""
    parts = [
        survival_at(curves.drop(columns="scope"), months).assign(scope=scope)
        for scope, curves in km.groupby("scope", sort=False)
    ]
    if not parts:
        return pd.DataFrame(columns=["scope", *AT_COLUMNS])
    frame = pd.concat(parts, ignore_index=True)
    return frame[["scope", *[c for c in frame.columns if c != "scope"]]]


def cox_robustness(person_months: pd.DataFrame, covariates: list[str]) -> CoxFit:
    """Cox model with post_subsidy as a time-varying covariate on (day_from, day_to] intervals.

    Months whose covariates do not change are merged into one interval first (merge_unchanged_months: the
    same partial likelihood on fewer rows). Categorical covariates and site enter as 0/1 columns (site as
    fixed effects, not strata: with strata a site whose participants share one subsidy length could not
    inform the effect). Sites without any dropout are left out, as in the primary model (their fixed effect
    would be infinite). Standard errors are robust, clustered by site, like the primary model's shown beside
    it; the fit falls back to step-halving Newton and BFGS when Newton diverges (CoxFit.optimiser says which).
    """
    events = person_months.groupby("site", observed=True)["event"].transform("sum")
    intervals = merge_unchanged_months(person_months[events > 0], ["post_subsidy", *covariates])
    categorical = [c for c in [*covariates, "site"] if not pd.api.types.is_numeric_dtype(intervals[c])]
    numeric = [c for c in covariates if c not in categorical]
    dummies = pd.get_dummies(intervals[categorical], drop_first=True, dtype="int64")
    data = pd.concat([intervals[["day_from", "day_to", "event", "post_subsidy", *numeric]], dummies], axis=1)
    data["site"] = intervals["site"]
    return cox_counting_process(
        data,
        stop="day_to",
        event="event",
        start="day_from",
        covariates=["post_subsidy", *numeric, *dummies.columns],
        cluster="site",
    )


def bootstrap_seed(config: dict) -> int:
    """The config's retention.bootstrap_seed, else a number derived from the project name (never the clock)."""
    seed = config.get("retention", {}).get("bootstrap_seed")
    if seed is not None:
        return int(seed)
    return int(hashlib.sha256(str(config.get("project", "")).encode()).hexdigest()[:8], 16)


def fit_retention(participants: pd.DataFrame, config: dict) -> RetentionResults:
    """Fit every retention model on a project's pooled enrolments, as the project config says."""
    settings = config.get("retention", {})
    covariates = settings.get("covariates", DEFAULT_COVARIATES)
    months = settings.get("retention_months", DEFAULT_RETENTION_MONTHS)
    extraction = date.fromisoformat(config["extraction_date"])
    built = build_person_months(participants, extraction, lockdown_periods(config))
    rows = built.rows
    primary = fit_discrete_hazard(
        rows, ["post_subsidy"], covariates, bootstrap=("post_subsidy",), bootstrap_seed=bootstrap_seed(config)
    )
    variation = identifying_variation(rows) if len(rows) else None
    if variation is not None and variation.thin and primary.identified:
        primary = withhold(primary, "post_subsidy", Identification("post_subsidy", False, 0.0, variation.message))
    event_study = fit_event_study(rows, covariates)
    cox = cox_robustness(rows, covariates) if rows["event"].sum() else None
    if cox is not None and not _reported(primary, "post_subsidy"):
        cox = _without_post_subsidy(cox)
    sites = site_effects(rows, [*covariates, "post_subsidy"] if primary.identified else covariates)
    durations = enrolment_durations(participants, extraction).rows
    km = kaplan_meier_by_scope(durations, config.get("compare_by", DEFAULT_COMPARE_BY))
    summary = {
        "enrolments": int(len(participants)),
        "excluded": built.excluded,
        "person_months": int(len(rows)),
        "events": int(rows["event"].sum()),
        # the sites the hazard models can use: in the person-months, with at least one stop
        "sites_in_model": sorted(str(s) for s, e in rows.groupby("site", observed=True)["event"].sum().items() if e),
        "covariates": covariates,
        "primary": {
            "info": primary.info,
            "identification": [c.__dict__ for c in primary.identification],
            "shown_interval": _shown_interval(primary),
            "few_sites_below": FEW_SITES,
            "variation": _variation_summary(variation),
        },
        "event_study": {"info": event_study.info},
        "cox_warnings": list(cox.warnings) if cox is not None else [],
        "warnings": list(dict.fromkeys([*built.warnings, *primary.warnings, *event_study.warnings])),
    }
    return RetentionResults(
        primary=primary,
        event_study=event_study,
        cox=cox,
        sites=sites,
        km=km,
        retention=retention_at(km, months),
        summary=summary,
    )


def _reported(fit: HazardFit, term: str) -> bool:
    rows = fit.table[fit.table["term"] == term]
    return not rows.empty and bool(rows["identified"].astype(bool).all())


def _without_post_subsidy(cox: CoxFit) -> CoxFit:
    """The Cox fit with post_subsidy's numbers removed: where the primary model cannot or must not report the
    effect, a Cox estimate would rest on the same missing variation (or on day-level artefacts)."""
    table = cox.table.copy()
    rows = table["term"] == "post_subsidy"
    table.loc[rows, ["estimate", "std_error", "hazard_ratio", "ci_lower", "ci_upper", "z", "p_value"]] = float("nan")
    note = "post_subsidy is not reported from the Cox model either, for the reason given for the primary model"
    return dataclasses.replace(cox, table=table, warnings=[*cox.warnings, note])


def _variation_summary(variation: IdentifyingVariation | None) -> dict | None:
    """The identifying variation for summary.json (reports read between_sites_only and thin)."""
    return None if variation is None else {**variation.__dict__, "sources": list(variation.sources)}


def _shown_interval(primary: HazardFit) -> str | None:
    """Which interval the reports quote for post_subsidy: 'few_sites' (bootstrap or jackknife) or 'clustered'."""
    rows = primary.table[(primary.table["term"] == "post_subsidy") & primary.table["shown"].astype(bool)]
    return None if rows.empty else str(rows.iloc[0]["se_type"])


def write_retention(results: RetentionResults, out_dir: str | Path) -> list[Path]:
    """Write every table of the retention stage (atomically) under `out_dir`."""
    out_dir = Path(out_dir)
    written = [
        outputs.write_parquet(frame.reset_index(drop=True), out_dir / f"{name}.parquet")
        for name, frame in results.tables.items()
    ]
    written.append(outputs.write_json(results.summary, out_dir / "summary.json"))
    return written


def headline(primary: HazardFit) -> str:
    """One plain-English sentence on the subsidy-end effect, every number taken from the fit's shown row."""
    table = primary.table
    rows = table[(table["term"] == "post_subsidy") & table["shown"].astype(bool)]
    if rows.empty or not bool(rows.iloc[0]["identified"]):
        reasons = [c.message for c in primary.identification if not c.identified] or primary.warnings
        return "No subsidy-end effect is reported. " + " ".join(reasons)
    row = rows.iloc[0]
    change = f"{abs(row['hazard_ratio'] - 1):.0%} {'higher' if row['hazard_ratio'] > 1 else 'lower'}"
    adjusted = ", ".join(primary.info.get("covariates", []))
    interval = (
        f"values kept by the wild cluster bootstrap or the cluster jackknife over {primary.info['clusters']} sites"
        if row["se_type"] == "few_sites"
        else f"clustered by {primary.info['clusters']} sites"
    )
    lower, upper = interval_ends(row)
    unbounded = lower == 0 or math.isinf(upper)
    lower_text = f"{lower:.2f}" if lower > 0 else "0"
    upper_text = "infinity" if math.isinf(upper) else f"{upper:.2f}"
    return (
        f"After the planned subsidy ended, the monthly risk of leaving the association was "
        f"{row['hazard_ratio']:.2f} times that during the subsidy or without one ({change}; 95 % CI "
        f"{lower_text} to {upper_text}, {interval}), comparing people at the same month since start and site, "
        f"adjusted for {adjusted}."
        + (" The data cannot bound the interval, so the estimate says very little." if unbounded else "")
    )
