"""One line that says why a notebook job failed, from papermill's log.

Papermill logs the failing cell ('Exception encountered at "In [3]"') and then the whole traceback; a
reviewer of a failed run needs the notebook, the cell and the error's own message, nothing more.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_CELL = re.compile(r'Exception encountered at "(In \[\d+\])"')
_ERROR = re.compile(r"^(\w+(?:Error|Exception|Exit)): (.+)$")


def summarise_failure(log_text: str, notebook: str) -> str:
    """'<notebook>, cell In [N]: <ErrorType>: <message>', or a pointer to the log when nothing is found."""
    cell = _CELL.search(log_text)
    errors = [m for line in log_text.splitlines() if (m := _ERROR.match(line.strip()))]
    errors = [m for m in errors if m.group(1) != "PapermillExecutionError"]
    where = f"{notebook}, cell {cell.group(1)}" if cell else notebook
    if not errors:
        return f"{where}: failed without an error message; see the job's log"
    return f"{where}: {errors[-1].group(1)}: {errors[-1].group(2)}"


def main(argv: list[str] | None = None) -> int:
    """Print the summary of a failed job's log to stderr: `python -m analysis.failures LOG NOTEBOOK`."""
    log, notebook = (argv if argv is not None else sys.argv[1:])[:2]
    text = Path(log).read_text(encoding="utf-8", errors="replace") if Path(log).exists() else ""
    print(summarise_failure(text, notebook), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
