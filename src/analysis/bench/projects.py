"""Scratch project roots for the benchmark: the embedded default project, or many simulated sites."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import yaml

from analysis.simulation.population import (
    SIMULATION_FILE,
    project_parameters,
    read_simulation_settings,
    simulate_population,
)
from analysis.simulation.simulate import simulate

REPO = Path(__file__).resolve().parents[3]
# The project `make run` runs (config/config.yaml): the benchmark's default scale and the template it copies.
DEFAULT_PROJECT = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))["project"]


def _select(root: Path, project: str) -> None:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "config.yaml").write_text(f"project: {project}\n", encoding="utf-8")


def default_root(root: Path, project: str = DEFAULT_PROJECT) -> str:
    """Copy a committed project's config and raw data into `root`; returns the project name."""
    shutil.copytree(REPO / "config" / "projects" / project, root / "config" / "projects" / project)
    shutil.copytree(REPO / "data" / "raw" / project, root / "data" / "raw" / project)
    _select(root, project)
    return project


def scaled_project(root: Path, n_sites: int, per_site: int) -> str:
    """Config, site sheet, codebook and simulation.yaml of a project of `n_sites` sites of `per_site`
    enrolments each, in `root`; returns its name, 'bench-<n_sites>x<per_site>', selected in config/config.yaml.

    Site k copies the config, site-sheet row and simulation settings of the default project's k-th site (cycling),
    so subsidy rules, bridging models, end-status reporting, survey coding and export styles keep the
    default project's mix."""
    project = f"bench-{n_sites}x{per_site}"
    source = REPO / "config" / "projects" / DEFAULT_PROJECT
    target = root / "config" / "projects" / project
    target.mkdir(parents=True)
    shutil.copy(source / "codebook.yaml", target / "codebook.yaml")
    with open(source / "sites.tsv", encoding="utf-8", newline="") as handle:
        templates = list(csv.DictReader(handle, delimiter="\t"))
    config = yaml.safe_load((source / "config.yaml").read_text(encoding="utf-8"))
    simulation = read_simulation_settings(source)
    rows, rules, settings = [], {}, {}
    for k in range(n_sites):
        template = templates[k % len(templates)]
        site = f"s{k + 1:03d}"
        rows.append({**template, "site": site, "name": f"{template['name']} {k // len(templates) + 1}"})
        rules[site] = config["subsidy_rules"][template["site"]]
        settings[site] = {**simulation["sites"][template["site"]], "n": per_site}
    config.update(project=project, title=f"Benchmark {n_sites} x {per_site}", subsidy_rules=rules)
    simulation["sites"] = settings
    for name, content in (("config.yaml", config), (SIMULATION_FILE, simulation)):
        (target / name).write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with open(target / "sites.tsv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(templates[0]), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    _select(root, project)
    return project


def scaled_root(root: Path, n_sites: int, per_site: int) -> str:
    """scaled_project() with its raw exports simulated (planted faults included); returns the name."""
    project = scaled_project(root, n_sites, per_site)
    simulate(root / "data" / "raw" / project, root / "config" / "projects" / project)
    return project


def scaled_participants(root: Path, n_sites: int, per_site: int) -> str:
    """scaled_project() with the true participants table written where the pool step would write it, for
    benchmarking the model step alone; returns the project name."""
    project = scaled_project(root, n_sites, per_site)
    params = project_parameters(root / "config" / "projects" / project)
    participants, _ = simulate_population(
        params,
        int(read_simulation_settings(root / "config" / "projects" / project).get("seed", 2019)),
        identities=False,
    )
    for spec in params.sites:  # a project has its raw folders, even where nothing reads them
        (root / "data" / "raw" / project / spec.site).mkdir(parents=True)
    processed = root / "data" / "processed" / project
    processed.mkdir(parents=True)
    participants.to_parquet(processed / "participants.parquet", index=False)
    return project
