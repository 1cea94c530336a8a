"""Report figures: seaborn's whitegrid theme, one colour-blind-safe colour per referral track, readable at A4 width.

Colours are the Okabe-Ito palette, distinguishable with the common forms of colour blindness. Every
label comes from the message catalogue; every figure has the same size and font so reports look alike.
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from analysis.reports.messages import Messages  # noqa: E402
from analysis.reports.theme import STYLE_FILE  # noqa: E402

TRACK_COLOURS = {"health": "#0072B2", "employment": "#E69F00", "self": "#009E73", "other": "#CC79A7", "all": "#333333"}
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")
POOLED_COLOUR = "#999999"
FIGURE_SIZE = (7.2, 3.8)  # inches: fits an A4 page with margins at 100 % zoom
RATIO_TICKS = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0]
WIDE_RATIO_TICKS = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]  # when the range spans > 1.5 decades


def narrow() -> bool:
    """True while drawing the phone version of a figure (render.figure draws each figure at two widths)."""
    return plt.rcParams["figure.figsize"][0] < 5


def _wrap(text: str, wide: int, small: int | None = None) -> str:
    """A label broken into lines of at most `wide` characters (`small` on the phone version)."""
    return textwrap.fill(text, small if narrow() and small else wide, break_long_words=False)


def _legend_below(fig, columns: int) -> None:
    """The legend under the plot, outside it (never covering data): at most `columns` columns, fewer when
    the labels are long (a legend wider than the figure is cut off), one column on a phone."""
    labels = [label for ax in fig.axes for label in ax.get_legend_handles_labels()[1]]
    fits = int(plt.rcParams["figure.figsize"][0] * 12) // (max(map(len, labels), default=1) + 6)
    fig.legend(loc="outside lower center", ncol=1 if narrow() else max(1, min(columns, fits)), frameon=False)


def use_report_style() -> None:
    """One look for every figure (call once per notebook): seaborn's whitegrid theme (see theme.py)."""
    plt.style.use(STYLE_FILE)
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.figsize": FIGURE_SIZE,
            "axes.titleweight": "bold",
            "figure.autolayout": True,
        }
    )


def _ratio_axis(axis, limits: tuple[float, float], messages: Messages, data: tuple[float, float] | None = None) -> None:
    """A log-scaled ratio axis with readable ticks (0,5 1,0 2,0 ...) inside the data's range. When the
    data (lowest and highest ratio shown) span more than 1.5 decades, fewer ticks spread over them."""
    axis.axes.set_xscale("log") if axis.axis_name == "x" else axis.axes.set_yscale("log")
    low, high = min(limits[0], 0.9), max(limits[1], 1.1)
    if data is not None and min(data[0], 0.9) > 0 and np.log10(max(data[1], 1.1) / min(data[0], 0.9)) > 1.5:
        low, high = min(data[0], 0.9), max(data[1], 1.1)
        ticks = [t for t in WIDE_RATIO_TICKS if low * 0.95 <= t <= high * 1.05]
        axis.set_ticks(ticks, [messages.number(t, 2 if t < 0.1 else 1 if t < 1 else 0) for t in ticks])
        axis.set_minor_formatter(lambda value, _: "")
        return
    ticks = [t for t in RATIO_TICKS if low * 0.95 <= t <= high * 1.05]
    if narrow():  # on a phone: ticks at least a fifth of the axis apart, so their labels do not collide
        gap, kept = np.log10(high / low) / 5, []
        for tick in ticks:
            if not kept or np.log10(tick / kept[-1]) >= gap:
                kept.append(tick)
        ticks = kept
    axis.set_ticks(ticks, [messages.number(t, 2 if t < 0.5 or t == 0.75 else 1) for t in ticks])
    axis.set_minor_formatter(lambda value, _: "")


def _until_min_at_risk(curve: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The part of a Kaplan-Meier curve before fewer than min_cell remain at risk."""
    return curve[(curve["n_risk"] >= min_cell).cummin()]


def _step(ax, curve: pd.DataFrame, colour: str, label: str, band: bool = False, **style) -> None:
    times = np.concatenate([[0.0], curve["time"].to_numpy()])
    survival = np.concatenate([[1.0], curve["survival"].to_numpy()])
    ax.step(times, survival, where="post", color=colour, label=label, **style)
    if band:
        lower = np.concatenate([[1.0], curve["ci_lower"].fillna(0).to_numpy()])
        upper = np.concatenate([[1.0], curve["ci_upper"].fillna(1).to_numpy()])
        ax.fill_between(times, lower, upper, step="post", color=colour, alpha=0.15, linewidth=0)


def group_colours(values: list[str]) -> dict[str, str]:
    """One colour per group: the track colours for referral tracks, else Okabe-Ito in the given order."""
    if set(values) <= set(TRACK_COLOURS):
        return {v: TRACK_COLOURS[v] for v in values}
    return {v: OKABE_ITO[i % len(OKABE_ITO)] for i, v in enumerate(values)}


def retention_figure(
    km: pd.DataFrame,
    scope: str,
    messages: Messages,
    min_cell: int,
    max_months: float = 36,
    groups: dict[str, str] | None = None,
):
    """Kaplan-Meier retention of one scope by group, over the curve of all sites (grey band).

    `groups` maps each group value to its label, in drawing order (default: the referral tracks)."""
    if groups is None:
        groups = {track: messages.t(f"tracks.{track}") for track in TRACK_COLOURS}
    fig, ax = plt.subplots(layout="constrained")
    pooled = km[(km["scope"] == "all sites") & (km["group"] == "all")].reset_index(drop=True)
    _step(
        ax,
        _until_min_at_risk(pooled, min_cell),
        POOLED_COLOUR,
        messages.t("labels.all_sites"),
        band=True,
        linewidth=1.5,
        linestyle="--",
    )
    mine = km[(km["scope"] == scope) & (km["group"] != "all")]
    colours = group_colours(list(groups))
    last = float(_until_min_at_risk(pooled, min_cell)["time"].max() or 0)
    for group, label in groups.items():
        curve = mine[mine["group"] == group].reset_index(drop=True)
        curve = _until_min_at_risk(curve, min_cell)
        if len(curve):
            _step(ax, curve, colours[group], label, linewidth=2)
            last = max(last, float(curve["time"].max()))
    ax.set_xlim(0, min(max_months, np.ceil(last + 1)) if last > 0 else max_months)  # the axis ends with the data
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole months, written the page's way
    ax.xaxis.set_major_formatter(lambda value, _: messages.number(value))
    ax.set_xlabel(messages.t("labels.month"))
    ax.set_ylabel(_wrap(messages.t("labels.retention"), 40, 24))
    ax.yaxis.set_major_formatter(lambda value, _: messages.percent(value))
    _legend_below(fig, 3)
    return fig


EVENT_STUDY_BINS = ["<-12", "-12..-7", "-6..-4", "-3..-1", "0..2", "3..5", "6..11", "12+"]
AFTER_BINS = {"0..2", "3..5", "6..11", "12+"}
REFERENCE_BIN = "-3..-1"
SHOWN_RANGE = 2.5  # the ratio axis reaches this factor beyond the lowest and highest estimate, no further


def _signed(value: str, messages: Messages) -> str:
    """'-12' as the page writes it: with a real minus sign."""
    return messages.number(float(value))


def bin_label(label: str, messages: Messages) -> str:
    """An event-study bin ('-12..-7', '<-12', '12+') in words: '−12 til −7', 'før −12', '12 og senere'."""
    if label.startswith("<"):
        return messages.t("figures.bin_before", low=_signed(label[1:], messages))
    if label.endswith("+"):
        return messages.t("figures.bin_after", low=_signed(label[:-1], messages))
    low, high = label.split("..")
    return messages.t("figures.bin_range", low=_signed(low, messages), high=_signed(high, messages))


def shown_ratio_range(estimates: pd.Series, lower: pd.Series, upper: pd.Series) -> tuple[float, float]:
    """The stretch of a ratio axis to draw: every estimate and 1, and intervals only as far as SHOWN_RANGE
    times beyond the outermost estimate (wider intervals are cut there and marked with an arrow)."""
    low_estimate, high_estimate = min(float(estimates.min()), 1.0), max(float(estimates.max()), 1.0)
    low = min(max(float(lower.min()), low_estimate / SHOWN_RANGE), low_estimate / 1.15)
    high = max(min(float(upper.max()), high_estimate * SHOWN_RANGE), high_estimate * 1.15)
    return low, high


def event_study_figure(table: pd.DataFrame, messages: Messages):
    """Hazard ratios by months relative to the planned subsidy end (log scale), against the reference period.

    The reference period (last three subsidised months, ratio 1 by definition) is shaded, months with and
    after subsidy have their own colour, a legend says so, the axis keeps to the range of the estimates and
    an interval running past it ends in an arrow."""
    rows = table[(table["se_type"] == "clustered") & table["term"].str.startswith("months ")].copy()
    rows = rows[rows["identified"].astype(bool)]
    rows["bin"] = rows["term"].str.removeprefix("months ")
    reference = pd.DataFrame([{"bin": REFERENCE_BIN, "hazard_ratio": 1.0, "ci_lower": 1.0, "ci_upper": 1.0}])
    rows = pd.concat([rows, reference], ignore_index=True)
    rows = rows.set_index("bin").reindex([o for o in EVENT_STUDY_BINS if o in set(rows["bin"])]).reset_index()
    low, high = shown_ratio_range(rows["hazard_ratio"], rows["ci_lower"], rows["ci_upper"])
    fig, ax = plt.subplots(layout="constrained")
    x = np.arange(len(rows))
    after = rows["bin"].isin(AFTER_BINS).to_numpy()
    at_reference = (rows["bin"] == REFERENCE_BIN).to_numpy()
    ax.axvspan(
        x[at_reference][0] - 0.5,
        x[at_reference][0] + 0.5,
        color="#dddddd",
        zorder=0,
        label=messages.t("figures.legend_reference"),
    )
    ax.axhline(1.0, color="#555555", linewidth=1)
    shown_lower, shown_upper = rows["ci_lower"].clip(lower=low), rows["ci_upper"].clip(upper=high)
    ax.vlines(x[~at_reference], shown_lower[~at_reference], shown_upper[~at_reference], color="#555555", linewidth=1.2)
    labelled = False
    for cut, edge, marker in ((rows["ci_upper"] > high, high, "^"), (rows["ci_lower"] < low, low, "v")):
        if cut.any():
            label = None if labelled else messages.t("figures.legend_clipped")
            ax.scatter(
                x[cut.to_numpy()],
                [edge] * int(cut.sum()),
                marker=marker,
                color="#555555",
                s=40,
                zorder=3,
                clip_on=False,
                label=label,
            )
            labelled = True
    ax.scatter(
        x[~after & ~at_reference],
        rows.loc[~after & ~at_reference, "hazard_ratio"],
        color=TRACK_COLOURS["health"],
        s=45,
        zorder=4,
        label=messages.t("figures.legend_before"),
    )
    ax.scatter(
        x[after],
        rows.loc[after, "hazard_ratio"],
        color=TRACK_COLOURS["employment"],
        marker="D",
        s=40,
        zorder=4,
        label=messages.t("figures.legend_after"),
    )
    _ratio_axis(ax.yaxis, (low, high), messages, (low, high))
    ax.set_ylim(low, high)
    ax.set_xlim(-0.5, len(rows) - 0.5)
    ax.set_xticks(x, [bin_label(b, messages) for b in rows["bin"]], rotation=30, ha="right")
    ax.set_xlabel(_wrap(messages.t("labels.months_from_end"), 80, 40))
    # three short lines: two long ones overran the short axis at 1280 px
    ax.set_ylabel(_wrap(messages.t("labels.hazard_ratio"), 18, 22))
    _legend_below(fig, 2)
    return fig


def caterpillar_figure(effects: pd.DataFrame, site_names: dict[str, str], highlight: str | None, messages: Messages):
    """Raw and shrunken hazard ratios of each site against the average site, sorted by the shrunken one."""
    rows = effects.dropna(subset=["shrunken_hr"]).sort_values("shrunken_hr").reset_index(drop=True)
    labels = [_wrap(site_names.get(s, s), 40, 16) for s in rows["site"]]
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    size = (plt.rcParams["figure.figsize"][0], (0.25 + 0.17 * lines) * len(rows) + 1.6)
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    y = np.arange(len(rows))
    ax.axvline(1.0, color="#555555", linewidth=1)
    ax.errorbar(
        rows["raw_hr"],
        y + 0.15,
        xerr=[rows["raw_hr"] - rows["raw_ci_lower"], rows["raw_ci_upper"] - rows["raw_hr"]],
        fmt="o",
        color=POOLED_COLOUR,
        markersize=4,
        capsize=2,
        label=messages.t("labels.raw"),
    )
    ax.errorbar(
        rows["shrunken_hr"],
        y - 0.15,
        xerr=[rows["shrunken_hr"] - rows["shrunken_ci_lower"], rows["shrunken_ci_upper"] - rows["shrunken_hr"]],
        fmt="o",
        color=TRACK_COLOURS["health"],
        markersize=5,
        capsize=2,
        label=messages.t("labels.shrunken"),
    )
    ax.set_yticks(y, labels)
    for tick, site in zip(ax.get_yticklabels(), rows["site"], strict=True):
        tick.set_fontweight("bold" if site == highlight else "normal")
    lowest = rows[["raw_ci_lower", "shrunken_ci_lower"]].min().min()
    _ratio_axis(ax.xaxis, ax.get_xlim(), messages, (lowest, rows[["raw_ci_upper", "shrunken_ci_upper"]].max().max()))
    ax.set_xlabel(_wrap(messages.t("labels.hazard_ratio"), 60, 30))
    _legend_below(fig, 2)
    return fig


def funnel_figure(funnel_row: pd.Series, messages: Messages):
    """Horizontal bars: referred, started, active at course end, active at follow-up (stages not reported
    are left out)."""
    stages = [s for s in ("referred", "started", "active_course_end", "active_followup") if pd.notna(funnel_row[s])]
    fig, ax = plt.subplots(figsize=(plt.rcParams["figure.figsize"][0], 0.6 * len(stages) + 1.2), layout="constrained")
    values = [float(funnel_row[s]) for s in stages]
    y = np.arange(len(stages))[::-1]
    ax.barh(y, values, color=[TRACK_COLOURS["health"]] * len(stages), height=0.6)
    for yy, value in zip(y, values, strict=True):
        ax.text(value, yy, f" {messages.number(value)}", va="center")
    ax.set_yticks(y, [_wrap(messages.t(f"labels.{s}"), 40, 18) for s in stages])
    ax.set_xlabel(messages.t("labels.count"))
    ax.set_xlim(0, max(values) * 1.15 if values else 1)
    return fig
