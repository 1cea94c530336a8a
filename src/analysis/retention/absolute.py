"""The subsidy-end hazard ratio as a reader takes it: in whole people (of 100 still active when the subsidy
ends, how many stop), and its interval with an end that could not be bounded read as 0 or infinity.

A hazard ratio is hard to picture. With the complementary log-log link the models use, a hazard ratio HR
turns a monthly probability of stopping h into 1 - (1 - h)^HR (exactly, not as an approximation), so over
`months` months with a constant h the share who stop is 1 - (1 - h)^months without the change and
1 - (1 - h)^(months * HR) with it. The monthly probability while the subsidy lasts is taken from the data
the models were fitted on: stops per person-month in the last three subsidised months, the event study's
reference period, pooled over every site in the model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

REFERENCE_BIN = "-3..-1"


def interval_ends(row: Mapping) -> tuple[float, float]:
    """The hazard-ratio interval of a model table row (`ci_lower`, `ci_upper`), an end the bootstrap could not
    bound (NaN: its test inversion found no limit) read as what it is, 0 below or infinity above. Pure Python,
    like the rest of this module: the report kernels import it without statsmodels or scipy."""

    def known(value) -> bool:
        return value is not None and not math.isnan(float(value))

    lower, upper = row["ci_lower"], row["ci_upper"]
    return (float(lower) if known(lower) else 0.0), (float(upper) if known(upper) else math.inf)


@dataclass(frozen=True)
class StopsPer100:
    """Expected stops among `per` people over `months` months, at the reference hazard and after the change."""

    monthly_hazard: float
    hazard_ratio: float
    months: int
    per: int
    during: float
    after: float


def stops_per_100(monthly_hazard: float, hazard_ratio: float, months: int = 3, per: int = 100) -> StopsPer100:
    """Expected stops among `per` people still active, over the next `months` months: `during` at the
    monthly hazard (as while the subsidy lasts), `after` with the hazard ratio applied on the cloglog scale."""
    if not 0 <= monthly_hazard < 1:
        raise ValueError(f"a monthly hazard is a probability below 1, not {monthly_hazard}")
    if hazard_ratio <= 0:
        raise ValueError(f"a hazard ratio is positive, not {hazard_ratio}")
    stay = 1 - monthly_hazard
    return StopsPer100(
        monthly_hazard=monthly_hazard,
        hazard_ratio=hazard_ratio,
        months=months,
        per=per,
        during=per * (1 - stay**months),
        after=per * (1 - stay ** (months * hazard_ratio)),
    )


def reference_hazard(event_study_info: dict) -> tuple[float, int] | None:
    """Stops per person-month in the reference period (last three subsidised months) of the event study
    (summary.json's event_study.info), and the number of stops it rests on; None without such months."""
    counts = event_study_info.get("bins", {}).get(REFERENCE_BIN)
    if not counts or not counts.get("person_months"):
        return None
    return counts["events"] / counts["person_months"], int(counts["events"])
