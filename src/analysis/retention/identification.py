"""Can the subsidy-end effect be told apart from time since start?

With a flexible baseline by month and site fixed effects, `post_subsidy` is identified only if it varies
in a way that month and site cannot reproduce: different subsidy lengths between or within sites, or
unsubsidised sites beside subsidised ones. If every participant had the same subsidy length,
post_subsidy would be a function of month alone; and if the baseline is stratified by site while every
participant of a site has the same length, it is a function of site and month. In both cases any number
printed for it would be an artefact, so the check says so instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

UNIDENTIFIED_BELOW = 1e-8  # share of the term's variation left once the other columns are accounted for
MAX_LOG_HR = 15.0  # beyond this an estimate is a symptom of separation (no events in a group), not a finding


@dataclass(frozen=True)
class Identification:
    """Whether a term is identified, the share of its variation the other columns cannot explain, and why."""

    term: str
    identified: bool
    unexplained_share: float
    message: str


def check_identification(design: np.ndarray, column: int, weights: np.ndarray, term: str) -> Identification:
    """Regress design[:, column] on the other columns (weighted by person-months) and judge the residual.

    `unexplained_share` is the weighted residual sum of squares over the term's weighted sum of squares
    around its mean: 0 means the term is a combination of the other columns (not identified); values near 1
    mean it varies almost independently of them.
    """
    target = design[:, column]
    others = np.delete(design, column, axis=1)
    root_w = np.sqrt(weights)
    coef, *_ = np.linalg.lstsq(others * root_w[:, None], target * root_w, rcond=None)
    residual = target - others @ coef
    mean = np.average(target, weights=weights)
    total = float(np.sum(weights * (target - mean) ** 2))
    if total == 0.0:
        return Identification(
            term,
            False,
            0.0,
            f"'{term}' never changes in these data (it is always {mean:g}), so its effect cannot be estimated.",
        )
    share = float(np.sum(weights * residual**2) / total)
    if share < UNIDENTIFIED_BELOW:
        return Identification(
            term,
            False,
            share,
            (
                f"'{term}' cannot be separated from time since start and site in these data: every participant "
                "with the same site and month has the same value (for example, all subsidies have the same "
                "length). No effect is reported, because any number would reflect the model's assumptions, "
                "not the data."
            ),
        )
    return Identification(
        term,
        True,
        share,
        f"'{term}' varies independently of month and site ({share:.1%} of its variation is not explained by them).",
    )


MIN_CARRYING_SHARE = 0.05  # docs/methods.md: below this share of enrolments carrying within-site variation ...
MIN_CARRYING_EVENTS = 20  # ... or this many dropouts in their deviating months, no number is printed
SOURCES = ("within sites", "between sites", "unsubsidised sites")


@dataclass(frozen=True)
class IdentifyingVariation:
    """Where the subsidy-end effect's identifying variation comes from, and how much of the data carries it.

    `site_lengths` is each site's usual planned subsidy length (the most common one; 0 = no subsidy).
    `carrying_enrolments` have months whose post_subsidy differs from what their site's usual length would
    give, and `carrying_events` are the dropouts in those months: the within-site variation. `sources` lists
    which of SOURCES are present. `between_sites_only` means no within-site variation: the effect then rests
    on comparing sites. `thin` means there is no variation between sites and the within-site variation falls
    below MIN_CARRYING_SHARE or MIN_CARRYING_EVENTS: no number should be printed.
    """

    sources: tuple[str, ...]
    enrolments: int
    events: int
    carrying_enrolments: int
    carrying_events: int
    site_lengths: dict[str, int]
    between_sites_only: bool
    thin: bool
    message: str


def identifying_variation(person_months: pd.DataFrame, site: str = "site") -> IdentifyingVariation:
    """Describe the identifying variation of post_subsidy in person-months with the columns site,
    participant_id, enrolment, subsidy_months, month, post_subsidy and event."""
    keys = ["participant_id", "enrolment"]
    enrolments = person_months.drop_duplicates(keys)
    usual = {
        str(s): int(lengths.value_counts().sort_index(kind="stable").idxmax())
        for s, lengths in enrolments.groupby(site, observed=True)["subsidy_months"]
    }
    usual_length = person_months[site].astype(str).map(usual).to_numpy()
    usual_post = (usual_length > 0) & (person_months["month"].to_numpy() > usual_length)
    deviating = person_months["post_subsidy"].to_numpy().astype(bool) != usual_post
    carrying = int(person_months.loc[deviating, keys].drop_duplicates().shape[0])
    carrying_events = int(person_months.loc[deviating, "event"].sum())
    lengths = set(usual.values())
    sources = tuple(
        name
        for name, present in zip(
            SOURCES, (carrying > 0, len(lengths - {0}) > 1, 0 in lengths and len(lengths) > 1), strict=True
        )
        if present
    )
    between = bool(set(sources) - {"within sites"})
    n = int(len(enrolments))
    thin = not between and (carrying < MIN_CARRYING_SHARE * n or carrying_events < MIN_CARRYING_EVENTS)
    return IdentifyingVariation(
        sources=sources,
        enrolments=n,
        events=int(person_months["event"].sum()),
        carrying_enrolments=carrying,
        carrying_events=carrying_events,
        site_lengths=usual,
        between_sites_only=between and carrying == 0,
        thin=thin,
        message=_variation_message(sources, n, carrying, carrying_events, thin, between and carrying == 0),
    )


def _variation_message(sources, n: int, carrying: int, events: int, thin: bool, between_only: bool) -> str:
    within = (
        f"{carrying} of {n} enrolments ({carrying / n:.0%}) have a subsidy that ends at another time than their "
        f"site's usual one, with {events} dropouts in the months where that makes a difference"
        if n
        else "there are no enrolments"
    )
    if not sources:
        return f"No variation identifies the subsidy-end effect: {within}."
    if thin:
        return (
            f"The subsidy-end effect rests only on differences within sites, and they are thin: {within} "
            f"(at least {MIN_CARRYING_SHARE:.0%} of enrolments and {MIN_CARRYING_EVENTS} dropouts are needed). "
            "No number is reported, because it would rest on a handful of people."
        )
    if between_only:
        return (
            f"The subsidy-end effect is identified only between sites ({', '.join(sources)}): no one's subsidy "
            "ends at another time than their site's usual one. The estimate assumes that, apart from a constant "
            "difference in level, dropout would change with time since start in the same way at every site; "
            "if sites' dropout patterns over time differ, the estimate is biased, and these data cannot check it."
        )
    return f"The subsidy-end effect is identified from variation {' and '.join(sources)}; {within}."
