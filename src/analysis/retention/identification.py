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

UNIDENTIFIED_BELOW = 1e-8  # share of the term's variation left once the other columns are accounted for


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
