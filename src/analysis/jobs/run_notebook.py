"""Run a pipeline notebook as a workflow job: papermill, then (for reports) the HTML page, in one process.

    python -m analysis.jobs.run_notebook NOTEBOOK OUTPUT --kernel brobygning -p project=NAME [-p site=ID]
                                    [--html PAGE --language da] --log LOG
    python -m analysis.jobs.run_notebook NOTEBOOK OUTPUT... --each site ID... [--html PAGE...] ...  (a batch)

A batch runs the notebook once per value of one parameter (OUTPUT and PAGE given in the same order) in one
kernel, which is started and imports the libraries once instead of once per site (docs/performance.md).
Between two runs the kernel's namespace is reset and its execution count restarts at 1, so each executed
notebook and page is the same as from a kernel of its own (tests/test_run_notebook.py checks this).

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


class BatchRunFailed(Exception):
    """One run of a batch failed; `run` names its parameters, `error` is what it raised."""

    def __init__(self, run: str, error: Exception):
        super().__init__(run, error)
        self.run, self.error = run, error


def failure_line(notebook: str, error: BaseException) -> str:
    """'<notebook>, cell In [N]: <ErrorType>: <message>' for an error raised in a cell, otherwise
    '<notebook>: <ErrorType>: <first line of the message>' (a dead kernel, a timeout, a missing kernel).
    In a batch the notebook is followed by the failed run's parameters: '<notebook> (site=b), cell ...'."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, BatchRunFailed):
        return failure_line(f"{notebook} ({error.run})", error.error)
    if isinstance(error, PapermillExecutionError):
        message = str(error.evalue).strip().splitlines()
        return f"{notebook}, cell In [{error.exec_count}]: {error.ename}: {message[0] if message else ''}".rstrip()
    message = str(error).strip().splitlines()
    return f"{notebook}: {type(error).__name__}: {message[0] if message else 'no message'}".rstrip(": ")


def execute(notebook: Path, output: Path, parameters: dict[str, str], kernel: str, manager=None) -> None:
    """Execute `notebook` with `parameters` into `output`, which appears only after the last cell ran; in the
    kernel of `manager` (a jupyter_client kernel manager, left running) when given, else in a new one."""
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.stem}.partial{output.suffix}")
    try:
        papermill.execute_notebook(
            str(notebook),
            str(partial),
            parameters=parameters,
            kernel_name=kernel,
            progress_bar=False,
            cwd=".",
            km=manager,
        )
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def reset_kernel(manager) -> None:
    """Empty the running kernel's namespace and restart its execution count at 1 (imported modules stay)."""
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient()
    client.load_connection_info(manager.get_connection_info())
    client.start_channels()
    try:
        reply = client.execute_interactive(
            "get_ipython().reset(new_session=True)", silent=True, store_history=False, timeout=60
        )
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue', reply['content'])}")
    finally:
        client.stop_channels()


def runs(args: argparse.Namespace) -> list[tuple[dict[str, str], Path, Path | None]]:
    """(parameters, executed notebook, page or None) of each run the command line asks for."""
    parameters = parse_parameters(args.param)
    if not args.each:
        if len(args.output) != 1 or len(args.html or [None]) != 1:
            raise ValueError("several outputs need --each NAME VALUE..., one value per output")
        return [(parameters, args.output[0], (args.html or [None])[0])]
    name, *values = args.each
    pages = args.html or [None] * len(values)
    if not values or len(args.output) != len(values) or len(pages) != len(values):
        raise ValueError(f"--each {name}: {len(values)} values for {len(args.output)} outputs and {len(pages)} pages")
    return [
        ({**parameters, name: value}, output, page)
        for value, output, page in zip(values, args.output, pages, strict=True)
    ]


def run_all(notebook: Path, jobs: list[tuple[dict[str, str], Path, Path | None]], kernel: str, language: str) -> None:
    """Run every job in order in one kernel, each published (notebook, then page) as soon as it is done."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    manager = AsyncKernelManager(kernel_name=kernel) if len(jobs) > 1 else None
    try:
        for number, (parameters, output, page) in enumerate(jobs):
            if manager is not None and number:
                reset_kernel(manager)
            try:
                execute(notebook, output, parameters, kernel, manager)
            except Exception as error:
                if manager is None:
                    raise
                raise BatchRunFailed(" ".join(f"{k}={v}" for k, v in parameters.items()), error) from error
            if page:
                from analysis.reports.html import render_html

                render_html(output, page, language)
    finally:
        if manager is not None and manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.jobs.run_notebook", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("output", type=Path, nargs="+", help="the executed notebook (one per --each value)")
    parser.add_argument("--kernel", default="brobygning")
    parser.add_argument("-p", "--param", action="append", default=[], help="name=value (a string)")
    parser.add_argument("--each", nargs="+", metavar="NAME VALUE", help="run once per VALUE of parameter NAME")
    parser.add_argument("--html", type=Path, nargs="+", help="also render each executed notebook to this page")
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
            run_all(args.notebook, runs(args), args.kernel, args.language)
        except Exception as error:  # every failure ends in one line on the console and the whole story in the log
            logging.getLogger("analysis.jobs.run_notebook").exception("job failed")
            print(failure_line(str(args.notebook), error), file=console)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
