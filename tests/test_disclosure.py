"""Disclosure control: small counts are hidden, and nothing hidden can be worked out from what is shown."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.reports.disclosure import (
    SuppressedTable,
    coarsen_survival_curve,
    hidden_intervals,
    is_recoverable,
    linearly_determined,
    shown_share,
    suppress_estimate,
    suppress_pooled,
    suppress_share,
    suppress_table,
    survival_curve_cutoff,
    truncate_survival_curve,
)
from analysis.retention.km import kaplan_meier


def frame(rows: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=[f"r{i}" for i in range(len(rows))], columns=[f"c{j}" for j in range(len(rows[0]))])


def hidden_cells(table: SuppressedTable) -> set[tuple[str, str]]:
    mask = table.hidden.stack()
    return set(mask[mask].index)


def published(table: SuppressedTable) -> list[tuple[int, bool]]:
    """(value, hidden) of every cell and total the table publishes."""
    out = list(zip(table.counts.to_numpy().ravel(), table.hidden.to_numpy().ravel(), strict=True))
    for values, mask in [(table.row_totals, table.row_totals_hidden), (table.col_totals, table.col_totals_hidden)]:
        if values is not None:
            out += list(zip(values, mask, strict=True))
    if table.grand_total is not None:
        out.append((table.grand_total, table.grand_total_hidden))
    return [(int(v), bool(h)) for v, h in out]


def hidden_per_line(table: SuppressedTable) -> list[int]:
    """How many entries each published equation (row, column, margin line) has hidden."""
    cells = table.hidden
    lines = []
    if table.row_totals is not None:
        lines += list(cells.sum(axis=1) + table.row_totals_hidden)
        lines.append(int(table.row_totals_hidden.sum() + table.grand_total_hidden))
    if table.col_totals is not None:
        lines += list(cells.sum(axis=0) + table.col_totals_hidden)
        lines.append(int(table.col_totals_hidden.sum() + table.grand_total_hidden))
    if table.row_totals is None and table.grand_total is not None:  # one-way: one equation
        lines.append(int(cells.to_numpy().sum() + table.grand_total_hidden))
    return [int(n) for n in lines]


# ------------------------------------------------------------------------------------- hand-made tables
def test_a_single_small_cell_gets_the_cheapest_rectangle_of_complements():
    table = suppress_table(frame([[3, 10, 12], [20, 15, 9], [11, 30, 25]]))
    # candidate rectangles through (r0, c0): 10+20+15, 12+20+9 (cheapest), 10+11+30, 12+11+25
    assert hidden_cells(table) == {("r0", "c0"), ("r0", "c2"), ("r1", "c0"), ("r1", "c2")}
    assert not table.row_totals_hidden.any() and not table.col_totals_hidden.any() and not table.grand_total_hidden
    assert is_recoverable(table) == [] and linearly_determined(table) == []


def test_a_row_with_one_data_cell_hides_its_total():
    table = suppress_table(frame([[3, 0, 0], [20, 15, 9], [11, 30, 25]]))
    assert table.hidden.loc["r0", "c0"] and table.row_totals_hidden["r0"]
    assert not table.hidden.loc["r0", ["c1", "c2"]].any(), "zeros are shown and never used as complements"
    assert all(n != 1 for n in hidden_per_line(table))
    assert is_recoverable(table) == [] and linearly_determined(table) == []


def test_a_table_without_small_counts_is_shown_in_full():
    table = suppress_table(frame([[5, 10], [0, 7]]))
    assert table.n_hidden == 0
    assert table.display().to_dict() == {
        "c0": {"r0": "5", "r1": "0", "total": "5"},
        "c1": {"r0": "10", "r1": "7", "total": "17"},
        "total": {"r0": "15", "r1": "7", "total": "22"},
    }


def test_small_totals_are_hidden_like_cells():
    table = suppress_table(frame([[2, 2, 0], [20, 15, 9], [11, 30, 25]]))
    assert table.row_totals_hidden["r0"], "a row total of 4 is itself a small count"
    assert all(v >= 5 or v == 0 for v, hidden in published(table) if not hidden)
    assert is_recoverable(table) == [] and linearly_determined(table) == []


def test_a_small_grand_total_hides_everything():
    table = suppress_table(frame([[1, 1], [1, 1]]))
    assert table.n_hidden == 9
    assert set(table.display().to_numpy().ravel()) == {"<5"}


def test_one_way_table_hides_the_smallest_positive_complement_and_keeps_the_total():
    counts = pd.Series([3, 10, 12, 0, 40], index=list("abcde"), name="n")
    table = suppress_table(counts)
    assert table.row_totals is None and table.col_totals is None and table.grand_total == 65
    assert hidden_cells(table) == {("a", "n"), ("b", "n")} and not table.grand_total_hidden
    assert table.display()["n"].tolist() == ["<5", "..", "12", "0", "40", "65"]  # 10 is no "<5"
    assert is_recoverable(table) == []


def test_two_small_counts_the_total_pins_get_a_third_cell_hidden():
    # Fredensborg's reasons: 83 in all, 75 shown, two "<5" cells hold the other 8. With "<5" meaning 1 to 4
    # both are exactly 4; one more cell must be hidden (as "..", since it is not below 5).
    counts = pd.Series([4, 4, 30, 45], index=list("abcd"), name="n")
    table = suppress_table(counts)
    assert table.display()["n"].tolist() == ["<5", "<5", "..", "45", "83"]
    intervals = hidden_intervals(table, markers=True)
    assert (intervals["upper"] - intervals["lower"] >= 1).all()
    no_total = hidden_intervals(suppress_table(counts, margins=False), markers=True)
    assert no_total[["lower", "upper"]].to_numpy().tolist() == [[1, 4], [1, 4]]  # only what "<5" says


def test_markers_pin_what_the_equations_alone_do_not():
    # 3 + 6 + 11 = 20 over two rows: without the markers' bounds every hidden entry could move.
    table = primary_only([[3, 6, 11], [2, 9, 14]], [("r0", "c0"), ("r1", "c0"), ("r0", "c1"), ("r1", "c1")])
    assert (hidden_intervals(table)["upper"] - hidden_intervals(table)["lower"] >= 1).all()
    marked = hidden_intervals(table, markers=True).set_index(["row", "col"])
    assert marked.loc[("r1", "c0"), ["lower", "upper"]].tolist() == [1, 4]
    assert marked.loc[("r0", "c1"), ["lower", "upper"]].tolist() == [5, 8]


def test_one_way_table_with_one_positive_cell_hides_the_total():
    table = suppress_table(pd.DataFrame({"n": [3, 0, 0]}, index=list("abc")))
    assert table.grand_total_hidden and table.display()["n"].tolist() == ["<5", "0", "0", "<5"]


def test_single_row_table_gets_a_total_column():
    table = suppress_table(pd.DataFrame([[3, 10, 12]], index=["all"], columns=list("xyz")))
    assert table.display().loc["all"].tolist() == ["<5", "..", "12", "25"]
    assert is_recoverable(table) == []


def test_a_single_small_count_hides_its_total_too():
    table = suppress_table(pd.DataFrame({"n": [3]}, index=["a"]))
    assert table.n_hidden == 2 and table.display()["n"].tolist() == ["<5", "<5"]


def test_without_margins_only_small_cells_are_hidden():
    table = suppress_table(frame([[3, 10], [20, 30]]), margins=False)
    assert hidden_cells(table) == {("r0", "c0")} and table.grand_total is None
    assert table.display().shape == (2, 2) and is_recoverable(table) == []


def test_suppress_zeros_hides_zeros_and_keeps_them_from_being_worked_out():
    table = suppress_table(frame([[3, 0, 12], [20, 0, 9], [11, 30, 25]]), suppress_zeros=True)
    assert table.hidden.loc["r0", "c1"] and table.hidden.loc["r1", "c1"]
    intervals = hidden_intervals(table)
    assert (intervals["upper"] - intervals["lower"] >= 1).all()


@pytest.mark.parametrize("bad", [[[-1, 2]], [[1.5, 2]], [[np.nan, 2]], [["a", 2]]])
def test_counts_must_be_non_negative_integers(bad):
    with pytest.raises(ValueError, match="counts"):
        suppress_table(frame(bad))


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match="min_cell"):
        suppress_table(frame([[1, 2]]), min_cell=0)
    with pytest.raises(ValueError, match="unique"):
        suppress_table(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(ValueError, match="empty"):
        suppress_table(pd.DataFrame())


# ----------------------------------------------------------------------------------------------- display
def test_display_marker_labels_number_format_and_total_label():
    table = suppress_table(pd.DataFrame({"n": [3, 10, 1200]}, index=["health", "self", "other"]), min_cell=10)
    shown = table.display(
        {"health": "Sundhed"}, marker="x", number=lambda v: f"{v:,}".replace(",", "."), total_label="I alt"
    )
    assert shown["n"].to_dict() == {"Sundhed": "x", "self": "..", "other": "1.200", "I alt": "1.213"}
    assert suppress_table(pd.DataFrame({"n": [3, 20, 30]})).display()["n"].iloc[0] == "<5"
    assert suppress_table(pd.DataFrame({"n": [3, 20, 30]}), min_cell=10).display()["n"].iloc[0] == "<10"


def test_display_refuses_a_total_label_that_is_a_category():
    with pytest.raises(ValueError, match="total_label"):
        suppress_table(pd.DataFrame({"n": [3, 20]}, index=["total", "x"])).display()


def test_printing_the_table_never_shows_hidden_values():
    table = suppress_table(frame([[3, 10, 12], [20, 15, 9], [11, 30, 25]]))  # hides 3, 12, 20 and 9
    for text in (repr(table), table._repr_html_()):
        assert {"5", "10", "11", "135"} <= set(re.findall(r"\d+", text))
        assert not {"3", "12", "20", "9"} & set(re.findall(r"\d+", text))


# --------------------------------------------------------------------------------------------- auditors
def primary_only(rows: list[list[int]], hidden: list[tuple[str, str]], hidden_totals=()) -> SuppressedTable:
    """A table with margins and a hand-chosen mask (to exercise the auditors)."""
    counts = frame(rows)
    mask = pd.DataFrame(False, index=counts.index, columns=counts.columns)
    for r, c in hidden:
        mask.loc[r, c] = True
    return SuppressedTable(
        counts=counts,
        hidden=mask,
        min_cell=5,
        row_totals=counts.sum(axis=1),
        row_totals_hidden=pd.Series([r in hidden_totals for r in counts.index], counts.index),
        col_totals=counts.sum(axis=0),
        col_totals_hidden=pd.Series(False, index=counts.columns),
        grand_total=int(counts.to_numpy().sum()),
    )


def test_is_recoverable_finds_a_cell_left_alone_in_its_row_with_its_value():
    table = primary_only([[3, 10, 12], [20, 15, 9]], [("r0", "c0")])
    assert is_recoverable(table) == [("cell", "r0", "c0", 3)]


def test_is_recoverable_substitutes_step_by_step():
    # Only c0 has a single unknown; solving it leaves r0, then c1, with a single unknown.
    table = primary_only([[3, 4, 12], [20, 15, 9]], [("r0", "c0"), ("r0", "c1"), ("r1", "c1")])
    found = {entry[:3]: entry[3] for entry in is_recoverable(table)}
    assert found == {("cell", "r0", "c0"): 3, ("cell", "r0", "c1"): 4, ("cell", "r1", "c1"): 15}


def test_a_bridge_between_two_protected_blocks_escapes_substitution_but_not_linear_algebra():
    # Two hidden rectangles joined by one hidden cell: every line holds 0 or >= 2 hidden entries, so
    # substitution is stuck, but (r0 + r1) - (c0 + c1) isolates the joining cell (r1, c2).
    rows = [[6, 7, 8, 9], [6, 7, 8, 9], [6, 7, 8, 9], [6, 7, 8, 9]]
    mask = [
        ("r0", "c0"),
        ("r0", "c1"),
        ("r1", "c0"),
        ("r1", "c1"),
        ("r2", "c2"),
        ("r2", "c3"),
        ("r3", "c2"),
        ("r3", "c3"),
        ("r1", "c2"),
    ]
    table = primary_only(rows, mask)
    assert all(n != 1 for n in hidden_per_line(table))
    assert is_recoverable(table) == []
    assert linearly_determined(table) == [("cell", "r1", "c2", 8)]


def test_hidden_zeros_can_be_pinned_by_non_negativity():
    # Column c1 hides only zeros: its total 0 says they are 0, and then the rest follows.
    table = primary_only([[3, 0, 12], [7, 0, 9]], [("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")])
    assert linearly_determined(table) == []
    intervals = hidden_intervals(table).set_index(["row", "col"])
    assert intervals.loc[("r0", "c0"), ["lower", "upper"]].tolist() == [3, 3]


# --------------------------------------------------------------------------------------- property tests
@st.composite
def count_tables(draw, rows=(2, 6), cols=(2, 6)) -> pd.DataFrame:
    n_rows, n_cols = draw(st.integers(*rows)), draw(st.integers(*cols))
    cell = st.one_of(st.integers(0, 6), st.integers(0, 30))
    values = draw(st.lists(cell, min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    return frame(np.array(values).reshape(n_rows, n_cols).tolist())


def check_protected(table: SuppressedTable, min_cell: int, suppress_zeros: bool) -> None:
    for value, hidden in published(table):
        assert hidden or not (0 < value < min_cell or (suppress_zeros and value == 0))
        assert suppress_zeros or not (hidden and value == 0), "a zero was used as complement"
    assert all(n != 1 for n in hidden_per_line(table))
    assert is_recoverable(table) == []
    assert linearly_determined(table) == []
    shown = table.display(marker="#", secondary_marker="#")
    assert (
        shown.loc[table.counts.index, table.counts.columns] == "#"
    ).to_numpy().tolist() == table.hidden.to_numpy().tolist()


@settings(max_examples=100, deadline=None)
@given(count_tables(), st.sampled_from([3, 5, 10]), st.booleans())
def test_two_way_tables_hide_small_counts_and_nothing_hidden_can_be_recovered(counts, min_cell, suppress_zeros):
    check_protected(suppress_table(counts, min_cell, suppress_zeros=suppress_zeros), min_cell, suppress_zeros)


@settings(max_examples=60, deadline=None)
@given(count_tables(rows=(1, 6), cols=(1, 1)), st.sampled_from([3, 5]), st.booleans())
def test_one_way_tables_hide_small_counts_and_nothing_hidden_can_be_recovered(counts, min_cell, suppress_zeros):
    check_protected(suppress_table(counts, min_cell, suppress_zeros=suppress_zeros), min_cell, suppress_zeros)


@settings(max_examples=25, deadline=None)
@given(count_tables(rows=(2, 4), cols=(1, 4)), st.booleans())
def test_every_hidden_value_could_be_one_more_or_less(counts, suppress_zeros):
    intervals = hidden_intervals(suppress_table(counts, suppress_zeros=suppress_zeros))
    assert (intervals["upper"] - intervals["lower"] >= 1 - 1e-9).all()


@settings(max_examples=25, deadline=None)
@given(count_tables(rows=(1, 4), cols=(1, 4)))
def test_a_reader_who_reads_the_markers_pins_no_hidden_value(counts):
    intervals = hidden_intervals(suppress_table(counts), markers=True)
    assert (intervals["upper"] - intervals["lower"] >= 1 - 1e-9).all()


# ------------------------------------------------------------------------------------ shares, estimates
@pytest.mark.parametrize(
    ("numerator", "denominator", "hidden"),
    [
        (6, 6, True),  # 100 % of 6: all 6 did it
        (10, 20, False),
        (1, 20, True),
        (4, 20, True),
        (5, 20, False),
        (19, 20, True),
        (16, 20, True),
        (15, 20, False),  # complement 1, 4, 5
        (3, 4, True),
        (4, 4, True),  # denominator below min_cell
        (0, 20, True),
        (20, 20, True),  # 0 % and 100 %
        (None, 20, True),
        (3, None, True),
    ],
)
def test_suppress_share(numerator, denominator, hidden):
    assert suppress_share(numerator, denominator, 5) is hidden


def test_suppress_share_can_show_zeros_like_tables_do():
    assert suppress_share(0, 20, suppress_zeros=False) is False
    assert suppress_share(20, 20, suppress_zeros=False) is False
    assert suppress_share(19, 20, suppress_zeros=False) is True


def test_shares_keep_the_shape_of_their_input():
    numerators = pd.Series([1, 10, 20], index=["a", "b", "c"])
    assert suppress_share(numerators, 20).tolist() == [True, False, True]
    assert list(suppress_share(numerators, 20).index) == ["a", "b", "c"]
    assert suppress_share(np.array([10, 15]), np.array([20, 40])).tolist() == [False, False]
    shares = shown_share(numerators, pd.Series([20, 20, 40], index=numerators.index))
    assert np.isnan(shares["a"]) and shares["b"] == 50 and shares["c"] == 50
    assert shown_share(6, 24, scale=1) == 0.25


def test_impossible_shares_are_errors():
    with pytest.raises(ValueError):
        suppress_share(21, 20)
    with pytest.raises(ValueError):
        suppress_share(-1, 20)


@given(st.integers(0, 60), st.integers(0, 60), st.sampled_from([3, 5, 10]))
def test_a_share_is_shown_only_if_numerator_complement_and_denominator_are_large(a, b, min_cell):
    numerator, denominator = min(a, b), max(a, b)
    if not suppress_share(numerator, denominator, min_cell):
        assert min(numerator, denominator - numerator, denominator) >= min_cell


def test_suppress_estimate():
    means = suppress_estimate(pd.Series([50.0, 61.5]), pd.Series([4, 5]))
    assert np.isnan(means[0]) and means[1] == 61.5
    assert np.isnan(suppress_estimate(1.0, 2)) and suppress_estimate(1.0, 30) == 1.0


# ------------------------------------------------------------------------------------- survival curves
def test_survival_curve_cutoff_is_the_first_time_with_too_few_at_risk():
    n_risk = pd.Series([20, 10, 5, 4, 3], index=[0.0, 1.5, 3.0, 4.0, 7.0])
    assert survival_curve_cutoff(n_risk, 5) == 4.0
    assert survival_curve_cutoff(n_risk, 3) is None
    assert survival_curve_cutoff(pd.Series([20, 4, 9]), 5) == 1, "first in order, even if it rises again"
    assert survival_curve_cutoff(pd.Series([20.0, np.nan]), 5) == 1
    assert survival_curve_cutoff(pd.Series([], dtype="int64"), 5) is None


def test_truncate_survival_curve_per_group_on_real_kaplan_meier_output():
    data = pd.DataFrame(
        {
            "months": [1, 2, 3, 4, 5, 6, 7, 8, 2, 3, 9, 12],
            "left": [1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1],
            "track": ["a"] * 8 + ["b"] * 4,
        }
    )
    km = kaplan_meier(data, "months", "left", group="track")
    shown = truncate_survival_curve(km.sample(frac=1, random_state=1), 5)
    assert (shown["n_risk"] >= 5).all()
    assert shown.loc[shown["group"] == "a", "time"].tolist() == [1, 2, 3, 4]
    assert shown.loc[shown["group"] == "b"].empty


# ------------------------------------------------------------------------------------ linked and curves
def test_a_pooled_table_does_not_give_back_a_site_cell_by_subtraction():
    # Site A hides its 3; B and C show everything. Pooled "active/answered" = 3 + 10 + 12 would give it back.
    sites = [
        pd.DataFrame({"yes": [3, 40], "no": [9, 30]}, index=["active", "stopped"]),
        pd.DataFrame({"yes": [10, 76], "no": [6, 31]}, index=["active", "stopped"]),
        pd.DataFrame({"yes": [12, 70], "no": [7, 30]}, index=["active", "stopped"]),
    ]
    parts = [suppress_table(s) for s in sites]
    assert parts[0].hidden.loc["active", "yes"] and not parts[1].hidden.any().any()
    pooled = suppress_pooled(sites[0] + sites[1] + sites[2], parts)
    assert pooled is not None and pooled.hidden.loc["active", "yes"]
    alone = suppress_table(sites[0] + sites[1] + sites[2])
    assert not alone.hidden.any().any()  # on its own the pooled table hides nothing


def test_a_pooled_table_that_cannot_protect_its_parts_is_withheld():
    # Four sites each with 1 ("<5": at least 1) and a pooled 4 ("<5": at most 4): the markers pin all four.
    sites = [pd.DataFrame({"yes": [1, 40], "no": [30, 9]}, index=["a", "b"]) for _ in range(4)]
    parts = [suppress_table(s) for s in sites]
    assert suppress_pooled(sites[0] + sites[1] + sites[2] + sites[3], parts) is None


def test_curve_steps_gather_at_least_min_cell_stops():
    curve = pd.DataFrame(
        {
            "time": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            "n_risk": [40, 38, 35, 33, 30, 8, 4],
            "n_event": [2, 3, 2, 1, 2, 1, 1],
            "survival": [0.95, 0.875, 0.825, 0.8, 0.747, 0.653, 0.49],
            "lower": [0.9] * 7,
            "upper": [1.0] * 7,
        }
    )
    shown = coarsen_survival_curve(curve, 5)
    # 2+3 stops by time 2, 2+1+2 by time 5; then 1 more before fewer than 5 are at risk: held level
    assert shown["time"].tolist() == [2.0, 5.0, 6.0]
    assert shown["survival"].tolist() == [0.875, 0.747, 0.747]
    assert (shown["n_risk"] >= 5).all()
    assert coarsen_survival_curve(curve.assign(n_event=1), 10).empty  # never 10 stops before the stop: nothing


def test_a_pooled_one_way_table_hides_what_subtraction_of_a_site_would_give():
    """Summary tables of one column (referral tracks, reasons) pooled over sites whose pages show their own:
    pooled 'self' 11 minus the other site's shown 8 would give the first site's hidden 3."""
    first = pd.Series({"health": 20, "employment": 6, "self": 3, "other": 2}).to_frame("n")
    second = pd.Series({"health": 30, "employment": 2, "self": 8, "other": 9}).to_frame("n")
    parts = [suppress_table(first, 5, margins=True), suppress_table(second, 5, margins=True)]
    pooled = suppress_pooled(first + second, parts, 5)
    for track in ("employment", "self", "other"):  # each hidden on one site's page
        shown_elsewhere = [p for p in parts if not p.hidden.loc[track, "n"]]
        assert pooled.hidden.loc[track, "n"] or len(shown_elsewhere) == len(parts), track
