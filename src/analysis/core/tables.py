"""The canonical tables' pandera schemas, built from analysis.core.vocabulary (see docs/data-dictionary.md).

These are the contract between pipeline stages. Cleaning builds frames with exactly these columns and
dtypes; every stage that writes a canonical table validates it here first.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from analysis.core.vocabulary import (
    DATE,
    DROPOUT_REASONS,
    PARTICIPANT_KEY,
    REFERRAL_TRACKS,
    RESPONSE_KEY,
    SEXES,
    TEAM_TYPES,
    WAVES,
    WHO5_ITEMS,
)


def _in(values: list[str], nullable: bool = False) -> pa.Column:
    return pa.Column("str", pa.Check.isin(values), nullable=nullable)


def _between(lo: float, hi: float, dtype: str = "Int64") -> pa.Column:
    return pa.Column(dtype, pa.Check.in_range(lo, hi), nullable=True)


PARTICIPANTS = pa.DataFrameSchema(
    {
        "participant_id": pa.Column("str", pa.Check.str_matches(r"^[0-9a-f]{24}$")),
        "enrolment": pa.Column("int64", pa.Check.ge(1)),
        "site": pa.Column("str"),
        "referral_track": _in(REFERRAL_TRACKS),
        "referral_date": pa.Column(DATE),
        "start_date": pa.Column(DATE, nullable=True),
        "association": pa.Column("str", nullable=True),
        "activity": pa.Column("str", nullable=True),
        "team_type": _in(TEAM_TYPES, nullable=True),
        "bridging_model": pa.Column("str"),
        "accompanied": pa.Column("boolean", nullable=True),
        "subsidy_months": _between(0, 60),
        "subsidy_end_date": pa.Column(DATE, nullable=True),
        "end_date": pa.Column(DATE, nullable=True),
        "last_contact_date": pa.Column(DATE, nullable=True),
        "dropout_reason": _in(DROPOUT_REASONS, nullable=True),
        "age": _between(0, 120),
        "sex": _in(SEXES),
        "end_status_reported": pa.Column("bool"),
    },
    checks=[
        pa.Check(lambda df: ~(df["end_date"] < df["start_date"]), error="end_date before start_date"),
        pa.Check(lambda df: ~(df["start_date"] < df["referral_date"]), error="start_date before referral_date"),
    ],
    unique=PARTICIPANT_KEY,
    strict=True,
    ordered=True,
)

RESPONSES = pa.DataFrameSchema(
    {
        "participant_id": pa.Column("str", pa.Check.str_matches(r"^[0-9a-f]{24}$")),
        "enrolment": pa.Column("int64", pa.Check.ge(1)),
        "site": pa.Column("str"),
        "wave": _in(WAVES),
        "response_date": pa.Column(DATE, nullable=True),  # missing where the export's date could not be read
        **{item: _between(0, 5) for item in WHO5_ITEMS},
        "who5_raw": _between(0, 25),
        "who5_pct": _between(0, 100),
        "srh": _between(1, 5),
        "pa_level": _between(1, 4),
        "job_readiness": _between(0, 10, "Float64"),
    },
    unique=RESPONSE_KEY,
    strict=True,
    ordered=True,
)


def as_canonical(frame: pd.DataFrame, dtypes: dict[str, str], key: list[str]) -> pd.DataFrame:
    """Columns in contract order with contract dtypes, rows sorted by the table's key, fresh index."""
    out = frame.loc[:, list(dtypes)].astype(dtypes)
    return out.sort_values(key, kind="mergesort").reset_index(drop=True)
