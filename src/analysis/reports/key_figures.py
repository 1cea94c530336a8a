"""The key figures of a project, one row per site and one for all sites: the one table every page quotes.

`reports/<project>/key_figures.csv` is written once per run (`python -m analysis.reports.key_figures PROJECT
OUT`) and the index, the summary's overview and every site page read their headline numbers from it, so one
number means one thing everywhere:

* referred: enrolments referred to the project;
* started: of those, started in an association;
* active_course_end / active_followup: still active (no recorded end) at referral + course_weeks / referral +
  followup_months, among enrolments whose milestone lies on or before the extraction date; only in sites that
  report end status, else "not reported" (never counted as active). The all-sites row sums the reporting sites;
* retention_12m (lower, upper): Kaplan–Meier share still active 12 months after starting, with its 95 %
  interval and `retention_12m_n`, the number still followed at 12 months;
* subsidy_months: the planned membership subsidy (months; several values in date order, ";"-separated);
* in_subsidy_model: whether the site's enrolments enter the model of the subsidy's end.

Disclosure control is applied here, before the file is written, to the counts together with every
difference between them (referred - started are people who never started, and so on): a count with 1 to
min_cell - 1 people is hidden, and further counts are hidden until a reader who solves the linear program of
all published counts (row sums, the all-sites row, the markers' bounds) can pin neither a hidden count nor
the exact size of a small group between two counts. Small counts print the primary marker ("<5"), the others the
secondary one (".."); a retention share is hidden with its interval when the site's started count is hidden,
fewer than min_cell are followed at 12 months, or fewer than min_cell stopped before then.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.outputs import write_text
from analysis.core.vocabulary import ALL_SITES
from analysis.reports.disclosure import SECONDARY_MARKER, implied_intervals, is_pinned

COUNTS = ["referred", "started", "active_course_end", "active_followup"]
RETENTION = ["retention_12m", "retention_12m_lower", "retention_12m_upper", "retention_12m_n"]
COLUMNS = ["site", "reports_end_status", *COUNTS, *RETENTION, "subsidy_months", "in_subsidy_model"]
NOT_REPORTED = "not reported"  # a site that does not report end status: never counted as active
RETENTION_MONTHS = 12


def primary_marker(min_cell: int) -> str:
    return f"<{min_cell}"


# ------------------------------------------------------------------------------------------- the counts
def person_stages(participants: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Per enrolment: site, started, and active at course end / follow-up (False where not due)."""
    extraction = pd.Timestamp(date.fromisoformat(config["extraction_date"]))
    referral = participants["referral_date"]
    started = participants["start_date"].notna()
    out = pd.DataFrame({"site": participants["site"].astype(str), "started": started})
    milestones = {
        "active_course_end": referral + pd.Timedelta(weeks=config["course_weeks"]),
        "active_followup": referral + pd.DateOffset(months=config["followup_months"]),
    }
    for stage, when in milestones.items():
        still = started & (participants["end_date"].isna() | (participants["end_date"] > when))
        out[stage] = ((when <= extraction) & still).to_numpy()
    return out


def raw_key_figures(
    participants: pd.DataFrame, config: dict, sites: list[dict], km: pd.DataFrame, model_sites: set[str]
) -> pd.DataFrame:
    """The key figures before disclosure control (true values; never to be published as they are).

    `sites` are the site sheet's rows (site, reports_end_status), `km` the Kaplan–Meier table of the retention
    stage (scope, group, time, n_risk, n_event, survival, lower, upper) and `model_sites` the sites in the
    model of the subsidy's end."""
    stages = person_stages(participants, config)
    rows = []
    for spec in sites:
        site = spec["site"]
        mine = stages[stages["site"] == site]
        reports = bool(spec["reports_end_status"])
        row = {
            "site": site,
            "reports_end_status": reports,
            "referred": len(mine),
            "started": int(mine["started"].sum()),
        }
        for stage in COUNTS[2:]:
            row[stage] = int(mine[stage].sum()) if reports else np.nan
        row |= _retention(km, site) if reports else dict.fromkeys(RETENTION, np.nan)
        row["subsidy_months"] = _subsidy_months(config, participants, site)
        row["in_subsidy_model"] = site in model_sites
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    total = {"site": ALL_SITES, "reports_end_status": bool(frame["reports_end_status"].any())}
    total |= {c: frame[c].sum(min_count=1) for c in COUNTS}
    total |= _retention(km, ALL_SITES) if total["reports_end_status"] else dict.fromkeys(RETENTION, np.nan)
    total["subsidy_months"] = ""
    total["in_subsidy_model"] = bool(frame["in_subsidy_model"].any())
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame.attrs["events_12m"] = {s: _events_before(km, s) for s in frame["site"]}
    return frame


def _retention(km: pd.DataFrame, scope: str) -> dict:
    curve = km[(km["scope"] == scope) & (km["group"] == "all")].sort_values("time")
    at = curve[curve["time"] <= RETENTION_MONTHS]
    if at.empty:
        return dict.fromkeys(RETENTION, np.nan)
    last = at.iloc[-1]
    followed = curve.loc[curve["time"] >= RETENTION_MONTHS, "n_risk"]
    n_at = int(followed.iloc[0]) if len(followed) else 0
    return {
        "retention_12m": float(last["survival"]),
        "retention_12m_lower": float(last["ci_lower"]),
        "retention_12m_upper": float(last["ci_upper"]),
        "retention_12m_n": n_at,
    }


def _events_before(km: pd.DataFrame, scope: str) -> int:
    curve = km[(km["scope"] == scope) & (km["group"] == "all") & (km["time"] <= RETENTION_MONTHS)]
    return int(curve["n_event"].sum()) if len(curve) else 0


def _subsidy_months(config: dict, participants: pd.DataFrame, site: str) -> str:
    rules = config.get("subsidy_rules", {}).get(site)
    if rules:
        values = [int(r["months"]) for r in sorted(rules, key=lambda r: str(r["from"]))]
    else:
        values = sorted(
            int(v) for v in participants.loc[participants["site"] == site, "subsidy_months"].dropna().unique()
        )
    return ";".join(str(v) for v in dict.fromkeys(values))


# ---------------------------------------------------------------------------------- disclosure control
def suppress_key_figures(raw: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The publishable key figures: strings, hidden counts as markers (see the module docstring)."""
    hidden = _hidden_counts(raw, min_cell)
    out = raw.copy().astype(object)
    for (r, c), hide in np.ndenumerate(hidden):
        value = raw.iloc[r][COUNTS[c]]
        if pd.isna(value):
            out.at[r, COUNTS[c]] = NOT_REPORTED
        elif hide:
            out.at[r, COUNTS[c]] = primary_marker(min_cell) if 0 < value < min_cell else SECONDARY_MARKER
        else:
            out.at[r, COUNTS[c]] = str(int(value))
    events = raw.attrs.get("events_12m", {})
    for r, row in raw.iterrows():
        if pd.isna(row["retention_12m"]):
            for c in RETENTION:
                out.at[r, c] = NOT_REPORTED if not row["reports_end_status"] else SECONDARY_MARKER
            continue
        ok = (
            not hidden[r, 1]
            and row["retention_12m_n"] >= min_cell
            and not (0 < events.get(row["site"], min_cell) < min_cell)
        )
        for c in RETENTION[:3]:
            out.at[r, c] = f"{row[c]:.4f}" if ok else SECONDARY_MARKER
        out.at[r, "retention_12m_n"] = str(int(row["retention_12m_n"])) if ok else SECONDARY_MARKER
    out["reports_end_status"] = raw["reports_end_status"].map({True: "true", False: "false"})
    out["in_subsidy_model"] = raw["in_subsidy_model"].map({True: "true", False: "false"})
    return out[COLUMNS]


def _hidden_counts(raw: pd.DataFrame, min_cell: int) -> np.ndarray:
    """Which counts (rows x COUNTS) to hide: small ones first, then until `key_figure_attack` finds nothing."""
    values = raw[COUNTS].to_numpy(dtype=float)
    hidden = (values > 0) & (values < min_cell)
    for _ in range(values.size):
        finding = key_figure_attack(raw[COUNTS], hidden, min_cell, true_values=values)
        if finding is None:
            return hidden
        hidden[_fix(values, hidden, finding, min_cell)] = True
    return hidden


def _fix(values: np.ndarray, hidden: np.ndarray, finding: tuple, min_cell: int) -> tuple[int, int]:
    """The count to hide next: for a small group of people, a count bounding it; for a pinned hidden count,
    the smallest visible count of another site in its column (the all-sites row sums the column)."""
    kind, r, what = finding
    sites = range(len(values) - 1)
    if kind == "group":  # `what`: the counts (columns) the group is counted in, as a 0/1 pattern
        # the group is count[k] - count[k + 1] (k: its last stage): hide the later count, keeping referred
        # and started where possible; the last group (active at follow-up) is that count itself
        last = max(c for c in range(len(COUNTS)) if what[c])
        order = [last + 1, last] if last + 1 < len(COUNTS) else [last]
        order += list(range(len(COUNTS) - 1, 0, -1))
        for c in order:
            if c > 0 and not hidden[r, c] and not np.isnan(values[r, c]):
                return r, c
        c = 0
    else:
        c = what
    if r == len(values) - 1:  # the all-sites row: hide the smallest visible site count in the column
        r_other = [s for s in sites if not hidden[s, c] and not np.isnan(values[s, c])]
        return (min(r_other, key=lambda s: values[s, c]), c) if r_other else (r, c)
    others = [s for s in sites if s != r and not hidden[s, c] and not np.isnan(values[s, c])]
    if others:
        return min(others, key=lambda s: values[s, c]), c
    return len(values) - 1, c


def key_figure_attack(
    counts: pd.DataFrame, hidden: np.ndarray, min_cell: int, true_values: np.ndarray | None = None
) -> tuple | None:
    """What a reader works out from the published key figure counts, or None.

    Unknowns: the number of people of each site whose last stage is referred, started, active at course end
    or active at follow-up (the stages are nested: follow-up comes after course end). Known:
    every shown count (a sum of patterns), the all-sites row (sums over sites), each hidden count's marker
    ("<5": 1..min_cell-1, "..": at least min_cell, or 0 when its true value is 0).
    Groups: every run of consecutive last stages, i.e. every difference of two counts of a row (started but
    not active at follow-up, ...). Returns ("group", row, stages) for a group pinned to 1..min_cell-1 (stages:
    0/1 per count, 1 up to the group's last stage), ("pinned",
    row, column) for a hidden count fixed to one value, else None. `counts` rows are the sites then the
    all-sites row; NaN marks a count not reported (no equation)."""
    values = counts.to_numpy(dtype=float)
    true_values = values if true_values is None else true_values
    n_sites, n_stages = len(values) - 1, len(COUNTS)
    # nested stages (follow-up after course end): pattern k holds the people whose last stage is k
    n_pat = n_stages
    ranges = [(lo, hi) for lo in range(n_pat) for hi in range(lo, n_pat) if (lo, hi) != (0, n_pat - 1)]
    hidden_keys = [(r, c) for r in range(len(values)) for c in range(n_stages) if hidden[r, c]]
    n_people, n_hidden = n_sites * n_pat, len(hidden_keys)
    n_var = n_people + n_hidden + n_sites * len(ranges)
    lower, upper = np.zeros(n_var), np.full(n_var, np.inf)
    equations, rhs = [], []

    def person(site: int, k: int) -> int:
        return site * n_pat + k

    for s in range(n_sites):
        if np.isnan(values[s, 2]):  # no end status: nobody known to be active
            upper[[person(s, k) for k in range(2, n_pat)]] = 0.0
    for r in range(len(values)):
        for c in range(n_stages):
            if np.isnan(values[r, c]):
                continue
            row = np.zeros(n_var)
            for s in range(n_sites) if r == n_sites else [r]:
                if not np.isnan(values[s, c]):
                    row[[person(s, k) for k in range(c, n_pat)]] = 1.0
            if hidden[r, c]:
                k = n_people + hidden_keys.index((r, c))
                row[k] = -1.0
                v = true_values[r, c]
                small = 0 < v < min_cell
                lower[k], upper[k] = (
                    (1.0, min_cell - 1.0) if small else (float(min_cell if v >= min_cell else 0), np.inf)
                )
                rhs.append(0.0)
            else:
                rhs.append(values[r, c])
            equations.append(row)
    for s in range(n_sites):  # every run of consecutive patterns: count[lo] - count[hi + 1]
        for g, (lo, hi) in enumerate(ranges):
            row = np.zeros(n_var)
            row[[person(s, k) for k in range(lo, hi + 1)]] = 1.0
            row[n_people + n_hidden + s * len(ranges) + g] = -1.0
            equations.append(row)
            rhs.append(0.0)
    low, high = implied_intervals(np.array(equations), np.array(rhs), lower, upper)
    for k, (r, c) in enumerate(hidden_keys):
        if is_pinned(low[n_people + k], high[n_people + k]):
            return ("pinned", r, c)
    for s in range(n_sites):
        for g, (_, hi) in enumerate(ranges):
            i = n_people + n_hidden + s * len(ranges) + g
            if is_pinned(low[i], high[i]) and 1 - 1e-6 <= low[i] <= min_cell - 1 + 1e-6:
                return ("group", s, tuple(1 if c <= hi else 0 for c in range(n_stages)))
    return None


def model_sites(primary: pd.DataFrame, summary: dict) -> set[str]:
    """The sites whose enrolments enter an identified estimate of the subsidy's end: the retention stage's
    `sites_in_model` (models/summary.json), none if the primary model could not estimate it."""
    post = primary[primary["term"] == "post_subsidy"]
    if post.empty or not bool(post["identified"].iloc[0]):
        return set()
    return set(summary.get("sites_in_model", []))


def key_figures_table(
    project, participants: pd.DataFrame, km: pd.DataFrame, model_sites: set[str], min_cell: int | None = None
) -> pd.DataFrame:
    """The disclosure-controlled key figures of a loaded project (min_cell: the config's unless given)."""
    raw = raw_key_figures(participants, project.config, project.sites, km, model_sites)
    return suppress_key_figures(raw, int(project.config["min_cell"]) if min_cell is None else min_cell)


def write_key_figures(project_name: str, out_path: str | Path, root: str | Path | None = None) -> Path:
    """Write reports/<project>/key_figures.csv from the processed tables and models."""
    from analysis.project.loader import load_project

    project = load_project(project_name, root)
    processed = project.processed_dir
    participants = pd.read_parquet(processed / "participants.parquet")
    models = {name: pd.read_parquet(processed / "models" / f"{name}.parquet") for name in ("km", "primary")}
    summary = json.loads((processed / "models" / "summary.json").read_text(encoding="utf-8"))
    table = key_figures_table(project, participants, models["km"], model_sites(models["primary"], summary))
    return write_text(table.to_csv(index=False, lineterminator="\n"), out_path)


def read_key_figures(path: str | Path) -> pd.DataFrame:
    """key_figures.csv as strings (markers and 'not reported' kept), indexed by site."""
    return pd.read_csv(path, dtype=str, keep_default_na=False).set_index("site")


def main(argv: list[str] | None = None) -> int:
    """`python -m analysis.reports.key_figures PROJECT OUT`."""
    project, out = (argv if argv is not None else sys.argv[1:])[:2]
    write_key_figures(project, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
