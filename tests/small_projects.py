"""Small projects built by hand for the report tests: canonical enrolments of a few sites (written by a small
generator that knows nothing of the project simulator), the real retention models fitted on them, and the
pages rendered section by section exactly as the report notebooks display them.

`SCENARIOS` names the bad inputs the reports must survive: a site of 7 people, a site where every referral
track but one is small, a one-site project and a project where every group is small; every scenario also has
a site without subsidy and a site that does not report end status (and so is not in the subsidy model),
except the one-site project.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from conftest import TEST_KEY

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "config" / "projects" / "motion-paa-recept"
TRACKS = ["health", "employment", "self", "other"]


@dataclass(frozen=True)
class SiteSpec:
    site: str
    n: int
    tracks: tuple[float, ...] = (0.55, 0.25, 0.12, 0.08)  # shares of health, employment, self, other
    subsidy: int = 6
    reports_end_status: bool = True


SCENARIOS: dict[str, list[SiteSpec]] = {
    "site-of-7": [
        SiteSpec("assens", 7),
        SiteSpec("viborg", 160, subsidy=9),
        SiteSpec("silkeborg", 140, subsidy=3),
        SiteSpec("helsingoer", 120, subsidy=0),
        SiteSpec("jammerbugt", 90, subsidy=0, reports_end_status=False),
    ],
    "one-track-large": [
        SiteSpec("assens", 70, tracks=(0.86, 0.05, 0.05, 0.04)),
        SiteSpec("viborg", 150, subsidy=9),
        SiteSpec("helsingoer", 110, subsidy=0),
        SiteSpec("jammerbugt", 80, subsidy=0, reports_end_status=False),
    ],
    "one-site": [SiteSpec("viborg", 150, subsidy=9)],
    "all-small": [
        SiteSpec("assens", 9),
        SiteSpec("viborg", 12, subsidy=9),
        SiteSpec("helsingoer", 8, subsidy=0),
        SiteSpec("jammerbugt", 6, subsidy=0, reports_end_status=False),
    ],
}


def enrolments(specs: list[SiteSpec], extraction: str = "2023-12-31", seed: int = 2) -> pd.DataFrame:
    """Canonical enrolments (participants.parquet's columns) of the given sites."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(extraction)
    rows = []
    for spec in specs:
        counts = np.floor(np.array(spec.tracks) * spec.n).astype(int)
        counts[0] += spec.n - counts.sum()
        tracks = np.repeat(TRACKS, counts)
        for k, track in enumerate(tracks):
            referral = pd.Timestamp("2021-01-04") + pd.Timedelta(days=int(rng.integers(0, 700)))
            started = rng.random() < 0.8
            start = referral + pd.Timedelta(days=int(rng.integers(3, 40))) if started else pd.NaT
            stop = pd.NaT
            if started and spec.reports_end_status:
                months = rng.exponential(14 if track == "health" else 9)
                candidate = start + pd.Timedelta(days=int(months * 30.4))
                stop = candidate if candidate <= end else pd.NaT
            rows.append(
                {
                    "participant_id": f"{spec.site[:3]}{k:05d}{rng.integers(0, 16**8):08x}",
                    "enrolment": 1,
                    "site": spec.site,
                    "referral_track": track,
                    "referral_date": referral,
                    "start_date": start,
                    "association": f"{spec.site} IF" if started else None,
                    "activity": ["Gymnastik", "Svømning"][k % 2] if started else None,
                    "team_type": (["existing", "new", None][k % 3]) if started else None,
                    "bridging_model": "brobygger",
                    "accompanied": bool(k % 2),
                    "subsidy_months": spec.subsidy,
                    "subsidy_end_date": start + pd.DateOffset(months=spec.subsidy) if started else pd.NaT,
                    "end_date": stop,
                    "last_contact_date": min(end, (stop if pd.notna(stop) else end)),
                    "dropout_reason": (["health", "cost", "time", "other", None][k % 5]) if pd.notna(stop) else None,
                    "age": int(rng.integers(20, 80)),
                    "sex": ["female", "male"][k % 2],
                    "end_status_reported": spec.reports_end_status,
                }
            )
    frame = pd.DataFrame(rows)
    for column in ("referral_date", "start_date", "subsidy_end_date", "end_date", "last_contact_date"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ms]")
    frame["subsidy_months"] = frame["subsidy_months"].astype("Int64")
    frame["age"] = frame["age"].astype("Int64")
    frame["accompanied"] = frame["accompanied"].astype("boolean")
    return frame


def answers(people: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """Baseline and end answers of about two in three enrolments."""
    rng = np.random.default_rng(seed)
    rows = []
    for _, person in people.iterrows():
        for wave in ("baseline", "end"):
            if rng.random() < 0.65:
                rows.append(
                    {
                        "participant_id": person["participant_id"],
                        "enrolment": 1,
                        "site": person["site"],
                        "wave": wave,
                        "who5_pct": float(rng.integers(8, 25) * 4),
                        "srh": float(rng.integers(1, 6)),
                        "pa_level": float(rng.integers(1, 5)),
                        "job_readiness": float(rng.integers(1, 11)),
                    }
                )
    return pd.DataFrame(rows)


def write_project(root: Path, name: str, specs: list[SiteSpec]) -> None:
    """The default project's config cut to `specs`' sites and their subsidy lengths, under `name`."""
    target = root / "config" / "projects" / name
    shutil.copytree(SOURCE, target)
    config = yaml.safe_load((target / "config.yaml").read_text(encoding="utf-8"))
    config["project"] = name
    config["subsidy_rules"] = {s.site: [{"from": "2019-12-01", "months": s.subsidy}] for s in specs}
    # Hand-made data: the public demo key is for simulated data only, so the project gets a key of its own.
    config["pseudonym"].pop("demo_key", None)
    (target / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (target / "pseudonym.key").write_text(TEST_KEY + "\n", encoding="utf-8")
    lines = (target / "sites.tsv").read_text(encoding="utf-8").splitlines()
    status = {s.site: s.reports_end_status for s in specs}
    kept = [lines[0]]
    for line in lines[1:]:
        fields = line.split("\t")
        if fields[0] in status:
            fields[3] = "true" if status[fields[0]] else "false"
            kept.append("\t".join(fields))
    (target / "sites.tsv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    for spec in specs:
        (root / "data" / "raw" / name / spec.site).mkdir(parents=True, exist_ok=True)


SITE_SECTIONS = [
    "title",
    "key_figures",
    "recruitment",
    "funnel",
    "groups",
    "retention",
    "subsidy",
    "reasons",
    "outcomes",
    "comparison",
    "quality",
]
SUMMARY_SECTIONS = ["title", "headline", "groups", "retention", "subsidy", "comparison", "outcomes", "quality"]


def render_pages(root: Path, name: str, specs: list[SiteSpec]):
    """(context, pages, key figures): the project's pages as the notebooks display them (figures left out)."""
    from analysis.project.loader import load_project
    from analysis.reports.context import ReportContext
    from analysis.reports.messages import Messages
    from analysis.reports.site_report import SiteReport
    from analysis.reports.summary_report import SummaryReport, index_page
    from analysis.retention.pipeline import fit_retention

    write_project(root, name, specs)
    project = load_project(name, root)
    people = enrolments(specs)
    responses = answers(people)
    results = fit_retention(people, project.config)
    models = results.tables
    quality = {}
    for spec in specs:
        mine = people[people["site"] == spec.site]
        said = responses[responses["site"] == spec.site]
        rates = {}
        for wave in ("baseline", "end"):
            answered = int((said["wave"] == wave).sum())
            rates[wave] = {"eligible": len(mine), "answered": answered, "rate": answered / len(mine)}
        quality[spec.site] = {
            "files": [
                {"file": "register.xlsx", "read": len(mine), "kept": len(mine), "rejected": 0, "rejected_by_reason": {}}
            ],
            "totals": {"read": len(mine), "kept": len(mine), "rejected": 0},
            "response_rate": rates,
        }
    context = ReportContext(
        project=project,
        messages=Messages(project.config["language"]),
        min_cell=int(project.config["min_cell"]),
        participants=people,
        responses=responses,
        models=models,
        model_summary=results.summary,
        quality=quality,
    )

    def html(report, sections) -> str:
        parts = []
        for section in sections:
            items = getattr(report, section)(**({"with_retention": True} if section == "groups" else {}))
            parts += [i.data for i in items if isinstance(getattr(i, "data", None), str)]
        return "\n".join(parts)

    pages = {f"sites/{s.site}.html": html(SiteReport(context, s.site), SITE_SECTIONS) for s in specs}
    pages["summary.html"] = html(SummaryReport(context), SUMMARY_SECTIONS)
    pages["index.html"] = index_page(context)
    return context, pages, context.key_figures
