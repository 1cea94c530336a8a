"""The notebook job runner: string parameters, outputs only when complete, one line on failure."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from analysis.jobs.run_notebook import notebook_import_lines, parse_parameters


def _notebook(path, *cells: str) -> None:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell('site = "x"', metadata={"tags": ["parameters"]})]
    book.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    book.metadata["kernelspec"] = {"name": "brobygning", "display_name": "Brobygning", "language": "python"}
    nbformat.write(book, path)


def _run(tmp_path, notebook, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.jobs.run_notebook",
            str(notebook),
            str(tmp_path / "out.ipynb"),
            "--log",
            str(tmp_path / "job.log"),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


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
        f"{tmp_path / 'nb.ipynb'}, cell In [3]: ValueError: data/raw/p/a/register.xlsx, row 3, column A: bad"
    ]
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


def _report_notebook(path) -> None:
    """A notebook whose outputs would betray state left by an earlier run in the same kernel."""
    _notebook(
        path,
        "assert 'leftover' not in globals(), 'namespace not reset'\nleftover = site",
        "from IPython.display import HTML, display\ndisplay(HTML(f'<h1>Site {site}</h1>'))",
        "print(get_ipython().execution_count)",
    )


def test_a_batch_runs_each_value_in_one_kernel_as_if_each_had_its_own(tmp_path):
    _report_notebook(tmp_path / "nb.ipynb")
    alone = tmp_path / "alone"
    alone.mkdir()
    assert _run(alone, tmp_path / "nb.ipynb", "-p", "site=b", "--html", str(alone / "b.html")).returncode == 0
    outputs = [str(tmp_path / f"{s}.ipynb") for s in "abc"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.jobs.run_notebook",
            str(tmp_path / "nb.ipynb"),
            *outputs,
            "--each",
            "site",
            "a",
            "b",
            "c",
            "--html",
            *(str(tmp_path / f"{s}.html") for s in "abc"),
            "--log",
            str(tmp_path / "job.log"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    alone_counts = [
        (c.execution_count, c.outputs)
        for c in nbformat.read(alone / "out.ipynb", as_version=4).cells
        if c.outputs and "text" in c.outputs[0]
    ]
    for site in "abc":
        executed = nbformat.read(tmp_path / f"{site}.ipynb", as_version=4)
        # the execution count restarted: the last cell reports the same count as in a kernel of its own
        assert [
            (c.execution_count, c.outputs) for c in executed.cells if c.outputs and "text" in c.outputs[0]
        ] == alone_counts
        assert f"<h1>Site {site}</h1>" in (tmp_path / f"{site}.html").read_text()
    assert (tmp_path / "b.html").read_bytes() == (alone / "b.html").read_bytes()
    # one kernel: the job log shows a single kernel start
    assert (tmp_path / "job.log").read_text().count("Executing notebook with kernel") == 3


def test_a_failing_run_in_a_batch_names_its_value_and_stops_the_batch(tmp_path):
    _notebook(tmp_path / "nb.ipynb", "assert site != 'b', 'no b here'")
    outputs = [str(tmp_path / f"{s}.ipynb") for s in "abc"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.jobs.run_notebook",
            str(tmp_path / "nb.ipynb"),
            *outputs,
            "--each",
            "site",
            "a",
            "b",
            "c",
            "--log",
            str(tmp_path / "job.log"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"{tmp_path / 'nb.ipynb'} (site=b), cell In [3]: AssertionError: no b here"
    ]
    assert (tmp_path / "a.ipynb").exists() and not (tmp_path / "b.ipynb").exists()
    assert not (tmp_path / "c.ipynb").exists()


def test_a_batch_needs_one_output_per_value(tmp_path):
    _notebook(tmp_path / "nb.ipynb", "pass")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.jobs.run_notebook",
            str(tmp_path / "nb.ipynb"),
            str(tmp_path / "a.ipynb"),
            "--each",
            "site",
            "a",
            "b",
            "--log",
            str(tmp_path / "job.log"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip() == f"{tmp_path / 'nb.ipynb'}: ValueError: --each site: 2 values for 1 outputs and 2 pages"
    )


def test_then_runs_a_second_notebook_in_the_same_kernel_as_if_in_its_own(tmp_path):
    """The last report batch renders the summary after its sites with --then: the summary's executed notebook
    and page are those of a kernel of its own, and a failure there names the summary notebook."""
    _report_notebook(tmp_path / "site.ipynb")
    _notebook(tmp_path / "summary.ipynb", "import json\nprint(get_ipython().execution_count, sorted(globals())[-3:])")
    alone = tmp_path / "alone"
    alone.mkdir()
    assert _run(alone, tmp_path / "summary.ipynb", "--html", str(alone / "summary.html")).returncode == 0
    result = _run(
        tmp_path,
        tmp_path / "site.ipynb",
        "--each",
        "site",
        "a",
        "--then",
        str(tmp_path / "summary.ipynb"),
        str(tmp_path / "summary.out.ipynb"),
        str(tmp_path / "summary.html"),
    )
    assert result.returncode == 0, result.stderr
    cells = [c.outputs for c in nbformat.read(tmp_path / "summary.out.ipynb", as_version=4).cells]
    assert cells == [c.outputs for c in nbformat.read(alone / "out.ipynb", as_version=4).cells]
    assert (tmp_path / "summary.html").read_bytes() == (alone / "summary.html").read_bytes()

    _notebook(tmp_path / "broken.ipynb", "raise KeyError('no summary')")
    failed = _run(
        tmp_path, tmp_path / "site.ipynb", "--each", "site", "a", "--then", str(tmp_path / "broken.ipynb"), "x.ipynb"
    )
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [f"{tmp_path / 'broken.ipynb'}, cell In [2]: KeyError: 'no summary'"]


def test_the_kernel_imports_the_notebooks_imports_first_and_a_kernel_dying_there_is_one_line(tmp_path):
    (tmp_path / "fatal.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    _notebook(tmp_path / "nb.ipynb", "x = 1", "def f():\n    import json\nimport fatal  # dies on import")
    assert notebook_import_lines(tmp_path / "nb.ipynb") == "import fatal"
    result = _run(tmp_path, tmp_path / "nb.ipynb")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"{tmp_path / 'nb.ipynb'}: DeadKernelError"), line
    assert not (tmp_path / "out.ipynb").exists()
