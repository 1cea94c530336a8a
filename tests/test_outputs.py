import os
import stat

import pandas as pd
import pytest

from analysis.core import outputs


def _frame():
    return pd.DataFrame({"a": [2, 1], "b": ["æ", None], "d": pd.to_datetime(["2021-01-01", None])})


@pytest.mark.parametrize("write", [outputs.write_parquet, outputs.write_csv])
def test_same_table_gives_same_bytes(tmp_path, write):
    first, second = write(_frame(), tmp_path / "one"), write(_frame(), tmp_path / "two")
    assert first.read_bytes() == second.read_bytes()


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path):
    def write_half_then_fail(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        outputs._atomic_write(tmp_path / "out.json", write_half_then_fail)
    assert list(tmp_path.iterdir()) == []


def test_json_is_sorted_and_ends_with_newline(tmp_path):
    path = outputs.write_json({"b": 1, "a": "ø"}, tmp_path / "q.json")
    assert path.read_text(encoding="utf-8") == '{\n  "a": "ø",\n  "b": 1\n}\n'


def test_a_killed_write_leaves_the_old_file_and_the_next_write_removes_its_temporary(tmp_path):
    """SIGKILL in the middle of a write: the final name keeps its old content (the half-written bytes are only in
    a temporary), and the next write of the same file clears that temporary away."""
    import signal
    import subprocess
    import sys

    target = outputs.write_json({"run": "old"}, tmp_path / "quality.json")
    writer = (
        "import time\nfrom analysis.core import outputs\n"
        "def half(tmp):\n"
        "    tmp.write_text('{\"run\": \"ne')\n    print('written', flush=True)\n    time.sleep(60)\n"
        f"outputs._atomic_write({str(target)!r}, half)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "written\n"
    process.send_signal(signal.SIGKILL)
    process.wait()
    leftovers = list(tmp_path.glob(".quality.json.*.tmp"))
    assert len(leftovers) == 1 and leftovers[0].read_text() == '{"run": "ne'
    assert target.read_text() == '{\n  "run": "old"\n}\n'
    outputs.write_json({"run": "new"}, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quality.json"]
    assert target.read_text() == '{\n  "run": "new"\n}\n'


def test_outputs_get_the_mode_of_an_ordinary_file_not_mkstemps_0600(tmp_path):
    previous = os.umask(0o022)
    try:
        written = outputs.write_text("<p>report</p>", tmp_path / "page.html")
        table = outputs.write_csv(pd.DataFrame({"a": [1]}), tmp_path / "table.csv")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert stat.S_IMODE(table.stat().st_mode) == 0o644
