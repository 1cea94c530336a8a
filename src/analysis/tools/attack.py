"""The attacker's view of a project's published figures: every page and key_figures.csv read together.

A reader who has every page of a project (the site pages, the summary, the index) and key_figures.csv sets
up one linear program:

* unknowns: every hidden count (a marker in a count table or in the key figures) and, for every chain of
  nested counts (referred >= started >= active at course end >= active at follow-up, in the key figures and
  in each funnel row), the group between any two counts of the chain (people who never started, people who
  started but were not active at follow-up, and so on);
* bounds: what the markers give away ("<5": 1 to min_cell - 1; "..": at least min_cell, or, if that
  contradicts what is shown, at least 0);
* equations: every total of a count table (rows and columns add up to the cells labelled Alle/All/I alt),
  the key figures' all-sites row (the sum of the site rows), every funnel's total row equal to the site's key
  figures, and every table the summary shares with the site pages (same header and rows) equal to the sum of
  the site pages' tables — the same people counted twice, so subtraction between pages is part of the system.

For each unknown it computes the smallest and largest value all of that allows (scipy's `linprog`). A
hidden count pinned to one value, a group between two published counts pinned to 1 to min_cell - 1 people
(that it is small is what "<5" says anyway; its exact size is not), a shown count 0 < n < min_cell and a
share 'n (p %)' whose base or complement is below min_cell are findings. Pages that disagree with
key_figures.csv are findings too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.vocabulary import ALL_SITES
from analysis.read.codebook import normalise_label
from analysis.reports.disclosure import SECONDARY_MARKER, implied_intervals, is_pinned
from analysis.reports.key_figures import COUNTS, NOT_REPORTED, read_key_figures
from analysis.reports.messages import Messages

TOTAL_LABELS = {"alle", "all", "total", "i alt"}
_COUNT = re.compile(r"^\d{1,3}(?:[.,\u00a0 ]\d{3})+$|^\d+$")
_PRIMARY = re.compile(r"^<\s*(\d+)$")
_COUNT_SHARE = re.compile(r"^(\d[\d.,\u00a0 ]*) \((\d+)\s?%\)$")

PINNED = "hidden count pinned to one value"
SMALL_GROUP = "group between published counts pinned below min_cell"
SMALL_COUNT = "shown count below min_cell"
SMALL_BASE = "share resting on fewer than min_cell"
DISAGREES = "page disagrees with key_figures.csv"
CONTRADICTED = "markers contradict the published totals (a marker does not mean what it says)"


@dataclass
class Attack:
    """The result: findings as (kind, where) pairs, and what was read."""

    findings: list[tuple[str, str]] = field(default_factory=list)
    tables: int = 0
    hidden: int = 0
    groups: int = 0
    intervals: list[tuple[str, float, float]] = field(default_factory=list)  # hidden counts only

    @property
    def narrowest(self) -> tuple[str, float, float] | None:
        finite = [i for i in self.intervals if np.isfinite(i[2])]
        return min(finite, key=lambda i: (i[2] - i[1], i[0]), default=None)


class _System:
    """Unknowns with bounds, and linear equations over unknowns and constants."""

    def __init__(self, min_cell: int) -> None:
        self.min_cell = min_cell
        self.names: list[str] = []
        self.kinds: list[str] = []  # "hidden" or "group"
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.equations: list[tuple[dict[int, float], float]] = []

    def unknown(self, name: str, kind: str, lower: float, upper: float = np.inf) -> int:
        self.names.append(name)
        self.kinds.append(kind)
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.names) - 1

    def term(self, cell, name: str):
        """A cell as a term: an int (shown), an unknown's index (hidden), or None (no value)."""
        if isinstance(cell, Hidden):
            lower, upper = (1, self.min_cell - 1) if cell.primary else (self.min_cell, np.inf)
            return ("x", self.unknown(name, "hidden", lower, upper))
        return ("c", cell) if isinstance(cell, int) else None

    def equate(self, left: list, right: list) -> None:
        """sum(left) == sum(right), each a list of terms; skipped if any term is None."""
        if any(t is None for t in [*left, *right]):
            return
        coefficients: dict[int, float] = {}
        constant = 0.0
        for sign, terms in ((1.0, left), (-1.0, right)):
            for kind, value in terms:
                if kind == "x":
                    coefficients[value] = coefficients.get(value, 0.0) + sign
                else:
                    constant -= sign * value
        if any(abs(v) > 0 for v in coefficients.values()):
            self.equations.append((coefficients, constant))

    def solve(self) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Interval of every unknown, one connected set of equations at a time; and the unknowns of sets
        whose equations and bounds contradict each other (even with ".." read as at least 0), whose
        intervals are left at (-inf, inf)."""
        n = len(self.names)
        low, high = np.full(n, -np.inf), np.full(n, np.inf)
        contradicted: list[int] = []
        parent = list(range(n))

        def root(k: int) -> int:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for coefficients, _ in self.equations:
            keys = list(coefficients)
            for k in keys[1:]:
                parent[root(k)] = root(keys[0])
        components: dict[int, list[int]] = {}
        for k in range(n):
            components.setdefault(root(k), []).append(k)
        equations_of: dict[int, list[int]] = {}
        for e, (coefficients, _) in enumerate(self.equations):
            equations_of.setdefault(root(next(iter(coefficients))), []).append(e)
        lower_all, upper_all = np.array(self.lower, dtype=float), np.array(self.upper, dtype=float)
        for key, members in components.items():
            position = {k: i for i, k in enumerate(members)}
            rows = equations_of.get(key, [])
            matrix = np.zeros((len(rows), len(members)))
            rhs = np.zeros(len(rows))
            for r, e in enumerate(rows):
                coefficients, constant = self.equations[e]
                for k, v in coefficients.items():
                    matrix[r, position[k]] = v
                rhs[r] = constant
            lower, upper = lower_all[members], upper_all[members]
            part_low, part_high = implied_intervals(matrix, rhs, lower, upper)
            if not np.isfinite(part_low).all() and np.isinf(upper).any():
                relaxed = np.where(np.isinf(upper), 0.0, lower)  # a ".." that is 0
                part_low, part_high = implied_intervals(matrix, rhs, relaxed, upper)
            if len(rows) and not np.isfinite(part_low).all():
                contradicted.append(members[0])
            low[members], high[members] = part_low, part_high
        return low, high, contradicted


@dataclass(frozen=True)
class Hidden:
    primary: bool


_SPACES = re.compile(r"\s+")


class _ReportTables(HTMLParser):
    """The <table class="report-table"> elements of a page as lists of (in <thead>, [cell texts]) rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[tuple[bool, list[str]]]] = []
        self._depth = 0  # nesting depth of <table> inside the report table being read (0: none open)
        self._head = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            if self._depth:
                self._depth += 1
            elif "report-table" in (dict(attrs).get("class") or "").split():
                self._depth = 1
                self.tables.append([])
        elif self._depth != 1:
            return
        elif tag == "thead":
            self._head = True
        elif tag in ("tbody", "tfoot"):
            self._head = False
        elif tag == "tr":
            self._end_row()
            self._row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:
                self._row = []
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self._depth:
            return
        if tag == "table":
            self._depth -= 1
            if not self._depth:
                self._end_row()
                self._head = False
        elif self._depth != 1:
            return
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_row()
        elif tag == "thead":
            self._end_row()
            self._head = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None and self._depth == 1:
            self._cell.append(data)

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append(_SPACES.sub(" ", "".join(self._cell)).strip())
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None:
            self.tables[-1].append((self._head, self._row))
        self._row = None


def report_tables(page: str) -> list[list[tuple[bool, list[str]]]]:
    parser = _ReportTables()
    parser.feed(page)
    parser.close()
    return parser.tables


def parse_cell(text: str):
    """A shown count as an int, a marker as Hidden, anything else (words, shares, blanks) as None."""
    text = text.strip()
    if text == SECONDARY_MARKER:
        return Hidden(False)
    if _PRIMARY.match(text):
        return Hidden(True)
    if _COUNT.match(text):
        return int(re.sub(r"\D", "", text))
    share = _COUNT_SHARE.match(text)
    if share:
        return int(re.sub(r"\D", "", share.group(1)))
    return None


def _count_tables(tables: list[list[tuple[bool, list[str]]]]) -> list[tuple[list[str], list[list[str]]]]:
    """(header, body rows) of the tables whose cells after the first column are all counts or markers and
    that have a total row or column."""
    out = []
    for rows in tables:
        head = [cells for in_head, cells in rows if in_head]
        body = [cells for in_head, cells in rows if not in_head]
        if not head and body:
            head, body = [body[0]], body[1:]
        if not head or not body or len({len(r) for r in body}) != 1 or len(body[0]) < 2:
            continue
        if len(head[-1]) != len(body[0]):
            continue
        if any(parse_cell(c) is None and c.strip() not in _NO_VALUE for row in body for c in row[1:]):
            continue
        total_row = normalise_label(body[-1][0]) in TOTAL_LABELS
        total_col = normalise_label(head[-1][-1]) in TOTAL_LABELS
        if (total_row and len(body) > 1) or (total_col and len(head[-1]) > 2):
            out.append((head[-1], body))
    return out


_NO_VALUE: set[str] = set()  # words meaning "no value" (not reported, not surveyed), filled per language


def attack_project(
    pages: dict[str, str],
    figures: pd.DataFrame | None,
    min_cell: int,
    language: str,
    sites: list[str] | None = None,
    overrides: dict[str, str] | None = None,
) -> Attack:
    """Attack every page (name -> HTML; names 'sites/<site>.html', 'summary.html', 'index.html') and the key
    figures (key_figures.csv read by `read_key_figures`, or None) together. The summary's tables are added up
    from the site pages' only when every one of `sites` (the project's) has its page."""

    messages = Messages(language, overrides or {})
    _NO_VALUE.clear()
    _NO_VALUE.update({messages.t("report.not_reported"), messages.t("report.not_surveyed"), NOT_REPORTED, ""})
    system = _System(min_cell)
    result = Attack()
    stage_labels = {messages.t(f"key_figures.{s}"): s for s in COUNTS}
    key_terms: dict[tuple[str, str], object] = {}
    if figures is not None:
        key_terms = _key_figure_terms(system, figures, result)
    by_header: dict[tuple[str, ...], dict[str, list]] = {}
    for name, page in sorted(pages.items()):
        site = name.removeprefix("sites/").removesuffix(".html") if name.startswith("sites/") else None
        if figures is not None:
            result.findings += _check_key_figure_tables(name, page, figures, messages)
        for header, body in _count_tables(report_tables(page)):
            result.tables += 1
            terms = _table_terms(system, f"{name}: {header[0]}", header, body, result)
            _table_equations(system, header, body, terms)
            stages = [stage_labels.get(h) for h in header[1:]]
            if any(stages):
                _chain_groups(system, f"{name}: {header[0]}", body, terms, stages, result)
                scope = site if site else ALL_SITES
                for r, row in enumerate(body):
                    if normalise_label(row[0]) in TOTAL_LABELS and key_terms:
                        for c, stage in enumerate(stages):
                            if stage and (scope, stage) in key_terms:
                                system.equate([terms[r][c]], [key_terms[(scope, stage)]])
            by_header.setdefault(tuple(header), {})[name] = (body, terms)
        result.findings += [(SMALL_BASE, name)] * _small_shares(page, min_cell, report_tables)
    if sites and all(f"sites/{site}.html" in pages for site in sites):
        _link_summary_to_sites(system, by_header)
    low, high, contradicted = system.solve()
    result.findings += [(CONTRADICTED, system.names[k]) for k in contradicted]
    for k, name in enumerate(system.names):
        if system.kinds[k] == "hidden":
            result.hidden += 1
            result.intervals.append((name, low[k], high[k]))
            if is_pinned(low[k], high[k]):
                result.findings.append((PINNED, name))
        else:
            result.groups += 1
            if is_pinned(low[k], high[k]) and 1 - 1e-6 <= low[k] <= min_cell - 1 + 1e-6:
                result.findings.append((SMALL_GROUP, name))
    return result


def _table_terms(system: _System, where: str, header: list[str], body: list[list[str]], result: Attack):
    terms = []
    for row in body:
        line = []
        for c, text in enumerate(row[1:], start=1):
            cell = parse_cell(text)
            if isinstance(cell, int) and 0 < cell < system.min_cell:
                result.findings.append((SMALL_COUNT, f"{where} / {row[0]} / {header[c]}"))
            line.append(system.term(cell, f"{where} / {row[0]} / {header[c]}"))
        terms.append(line)
    return terms


def _table_equations(system: _System, header: list[str], body: list[list[str]], terms: list[list]) -> None:
    total_row = normalise_label(body[-1][0]) in TOTAL_LABELS
    total_col = normalise_label(header[-1]) in TOTAL_LABELS
    data_rows = range(len(body) - 1 if total_row else len(body))
    data_cols = range(len(header) - 2 if total_col else len(header) - 1)
    if total_col:
        for r in range(len(body)):
            system.equate([terms[r][c] for c in data_cols], [terms[r][-1]])
    if total_row:
        for c in range(len(header) - 1):
            system.equate([terms[r][c] for r in data_rows], [terms[-1][c]])


def _chain_groups(system: _System, where: str, body, terms, stages, result: Attack) -> None:
    """Funnel rows: each group between two nested stages is an unknown >= 0 (referred - started, ...)."""
    columns = [c for c, s in enumerate(stages) if s]
    for r, row in enumerate(body):
        for a, b in combinations(columns, 2):  # every difference of two stages is a group of people
            if terms[r][a] is None or terms[r][b] is None:
                continue
            gap = system.unknown(f"{where} / {row[0]} / {stages[a]} - {stages[b]}", "group", 0.0)
            system.equate([terms[r][a]], [terms[r][b], ("x", gap)])


def _key_figure_terms(system: _System, figures: pd.DataFrame, result: Attack) -> dict:
    """The counts of key_figures.csv as terms, their all-sites sums and the groups between nested counts."""
    result.tables += 1
    terms = {}
    for site, row in figures.iterrows():
        for stage in COUNTS:
            text = row[stage]
            cell = None if text == NOT_REPORTED else parse_cell(text)
            if isinstance(cell, int) and 0 < cell < system.min_cell:
                result.findings.append((SMALL_COUNT, f"key_figures.csv / {site} / {stage}"))
            terms[(site, stage)] = system.term(cell, f"key_figures.csv / {site} / {stage}")
    sites = [s for s in figures.index if s != ALL_SITES]
    for stage in COUNTS:
        parts = [terms[(s, stage)] for s in sites if figures.loc[s, stage] != NOT_REPORTED]
        if ALL_SITES in figures.index:
            system.equate(parts, [terms[(ALL_SITES, stage)]])
    for site in figures.index:
        chain = [terms[(site, s)] for s in COUNTS if terms[(site, s)] is not None]
        for (i, a), (j, b) in combinations(enumerate(chain), 2):  # every difference of two counts
            gap = system.unknown(f"key_figures.csv / {site} / {COUNTS[i]} - {COUNTS[j]}", "group", 0.0)
            system.equate([a], [b, ("x", gap)])
        if site != ALL_SITES and chain:
            last = system.unknown(f"key_figures.csv / {site} / {COUNTS[len(chain) - 1]}", "group", 0.0)
            system.equate([chain[-1]], [("x", last)])
    return terms


def _link_summary_to_sites(system: _System, by_header: dict) -> None:
    """A count table on the summary with the same header as tables on site pages: summary = sum of sites."""
    for tables in by_header.values():
        if "summary.html" not in tables:
            continue
        sites = {n: t for n, t in tables.items() if n.startswith("sites/")}
        if not sites or all(t[0] == tables["summary.html"][0] for t in sites.values()):
            continue  # the same table repeated on every page (a national table): nothing to add up
        body, terms = tables["summary.html"]
        for r, row in enumerate(body):
            for c in range(len(row) - 1):
                parts = []
                for site_body, site_terms in sites.values():
                    match = [k for k, other in enumerate(site_body) if other[0] == row[0]]
                    if match:
                        parts.append(site_terms[match[0]][c] if c < len(site_terms[match[0]]) else None)
                    else:  # a row the site's table does not have: nobody
                        parts.append(("c", 0))
                system.equate(parts, [terms[r][c]])


def _small_shares(page: str, min_cell: int, report_tables) -> int:
    """Cells 'n (p %)': the base n / p lies below min_cell, or base - n is shown to lie in 1..min_cell-1."""
    found = 0
    for rows in report_tables(page):
        for _, cells in rows:
            for text in cells:
                match = _COUNT_SHARE.match(text.strip())
                if not match:
                    continue
                n, p = int(re.sub(r"\D", "", match.group(1))), int(match.group(2))
                if p <= 0:
                    continue
                low, high = 100 * n / (p + 0.5), (100 * n / (p - 0.5) if p > 0.5 else np.inf)
                if high < min_cell or (high - n < min_cell and low - n >= 1 - 1e-9 and p < 100):
                    found += 1
    return found


def _check_key_figure_tables(name: str, page: str, figures: pd.DataFrame, messages: Messages) -> list:
    """Each key-figures table on a page must print exactly what key_figures.csv holds."""
    from analysis.reports.overview import FIELDS
    from analysis.reports.overview import cell_text as printed

    findings = []
    labels = {messages.t(f"key_figures.{f}"): f for f in FIELDS}

    def cell_text(row: pd.Series, field_: str, messages: Messages) -> str:  # as the table parser reads it
        return re.sub(r"\s+", " ", printed(row, field_, messages)).strip()

    for block in re.findall(r'<div class="key-figures" data-site="([^"]*)"[^>]*>(.*?)</div>', page, re.DOTALL):
        site, table_html = block[0].replace("&amp;", "&"), block[1]
        for rows in report_tables(table_html):
            head = [cells for in_head, cells in rows if in_head][-1]
            body = [cells for in_head, cells in rows if not in_head]
            if len(head) == 2:  # one site: figure | value
                for label, value in body:
                    if label in labels and value != cell_text(figures.loc[site], labels[label], messages):
                        findings.append((DISAGREES, f"{name} / {site} / {label}"))
            else:
                row_sites = re.findall(r'<tr data-site="([^"]*)">', table_html)
                for row_site, cells in zip(row_sites, body, strict=False):
                    for label, value in zip(head[1:], cells[1:], strict=False):
                        field_ = labels.get(label)
                        if field_ and value != cell_text(figures.loc[row_site], field_, messages):
                            findings.append((DISAGREES, f"{name} / {row_site} / {label}"))
    return findings


def project_pages(reports: Path) -> dict[str, str]:
    """Every page of reports/<project>/: 'sites/<site>.html', 'summary.html', 'index.html'."""
    pages = {}
    for path in sorted(reports.glob("sites/*.html")) + [reports / "summary.html", reports / "index.html"]:
        if path.is_file():
            pages[path.relative_to(reports).as_posix()] = path.read_text(encoding="utf-8")
    return pages


def attack_reports(
    reports: Path,
    min_cell: int,
    language: str,
    sites: list[str] | None = None,
    overrides: dict[str, str] | None = None,
) -> Attack:
    """`attack_project` on the files of reports/<project>/ (`overrides`: the project's own wording)."""
    figures_file = reports / "key_figures.csv"
    figures = read_key_figures(figures_file) if figures_file.is_file() else None
    return attack_project(project_pages(reports), figures, min_cell, language, sites, overrides)
