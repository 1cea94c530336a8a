"""`python -m analysis init <name> [--from RAW_DIR]`: start a new project from sample raw files.

Reads the sample raw files (RAW_DIR, by default data/raw/<name>/: one folder per site holding
register.xlsx|csv|sav and survey_<wave>.xlsx|csv|sav, as the pipeline expects) and writes

- config/projects/<name>/config.yaml: every config key with a comment and a safe default, or a TODO;
- config/projects/<name>/sites.tsv: one row per site folder, with what the files tell (does the register
  record ends, are survey answers texts or numbers) and TODO for what only the evaluator knows;
- config/projects/<name>/codebook.yaml: every header and answer found, placed under its canonical name
  where an existing project's codebook knows the spelling, and listed under a TODO key where none does;
- data/raw/<name>/<site>/ for every site (empty folders when RAW_DIR is elsewhere: copying raw data is
  the evaluator's deliberate act), and data/raw/<name>/.gitignore so that git ignores the raw files.

Every TODO is a placeholder (`analysis.project.todo`) that `python -m analysis check` lists until it is filled in.
An existing project is never overwritten. Files are written as text, comments included, and the same
sample files give the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from analysis.clean.register import LABELLED_COLUMNS
from analysis.clean.survey import ANSWER_COLUMNS
from analysis.core.errors import ConfigError, RawInputError
from analysis.project import todo
from analysis.project.loader import RAW_SUFFIXES, find_root, load_schema, read_yaml, schema_problems
from analysis.read.codebook import DROP, Codebook, normalise_label
from analysis.read.dates import is_blank
from analysis.read.readers import read_raw_table
from analysis.read.values import label_key, parse_number

SOURCE_ROOT = (
    Path(__file__).resolve().parents[3]
)  # the checkout the package runs from: its projects' codebooks are known
# The cleaner rejects a register row without these, and a survey row without these.
REQUIRED = {"register": ["cpr", "referral_track", "referral_date"], "survey": ["cpr", "response_date"]}
# Denmark's association lockdowns (calendar facts, not project settings): a safe default for any project.
LOCKDOWNS = [
    ("2020-03-11", "2020-05-17", "COVID-19 nedlukning forår 2020"),
    ("2020-12-09", "2021-04-20", "COVID-19 nedlukning vinter 2020/21"),
]
# Real raw data holds CPR numbers and names: git must never take it in by accident.
RAW_GITIGNORE = (
    "# Written by `python -m analysis init`: raw exports hold personal data and never enter git.\n"
    "# Delete this file only for synthetic data that is meant to be shared.\n*\n"
)
COLUMN_HINTS = {
    "cpr": "CPR number (made into the pseudonym, age and sex, then dropped)",
    "referral_track": "who referred the citizen (labels.referral_track)",
    "referral_date": "date of referral to the programme",
    "start_date": "first session in the association",
    "association": "the association (names under associations)",
    "activity": "the activity (names under activities)",
    "team_type": "new team made for the programme, or an existing one (labels.team_type)",
    "accompanied": "accompanied to the first session, yes/no (labels.boolean)",
    "subsidy_months": "planned months of membership-fee subsidy, per person",
    "end_date": "date the citizen left the association",
    "dropout_reason": "why the citizen stopped (labels.dropout_reason)",
    "last_contact_date": "last time the bridge builder knew the status",
    "response_date": "date of the answer",
    "who5_1": "WHO-5 item 1 (glad og i godt humør)",
    "who5_2": "WHO-5 item 2 (rolig og afslappet)",
    "who5_3": "WHO-5 item 3 (aktiv og energisk)",
    "who5_4": "WHO-5 item 4 (vågnet frisk og udhvilet)",
    "who5_5": "WHO-5 item 5 (dagligdag fyldt med ting der interesserer mig)",
    "srh": "self-rated health, 1 = poor ... 5 = excellent",
    "pa_level": "Saltin-Grimby activity level 1-4",
    "job_readiness": "readiness for a job, 0-10",
}


@dataclass
class Samples:
    """What the sample raw files hold, in the order first seen (sites and files sorted by name)."""

    sites: list[str]
    waves: set[str] = field(default_factory=set)
    files: int = 0
    notes: list[str] = field(default_factory=list)  # files skipped, and why
    # section -> normalised header -> (first spelling, ["site/file", ...])
    headers: dict[str, dict[str, tuple[str, list[str]]]] = field(default_factory=lambda: {"register": {}, "survey": {}})
    # canonical column -> normalised value -> first spelling (labels only: numbers are left out)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    end_dates: set[str] = field(default_factory=set)  # sites whose register has an end date filled in
    answer_kinds: dict[str, set[str]] = field(default_factory=dict)  # site -> {"labels", "codes"}


class Known:
    """The spellings that existing projects' codebooks know, first codebook first."""

    def __init__(self, books: list[Codebook]):
        self.books = books

    def header(self, section: str, header: str) -> str | None:
        key = normalise_label(header)
        return next((b.header_lookup(section)[key] for b in self.books if key in b.header_lookup(section)), None)

    def value(self, section: str, key: str) -> object | None:
        return next((b.spellings(section)[key] for b in self.books if key in b.spellings(section)), None)

    def spellings_of(self, section: str) -> dict[str, list[str]]:
        """Every known spelling of a label set ('labels.boolean'), by code, each normalised form once."""
        kind, _, label_set = section.partition(".")
        found: dict[str, list[str]] = {}
        seen: set[str] = set()
        for book in self.books:
            for code, spellings in book.raw[kind][label_set].items():
                for spelling in spellings or []:
                    if normalise_label(spelling) not in seen:
                        seen.add(normalise_label(spelling))
                        found.setdefault(str(code), []).append(str(spelling))
        return found

    def scale_of(self, column: str) -> str | None:
        return next(
            (b.raw["survey"]["scale_of"][column] for b in self.books if column in b.raw["survey"].get("scale_of", {})),
            None,
        )

    def scale(self, name: str) -> dict | None:
        return next((b.scale(name) for b in self.books if name in b.raw["scales"]), None)

    def missing_keys(self) -> set[str]:
        return {normalise_label(m) for m in self.missing()}

    def missing(self) -> list[str]:
        spellings = [""]
        for book in self.books:
            spellings += [str(v) for v in book.raw["missing"] if str(v) not in spellings]
        return spellings


def known_codebooks(roots: list[Path]) -> Known:
    """The valid codebooks of every project under the given roots (each file once; half-filled ones skipped)."""
    books, seen = [], set()
    for root in roots:
        for path in sorted((root / "config" / "projects").glob("*/codebook.yaml")):
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            problems: list[str] = []
            raw = read_yaml(path, problems)
            if raw and not problems and not schema_problems(raw, "codebook.schema.yaml", str(path)):
                books.append(Codebook(raw))
    return Known(books)


def _raw_role(path: Path, waves: list[str]) -> str | None:
    """'register', a wave name, or None for a file the pipeline would not take."""
    if path.suffix.lower() not in RAW_SUFFIXES:
        return None
    if path.stem == "register":
        return "register"
    wave = path.stem.removeprefix("survey_")
    return wave if path.stem.startswith("survey_") and wave in waves else None


def read_samples(source: Path, known: Known) -> Samples:
    """Headers, labels and per-site facts of every usable raw file under `source`/<site>/."""
    pattern = load_schema("sites.schema.yaml")["properties"]["site"]["pattern"]
    folders = sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))
    bad = [p.name for p in folders if not _matches(pattern, p.name)]
    if bad:
        raise ConfigError(
            [
                f"{source}: rename the site folder(s) {', '.join(repr(b) for b in bad)} to lowercase "
                f"letters, digits and hyphens (e.g. 'hoeje-taastrup'): a folder name is the site's id"
            ]
        )
    if not folders:
        raise ConfigError([f"{source}: no site folders (expected one folder per site holding its raw files)"])
    waves = load_schema("config.schema.yaml")["properties"]["waves"]["items"]["enum"]
    samples = Samples(sites=[p.name for p in folders])
    for folder in folders:
        samples.answer_kinds[folder.name] = set()
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            role = _raw_role(path, waves)
            if role is None:
                samples.notes.append(
                    f"{path}: skipped (not register.* or survey_<wave>.* with wave one of "
                    f"{', '.join(waves)}, ending in {', '.join(RAW_SUFFIXES)})"
                )
                continue
            try:
                table = read_raw_table(path)
            except RawInputError as error:
                samples.notes.append(f"skipped: {error}")
                continue
            samples.files += 1
            if role != "register":
                samples.waves.add(role)
            _take(samples, known, "register" if role == "register" else "survey", folder.name, path, table)
    return samples


def _matches(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


def _take(samples: Samples, known: Known, section: str, site: str, path: Path, table) -> None:
    """Record one file's headers, its label values and what it says about its site."""
    missing = known.missing_keys()
    for header in table.frame.columns:
        first, where = samples.headers[section].setdefault(normalise_label(header), (header, []))
        where.append(f"{site}/{path.name} [{table.column_refs.get(header, header)}]")
        canonical = known.header(section, header)
        if canonical in (None, DROP):
            continue
        cells = [v for v in table.frame[header] if not is_blank(v)]
        if canonical == "end_date" and cells:
            samples.end_dates.add(site)
        if section == "register" and canonical in LABELLED_COLUMNS:
            _add_values(samples, canonical, cells)
        elif section == "survey" and canonical in ANSWER_COLUMNS:
            labelled = "labels" in (known.scale(known.scale_of(canonical) or "") or {})
            texts = [v for v in cells if not _is_number(v)]
            answers = [v for v in texts if normalise_label(v) not in missing]
            if labelled and cells:
                samples.answer_kinds[site].add("labels" if answers else "codes")
            _add_values(samples, canonical, texts)


def _is_number(value: object) -> bool:
    try:
        parse_number(value)
    except ValueError:
        return False
    return True


def _add_values(samples: Samples, column: str, cells: list) -> None:
    seen = samples.values.setdefault(column, {})
    for cell in cells:
        seen.setdefault(label_key(cell), str(cell).strip())


# ---- writing YAML as text (so that it can carry comments) ----


def _flow(items: list) -> str:
    """A list in YAML flow style, each item quoted where YAML needs it."""
    return yaml.safe_dump(list(items), default_flow_style=True, allow_unicode=True, width=2**31).strip()


def _scalar(value: object) -> str:
    return _flow([value])[1:-1]


def _line(indent: int, key: object, value: str, comment: str = "") -> str:
    text = f"{' ' * indent}{_scalar(key)}: {value}"
    return f"{text:<44} # {comment}" if comment else text


def _todo_key(hint: str) -> str:
    return f"{todo.MARKER}: {hint}"


def _places(where: list[str]) -> str:
    shown = ", ".join(where[:3])
    return f"{shown} and {len(where) - 3} more" if len(where) > 3 else shown


def _columns_block(section: str, samples: Samples, known: Known) -> list[str]:
    schema = load_schema("codebook.schema.yaml")["properties"][section]["allOf"][1]
    canonical = schema["properties"]["columns"]["propertyNames"]["enum"]
    placed: dict[str, list[str]] = {c: [] for c in canonical}
    drop, unknown = [], []
    for first, where in samples.headers[section].values():
        column = known.header(section, first)
        if column == DROP:
            drop.append(first)
        elif column is None:
            unknown.append((first, where))
        else:
            placed[column].append(first)
    lines = [
        f"{section}:",
        "  # canonical column: the headers that hold it in your files ([] = not found in the sample files)",
        "  columns:",
    ]
    for column in canonical:
        spellings = placed[column]
        if not spellings and column in REQUIRED[section]:
            spellings = [_todo_key(f"the header of the column with the {COLUMN_HINTS[column].split(' (')[0]}")]
        lines.append(_line(4, column, _flow(spellings), COLUMN_HINTS[column]))
    if unknown:
        lines.append("    # No earlier project knows these headers. Put each one in the list of the canonical column")
        lines.append("    # it holds, or under drop if it is personal data, free text or not needed; then delete the")
        lines.append("    # TODO entry.")
        for first, where in unknown:
            lines.append(f"    #   {first!r}: in {_places(where)}")
        lines.append(
            f"    {_scalar(_todo_key('put each header under a column above or under drop'))}: "
            f"{_flow([first for first, _ in unknown])}"
        )
    lines.append("  # headers of personal data and free text (names, phone, e-mail, remarks): read, then thrown away")
    lines.append(f"  drop: {_flow(drop)}")
    lines.append(_line(2, "required", _flow(REQUIRED[section]), "a file without one of these stops the site"))
    return lines


def _scale_of_block(known: Known) -> tuple[list[str], list[str]]:
    """The survey's scale_of lines, and the scales they name (in first-named order)."""
    lines = ["  # which answer scale (under scales:) each answer column uses", "  scale_of:"]
    scales = []
    for column in ANSWER_COLUMNS:
        scale = known.scale_of(column)
        if scale and scale not in scales:
            scales.append(scale)
        lines.append(_line(4, column, _scalar(scale or _todo_key("name of a scale under scales"))))
    return lines, scales


def _labels_block(samples: Samples, known: Known) -> list[str]:
    schema = load_schema("codebook.schema.yaml")["properties"]["labels"]["properties"]
    lines = [
        "# Answers in the register, mapped to the pipeline's codes. Each list holds the spellings earlier",
        "# projects used (harmless if your files never do); a TODO entry lists answers found in your files",
        "# that no project knew. Answers under headers init did not know are not here yet: check lists them.",
        "labels:",
    ]
    for column, section in LABELLED_COLUMNS.items():
        kind, _, label_set = section.partition(".")
        if kind != "labels":
            continue
        spec = schema[label_set]
        codes = list(spec.get("properties") or spec["propertyNames"]["enum"])
        placed: dict[str, list[str]] = {c: [] for c in codes}
        for code, spellings in known.spellings_of(section).items():
            placed.setdefault(code, []).extend(spellings)
        unknown = [first for key, first in samples.values.get(column, {}).items() if known.value(section, key) is None]
        lines.append(f"  {label_set}:")
        lines += [_line(4, code, _flow(spellings)) for code, spellings in placed.items()]
        if unknown:
            lines.append(
                f"    {_scalar(_todo_key(f'put each answer of {column} under a code above'))}: {_flow(unknown)}"
            )
    return lines


def _scales_block(samples: Samples, known: Known, scales: list[str]) -> list[str]:
    """The scales used, each as the known instrument defines it; answers found that no project knew go
    under a TODO entry of their scale."""
    lines = [
        "# Answer scales. labels: answer text -> score; codes: the survey tool's answer number (1 = the first",
        "# option shown) -> score, used by sites with survey_coding 'codes'; range: a plain number from lo to hi.",
        "scales:",
    ]
    missing = known.missing_keys()
    for scale in scales:
        spec = known.scale(scale) or {}
        columns = [c for c in ANSWER_COLUMNS if known.scale_of(c) == scale]
        answers = {k: v for c in columns for k, v in samples.values.get(c, {}).items()}
        lookup = {normalise_label(t): s for s, texts in spec.get("labels", {}).items() for t in texts}
        unknown = [first for key, first in answers.items() if key not in lookup and key not in missing]
        lines.append(f"  {_scalar(scale)}:")
        if "labels" in spec or unknown:
            lines.append("    labels:")
            lines += [_line(6, int(score), _flow(texts)) for score, texts in spec.get("labels", {}).items()]
            if unknown:
                hint = _todo_key("put each answer under the score it stands for, or into missing")
                lines.append(f"      {_scalar(hint)}: {_flow(unknown)}")
        if "codes" in spec:
            codes = ", ".join(f"{int(k)}: {int(v)}" for k, v in spec["codes"].items())
            lines.append(_line(4, "codes", f"{{{codes}}}", "check the order against your survey"))
        if "range" in spec:
            lines.append(_line(4, "range", _flow([int(x) if float(x).is_integer() else x for x in spec["range"]])))
    return lines


def _names_block(kind: str, column: str, samples: Samples, known: Known) -> list[str]:
    """Canonical names with the spellings found: a name no project knew is its own canonical name."""
    names: dict[str, list[str]] = {}
    for key, first in samples.values.get(column, {}).items():
        canonical = known.value(kind, key)
        if canonical is None:
            names.setdefault(first, [])
        else:
            names.setdefault(str(canonical), [])
            if normalise_label(first) != normalise_label(canonical):
                names[str(canonical)].append(first)
    lines = [f"{kind}:" + ("" if names else " {}")]
    lines += [_line(2, name, _flow(spellings)) for name, spellings in sorted(names.items())]
    return lines


def codebook_text(name: str, samples: Samples, known: Known) -> str:
    """The codebook template: the sample files' headers and answers, placed where earlier projects know them."""
    scale_lines, scales = _scale_of_block(known)
    lines = [
        f"# Codebook of project {name}, written by `python -m analysis init` from {samples.files} sample raw files.",
        "# It maps every header and answer spelling in the raw exports to the pipeline's canonical names and",
        "# codes. Matching ignores upper/lower case and extra spaces. Spellings already placed were known from",
        "# earlier projects: check them. Entries starting with TODO are yours to sort; `python -m analysis check",
        f"# {name}` lists those left, and later every header or answer in the raw files that is still unknown.",
        "# Every rule is explained in docs/evaluator-guide.md (på dansk: docs/evaluator-guide.da.md).",
        "",
        *_columns_block("register", samples, known),
        "",
        *_columns_block("survey", samples, known),
        *scale_lines,
        "",
        *_labels_block(samples, known),
        "",
        *_scales_block(samples, known, scales),
        "",
        "# Answers that mean 'no answer' on every scale (a blank cell always does).",
        f"missing: {_flow(known.missing())}",
        "",
        "# Canonical activity and association names, each with the other spellings found in the registers.",
        "# A name no earlier project knew stands as its own canonical name: where two names are the same",
        "# association spelt differently, keep one and move the other into its list.",
        *_names_block("activities", "activity", samples, known),
        "",
        *_names_block("associations", "association", samples, known),
    ]
    return "\n".join(lines) + "\n"


def config_text(name: str, samples: Samples) -> str:
    """The config template: every key of config.schema.yaml with a comment, a safe default or a TODO."""
    schema = load_schema("config.schema.yaml")["properties"]
    retention = schema["retention"]["properties"]
    waves = [w for w in schema["waves"]["items"]["enum"] if w in samples.waves] or schema["waves"]["items"]["enum"]
    key_env = "BROBYGNING_KEY_" + name.upper().replace("-", "_")
    lines = [
        f"# Configuration of project {name}, written by `python -m analysis init`. Fill in every value that",
        f"# says TODO; `python -m analysis check {name}` lists those left. Every key is explained in",
        "# docs/evaluator-guide.md (på dansk: docs/evaluator-guide.da.md).",
        _line(0, "project", _scalar(name), "must be the folder name"),
        _line(
            0,
            "title",
            _scalar(_todo_key("the evaluation's name as the reports show it")),
            'e.g. "Motion og fællesskab på recept"',
        ),
        _line(0, "language", "da", "da | en: the language of the reports"),
        _line(0, "unit_label", "", "what one site is called in the reports, in each language"),
        "  da: Kommune",
        "  en: Municipality",
        _line(
            0,
            "extraction_date",
            _scalar(_todo_key("the day the raw files were exported, as YYYY-MM-DD")),
            "stands in for 'today'",
        ),
        _line(0, "min_cell", "5", "counts below this are hidden in the reports"),
        _line(0, "course_weeks", "12", "length of the municipal course (course end = referral + this)"),
        _line(0, "followup_months", "12", "follow-up = referral + this many months"),
        _line(0, "waves", _flow(waves), "survey waves; a site's file for wave w is survey_<w>.*"),
        "pseudonym:",
        _line(2, "key_env", key_env, "environment variable holding the secret key"),
        f"  # ...or write the key to config/projects/{name}/pseudonym.key (git ignores *.key files).",
        "  # demo_key: a public key for synthetic data only, flagged in every report; never set it for real data.",
        "# Periods when associations were closed; the models adjust for them (covariate 'lockdown').",
        "lockdowns:",
        *[f"  - {{start: {s}, end: {e}, label: {_scalar(label)}}}" for s, e, label in LOCKDOWNS],
        "# Planned membership-fee subsidy per site: from a start date on, so many months (0 = none). A register's",
        "# own subsidy column wins where it has a value; these rules fill the blanks.",
        "subsidy_rules:",
        *[
            _line(2, site, _scalar(_todo_key("a list such as [{from: 2020-01-01, months: 6}]")))
            for site in samples.sites
        ],
        _line(0, "retention", "", "settings of the retention models (optional)"),
        _line(2, "covariates", _flow(retention["covariates"]["default"]), "besides months since start and site"),
        _line(
            2,
            "retention_months",
            _flow(retention["retention_months"]["default"]),
            "months after start at which retention is shown",
        ),
        "  # bootstrap_seed: 1  # seed of the bootstrap's random weights (used above 12 sites); default: from the name",
    ]
    written = {
        "project",
        "title",
        "language",
        "unit_label",
        "extraction_date",
        "min_cell",
        "course_weeks",
        "followup_months",
        "waves",
        "pseudonym",
        "lockdowns",
        "subsidy_rules",
        "retention",
    }
    for key, spec in schema.items():
        if key not in written:  # a key added to the schema after this template was written
            lines.append(f"# {key}: (optional) {spec.get('description', 'see docs/evaluator-guide.md')}")
    return "\n".join(lines) + "\n"


def sites_text(samples: Samples) -> str:
    """The site sheet: one row per site folder; the columns only the evaluator can fill are TODO."""
    schema = load_schema("sites.schema.yaml")
    inferred = {
        "reports_end_status": lambda s: "true" if s in samples.end_dates else "false",
        "survey_coding": lambda s: "codes" if samples.answer_kinds[s] == {"codes"} else "labels",
        "site": lambda s: s,
    }
    columns = [c for c in schema["properties"] if c in schema["required"]]
    rows = ["\t".join(columns)]
    rows += ["\t".join(inferred[c](site) if c in inferred else todo.MARKER for c in columns) for site in samples.sites]
    return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class Scaffold:
    """What `init` wrote and what is left to do."""

    folder: Path
    raw_dir: Path
    sites: list[str]
    files_read: int
    placeholders: int
    notes: list[str]


def init_project(
    name: str, root: str | Path | None = None, source: str | Path | None = None, known: Known | None = None
) -> Scaffold:
    """Write a new project's config, site sheet and codebook template, and its raw site folders.

    `source` defaults to data/raw/<name>/; `known` to the codebooks of the projects under `root` and under
    the checkout the package runs from. Raises ConfigError (one problem) for a bad name, an existing
    project, or sample files that cannot be used; then nothing is written.
    """
    root = find_root() if root is None else Path(root)
    pattern = load_schema("config.schema.yaml")["properties"]["project"]["pattern"]
    if not _matches(pattern, name):
        raise ConfigError([f"'{name}' cannot be a project name: use lowercase letters, digits and hyphens"])
    folder = root / "config" / "projects" / name
    if folder.exists():
        raise ConfigError(
            [
                f"{folder}: project '{name}' already exists; init never overwrites a project "
                f"(choose another name, or delete that folder to start again)"
            ]
        )
    raw_dir = root / "data" / "raw" / name
    source = raw_dir if source is None else Path(source)
    if not source.is_dir():
        raise ConfigError(
            [f"{source}: no sample raw files; put each site's files in {raw_dir}/<site>/ or pass --from RAW_DIR"]
        )
    known = known_codebooks([root, SOURCE_ROOT]) if known is None else known
    samples = read_samples(source, known)
    texts = {
        "config.yaml": config_text(name, samples),
        "sites.tsv": sites_text(samples),
        "codebook.yaml": codebook_text(name, samples, known),
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=folder.parent))
    try:
        for file_name, text in texts.items():
            (staging / file_name).write_text(text, encoding="utf-8")
        os.rename(staging, folder)  # all three files appear at once, or none
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    for site in samples.sites:
        (raw_dir / site).mkdir(parents=True, exist_ok=True)
    if not (raw_dir / ".gitignore").exists():
        (raw_dir / ".gitignore").write_text(RAW_GITIGNORE, encoding="utf-8")
    cells = [cell for row in texts["sites.tsv"].splitlines() for cell in row.split("\t")]
    left = (
        len(todo.find_placeholders(yaml.safe_load(texts["config.yaml"])))
        + len(todo.find_placeholders(yaml.safe_load(texts["codebook.yaml"])))
        + sum(todo.is_placeholder(cell) for cell in cells)
    )
    return Scaffold(folder, raw_dir, samples.sites, samples.files, left, samples.notes)


def main(name: str, root: str | None = None, source: str | None = None) -> int:
    """Print what was written and what to do next; exit 1 (one line on stderr) when nothing was written."""
    try:
        result = init_project(name, root, source)
    except ConfigError as error:
        print(f"init: {error}", file=sys.stderr)
        return 1
    for note in result.notes:
        print(note)
    print(
        f"init: wrote {result.folder}/config.yaml, sites.tsv and codebook.yaml from {result.files_read} raw "
        f"files in {len(result.sites)} site folders, and {result.raw_dir}/<site>/ for each site"
    )
    print(f"init: {result.placeholders} TODO marks to fill in; `python -m analysis check {name}` lists what is left")
    return 0
