"""Run one pipeline notebook as a workflow job: papermill, then (for reports) the HTML page, in one process.

    python -m analysis.run_notebook NOTEBOOK OUTPUT --kernel brobygning -p project=NAME [-p site=ID]
                                    [--html PAGE --language da] --log LOG

Guarantees:
- Parameters are passed as strings (a site id '0301' stays '0301').
- The executed notebook is written next to OUTPUT under a temporary name and renamed into place only when
  every cell has run, so a killed job never leaves an OUTPUT that looks complete; the HTML page is written
  the same way (analysis.reports.html).
- Each job gets its own IPython and Jupyter runtime folders: parallel kernels otherwise race on shared files.
- Everything the job and its kernel print goes to LOG. On failure, one line naming the notebook, the failing
  cell and the error goes to stderr, the traceback to LOG, and the exit status is 1.

Papermill and nbconvert run in this one process because starting a second interpreter and importing
nbformat, traitlets and jinja twice per report cost about a second per job (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path


def parse_parameters(pairs: list[str]) -> dict[str, str]:
    """'name=value' pairs as a dict of strings; raises ValueError for a pair without '='."""
    parameters = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"parameter {pair!r} is not name=value")
        parameters[name] = value
    return parameters


def failure_line(notebook: str, error: BaseException) -> str:
    """'<notebook>, cell In [N]: <ErrorType>: <message>' for an error raised in a cell, otherwise
    '<notebook>: <ErrorType>: <first line of the message>' (a dead kernel, a timeout, a missing kernel)."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        message = str(error.evalue).strip().splitlines()
        return f"{notebook}, cell In [{error.exec_count}]: {error.ename}: {message[0] if message else ''}".rstrip()
    message = str(error).strip().splitlines()
    return f"{notebook}: {type(error).__name__}: {message[0] if message else 'no message'}".rstrip(": ")


def execute(notebook: Path, output: Path, parameters: dict[str, str], kernel: str) -> None:
    """Execute `notebook` with `parameters` into `output`, which appears only after the last cell ran."""
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.stem}.partial{output.suffix}")
    try:
        papermill.execute_notebook(str(notebook), str(partial), parameters=parameters, kernel_name=kernel,
                                   progress_bar=False, cwd=".")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.run_notebook", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--kernel", default="brobygning")
    parser.add_argument("-p", "--param", action="append", default=[], help="name=value (a string)")
    parser.add_argument("--html", type=Path, help="also render the executed notebook to this page")
    parser.add_argument("--language", default="da")
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args(argv)
    args.log.parent.mkdir(parents=True, exist_ok=True)
    console = os.fdopen(os.dup(sys.stderr.fileno()), "w")
    log = open(args.log, "w", encoding="utf-8")  # stays open until the process ends
    for stream in (sys.stdout, sys.stderr):  # the kernel inherits these descriptors: its chatter goes to the log
        stream.flush()
        os.dup2(log.fileno(), stream.fileno())
    logging.basicConfig(stream=log, level=logging.INFO, format="%(name)s: %(message)s")
    logging.captureWarnings(True)  # library warnings belong in the job's log, not on the console
    with tempfile.TemporaryDirectory() as ipython, tempfile.TemporaryDirectory() as runtime:
        os.environ.update(IPYTHONDIR=ipython, JUPYTER_RUNTIME_DIR=runtime)
        try:
            execute(args.notebook, args.output, parse_parameters(args.param), args.kernel)
            if args.html:
                from .reports.html import render_html

                render_html(args.output, args.html, args.language)
        except Exception as error:  # every failure ends in one line on the console and the whole story in the log
            logging.getLogger("analysis.run_notebook").exception("job failed")
            print(failure_line(str(args.notebook), error), file=console)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
