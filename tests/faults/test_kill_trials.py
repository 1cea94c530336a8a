"""Issue 7, item 2: the workflow survives SIGKILL at seeded random points (tests/faults/kill_trials.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("kill_trials.py")
TRIALS = 20
SEED = 20261125

pytestmark = pytest.mark.e2e


def test_every_rerun_after_a_kill_completes_with_the_uninterrupted_outputs(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--trials",
            str(TRIALS),
            "--seed",
            str(SEED),
            "--workdir",
            str(tmp_path),
            "--json",
            str(tmp_path / "trials.json"),
        ],
        capture_output=True,
        text=True,
    )
    print(result.stdout)  # the summary table: where each kill landed and what the rerun found
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    outcomes = json.loads((tmp_path / "trials.json").read_text())["outcomes"]
    assert len(outcomes) == TRIALS and not any(o["problems"] for o in outcomes)
    # The trials really kill jobs mid-run, in every rule, and leave what a power cut leaves.
    rules = {"clean_sites", "pool", "retention", "key_figures", "reports"}
    hit = [re.sub(r"^(reports|clean_sites)_\d+$", r"\1", rule) for o in outcomes for rule in o["rules_hit"]]
    assert set(hit) == rules, f"rules never killed mid-job: {rules - set(hit)}"
    assert sum(bool(o["rules_hit"]) for o in outcomes) >= TRIALS // 2
    # Jobs killed mid-run had their outputs marked incomplete; the notebook runner publishes nothing before its
    # last cell, so a present but unfinished output (partial_kept_out) is rare and is checked when it happens.
    assert any(o["locked"] for o in outcomes) and any(o["incomplete"] for o in outcomes)
