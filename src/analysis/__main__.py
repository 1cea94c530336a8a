"""Command line of the analysis package: `python -m analysis <command> ...`.

Commands
--------
init <project> [--from RAW_DIR]
                  start a new project: config, site sheet and codebook template from sample raw files
                  (exit 0: written, 1: nothing written)
check <project>   validate config and every raw file without running the pipeline, listing all problems
                  (exit 0: ready, 1: problems)
audit <project>   privacy audit of data/processed/<project>/ and reports/<project>/ (exit 0: clean,
                  1: findings, 2: the project cannot be loaded)

Adding a command: write a function that adds its sub-parser (arguments, help) and sets `handler` to a
function taking the parsed arguments and returning the exit code (`_project_command` builds one for a
command that takes a project), and list it in COMMANDS. Modules are imported only when their command
runs, so that `--help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

ROOT_HELP = (
    "project root, the folder holding config/ and data/ (default: the nearest folder at or above the "
    "working directory that holds config/projects/)"
)


def _project_command(name: str, help_text: str, description: str, module: str):
    """A subcommand taking a project name and --root, run by `<module>.main(project, root)`."""

    def add(commands: argparse._SubParsersAction) -> None:
        parser = commands.add_parser(name, help=help_text, description=description)
        parser.add_argument("project", help="project name (a folder under config/projects/)")
        parser.add_argument("--root", default=None, help=ROOT_HELP)
        parser.set_defaults(handler=lambda args: importlib.import_module(module).main(args.project, args.root))

    return add


_add_check = _project_command(
    "check",
    "validate a project's config and raw files without running the pipeline",
    "Validate config, site sheet, codebook, raw folders, the pseudonym key and every raw file, and list every "
    "problem found (file, row, column, what was expected). Exits 1 if any.",
    "analysis.tools.check",
)
_add_audit = _project_command(
    "audit",
    "look for personal data and recoverable small counts in a project's outputs",
    "Scan data/processed/<project>/ and reports/<project>/ for CPR-like numbers, for the names, phone numbers, "
    "e-mails, CPR numbers and remarks of the raw data, and for report tables whose hidden cells can be worked "
    "out or that show counts below min_cell. Prints one line per file and kind of finding (never the values) "
    "and exits 1 if anything is found, 2 if the project cannot be loaded.",
    "analysis.tools.audit",
)


def _add_init(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "init",
        help="start a new project from sample raw files",
        description="Write config/projects/<project>/{config.yaml,sites.tsv,codebook.yaml} and data/raw/<project>/"
        "<site>/ from sample raw files (one folder per site with register.* and survey_<wave>.*). What the files "
        "cannot tell is left as TODO for you to fill in; `check` lists it. Never overwrites a project.",
    )
    parser.add_argument("project", help="the new project's name (lowercase letters, digits, hyphens)")
    parser.add_argument(
        "--from",
        dest="source",
        default=None,
        metavar="RAW_DIR",
        help="folder of site folders with sample raw files (default: data/raw/<project>/)",
    )
    parser.add_argument("--root", default=None, help=ROOT_HELP)
    parser.set_defaults(
        handler=lambda args: importlib.import_module("analysis.tools.init").main(args.project, args.root, args.source)
    )


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_init, _add_check, _add_audit]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description="Brobygning analysis commands.")
    commands = parser.add_subparsers(dest="command", metavar="command", required=True)
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
