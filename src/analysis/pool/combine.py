"""Pooling the cleaned sites of a project into project-wide tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.core import outputs
from analysis.core.tables import PARTICIPANTS, RESPONSES
from analysis.core.vocabulary import PARTICIPANT_KEY, RESPONSE_KEY


def pool_sites(site_dirs: list[str | Path], out_dir: str | Path) -> dict:
    """Concatenate the sites' participants, responses and ledgers in a fixed order and write them.

    Returns the pooled quality summary (per site totals), which is also written as quality.json.
    """
    site_dirs = sorted(Path(d) for d in site_dirs)
    out_dir = Path(out_dir)
    participants = _concat([pd.read_parquet(d / "participants.parquet") for d in site_dirs], PARTICIPANT_KEY)
    responses = _concat([pd.read_parquet(d / "responses.parquet") for d in site_dirs], RESPONSE_KEY)
    PARTICIPANTS.validate(participants)
    RESPONSES.validate(responses)
    rejected = pd.concat(
        [pd.read_csv(d / "rejected.csv", dtype=str, keep_default_na=False) for d in site_dirs], ignore_index=True
    )
    qualities = [json.loads((d / "quality.json").read_text(encoding="utf-8")) for d in site_dirs]
    summary = {
        "sites": {q["site"]: q["totals"] | {"enrolments": q["enrolments"], "people": q["people"]} for q in qualities},
        "totals": {k: sum(q["totals"][k] for q in qualities) for k in ("read", "kept", "rejected", "repairs")},
        "enrolments": len(participants),
        "flags": {"people_at_several_sites": people_at_several_sites(participants)},
    }
    outputs.write_parquet(participants, out_dir / "participants.parquet")
    outputs.write_parquet(responses, out_dir / "responses.parquet")
    outputs.write_csv(rejected, out_dir / "rejected.csv")
    outputs.write_json(summary, out_dir / "quality.json")
    return summary


def people_at_several_sites(participants: pd.DataFrame) -> int:
    """People with enrolments at two or more sites whose periods overlap (flag 'enrolled_at_several_sites').

    An enrolment runs from its start in the association (else its referral) to its recorded end; without a
    recorded end it is open. Two such periods at different sites that share a day count the person once.
    Kept unchanged: which site is right cannot be told from the data."""
    several = participants[participants.groupby("participant_id")["site"].transform("nunique") > 1]
    begins = several["start_date"].fillna(several["referral_date"])
    ends = several["end_date"]
    flagged = set()
    for person, rows in pd.DataFrame(
        {"p": several["participant_id"], "s": several["site"], "b": begins, "e": ends}
    ).groupby("p"):
        periods = list(rows.itertuples(index=False))
        if any(
            a.s != b.s and (pd.isna(b.e) or a.b <= b.e) and (pd.isna(a.e) or b.b <= a.e)
            for i, a in enumerate(periods)
            for b in periods[i + 1 :]
        ):
            flagged.add(person)
    return len(flagged)


def _concat(frames: list[pd.DataFrame], key: list[str]) -> pd.DataFrame:
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(key, kind="mergesort").reset_index(drop=True)


def main(argv: list[str] | None = None) -> None:
    """Command line used by the workflow's pool rule."""
    import argparse

    parser = argparse.ArgumentParser(description="Pool the cleaned sites of a project.")
    parser.add_argument("--out", required=True, help="project folder under data/processed")
    parser.add_argument("site_dirs", nargs="+", help="cleaned site folders")
    args = parser.parse_args(argv)
    summary = pool_sites(args.site_dirs, args.out)
    print(
        f"pooled {len(args.site_dirs)} sites: {summary['enrolments']} enrolments, "
        f"{summary['totals']['read']} rows read, {summary['totals']['rejected']} rejected"
    )


if __name__ == "__main__":
    main()
