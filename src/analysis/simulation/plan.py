"""Planning a new evaluation: how likely is a design to detect a given subsidy-end effect, and how wide will the
interval be?

A design (number of sites, people per site, subsidy lengths, unsubsidised sites, expected 12-month retention,
recruitment and follow-up, effect as a hazard ratio) is simulated many times with the project's simulator
(analysis.simulation.population) and each replicate is analysed with the pipeline's primary model
(analysis.retention.hazard.fit_discrete_hazard), exactly as a real project would be. Power is the share of
replicates whose interval for the post-subsidy hazard ratio excludes 1; the interval is the one the reports show.
The same replicates are run at a true hazard ratio of 1, so the plan checks its own size: the rejection rate
there should be near 1 - confidence (5 %).

Before simulating, a design is checked for whether it can identify the effect at all (see `identification`):
if not, the plan says why in a plain sentence and simulates nothing.

Determinism: replicate r uses the seeds numpy.random.SeedSequence([seed, r]) for every true effect (common
random numbers, so the power curve is smooth), and nothing reads the clock.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import optimize, stats

from analysis.retention.identification import MIN_CARRYING_SHARE
from analysis.simulation.population import (
    TRACKS,
    SimulationParameters,
    SiteSpec,
    declining_baseline,
    project_parameters,
)

PLAN_START = date(2030, 1, 1)  # a notional calendar: the first referral day of a YAML design (no lockdowns)
TRACK_MIX = (0.54, 0.30, 0.14, 0.02)  # health, employment, self, other: a typical referral mix
TARGET_POWER = 0.8
DEFAULT_REPLICATES = 200
PLAN_COLUMNS = [
    "hazard_ratio",
    "replicates",
    "estimated",
    "power",
    "power_mc_se",
    "median_estimate",
    "median_ci_lower",
    "median_ci_upper",
    "median_ci_width",
    "interval",
]


@dataclass(frozen=True)
class Design:
    """A planned evaluation.

    `subsidy_months` has one entry per subsidised site: a tuple of planned lengths in months, one for each equal
    part of the recruitment period (a site that changes its rule halfway has two). `unsubsidised_sites` more
    sites have no subsidy. `individual_plans` is the share of subsidised people whose plan differs from their
    site's rule (3 months longer or none), a source of variation within sites. `people_per_site` is (smallest,
    largest): site sizes are spread evenly between them. `retention_12_months` is the expected share still in
    the association 12 months after starting, at the design's effect; the baseline dropout level is set so that
    the simulated world has it (with dropout falling over time as log(month) * `baseline_slope`).
    `site_effect_sd` is the spread of the sites' dropout levels on the cloglog scale.
    """

    sites: int
    people_per_site: tuple[int, int]
    subsidy_months: tuple[tuple[int, ...], ...]
    unsubsidised_sites: int
    retention_12_months: float
    recruitment_months: int
    follow_up_months: int
    hazard_ratio: float
    individual_plans: float = 0.0
    site_effect_sd: float = 0.15
    baseline_slope: float = -0.5
    confidence: float = 0.95

    @property
    def longest_follow_up(self) -> int:
        """Months from the first possible start to the data extraction: the most anyone can be followed."""
        return self.recruitment_months + self.follow_up_months


@dataclass
class Plan:
    """The outcome of planning: the table (one row per true hazard ratio, PLAN_COLUMNS) or, when the design cannot
    identify the effect, no table and the reason (a message key and its values)."""

    design: Design | None
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PLAN_COLUMNS))
    refusal: tuple[str, dict] | None = None
    notes: list[tuple[str, dict]] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------- reading
class DesignError(ValueError):
    """A design file with a value that is missing or out of range (the message names file and key)."""


def _number(raw: dict, key: str, where: str, kind=int, low: float | None = None, high: float | None = None):
    value = raw.get(key)
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and kind is int:
        ok = float(value).is_integer()
    if ok and ((low is not None and value < low) or (high is not None and value > high)):
        ok = False
    if not ok:
        bounds = " and ".join(
            b
            for b in (f"at least {low:g}" if low is not None else "", f"at most {high:g}" if high is not None else "")
            if b
        )
        what = "a whole number" if kind is int else "a number"
        raise DesignError(f"{where}: '{key}' must be {what}{' ' + bounds if bounds else ''}, got {value!r}")
    return kind(value)


def read_design(path: str | Path) -> tuple[Design, dict]:
    """A Design and the run settings (replicates, seed, effects) from a small YAML file (see docs/planning)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DesignError(f"{path}: cannot read the design ({exc})") from exc
    if not isinstance(raw, dict):
        raise DesignError(f"{path}: expected keys such as 'sites' and 'subsidy_months', found no mapping")
    known = {
        "sites",
        "people_per_site",
        "subsidy_months",
        "unsubsidised_sites",
        "retention_12_months",
        "recruitment_months",
        "follow_up_months",
        "hazard_ratio",
        "individual_plans",
        "site_effect_sd",
        "baseline_slope",
        "confidence",
        "replicates",
        "seed",
        "effects",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise DesignError(f"{path}: unknown key(s) {', '.join(unknown)}; known keys are {', '.join(sorted(known))}")
    where = str(path)
    sites = _number(raw, "sites", where, int, 1)
    unsubsidised = _number(
        {"unsubsidised_sites": raw.get("unsubsidised_sites", 0)}, "unsubsidised_sites", where, int, 0
    )
    if unsubsidised > sites:
        raise DesignError(f"{where}: 'unsubsidised_sites' ({unsubsidised}) is more than 'sites' ({sites})")
    people = raw.get("people_per_site")
    people = [people] if not isinstance(people, list) else people
    if len(people) not in (1, 2):
        raise DesignError(f"{where}: 'people_per_site' must be a number or [smallest, largest], got {people!r}")
    sizes = [_number({"people_per_site": p}, "people_per_site", where, int, 1) for p in people]
    lengths = _subsidy_lengths(raw.get("subsidy_months"), sites - unsubsidised, where)
    design = Design(
        sites=sites,
        people_per_site=(min(sizes), max(sizes)),
        subsidy_months=lengths,
        unsubsidised_sites=unsubsidised,
        retention_12_months=_number(raw, "retention_12_months", where, float, 0.01, 0.99),
        recruitment_months=_number(raw, "recruitment_months", where, int, 1),
        follow_up_months=_number(raw, "follow_up_months", where, int, 0),
        hazard_ratio=_number(raw, "hazard_ratio", where, float, 0.05, 20),
        individual_plans=_number(
            raw | {"individual_plans": raw.get("individual_plans", 0.0)}, "individual_plans", where, float, 0, 1
        ),
        site_effect_sd=_number(
            raw | {"site_effect_sd": raw.get("site_effect_sd", 0.15)}, "site_effect_sd", where, float, 0, 3
        ),
        baseline_slope=_number(
            raw | {"baseline_slope": raw.get("baseline_slope", -0.5)}, "baseline_slope", where, float, -3, 3
        ),
        confidence=_number(raw | {"confidence": raw.get("confidence", 0.95)}, "confidence", where, float, 0.5, 0.999),
    )
    settings = {}
    if "replicates" in raw:
        settings["replicates"] = _number(raw, "replicates", where, int, 10)
    if "seed" in raw:
        settings["seed"] = _number(raw, "seed", where, int, 0)
    if "effects" in raw:
        effects = raw["effects"] if isinstance(raw["effects"], list) else [raw["effects"]]
        settings["effects"] = [_number({"effects": e}, "effects", where, float, 0.05, 20) for e in effects]
    return design, settings


def _subsidy_lengths(value: object, subsidised: int, where: str) -> tuple[tuple[int, ...], ...]:
    """One tuple of lengths per subsidised site from a number (every site alike) or a list (one entry per site,
    an entry itself a number or a list of lengths in successive parts of the recruitment period)."""
    if subsidised == 0:
        return ()
    if value is None:
        raise DesignError(f"{where}: 'subsidy_months' is missing (the planned subsidy length at each subsidised site)")
    entries = value if isinstance(value, list) else [value] * subsidised
    if len(entries) != subsidised:
        raise DesignError(
            f"{where}: 'subsidy_months' lists {len(entries)} lengths but the design has {subsidised} subsidised "
            "sites ('sites' minus 'unsubsidised_sites'); give one per subsidised site or a single number"
        )
    out = []
    for entry in entries:
        parts = entry if isinstance(entry, list) else [entry]
        out.append(tuple(_number({"subsidy_months": p}, "subsidy_months", where, int, 1) for p in parts))
    return tuple(out)


# ----------------------------------------------------------------------------------------- identification
def identification(design: Design) -> tuple[str, dict] | None:
    """Why the design cannot identify the subsidy-end effect (a message key and its values), or None.

    The primary model compares people at the same month since start and site. Its post-subsidy term is therefore
    estimable only if, at some month, people of one site differ in whether their subsidy has ended (different
    lengths within a site) or sites differ beyond a constant shift (different lengths, or unsubsidised sites
    beside subsidised ones), and only if someone is followed beyond the end of a subsidy.
    """
    lengths = {length for site in design.subsidy_months for length in site}
    if not lengths:
        return "plan.refuse_no_subsidy", {}
    if design.longest_follow_up <= min(lengths):
        return "plan.refuse_no_follow_up", {"follow_up": design.longest_follow_up, "shortest": min(lengths)}
    rule_changes = any(len(set(site)) > 1 for site in design.subsidy_months)
    within = design.individual_plans > 0 or rule_changes
    between = design.unsubsidised_sites > 0 or len({frozenset(site) for site in design.subsidy_months}) > 1
    if between or rule_changes:
        return None
    if within and design.individual_plans < MIN_CARRYING_SHARE:
        # the primary model refuses such data (analysis.retention.identification): no replicate would give a number
        return "plan.refuse_thin", {"share": design.individual_plans, "threshold": MIN_CARRYING_SHARE}
    if within:
        return None
    if design.sites == 1:
        return "plan.refuse_one_site", {"months": min(lengths)}
    return "plan.refuse_same_length", {"sites": design.sites, "months": min(lengths)}


def identification_notes(design: Design) -> list[tuple[str, dict]]:
    """What an identifiable design's effect rests on, when that is worth saying (between sites only)."""
    within = design.individual_plans > 0 or any(len(set(site)) > 1 for site in design.subsidy_months)
    return [] if within else [("plan.note_between_sites", {})]


# ------------------------------------------------------------------------------------------- simulation
def _first_of_month(months_after: int) -> date:
    index = PLAN_START.year * 12 + PLAN_START.month - 1 + months_after
    return date(index // 12, index % 12 + 1, 1)


def site_sizes(design: Design) -> list[int]:
    """Sizes spread evenly from the smallest to the largest (all equal when they are the same)."""
    low, high = design.people_per_site
    return [int(round(x)) for x in np.linspace(low, high, design.sites)]


def _twelve_month_retention(level: float, design: Design, track_effects: dict[str, float]) -> float:
    """Expected share still active 12 months after start in the design's world (site effects at 0)."""
    months = np.arange(1, 13)
    sizes = site_sizes(design)
    slope = design.baseline_slope
    post_log_hr = math.log(design.hazard_ratio)
    groups = [(sizes[k], site) for k, site in enumerate(design.subsidy_months)]
    groups += [(sizes[len(design.subsidy_months) + k], (0,)) for k in range(design.unsubsidised_sites)]
    total, weight = 0.0, 0
    for size, site in groups:
        for length in site:
            post = (length > 0) & (months > length)
            for share, effect in zip(TRACK_MIX, track_effects.values(), strict=True):
                eta = level + slope * np.log(months) + effect + post_log_hr * post
                total += size * share * math.exp(-np.exp(eta).sum()) / len(site)
        weight += size
    return total / weight


def simulation_parameters(design: Design) -> SimulationParameters:
    """The simulator's world for a design at its own effect; site effects 0 (each replicate draws its own)."""
    defaults = SimulationParameters(sites=())
    target = design.retention_12_months
    level = optimize.brentq(
        lambda lv: _twelve_month_retention(lv, design, defaults.track_effects) - target, -15.0, 5.0, xtol=1e-10
    )
    horizon = max(60, design.longest_follow_up + 1)
    sizes = site_sizes(design)
    specs = []
    for k, lengths in enumerate([*design.subsidy_months, *[(0,)] * design.unsubsidised_sites]):
        step = design.recruitment_months / len(lengths)
        rules = tuple((_first_of_month(int(round(i * step))), m) for i, m in enumerate(lengths))
        specs.append(
            SiteSpec(
                site=f"site-{k + 1:02d}",
                n=sizes[k],
                subsidy_rules=rules,
                reports_end_status=True,
                track_mix=TRACK_MIX,
                site_effect=0.0,
                subsidy_exception_share=design.individual_plans if lengths != (0,) else 0.0,
            )
        )
    last_referral = date.fromordinal(_first_of_month(design.recruitment_months).toordinal() - 1)
    return dataclasses.replace(
        defaults,
        sites=tuple(specs),
        log_hr_post_subsidy=math.log(design.hazard_ratio),
        baseline_cloglog=declining_baseline(level, design.baseline_slope, horizon),
        start_probability=dict.fromkeys(defaults.start_probability, 1.0),
        p_re_referral=0.0,
        lockdowns=(),
        referral_period=(PLAN_START, last_referral),
        extraction_date=date.fromordinal(_first_of_month(design.longest_follow_up).toordinal() - 1),
    )


def _replicate(job: tuple) -> list[dict]:
    """Simulate and analyse one replicate at every true effect (same seeds for each effect)."""
    params, effects, seed, replicate, covariates, confidence, site_effect_sd = job
    from analysis.retention.hazard import fit_discrete_hazard
    from analysis.retention.identification import identifying_variation
    from analysis.retention.person_months import build_person_months
    from analysis.simulation.population import simulate_population

    sequence = np.random.SeedSequence([seed, replicate])
    site_seed, world_seed, boot_seed = sequence.spawn(3)
    shifts = np.random.default_rng(site_seed).normal(0.0, site_effect_sd, len(params.sites))
    sites = tuple(
        dataclasses.replace(s, site_effect=s.site_effect + float(shift))
        for s, shift in zip(params.sites, shifts, strict=True)
    )
    out = []
    for hazard_ratio in effects:
        world = dataclasses.replace(params, sites=sites, log_hr_post_subsidy=math.log(hazard_ratio))
        participants, _ = simulate_population(world, int(world_seed.generate_state(1)[0]), identities=False)
        rows = build_person_months(participants, world.extraction_date, list(world.lockdowns)).rows
        fit = fit_discrete_hazard(
            rows,
            ["post_subsidy"],
            covariates,
            confidence=confidence,
            bootstrap=("post_subsidy",),
            bootstrap_seed=int(boot_seed.generate_state(1)[0]),
        )
        # as the retention stage does: no number where the identifying variation is thin
        thin = len(rows) > 0 and identifying_variation(rows).thin
        row = shown_row(fit.table.iloc[0:0] if thin else fit.table, "post_subsidy")
        out.append({"replicate": replicate, "hazard_ratio": hazard_ratio, **row})
    return out


def shown_row(table: pd.DataFrame, term: str) -> dict:
    """The estimate, interval and p-value a report would show for `term` (the row marked `shown`: the union
    of the wild cluster bootstrap and cluster jackknife intervals when sites are few, else the clustered t(G-1)
    one); all NaN when not estimated."""
    rows = table[(table["term"] == term) & table["identified"].astype(bool) & table["shown"].astype(bool)]
    if rows.empty:
        return {"estimate": np.nan, "ci_lower": np.nan, "ci_upper": np.nan, "p_value": np.nan, "interval": ""}
    row = rows.iloc[0]
    return {
        "estimate": float(row["estimate"]),
        "ci_lower": float(row["ci_lower"]),
        "ci_upper": float(row["ci_upper"]),
        "p_value": float(row["p_value"]),
        "interval": str(row["se_type"]),
    }


def summarise(replicates: pd.DataFrame) -> pd.DataFrame:
    """One row per true hazard ratio: power (share whose interval excludes 1; replicates without an estimate
    count as not detecting), its Monte Carlo SE, and the median estimate and interval (hazard-ratio scale).

    An interval end that is missing beside an estimate is unbounded (the bootstrap's test inversion found no
    limit on that side): it counts as 0 (lower) or infinity (upper), so such intervals never exclude 1 by that
    end and make the typical width infinite only when they are the majority."""
    rows = []
    for hazard_ratio, part in replicates.groupby("hazard_ratio", sort=True):
        ok = part[part["estimate"].notna()]
        lower, upper = ok["ci_lower"].fillna(0.0), ok["ci_upper"].fillna(np.inf)
        detected = ((lower > 1) | (upper < 1)).sum()
        power = detected / len(part)
        rows.append(
            {
                "hazard_ratio": float(hazard_ratio),
                "replicates": int(len(part)),
                "estimated": int(len(ok)),
                "power": float(power),
                "power_mc_se": float(math.sqrt(power * (1 - power) / len(part))),
                "median_estimate": float(np.exp(ok["estimate"].median())) if len(ok) else np.nan,
                "median_ci_lower": float(lower.median()) if len(ok) else np.nan,
                "median_ci_upper": float(upper.median()) if len(ok) else np.nan,
                "median_ci_width": float((upper - lower).median()) if len(ok) else np.nan,
                "interval": ",".join(sorted(set(ok["interval"]))),
            }
        )
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


def default_effects(hazard_ratio: float) -> list[float]:
    """1 (the size check), two effects between 1 and the design's, and the design's (log-evenly spaced)."""
    if abs(math.log(hazard_ratio)) < 1e-9:
        return [1.0]
    return sorted({1.0, *(round(hazard_ratio ** (k / 3), 4) for k in (1, 2)), float(hazard_ratio)})


def run_plan(
    design: Design | None,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 1,
    effects: list[float] | None = None,
    jobs: int = 1,
    params: SimulationParameters | None = None,
    covariates: tuple[str, ...] = ("referral_track",),
) -> Plan:
    """Simulate the design `replicates` times at each true effect and summarise power and interval width.

    `params` replaces the world built from `design` (planning from a project's own simulation.yaml); the design
    then only describes it. Replicates run in `jobs` processes, each with one BLAS thread (the model matrices
    are small, and on a shared machine more threads only wait for each other); results do not depend on `jobs`.
    """
    if design is not None:
        refusal = identification(design)
        if refusal is not None:
            return Plan(design=design, refusal=refusal)
    own_world = params is None  # a project's world has its own fixed site effects: no extra spread is drawn
    if own_world:
        params = simulation_parameters(design)
    hazard_ratio = design.hazard_ratio if design is not None else math.exp(params.log_hr_post_subsidy)
    effects = sorted(set(effects or default_effects(hazard_ratio)) | {1.0})
    confidence = design.confidence if design is not None else 0.95
    sd = design.site_effect_sd if design is not None and own_world else 0.0
    work = [(params, effects, seed, r, list(covariates), confidence, sd) for r in range(replicates)]
    if jobs > 1:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
            results = [row for rows in pool.map(_replicate, work, chunksize=4) for row in rows]
    else:
        results = [row for job in work for row in _replicate(job)]
    table = summarise(pd.DataFrame(results))
    notes = identification_notes(design) if design is not None else []
    notes += size_notes(table, confidence, replicates)
    settings = {"replicates": replicates, "seed": seed, "effects": effects, "covariates": list(covariates)}
    return Plan(design=design, table=table, notes=notes, settings=settings)


def size_notes(table: pd.DataFrame, confidence: float, replicates: int) -> list[tuple[str, dict]]:
    """The size check: at a true hazard ratio of 1 the interval should exclude 1 in about 1 - confidence of the
    replicates. Says whether the observed rate is consistent with that (exact binomial test at the 1 % level)."""
    null = table[np.isclose(table["hazard_ratio"], 1.0)]
    if null.empty:
        return []
    rate = float(null["power"].iloc[0])
    rejections = int(round(rate * replicates))
    nominal = 1 - confidence
    test = stats.binomtest(rejections, replicates, nominal)
    values = {"rate": rate, "nominal": nominal, "replicates": replicates}
    if test.pvalue >= 0.01:
        return [("plan.size_ok", values)]
    return [("plan.size_high" if rate > nominal else "plan.size_low", values)]


# ------------------------------------------------------------------------------------ from a project
def project_design(project_dir: str | Path) -> tuple[Design, SimulationParameters, list[str]]:
    """The design of an existing project (its config and simulation.yaml truth): the world itself, and a
    Design describing it for the report and the identification check: the sites that report who left, the
    expected number of starters per site, subsidy rules, and the 12-month retention of one draw of the world."""
    project_dir = Path(project_dir)
    params = project_parameters(project_dir)
    config = yaml.safe_load((project_dir / "config.yaml").read_text(encoding="utf-8"))
    reporting = tuple(s for s in params.sites if s.reports_end_status)
    params = dataclasses.replace(params, sites=reporting)
    subsidised = [s for s in reporting if any(m > 0 for _, m in s.subsidy_rules)]
    first, last = params.referral_period
    recruitment = (last.year - first.year) * 12 + last.month - first.month + 1
    extraction = params.extraction_date
    follow_up = max(0, (extraction.year - last.year) * 12 + extraction.month - last.month)
    retention = _simulated_retention(params)
    p_start = np.array([params.start_probability[t] for t in TRACKS])
    starters = [int(round(s.n * float(np.dot(s.track_mix, p_start)))) for s in reporting]  # expected, not drawn
    design = Design(
        sites=len(reporting),
        people_per_site=(min(starters), max(starters)),
        subsidy_months=tuple(tuple(m for _, m in sorted(s.subsidy_rules) if m > 0) for s in subsidised),
        unsubsidised_sites=len(reporting) - len(subsidised),
        retention_12_months=retention,
        recruitment_months=recruitment,
        follow_up_months=follow_up,
        hazard_ratio=math.exp(params.log_hr_post_subsidy),
        individual_plans=max((s.subsidy_exception_share for s in subsidised), default=0.0),
        site_effect_sd=float(np.std([s.site_effect for s in reporting])),  # the world's own, fixed effects
    )
    covariates = config.get("retention", {}).get("covariates", ["referral_track", "lockdown"])
    return design, params, covariates


def _simulated_retention(params: SimulationParameters) -> float:
    """Share of started enrolments still active 12 months after start in one draw of the world (a description of
    a project's simulated truth, not an estimate)."""
    from analysis.retention.km import kaplan_meier, survival_at
    from analysis.retention.person_months import enrolment_durations
    from analysis.simulation.population import simulate_population

    participants, _ = simulate_population(params, 0, identities=False)
    durations = enrolment_durations(participants, params.extraction_date).rows
    curve = kaplan_meier(durations, "months", "event")
    return float(survival_at(curve, [12])["survival"].iloc[0])


# ---------------------------------------------------------------------------------------------- writing
def plan_json(plan: Plan) -> str:
    """The design, the run settings, the table and the notes as JSON (sorted keys, no clock)."""
    record = {
        "design": None if plan.design is None else dataclasses.asdict(plan.design),
        "settings": plan.settings,
        "refusal": None if plan.refusal is None else {"message": plan.refusal[0], "values": plan.refusal[1]},
        "notes": [{"message": key, "values": values} for key, values in plan.notes],
        "table": json.loads(plan.table.to_json(orient="records", double_precision=10)),
    }
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
