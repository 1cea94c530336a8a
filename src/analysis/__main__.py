"""Command line of the analysis package: `python -m analysis <command> ...`.

Commands
--------
init <project> [--from RAW_DIR]
                  start a new project: config, site sheet and codebook template from sample raw files
                  (exit 0: written, 1: nothing written)
check <project>   validate config and every raw file without running the pipeline, listing all problems
                  (exit 0: ready, 1: problems)
plan [<project>] [--design FILE]
                  power and interval width of a planned evaluation, simulated with the project's simulator and
                  analysed with the primary model (exit 0: a plan, 1: the design cannot identify the effect,
                  2: the design cannot be read)
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


def _add_plan(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "plan",
        help="power and interval width of a planned evaluation (simulated)",
        description="Simulate a planned evaluation many times with the project's simulator, analyse each with the "
        "primary model, and report the power to detect the subsidy-end effect and the typical interval, as a table "
        "and a figure in Danish and English (docs/evaluator-guide.md, 'Planning'). The design comes from --design "
        "FILE (a small YAML) or from an existing project's config.yaml and simulation.yaml.",
    )
    parser.add_argument("project", nargs="?", help="plan from this project's config and simulation.yaml")
    parser.add_argument("--design", metavar="FILE", help="plan from this design file (YAML) instead of a project")
    parser.add_argument("--replicates", type=int, default=None, help="simulated evaluations per effect (default 200)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the simulations (default 1)")
    parser.add_argument(
        "--effects", type=float, nargs="+", default=None, help="true hazard ratios to simulate (1 is always added)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="processes to run replicates in (default 1)")
    parser.add_argument("--out", metavar="DIR", help="write plan.csv, plan.json, plan.<da|en>.md and .png here")
    parser.add_argument(
        "--language",
        choices=["da", "en"],
        default=None,
        help="language printed (default: the project's, or English for a design file)",
    )
    parser.add_argument("--root", default=None, help=ROOT_HELP)

    def handler(args: argparse.Namespace) -> int:
        if bool(args.project) == bool(args.design):
            parser.error("give either a project or --design FILE")
        return importlib.import_module("analysis.simulation.plan_report").main(args)

    parser.set_defaults(handler=handler)


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_init, _add_check, _add_audit, _add_plan]


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
