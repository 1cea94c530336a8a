"""The notebook job runner: string parameters, outputs only when complete, one line on failure."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from analysis.run_notebook import parse_parameters


def _notebook(path, *cells: str) -> None:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell('site = "x"', metadata={"tags": ["parameters"]})]
    book.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    book.metadata["kernelspec"] = {"name": "brobygning", "display_name": "Brobygning", "language": "python"}
    nbformat.write(book, path)


def _run(tmp_path, notebook, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis.run_notebook", str(notebook), str(tmp_path / "out.ipynb"),
                           "--log", str(tmp_path / "job.log"), *args], capture_output=True, text=True, cwd=tmp_path)


def test_parameters_stay_strings_and_the_output_appears_when_done(tmp_path):
    _notebook(tmp_path / "nb.ipynb", "assert site == '0301', repr(site)", "print(type(site).__name__)")
    result = _run(tmp_path, tmp_path / "nb.ipynb", "-p", "site=0301")
    assert result.returncode == 0, result.stderr
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "str\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_failing_cell_gives_one_line_and_leaves_no_output(tmp_path):
    _notebook(tmp_path / "nb.ipynb", "x = 1", "raise ValueError('data/raw/p/a/register.xlsx, row 3, column A: bad')")
    result = _run(tmp_path, tmp_path / "nb.ipynb")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"{tmp_path / 'nb.ipynb'}, cell In [3]: ValueError: data/raw/p/a/register.xlsx, row 3, column A: bad"]
    assert "raise ValueError" in (tmp_path / "job.log").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.log", "nb.ipynb"]


def test_a_kernel_that_dies_is_a_one_line_failure_too(tmp_path):
    _notebook(tmp_path / "nb.ipynb", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    result = _run(tmp_path, tmp_path / "nb.ipynb")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"{tmp_path / 'nb.ipynb'}: DeadKernelError")
    assert not (tmp_path / "out.ipynb").exists()


def test_a_parameter_without_a_name_is_refused():
    assert parse_parameters(["project=a=b", "site="]) == {"project": "a=b", "site": ""}
    with pytest.raises(ValueError, match="not name=value"):
        parse_parameters(["site"])
