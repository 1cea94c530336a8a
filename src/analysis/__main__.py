"""Command line of the analysis package: `brobygning <command> ...` (the same as `python -m analysis ...`).

Commands (each has --help; the Makefile's targets call them)
--------
run [project] [--cores N]     run the whole pipeline (Snakemake, local profile) on a project
site <site> [--project P]     rebuild one site's report and the pooled models it needs
unlock [project]              remove the lock a killed run left behind
report [project]              Snakemake's report bundle of a project's pages
pdf [project]                 print every report page to A4 PDF (needs Chromium)
bench [--scale S]             time the pipeline against its floor (docs/performance.md)
archive [project]             Workflow Run RO-Crate of the last run under reports/<project>/archive/
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

from analysis import __version__

ROOT_HELP = (
    "project root, the folder holding config/ and data/ (default: the nearest folder at or above the "
    "working directory that holds config/projects/)"
)


def _project_and_root(parser: argparse.ArgumentParser, required: bool = False) -> None:
    """The project argument (the config's default project when optional) and --root, shared by most commands."""
    if required:
        parser.add_argument("project", help="project name (a folder under config/projects/)")
    else:
        parser.add_argument("project", nargs="?", default=None, help=PROJECT_HELP)
    parser.add_argument("--root", default=None, help=ROOT_HELP)


def _project_command(name: str, help_text: str, description: str, module: str):
    """A subcommand taking a project name and --root, run by `<module>.main(project, root)`."""

    def add(commands: argparse._SubParsersAction) -> None:
        parser = commands.add_parser(name, help=help_text, description=description)
        _project_and_root(parser, required=True)
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


PROJECT_HELP = "project name (a folder under config/projects/; default: the one config/config.yaml names)"
CORES_HELP = "CPU cores Snakemake may use (default: 2)"


def _workflow(name: str) -> Callable:
    return getattr(importlib.import_module("analysis.tools.workflow"), name)


def _add_run(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "run",
        help="run the whole pipeline on a project",
        description="Run the Snakemake workflow (workflow/Snakefile, profile workflow/profiles/default) on a "
        "project: clean every site, pool, fit the models and render every report. Reruns only what changed.",
    )
    _project_and_root(parser)
    parser.add_argument("--cores", type=int, default=2, help=CORES_HELP)
    parser.set_defaults(handler=lambda args: _workflow("run")(args.project, args.root, args.cores))


def _add_site(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "site",
        help="rebuild one site's report after changing its raw files",
        description="Rebuild reports/<project>/sites/<site>.html and only the pooled models it needs.",
    )
    parser.add_argument("site", help="a site id from config/projects/<project>/sites.tsv")
    parser.add_argument("--project", default=None, help=PROJECT_HELP)
    parser.add_argument("--cores", type=int, default=2, help=CORES_HELP)
    parser.add_argument("--root", default=None, help=ROOT_HELP)
    parser.set_defaults(handler=lambda args: _workflow("site")(args.project, args.site, args.root, args.cores))


def _add_unlock(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "unlock",
        help="remove the lock a killed run left behind",
        description="After a killed run (power cut, kill -9) remove Snakemake's stale lock; `run` then resumes. "
        "Only when no other run is going on in this folder.",
    )
    _project_and_root(parser)
    parser.set_defaults(handler=lambda args: _workflow("unlock")(args.project, args.root))


def _add_report(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "report",
        help="Snakemake's report bundle of a project's pages",
        description="Write reports/<project>/snakemake-report.zip: every HTML report with its caption.",
    )
    _project_and_root(parser)
    parser.set_defaults(handler=lambda args: _workflow("report")(args.project, args.root))


def _pdf(args: argparse.Namespace) -> int:
    folder = _workflow("workflow_root")(args.root)
    project = args.project or _workflow("default_project")(folder)
    return importlib.import_module("analysis.tools.browser").main(["pdf", str(folder / "reports" / project)])


def _add_pdf(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "pdf",
        help="print every report page of a project to A4 PDF",
        description="Print each .html page under reports/<project>/ to a PDF beside it, in headless Chromium "
        "(Playwright's, the system's or Chrome; exit 2 with how to install one when there is none).",
    )
    _project_and_root(parser)
    parser.set_defaults(handler=_pdf)


def _add_bench(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "bench",
        help="time the pipeline against its floor",
        description="Time a cold run, a rerun after one site changed and the same analyses in one process "
        "(the floor), on simulated projects in a scratch folder; prints and writes bench.json.",
    )
    parser.add_argument("--scale", default="default", help="default, or SITESxPARTICIPANTS such as 98x1000")
    parser.add_argument("--models-only", action="store_true", help="time the retention step alone")
    parser.add_argument("--cores", type=int, default=2, help=CORES_HELP)
    parser.add_argument("--work", default=None, help="scratch folder (default: a new temporary folder)")

    def handler(args: argparse.Namespace) -> int:
        argv = ["--scale", args.scale, "--cores", str(args.cores)]
        argv += ["--models-only"] if args.models_only else []
        argv += ["--work", args.work] if args.work else []
        return importlib.import_module("analysis.bench.__main__").main(argv)

    parser.set_defaults(handler=handler)


def _add_archive(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "archive",
        help="archive the last run as a Workflow Run RO-Crate a paper can cite",
        description="Write reports/<project>/archive/ (ro-crate-metadata.json with the workflow, code version, "
        "config, lock, processed tables, reports, the run's steps and the SHA-256 of every raw input, never the "
        "raw files) and reports/<project>/archive.zip. Exits 1 with what is missing before any run.",
    )
    _project_and_root(parser)
    parser.set_defaults(
        handler=lambda args: importlib.import_module("analysis.tools.archive").main(args.project, args.root)
    )


# One entry per command, in the order `--help` lists them.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_run,
    _add_site,
    _add_unlock,
    _add_init,
    _add_check,
    _add_audit,
    _add_plan,
    _add_report,
    _add_pdf,
    _add_bench,
    _add_archive,
]


def build_parser(prog: str = "brobygning") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Brobygning: evaluation pipeline and its tools.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command", required=True)
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code. A ConfigError (what is missing, where) is one line on stderr, exit 1."""
    args = build_parser().parse_args(argv)
    from analysis.core.errors import ConfigError

    try:
        return args.handler(args)
    except ConfigError as error:
        print(f"brobygning {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
