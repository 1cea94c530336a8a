"""Discrete-time hazard models of leaving the association: does dropout rise when the subsidy ends?

The model, for enrolment i in month m since start:

    cloglog P(leave in month m | still there at its start) = alpha_month(m) + beta' x_im + gamma_site(i)

The complementary log-log link makes exp(beta) a hazard ratio of the underlying continuous-time process
(the same interpretation as a Cox model), alpha is a flexible baseline by month since start, and gamma are
site fixed effects. Standard errors are clustered by site (CR1: G/(G-1) x (N-1)/(N-K)) with a t(G-1)
reference distribution, since with few sites a normal reference would make intervals too narrow; naive
model-based standard errors are reported beside them for comparison.

All covariates are categorical or 0/1, so the person-months are first aggregated into covariate patterns
(events out of person-months at risk). The binomial likelihood, its score and hence both kinds of standard
error are exactly those of the person-month data (patterns never span two sites, the clusters), while the
fit handles millions of person-months in the memory of a few thousand patterns.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm
from scipy import stats

from analysis.retention.bootstrap import BootstrapResult, wild_cluster_bootstrap
from analysis.retention.identification import MAX_LOG_HR, Identification, check_identification
from analysis.retention.jackknife import JackknifeResult, cluster_jackknife
from analysis.retention.person_months import subsidy_end_bins

DEFAULT_BASELINE_EDGES = (*range(1, 25), 25, 37, 49)  # months 1..24 alone, then 25-36, 37-48, 49+
REFERENCE_BIN = "-3..-1"


@dataclass
class ModelData:
    """The person-months reduced to covariate patterns (events out of person-months at risk per pattern),
    with the design matrix the model is fitted on (after leaving out what cannot be estimated)."""

    frame: pd.DataFrame
    patterns: pd.DataFrame
    design: pd.DataFrame
    weights: np.ndarray
    covariates: list[str]
    levels: list[str]


@dataclass
class HazardFit:
    """A fitted discrete-time hazard model: tidy estimates, warnings, identification and sample sizes."""

    table: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    identification: list[Identification] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    data: ModelData | None = field(default=None, repr=False)

    @property
    def identified(self) -> bool:
        return all(check.identified for check in self.identification)


def baseline_bins(month: pd.Series, edges: tuple[int, ...] = DEFAULT_BASELINE_EDGES) -> pd.Series:
    """Months since start grouped for the baseline: '1', '2', ..., then '25-36', '37-48', '49+'."""
    labels = [str(lo) if hi - lo == 1 else f"{lo}-{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    labels.append(f"{edges[-1]}+")
    codes = np.searchsorted(np.asarray(edges), month.to_numpy(), side="right") - 1
    return pd.Series(np.asarray(labels, dtype=object)[codes], index=month.index, dtype="str")


def _merge_eventless_bins(frame: pd.DataFrame, column: str, order: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Merge baseline bins without any event into the preceding bin (an empty bin has no finite estimate)."""
    events = frame.groupby(column, observed=True)["event"].sum().reindex(order, fill_value=0)
    mapping, current, notes = {}, None, []
    for label in order:
        if events[label] > 0 or current is None:
            current = label
        else:
            notes.append(label)
        mapping[label] = current
    if notes:
        frame = frame.assign(**{column: frame[column].map(mapping)})
    return frame, notes


def _drop_constant(frame: pd.DataFrame, covariates: list[str], warnings: list[str]) -> list[str]:
    kept = []
    for name in covariates:
        if frame[name].nunique(dropna=False) < 2:
            warnings.append(f"'{name}' has the same value for everyone and was left out of the model.")
        else:
            kept.append(name)
    return kept


def _drop_eventless_sites(frame: pd.DataFrame, site: str, warnings: list[str]) -> pd.DataFrame:
    events = frame.groupby(site, observed=True)["event"].sum()
    empty = sorted(events[events == 0].index)
    if empty:
        warnings.append(
            f"No one left the association at {', '.join(map(str, empty))}: with site fixed effects "
            "such a site has no finite effect, so it was left out of the model."
        )
        frame = frame[~frame[site].isin(empty)]
    return frame


def _drop_inseparable_covariates(
    design: pd.DataFrame, exposures: list[str], covariates: list[str], weights: np.ndarray, warnings: list[str]
) -> pd.DataFrame:
    """Leave out covariate columns that are combinations of the others (such as a site-level covariate
    beside site fixed effects), saying which; their coefficients would be arbitrary."""
    for column in [c for c in design.columns if _reported(c, [], covariates)]:
        check = check_identification(design.to_numpy(), design.columns.get_loc(column), weights, column)
        if not check.identified:
            warnings.append(
                f"'{_term_name(column)}' cannot be separated from the other terms of the model "
                "(for example, it is the same for everyone at a site) and was left out."
            )
            design = design.drop(columns=[column])
    return design


def _term_name(column: str) -> str:
    """patsy's 'C(referral_track)[T.employment]' as 'referral_track[employment]'."""
    if column.startswith("C("):
        variable = column[2 : column.index(")")].split(",")[0]
        level = column[column.index("[T.") + 3 : -1] if "[T." in column else column
        return f"{variable}[{level}]"
    return column


def _formula(exposures: list[str], covariates: list[str], site: str | None, categorical: set[str]) -> str:
    terms = ["C(baseline_bin, levels=BASELINE_LEVELS)"]
    terms += [f"C({c})" if c in categorical else c for c in covariates]
    if site:
        terms.append(f"C({site})")
    terms += exposures
    return " + ".join(terms)


def fit_discrete_hazard(
    person_months: pd.DataFrame,
    exposures: list[str],
    covariates: list[str] = (),
    site: str | None = "site",
    cluster: str = "site",
    baseline_edges: tuple[int, ...] = DEFAULT_BASELINE_EDGES,
    confidence: float = 0.95,
    bootstrap: tuple[str, ...] = (),
    bootstrap_seed: int = 0,
) -> HazardFit:
    """Fit the cloglog discrete-time hazard and report the `exposures` (0/1 columns) and covariates.

    Returns a HazardFit whose table has one row per reported term and kind of interval (TABLE_COLUMNS):
    term, se_type ('clustered', 'naive'; for the exposures named in `bootstrap` also 'wild_bootstrap' and, with
    fewer than FEW_SITES clusters, 'jackknife' and 'few_sites', the union of those two intervals),
    estimate (log hazard ratio), std_error, hazard_ratio, ci_lower, ci_upper (of the hazard ratio), p_value,
    reference ('t(G-1)', 'normal' or the bootstrap's weights), identified, and shown (True on the row a report
    should quote for the term: the few_sites row when there are fewer than FEW_SITES clusters, else the
    clustered one). A term that is not identified is reported with empty estimates and a plain-language
    explanation in `identification`. The bootstrap's random weights (only with more than 12 clusters) come
    from numpy's generator seeded with `bootstrap_seed`.
    """
    warnings: list[str] = []
    needed = ["month", "event", cluster, *exposures, *covariates] + ([site] if site else [])
    frame = person_months.loc[:, list(dict.fromkeys(needed))].copy()
    if frame.empty or frame["event"].sum() == 0:
        warnings.append("No one left the association in these data, so no hazard model can be fitted.")
        return HazardFit(table=_empty_table(), warnings=warnings, info={"person_months": len(frame), "events": 0})
    prepared = prepare_patterns(frame, exposures, covariates, site, cluster, baseline_edges, warnings)
    checks = [
        check_identification(prepared.design.to_numpy(), prepared.design.columns.get_loc(t), prepared.weights, t)
        for t in exposures
    ]
    unidentified = _unestimable_exposures(prepared.patterns, exposures, checks, warnings)
    fit_design = prepared.design.drop(columns=sorted(unidentified))
    table = _fit_and_tabulate(
        prepared.patterns,
        fit_design,
        cluster,
        len(prepared.frame),
        confidence,
        report=[c for c in fit_design.columns if _reported(c, exposures, prepared.covariates)],
    )
    for term in sorted(set(table.loc[~table["identified"].astype(bool), "term"])):
        warnings.append(f"'{term}' could not be estimated: too few dropouts to tell its effect apart.")
    info = _sample_info(person_months, prepared, cluster, fit_design)
    boot = [t for t in bootstrap if t in set(table.loc[table["identified"].astype(bool), "term"])]
    if boot and info["clusters"] < MIN_SITES:
        warnings.append(
            f"With {info['clusters']} site(s) the uncertainty of an effect shared by everyone at a site cannot be "
            f"judged (at least {MIN_SITES} sites are needed), so no subsidy-end effect is reported."
        )
        table.loc[table["term"].isin(boot), ["std_error", "ci_lower", "ci_upper", "p_value"]] = np.nan
        table.loc[table["term"].isin(boot), "identified"] = False
        boot = []
    if boot:
        rng = np.random.default_rng(bootstrap_seed)
        results = {t: _bootstrap_term(prepared.patterns, fit_design, cluster, table, t, confidence, rng) for t in boot}
        table = pd.concat([table, _bootstrap_rows(results, table)], ignore_index=True)
        info["bootstrap"] = {t: {"weights": r.weights, "vectors": r.vectors} for t, r in results.items()}
        for term, result in results.items():
            if np.isnan(result.ci_lower) or np.isnan(result.ci_upper):
                warnings.append(
                    f"The wild bootstrap cannot bound the 95 % interval of '{term}' on one side with "
                    f"{result.clusters} sites: the data are compatible with effects far from the estimate."
                )
        if info["clusters"] < FEW_SITES:
            jackknives = {
                t: _jackknife_term(prepared.patterns, fit_design, cluster, table, t, confidence) for t in boot
            }
            table = pd.concat([table, _few_sites_rows(jackknives, results)], ignore_index=True)
            for term, result in jackknives.items():
                if result.dropped_site is not None:
                    warnings.append(
                        f"Without site {result.dropped_site} '{term}' cannot be estimated, so the cluster jackknife "
                        "cannot check the bootstrap interval: the estimate rests on that one site."
                    )
    for term in sorted(unidentified):
        warnings.extend(c.message for c in checks if c.term == term and not c.identified)
        table = pd.concat([table, _empty_table(term)], ignore_index=True)
    table["shown"] = _shown(table, info.get("clusters", 0))
    data = dataclasses.replace(prepared, design=fit_design)
    return HazardFit(table=table, warnings=warnings, identification=checks, info=info, data=data)


def withhold(fit: HazardFit, term: str, reason: Identification) -> HazardFit:
    """The fit with `term`'s numbers removed (identified False) and `reason` added to its identification, for
    a term that is estimable in principle but should not be reported (docs/methods.md, thin variation)."""
    table = fit.table.copy()
    rows = table["term"] == term
    table.loc[rows, ["estimate", "std_error", "hazard_ratio", "ci_lower", "ci_upper", "p_value"]] = np.nan
    table.loc[rows, "identified"] = False
    checks = [c for c in fit.identification if c.term != term] + [reason]
    return dataclasses.replace(fit, table=table, identification=checks, warnings=[*fit.warnings, reason.message])


MIN_SITES = 3  # with 2 sites no bootstrap p-value can fall below 5 % (Webb: 2 / 36), nor a clustered SE be judged
FEW_SITES = 30  # below this many clusters the reports quote the bootstrap-or-jackknife interval (docs/methods.md)


def _bootstrap_term(
    patterns: pd.DataFrame,
    design: pd.DataFrame,
    cluster: str,
    table: pd.DataFrame,
    term: str,
    confidence: float,
    rng: np.random.Generator,
) -> BootstrapResult:
    clustered = _clustered_row(table, term)
    return wild_cluster_bootstrap(
        *_pattern_arguments(patterns, design, cluster, term),
        estimate=float(clustered["estimate"]),
        scale=float(clustered["std_error"]),
        confidence=confidence,
        rng=rng,
    )


def _jackknife_term(
    patterns: pd.DataFrame, design: pd.DataFrame, cluster: str, table: pd.DataFrame, term: str, confidence: float
) -> JackknifeResult:
    return cluster_jackknife(
        *_pattern_arguments(patterns, design, cluster, term),
        estimate=float(_clustered_row(table, term)["estimate"]),
        confidence=confidence,
    )


def _pattern_arguments(patterns: pd.DataFrame, design: pd.DataFrame, cluster: str, term: str) -> tuple:
    """(events, trials, design, term, groups): the leading arguments of the bootstrap and the jackknife."""
    return patterns["events"].to_numpy(), patterns["exposure"].to_numpy(), design, term, patterns[cluster].to_numpy()


def _clustered_row(table: pd.DataFrame, term: str) -> pd.Series:
    return table[(table["term"] == term) & (table["se_type"] == "clustered")].iloc[0]


def _few_sites_rows(jackknives: dict[str, JackknifeResult], bootstraps: dict[str, BootstrapResult]) -> pd.DataFrame:
    """Per term a 'jackknife' row (CV3, t(G-1)) and a 'few_sites' row: the values that the wild bootstrap or the
    jackknife does not reject (the union of their intervals, p-value the larger of theirs), the interval the
    reports quote when sites are few (docs/methods.md). Without a jackknife the few-sites row is the bootstrap's."""
    rows = []
    for term, jack in jackknives.items():
        boot = bootstraps[term]
        identified = jack.dropped_site is None
        rows.append(
            {
                "term": term,
                "se_type": "jackknife",
                "estimate": jack.estimate,
                "std_error": jack.std_error,
                "hazard_ratio": np.exp(jack.estimate),
                "ci_lower": np.exp(jack.ci_lower),
                "ci_upper": np.exp(jack.ci_upper),
                "p_value": jack.p_value,
                "reference": "t(G-1), CV3",
                "identified": identified,
            }
        )
        # an unbounded bootstrap end (NaN) stays unbounded in the union
        lower = min(boot.ci_lower, jack.ci_lower) if identified and np.isfinite(boot.ci_lower) else boot.ci_lower
        upper = max(boot.ci_upper, jack.ci_upper) if identified and np.isfinite(boot.ci_upper) else boot.ci_upper
        rows.append(
            {
                "term": term,
                "se_type": "few_sites",
                "estimate": jack.estimate,
                "hazard_ratio": np.exp(jack.estimate),
                "ci_lower": np.exp(lower),
                "ci_upper": np.exp(upper),
                "p_value": max(boot.p_value, jack.p_value) if identified else boot.p_value,
                "reference": "wild bootstrap or jackknife" if identified else "wild bootstrap",
                "identified": True,
            }
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _bootstrap_rows(results: dict[str, BootstrapResult], table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for term, result in results.items():
        estimate = float(_clustered_row(table, term)["estimate"])
        rows.append(
            {
                "term": term,
                "se_type": "wild_bootstrap",
                "estimate": estimate,
                "hazard_ratio": np.exp(estimate),
                "ci_lower": np.exp(result.ci_lower),
                "ci_upper": np.exp(result.ci_upper),
                "p_value": result.p_value,
                "reference": f"{result.weights} ({result.vectors})",
                "identified": True,
            }
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _shown(table: pd.DataFrame, clusters: int) -> pd.Series:
    """The row per term a report quotes: 'few_sites' (bootstrap or jackknife) when it exists, else clustered."""
    few_sites = set(table.loc[table["se_type"] == "few_sites", "term"])
    preferred = np.where(table["term"].isin(few_sites) & (clusters < FEW_SITES), "few_sites", "clustered")
    return pd.Series(table["se_type"].to_numpy() == preferred, index=table.index)


def prepare_patterns(
    frame: pd.DataFrame,
    exposures: list[str],
    covariates: list[str],
    site: str | None,
    cluster: str,
    baseline_edges: tuple[int, ...],
    warnings: list[str],
) -> ModelData:
    """Drop what cannot be estimated (saying so in `warnings`), bin the baseline, aggregate into patterns
    (events out of person-months per combination of baseline bin, cluster, site and covariates) and build
    the design matrix with the baseline, covariates, site fixed effects and exposures."""
    if site:
        frame = _drop_eventless_sites(frame, site, warnings)
    covariates = _drop_constant(frame, list(covariates), warnings)
    frame = frame.assign(baseline_bin=baseline_bins(frame["month"], baseline_edges))
    order = list(dict.fromkeys(baseline_bins(pd.Series(range(1, 1000)), baseline_edges)))
    frame, merged = _merge_eventless_bins(frame, "baseline_bin", order)
    if merged:
        warnings.append(f"Months {', '.join(merged)} had no dropout and were pooled with the month before them.")
    present = set(frame["baseline_bin"].unique())
    levels = [label for label in order if label in present]
    categorical = {c for c in covariates if not pd.api.types.is_numeric_dtype(frame[c])}
    keys = ["baseline_bin", cluster, *exposures, *covariates] + ([site] if site and site != cluster else [])
    patterns = (
        frame.groupby(list(dict.fromkeys(keys)), observed=True, dropna=False)["event"]
        .agg(events="sum", exposure="size")
        .reset_index()
    )
    # patsy reads pandas categoricals at once but Arrow-backed strings value by value
    text = [c for c in patterns.columns if c != "baseline_bin" and pd.api.types.is_string_dtype(patterns[c])]
    patterns[text] = patterns[text].astype("category")
    design = patsy.dmatrix(
        _formula(exposures, covariates, site, categorical),
        patterns,
        eval_env=patsy.EvalEnvironment([{"BASELINE_LEVELS": levels}]),
        return_type="dataframe",
    )
    weights = patterns["exposure"].to_numpy(dtype=float)
    design = _drop_inseparable_covariates(design, exposures, covariates, weights, warnings)
    return ModelData(frame, patterns, design, weights, covariates, levels)


def _unestimable_exposures(
    patterns: pd.DataFrame, exposures: list[str], checks: list[Identification], warnings: list[str]
) -> set[str]:
    """Exposures that the identification check refuses or during which no one left (no finite estimate)."""
    unidentified = {c.term for c in checks if not c.identified}
    for term in exposures:
        exposed = patterns[term] == 1
        if term not in unidentified and patterns.loc[exposed, "events"].sum() == 0:
            unidentified.add(term)
            warnings.append(
                f"No one left the association while '{term}' applied "
                f"({int(patterns.loc[exposed, 'exposure'].sum())} person-months), so its hazard ratio "
                "has no finite estimate and is not reported."
            )
    return unidentified


def _sample_info(person_months: pd.DataFrame, prepared: ModelData, cluster: str, fit_design: pd.DataFrame) -> dict:
    """Sample sizes and model dimensions for summary.json."""
    has_ids = {"participant_id", "enrolment"} <= set(person_months.columns)
    return {
        "person_months": int(len(prepared.frame)),
        "events": int(prepared.frame["event"].sum()),
        "enrolments": int(person_months.groupby(["participant_id", "enrolment"]).ngroups) if has_ids else None,
        "clusters": int(prepared.patterns[cluster].nunique()),
        "patterns": int(len(prepared.patterns)),
        "parameters": int(fit_design.shape[1]),
        "baseline_levels": prepared.levels,
        "covariates": prepared.covariates,
    }


def _reported(column: str, exposures: list[str], covariates: list[str]) -> bool:
    name = _term_name(column)
    return column in exposures or any(name == c or name.startswith(f"{c}[") for c in covariates)


# IRLS stops when no coefficient moves by more than 1e-10. statsmodels' default (deviance change below 1e-8) left
# estimates ~3e-7 and model-based SEs ~1e-6 (relative) from their converged values (tests/test_r_crosscheck.py).
IRLS_CONVERGENCE = {"tol": 1e-10, "tol_criterion": "params"}


def _fit_and_tabulate(
    patterns: pd.DataFrame, design: pd.DataFrame, cluster: str, n_obs: int, confidence: float, report: list[str]
) -> pd.DataFrame:
    endog = np.column_stack([patterns["events"], patterns["exposure"] - patterns["events"]]).astype(float)
    model = sm.GLM(endog, design, family=sm.families.Binomial(link=sm.families.links.CLogLog()))
    groups = pd.factorize(patterns[cluster])[0]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        naive = model.fit(**IRLS_CONVERGENCE)
        robust = model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False}, **IRLS_CONVERGENCE)
    n_clusters, n_params = int(groups.max() + 1), design.shape[1]
    correction = n_clusters / (n_clusters - 1) * (n_obs - 1) / (n_obs - n_params) if n_clusters > 1 else np.nan
    rows = []
    # Separated fits overflow in exp(); such terms are reported as not estimable, not hidden.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        tables = _tabulate(naive, robust, design, report, correction, n_clusters, confidence)
    rows.extend(tables)
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _tabulate(naive, robust, design, report, correction, n_clusters, confidence) -> list[dict]:
    rows = []
    for se_type, se_all, dist, ref in (
        (
            "clustered",
            np.sqrt(np.diag(robust.cov_params()) * correction),
            stats.t(df=n_clusters - 1) if n_clusters > 1 else None,
            "t(G-1)",
        ),
        ("naive", np.sqrt(np.diag(naive.cov_params())), stats.norm(), "normal"),
    ):
        se_series = pd.Series(se_all, index=design.columns)
        for column in report:
            estimate, se = float(naive.params[column]), float(se_series[column])
            if not (np.isfinite(se) and abs(estimate) < MAX_LOG_HR):
                rows.append({"term": _term_name(column), "se_type": se_type, "reference": ref, "identified": False})
                continue
            quantile = dist.ppf(0.5 + confidence / 2) if dist is not None else np.nan
            p = float(2 * dist.sf(abs(estimate / se))) if dist is not None and se > 0 else np.nan
            rows.append(
                {
                    "term": _term_name(column),
                    "se_type": se_type,
                    "estimate": estimate,
                    "std_error": se,
                    "hazard_ratio": np.exp(estimate),
                    "ci_lower": np.exp(estimate - quantile * se),
                    "ci_upper": np.exp(estimate + quantile * se),
                    "p_value": p,
                    "reference": ref,
                    "identified": True,
                }
            )
    return rows


TABLE_COLUMNS = [
    "term",
    "se_type",
    "estimate",
    "std_error",
    "hazard_ratio",
    "ci_lower",
    "ci_upper",
    "p_value",
    "reference",
    "identified",
    "shown",
]


def _empty_table(term: str | None = None) -> pd.DataFrame:
    if term is None:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    return pd.DataFrame(
        [{"term": term, "se_type": t, "identified": False} for t in ("clustered", "naive")], columns=TABLE_COLUMNS
    )


def fit_event_study(
    person_months: pd.DataFrame,
    covariates: list[str] = (),
    site: str | None = "site",
    cluster: str = "site",
    edges: tuple[int, ...] = (-12, -6, -3, 0, 3, 6, 12),
) -> HazardFit:
    """Hazard ratios by months relative to the planned subsidy end, against its last three months.

    Each bin of `months_from_subsidy_end` other than the reference '-3..-1' gets its own 0/1 term.
    Participants without subsidy share the reference level: they anchor the baseline by month. A bin's
    hazard ratio compares dropout in those months with dropout in the last three subsidised months, at the
    same month since start, site and covariates.
    """
    bins = subsidy_end_bins(person_months["months_from_subsidy_end"], edges)
    labels = [
        b for b in dict.fromkeys(subsidy_end_bins(pd.Series(range(-40, 40), dtype=float), edges)) if b != REFERENCE_BIN
    ]
    columns, names = {}, {}
    for index, label in enumerate(labels):
        indicator = (bins == label).astype("int64")
        if indicator.sum() > 0:
            columns[f"event_study_{index}"] = indicator
            names[f"event_study_{index}"] = f"months {label}"
    frame = person_months.assign(**columns)
    fit = fit_discrete_hazard(frame, exposures=list(columns), covariates=list(covariates), site=site, cluster=cluster)
    fit.table["term"] = fit.table["term"].replace(names)
    fit.identification = [dataclasses.replace(c, term=names.get(c.term, c.term)) for c in fit.identification]
    for internal, label in names.items():
        fit.warnings = [w.replace(f"'{internal}'", f"'{label}'") for w in fit.warnings]
    counts = frame.assign(bin=bins).groupby("bin", observed=True)["event"].agg(events="sum", person_months="size")
    fit.info["bins"] = {b: {k: int(v) for k, v in row.items()} for b, row in counts.iterrows()}
    return fit
