"""Report figures: seaborn's whitegrid theme, one colour-blind-safe colour per referral track, readable at A4 width.

Colours are the Okabe-Ito palette, distinguishable with the common forms of colour blindness. Every
label comes from the message catalogue; every figure has the same size and font so reports look alike.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.reports.messages import Messages  # noqa: E402
from analysis.reports.theme import STYLE_FILE  # noqa: E402

TRACK_COLOURS = {"health": "#0072B2", "employment": "#E69F00", "self": "#009E73", "other": "#CC79A7", "all": "#333333"}
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")
POOLED_COLOUR = "#999999"
FIGURE_SIZE = (7.2, 3.8)  # inches: fits an A4 page with margins at 100 % zoom
RATIO_TICKS = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0]
WIDE_RATIO_TICKS = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]  # when the range spans > 1.5 decades


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
    fig, ax = plt.subplots()
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
    for group, label in groups.items():
        curve = mine[mine["group"] == group].reset_index(drop=True)
        curve = _until_min_at_risk(curve, min_cell)
        if len(curve):
            _step(ax, curve, colours[group], label, linewidth=2)
    ax.set_xlim(0, max_months)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(messages.t("labels.month"))
    ax.set_ylabel(messages.t("labels.retention"))
    ax.yaxis.set_major_formatter(lambda value, _: messages.percent(value))
    ax.legend(loc="lower left", frameon=True, fontsize=9)
    return fig


def event_study_figure(table: pd.DataFrame, messages: Messages):
    """Hazard ratios by months relative to the planned subsidy end (log scale), reference marked at 1."""
    rows = table[(table["se_type"] == "clustered") & table["term"].str.startswith("months ")].copy()
    rows = rows[rows["identified"].astype(bool)]
    rows["bin"] = rows["term"].str.removeprefix("months ")
    order = ["<-12", "-12..-7", "-6..-4", "-3..-1", "0..2", "3..5", "6..11", "12+"]
    reference = pd.DataFrame([{"bin": "-3..-1", "hazard_ratio": 1.0, "ci_lower": 1.0, "ci_upper": 1.0}])
    rows = pd.concat([rows, reference], ignore_index=True)
    rows = rows.set_index("bin").reindex([o for o in order if o in set(rows["bin"])]).reset_index()
    fig, ax = plt.subplots()
    x = np.arange(len(rows))
    after = rows["bin"].isin(["0..2", "3..5", "6..11", "12+"]).to_numpy()
    colours = np.where(after, TRACK_COLOURS["employment"], TRACK_COLOURS["health"])
    ax.axhline(1.0, color="#555555", linewidth=1)
    ax.axvline(x[rows["bin"] == "-3..-1"][0] + 0.5, color="#555555", linestyle=":", linewidth=1)
    ax.errorbar(
        x,
        rows["hazard_ratio"],
        yerr=[rows["hazard_ratio"] - rows["ci_lower"], rows["ci_upper"] - rows["hazard_ratio"]],
        fmt="none",
        ecolor="#555555",
        capsize=3,
    )
    ax.scatter(x, rows["hazard_ratio"], c=colours, s=45, zorder=3)
    _ratio_axis(ax.yaxis, ax.get_ylim(), messages, (rows["ci_lower"].min(), rows["ci_upper"].max()))
    ax.set_xticks(x, rows["bin"])
    ax.set_xlabel(messages.t("labels.months_from_end"))
    ax.set_ylabel(messages.t("labels.hazard_ratio"))
    return fig


def caterpillar_figure(effects: pd.DataFrame, site_names: dict[str, str], highlight: str | None, messages: Messages):
    """Raw and shrunken hazard ratios of each site against the average site, sorted by the shrunken one."""
    rows = effects.dropna(subset=["shrunken_hr"]).sort_values("shrunken_hr").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(FIGURE_SIZE[0], 0.45 * len(rows) + 1.2))
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
    labels = [site_names.get(s, s) for s in rows["site"]]
    ax.set_yticks(y, labels)
    for tick, site in zip(ax.get_yticklabels(), rows["site"], strict=True):
        tick.set_fontweight("bold" if site == highlight else "normal")
    lowest = rows[["raw_ci_lower", "shrunken_ci_lower"]].min().min()
    _ratio_axis(ax.xaxis, ax.get_xlim(), messages, (lowest, rows[["raw_ci_upper", "shrunken_ci_upper"]].max().max()))
    ax.set_xlabel(messages.t("labels.hazard_ratio"))
    ax.legend(loc="lower right", fontsize=9)
    return fig


def funnel_figure(funnel_row: pd.Series, messages: Messages):
    """Horizontal bars: referred, started, active at course end, active at follow-up (stages not reported
    are left out)."""
    stages = [s for s in ("referred", "started", "active_course_end", "active_followup") if pd.notna(funnel_row[s])]
    fig, ax = plt.subplots(figsize=(FIGURE_SIZE[0], 0.5 * len(stages) + 1.0))
    values = [float(funnel_row[s]) for s in stages]
    y = np.arange(len(stages))[::-1]
    ax.barh(y, values, color=[TRACK_COLOURS["health"]] * len(stages), height=0.6)
    for yy, value in zip(y, values, strict=True):
        ax.text(value, yy, f" {messages.number(value)}", va="center", fontsize=10)
    ax.set_yticks(y, [messages.t(f"labels.{s}") for s in stages])
    ax.set_xlabel(messages.t("labels.count"))
    ax.set_xlim(0, max(values) * 1.15 if values else 1)
    return fig
