"""The canonical tables' vocabulary: allowed values, column order and dtypes (see docs/data-dictionary.md).

Plain data with no heavy imports, so that readers of the tables (reports, the simulator) need not load the
validation library; `analysis.core.tables` builds the pandera schemas from it.
"""

from __future__ import annotations

REFERRAL_TRACKS = ["health", "employment", "self", "other"]
DROPOUT_REASONS = ["cost", "health", "pain", "mental", "own_exercise", "moved", "time", "other", "unknown"]
TEAM_TYPES = ["existing", "new"]
SEXES = ["female", "male"]
WAVES = ["baseline", "end", "followup"]
WHO5_ITEMS = [f"who5_{i}" for i in range(1, 6)]

DATE = "datetime64[ms]"
PARTICIPANT_DTYPES: dict[str, str] = {
    "participant_id": "str",
    "enrolment": "int64",
    "site": "str",
    "referral_track": "str",
    "referral_date": DATE,
    "start_date": DATE,
    "association": "str",
    "activity": "str",
    "team_type": "str",
    "bridging_model": "str",
    "accompanied": "boolean",
    "subsidy_months": "Int64",
    "subsidy_end_date": DATE,
    "end_date": DATE,
    "last_contact_date": DATE,
    "dropout_reason": "str",
    "age": "Int64",
    "sex": "str",
    "end_status_reported": "bool",
}
RESPONSE_DTYPES: dict[str, str] = {
    "participant_id": "str",
    "enrolment": "int64",
    "site": "str",
    "wave": "str",
    "response_date": DATE,
    **{item: "Int64" for item in WHO5_ITEMS},
    "who5_raw": "Int64",
    "who5_pct": "Int64",
    "srh": "Int64",
    "pa_level": "Int64",
    "job_readiness": "Float64",
}
PARTICIPANT_KEY = ["site", "participant_id", "enrolment"]
RESPONSE_KEY = ["site", "participant_id", "enrolment", "wave"]
# The column the reports and the Kaplan-Meier curves group by when a project config names no compare_by.
DEFAULT_COMPARE_BY = "referral_track"

ALL_SITES = "all sites"  # the scope of results pooled over every site, beside one scope per site
