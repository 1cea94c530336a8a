"""Run a pipeline notebook as a workflow job: papermill, then (for reports) the HTML page, in one process.

    python -m analysis.jobs.run_notebook NOTEBOOK OUTPUT --kernel brobygning -p project=NAME [-p site=ID]
                                    [--html PAGE --language da] --log LOG
    python -m analysis.jobs.run_notebook NOTEBOOK OUTPUT... --each site ID... [--html PAGE...] ...  (a batch)
                                    [--then NOTEBOOK2 OUTPUT2 [PAGE2]]

A batch runs the notebook once per value of one parameter (OUTPUT and PAGE given in the same order) in one
kernel, which is started and imports the libraries once instead of once per site (docs/performance.md);
--then runs a second notebook after it in the same kernel (the last report batch renders the summary).
Before each run the kernel's namespace is reset and its execution count restarts at 1, so each executed
notebook and page is the same as from a kernel of its own (tests/test_run_notebook.py checks this). The
kernel is started first and imports what the notebooks import while this process loads papermill.

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
from typing import NamedTuple


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
    """One run of a batch failed: `run` (a Run), `error` what it raised."""

    def __init__(self, run: Run, error: Exception):
        super().__init__(run, error)
        self.run, self.error = run, error


def failure_line(notebook: str, error: BaseException) -> str:
    """'<notebook>, cell In [N]: <ErrorType>: <message>' for an error raised in a cell, otherwise
    '<notebook>: <ErrorType>: <first line of the message>' (a dead kernel, a timeout, a missing kernel).
    In a batch the notebook is followed by the failed run's parameters: '<notebook> (site=b), cell ...'."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, BatchRunFailed):
        parameters = " ".join(f"{k}={v}" for k, v in error.run.parameters.items())
        return failure_line(f"{error.run.notebook} ({parameters})" if parameters else error.run.notebook, error.error)
    if isinstance(error, PapermillExecutionError):
        message = str(error.evalue).strip().splitlines()
        return f"{notebook}, cell In [{error.exec_count}]: {error.ename}: {message[0] if message else ''}".rstrip()
    message = str(error).strip().splitlines()
    return f"{notebook}: {type(error).__name__}: {message[0] if message else 'no message'}".rstrip(": ")


def execute(notebook: Path, output: Path, parameters: dict[str, str], kernel: str, manager):
    """Execute `notebook` with `parameters` into `output`, which appears only after the last cell ran, in the
    kernel of `manager` (a jupyter_client kernel manager, left running). Returns the executed notebook."""
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.stem}.partial{output.suffix}")
    try:
        executed = papermill.execute_notebook(
            str(notebook),
            str(partial),
            parameters=parameters,
            kernel_name=kernel,
            progress_bar=False,
            request_save_on_cell_execute=False,  # nothing reads the partial file: saving it after each cell cost time
            cwd=".",
            km=manager,
        )
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return executed


def control_client(manager):
    """A blocking client of the manager's kernel, channels started, for the runner's own requests."""
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient()
    client.load_connection_info(manager.get_connection_info())
    client.start_channels()
    return client


def reset_kernel(client, manager) -> None:
    """Empty the kernel's namespace and restart its execution count at 1 (imported modules stay), after
    whatever the kernel is running; raises DeadKernelError if the kernel dies first."""
    import queue

    from jupyter_core.utils import run_sync
    from nbclient.exceptions import DeadKernelError

    request = client.execute("get_ipython().reset(new_session=True)", silent=True, store_history=False)
    while True:
        try:
            reply = client.get_shell_msg(timeout=1)
        except queue.Empty:
            if not run_sync(manager.is_alive)():
                raise DeadKernelError("the kernel died before the notebook ran") from None
            continue
        if reply["parent_header"].get("msg_id") == request:
            break
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue', reply['content'])}")


class Run(NamedTuple):
    """One execution of a notebook: with these parameters, into this executed notebook (and page)."""

    notebook: Path
    parameters: dict[str, str]
    output: Path
    page: Path | None


def runs(args: argparse.Namespace) -> list[Run]:
    """Each run the command line asks for, in order: the notebook once (or once per --each value), then
    the --then notebook with the same parameters but the --each one."""
    parameters = parse_parameters(args.param)
    if not args.each:
        if len(args.output) != 1 or len(args.html or [None]) != 1:
            raise ValueError("several outputs need --each NAME VALUE..., one value per output")
        planned = [Run(args.notebook, parameters, args.output[0], (args.html or [None])[0])]
    else:
        name, *values = args.each
        pages = args.html or [None] * len(values)
        if not values or len(args.output) != len(values) or len(pages) != len(values):
            raise ValueError(
                f"--each {name}: {len(values)} values for {len(args.output)} outputs and {len(pages)} pages"
            )
        planned = [
            Run(args.notebook, {**parameters, name: value}, output, page)
            for value, output, page in zip(values, args.output, pages, strict=True)
        ]
    if args.then:
        if len(args.then) not in (2, 3):
            raise ValueError("--then takes NOTEBOOK OUTPUT [PAGE]")
        notebook, output, *page = (Path(p) for p in args.then)
        planned.append(Run(notebook, parameters, output, page[0] if page else None))
    return planned


def notebook_import_lines(notebook: Path) -> str:
    """The import statements of a notebook's code cells (outside functions and classes), as source."""
    import ast
    import json

    lines = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "\n".join(line for line in "".join(cell["source"]).splitlines() if not line.startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:  # the cell fails when it runs, with its own message
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(lines)


def start_kernel(kernel: str):
    """A kernel manager with its kernel started (not yet ready), as nbclient would start it."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    manager = AsyncKernelManager(kernel_name=kernel)
    run_sync(manager.start_kernel)(extra_arguments=["--HistoryManager.hist_file=:memory:"], cwd=os.getcwd())
    return manager


def run_all(jobs: list[Run], kernel: str, language: str) -> None:
    """Run every job in order in one kernel, each published (notebook, then page) as soon as it is done.
    The kernel starts first and runs the notebooks' import statements while this process loads papermill
    and nbconvert (the two overlap on a free core); its namespace and execution count are reset before each
    run, so every executed notebook is as if from a kernel of its own."""
    from jupyter_core.utils import run_sync

    manager = start_kernel(kernel)
    try:
        client = control_client(manager)
        try:
            notebooks = dict.fromkeys(job.notebook for job in jobs)
            client.execute("\n".join(map(notebook_import_lines, notebooks)), silent=True, store_history=False)
            import papermill  # noqa: F401 - loaded while the kernel imports

            if any(job.page for job in jobs):
                from analysis.reports.html import render_html
            for job in jobs:
                reset_kernel(client, manager)
                try:
                    executed = execute(job.notebook, job.output, job.parameters, kernel, manager)
                except Exception as error:
                    if len(jobs) == 1:
                        raise
                    raise BatchRunFailed(job, error) from error
                if job.page:
                    render_html(executed, job.page, language)
        finally:
            client.stop_channels()
    finally:
        if manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.jobs.run_notebook", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("output", type=Path, nargs="+", help="the executed notebook (one per --each value)")
    parser.add_argument("--kernel", default="brobygning")
    parser.add_argument("-p", "--param", action="append", default=[], help="name=value (a string)")
    parser.add_argument("--each", nargs="+", metavar="NAME VALUE", help="run once per VALUE of parameter NAME")
    parser.add_argument("--html", type=Path, nargs="+", help="also render each executed notebook to this page")
    parser.add_argument("--then", nargs="+", metavar="NOTEBOOK OUTPUT [PAGE]", help="then run another notebook")
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
            run_all(runs(args), args.kernel, args.language)
        except Exception as error:  # every failure ends in one line on the console and the whole story in the log
            logging.getLogger("analysis.jobs.run_notebook").exception("job failed")
            print(failure_line(str(args.notebook), error), file=console)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
