"""The benchmark's measuring stick: wall time and the peak memory of a whole process tree."""

from __future__ import annotations

import sys

from analysis.bench.measure import measure

HOLD = "import time; block = bytearray({mb} * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(1)"


def test_the_peak_counts_memory_held_by_a_grandchild(tmp_path):
    grandchild = HOLD.format(mb=300)
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}], check=True)"
    result = measure([sys.executable, "-c", child], tmp_path, tmp_path / "log")
    assert result.returncode == 0
    assert 300 <= result.peak_mb < 500
    assert result.seconds >= 1


def test_a_failing_command_is_measured_not_raised(tmp_path):
    result = measure([sys.executable, "-c", "import sys; print('bye'); sys.exit(3)"], tmp_path, tmp_path / "log")
    assert result.returncode == 3
    assert (tmp_path / "log").read_text() == "bye\n"
