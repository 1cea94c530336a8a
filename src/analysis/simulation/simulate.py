"""Write the synthetic raw data of a project, with the truth it was drawn from.

    python -m analysis.simulation --project <name> [--out data/raw/<name>] [--seed N] [--sites a,b] [--scale 0.1]

The project's folder (config/projects/<name>/, or --project-dir) holds config.yaml, sites.tsv,
codebook.yaml and simulation.yaml, the simulation parameters (sizes, site effects, associations, export
styles, seed). Writes <out>/<site>/register.xlsx, <out>/<site>/survey_<wave>.csv|xlsx (surveyed waves
only), <out>/_simulation_truth.json (seed, true parameters, per-site counts, planted faults) and
<out>/README.md. The same arguments give byte-identical files: nothing depends on the clock, the machine
or the output path.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.project.loader import SIMULATION_TRUTH_FILE, find_root
from analysis.simulation.population import (
    WAVES,
    SimulationParameters,
    project_parameters,
    read_simulation_settings,
    response_probabilities,
    simulate_population,
)
from analysis.simulation.raw_export import FaultPlan, build_site, plant_faults, site_style, write_site

DEFAULT_SEED = 2019  # when simulation.yaml names none
TRUTH_FILE = SIMULATION_TRUTH_FILE


def select_sites(params: SimulationParameters, sites: list[str] | None, scale: float) -> SimulationParameters:
    """Keep the named sites (in site-sheet order; all when None) and multiply every site's size by
    `scale` (rounded, at least 1). Raises ValueError for an unknown site or a non-positive scale."""
    if scale <= 0:
        raise ValueError("--scale must be positive")
    known = [s.site for s in params.sites]
    unknown = sorted(set(sites or []) - set(known))
    if unknown:
        raise ValueError(f"unknown site(s) {', '.join(unknown)}; the project has {', '.join(known)}")
    kept = [s for s in params.sites if sites is None or s.site in sites]
    return dataclasses.replace(params, sites=tuple(dataclasses.replace(s, n=max(1, round(s.n * scale))) for s in kept))


def read_site_sheet(project_dir: Path) -> list[dict]:
    """The rows of the project's sites.tsv, in order."""
    with open(project_dir / "sites.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def site_counts(params: SimulationParameters, participants: pd.DataFrame, responses: pd.DataFrame) -> dict:
    """Per-site truth: referred (enrolments), people, started, active at extraction (started, no recorded
    end), dropouts, second enrolments and answered survey waves."""
    counts = {}
    for spec in params.sites:
        mine = participants[participants["site"] == spec.site]
        started = mine["start_date"].notna()
        answered = responses.loc[responses["site"] == spec.site, "wave"].value_counts()
        counts[spec.site] = {
            "referred": len(mine),
            "people": int(mine["participant_id"].nunique()),
            "started": int(started.sum()),
            "active_at_extraction": int((started & mine["end_date"].isna()).sum()),
            "dropouts": int(mine["end_date"].notna().sum()),
            "re_referrals": int((mine["enrolment"] > 1).sum()),
            "reports_end_status": spec.reports_end_status,
            "responses": {wave: int(answered.get(wave, 0)) for wave in WAVES},
        }
    return counts


def totals(counts: dict) -> dict:
    """Programme totals; 'active' is summed over the sites that report end status (as seed 000 does)."""
    reporting = [site for site, c in counts.items() if c["reports_end_status"]]
    return {
        "referred": sum(c["referred"] for c in counts.values()),
        "started": sum(c["started"] for c in counts.values()),
        "reporting_sites": reporting,
        "active_at_extraction_reporting_sites": sum(counts[s]["active_at_extraction"] for s in reporting),
    }


def command_line(project: str, seed: int, sites: list[str] | None, scale: float) -> str:
    """The command that regenerates the data into the project's usual folder."""
    parts = ["python -m analysis.simulation", f"--project {project}", f"--seed {seed}"]
    if sites:
        parts.append(f"--sites {','.join(sites)}")
    if scale != 1:
        parts.append(f"--scale {scale:g}")
    return " ".join(parts)


def readme_text(command: str, counts: dict, extraction: date, unit_plural: dict) -> str:
    """README.md of the raw folder, in Danish and English (`unit_plural`: what the sites are, per language)."""
    total = totals(counts)
    return f"""# Syntetiske data / Synthetic data

**Dansk.** Alle filer i denne mappe er opdigtede. De er lavet af Brobygnings simulator
(`src/analysis/simulation/`) ud fra en kendt sandhed, så analysen kan tjekkes mod den. Der er ingen rigtige
personer: CPR-numrene er erstatningspersonnumre (dag + 60), telefonnumre begynder med 1, og e-mails bruger
example-domæner. Fejl er lagt ind med vilje (dubletter, forkerte CPR-numre, stavefejl m.m.) og står i
`{TRUTH_FILE}` sammen med de sande parametre og antal. Dataudtræksdato: {extraction.isoformat()}.
{total["referred"]} forløb i {len(counts)} {unit_plural["da"]}.

**English.** Every file in this folder is made up. Brobygning's simulator (`src/analysis/simulation/`)
drew it from a known truth so that the pipeline can be checked against it. No real person appears: CPR
numbers are substitute numbers (day + 60), phone numbers start with 1 and e-mails use example domains.
Faults are planted on purpose (duplicates, bad CPR numbers, misspellings and more) and listed in
`{TRUTH_FILE}` with the true parameters and counts. Extraction date: {extraction.isoformat()}.
{total["referred"]} enrolments in {len(counts)} {unit_plural["en"]}.

Regenerate (byte-identical) / Genskab:

    {command}
"""


def simulate(
    out: Path, project_dir: Path, seed: int | None = None, sites: list[str] | None = None, scale: float = 1.0
) -> dict:
    """Draw the truth of the project in `project_dir`, write the raw files and the truth record under `out`,
    and return the record. `seed` defaults to the one in the project's simulation.yaml."""
    settings = read_simulation_settings(project_dir)
    seed = int(settings.get("seed", DEFAULT_SEED)) if seed is None else seed
    project = yaml.safe_load((project_dir / "config.yaml").read_text(encoding="utf-8"))["project"]
    params = select_sites(project_parameters(project_dir), sites, scale)
    participants, responses = simulate_population(params, seed)
    codebook = yaml.safe_load((project_dir / "codebook.yaml").read_text(encoding="utf-8"))
    sheet = {row["site"]: (i, row) for i, row in enumerate(read_site_sheet(project_dir))}
    surveyed = {wave: response_probabilities(params, wave) > 0 for wave in params.waves}
    rng = np.random.default_rng([seed, 1])  # the export's own stream: its choices never move the truth
    exports = []
    for k, spec in enumerate(params.sites):
        index, row = sheet[spec.site]
        style = site_style(index, row["survey_coding"], settings["sites"][spec.site].get("style"))
        waves = tuple(wave for wave in params.waves if surveyed[wave][k])
        exports.append(
            build_site(
                spec.site,
                style,
                spec.reports_end_status,
                participants[participants["site"] == spec.site],
                responses[responses["site"] == spec.site],
                codebook,
                rng,
                waves,
            )
        )
    plant_faults(exports, codebook, FaultPlan(), rng, params.extraction_date, set(participants["cpr"]))
    out.mkdir(parents=True, exist_ok=True)
    faults = [fault for export in exports for fault in write_site(export, out)]
    counts = site_counts(params, participants, responses)
    record = {
        "project": project,
        "seed": seed,
        "scale": scale,
        "sites": [s.site for s in params.sites],
        "command": command_line(project, seed, sites, scale),
        "parameters": params.to_jsonable(),
        "counts": counts,
        "totals": totals(counts),
        "files": {
            f"{e.site}/{s.file}": {"data_rows": len(s.rows), "header_row": s.header_line}
            for e in exports
            for s in e.sheets()
        },
        "activity_spellings": {e.site: e.activity_spellings(codebook) for e in exports},
        "fault_counts": dict(sorted(Counter(f.kind for f in faults).items())),
        "faults": [f.to_json() for f in faults],
    }
    (out / TRUTH_FILE).write_text(truth_json(record), encoding="utf-8")
    unit_plural = settings.get("unit_plural", {"da": "enheder", "en": "units"})
    readme = readme_text(record["command"], counts, params.extraction_date, unit_plural)
    (out / "README.md").write_text(readme, encoding="utf-8")
    return record


def truth_json(record: dict) -> str:
    """The truth record as indented JSON, except that each planted fault takes exactly one line."""
    body = json.dumps({k: v for k, v in record.items() if k != "faults"}, ensure_ascii=False, indent=1)
    faults = ",\n".join("  " + json.dumps(f, ensure_ascii=False) for f in record["faults"])
    return body[:-2] + ',\n "faults": [\n' + faults + "\n ]\n}\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m analysis.simulation", description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--project", help="project name: reads config/projects/<name>/, writes data/raw/<name>/")
    where.add_argument(
        "--project-dir", type=Path, help="folder with config.yaml, sites.tsv, codebook.yaml and simulation.yaml"
    )
    parser.add_argument("--out", type=Path, help="folder to write (default: data/raw/<project>)")
    parser.add_argument("--seed", type=int, help="random seed (default: the one in simulation.yaml)")
    parser.add_argument("--sites", help="comma-separated site ids (default: all sites of the site sheet)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every site's size (default 1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    args = parse_args(argv)
    sites = [s.strip() for s in args.sites.split(",") if s.strip()] if args.sites else None
    try:
        root = find_root() if args.project else None
        project_dir = root / "config" / "projects" / args.project if args.project else args.project_dir
        out = args.out
        if out is None:
            name = yaml.safe_load((project_dir / "config.yaml").read_text(encoding="utf-8"))["project"]
            out = (root or find_root(project_dir)) / "data" / "raw" / name
        record = simulate(out, project_dir, args.seed, sites, args.scale)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    total = record["totals"]
    print(
        f"wrote {len(record['files'])} files for {len(record['sites'])} sites to {out}: "
        f"{total['referred']} enrolments, {total['active_at_extraction_reporting_sites']} active at "
        f"extraction in the reporting sites, {len(record['faults'])} planted faults"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
