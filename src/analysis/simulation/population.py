"""The synthetic truth of a bridging programme: who was referred, who started, who left, what they answered.

Everything is drawn from `numpy.random.default_rng(seed)` in a fixed order (identity text from a child
stream spawned from it), so the same parameters and seed give the same tables on every machine; no clock
is ever read. All work is vectorised
over enrolments (the only Python loops run over calendar months, sites and lockdowns), so 98 sites x 5,000
participants take seconds.

The dropout model is the estimand of the pipeline. Time runs in calendar months m = 1, 2, ... from the
start date in the association, and the monthly hazard h satisfies

    cloglog(h) = alpha_m + b_track + b_post * post_subsidy(m) + b_lock * lockdown(m) + u_site

with post_subsidy(m) = 1{m > planned subsidy months} for subsidised enrolments, lockdown(m) = the month
overlaps an association lockdown, and b_post = log(1.8) by default. Dropouts are observed up to each
person's last follow-up contact (a call within the 60 days before extraction, earlier for the ~5 % lost to
follow-up), so no event after the last contact is ever recorded.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from math import log
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.clean.pseudonym import PSEUDONYM_HEX_DIGITS
from analysis.core.calendar import NAT, add_months, as_day, from_month_parts, in_any_period, month_parts, ymd
from analysis.core.vocabulary import DROPOUT_REASONS, PARTICIPANT_DTYPES, RESPONSE_DTYPES, WAVES, WHO5_ITEMS

TRACKS = ("health", "employment", "self", "other")
SIMULATION_FILE = "simulation.yaml"  # a project's simulation parameters, beside its config.yaml

PARTICIPANT_COLUMNS = PARTICIPANT_DTYPES
RESPONSE_COLUMNS = RESPONSE_DTYPES
IDENTITY_COLUMNS = ("cpr", "name", "phone", "email", "remark")  # raw-only: never reach data/processed
RESPONSE_IDENTITY_COLUMNS = ("cpr", "name", "email", "remark")


# --------------------------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class SiteSpec:
    """One site (municipality) of the programme as the simulator sees it.

    `subsidy_rules` are (in force from, planned months) pairs; the rule in force at the start date decides
    a person's planned subsidy. `track_mix` gives the shares of health, employment, self and other
    referrals (summing to 1). `site_effect` is u_site on the cloglog scale. `associations` pairs each
    association with the activities it offers; the first association takes 60 % of the enrolments.
    `subsidy_exception_share` is the share whose register records an individual plan that differs from the
    rule (only sensible where the register has a subsidy column).

    `teams` (association, activity, started) fixes exactly how many enrolments start on each team; when
    given, exactly that many of the site's enrolments start (drawn with the track's start probability as
    weight), each on one team, and those who never start have no association. `start_delay_days` and
    `response_probability` (per wave) override the programme-wide values for this site; a wave with
    response probability 0 is not surveyed at the site (no export is written).
    """

    site: str
    n: int
    subsidy_rules: tuple[tuple[date, int], ...]
    reports_end_status: bool
    track_mix: tuple[float, float, float, float]
    site_effect: float
    bridging_model: str = "brobygger"
    associations: tuple[tuple[str, tuple[str, ...]], ...] = (("Forening", ("Gymnastik",)),)
    subsidy_exception_share: float = 0.0
    teams: tuple[tuple[str, str, int], ...] = ()
    start_delay_days: tuple[int, int] | None = None
    response_probability: dict[str, float] | None = None
    log_hr_post_subsidy: float | None = None  # this site's own subsidy-end effect (None: the programme's)


@dataclass(frozen=True)
class SimulationParameters:
    """All true parameters of the synthetic world. Treat as immutable; vary with dataclasses.replace()."""

    sites: tuple[SiteSpec, ...]
    log_hr_post_subsidy: float = log(1.8)
    # alpha_m for months 1..len; later months reuse the last value.
    baseline_cloglog: tuple[float, ...] = ()
    track_effects: dict[str, float] = field(
        default_factory=lambda: {"health": 0.0, "employment": 0.45, "self": 0.15, "other": 0.25}
    )
    start_probability: dict[str, float] = field(
        default_factory=lambda: {"health": 0.85, "employment": 0.65, "self": 0.90, "other": 0.75}
    )
    log_hr_lockdown: float = log(1.5)
    # SD of independent normal shocks per site and calendar month on the cloglog scale (0: none drawn)
    site_month_shock_sd: float = 0.0
    lockdowns: tuple[tuple[date, date], ...] = ()
    referral_period: tuple[date, date] = (date(2019, 12, 1), date(2023, 6, 30))
    extraction_date: date = date(2023, 12, 31)
    referral_weight_in_lockdown: float = 0.35
    start_delay_days: tuple[int, int] = (7, 42)
    restart_after_lockdown_days: tuple[int, int] = (1, 14)
    p_accompanied: float = 0.40
    p_new_team: float = 0.25
    p_female: float = 0.60
    age_range: tuple[int, int] = (18, 80)
    p_re_referral: float = 0.01
    p_lost_to_followup: float = 0.05
    last_contact_window_days: int = 60
    course_weeks: int = 12
    followup_months: int = 12
    waves: tuple[str, ...] = tuple(WAVES)
    wave_window_days: dict[str, int] = field(default_factory=lambda: {"baseline": 14, "end": 21, "followup": 30})
    response_probability: dict[str, float] = field(
        default_factory=lambda: {"baseline": 0.85, "end": 0.65, "followup": 0.45}
    )
    response_logit_not_engaged: float = -1.0
    who5_baseline_pct: tuple[float, float] = (48.0, 18.0)
    who5_change_pct: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"baseline": (0.0, 0.0), "end": (8.0, 3.0), "followup": (7.0, 2.0)}
    )
    p_item_missing: float = 0.02
    p_cost_after_subsidy: float = 0.45
    p_cost_during_subsidy: float = 0.05
    p_cost_unsubsidised: float = 0.10
    other_reason_weights: dict[str, float] = field(
        default_factory=lambda: {
            "health": 0.18,
            "pain": 0.10,
            "mental": 0.12,
            "own_exercise": 0.16,
            "moved": 0.05,
            "time": 0.14,
            "other": 0.07,
            "unknown": 0.18,
        }
    )
    pseudonym_key: str = "brobygning-demo-key-not-secret"

    def to_jsonable(self) -> dict:
        """The parameters as JSON-ready plain data (dates as ISO strings, tuples as lists); the validation-only
        settings appear only when set, so worlds without them are written as before."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        if not self.site_month_shock_sd:
            del values["site_month_shock_sd"]
        return _jsonable(values)


def _jsonable(value: object) -> object:
    if isinstance(value, SiteSpec):
        fields = [
            n for n in value.__dataclass_fields__ if n != "log_hr_post_subsidy" or value.log_hr_post_subsidy is not None
        ]
        return {name: _jsonable(getattr(value, name)) for name in fields}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 10)
    return value


def declining_baseline(level: float, slope: float, months: int = 60) -> tuple[float, ...]:
    """alpha_m = level + slope * log(m) for m = 1..months (slope < 0: the first months are riskiest)."""
    return tuple(round(level + slope * log(m), 6) for m in range(1, months + 1))


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


_SITE_FIELDS = {
    "n",
    "track_mix",
    "site_effect",
    "associations",
    "subsidy_exception_share",
    "teams",
    "start_delay_days",
    "response_probability",
}


def _site_spec(row: dict, rules: list[dict], settings: dict) -> SiteSpec:
    """A SiteSpec from the site sheet row, the config's subsidy rules and the site's simulation settings."""
    unknown = sorted(set(settings) - _SITE_FIELDS - {"style"})
    if unknown:
        raise ValueError(f"{SIMULATION_FILE}: site '{row['site']}' has unknown settings {', '.join(unknown)}")
    fields = {k: v for k, v in settings.items() if k in _SITE_FIELDS}
    if "track_mix" in fields:
        fields["track_mix"] = tuple(float(x) for x in fields["track_mix"])
    if "associations" in fields:
        fields["associations"] = tuple(
            (str(name), tuple(str(a) for a in activities)) for name, activities in fields["associations"].items()
        )
    if "teams" in fields:
        fields["teams"] = tuple((str(t["association"]), str(t["activity"]), int(t["started"])) for t in fields["teams"])
    if "start_delay_days" in fields:
        fields["start_delay_days"] = tuple(int(d) for d in fields["start_delay_days"])
    return SiteSpec(
        site=row["site"],
        subsidy_rules=tuple((_as_date(r["from"]), int(r["months"])) for r in rules),
        bridging_model=row["bridging_model"],
        reports_end_status=row["reports_end_status"].strip().lower() == "true",
        **fields,
    )


def _overrides(values: dict) -> dict:
    """SimulationParameters overrides from YAML: dates parsed, lists as tuples, unknown names refused."""
    known = SimulationParameters.__dataclass_fields__
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"{SIMULATION_FILE}: unknown parameters {', '.join(unknown)}")
    out = {}
    for name, value in values.items():
        if name == "referral_period":
            value = tuple(_as_date(v) for v in value)
        elif isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        out[name] = value
    return out


def read_simulation_settings(project_dir: str | Path) -> dict:
    """The project's simulation.yaml (ValueError naming the file when it is missing)."""
    path = Path(project_dir) / SIMULATION_FILE
    if not path.exists():
        raise ValueError(f"{path}: no simulation parameters for this project (the simulator needs this file)")
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def project_parameters(project_dir: str | Path) -> SimulationParameters:
    """True parameters of a project's synthetic world.

    Dates, waves, lockdowns, subsidy rules, bridging models, end-status reporting and the demo pseudonym key
    are read from the project's config.yaml and sites.tsv, so the simulator and the cleaner share one source;
    site sizes, referral mixes, site effects, associations and the baseline hazard come from the project's
    simulation.yaml, whose `parameters` may override any other field of SimulationParameters.
    """
    project_dir = Path(project_dir)
    config = yaml.safe_load((project_dir / "config.yaml").read_text(encoding="utf-8"))
    settings = read_simulation_settings(project_dir)
    with open(project_dir / "sites.tsv", encoding="utf-8", newline="") as handle:
        sheet = list(csv.DictReader(handle, delimiter="\t"))
    site_settings = settings.get("sites", {})
    missing = [row["site"] for row in sheet if row["site"] not in site_settings]
    if missing:
        raise ValueError(f"{project_dir / SIMULATION_FILE}: no settings for site(s) {', '.join(missing)}")
    sites = tuple(
        _site_spec(row, config.get("subsidy_rules", {}).get(row["site"], []), site_settings[row["site"]])
        for row in sheet
    )
    baseline = settings.get("baseline", {})
    return SimulationParameters(
        **{
            "sites": sites,
            "baseline_cloglog": declining_baseline(float(baseline["level"]), float(baseline["slope"])),
            "lockdowns": tuple((_as_date(p["start"]), _as_date(p["end"])) for p in config.get("lockdowns", [])),
            "extraction_date": _as_date(config["extraction_date"]),
            "course_weeks": int(config["course_weeks"]),
            "followup_months": int(config["followup_months"]),
            "waves": tuple(config["waves"]),
            "pseudonym_key": str(config["pseudonym"]["demo_key"]),
            **_overrides(settings.get("parameters") or {}),
        }
    )


def age_in_years(born: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years of age on each date (birthdays counted on the calendar day)."""
    by, bm, bd = ymd(born)
    oy, om, od = ymd(on)
    return oy - by - ((om < bm) | ((om == bm) & (od < bd))).astype("int64")


def _uniform_days(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    """Whole numbers of days drawn uniformly from low..high inclusive."""
    return rng.integers(low, high + 1, size=n).astype("timedelta64[D]")


# ------------------------------------------------------------------------------------------ the people
_FEMALE = (
    "Anne",
    "Kirsten",
    "Mette",
    "Hanne",
    "Helle",
    "Anna",
    "Susanne",
    "Lene",
    "Maria",
    "Marianne",
    "Lone",
    "Camilla",
    "Pia",
    "Louise",
    "Charlotte",
    "Tina",
    "Gitte",
    "Bente",
    "Inge",
    "Karen",
    "Sofie",
    "Ida",
    "Emma",
    "Julie",
    "Laura",
    "Signe",
    "Line",
    "Rikke",
    "Birgitte",
    "Jette",
    "Dorthe",
    "Lise",
    "Heidi",
    "Tanja",
    "Nadia",
    "Sara",
    "Fatima",
    "Amalie",
    "Freja",
    "Søs",
)
_MALE = (
    "Peter",
    "Jens",
    "Lars",
    "Michael",
    "Henrik",
    "Thomas",
    "Søren",
    "Jan",
    "Niels",
    "Anders",
    "Morten",
    "Jesper",
    "Martin",
    "Mads",
    "Rasmus",
    "Christian",
    "Ole",
    "Per",
    "Hans",
    "Jørgen",
    "Kim",
    "Brian",
    "Bo",
    "Torben",
    "Frederik",
    "Mikkel",
    "Jonas",
    "Emil",
    "Oliver",
    "Kasper",
    "Allan",
    "Carsten",
    "René",
    "Steen",
    "Flemming",
    "Ahmad",
    "Ali",
    "Kenneth",
    "Jakob",
    "Simon",
)
_SURNAMES = (
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Christiansen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Knudsen",
    "Jakobsen",
    "Mikkelsen",
    "Frederiksen",
    "Lund",
    "Holm",
    "Schmidt",
    "Eriksen",
    "Kristiansen",
    "Simonsen",
    "Clausen",
    "Svendsen",
    "Andreasen",
    "Iversen",
    "Østergaard",
    "Jeppesen",
    "Vestergaard",
    "Nissen",
    "Lauridsen",
    "Kjær",
    "Dam",
    "Bech",
    "Friis",
    "Mogensen",
    "Winther",
    "Skov",
    "Bak",
    "Ahmed",
    "Yilmaz",
    "Kaya",
)
_MAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved for examples (RFC 2606)
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})

_REMARKS = (
    "",
    "",
    "",
    "",
    "",
    "",
    "Ringet {d}/{m}, går fint",
    "Ringet {d}/{m}, ingen svar",
    "Sms sendt {d}/{m}",
    "Talt med {who}, glad for holdet",
    "Træner {who} siger det går godt",
    "Ønsker at skifte hold",
    "Mangler transport",
    "Har knæproblemer, træner forsigtigt",
    "Ledsaget af {who} første gang",
    "Aftalt opfølgning med {who} fra jobcentret",
    "Glad for fællesskabet",
    "Ringet {d}/{m}, vil gerne fortsætte",
)
_COMMENTS = (
    "Dejligt hold",
    "Det har hjulpet mig meget",
    "Savner mere fleksible tider",
    "Kontingentet er for dyrt nu",
    "Træneren er god",
    "For hårdt i starten",
    "Jeg har fået nye venner",
    "Godt tilbud; fortsæt sådan",
    "Ring gerne til mig - {who}",
    "Har haft ondt i ryggen",
    "Svært at komme afsted om vinteren",
)


def substitute_cprs(
    rng: np.random.Generator, born: np.ndarray, male: np.ndarray, taken: set[str] | frozenset[str] = frozenset()
) -> np.ndarray:
    """Unique substitute CPR numbers DDMMYY-SSSS (day + 60) for the given birth dates and sexes.

    Guarantees: DD in 61..91; the 7th digit is 0-3 for births 1900-1999 and 4 for 2000-2036; the last
    digit is odd for men and even for women; no number repeats or is in `taken` (any spelling).
    """
    n = len(born)
    years, months, dom = ymd(born)
    if np.any((years < 1900) | (years > 2036)):
        raise ValueError("substitute CPR numbers are only drawn for births 1900-2036")
    head = ((dom + 60) * 100 + months) * 100 + years % 100
    blocked = np.array(sorted(int(t.replace("-", "").replace(" ", "")) for t in taken), dtype="int64")
    number = np.zeros(n, dtype="int64")
    redo = np.ones(n, dtype=bool)
    while redo.any():
        idx = np.flatnonzero(redo)
        century = np.where(years[idx] >= 2000, 4, rng.integers(0, 4, size=len(idx)))
        last = 2 * rng.integers(0, 5, size=len(idx)) + male[idx].astype("int64")
        number[idx] = head[idx] * 10_000 + century * 1000 + rng.integers(0, 100, size=len(idx)) * 10 + last
        _, first_index = np.unique(number, return_index=True)
        redo = np.ones(n, dtype=bool)
        redo[first_index] = False
        redo |= np.isin(number, blocked)
    return _concat(_digit_strings(number // 10_000, 6), "-", _digit_strings(number % 10_000, 4))


def _fill_templates(templates: tuple[str, ...], choice: np.ndarray, fields: dict[str, np.ndarray]) -> np.ndarray:
    """Free text: row i gets templates[choice[i]] with each {field} replaced by fields[field][i]
    (choice -1 gives an empty text). Vectorised per template."""
    out = np.full(len(choice), "", dtype=object)
    for k, template in enumerate(templates):
        rows = np.flatnonzero(choice == k)
        if len(rows) == 0 or template == "":
            continue
        pieces = [
            part if i % 2 == 0 else fields[part][rows].astype(str)
            for i, part in enumerate(re.split(r"\{(\w+)\}", template))
            if part != "" or i % 2
        ]
        out[rows] = _concat(np.full(len(rows), ""), *pieces).astype(object)
    return out


def _digit_strings(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded decimal strings of a fixed width (no per-item formatting)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype="int64")
    codes = (np.asarray(values, dtype="int64")[:, None] // powers % 10 + ord("0")).astype("uint8")
    return np.ascontiguousarray(codes).view(f"S{width}").ravel().astype(f"U{width}")


def _concat(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise string concatenation of numpy string arrays (and plain strings)."""
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def _mail_form(names: tuple[str, ...]) -> np.ndarray:
    return np.array([n.translate(_ASCII).lower() for n in names])


def draw_identities(rng: np.random.Generator, male: np.ndarray) -> dict[str, np.ndarray]:
    """Names, phone numbers and e-mail addresses; phone numbers start with 1, which Danish numbering never
    gives a subscriber, and e-mail domains are the reserved example domains, so no real person is hit."""
    n = len(male)
    female_pick, male_pick = rng.integers(0, len(_FEMALE), n), rng.integers(0, len(_MALE), n)
    last_pick = rng.integers(0, len(_SURNAMES), n)
    middle_pick = (last_pick + rng.integers(1, len(_SURNAMES), n)) % len(_SURNAMES)  # never the last name
    first = np.where(male, np.array(_MALE)[male_pick], np.array(_FEMALE)[female_pick])
    mail_first = np.where(male, _mail_form(_MALE)[male_pick], _mail_form(_FEMALE)[female_pick])
    last, middle = np.array(_SURNAMES)[last_pick], np.array(_SURNAMES)[middle_pick]
    name = np.where(rng.random(n) < 0.12, _concat(first, " ", middle, " ", last), _concat(first, " ", last))
    phone = _concat("1", _digit_strings(rng.integers(0, 10_000_000, n), 7))
    suffix = np.strings.lstrip(_digit_strings(rng.integers(1, 100, n), 2), "0")
    number = np.where(rng.random(n) < 0.4, suffix, "")
    domain = np.array(_MAIL_DOMAINS)[rng.integers(0, len(_MAIL_DOMAINS), n)]
    email = _concat(mail_first, ".", _mail_form(_SURNAMES)[last_pick], number, "@", domain)
    return {"first": first, "name": name, "phone": phone, "email": email}


# ------------------------------------------------------------------------------------ the enrolments
def _site_table(params: SimulationParameters) -> dict[str, np.ndarray]:
    """Per-site arrays in site order (n, cumulative track mix, site effect, end-status flag)."""
    mix = np.array([s.track_mix for s in params.sites], dtype=float)
    if np.any(np.abs(mix.sum(axis=1) - 1) > 1e-9):
        raise ValueError("every site's track_mix must sum to 1")
    return {
        "n": np.array([s.n for s in params.sites], dtype="int64"),
        "cum_mix": np.cumsum(mix, axis=1),
        "effect": np.array([s.site_effect for s in params.sites], dtype=float),
        "reports": np.array([s.reports_end_status for s in params.sites], dtype=bool),
    }


def _draw_referrals(params: SimulationParameters, rng: np.random.Generator, n: int) -> np.ndarray:
    """Referral days over the referral period, uniform except fewer during lockdowns."""
    first, last = (as_day(d) for d in params.referral_period)
    days = np.arange(first, last + 1, dtype="datetime64[D]")
    weight = np.where(in_any_period(days, days, params.lockdowns), params.referral_weight_in_lockdown, 1.0)
    return rng.choice(days, size=n, p=weight / weight.sum())


def _draw_tracks(rng: np.random.Generator, cum_mix: np.ndarray) -> np.ndarray:
    """Track index (position in TRACKS) of each enrolment, from its site's cumulative mix."""
    u = rng.random(len(cum_mix))
    return np.minimum((u[:, None] > cum_mix).sum(axis=1), len(TRACKS) - 1)


def _draw_starts(
    params: SimulationParameters, rng: np.random.Generator, referral: np.ndarray, track: np.ndarray, site: np.ndarray
) -> np.ndarray:
    """Start day in the association (NaT = never started): start_delay_days after referral (the site's own
    range where it has one), moved to just after a lockdown's end when it falls inside one. At a site with
    fixed `teams`, exactly their total starts: those with the smallest draw / start probability."""
    n = len(referral)
    p_start = np.array([params.start_probability[t] for t in TRACKS])[track]
    draw = rng.random(n)
    started = draw < p_start
    start = referral + _uniform_days(rng, *params.start_delay_days, n)
    delay_after = _uniform_days(rng, *params.restart_after_lockdown_days, n)
    for k, spec in enumerate(params.sites):  # extra draws only for sites that have their own settings
        rows = np.flatnonzero(site == k)
        if spec.start_delay_days is not None:
            start[rows] = referral[rows] + _uniform_days(rng, *spec.start_delay_days, len(rows))
        if spec.teams:
            wanted = sum(count for _, _, count in spec.teams)
            if wanted > len(rows):
                raise ValueError(
                    f"site {spec.site}: its teams hold {wanted} starters, but it has only {len(rows)} enrolments"
                )
            order = rows[np.argsort(draw[rows] / p_start[rows], kind="stable")]
            started[rows] = False
            started[order[:wanted]] = True
    for first, last in sorted(params.lockdowns):
        inside = (start >= as_day(first)) & (start <= as_day(last))
        start = np.where(inside, as_day(last) + delay_after, start)
    return np.where(started, start, NAT)


def _planned_subsidy(
    params: SimulationParameters, rng: np.random.Generator, site: np.ndarray, start: np.ndarray, referral: np.ndarray
) -> np.ndarray:
    """Planned subsidy months: the site rule in force at the start (at referral if never started), except
    for a site's `subsidy_exception_share`, who got an individual plan (3 months more, or none)."""
    on = np.where(np.isnat(start), referral, start)
    months = np.zeros(len(site), dtype="int64")
    exception_share = np.zeros(len(site))
    for k, spec in enumerate(params.sites):
        mask = site == k
        rules = sorted(spec.subsidy_rules)
        if not rules:
            continue
        starts = np.array([as_day(r[0]) for r in rules])
        which = np.searchsorted(starts, on[mask], side="right") - 1
        months[mask] = np.where(which >= 0, np.array([r[1] for r in rules])[np.maximum(which, 0)], 0)
        exception_share[mask] = spec.subsidy_exception_share
    exception = (rng.random(len(site)) < exception_share) & (months > 0)
    alternative = np.where(rng.random(len(site)) < 0.5, months + 3, 0)
    return np.where(exception, alternative, months)


def _draw_latent_ends(
    params: SimulationParameters,
    rng: np.random.Generator,
    start: np.ndarray,
    fixed_effect: np.ndarray,
    planned: np.ndarray,
    post_effect: np.ndarray | None = None,
    shocks: np.ndarray | None = None,
    site: np.ndarray | None = None,
) -> np.ndarray:
    """First dropout day of each started enrolment under the monthly cloglog hazard (NaT = none by the
    extraction date). Month m is [start + (m-1) months, start + m months); the day is uniform inside it.
    Each month only those still at risk are drawn for, so the loop gets cheaper as it goes."""
    alpha = np.asarray(params.baseline_cloglog, dtype=float)
    if alpha.size == 0:
        raise ValueError("baseline_cloglog is empty")
    extraction = as_day(params.extraction_date)
    shocks_origin = month_parts(np.array([as_day(params.referral_period[0])]))[0][0]
    end = np.full(len(start), NAT)
    live = np.flatnonzero(~np.isnat(start))
    month0, offset0 = month_parts(np.where(np.isnat(start), extraction, start))
    post_effect = np.full(len(start), params.log_hr_post_subsidy) if post_effect is None else post_effect
    month = 1
    while len(live):
        first = from_month_parts(month0[live] + month - 1, offset0[live])
        keep = first <= extraction
        live, first = live[keep], first[keep]
        after = from_month_parts(month0[live] + month, offset0[live])
        post = (planned[live] > 0) & (month > planned[live])
        locked = in_any_period(first, after - 1, params.lockdowns)
        eta = (
            alpha[min(month, alpha.size) - 1]
            + fixed_effect[live]
            + post_effect[live] * post
            + params.log_hr_lockdown * locked
        )
        if shocks is not None:
            calendar = np.clip(month0[live] + month - 1 - shocks_origin, 0, shocks.shape[1] - 1)
            eta = eta + shocks[site[live], calendar]
        event = rng.random(len(live)) < -np.expm1(-np.exp(eta))
        length = (after[event] - first[event]).astype("int64")
        into = (rng.random(len(length)) * length).astype("int64").astype("timedelta64[D]")
        end[live[event]] = first[event] + into
        live = live[~event]
        month += 1
    return end


def _observe(
    params: SimulationParameters, rng: np.random.Generator, start: np.ndarray, latent_end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(end_date, last_contact_date) as the register sees them.

    Each started person's last follow-up contact lies 0..60 days before extraction, or (lost to follow-up)
    at a day between 30 days after the start and 61 days before extraction. A dropout is recorded only if
    it happened on or before that contact; its last contact is 0..21 days after the end (never after the
    censoring contact). Never-started enrolments have neither date.
    """
    n = len(start)
    extraction = as_day(params.extraction_date)
    started = ~np.isnat(start)
    safe_start = np.where(started, start, extraction)
    contact = extraction - _uniform_days(rng, 0, params.last_contact_window_days, n)
    lost_from = safe_start + np.timedelta64(30, "D")
    lost_until = extraction - np.timedelta64(params.last_contact_window_days + 1, "D")
    span = (lost_until - lost_from).astype("int64")
    lost = (rng.random(n) < params.p_lost_to_followup) & (span > 0)
    lost_day = lost_from + (rng.random(n) * np.maximum(span, 0)).astype("int64").astype("timedelta64[D]")
    contact = np.maximum(np.where(lost, lost_day, contact), safe_start)
    observed = started & ~np.isnat(latent_end) & (latent_end <= contact)
    after_end = np.minimum(latent_end + _uniform_days(rng, 0, 21, n), contact)
    end = np.where(observed, latent_end, NAT)
    last_contact = np.where(observed, after_end, np.where(started, contact, NAT))
    return end, last_contact


def _draw_reasons(
    params: SimulationParameters,
    rng: np.random.Generator,
    end: np.ndarray,
    subsidy_end: np.ndarray,
    site_subsidised: np.ndarray,
) -> np.ndarray:
    """Dropout reason index (position in DROPOUT_REASONS; -1 = no dropout). 'cost' is far more likely
    after the planned subsidy ended than during it, and in between for sites without subsidy."""
    n = len(end)
    post = ~np.isnat(subsidy_end) & (end >= subsidy_end)
    p_cost = np.where(
        post,
        params.p_cost_after_subsidy,
        np.where(site_subsidised, params.p_cost_during_subsidy, params.p_cost_unsubsidised),
    )
    others = np.array([params.other_reason_weights[r] for r in DROPOUT_REASONS[1:]], dtype=float)
    others = others / others.sum()
    probs = np.column_stack([p_cost, (1 - p_cost)[:, None] * others[None, :]])
    reason = (rng.random(n)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    return np.where(np.isnat(end), -1, np.minimum(reason, len(DROPOUT_REASONS) - 1))


def _draw_birth_dates(
    params: SimulationParameters, rng: np.random.Generator, referral: np.ndarray, track: np.ndarray
) -> np.ndarray:
    """Birth days giving an age within age_range at referral (employment referrals are younger)."""
    lo, hi = params.age_range
    employment = track == TRACKS.index("employment")
    share = rng.beta(np.where(employment, 1.6, 2.2), np.where(employment, 2.4, 1.8))
    years = lo + 0.01 + share * (hi + 1 - lo - 0.02)
    return referral - np.round(years * 365.2425).astype("int64").astype("timedelta64[D]")


def _link_re_referrals(
    params: SimulationParameters,
    rng: np.random.Generator,
    site: np.ndarray,
    referral: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    born: np.ndarray,
) -> np.ndarray:
    """For ~p_re_referral of each site's enrolments, the index of an earlier enrolment of the same person
    (-1 otherwise). The earlier one ended (or never started 60+ days before) at least 14 days before the
    later referral, and the person is still within age_range at the later referral."""
    previous = np.full(len(site), -1, dtype="int64")
    released = np.where(
        np.isnat(start), referral + np.timedelta64(60, "D"), np.where(np.isnat(end), NAT, end + np.timedelta64(14, "D"))
    )
    for k in range(len(params.sites)):
        ids = np.flatnonzero(site == k)
        candidates = ids[~np.isnat(released[ids])]
        count = min(rng.binomial(len(ids), params.p_re_referral), len(candidates))
        firsts = np.sort(rng.choice(candidates, size=count, replace=False)) if count else candidates[:0]
        pool = np.setdiff1d(ids, firsts)
        pool = pool[np.argsort(referral[pool], kind="stable")]
        position = np.searchsorted(referral[pool], released[firsts], side="right")
        spread = np.maximum(len(pool) - position, 0)
        pick = position + (rng.random(count) * spread).astype("int64")
        ok = position < len(pool)
        firsts, seconds = firsts[ok], pool[pick[ok]]
        ok = age_in_years(born[firsts], referral[seconds]) <= params.age_range[1]
        firsts, seconds = firsts[ok], seconds[ok]
        _, unique_at = np.unique(seconds, return_index=True)
        previous[seconds[unique_at]] = firsts[unique_at]
    return previous


def _next_referral(previous: np.ndarray, referral: np.ndarray) -> np.ndarray:
    """Referral day of the person's next enrolment (NaT if none)."""
    following = np.full(len(previous), NAT)
    linked = np.flatnonzero(previous >= 0)
    following[previous[linked]] = referral[linked]
    return following


# ------------------------------------------------------------------------------------------ responses
def response_probabilities(params: SimulationParameters, wave: str) -> np.ndarray:
    """Each site's base response probability for a wave (its own where it has one; 0 = not surveyed)."""
    return np.array(
        [(spec.response_probability or {}).get(wave, params.response_probability[wave]) for spec in params.sites],
        dtype=float,
    )


def _wave_dates(params: SimulationParameters, rng: np.random.Generator, referral: np.ndarray, wave: str) -> np.ndarray:
    """Planned answer day of a wave: baseline 0-14 days after referral, end course_weeks + 0-21 days,
    follow-up followup_months + 0-30 days."""
    if wave == "baseline":
        anchor = referral
    elif wave == "end":
        anchor = referral + np.timedelta64(7 * params.course_weeks, "D")
    else:
        anchor = add_months(referral, params.followup_months)
    return anchor + _uniform_days(rng, 0, params.wave_window_days[wave], len(referral))


def _draw_answers(
    params: SimulationParameters,
    rng: np.random.Generator,
    wave: str,
    traits: dict[str, np.ndarray],
    engaged: np.ndarray,
    employment: np.ndarray,
) -> dict[str, np.ndarray]:
    """Answers of one wave on the canonical scales (NaN = missing) for the given respondents.

    WHO-5 items are the wave's wellbeing state / 5 plus noise, rounded into 0..5; the state is the
    person's trait plus the wave's gain (larger for the engaged). srh and pa_level follow wellbeing and
    engagement; job_readiness (half points, 0..10) exists for the employment track only.
    """
    n = len(engaged)
    active_gain, other_gain = params.who5_change_pct[wave]
    later = 0.0 if wave == "baseline" else 1.0
    state = traits["who5"] + np.where(engaged, active_gain, other_gain) / 4 + rng.normal(0, 2.0, n)
    items = np.clip(np.round(state[:, None] / 5 + rng.normal(0, 0.5, (n, 5))), 0, 5)
    items[rng.random((n, 5)) < params.p_item_missing] = np.nan
    srh = np.clip(np.round(2.7 + 0.12 * (state - 12) + 0.25 * later * engaged + rng.normal(0, 0.75, n)), 1, 5)
    srh[rng.random(n) < params.p_item_missing] = np.nan
    pa = np.clip(
        np.round(traits["pa"] + 0.025 * (state - 12) + later * np.where(engaged, 0.6, 0.15) + rng.normal(0, 0.5, n)),
        1,
        4,
    )
    pa[rng.random(n) < 1.5 * params.p_item_missing] = np.nan
    job = np.clip(np.round(2 * (traits["job"] + 0.3 * later * engaged + rng.normal(0, 1.0, n))) / 2, 0, 10)
    job += 0.0  # turns -0.0 into 0.0
    job[~employment | (rng.random(n) < 2.5 * params.p_item_missing)] = np.nan
    return {"items": items, "srh": srh, "pa_level": pa, "job_readiness": job}


def _draw_responses(
    params: SimulationParameters, rng: np.random.Generator, e: dict[str, np.ndarray], next_referral: np.ndarray
) -> dict[str, np.ndarray]:
    """One row per enrolment and wave answered (sorted by site, wave, date, enrolment), with answers on
    the canonical scales (NaN = missing) and `row` = the enrolment's index.

    A wave exists if its date is on or before extraction and before the person's next referral (a new
    referral restarts the survey cycle). Response is less likely for those not engaged at the wave (never
    started; at end and follow-up also those who had left). WHO-5 improves more for the engaged.
    """
    n = len(e["referral"])
    extraction = as_day(params.extraction_date)
    mean_pct, sd_pct = params.who5_baseline_pct
    traits = {
        "who5": rng.normal(mean_pct / 4, np.sqrt(max((sd_pct / 4) ** 2 - 2.0**2 - 1.7, 1.0)), n),
        "job": rng.normal(4.5, 2.0, n),
        "pa": rng.normal(1.7, 0.6, n),
    }
    employment = e["track"] == TRACKS.index("employment")
    started = ~np.isnat(e["start"])
    pieces = []
    for w, wave in enumerate(WAVES):
        if wave not in params.waves:
            continue
        when = _wave_dates(params, rng, e["referral"], wave)
        exists = (when <= extraction) & (np.isnat(next_referral) | (when < next_referral))
        engaged = started.copy()
        if wave != "baseline":
            engaged &= (e["start"] <= when) & (np.isnat(e["latent_end"]) | (e["latent_end"] > when))
        base = response_probabilities(params, wave)[e["site"]]
        with np.errstate(divide="ignore"):  # a site not surveyed (0) gets logit -inf: nobody answers
            logit = np.log(base / (1 - base)) + params.response_logit_not_engaged * ~engaged
        rows = np.flatnonzero(exists & (rng.random(n) < 1 / (1 + np.exp(-logit))))
        answers = _draw_answers(
            params, rng, wave, {k: v[rows] for k, v in traits.items()}, engaged[rows], employment[rows]
        )
        pieces.append({"row": rows, "wave": np.full(len(rows), w), "response_date": when[rows], **answers})
    out = {key: np.concatenate([p[key] for p in pieces]) for key in pieces[0]}
    order = np.lexsort((out["row"], out["response_date"], out["wave"], e["site"][out["row"]]))
    return {key: values[order] for key, values in out.items()}


# ------------------------------------------------------------------------------------------ assembly
def simulate_population(
    params: SimulationParameters, seed: int, *, identities: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The true participants (one row per enrolment) and responses (one row per enrolment and wave).

    Columns are those of the canonical tables (analysis.core.tables) plus the raw-only identity columns cpr,
    name, phone, email, remark (responses: cpr, name, email, remark). Rows are in site order, then by
    referral date (responses: by site, wave, response date, then enrolment order). end_date etc. are the
    truth for every site, including sites whose registers do not report end status (end_status_reported
    is False there). Same params and seed give identical tables.

    identities=False (for large coverage studies) leaves out the identity columns and uses cheap
    participant ids (24 hex digits numbering the people) instead of the keyed pseudonym; every other value
    is the same as with identities=True, because identity text is drawn from its own child stream.
    """
    rng = np.random.default_rng(seed)
    text_rng = rng.spawn(1)[0]
    world = _draw_world(params, rng)
    previous = _link_re_referrals(
        params, rng, world["site"], world["referral"], world["start"], world["end"], world["born"]
    )
    person = _person_numbers(previous)
    world["enrolment"] = np.where(previous >= 0, 2, 1)
    for column in ("born", "male"):
        world[column] = world[column][person]
    world["association"], world["activity"] = _draw_matches(params, rng, world["site"], world["start"])
    world["team_new"] = rng.random(len(person)) < params.p_new_team
    world["accompanied"] = rng.random(len(person)) < params.p_accompanied
    answers = _draw_responses(params, rng, world, _next_referral(previous, world["referral"]))
    if identities:
        people = _draw_people_text(params, text_rng, world, person, answers)
        pids = _pseudonyms(people["cpr"], params.pseudonym_key)
    else:
        people, pids = None, _hex_ids(person)
    return (_participant_frame(params, world, pids, people), _response_frame(params, world, pids, answers, people))


def _draw_world(params: SimulationParameters, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Referral, track, start, subsidy plan, dropout, follow-up, reason, birth day and sex of each
    enrolment, in site order and then referral order (before re-referrals are linked)."""
    sites = _site_table(params)
    site = np.repeat(np.arange(len(params.sites)), sites["n"])
    referral = _draw_referrals(params, rng, len(site))
    referral = referral[np.lexsort((referral, site))]
    track = _draw_tracks(rng, sites["cum_mix"][site])
    start = _draw_starts(params, rng, referral, track, site)
    planned = _planned_subsidy(params, rng, site, start, referral)
    subsidy_end = np.where((planned > 0) & ~np.isnat(start), add_months(start, planned), NAT)
    fixed = np.array([params.track_effects[t] for t in TRACKS])[track] + sites["effect"][site]
    own = np.array(
        [params.log_hr_post_subsidy if s.log_hr_post_subsidy is None else s.log_hr_post_subsidy for s in params.sites]
    )
    shocks = None
    if params.site_month_shock_sd > 0:
        months = 12 * (params.extraction_date.year - params.referral_period[0].year + 1)
        shocks = rng.normal(0.0, params.site_month_shock_sd, size=(len(params.sites), months))
    latent_end = _draw_latent_ends(params, rng, start, fixed, planned, own[site], shocks, site)
    end, last_contact = _observe(params, rng, start, latent_end)
    site_subsidised = np.array([any(m > 0 for _, m in s.subsidy_rules) for s in params.sites])[site]
    reason = _draw_reasons(params, rng, end, subsidy_end, site_subsidised)
    born = _draw_birth_dates(params, rng, referral, track)
    male = rng.random(len(site)) >= params.p_female
    return {
        "site": site,
        "referral": referral,
        "track": track,
        "start": start,
        "planned": planned,
        "subsidy_end": subsidy_end,
        "latent_end": latent_end,
        "end": end,
        "last_contact": last_contact,
        "reason": reason,
        "born": born,
        "male": male,
    }


def _person_numbers(previous: np.ndarray) -> np.ndarray:
    """For each enrolment, the index of the person's first enrolment (itself unless re-referred)."""
    return np.where(previous >= 0, previous, np.arange(len(previous)))


def _hex_ids(person: np.ndarray) -> np.ndarray:
    """24-hex-digit ids numbering the people (used instead of pseudonyms when identities are left out)."""
    powers = 16 ** np.arange(7, -1, -1, dtype="int64")
    codes = np.array(list(b"0123456789abcdef"), dtype="uint8")[person[:, None] // powers % 16]
    tail = np.ascontiguousarray(codes).view("S8").ravel().astype("U8")
    return np.strings.add("0" * 16, tail).astype(object)


def _draw_people_text(
    params: SimulationParameters,
    rng: np.random.Generator,
    world: dict[str, np.ndarray],
    person: np.ndarray,
    answers: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """CPR numbers, names, phones, e-mails and free-text remarks (register) and comments (surveys).

    A re-referred person keeps the CPR number, name, phone and e-mail of their first enrolment.
    """
    n = len(person)
    cpr = substitute_cprs(rng, world["born"], world["male"])
    people = draw_identities(rng, world["male"])
    people["cpr"] = cpr
    for column in ("cpr", "first", "name", "phone", "email"):
        people[column] = people[column][person]
    _, note_month, note_day = ymd(np.where(np.isnat(world["last_contact"]), world["referral"], world["last_contact"]))
    fields = {"who": people["first"][rng.permutation(n)], "d": note_day, "m": note_month}
    people["remark"] = _fill_templates(_REMARKS, rng.integers(0, len(_REMARKS), n), fields)
    rows = answers["row"]
    choice = np.where(rng.random(len(rows)) < 0.15, rng.integers(0, len(_COMMENTS), len(rows)), -1)
    people["comment"] = _fill_templates(_COMMENTS, choice, {"who": people["first"][rows]})
    return people


def _draw_matches(
    params: SimulationParameters, rng: np.random.Generator, site: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Association (the first takes 60 %, the others share 40 %) and one of its activities, per enrolment.

    At a site with fixed `teams`, the starters fill the teams in order of a random draw, exactly as many
    per team as it says, and enrolments that never started have neither association nor activity."""
    n = len(site)
    u, v = rng.random(n), rng.random(n)
    association = np.empty(n, dtype=object)
    activity = np.empty(n, dtype=object)
    for k, spec in enumerate(params.sites):
        rows = np.flatnonzero(site == k)
        if spec.teams:
            starters = rows[~np.isnat(start[rows])]
            starters = starters[np.argsort(u[starters], kind="stable")]
            bounds = np.cumsum([0, *(count for _, _, count in spec.teams)])
            for (name, offered, _), lo, hi in zip(spec.teams, bounds[:-1], bounds[1:], strict=True):
                association[starters[lo:hi]] = name
                activity[starters[lo:hi]] = offered
            continue
        count = len(spec.associations)
        weights = np.array([1.0] if count == 1 else [0.6] + [0.4 / (count - 1)] * (count - 1))
        which = np.minimum((u[rows][:, None] > np.cumsum(weights)).sum(axis=1), count - 1)
        for a, (name, activities) in enumerate(spec.associations):
            chosen = rows[which == a]
            association[chosen] = name
            offered = np.array(activities, dtype=object)
            activity[chosen] = offered[(v[chosen] * len(activities)).astype("int64")]
    return association, activity


def _pseudonyms(cpr: np.ndarray, key: str) -> np.ndarray:
    """participant_id for each CPR number; equal to analysis.clean.pseudonym.pseudonymise (the cleaner's, checked
    by tests/test_clean_default_project.py) but with HMAC's padded key states hashed once, which makes it
    several times faster for large populations."""
    secret = key.encode("utf-8")
    if len(secret) > 64:  # HMAC: keys longer than the block size are hashed first
        secret = hashlib.sha256(secret).digest()
    secret = secret.ljust(64, b"\0")
    inner_pad = hashlib.sha256(bytes(b ^ 0x36 for b in secret))
    outer_pad = hashlib.sha256(bytes(b ^ 0x5C for b in secret))

    def one(digits: str) -> str:
        inner = inner_pad.copy()
        inner.update(digits.encode("ascii"))
        outer = outer_pad.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:PSEUDONYM_HEX_DIGITS]

    unique, inverse = np.unique(np.strings.replace(cpr, "-", "").astype("int64"), return_inverse=True)
    return np.array([one(f"{d:010d}") for d in unique.tolist()], dtype=object)[inverse]


def _dates(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[ms]")


def _text(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values).astype(object), dtype="str")


def _participant_frame(
    params: SimulationParameters, w: dict[str, np.ndarray], pids: np.ndarray, people: dict[str, np.ndarray] | None
) -> pd.DataFrame:
    """The participants truth table: canonical columns and dtypes, then the identity columns (if any)."""
    site_ids = np.array([s.site for s in params.sites], dtype=object)
    models = np.array([s.bridging_model for s in params.sites], dtype=object)
    reports = np.array([s.reports_end_status for s in params.sites])
    reasons = np.array((*DROPOUT_REASONS, None), dtype=object)
    frame = pd.DataFrame(
        {
            "participant_id": pids,
            "enrolment": w["enrolment"],
            "site": site_ids[w["site"]],
            "referral_track": np.array(TRACKS, dtype=object)[w["track"]],
            "referral_date": _dates(w["referral"]),
            "start_date": _dates(w["start"]),
            "association": w["association"],
            "activity": w["activity"],
            "team_type": np.where(w["team_new"], "new", "existing").astype(object),
            "bridging_model": models[w["site"]],
            "accompanied": w["accompanied"],
            "subsidy_months": w["planned"],
            "subsidy_end_date": _dates(w["subsidy_end"]),
            "end_date": _dates(w["end"]),
            "last_contact_date": _dates(w["last_contact"]),
            "dropout_reason": reasons[w["reason"]],
            "age": age_in_years(w["born"], w["referral"]),
            "sex": np.where(w["male"], "male", "female").astype(object),
            "end_status_reported": reports[w["site"]],
        }
    ).astype(PARTICIPANT_COLUMNS)
    if people is not None:
        for column in IDENTITY_COLUMNS:
            frame[column] = _text(people[column])
    return frame


def _response_frame(
    params: SimulationParameters,
    w: dict[str, np.ndarray],
    pids: np.ndarray,
    answers: dict[str, np.ndarray],
    people: dict[str, np.ndarray] | None,
) -> pd.DataFrame:
    """The responses truth table: canonical columns and dtypes, then the identity columns (if any)."""
    rows = answers["row"]
    items = answers["items"]
    raw = items.sum(axis=1)  # NaN when any item is missing
    site_ids = np.array([s.site for s in params.sites], dtype=object)
    frame = pd.DataFrame(
        {
            "participant_id": pids[rows],
            "enrolment": w["enrolment"][rows],
            "site": site_ids[w["site"][rows]],
            "wave": np.array(WAVES, dtype=object)[answers["wave"]],
            "response_date": _dates(answers["response_date"]),
            **{item: items[:, i] for i, item in enumerate(WHO5_ITEMS)},
            "who5_raw": raw,
            "who5_pct": 4 * raw,
            "srh": answers["srh"],
            "pa_level": answers["pa_level"],
            "job_readiness": answers["job_readiness"],
        }
    ).astype(RESPONSE_COLUMNS)
    if people is not None:
        for column in RESPONSE_IDENTITY_COLUMNS:
            frame[column] = _text(people["comment"] if column == "remark" else people[column][rows])
    return frame
