"""The plan as words, a table and a figure, in Danish or English.

Every word comes from the message catalogue (section `plan`), every number from the plan's one table
(analysis.simulation.plan.PLAN_COLUMNS) or its design.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from analysis.reports.figures import OKABE_ITO, use_report_style  # noqa: E402
from analysis.reports.messages import Messages  # noqa: E402
from analysis.simulation.plan import DEFAULT_REPLICATES, TARGET_POWER, Design, Plan  # noqa: E402


def _lengths(design: Design, m: Messages) -> str:
    parts = ["/".join(str(x) for x in site) for site in design.subsidy_months]
    return ", ".join(parts) if parts else m.t("plan.none")


def design_lines(design: Design, m: Messages) -> list[str]:
    """The design in words, one line per aspect."""
    low, high = design.people_per_site
    people = m.number(low) if low == high else m.t("plan.range", low=m.number(low), high=m.number(high))
    return [
        m.t("plan.design_sites", sites=design.sites, unsubsidised=design.unsubsidised_sites, people=people),
        m.t("plan.design_lengths", lengths=_lengths(design, m), plans=m.percent(design.individual_plans)),
        m.t(
            "plan.design_time",
            recruitment=design.recruitment_months,
            follow_up=design.follow_up_months,
            retention=m.percent(design.retention_12_months),
        ),
        m.t("plan.design_effect", hr=m.number(design.hazard_ratio, 2), sd=m.number(design.site_effect_sd, 2)),
    ]


def headline(plan: Plan, m: Messages) -> str:
    """One sentence: the power at the design's effect and the typical interval."""
    row = plan.table.iloc[(plan.table["hazard_ratio"] - plan.design.hazard_ratio).abs().argmin()]
    if row["estimated"] == 0:
        return m.t("plan.headline_none", hr=m.number(row["hazard_ratio"], 2))
    return m.t(
        "plan.headline",
        hr=m.number(row["hazard_ratio"], 2),
        power=m.percent(row["power"]),
        lower=m.number(row["median_ci_lower"], 2),
        upper=m.number(row["median_ci_upper"], 2),
        confidence=m.percent(plan.design.confidence),
    )


def table_text(plan: Plan, m: Messages) -> str:
    """The plan's table as a Markdown table in the language."""
    header = [m.t(f"plan.column_{c}") for c in ("hazard_ratio", "power", "estimated", "median_interval", "width")]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in plan.table.iterrows():
        interval = (
            m.t("plan.interval", lower=m.number(row["median_ci_lower"], 2), upper=m.number(row["median_ci_upper"], 2))
            if row["estimated"]
            else m.t("plan.none")
        )
        cells = [
            m.number(row["hazard_ratio"], 2),
            m.t("plan.power_cell", power=m.percent(row["power"]), se=m.percent(row["power_mc_se"], 1)),
            m.t("plan.estimated_cell", estimated=int(row["estimated"]), replicates=int(row["replicates"])),
            interval,
            m.number(row["median_ci_width"], 2) if row["estimated"] else m.t("plan.none"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plan_text(plan: Plan, m: Messages) -> str:
    """The whole plan as text: title, design, then the refusal or the headline, table and notes."""
    lines = [f"# {m.t('plan.title')}", ""]
    if plan.design is not None:
        lines += [f"- {line}" for line in design_lines(plan.design, m)] + [""]
    if plan.refusal is not None:
        return "\n".join([*lines, refusal_text(plan, m), ""])
    lines += [headline(plan, m), "", table_text(plan, m), ""]
    for key, values in plan.notes:
        lines.append(m.t(key, **_formatted(values, m)))
    settings = plan.settings
    lines += ["", m.t("plan.method", replicates=settings["replicates"], seed=settings["seed"])]
    return "\n".join(lines) + "\n"


def refusal_text(plan: Plan, m: Messages) -> str:
    """The plain sentence saying why the design cannot identify the effect (plan.refusal in words)."""
    key, values = plan.refusal
    return m.t(key, **_formatted(values, m))


def _formatted(values: dict, m: Messages) -> dict:
    out = dict(values)
    for key in ("rate", "nominal", "share", "threshold"):
        if key in out:
            out[key] = m.percent(out[key], 1)
    return out


def plan_figure(plan: Plan, m: Messages):
    """Power against the true hazard ratio (with Monte Carlo error bars and the 80 % line), and the typical
    interval at each true hazard ratio."""
    use_report_style()
    table = plan.table
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.2, 4.4))
    x = table["hazard_ratio"].to_numpy()
    left.errorbar(x, table["power"], yerr=1.96 * table["power_mc_se"], color=OKABE_ITO[0], marker="o", capsize=3)
    left.axhline(
        TARGET_POWER, color=OKABE_ITO[1], linestyle="--", label=m.t("plan.target", power=m.percent(TARGET_POWER))
    )
    left.axhline(1 - plan.design.confidence, color="#999999", linestyle=":", label=m.t("plan.size_line"))
    left.set_ylim(0, 1.02)
    left.set_xlabel(m.t("plan.axis_true_hr"))
    left.set_ylabel(m.t("plan.axis_power"))
    left.yaxis.set_major_formatter(lambda value, _: m.percent(value))
    left.set_title(m.t("plan.figure_power"), fontsize="medium")
    ok = table["estimated"] > 0
    right.fill_between(
        x[ok],
        table.loc[ok, "median_ci_lower"],
        table.loc[ok, "median_ci_upper"],
        color=OKABE_ITO[0],
        alpha=0.25,
        label=m.t("plan.band"),
    )
    right.plot(x[ok], table.loc[ok, "median_estimate"], color=OKABE_ITO[0], marker="o", label=m.t("plan.median"))
    right.plot(x, x, color="#333333", linestyle=":", label=m.t("plan.truth"))
    right.axhline(1.0, color="#999999", linewidth=0.8)
    right.set_xlabel(m.t("plan.axis_true_hr"))
    right.set_ylabel(m.t("plan.axis_estimate"))
    right.yaxis.set_major_formatter(lambda value, _: m.number(value, 2))
    right.set_title(m.t("plan.figure_interval"), fontsize="medium")
    for axis in (left, right):
        axis.set_xticks(x)
        axis.xaxis.set_major_formatter(lambda value, _: m.number(value, 2))
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, fontsize="small")
    return fig


def write_plan(plan: Plan, out_dir: str | Path, languages: tuple[str, ...] = ("da", "en")) -> list[Path]:
    """plan.csv (the table), plan.json (design, settings, table, notes) and, per language, plan.<lang>.md and
    plan.<lang>.png (none when the design was refused)."""
    from analysis.core import outputs
    from analysis.simulation.plan import plan_json

    out_dir = Path(out_dir)
    written = [outputs.write_csv(plan.table, out_dir / "plan.csv")]
    written.append(outputs.write_text(plan_json(plan), out_dir / "plan.json"))
    for language in languages:
        m = Messages(language)
        written.append(outputs.write_text(plan_text(plan, m), out_dir / f"plan.{language}.md"))
        if plan.refusal is None and not plan.table.empty:
            fig = plan_figure(plan, m)
            path = out_dir / f"plan.{language}.png"
            out_dir.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, metadata={"Software": None})
            plt.close(fig)
            written.append(path)
    return written


def main(args) -> int:
    """`python -m analysis plan`: plan from --design FILE or from a project's config and simulation.yaml, print
    the plan in the chosen language and write it under --out. Exit 0: a plan; 1: the design cannot identify the
    effect (the reason is printed); 2: the design file or project cannot be read."""
    import sys

    from analysis.project.loader import find_root
    from analysis.simulation.plan import DesignError, project_design, read_design, run_plan

    settings: dict = {}
    try:
        if args.design:
            design, settings = read_design(args.design)
            params, covariates, language = None, ("referral_track",), args.language or "en"
        else:
            root = Path(args.root) if args.root else find_root()
            project_dir = root / "config" / "projects" / args.project
            if not (project_dir / "config.yaml").exists():
                raise DesignError(f"{project_dir / 'config.yaml'}: no such project config")
            design, params, covariates = project_design(project_dir)
            language = args.language or _project_language(project_dir)
    except (DesignError, ValueError) as exc:
        print(f"plan: {exc}", file=sys.stderr)
        return 2
    plan = run_plan(
        design,
        replicates=args.replicates or settings.get("replicates", DEFAULT_REPLICATES),
        seed=args.seed if args.seed is not None else settings.get("seed", 1),
        effects=args.effects or settings.get("effects"),
        jobs=args.jobs,
        params=params,
        covariates=tuple(covariates),
    )
    print(plan_text(plan, Messages(language)))
    if args.out:
        for path in write_plan(plan, args.out):
            print(path, file=sys.stderr)
    return 1 if plan.refusal is not None else 0


def _project_language(project_dir: Path) -> str:
    import yaml

    return yaml.safe_load((project_dir / "config.yaml").read_text(encoding="utf-8")).get("language", "en")
