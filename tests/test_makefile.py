"""The Makefile picks the newest supported Python it finds, and says in one line what it needs when none."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import REPO


def _python(folder: Path, name: str, version: tuple[int, int, int] | None) -> None:
    """A stand-in `name` reporting `version` to the Makefile's check (None: a shim that fails, like pyenv's)."""
    script = folder / name
    if version is None:
        script.write_text('#!/bin/sh\necho "pyenv: $0: command not found" >&2\nexit 127\n', encoding="utf-8")
    else:
        script.write_text(
            "#!/bin/sh\n"
            f'if [ "$1" = -c ]; then exec /usr/bin/python3 -c "import sys; sys.version_info = {version}; $2"; fi\n'
            f"echo {name} $@\n",
            encoding="utf-8",
        )
    script.chmod(0o755)


def _make(tmp_path: Path, pythons: dict[str, tuple[int, int, int] | None], *args: str) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, version in pythons.items():
        _python(bin_dir, name, version)
    for tool in ("sh", "env", "make", "grep", "awk"):
        if tool not in pythons and shutil.which(tool):
            (bin_dir / tool).symlink_to(shutil.which(tool))
    work = tmp_path / "work"
    work.mkdir()
    for name in ("Makefile", "requirements.lock", "pyproject.toml"):
        shutil.copy2(REPO / name, work / name)
    (work / "src" / "analysis").mkdir(parents=True)
    shutil.copy2(REPO / "src" / "analysis" / "__init__.py", work / "src" / "analysis" / "__init__.py")
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=work, capture_output=True, text=True, env={"PATH": str(bin_dir)}
    )


def test_the_newest_supported_python_is_chosen_and_a_broken_shim_is_passed_over(tmp_path):
    result = _make(
        tmp_path, {"python3.13": None, "python3.12": (3, 12, 1), "python3.11": (3, 11, 2)}, "-n", ".venv/.installed"
    )
    assert result.returncode == 0, result.stderr
    assert f"{tmp_path}/bin/python3.12 -m venv .venv" in result.stdout


def test_debian_12s_python_3_11_2_is_enough(tmp_path):
    result = _make(tmp_path, {"python3.11": (3, 11, 2)}, "-n", ".venv/.installed")
    assert f"{tmp_path}/bin/python3.11 -m venv .venv" in result.stdout


def test_without_a_supported_python_make_says_what_it_needs_in_one_line(tmp_path):
    result = _make(tmp_path, {"python3.11": (3, 11, 1), "python3": (3, 10, 12)}, ".venv/.installed")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    assert len(lines) == 1 and "needs Python 3.11.2 to 3.13" in lines[0] and "apt-get install" in lines[0]
    assert not (tmp_path / "work" / ".venv").exists()
