"""Scratch project roots for the benchmark: the embedded default project, or many simulated sites."""

from __future__ import annotations

import csv
import dataclasses
import shutil
from pathlib import Path

import yaml

from ..simulate import simulate
from ..simulation.population import SimulationParameters, default_parameters, simulate_population

REPO = Path(__file__).resolve().parents[3]
DEFAULT_PROJECT = "motion-paa-recept"


def _select(root: Path, project: str) -> None:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "config.yaml").write_text(f"project: {project}\n", encoding="utf-8")


def default_root(root: Path, project: str = DEFAULT_PROJECT) -> str:
    """Copy a committed project's config and raw data into `root`; returns the project name."""
    shutil.copytree(REPO / "config" / "projects" / project, root / "config" / "projects" / project)
    shutil.copytree(REPO / "data" / "raw" / project, root / "data" / "raw" / project)
    _select(root, project)
    return project


def scaled_project(root: Path, n_sites: int, per_site: int) -> tuple[str, SimulationParameters]:
    """Config, site sheet and codebook of a project of `n_sites` sites of `per_site` enrolments each, in
    `root`, and the simulator's parameters for it.

    Site k copies the config, site-sheet row and simulation parameters of the default project's site
    k mod 9, so subsidy rules, bridging models, end-status reporting and survey coding keep the default
    project's mix. The project is named 'bench-<n_sites>x<per_site>' and selected in config/config.yaml."""
    project = f"bench-{n_sites}x{per_site}"
    source = REPO / "config" / "projects" / DEFAULT_PROJECT
    target = root / "config" / "projects" / project
    target.mkdir(parents=True)
    shutil.copy(source / "codebook.yaml", target / "codebook.yaml")
    with open(source / "sites.tsv", encoding="utf-8", newline="") as handle:
        templates = list(csv.DictReader(handle, delimiter="\t"))
    config = yaml.safe_load((source / "config.yaml").read_text(encoding="utf-8"))
    base = default_parameters(source)
    rows, rules, specs = [], {}, []
    for k in range(n_sites):
        template = templates[k % len(templates)]
        site = f"s{k + 1:03d}"
        rows.append({**template, "site": site, "name": f"{template['name']} {k // len(templates) + 1}"})
        rules[site] = config["subsidy_rules"][template["site"]]
        specs.append(dataclasses.replace(base.sites[k % len(templates)], site=site, n=per_site))
    config.update(project=project, title=f"Benchmark {n_sites} x {per_site}", subsidy_rules=rules)
    (target / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                                        encoding="utf-8")
    with open(target / "sites.tsv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(templates[0]), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    _select(root, project)
    return project, dataclasses.replace(base, sites=tuple(specs))


def scaled_root(root: Path, n_sites: int, per_site: int, seed: int = 2019) -> str:
    """scaled_project() with its raw exports simulated (planted faults included); returns the name."""
    project, params = scaled_project(root, n_sites, per_site)
    simulate(root / "data" / "raw" / project, seed, project_dir=root / "config" / "projects" / project,
             params=params)
    return project


def scaled_participants(root: Path, n_sites: int, per_site: int, seed: int = 2019) -> str:
    """scaled_project() with the true participants table written where the pool step would write it, for
    benchmarking the model step alone; returns the project name."""
    project, params = scaled_project(root, n_sites, per_site)
    participants, _ = simulate_population(params, seed, identities=False)
    for spec in params.sites:  # a project has its raw folders, even where nothing reads them
        (root / "data" / "raw" / project / spec.site).mkdir(parents=True)
    processed = root / "data" / "processed" / project
    processed.mkdir(parents=True)
    participants.to_parquet(processed / "participants.parquet", index=False)
    return project
