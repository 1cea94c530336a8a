"""The Copenhagen project (seed 001) is config and raw data only, and its simulated participants agree with
the real associations register committed beside them."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest
import yaml
from conftest import REPO

from analysis.simulation.population import project_parameters, simulate_population
from analysis.simulation.simulate import TRUTH_FILE, simulate
from analysis.tools.check import check_project

PROJECT = "kbh-udslusning"
PROJECT_DIR = REPO / "config" / "projects" / PROJECT
RAW = REPO / "data" / "raw" / PROJECT


def _register() -> list[dict]:
    with open(RAW / "foreninger.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((RAW / TRUTH_FILE).read_text(encoding="utf-8"))


def test_the_register_is_seed_001s_table():
    rows = _register()
    assert len(rows) == 15
    assert sum(int(r["antal_deltagere"]) for r in rows) == 303
    assert (RAW / "foreninger.md").read_text(encoding="utf-8").count("seed 001") >= 1


def test_the_teams_placed_at_the_centres_add_up_to_the_register():
    """Per association and local area, the starters the simulation places at the centres equal the register."""
    settings = yaml.safe_load((PROJECT_DIR / "simulation.yaml").read_text(encoding="utf-8"))
    placed = Counter()
    for site in settings["sites"].values():
        for team in site["teams"]:
            placed[(team["association"], team["area"], team["activity"])] += team["started"]
    register = Counter(
        {(r["forening"], r["lokalomraade"], r["aktivitet"]): int(r["antal_deltagere"]) for r in _register()}
    )
    assert placed == register


def test_the_simulated_starters_per_association_equal_the_register():
    participants, responses = simulate_population(project_parameters(PROJECT_DIR), 2012, identities=False)
    started = participants[participants["start_date"].notna()]
    by_association = Counter()
    for r in _register():
        by_association[(r["forening"], r["aktivitet"])] += int(r["antal_deltagere"])
    assert Counter(started.groupby(["association", "activity"]).size().to_dict()) == by_association
    assert participants.loc[participants["start_date"].isna(), "association"].isna().all()
    # about 115 telephone interviews at follow-up, only at the three centres that tried a model
    followup = responses[responses["wave"] == "followup"]
    assert 100 <= len(followup) <= 130
    assert set(followup["site"]) == {"amager", "vesterbro", "vanloese"}
    assert set(responses["wave"]) == {"followup"}


def test_the_bridging_models_shape_when_citizens_start(truth):
    participants, _ = simulate_population(project_parameters(PROJECT_DIR), truth["seed"], identities=False)
    days = (participants["start_date"] - participants["referral_date"]).dt.days
    by_site = days.groupby(participants["site"]).max()
    assert by_site["amager"] <= 10  # every other session in the association from the first week
    assert by_site["vesterbro"] <= 42  # free training alongside the course
    assert days[participants["site"].isin(["vanloese", "oesterbro", "noerrebro"])].min() >= 84  # after it
    months = participants.groupby("site")["subsidy_months"].unique().map(list).to_dict()
    assert months == {"amager": [3], "vesterbro": [2], "vanloese": [1], "oesterbro": [1], "noerrebro": [1]}


def test_the_committed_raw_data_is_regenerated_byte_for_byte(tmp_path, truth):
    out = tmp_path / PROJECT
    simulate(out, PROJECT_DIR, truth["seed"])
    made = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    simulated = sorted(
        p.relative_to(RAW).as_posix() for p in RAW.rglob("*") if p.is_file() and not p.name.startswith("foreninger.")
    )
    assert made == simulated
    assert not [n for n in made if (out / n).read_bytes() != (RAW / n).read_bytes()]


def test_the_project_is_ready_to_run():
    assert check_project(PROJECT, REPO) == []
