"""The simulator: reproducible raw files, a population with the known truth, and a codebook that knows
every header and label written.

Regenerates the default project once per module (a few seconds) and draws the population once.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import DEFAULT_PROJECT_DIR
from openpyxl import load_workbook

from analysis.core.calendar import add_months
from analysis.simulation.population import project_parameters, simulate_population
from analysis.simulation.simulate import TRUTH_FILE, main, simulate

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "data" / "raw" / "motion-paa-recept"
SEED = 2019
ENCODINGS = {"csv-utf8-bom": "utf-8-sig", "csv-latin1": "latin-1", "csv-utf8": "utf-8"}


def norm(value: object) -> str:
    """The codebook's matching form: case-folded, spaces folded."""
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


@pytest.fixture(scope="module")
def codebook() -> dict:
    return yaml.safe_load((DEFAULT_PROJECT_DIR / "codebook.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("raw") / "motion-paa-recept"
    simulate(out, DEFAULT_PROJECT_DIR, SEED)
    return out


@pytest.fixture(scope="module")
def truth(generated) -> dict:
    return json.loads((generated / TRUTH_FILE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def population() -> tuple[pd.DataFrame, pd.DataFrame]:
    return simulate_population(project_parameters(DEFAULT_PROJECT_DIR), SEED)


def read_rows(path: Path) -> list[list[object]]:
    """All rows of a raw file (header first), cells as the file holds them."""
    if path.suffix == ".xlsx":
        workbook = load_workbook(path, read_only=True)
        rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
        return rows
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    return [[v if v != "" else None for v in r] for r in reader]


def read_table(path: Path, truth: dict) -> tuple[list[object], list[list[object]]]:
    """The header and data rows of a raw file: the truth record says where the header is and how many data
    rows follow it (title rows above and a totals row under them are left out)."""
    where = truth["files"][f"{path.parent.name}/{path.name}"]
    rows = read_rows(path)
    start = where["header_row"]
    return rows[start - 1], rows[start : start + where["data_rows"]]


# ------------------------------------------------------------------------------------ (a) reproducibility
def test_committed_raw_data_is_regenerated_byte_for_byte(generated):
    made = sorted(p.relative_to(generated).as_posix() for p in generated.rglob("*") if p.is_file())
    assert COMMITTED.is_dir(), "data/raw/motion-paa-recept is missing: run `make simulate`"
    committed = sorted(
        p.relative_to(COMMITTED).as_posix() for p in COMMITTED.rglob("*") if p.is_file() and not p.name.startswith(".")
    )
    assert made == committed
    changed = [name for name in made if (generated / name).read_bytes() != (COMMITTED / name).read_bytes()]
    assert not changed, f"regenerated files differ from the committed ones (run `make simulate`): {changed}"


def test_cli_subset_and_scale(tmp_path):
    args = [
        "--project-dir",
        str(DEFAULT_PROJECT_DIR),
        "--out",
        str(tmp_path),
        "--sites",
        "jammerbugt,assens",
        "--scale",
        "0.1",
        "--seed",
        "7",
    ]
    assert main(args) == 0
    record = json.loads((tmp_path / TRUTH_FILE).read_text(encoding="utf-8"))
    assert record["sites"] == ["assens", "jammerbugt"]
    assert {site: c["referred"] for site, c in record["counts"].items()} == {"assens": 21, "jammerbugt": 19}
    assert sorted(p.name for p in (tmp_path / "jammerbugt").iterdir()) == [
        "register.xlsx",
        "survey_baseline.csv",
        "survey_end.csv",
        "survey_followup.csv",
    ]
    assert main(["--project-dir", str(DEFAULT_PROJECT_DIR), "--out", str(tmp_path), "--sites", "nowhere"]) == 2


def test_population_is_deterministic_and_identity_free_mode_agrees(population):
    participants, responses = population
    again, again_responses = simulate_population(project_parameters(DEFAULT_PROJECT_DIR), SEED)
    pd.testing.assert_frame_equal(participants, again)
    pd.testing.assert_frame_equal(responses, again_responses)
    lean, lean_responses = simulate_population(project_parameters(DEFAULT_PROJECT_DIR), SEED, identities=False)
    identity = ["participant_id", "cpr", "name", "phone", "email", "remark"]
    pd.testing.assert_frame_equal(participants.drop(columns=identity), lean.drop(columns="participant_id"))
    assert lean_responses["who5_pct"].equals(responses["who5_pct"])


# ------------------------------------------------------------------------------------ (b) known truth
def test_programme_size_and_subsidy_design(population):
    participants, _ = population
    params = project_parameters(DEFAULT_PROJECT_DIR)
    assert len(participants) == 2378
    assert participants["site"].nunique() == 9 == len(params.sites)
    subsidised = {s.site for s in params.sites if any(m > 0 for _, m in s.subsidy_rules)}
    assert len(subsidised) == 7
    assert set(participants.loc[participants["subsidy_months"] > 0, "site"]) == subsidised
    changed = [s for s in params.sites if len({m for _, m in s.subsidy_rules}) > 1]
    assert changed, "no site changed its subsidy rule"
    for spec in changed:
        started = participants[(participants["site"] == spec.site) & participants["start_date"].notna()]
        assert started["subsidy_months"].nunique() >= 2


def test_health_track_retains_better_than_employment(population):
    participants, _ = population
    started = participants[participants["start_date"].notna()]
    active = started["end_date"].isna().groupby(started["referral_track"]).mean()
    start_rate = participants["start_date"].notna().groupby(participants["referral_track"]).mean()
    assert active["health"] > active["employment"] + 0.1
    assert start_rate["health"] > start_rate["employment"]


def test_active_at_extraction_in_the_eight_reporting_sites_is_near_888(population, truth):
    participants, _ = population
    reporting = participants[participants["end_status_reported"]]
    assert reporting["site"].nunique() == 8
    active = int((reporting["start_date"].notna() & reporting["end_date"].isna()).sum())
    assert abs(active - 888) <= 45
    assert truth["totals"]["active_at_extraction_reporting_sites"] == active


def test_dates_are_consistent(population):
    p, _ = population
    extraction = pd.Timestamp(project_parameters(DEFAULT_PROJECT_DIR).extraction_date)
    assert (p["start_date"].dropna() >= p.loc[p["start_date"].notna(), "referral_date"]).all()
    ended = p[p["end_date"].notna()]
    assert (ended["end_date"] >= ended["start_date"]).all()
    assert (ended["last_contact_date"] >= ended["end_date"]).all()  # no event after the last contact
    assert (p["last_contact_date"].dropna() <= extraction).all()
    never = p[p["start_date"].isna()]
    assert never[["end_date", "last_contact_date", "subsidy_end_date"]].isna().all().all()
    planned = p[p["subsidy_end_date"].notna()]
    expected = add_months(
        planned["start_date"].to_numpy().astype("datetime64[D]"), planned["subsidy_months"].to_numpy(dtype="int64")
    )
    assert (planned["subsidy_end_date"].to_numpy().astype("datetime64[D]") == expected).all()
    assert p["dropout_reason"].notna().equals(p["end_date"].notna())


def test_re_referrals_keep_the_person_and_follow_the_first_enrolment(population):
    p, _ = population
    seconds = p[p["enrolment"] == 2]
    assert 10 <= len(seconds) <= 45 and seconds["site"].nunique() >= 2
    firsts = p[p["enrolment"] == 1].set_index("cpr")
    for _, row in seconds.iterrows():
        first = firsts.loc[row["cpr"]]
        assert first["site"] == row["site"] and first["participant_id"] == row["participant_id"]
        ended = first["end_date"] if pd.notna(first["end_date"]) else first["referral_date"]
        assert row["referral_date"] > ended
    assert p.loc[p["enrolment"] == 1, "cpr"].is_unique


def test_substitute_cpr_numbers_carry_age_sex_and_pseudonym(population):
    p, _ = population
    assert p["cpr"].str.fullmatch(r"(6[1-9]|[78]\d|9[01])(0[1-9]|1[0-2])\d{2}-\d{4}").all()
    digits = p["cpr"].str.replace("-", "")
    year = digits.str[4:6].astype(int) + np.where(digits.str[6].astype(int) <= 3, 1900, 2000)
    assert ((digits.str[6].astype(int) == 4) == (year >= 2000)).all()
    born = pd.to_datetime(
        pd.DataFrame({"year": year, "month": digits.str[2:4].astype(int), "day": digits.str[0:2].astype(int) - 60})
    )
    ref = p["referral_date"]
    age = (
        ref.dt.year
        - born.dt.year
        - ((ref.dt.month < born.dt.month) | ((ref.dt.month == born.dt.month) & (ref.dt.day < born.dt.day)))
    )
    assert (age == p["age"]).all() and p["age"].between(18, 80).all()
    assert ((digits.str[9].astype(int) % 2 == 1) == (p["sex"] == "male")).all()
    assert 0.55 <= (p["sex"] == "female").mean() <= 0.65
    key = project_parameters(DEFAULT_PROJECT_DIR).pseudonym_key.encode()
    for cpr, pid in zip(p["cpr"][:50], p["participant_id"][:50], strict=True):
        assert pid == hmac.new(key, cpr.replace("-", "").encode(), hashlib.sha256).hexdigest()[:24]


def _due_enrolments(p: pd.DataFrame) -> pd.DataFrame:
    """Enrolments whose three waves all fall before extraction and that have no later re-referral."""
    once = ~p["participant_id"].duplicated(keep=False)
    return p[once & (p["referral_date"] <= pd.Timestamp("2022-06-30"))]


def test_response_falls_over_waves_and_is_lower_among_leavers(population):
    p, r = population
    due = _due_enrolments(p)
    answered = {
        wave: due["participant_id"].isin(r.loc[r["wave"] == wave, "participant_id"])
        for wave in ("baseline", "end", "followup")
    }
    rates = {wave: a.mean() for wave, a in answered.items()}
    assert rates["baseline"] > rates["end"] > rates["followup"]
    assert 0.75 <= rates["baseline"] <= 0.9 and 0.2 <= rates["followup"] <= 0.5
    left = due["start_date"].isna() | due["end_date"].notna()
    for wave in ("end", "followup"):
        assert answered[wave][left].mean() < answered[wave][~left].mean() - 0.05


def test_who5_improves_and_job_readiness_is_employment_only(population):
    p, r = population
    pct = r.groupby("wave")["who5_pct"].mean()
    assert 42 <= pct["baseline"] <= 54 and pct["end"] > pct["baseline"] + 3
    assert r["who5_pct"].dropna().between(0, 100).all() and (r["who5_pct"].dropna() % 4 == 0).all()
    tracks = r.merge(p[["participant_id", "enrolment", "referral_track"]], on=["participant_id", "enrolment"])
    assert (tracks.loc[tracks["job_readiness"].notna(), "referral_track"] == "employment").all()


def test_cost_dropouts_concentrate_after_subsidy_end(population):
    p, _ = population
    dropouts = p[p["end_date"].notna()]
    after = dropouts["subsidy_end_date"].notna() & (dropouts["end_date"] >= dropouts["subsidy_end_date"])
    cost = dropouts["dropout_reason"] == "cost"
    assert cost[after].mean() > 3 * cost[~after].mean()
    assert cost[after].mean() > 0.3


# ------------------------------------------------------------------------------------ (c) the codebook
def _header_lookup(codebook: dict, section: str) -> dict[str, str]:
    table = {norm(h): column for column, spellings in codebook[section]["columns"].items() for h in spellings}
    table.update({norm(h): "__drop__" for h in codebook[section]["drop"]})
    return table


def _labels(mapping: dict) -> set[str]:
    return {norm(s) for canonical, spellings in mapping.items() for s in [canonical, *(spellings or [])]}


def _faulted_cells(truth: dict) -> set[tuple[str, str, int, str]]:
    return {(f["site"], f["file"], f["row"], f["column"]) for f in truth["faults"] if f["column"]}


def _allowed_values(codebook: dict, coding: str) -> dict[str, object]:
    """Canonical column -> the normalised values it may hold (a set) or a (lo, hi) numeric range."""
    labels = codebook["labels"]
    allowed: dict[str, object] = {
        "referral_track": _labels(labels["referral_track"]),
        "dropout_reason": _labels(labels["dropout_reason"]),
        "team_type": _labels(labels["team_type"]),
        "accompanied": _labels(labels["boolean"]),
        "association": _labels(codebook["associations"]),
        "activity": _labels(codebook["activities"]),
    }
    missing = {norm(m) for m in codebook["missing"]}
    for column, scale_name in codebook["survey"]["scale_of"].items():
        scale = codebook["scales"][scale_name]
        if "range" in scale:
            allowed[column] = tuple(scale["range"])
        elif coding == "labels":
            allowed[column] = _labels(scale["labels"]) | missing
        else:
            allowed[column] = {norm(c) for c in scale["codes"]} | missing
    return allowed


def _is_allowed(value: object, allowed: object) -> bool:
    if isinstance(allowed, tuple):
        text = norm(value)
        return text in ("", "ved ikke") or allowed[0] <= float(text.replace(",", ".")) <= allowed[1]
    return norm(value) in allowed


def test_every_header_and_label_is_in_the_codebook(generated, truth, codebook):
    faulted = _faulted_cells(truth)
    coding = {
        row["site"]: row["survey_coding"]
        for row in csv.DictReader(
            (DEFAULT_PROJECT_DIR / "sites.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t"
        )
    }
    for path in sorted(generated.glob("*/*.*")):
        site, section = path.parent.name, "register" if path.stem == "register" else "survey"
        header, body = read_table(path, truth)
        start = truth["files"][f"{site}/{path.name}"]["header_row"] + 1
        lookup = _header_lookup(codebook, section)
        assert not [h for h in header if norm(h) not in lookup], f"{path}: header not in the codebook"
        allowed = _allowed_values(codebook, coding[site])
        checked = [(i, h, allowed[lookup[norm(h)]]) for i, h in enumerate(header) if lookup[norm(h)] in allowed]
        for line, row in enumerate(body, start=start):
            for i, name, values in checked:
                if row[i] is not None and (site, path.name, line, name) not in faulted:
                    assert _is_allowed(row[i], values), f"{path} row {line}: {name} = {row[i]!r}"


def test_file_formats_follow_the_site_styles(generated, truth):
    assert (generated / "assens" / "survey_end.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (generated / "jammerbugt" / "survey_end.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    latin = (generated / "viborg" / "survey_end.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        latin.decode("utf-8")
    assert b"\r\n" in latin and latin.decode("latin-1").splitlines()[0].count(";") >= 10
    register = read_rows(generated / "guldborgsund" / "register.xlsx")
    referral = register[0].index("Henvisningsdato")
    assert all(isinstance(row[referral], int) for row in register[1:])  # Excel serial numbers
    fredensborg = read_rows(generated / "fredensborg" / "register.xlsx")
    column = fredensborg[0].index(
        next(h for h in fredensborg[0] if h in ("Henvist dato", "Henvisningsdato", "Dato for henvisning"))
    )
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d\d", row[column]) for row in fredensborg[1:] if row[column])
    jammerbugt, body = read_table(generated / "jammerbugt" / "register.xlsx", truth)
    assert not {"Udmeldt", "Stoppet dato", "Slutdato", "Årsag til stop", "Stopårsag"} & set(jammerbugt)
    # a title, a note and a blank row above the header; an "I alt" row counting the people under the data
    rows = read_rows(generated / "jammerbugt" / "register.xlsx")
    assert [r[0] for r in rows[:3]] == ["Henvisninger til brobygning", "Udtræk til evaluering", None]
    assert rows[3] == jammerbugt and rows[4 + len(body)][:2] == ["I alt", len(body)]
    referral = jammerbugt.index(
        next(h for h in jammerbugt if h in ("Henvist dato", "Henvisningsdato", "Dato for henvisning"))
    )
    months = "jan.|feb.|mar.|apr.|maj|jun.|jul.|aug.|sep.|okt.|nov.|dec."
    assert all(re.fullmatch(rf"\d{{1,2}}\. ({months}) \d{{4}}", row[referral]) for row in body if row[referral])
    viborg, body = read_table(generated / "viborg" / "register.xlsx", truth)
    referral = viborg.index(next(h for h in viborg if h in ("Henvist dato", "Henvisningsdato", "Dato for henvisning")))
    assert all(re.fullmatch(r"\d{1,2}\. [a-z]+ \d{4}", row[referral]) for row in body if row[referral])


# ------------------------------------------------------------------------------------ planted faults
def test_planted_faults_point_at_the_cells_they_describe(generated, truth):
    kinds = {f["kind"] for f in truth["faults"]}
    assert {
        "duplicate_registration",
        "re_referral",
        "end_before_start",
        "missing_cpr",
        "malformed_cpr",
        "cpr_without_hyphen",
        "cpr_with_space",
        "respondent_not_in_register",
        "duplicate_response",
        "out_of_range_answer",
        "misspelt_association",
    } <= kinds
    files = {}
    for fault in truth["faults"]:
        where = (fault["site"], fault["file"])
        if where not in files:
            files[where] = read_rows(generated / fault["site"] / fault["file"])
        rows = files[where]
        header_row = truth["files"][f"{fault['site']}/{fault['file']}"]["header_row"]
        if fault["kind"] == "totals_row":
            assert rows[fault["row"] - 1][0] == "I alt", fault
            continue
        row = dict(zip(rows[header_row - 1], rows[fault["row"] - 1], strict=True))
        if fault["kind"] in (
            "cpr_without_hyphen",
            "cpr_with_space",
            "malformed_cpr",
            "misspelt_association",
            "respondent_not_in_register",
            "out_of_range_answer",
        ):
            assert str(row[fault["column"]]) == fault["raw_value"], fault
        if fault["kind"] == "missing_cpr":
            assert row[fault["column"]] is None
        if fault["kind"] == "duplicate_registration":
            assert fault["row"] > fault["original_row"]
            assert rows[fault["row"] - 1] == rows[fault["original_row"] - 1]
    sites_with = {kind: {f["site"] for f in truth["faults"] if f["kind"] == kind} for kind in kinds}
    assert len(sites_with["duplicate_registration"]) == 3 and len(sites_with["re_referral"]) >= 2
    assert len(sites_with["end_before_start"]) == 2 and len(sites_with["missing_cpr"]) == 2
    assert len(sites_with["malformed_cpr"]) == 2


def test_truth_counts_exclude_planted_rows(truth):
    assert truth["totals"]["referred"] == 2378
    planted = {"duplicate_registration", "end_before_start", "missing_cpr", "malformed_cpr"}
    for site, counts in truth["counts"].items():
        extra = sum(1 for f in truth["faults"] if f["site"] == site and f["kind"] in planted)
        assert truth["files"][f"{site}/register.xlsx"]["data_rows"] == counts["referred"] + extra
    assert date.fromisoformat(truth["parameters"]["extraction_date"]) == date(2023, 12, 31)
