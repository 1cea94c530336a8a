"""Loading and validating a project's config, site sheet and codebook, all problems at once.

A project lives in config/projects/<name>/ (config.yaml, sites.tsv, codebook.yaml) with raw data in
data/raw/<name>/<site>/. Paths are relative to the project root (the folder holding config/ and data/,
which is Snakemake's working directory).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jsonschema
import yaml

from analysis.core.errors import ConfigError
from analysis.project import todo
from analysis.read.codebook import Codebook, contradictions, site_scale_problems

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"  # package data: shipped in the wheel
RAW_SUFFIXES = (".xlsx", ".csv", ".tsv", ".txt", ".sav")  # .tsv and .txt: delimited text, as .csv
# Written by the simulator beside the raw folders it makes: the mark of a synthetic (demo) project.
SIMULATION_TRUTH_FILE = "_simulation_truth.json"


@dataclass(frozen=True)
class Project:
    """A validated project: its config, its sites (in site-sheet order) and its codebook."""

    name: str
    root: Path
    config: dict
    sites: list[dict]
    codebook: Codebook

    @property
    def raw_dir(self) -> Path:
        return self.root / "data" / "raw" / self.name

    @property
    def processed_dir(self) -> Path:
        return self.root / "data" / "processed" / self.name

    @property
    def config_dir(self) -> Path:
        return self.root / "config" / "projects" / self.name

    @property
    def extraction_date(self) -> date:
        return date.fromisoformat(self.config["extraction_date"])

    def site(self, site_id: str) -> dict:
        """The site sheet row of a site; ConfigError if the site is not in the sheet."""
        for row in self.sites:
            if row["site"] == site_id:
                return row
        raise ConfigError([f"{self.config_dir / 'sites.tsv'}: no site '{site_id}'"])

    @property
    def site_ids(self) -> list[str]:
        return [row["site"] for row in self.sites]

    @property
    def is_synthetic(self) -> bool:
        """True when the raw data were written by the simulator (its truth record lies beside them)."""
        return (self.raw_dir / SIMULATION_TRUTH_FILE).is_file()


def _jsonable(value: object) -> object:
    """YAML as JSON sees it: dates become ISO strings, mapping keys become strings."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _schema_description(schema: dict, path: tuple[str, ...]) -> str | None:
    """The `description` of the schema property at a key path, if the schema gives one."""
    node = schema
    for key in path:
        node = node.get("properties", {}).get(key)
        if not isinstance(node, dict):
            return None
    return node.get("description")


def load_schema(schema_name: str) -> dict:
    """One of the JSON schemas shipped in analysis/project/schemas/ ('config.schema.yaml', 'sites.schema.yaml', ...)."""
    return yaml.safe_load((SCHEMA_DIR / schema_name).read_text(encoding="utf-8"))


@functools.cache
def _schema_validator(schema_name: str) -> jsonschema.Draft202012Validator:
    """Parsed once per process: the site sheet is validated row by row, 98 times at national scale."""
    return jsonschema.Draft202012Validator(load_schema(schema_name))


def schema_problems(document: object, schema_name: str, where: str) -> list[str]:
    """Placeholders left by `init` (one problem each), then schema violations of the rest of the document."""
    validator = _schema_validator(schema_name)
    schema = validator.schema
    placeholders = todo.find_placeholders(document)
    problems = [f"{where}: {todo.describe(p, _schema_description(schema, p.path))}" for p in placeholders]
    left_out = {p.path for p in placeholders}
    errors = validator.iter_errors(todo.without_placeholders(document))
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(str(p) for p in error.absolute_path)
        if error.validator == "required" and all(
            (*path, name) in left_out for name in error.validator_value if name not in error.instance
        ):
            continue  # a key that is only missing because it is still a placeholder
        problems.append(f"{where}: at '{'/'.join(path) or '(top level)'}': {error.message}")
    return problems


def read_yaml(path: Path, problems: list[str]) -> dict:
    """A YAML file as JSON sees it ({} if missing, empty or invalid, with the problem appended)."""
    if not path.exists():
        problems.append(f"{path}: file is missing")
        return {}
    try:
        return _jsonable(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except yaml.YAMLError as exc:
        problems.append(f"{path}: not valid YAML ({str(exc).splitlines()[0]})")
        return {}


def _read_sites(path: Path, problems: list[str]) -> list[dict]:
    if not path.exists():
        problems.append(f"{path}: file is missing")
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    sites = []
    for line, row in enumerate(rows, start=2):
        parsed = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
        if parsed.get("reports_end_status") in ("true", "false"):
            parsed["reports_end_status"] = parsed["reports_end_status"] == "true"
        problems.extend(schema_problems(parsed, "sites.schema.yaml", f"{path}, row {line}"))
        sites.append(parsed)
    ids = [s.get("site") for s in sites]
    problems.extend(f"{path}: site '{s}' is listed twice" for s in sorted({i for i in ids if ids.count(i) > 1}))
    if not sites:
        problems.append(f"{path}: no sites listed")
    return sites


def _cross_checks(name: str, root: Path, config: dict, sites: list[dict], codebook: dict) -> list[str]:
    problems = []
    site_ids = {s.get("site") for s in sites}
    config_path = root / "config" / "projects" / name / "config.yaml"
    if config and config.get("project") != name:
        problems.append(f"{config_path}: 'project' is '{config.get('project')}' but the folder is '{name}'")
    for site in sorted(set(config.get("subsidy_rules", {})) - site_ids):
        problems.append(f"{config_path}: subsidy_rules names site '{site}', which is not in sites.tsv")
    if config.get("compare_by") == "bridging_model":
        models = {s.get("bridging_model") for s in sites}
        for value in sorted(set(config.get("compare_labels", {})) - models):
            problems.append(
                f"{config_path}: compare_labels names '{value}', which no site of sites.tsv has as bridging_model"
            )
    raw_dir = root / "data" / "raw" / name
    if not raw_dir.is_dir():
        problems.append(f"{raw_dir}: raw data folder is missing")
    else:
        folders = {p.name for p in raw_dir.iterdir() if p.is_dir()}
        for folder in sorted(folders - site_ids):
            problems.append(f"{raw_dir / folder}: folder of an unknown site (not in sites.tsv)")
        for site in sorted(site_ids - folders - {None}):
            problems.append(f"{raw_dir / site}: raw data folder of site '{site}' is missing")
    if codebook:
        problems.extend(contradictions(codebook))
        problems.extend(site_scale_problems(codebook, site_ids - {None}, config.get("waves") or []))
        survey = codebook.get("survey", {})
        for column in survey.get("columns", {}):
            if column not in ("cpr", "response_date") and column not in survey.get("scale_of", {}):
                problems.append(f"codebook.yaml: survey.scale_of has no scale for '{column}'")
        for column, scale in survey.get("scale_of", {}).items():
            if scale not in codebook.get("scales", {}):
                problems.append(f"codebook.yaml: survey.scale_of.{column} names unknown scale '{scale}'")
    return problems


def find_root(start: str | Path = ".") -> Path:
    """The project root at or above `start`: the nearest folder holding config/projects/.

    Lets a notebook opened from notebooks/ find the same files as the workflow does from the root.
    """
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "config" / "projects").is_dir():
            return folder
    raise ConfigError([f"{start}: no folder at or above it holds config/projects/ (is this a Brobygning checkout?)"])


def load_project(name: str, root: str | Path | None = None) -> Project:
    """Read and validate a project. Raises ConfigError listing every problem found.

    `root` defaults to the nearest folder at or above the working directory that holds config/projects/.
    """
    root = find_root() if root is None else Path(root)
    folder = root / "config" / "projects" / name
    problems: list[str] = []
    if not folder.is_dir():
        raise ConfigError([f"{folder}: no such project (expected config.yaml, sites.tsv, codebook.yaml there)"])
    config = read_yaml(folder / "config.yaml", problems)
    if config:
        problems.extend(schema_problems(config, "config.schema.yaml", str(folder / "config.yaml")))
    sites = _read_sites(folder / "sites.tsv", problems)
    codebook = read_yaml(folder / "codebook.yaml", problems)
    if codebook:
        problems.extend(schema_problems(codebook, "codebook.schema.yaml", str(folder / "codebook.yaml")))
    problems.extend(
        _cross_checks(
            name,
            root,
            todo.without_placeholders(config),
            todo.without_placeholders(sites),
            todo.without_placeholders(codebook),
        )
    )
    if problems:
        raise ConfigError(problems)
    return Project(name=name, root=root, config=config, sites=sites, codebook=Codebook(codebook))


def site_raw_files(project: Project, site: str) -> list[Path]:
    """The raw files of a site, sorted: register.xlsx|csv|sav and survey_<wave>.xlsx|csv|sav.

    Raises ConfigError for a file that is neither (unknown files are never ignored silently) and for a
    site without a register.
    """
    folder = project.raw_dir / site
    leaving = _links_leaving(folder, project.root)
    if leaving:
        raise ConfigError(
            [
                f"{link}: a symbolic link to a place outside the project folder; copy the file into "
                "the raw folder instead (raw data are read only from inside the project)"
                for link in leaving
            ]
        )
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    expected_stems = {"register"} | {f"survey_{w}" for w in project.config["waves"]}
    endings = "|".join(s.removeprefix(".") for s in RAW_SUFFIXES)
    problems = [
        f"{p}: unexpected file (expected register.{endings} or survey_<wave>.{endings} with wave one of "
        f"{', '.join(project.config['waves'])})"
        for p in files
        if p.stem not in expected_stems or p.suffix.lower() not in RAW_SUFFIXES
    ]
    stems = [p.stem for p in files]
    problems += [
        f"{folder}: {stem} is there in more than one format; keep one file per register or wave"
        for stem in sorted({s for s in stems if stems.count(s) > 1})
    ]
    registers = [p for p in files if p.stem == "register"]
    if len(registers) != 1:
        problems.append(f"{folder}: expected exactly one register file, found {len(registers)}")
    if problems:
        raise ConfigError(problems)
    return files


def _links_leaving(folder: Path, root: Path) -> list[Path]:
    """Symbolic links in a raw folder whose target lies outside `root` (the folder itself may be a link, to
    keep raw data on a protected drive; a link inside it is a file slipped in from elsewhere)."""
    inside = root.resolve()
    return [p for p in sorted(folder.iterdir()) if p.is_symlink() and not p.resolve().is_relative_to(inside)]


def raw_folder_problems(project: Project) -> list[str]:
    """Problems with the raw files of every site (unknown files, missing register), all sites at once."""
    problems = []
    for site in project.site_ids:
        try:
            site_raw_files(project, site)
        except ConfigError as error:
            problems.extend(error.problems)
    return problems
