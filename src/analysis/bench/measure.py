"""Wall time and peak memory of a command and everything it starts."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Measurement:
    """Wall seconds and the peak of the summed resident memory of the process tree, in MB (sampled every
    0.1 s, so a peak shorter than that can be missed)."""

    seconds: float
    peak_mb: float
    returncode: int


def tree_rss_mb(process: psutil.Process) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # it ended between listing and reading
            pass
    return total / 2**20


def measure(command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> Measurement:
    """Run `command` in `cwd`, output to `log`, and measure it; never raises for a non-zero exit."""
    peak = 0.0
    done = threading.Event()
    with open(log, "w", encoding="utf-8") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        watched = psutil.Process(child.pid)

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                try:
                    peak = max(peak, tree_rss_mb(watched))
                except psutil.Error:
                    return
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = child.wait()
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    return Measurement(seconds, peak, returncode)
