"""A throwaway single-node SLURM cluster on localhost for tests: munged, slurmctld and slurmd from Debian's
packages (`make slurm`), run as background processes with every file in one scratch folder.

There is no accounting daemon (AccountingStorageType=accounting_storage/none), as on many small clusters: job
states come from slurmctld through `squeue`/`scontrol`, which keep a finished job for MinJobAge seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

DAEMONS = {"munged": "/usr/sbin/munged", "slurmctld": "/usr/sbin/slurmctld", "slurmd": "/usr/sbin/slurmd"}
CLIENTS = ("sbatch", "squeue", "sinfo", "scontrol", "srun")
PARTITION = "brobygning"
# slurmctld keeps a finished job this long, and squeue lists it meanwhile: the plugin's squeue status checks
# need that to outlast their interval (see docs/cluster.md), and the test reads every job's final state after
# the run. SLURM's default is 300 s, shorter than a slow run of the test.
MIN_JOB_AGE = 3600


class ClusterUnavailable(RuntimeError):
    """The cluster cannot run here (not root, packages missing) or did not come up; the message says which."""


@dataclass(frozen=True)
class Cluster:
    folder: Path
    conf: Path
    env: dict[str, str]

    def logs(self) -> str:
        """The tails of the daemons' logs and of what they printed, for failure messages."""
        parts = []
        for name in ("munged", "slurmctld", "slurmd"):
            for log in (self.folder / f"{name}.log", self.folder / f"{name}.out"):
                if log.exists() and log.stat().st_size:
                    parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-1500:]}")
        return "\n".join(parts) or "(the daemons wrote no log)"


def unavailable_reason() -> str | None:
    """Why this machine cannot run the cluster, or None if it can."""
    if os.geteuid() != 0:
        return "the SLURM daemons must be started as root (slurmd runs jobs as their owner)"
    missing = [path for path in DAEMONS.values() if not os.access(path, os.X_OK)]
    missing += [name for name in CLIENTS if shutil.which(name) is None]
    if missing:
        return f"missing {', '.join(missing)}: run `make slurm` (apt-get install slurmctld slurmd munge)"
    return None


def _free_ports(count: int) -> list[int]:
    """Distinct TCP ports free on localhost right now, so that parallel test runs do not collide."""
    with ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def _real_memory_mb() -> int:
    """RealMemory as slurmd itself measures it, so the node is not drained for 'Low RealMemory'."""
    report = subprocess.run([DAEMONS["slurmd"], "-C"], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"RealMemory=(\d+)", report).group(1))


def slurm_conf(folder: Path, node: str, cpus: int, memory_mb: int) -> str:
    """slurm.conf of a one-node cluster whose state, spool, logs and sockets all live in `folder`."""
    controller_port, node_port = _free_ports(2)
    return f"""\
ClusterName=brobygning-test
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={controller_port}
SlurmdPort={node_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={folder}/munge.socket
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
MinJobAge={MIN_JOB_AGE}
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


def _wait_until(condition, timeout: float, what: str, cluster: Cluster | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise ClusterUnavailable(f"{what} within {timeout:.0f} s" + (f"\n{cluster.logs()}" if cluster else ""))


@contextmanager
def _daemon(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A foreground daemon in its own process group, stopped (TERM, then KILL) on exit."""
    with open(log, "ab") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _srun_shim(folder: Path, conf: Path) -> Path:
    """A folder holding an `srun` that finds this cluster's slurm.conf.

    Inside a job, snakemake-executor-plugin-slurm-jobstep removes every SLURM_* variable, SLURM_CONF included,
    before it starts the rule with `srun`. A real cluster's clients then read /etc/slurm/slurm.conf; this
    throwaway cluster keeps its configuration in its own folder and must not touch /etc.
    """
    shim = folder / "bin"
    shim.mkdir(exist_ok=True)
    srun = shim / "srun"
    srun.write_text(f'#!/bin/sh\nSLURM_CONF="{conf}" exec {shutil.which("srun")} "$@"\n', encoding="utf-8")
    srun.chmod(0o755)
    return shim


@contextmanager
def local_cluster(folder: Path, cpus: int = 2) -> Iterator[Cluster]:
    """Start munged, slurmctld and slurmd for a one-node cluster in `folder`; yield once the node is idle.

    Clients find the cluster through SLURM_CONF in `Cluster.env`. Raises ClusterUnavailable naming the
    reason if the daemons cannot be started or the node does not come up.
    """
    reason = unavailable_reason()
    if reason:
        raise ClusterUnavailable(reason)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # the munge key and the state of a root-run cluster are no one else's business
    for sub in ("state", "spool"):
        (folder / sub).mkdir(exist_ok=True)
    node = socket.gethostname().split(".")[0]
    conf = folder / "slurm.conf"
    conf.write_text(slurm_conf(folder, node, cpus, _real_memory_mb()), encoding="utf-8")
    key = folder / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    env = os.environ | {"SLURM_CONF": str(conf), "PATH": f"{_srun_shim(folder, conf)}:{os.environ['PATH']}"}
    cluster = Cluster(folder, conf, env)

    with ExitStack() as stack:
        # --force: munged wants every folder above its socket open to all users, which pytest's are not; the
        # only client here is root.
        stack.enter_context(
            _daemon(
                [
                    DAEMONS["munged"],
                    "--foreground",
                    "--force",
                    f"--key-file={key}",
                    f"--socket={folder}/munge.socket",
                    f"--pid-file={folder}/munged.pid",
                    f"--seed-file={folder}/munged.seed",
                    f"--log-file={folder}/munged.log",
                ],
                env,
                folder / "munged.out",
            )
        )
        _wait_until(lambda: (folder / "munge.socket").exists(), 20, "munged did not open its socket", cluster)
        controller = stack.enter_context(
            _daemon([DAEMONS["slurmctld"], "-D", "-i", "-f", str(conf)], env, folder / "slurmctld.out")
        )
        stack.enter_context(_daemon([DAEMONS["slurmd"], "-D", "-f", str(conf)], env, folder / "slurmd.out"))

        def node_idle() -> bool:
            if controller.poll() is not None:
                raise ClusterUnavailable(f"slurmctld exited with {controller.returncode}\n{cluster.logs()}")
            state = subprocess.run(
                ["sinfo", "--noheader", "--nodes", node, "--format", "%t"], env=env, capture_output=True, text=True
            )
            return state.returncode == 0 and state.stdout.strip() == "idle"

        _wait_until(node_idle, 60, f"node {node} was not idle in sinfo", cluster)
        yield cluster
