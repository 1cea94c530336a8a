"""Recovery study: does the primary model find the simulator's true subsidy-end effect, and do its intervals
cover it, in designs harder than the default project?

Each scenario is a simulated world built from a project's simulation parameters (baseline hazard, tracks,
lockdowns, calendar) with its own sites. Per replicate the scenario's random parts are drawn afresh from the
replicate's seed: site frailties u_site ~ N(0, frailty_sd^2), optionally site-by-calendar-month shocks and
site-specific subsidy-end effects b_site ~ N(b, effect_sd^2). The primary model (cloglog discrete-time
hazard, baseline by month, site fixed effects, referral track, lockdowns) is fitted, and for the post-subsidy
log hazard ratio the study reports bias, empirical SD, mean standard error and the share of 95 % intervals
covering the truth for naive (normal), clustered by site (CR1, t(G-1)), the cluster jackknife (CV3, t(G-1);
analysis.retention.jackknife), the wild cluster score bootstrap (analysis.retention.bootstrap) and the interval
the reports show (with fewer than FEW_SITES sites the union of the bootstrap and jackknife intervals). The
bootstrap interval is the set of values its test does not reject, so it covers the truth exactly when the test
of the true value does not reject: coverage is computed that way, one restricted fit per replicate instead of a
whole interval.

The truth is the programme-wide b (log 1.8 by default). Where effects differ by site, b is the mean of the
distribution the site effects are drawn from; the model's estimate is a weighted average of the sites'
effects (docs/methods.md), whose expectation over the draws is b.

    python -m analysis.simulation.recovery --project-dir config/projects/<project> --replicates 1000 \
        --first-seed 1000 --jobs 1 --out recovery.csv
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.retention.bootstrap import ScoreTest, weight_vectors
from analysis.retention.hazard import FEW_SITES, ModelData, fit_discrete_hazard
from analysis.retention.jackknife import cluster_jackknife
from analysis.retention.person_months import build_person_months
from analysis.simulation.population import SimulationParameters, SiteSpec, project_parameters, simulate_population

COVARIATES = ["referral_track", "lockdown"]
INTERVALS = ("naive", "clustered", "jackknife", "bootstrap", "shown")
TRACK_MIX = (0.4, 0.3, 0.2, 0.1)


@dataclass(frozen=True)
class Scenario:
    """One simulated design: `sites` sites of `smallest`..`largest` people (evenly spread), subsidy lengths
    in months cycled over the sites (0 = no subsidy), and the spread of the random parts (see the module)."""

    name: str
    sites: int
    smallest: int
    largest: int
    lengths: tuple[int, ...] = (3, 6, 9, 12)
    frailty_sd: float = 0.3
    shock_sd: float = 0.0
    effect_sd: float = 0.0


SCENARIOS = (
    Scenario("site frailty, 8 sites", 8, 150, 150),
    Scenario("frailty + site-by-month shocks, 8 sites", 8, 150, 150, shock_sd=0.3),
    Scenario("effects differ by site, 8 sites", 8, 150, 150, effect_sd=0.3),
    Scenario("4 sites", 4, 300, 300),
    Scenario("20 sites", 20, 60, 60),
    Scenario("unequal sites of 50-500, 8 sites", 8, 50, 500),
    Scenario("2 of 8 sites unsubsidised", 8, 150, 150, lengths=(3, 6, 9, 12, 6, 9, 0, 0)),
)


def scenario_parameters(base: SimulationParameters, scenario: Scenario, seed: int) -> SimulationParameters:
    """The scenario's world for one replicate: sites with frailties (and effects) drawn from `seed`."""
    rng = np.random.default_rng([seed, 20261130])
    frailty = rng.normal(0.0, scenario.frailty_sd, scenario.sites)
    effects = base.log_hr_post_subsidy + rng.normal(0.0, scenario.effect_sd, scenario.sites)
    sizes = np.rint(np.linspace(scenario.smallest, scenario.largest, scenario.sites)).astype(int)
    sites = tuple(
        SiteSpec(
            site=f"site{k + 1:02d}",
            n=int(sizes[k]),
            subsidy_rules=((date(2019, 1, 1), scenario.lengths[k % len(scenario.lengths)]),),
            reports_end_status=True,
            track_mix=TRACK_MIX,
            site_effect=float(frailty[k]),
            subsidy_exception_share=0.0,
            log_hr_post_subsidy=float(effects[k]) if scenario.effect_sd > 0 else None,
        )
        for k in range(scenario.sites)
    )
    return dataclasses.replace(base, sites=sites, site_month_shock_sd=scenario.shock_sd)


def fit_replicate(base: SimulationParameters, scenario: Scenario, seed: int, confidence: float = 0.95) -> dict:
    """Simulate one replicate, fit the primary model and say which of the three intervals cover the truth."""
    params = scenario_parameters(base, scenario, seed)
    truth = base.log_hr_post_subsidy
    participants, _ = simulate_population(params, seed, identities=False)
    rows = build_person_months(participants, params.extraction_date, list(params.lockdowns)).rows
    fit = fit_discrete_hazard(rows, ["post_subsidy"], COVARIATES, confidence=confidence)
    out = {"scenario": scenario.name, "seed": seed, "identified": fit.identified, "events": fit.info.get("events")}
    post = fit.table[fit.table["term"] == "post_subsidy"].set_index("se_type")
    if not fit.identified or not bool(post.loc["clustered", "identified"]):
        return out
    out["estimate"] = float(post.loc["clustered", "estimate"])
    for se_type in ("naive", "clustered"):
        lower, upper = np.log(post.loc[se_type, ["ci_lower", "ci_upper"]].astype(float))
        out |= {
            f"{se_type}_se": float(post.loc[se_type, "std_error"]),
            f"{se_type}_width": float(upper - lower),
            f"{se_type}_covers": bool(lower <= truth <= upper),
        }
    out["bootstrap_covers"] = _bootstrap_accepts(fit.data, truth, 1 - confidence, seed)
    patterns = fit.data.patterns
    jack = cluster_jackknife(
        patterns["events"].to_numpy(),
        patterns["exposure"].to_numpy(),
        fit.data.design,
        "post_subsidy",
        patterns["site"].to_numpy(),
        out["estimate"],
        confidence,
    )
    out |= {
        "jackknife_se": jack.std_error,
        "jackknife_width": jack.ci_upper - jack.ci_lower,
        "jackknife_covers": bool(jack.ci_lower <= truth <= jack.ci_upper),
    }
    # the interval the reports quote (retention.hazard._shown): bootstrap or jackknife with few sites
    few = scenario.sites < FEW_SITES
    jack_usable = jack.dropped_site is None
    out["shown_covers"] = (
        (out["bootstrap_covers"] or (jack_usable and out["jackknife_covers"])) if few else out["clustered_covers"]
    )
    return out


def _bootstrap_accepts(data: ModelData, value: float, alpha: float, seed: int) -> bool:
    """Whether the wild cluster score bootstrap test of post_subsidy = value does not reject at level alpha."""
    groups = data.patterns["site"].to_numpy()
    weights, _ = weight_vectors(len(pd.unique(groups)), np.random.default_rng(seed))
    events, trials = data.patterns["events"].to_numpy(), data.patterns["exposure"].to_numpy()
    test = ScoreTest(events, trials, data.design, "post_subsidy", groups, weights)
    return bool(test.p_value(value) > alpha)


def summarise(replicates: pd.DataFrame, truth: float) -> pd.DataFrame:
    """Per scenario: replicates, usable, bias, empirical SD, and per interval mean SE, mean width and coverage
    with its Monte Carlo standard error."""
    rows = []
    for name, group in replicates.groupby("scenario", sort=False):
        ok = group[group["identified"].astype(bool) & group["estimate"].notna()]
        row = {
            "scenario": name,
            "replicates": len(group),
            "usable": len(ok),
            "bias": ok["estimate"].mean() - truth,
            "empirical_sd": ok["estimate"].std(ddof=1),
        }
        for kind in INTERVALS:
            covered = ok[f"{kind}_covers"].astype(bool)
            row[f"{kind}_mean_se"] = ok[f"{kind}_se"].mean() if f"{kind}_se" in ok else np.nan
            row[f"{kind}_coverage"] = covered.mean()
            row[f"{kind}_coverage_mc_se"] = np.sqrt(covered.mean() * (1 - covered.mean()) / max(len(ok), 1))
        rows.append(row)
    return pd.DataFrame(rows)


def run_study(
    project_dir: str | Path,
    replicates: int,
    first_seed: int,
    scenarios: tuple[Scenario, ...] = SCENARIOS,
    jobs: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit `replicates` replicates of each scenario (seeds first_seed, first_seed+1, ...); return the
    per-replicate table and the per-scenario summary."""
    base = project_parameters(project_dir)
    tasks = [(scenario, seed) for scenario in scenarios for seed in range(first_seed, first_seed + replicates)]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(
                pool.map(fit_replicate, [base] * len(tasks), *zip(*tasks, strict=True), chunksize=8)  # type: ignore[arg-type]
            )
    else:
        results = [fit_replicate(base, scenario, seed) for scenario, seed in tasks]
    table = pd.DataFrame(results)
    return table, summarise(table, base.log_hr_post_subsidy)


def markdown_table(summary: pd.DataFrame) -> str:
    """The summary as the Markdown table of docs/validation.md (coverage in %, Monte Carlo SE in brackets)."""
    lines = [
        "| scenario | usable | bias | emp. SD | mean SE naive | mean SE clustered | mean SE jackknife "
        "| naive | clustered t(G−1) | jackknife t(G−1) | bootstrap | **shown** |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summary.itertuples():
        cover = [f"{getattr(row, f'{k}_coverage'):.1%} ({getattr(row, f'{k}_coverage_mc_se'):.1%})" for k in INTERVALS]
        lines.append(
            f"| {row.scenario} | {row.usable}/{row.replicates} | {row.bias:+.3f} | {row.empirical_sd:.3f} | "
            f"{row.naive_mean_se:.3f} | {row.clustered_mean_se:.3f} | {row.jackknife_mean_se:.3f} | "
            + " | ".join(cover)
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", required=True, type=Path, help="project whose simulation.yaml to build on")
    parser.add_argument("--replicates", type=int, default=1000, help="replicates per scenario")
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", help="write the per-replicate table here (CSV)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    table, summary = run_study(args.project_dir, args.replicates, args.first_seed, jobs=args.jobs)
    if args.out:
        table.to_csv(args.out, index=False)
    print(markdown_table(summary))
    print(json.dumps({"seconds": round(time.perf_counter() - started, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
