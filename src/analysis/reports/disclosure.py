"""Statistical disclosure control for the HTML reports: small counts, the cells they could be derived from,
shares built on small counts, and where Kaplan–Meier curves must stop.

Rule (docs: DESIGN.md, "Pseudonymisation and disclosure control"): no report shows a count of people below
`min_cell` (default 5), nor anything from which such a count can be worked out, nor a share or estimate
resting on such a count; survival curves stop where fewer than `min_cell` remain at risk.

Tables
------
`suppress_table` hides every small count (*primary suppression*) and then further cells (*secondary* or
*complementary suppression*) so that the published cells and totals do not reveal a hidden value. It works on
the table *with* its margins, the "grid": data cells plus the row-total column, the column-total row and the
grand total. Every row and every column of the grid is a published equation (the entries before the last add
up to the last), and margins are protected like any other entry. Guarantees of the result:

1. no shown entry (cell or total) is a count with 0 < count < min_cell (nor 0, if `suppress_zeros`);
2. every published equation holding a hidden entry holds at least two, so no hidden value follows from one
   row or column total by subtraction, nor from substituting recovered values one equation at a time
   (see `is_recoverable`);
3. no hidden value is determined by the published equations taken together: adding and subtracting any
   number of rows and columns does not pin it down (see `linearly_determined`);
4. nor with non-negativity: for every hidden entry there is another table of non-negative integers that
   agrees with everything shown and every total, and in which that entry is 1 larger or 1 smaller
   (see `hidden_intervals`). This holds for hidden zeros too.

Not guaranteed: the range an attacker can derive for a hidden cell from the equations and non-negativity can
be narrow (say, "between 2 and 4"); `hidden_intervals` measures it. Nothing here protects against
*linked* tables (the same people counted in another table, another report, or an earlier extraction, so that
differences between published numbers isolate a few people); keep the breakdowns of one population consistent
or run them through one table.

Auditors
--------
`is_recoverable`, `linearly_determined` and `hidden_intervals` attack a `SuppressedTable` using only what it
publishes (shown entries and the equations implied by the layout). They are written independently of the
suppression code so that tests can use them as an audit.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_MIN_CELL = 5
TOTAL_LABEL = "total"
SECONDARY_MARKER = ".."  # a complementary suppression: hidden so that a small number cannot be worked out

Entry = tuple[int, int]


# ------------------------------------------------------------------------------------------ the result object
@dataclass(frozen=True, repr=False, eq=False)
class SuppressedTable:
    """A table of counts with the entries that must not be published marked as hidden.

    `counts` and the totals hold the true values, hidden or not: they are for internal use (audits, tests) and
    must never be printed in a report; print `display()`. `repr()` and the notebook HTML view therefore show
    the display form, never the true values.

    Margins that would only repeat a cell are not produced: a one-way table (a single column, or a single row)
    has only a grand total, `row_totals`/`col_totals` are None. With `margins=False` there are no totals at all.
    """

    counts: pd.DataFrame
    hidden: pd.DataFrame
    min_cell: int
    row_totals: pd.Series | None = None
    row_totals_hidden: pd.Series | None = None
    col_totals: pd.Series | None = None
    col_totals_hidden: pd.Series | None = None
    grand_total: int | None = None
    grand_total_hidden: bool = False
    zeros_small: bool = False  # suppress_zeros: a hidden 0 is a primary suppression too

    @property
    def n_hidden(self) -> int:
        """Number of hidden entries, cells and totals together."""
        masks = [self.hidden.to_numpy().sum(), self.grand_total_hidden]
        masks += [m.sum() for m in (self.row_totals_hidden, self.col_totals_hidden) if m is not None]
        return int(sum(masks))

    def display(
        self,
        labels: Mapping[Hashable, str] | None = None,
        *,
        marker: str | None = None,
        secondary_marker: str | None = None,
        number: Callable[[int], str] = str,
        total_label: str = TOTAL_LABEL,
    ) -> pd.DataFrame:
        """The publishable table: strings, hidden entries replaced by a marker, totals appended.

        Small counts (primary suppressions, 1 to min_cell - 1) show `marker` (default f"<{min_cell}");
        every other hidden entry (complementary suppressions, which may be any number, also >= min_cell) shows
        `secondary_marker` (default: `SECONDARY_MARKER`, ".." as in Statistics Denmark's StatBank for
        confidential figures). The two differ so that "<5" is never printed on a number that may be 5 or
        more; the attacker's bounds this gives away ([1, min_cell - 1] for the first) are taken into account
        by `suppress_table`. `labels` renames row and column categories (e.g. codes to Danish words); `number`
        formats a shown count; the total row and/or column is labelled `total_label`.
        """
        marker = f"<{self.min_cell}" if marker is None else marker
        secondary_marker = SECONDARY_MARKER if secondary_marker is None else secondary_marker
        if total_label in self.counts.index or total_label in self.counts.columns:
            raise ValueError(f"total_label {total_label!r} is also a category of the table; pass another")

        def text(values, hidden) -> np.ndarray:
            flat = np.ravel(values).astype(np.int64)
            shown = np.array([number(int(v)) for v in flat], dtype=object).reshape(np.shape(values))
            small = (((flat > 0) | self.zeros_small) & (flat < self.min_cell)).reshape(np.shape(values))
            out = np.where(hidden, np.where(small, marker, secondary_marker), shown)
            return out.item() if out.ndim == 0 else out

        body = text(self.counts.to_numpy(), self.hidden.to_numpy())
        rows, cols = list(self.counts.index), list(self.counts.columns)
        grand = text(self.grand_total, self.grand_total_hidden) if self.grand_total is not None else None
        if self.row_totals is not None:  # two-way: total column, then total row ending in the grand total
            body = np.column_stack([body, text(self.row_totals, self.row_totals_hidden)])
            body = np.vstack([body, [*text(self.col_totals, self.col_totals_hidden), grand]])
            rows, cols = [*rows, total_label], [*cols, total_label]
        elif grand is not None and len(cols) == 1:  # a single column: total row
            body, rows = np.vstack([body, [grand]]), [*rows, total_label]
        elif grand is not None:  # a single row: total column
            body, cols = np.column_stack([body, [grand]]), [*cols, total_label]
        shown = pd.DataFrame(
            body,
            index=pd.Index(rows, name=self.counts.index.name),
            columns=pd.Index(cols, name=self.counts.columns.name),
        )
        return shown.rename(index=labels, columns=labels) if labels else shown

    def __repr__(self) -> str:
        return f"SuppressedTable(min_cell={self.min_cell}, n_hidden={self.n_hidden})\n{self.display()}"

    def _repr_html_(self) -> str:
        return self.display().to_html()


# ------------------------------------------------------------------------------------------------ tables
def suppress_table(
    counts: pd.DataFrame | pd.Series,
    min_cell: int = DEFAULT_MIN_CELL,
    margins: bool = True,
    suppress_zeros: bool = False,
) -> SuppressedTable:
    """Hide small counts in a one- or two-way table of counts and everything they could be derived from.

    Parameters
    ----------
    counts : non-negative integer counts; index = row categories, columns = column categories. A Series or a
        single column is a one-way table.
    min_cell : counts with 0 < count < min_cell are hidden (primary suppression), cells and totals alike.
    margins : publish row, column and grand totals. Then further entries are hidden (secondary suppression)
        until the guarantees in the module docstring hold. With False no totals are published and only
        primary suppression is done, which is safe only if these totals are not published anywhere else.
    suppress_zeros : also hide zero counts. Off by default, the usual convention: a 0 describes nobody, so it
        cannot single out a person, and hiding zeros (often structural, e.g. "men in a women's team") mostly
        destroys information. What a shown 0 can reveal is *group* disclosure: in a row whose other cells are
        0, everyone shares the one remaining column's attribute. Set True where that matters.

    Secondary suppression (with margins), repeated until nothing changes:

    * two-way tables: rows and columns of the grid are the nodes of a graph, hidden entries its edges. Adding
      +1, -1, +1, ... to the entries around a cycle (sign flipped on row and column totals, which sit on the
      other side of their equations) keeps every equation true; it is a *movable* cycle if no entry that would
      go below 0 is 0. A hidden entry on no movable cycle is determined by what is published (for a cycle of
      any kind: a "bridge", determined by linear algebra alone). The smallest such entry is put on a movable
      cycle by hiding the cheapest path of visible entries from its column back to its row (Dijkstra). A
      single small cell thus gets the cheapest rectangle of three complements (one in its row, one in its
      column, one where they cross), rather than complements picked line by line, which tends to hide more.
      When every hidden entry is on a movable cycle, guarantees 2-4 hold.
    * one-way tables (one equation): if it holds exactly one hidden entry, or its total is shown and every
      hidden entry is 0 (then each is 0), its cheapest visible entry is hidden as complement.

    "Cheapest": the smallest positive data cells; totals only when data cells cannot do (a total costs more
    than all data cells together), e.g. in a row whose other cells are 0, where the row total is hidden; a
    zero only as the last resort (with `suppress_zeros=False` no zero is ever hidden). This is a heuristic:
    few complements, not provably the fewest.
    """
    _check_min_cell(min_cell)
    frame = _as_frame(counts)
    grid = _Grid.build(_checked_values(frame), margins)
    hidden = _small(grid.values, min_cell, suppress_zeros)
    if grid.lines:
        _secondary(grid, hidden)
        while _harden(grid, hidden, min_cell, suppress_zeros):
            _secondary(grid, hidden)
    return grid.to_table(frame, hidden, min_cell, suppress_zeros)


def _check_min_cell(min_cell: int) -> None:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) or min_cell < 1:
        raise ValueError(f"min_cell must be an integer >= 1, got {min_cell!r}")


def _as_frame(counts: pd.DataFrame | pd.Series) -> pd.DataFrame:
    frame = counts.to_frame() if isinstance(counts, pd.Series) else counts
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"counts must be a pandas DataFrame or Series, got {type(counts).__name__}")
    if frame.empty:
        raise ValueError("counts is empty: nothing to suppress")
    if not (frame.index.is_unique and frame.columns.is_unique):
        raise ValueError("row and column labels of counts must be unique")
    return frame


def _checked_values(frame: pd.DataFrame) -> np.ndarray:
    try:
        values = frame.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise ValueError(f"counts must be numeric: {error}") from None
    if not np.isfinite(values).all():
        raise ValueError("counts must not contain missing or infinite values")
    if (values < 0).any() or (values != np.round(values)).any():
        raise ValueError("counts must be non-negative integers")
    return values.astype(np.int64)


def _small(values: np.ndarray, min_cell: int, suppress_zeros: bool) -> np.ndarray:
    return (values < min_cell) & ((values > 0) | suppress_zeros)


@dataclass(frozen=True)
class _Grid:
    """The table with its margins as one array; `lines` are the published equations (lists of entries whose
    last entry is the total of the others)."""

    values: np.ndarray
    shape: tuple[int, int]  # of the data cells
    total_row: bool
    total_col: bool
    lines: tuple[tuple[Entry, ...], ...]

    @classmethod
    def build(cls, cells: np.ndarray, margins: bool) -> _Grid:
        n_rows, n_cols = cells.shape
        total_row = margins and (n_rows > 1 or n_cols == 1)  # a single column gets only its total
        total_col = margins and n_cols > 1  # a single row gets only its total
        values = cells
        if total_col:
            values = np.column_stack([values, values.sum(axis=1)])
        if total_row:
            values = np.vstack([values, values.sum(axis=0)])
        rows, cols = values.shape
        lines = [tuple((i, j) for j in range(cols)) for i in range(rows)] if total_col else []
        lines += [tuple((i, j) for i in range(rows)) for j in range(cols)] if total_row else []
        return cls(values, (n_rows, n_cols), total_row, total_col, tuple(lines))

    @property
    def two_way(self) -> bool:
        return self.total_row and self.total_col

    def is_margin(self, i: int, j: int) -> bool:
        return (self.total_row and i == self.shape[0]) or (self.total_col and j == self.shape[1])

    def to_table(
        self, frame: pd.DataFrame, hidden: np.ndarray, min_cell: int, zeros_small: bool = False
    ) -> SuppressedTable:
        r, c = self.shape
        parts: dict = {}
        if self.two_way:
            parts = dict(
                row_totals=pd.Series(self.values[:r, c], index=frame.index),
                row_totals_hidden=pd.Series(hidden[:r, c], index=frame.index),
                col_totals=pd.Series(self.values[r, :c], index=frame.columns),
                col_totals_hidden=pd.Series(hidden[r, :c], index=frame.columns),
            )
        if self.total_row or self.total_col:
            corner = (r if self.total_row else 0, c if self.total_col else 0)
            parts.update(grand_total=int(self.values[corner]), grand_total_hidden=bool(hidden[corner]))
        cells = pd.DataFrame(hidden[:r, :c], index=frame.index, columns=frame.columns)
        return SuppressedTable(counts=frame.copy(), hidden=cells, min_cell=min_cell, zeros_small=zeros_small, **parts)


def _secondary(grid: _Grid, hidden: np.ndarray) -> None:
    """Hide complements in place until every hidden entry can move (see `suppress_table`)."""
    cost = _complement_costs(grid)
    protect = _protect_cycles if grid.two_way else _protect_lines
    while protect(grid, hidden, cost):
        pass


def _complement_costs(grid: _Grid) -> np.ndarray:
    """Cost of hiding each entry: data cells their value; totals more than all data cells; zeros more still."""
    values = grid.values.astype(object)  # Python integers: no overflow in the sums below
    margin_penalty = int(grid.values.sum()) + 1
    zero_penalty = 2 * margin_penalty * (grid.values.size + 1)
    cost = values.copy()
    for i, j in np.ndindex(grid.values.shape):
        cost[i, j] += margin_penalty if grid.is_margin(i, j) else 0
        cost[i, j] += zero_penalty if values[i, j] == 0 else 0
    return cost


def _harden(grid: _Grid, hidden: np.ndarray, min_cell: int, suppress_zeros: bool) -> bool:
    """Hide one more entry if the published equations *and the markers* pin a hidden entry to one number.

    The cycle rule of `_secondary` lets every hidden entry move by 1 when hidden entries may take any
    non-negative value. The markers say more: "<5" is 1..min_cell-1, ".." is 0 or at least min_cell (taken as
    at least min_cell unless the entry is 0, the strongest reading). With those bounds an entry can still be
    pinned (83 = 75 + two "<5" makes both 4). Then the cheapest visible entry of one of its equations is
    hidden as well; True if anything was hidden.
    """
    positions = [tuple(int(x) for x in e) for e in zip(*np.nonzero(hidden), strict=True)]
    if not positions:
        return False
    lower, upper = marker_bounds(grid.values[hidden], min_cell, suppress_zeros)
    index = {e: k for k, e in enumerate(positions)}
    matrix, rhs = [], []
    for line in grid.lines:
        row, constant = np.zeros(len(positions)), 0.0
        for e in line:
            sign = -1.0 if e == line[-1] else 1.0
            if e in index:
                row[index[e]] += sign
            else:
                constant -= sign * grid.values[e]
        if row.any():
            matrix.append(row)
            rhs.append(constant)
    low, high = implied_intervals(np.array(matrix).reshape(len(matrix), len(positions)), np.array(rhs), lower, upper)
    cost = _complement_costs(grid)
    for k in sorted(range(len(positions)), key=lambda k: (grid.values[positions[k]], positions[k])):
        if not is_pinned(low[k], high[k]):
            continue
        visible = [
            e
            for line in grid.lines
            if positions[k] in line
            for e in line
            if not hidden[e] and (suppress_zeros or grid.values[e] > 0)
        ]
        if visible:
            hidden[min(visible, key=lambda e: (cost[e], e))] = True
            return True
    return False


def suppress_pooled(
    pooled: pd.DataFrame, parts: list[SuppressedTable], min_cell: int = DEFAULT_MIN_CELL
) -> SuppressedTable | None:
    """`suppress_table` for a table that adds up `parts` published elsewhere (a summary's table over sites,
    each site's own table already suppressed and published on its page).

    Subtraction between pages is the risk: pooled minus the other sites' shown cells gives a site's hidden
    cell. The pooled table is suppressed alone first; then, while a reader who holds every part and the
    pooled table (all with their markers' bounds, the pooled entries equal to the sums of the parts' entries)
    can pin a hidden entry anywhere, the pooled entry at that position is hidden (or, if it already is, the
    cheapest pooled entry shown where some part hides its own), and the cycle rule is restored. Parts are
    aligned to the pooled table's rows and columns (a row a part lacks counts as 0). Returns the pooled
    table's suppression, or None when no suppression of it keeps the parts safe (even with everything hidden,
    "<5" on pooled cells can pin the parts' small counts): then the pooled table must not be published.
    """
    _check_min_cell(min_cell)
    frame = _as_frame(pooled)
    grid = _Grid.build(_checked_values(frame), True)
    hidden = _small(grid.values, min_cell, False)
    part_grids = []
    for part in parts:
        cells = part.counts.reindex(index=frame.index, columns=frame.columns, fill_value=0)
        mask = part.hidden.reindex(index=frame.index, columns=frame.columns, fill_value=False)
        part_grid = _Grid.build(_checked_values(cells), True)
        part_hidden = np.zeros(part_grid.values.shape, dtype=bool)
        r, c = frame.shape
        part_hidden[:r, :c] = mask.to_numpy(dtype=bool)
        # the margins the grid has: a one-column table has only its total row, whose one entry is the total
        if part.row_totals_hidden is not None and part_grid.total_col:
            part_hidden[:r, c] = part.row_totals_hidden.reindex(frame.index, fill_value=False).to_numpy(dtype=bool)
        if part.col_totals_hidden is not None and part_grid.total_row:
            part_hidden[r, :c] = part.col_totals_hidden.reindex(frame.columns, fill_value=False).to_numpy(dtype=bool)
        if part_grid.total_row and part_grid.total_col:
            part_hidden[r, c] = part.grand_total_hidden
        elif part_grid.total_row:
            part_hidden[r, :c] |= part.grand_total_hidden
        part_grids.append((part_grid, part_hidden))
    cost = _complement_costs(grid)
    for _ in range(2 * grid.values.size + 2):
        _secondary(grid, hidden)
        while _harden(grid, hidden, min_cell, False):
            _secondary(grid, hidden)
        found = _pinned_in_linked(grid, hidden, part_grids, min_cell)
        # a pooled entry the parts pin is no secret (unless small): showing it changes nothing a reader can
        # work out, so it is shown once nothing else is pinned
        derivable = [e for t, e in found if t == 0 and not 0 < grid.values[e] < min_cell]
        bad = [e for t, e in found if e not in derivable or t != 0]
        if not bad:
            for e in derivable:
                hidden[e] = False
            break
        pinned = bad[0]
        if not hidden[pinned]:
            hidden[pinned] = True
            continue
        # pinned through the sums: hide the cheapest pooled entry shown where a part hides its entry
        exposed = {e for _, part_hidden in part_grids for e in zip(*np.nonzero(part_hidden), strict=True)}
        visible = [(int(i), int(j)) for i, j in exposed if not hidden[i, j] and grid.values[i, j] > 0]
        if not visible:
            return None
        hidden[min(visible, key=lambda e: (cost[e], e))] = True
    else:
        return None
    return grid.to_table(frame, hidden, min_cell)


def _pinned_in_linked(grid: _Grid, hidden: np.ndarray, parts: list, min_cell: int) -> list[tuple[int, Entry]]:
    """(table, grid position) of every hidden entry pinned by the linked system (table 0: the pooled one)."""
    tables = [(grid, hidden), *parts]
    keys = [(t, e) for t, (g, h) in enumerate(tables) for e in zip(*np.nonzero(h), strict=True)]
    keys = [(t, (int(e[0]), int(e[1]))) for t, e in keys]
    if not keys:
        return []
    index = {k: n for n, k in enumerate(keys)}
    values = np.array([tables[t][0].values[e] for t, e in keys])
    lower, upper = marker_bounds(values, min_cell)
    matrix, rhs = [], []

    def add(terms: list[tuple[int, Entry, float]]) -> None:
        row, constant = np.zeros(len(keys)), 0.0
        for t, e, sign in terms:
            if (t, e) in index:
                row[index[(t, e)]] += sign
            else:
                constant -= sign * tables[t][0].values[e]
        if row.any():
            matrix.append(row)
            rhs.append(constant)

    for t, (g, _) in enumerate(tables):
        for line in g.lines:
            add([(t, e, -1.0 if e == line[-1] else 1.0) for e in line])
    for e in np.ndindex(grid.values.shape):
        add([(0, e, -1.0), *((t, e, 1.0) for t in range(1, len(tables)))])
    low, high = implied_intervals(np.array(matrix).reshape(len(matrix), len(keys)), np.array(rhs), lower, upper)
    return [key for n, key in enumerate(keys) if is_pinned(low[n], high[n])]


def marker_bounds(values, min_cell: int, zeros_small: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """What the markers tell a reader about hidden counts with true `values`: [1, min_cell - 1] for "<5"
    ([0, min_cell - 1] when zeros are suppressed too), [min_cell, inf) for "..", and [0, inf) for a hidden 0
    under "..", which a reader cannot tell from the others (see `_harden`)."""
    values = np.asarray(values, dtype=float)
    small = ((values > 0) | zeros_small) & (values < min_cell)
    lower = np.where(small, 0.0 if zeros_small else 1.0, np.where(values >= min_cell, float(min_cell), 0.0))
    upper = np.where(small, float(min_cell - 1), np.inf)
    return lower, upper


def implied_intervals(matrix: np.ndarray, rhs: np.ndarray, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest value each unknown can take with matrix @ x == rhs and lower <= x <= upper
    (two linear programs per unknown, scipy's HiGHS). Infeasible systems give (-inf, inf) everywhere: they
    mean the published figures are not what the model assumed, and nothing is claimed about them."""
    from scipy.optimize import linprog

    n = len(np.atleast_1d(lower))
    bounds = list(zip(np.atleast_1d(lower), [None if np.isinf(u) else u for u in np.atleast_1d(upper)], strict=True))
    low, high = np.full(n, -np.inf), np.full(n, np.inf)
    equations = dict(A_eq=matrix, b_eq=rhs) if len(matrix) else {}
    for k in range(n):
        objective = np.zeros(n)
        objective[k] = 1.0
        least = linprog(objective, bounds=bounds, method="highs", **equations)
        if least.status == 2:  # infeasible
            return np.full(n, -np.inf), np.full(n, np.inf)
        most = linprog(-objective, bounds=bounds, method="highs", **equations)
        low[k] = least.fun if least.status == 0 else -np.inf
        high[k] = -most.fun if most.status == 0 else np.inf
    return low, high


def is_pinned(low: float, high: float) -> bool:
    """True if exactly one integer lies in [low, high] (a hidden count a reader can work out)."""
    return bool(np.isfinite(low) and np.isfinite(high) and np.ceil(low - 1e-6) >= np.floor(high + 1e-6))


def _protect_lines(grid: _Grid, hidden: np.ndarray, cost: np.ndarray) -> bool:
    """One pass over the equations of a one-way table; True if anything was hidden."""
    changed = False
    for line in grid.lines:
        if _line_is_exposed(line, grid.values, hidden):
            visible = [e for e in line if not hidden[e]]
            hidden[min(visible, key=lambda e: (cost[e], e))] = True
            changed = True
    return changed


def _line_is_exposed(line: tuple[Entry, ...], values: np.ndarray, hidden: np.ndarray) -> bool:
    """An equation (its last entry is the total) reveals its hidden entries if it holds exactly one, or if the
    total is shown and every hidden entry is 0 (their sum is then 0, so each is 0)."""
    n_hidden = sum(bool(hidden[e]) for e in line)
    if n_hidden in (0, len(line)):
        return False
    return n_hidden == 1 or (not hidden[line[-1]] and all(values[e] == 0 for e in line if hidden[e]))


def _protect_cycles(grid: _Grid, hidden: np.ndarray, cost: np.ndarray) -> bool:
    """Put the smallest hidden entry that lies on no movable cycle onto the cheapest one; True if any."""
    for i, j in sorted(zip(*np.nonzero(hidden), strict=True), key=lambda e: (grid.values[e], e)):
        path = _cheapest_cycle(grid, hidden, cost, (int(i), int(j)))
        if path:
            for e in path:
                hidden[e] = True
            return True
    return False


def _cheapest_cycle(grid: _Grid, hidden: np.ndarray, cost: np.ndarray, entry: Entry) -> list[Entry]:
    """The visible entries to hide so that `entry` lies on a movable cycle of hidden entries (empty: it does).

    The cycle is `entry` (taken row -> column, so it moves by +1 times its sign and the direction) plus a
    path from its column back to its row; a 0 entry fixes the direction, since it may only increase.
    """
    signs = _equation_signs(grid)
    directions = [signs[entry]] if grid.values[entry] == 0 else [1, -1]
    found = [_cheapest_return(grid, hidden, cost, entry, signs, d) for d in directions]
    best = min((f for f in found if f is not None), key=lambda f: f[0], default=None)
    if best is None:  # cannot happen: entry, its two totals and the grand total always form a movable cycle
        raise RuntimeError(f"no movable cycle through grid entry {entry}")
    return best[1]


def _equation_signs(grid: _Grid) -> np.ndarray:
    """+1 for data cells and the grand total, -1 for row and column totals."""
    signs = np.ones(grid.values.shape, dtype=int)
    signs[grid.shape[0], :] *= -1
    signs[:, grid.shape[1]] *= -1
    return signs


def _cheapest_return(
    grid: _Grid, hidden: np.ndarray, cost: np.ndarray, entry: Entry, signs: np.ndarray, direction: int
) -> tuple[int, list[Entry]] | None:
    """Dijkstra from `entry`'s column to its row without `entry`. Going row -> column an edge is added, going
    column -> row subtracted (times its sign, times `direction`); a 0 may only be added. None if no path."""
    start, goal = ("col", entry[1]), ("row", entry[0])
    best, previous, queue = {start: 0}, {}, [(0, start)]
    while queue:
        dist, node = heapq.heappop(queue)
        if node == goal:
            return dist, _visible_on_path(previous, start, goal, hidden)
        if dist > best[node]:
            continue
        for nxt, e, step in _arcs(grid, node, hidden, cost, signs, direction):
            if e != entry and dist + step < best.get(nxt, dist + step + 1):
                best[nxt], previous[nxt] = dist + step, (node, e)
                heapq.heappush(queue, (dist + step, nxt))
    return None


def _arcs(grid: _Grid, node: tuple[str, int], hidden: np.ndarray, cost: np.ndarray, signs: np.ndarray, direction: int):
    kind, k = node
    n_rows, n_cols = grid.values.shape
    for m in range(n_cols if kind == "row" else n_rows):
        e = (k, m) if kind == "row" else (m, k)
        change = (1 if kind == "row" else -1) * signs[e] * direction
        if grid.values[e] > 0 or change > 0:
            yield ("col" if kind == "row" else "row", m), e, 0 if hidden[e] else cost[e]


def _visible_on_path(previous: dict, start, goal, hidden: np.ndarray) -> list[Entry]:
    path, node = [], goal
    while node != start:
        node, e = previous[node]
        if not hidden[e]:
            path.append(e)
    return path


# ------------------------------------------------------------------------------------- shares and estimates
def suppress_share(numerator, denominator, min_cell: int = DEFAULT_MIN_CELL, *, suppress_zeros: bool = True):
    """True where a share numerator / denominator (or the count `numerator` shown next to `denominator`)
    must be hidden.

    Hidden when the denominator is below `min_cell`, or the numerator or the complement
    (denominator - numerator) is. The complement matters because a share tells both: 100 % of 6 says that all 6
    did it, 95 % of 40 says that 2 did not, exactly as showing the small count would. By default a numerator or
    complement of 0 also hides the share: 0 % or 100 % of a known group is a statement about every member of
    it. Pass `suppress_zeros=False` to follow the table convention (a 0 may be shown).

    Accepts scalars, arrays or Series (broadcast together by position, not index); returns a bool, an array,
    or a Series indexed like the first Series argument. Missing values (NaN/None) count as hidden. Raises
    ValueError for negative values or numerator > denominator.
    """
    _check_min_cell(min_cell)
    num, den = np.broadcast_arrays(_as_float(numerator), _as_float(denominator))
    known = ~(np.isnan(num) | np.isnan(den))
    if (num[known] < 0).any() or (den[known] < 0).any() or (num > den)[known].any():
        raise ValueError("shares need 0 <= numerator <= denominator")
    small = (den < min_cell) | _small(num, min_cell, suppress_zeros) | _small(den - num, min_cell, suppress_zeros)
    return _like(~known | small, numerator, denominator)


def shown_share(
    numerator, denominator, min_cell: int = DEFAULT_MIN_CELL, *, suppress_zeros: bool = True, scale: float = 100.0
):
    """scale * numerator / denominator (a percentage by default), NaN where `suppress_share` hides it."""
    num, den = _as_float(numerator), _as_float(denominator)
    hidden = np.asarray(suppress_share(num, den, min_cell, suppress_zeros=suppress_zeros))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(hidden, np.nan, scale * num / den)
    return _like(share, numerator, denominator)


def suppress_estimate(estimate, n, min_cell: int = DEFAULT_MIN_CELL):
    """An estimate (mean, median, rate, ...) with NaN wherever it rests on fewer than `min_cell` people `n`."""
    _check_min_cell(min_cell)
    est, size = _as_float(estimate), _as_float(n)
    return _like(np.where(size >= min_cell, est, np.nan), estimate, n)


def _as_float(values) -> np.ndarray:
    if isinstance(values, pd.Series | pd.Index):
        return values.to_numpy(dtype=float, na_value=np.nan)
    if values is None or values is pd.NA:
        return np.array(np.nan)
    return np.asarray(values, dtype=float)


def _like(result: np.ndarray, *inputs):
    """`result` as a Series if an input was one, as a Python scalar if all inputs were scalars."""
    for template in inputs:
        if isinstance(template, pd.Series):
            return pd.Series(result, index=template.index, name=template.name)
    result = np.asarray(result)
    return result.item() if result.ndim == 0 else result


# ---------------------------------------------------------------------------------------- survival curves
def survival_curve_cutoff(n_risk: pd.Series, min_cell: int = DEFAULT_MIN_CELL) -> Hashable | None:
    """The index label of the first time (in the Series' order) with fewer than `min_cell` at risk, or None.

    A Kaplan–Meier curve may be drawn only strictly before this time: the step at a time comes from the
    events among those at risk then, so with fewer than `min_cell` at risk it would describe a few
    identifiable people. A missing n_risk counts as too few. Only the number at risk is checked; the size of
    earlier steps (e.g. one event among 40) is not disclosure-controlled here.
    """
    _check_min_cell(min_cell)
    too_few = ~(n_risk.to_numpy(dtype=float, na_value=np.nan) >= min_cell)
    return n_risk.index[int(np.argmax(too_few))] if too_few.any() else None


def truncate_survival_curve(
    curve: pd.DataFrame,
    min_cell: int = DEFAULT_MIN_CELL,
    *,
    n_risk: str = "n_risk",
    time: str = "time",
    group: str | None = "group",
) -> pd.DataFrame:
    """The rows of a (grouped) Kaplan–Meier table that may be plotted: in each group, in time order, the rows
    before the `survival_curve_cutoff`."""
    _check_min_cell(min_cell)
    ordered = curve.sort_values([group, time] if group else [time], kind="stable")
    too_few = ~(ordered[n_risk].astype(float) >= min_cell)
    stopped = too_few.groupby(ordered[group], sort=False).cummax() if group else too_few.cummax()
    return ordered[~stopped.astype(bool)]


def coarsen_survival_curve(
    curve: pd.DataFrame, min_cell: int = DEFAULT_MIN_CELL, *, time: str = "time", n_event: str = "n_event"
) -> pd.DataFrame:
    """One group's Kaplan–Meier rows reduced to steps that each rest on at least `min_cell` people.

    A drawn step at time t shows how many of those at risk stopped at t; a step of 1 among 5 says that one
    identifiable person stopped. Here the curve stops where fewer than `min_cell` are at risk (as
    `truncate_survival_curve`), and between its start and there it keeps only the times at which at least
    `min_cell` events have gathered since the last kept time: every visible drop is then the sum of at least
    `min_cell` stops, and the curve holds its level in between. A last row at the last time drawable holds
    the last kept level (as a step plot draws it). The rows keep their columns (survival, interval, n_risk);
    a group with fewer than `min_cell` events before the stop gives an empty frame (nothing worth drawing).
    """
    _check_min_cell(min_cell)
    ordered = truncate_survival_curve(curve, min_cell, time=time, group=None)
    if ordered.empty:
        return ordered
    gathered = ordered[n_event].cumsum().to_numpy()
    keep, since = [], 0.0
    for k, events in enumerate(ordered[n_event].to_numpy()):
        since += events
        if since >= min_cell:
            keep.append(k)
            since = 0.0
    if not keep:
        return ordered.iloc[:0]
    out = ordered.iloc[keep]
    if keep[-1] != len(ordered) - 1 and gathered[-1] > gathered[keep[-1]]:
        last = ordered.iloc[[-1]].copy()
        for column in ("survival", "ci_lower", "ci_upper", "std_error"):
            if column in last:
                last[column] = out[column].iloc[-1]
        out = pd.concat([out, last])
    return out


def coarsen_survival_curves(km: pd.DataFrame, min_cell: int = DEFAULT_MIN_CELL) -> pd.DataFrame:
    """`coarsen_survival_curve` for every (scope, group) of a Kaplan–Meier table."""
    parts = [coarsen_survival_curve(rows, min_cell) for _, rows in km.groupby(["scope", "group"], sort=False)]
    return pd.concat(parts) if parts else km.iloc[:0]


# ---------------------------------------------------------------------------------------------- auditors
def is_recoverable(table: SuppressedTable) -> list[tuple]:
    """Hidden entries an attacker pins down by solving the published equations one unknown at a time.

    Uses only shown values and the row, column and total equations the layout publishes (including the
    redundant "all cells add up to the grand total"). Repeats single-unknown substitution until no equation
    has exactly one unknown. Returns (kind, row, column, value) tuples, kind one of "cell", "row_total",
    "col_total", "grand_total" (row/column None where not applicable), in order of recovery.
    """
    known = _shown_values(table)
    recovered = []
    progress = True
    while progress:
        progress = False
        for terms, total in _published_equations(table):
            unknown = [k for k in (*terms, total) if k not in known]
            if len(unknown) == 1:
                known[unknown[0]] = _solve_for(unknown[0], terms, total, known)
                recovered.append((*unknown[0], known[unknown[0]]))
                progress = True
    return recovered


def linearly_determined(table: SuppressedTable) -> list[tuple]:
    """Hidden entries fixed by the published equations under *any* linear combination (not just one at a time).

    Entry e is determined iff its unit vector lies in the row space of the equations restricted to the hidden
    entries, i.e. iff every solution of the homogeneous system is 0 at e (null-space test). Returns
    (kind, row, column, value) tuples like `is_recoverable`; the value is read off the minimum-norm solution,
    which is exact for determined entries.
    """
    keys, matrix, rhs = _hidden_system(table)
    if not keys or not len(matrix):
        return []
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9 * max(singular.max(), 1.0)).sum())
    free = np.abs(vt[rank:]).max(axis=0) if rank < len(keys) else np.zeros(len(keys))
    solution = np.linalg.lstsq(matrix, rhs, rcond=None)[0]
    return [(*key, int(round(solution[k]))) for k, key in enumerate(keys) if free[k] < 1e-9]


def hidden_intervals(table: SuppressedTable, markers: bool = False) -> pd.DataFrame:
    """The range [lower, upper] an attacker can derive for each hidden entry from the published equations and
    non-negativity (linear programming). The equations of a table with margins have a totally unimodular
    matrix, so the bounds are attained by integer tables and are exact. Columns kind, row, col, lower, upper.

    With `markers`, the attacker also reads the two markers of `SuppressedTable.display` ("<5": 1 to
    min_cell - 1; "..": at least min_cell), see `marker_bounds`.
    """
    from scipy.optimize import linprog

    keys, matrix, rhs = _hidden_system(table)
    if markers:
        entries = _entries(table)
        lower, upper = marker_bounds([entries[k][0] for k in keys], table.min_cell, table.zeros_small)
        low, high = implied_intervals(matrix, rhs, lower, upper)
        return pd.DataFrame(
            [(*key, low[k], high[k]) for k, key in enumerate(keys)], columns=["kind", "row", "col", "lower", "upper"]
        )
    rows = []
    for k, key in enumerate(keys):
        objective = np.eye(len(keys))[k]
        bounds = [
            linprog(
                sign * objective,
                A_eq=matrix if len(matrix) else None,
                b_eq=rhs if len(matrix) else None,
                bounds=(0, None),
                method="highs",
            )
            for sign in (1, -1)
        ]
        lower = bounds[0].fun if bounds[0].status == 0 else 0.0
        upper = -bounds[1].fun if bounds[1].status == 0 else np.inf
        rows.append((*key, lower, upper))
    return pd.DataFrame(rows, columns=["kind", "row", "col", "lower", "upper"])


def _entries(table: SuppressedTable) -> dict[tuple, tuple[int, bool]]:
    """Every published position of `table` with (true value, hidden)."""
    out = {
        ("cell", r, c): (int(table.counts.loc[r, c]), bool(table.hidden.loc[r, c]))
        for r in table.counts.index
        for c in table.counts.columns
    }
    if table.row_totals is not None:
        out |= {("row_total", r, None): (int(v), bool(table.row_totals_hidden[r])) for r, v in table.row_totals.items()}
    if table.col_totals is not None:
        out |= {("col_total", None, c): (int(v), bool(table.col_totals_hidden[c])) for c, v in table.col_totals.items()}
    if table.grand_total is not None:
        out[("grand_total", None, None)] = (int(table.grand_total), bool(table.grand_total_hidden))
    return out


def _shown_values(table: SuppressedTable) -> dict[tuple, int]:
    return {key: value for key, (value, hidden) in _entries(table).items() if not hidden}


def _published_equations(table: SuppressedTable) -> list[tuple[list[tuple], tuple]]:
    """(terms, total) pairs meaning sum(terms) == total, for every total the table publishes."""
    rows, cols = table.counts.index, table.counts.columns
    equations = []
    if table.row_totals is not None:
        equations += [([("cell", r, c) for c in cols], ("row_total", r, None)) for r in rows]
    if table.col_totals is not None:
        equations += [([("cell", r, c) for r in rows], ("col_total", None, c)) for c in cols]
    if table.grand_total is not None:
        grand = ("grand_total", None, None)
        equations.append(([("cell", r, c) for r in rows for c in cols], grand))
        if table.row_totals is not None:
            equations.append(([("row_total", r, None) for r in rows], grand))
        if table.col_totals is not None:
            equations.append(([("col_total", None, c) for c in cols], grand))
    return equations


def _solve_for(unknown: tuple, terms: list[tuple], total: tuple, known: dict[tuple, int]) -> int:
    if unknown == total:
        return sum(known[t] for t in terms)
    return known[total] - sum(known[t] for t in terms if t != unknown)


def _hidden_system(table: SuppressedTable) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """The published equations as matrix @ hidden_values == rhs (shown values moved to the right-hand side)."""
    known = _shown_values(table)
    keys = [key for key, (_, hidden) in _entries(table).items() if hidden]
    position = {key: k for k, key in enumerate(keys)}
    matrix, rhs = [], []
    for terms, total in _published_equations(table):
        row, constant = np.zeros(len(keys)), 0.0
        for key, sign in [(t, 1.0) for t in terms] + [(total, -1.0)]:
            if key in position:
                row[position[key]] += sign
            else:
                constant -= sign * known[key]
        if row.any():
            matrix.append(row)
            rhs.append(constant)
    return keys, np.array(matrix, dtype=float).reshape(len(matrix), len(keys)), np.array(rhs, dtype=float)
