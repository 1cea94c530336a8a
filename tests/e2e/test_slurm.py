"""The workflow on a real SLURM cluster: `--profile workflow/profiles/slurm` on a one-node cluster started on localhost
(munged, slurmctld, slurmd; no accounting daemon) gives the same tables and reports as a local run."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from conftest import need
from local_slurm import ClusterUnavailable, local_cluster, unavailable_reason
from mini_project import REPO, copy_inputs, reproducible_outputs, run_snakemake

pytestmark = pytest.mark.e2e

# The rules that run as SLURM jobs, and how many jobs each has in the e2e-mini project (pool and key_figures
# are localrules and run beside snakemake).
# Three sites are cleaned and reported in two batches each; the last report batch renders the summary too.
SUBMITTED = {
    "clean_sites_1": 1,
    "clean_sites_2": 1,
    "retention": 1,
    "reports_1": 1,
    "reports_2": 1,
}


# Session scope, like the local run it is compared with, so that pytest checks for the cluster first and skips
# before paying for that run.
@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    reason = unavailable_reason()
    if reason:
        need("slurm", reason)
    try:
        with local_cluster(tmp_path_factory.mktemp("slurm")) as started:
            yield started
    except ClusterUnavailable as error:
        pytest.fail(f"the local SLURM cluster did not start: {error}")


def _jobs(cluster) -> list[list[str]]:
    """Every job slurmctld still knows (finished ones for MinJobAge): id, state, comment."""
    listing = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--format=%i|%T|%k"],
        env=cluster.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split("|", 2) for line in listing.splitlines()]


def test_the_slurm_profile_gives_the_local_runs_tables_and_reports(cluster, workflow_root, tmp_path):
    root = copy_inputs(workflow_root, tmp_path / "on-slurm")
    # The plugin's first status check comes after 40 s by default and again that long after each finished job;
    # 1 s keeps the test short. MinJobAge (local_slurm.py) stays far above 3 x 1 s, so the plugin keeps using squeue.
    result = run_snakemake(
        root,
        "--profile",
        str(REPO / "workflow" / "profiles" / "slurm"),
        "--slurm-init-seconds-before-status-checks",
        "1",
        env=cluster.env,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}\n{cluster.logs()}"

    jobs = _jobs(cluster)
    assert {state for _, state, _ in jobs} == {"COMPLETED"}, jobs
    rules = Counter(comment.removeprefix("rule_").split("_wildcards_")[0] for _, _, comment in jobs)
    assert rules == SUBMITTED, jobs
    # Each job ran snakemake with this venv's python, whose Jupyter kernel 'brobygning' the notebooks need.
    script = subprocess.run(
        ["scontrol", "write", "batch_script", jobs[0][0], "-"],
        env=cluster.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"{sys.executable} -m snakemake" in script, script

    on_slurm, local = reproducible_outputs(root), reproducible_outputs(workflow_root)
    assert len(on_slurm) > 25 and any(k.startswith("reports/sites/") for k in on_slurm)
    assert on_slurm == local
