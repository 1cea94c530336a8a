"""One command: `brobygning <command>` (= `python -m analysis <command>`) for everything the Makefile offers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from analysis.__main__ import COMMANDS, build_parser, main

BROBYGNING = Path(sys.executable).with_name("brobygning")
MAKE_TARGETS = ["run", "site", "unlock", "audit", "report", "pdf", "bench", "archive"]
COMMAND_NAMES = ["run", "site", "unlock", "init", "check", "audit", "report", "pdf", "bench", "archive"]


def _subcommands() -> list[str]:
    return list(build_parser()._subparsers._group_actions[0].choices)


def test_there_is_a_subcommand_for_everything_the_makefile_offers_and_one_entry_adds_one():
    assert set(COMMAND_NAMES) <= set(_subcommands())
    assert len(COMMANDS) == len(_subcommands())


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: brobygning {command}" in capsys.readouterr().out


def test_the_console_script_and_python_m_analysis_are_the_same_command():
    script = subprocess.run([str(BROBYGNING), "--help"], capture_output=True, text=True, timeout=60)
    module = subprocess.run([sys.executable, "-m", "analysis", "--help"], capture_output=True, text=True, timeout=60)
    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout and "archive" in script.stdout


@pytest.mark.parametrize("target", MAKE_TARGETS)
def test_the_makefile_target_calls_the_entry_point(target):
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert f"$(CLI) {target}" in recipe


def test_a_workflow_command_outside_a_checkout_says_so_in_one_line(tmp_path):
    (tmp_path / "config" / "projects").mkdir(parents=True)
    result = subprocess.run(
        [str(BROBYGNING), "run", "someproject", "--root", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no workflow/Snakefile" in result.stderr
