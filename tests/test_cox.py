"""Cox regression on (start, stop] data against published R `coxph` results, R's risk-set rule and the errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import need
from scipy.optimize import brentq
from statsmodels.duration.hazard_regression import PHReg

from analysis.retention.cox import cox_counting_process

REFERENCE = Path(__file__).resolve().parent / "reference"
FLOAT_SLACK = 1e-12
OURS = {"coef": "estimate", "se_coef": "std_error", "exp_coef": "hazard_ratio", "z": "z", "p": "p_value"}


def half_unit(decimals: int) -> float:
    """Tolerance of a printed number: half a unit in its last printed digit (tests/reference/SOURCES.md)."""
    return 0.5 * 10.0**-decimals + FLOAT_SLACK


def reference(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text())


def assert_printed(ours: pd.DataFrame, published: dict[str, dict[str, float | None]], decimals: dict[str, int]):
    """Every published number (term -> column -> value) is matched within half a unit of its printed digits."""
    table = ours.table.set_index("term")
    for term, values in published.items():
        for column, value in values.items():
            if value is None or column not in OURS:
                continue
            diff = abs(table.loc[term, OURS[column]] - value)
            assert diff <= half_unit(decimals[column]), (term, column, table.loc[term, OURS[column]], value)


def test_rossi_efron_matches_fox_and_weisberg():
    """tests/reference/rossi_coxph.json: Fox & Weisberg's `mod.allison` (Efron), 0/1 coding of rossi.csv.

    The brief asked for 1e-6, but the publication prints coefficients and SEs to 5 decimals, so half a unit of
    the last printed digit, 5e-6, is the tightest tolerance that the published numbers can honestly support.
    """
    ref = reference("rossi_coxph.json")
    published = ref["coefficients_for_rossi_csv_0_1_coding"]
    rossi = pd.read_csv(REFERENCE / ref["data_file"])
    fit = cox_counting_process(rossi, "week", "arrest", list(published))
    assert_printed(fit, published, ref["printed_decimals"])
    assert fit.table["n"].unique().tolist() == [ref["n"]] and fit.table["events"].unique().tolist() == [ref["n_events"]]
    assert fit.warnings == [] and fit.ties == "efron"
    null = PHReg(rossi["week"], rossi[list(published)], status=rossi["arrest"], ties="efron").loglike(
        np.zeros(len(published))
    )
    lr = ref["likelihood_ratio_test"]
    assert abs(2 * (fit.log_likelihood - null) - lr["statistic"]) <= half_unit(2)


def test_heart_efron_main_effects():
    """tests/reference/heart_coxph.json `heart_main_effects_efron`: SECOND-HAND R output (4 dp), as quoted in
    the lifelines test suite; no primary R printout of this model was found. 36 rows start at an event time."""
    ref = reference("heart_coxph.json")["heart_main_effects_efron"]
    heart = pd.read_csv(REFERENCE / ref["data_file"])
    names = list(ref["coef"])
    fit = cox_counting_process(heart, "stop", "event", names, start="start", cluster="id")
    published = {t: {"coef": ref["coef"][t], "p": None} for t in names}
    assert_printed(fit, published, ref["printed_decimals"])
    model_based = cox_counting_process(heart, "stop", "event", names, start="start")
    published = {t: {"coef": ref["coef"][t], "se_coef": ref["se_coef"][t], "p": ref["p"][t]} for t in names}
    assert_printed(model_based, published, ref["printed_decimals"])
    assert (fit.table["n"] == ref["n"]).all() and (fit.table["events"] == ref["n_events"]).all()
    assert (fit.table["n_subjects"] == 103).all() and "n_subjects" not in model_based.table.columns


@pytest.mark.parametrize("model", ["sfit.1", "sfit.2", "sfit.3", "sfit.4", "sfit.5", "sfit.6"])
def test_jasa1_breslow_models_of_kalbfleisch_and_prentice(model):
    """tests/reference/heart_coxph.json `jasa1_breslow_models_KP`: R's own regression test jasa.Rout.save
    (primary printout), method='breslow'; `a:b` is the product column."""
    ref = reference("heart_coxph.json")["jasa1_breslow_models_KP"]
    spec = ref["models"][model]
    jasa1 = pd.read_csv(REFERENCE / ref["data_file"])
    terms = [t["term"] for t in spec["terms"]]
    for term in (t for t in terms if ":" in t):
        left, right = term.split(":")
        jasa1[term] = jasa1[left] * jasa1[right]
    fit = cox_counting_process(jasa1, "stop", "event", terms, start="start", ties="breslow")
    published = {t["term"]: {k: v for k, v in t.items() if k != "term"} for t in spec["terms"]}
    assert_printed(fit, published, spec["printed_decimals"])
    assert (fit.table["n"] == spec["n"]).all() and (fit.table["events"] == spec["n_events"]).all()


def test_coxph_help_page_time_dependent_toy_example():
    """tests/reference/heart_coxph.json `coxph_help_page_test2`: ?coxph example (survival-Ex.Rout.save); starts
    2, 3, 7 and 8 coincide with event times and two events are tied at 9."""
    ref = reference("heart_coxph.json")["coxph_help_page_test2"]
    fit = cox_counting_process(pd.DataFrame(ref["data"]), "stop", "event", ["x"], start="start")
    published = {"x": {k: ref[k]["x"] for k in ("coef", "exp_coef", "se_coef", "z", "p")}}
    assert_printed(fit, published, ref["printed_decimals"])
    assert fit.table.loc[0, "n"] == ref["n"] and fit.table.loc[0, "events"] == ref["n_events"]


HAND_MADE = pd.DataFrame(
    {  # B changes x from 0 to 1 at t=2, the moment A has its event
        "row": ["A", "B", "B2", "C", "D"],
        "start": [0, 0, 2, 0, 0],
        "stop": [2, 2, 5, 5, 4],
        "event": [1, 0, 1, 0, 1],
        "x": [1, 0, 1, 0, 0],
    }
)


def test_a_row_starting_at_an_event_time_is_not_in_that_risk_set():
    """Risk sets written out by hand, with R's rule start < t <= stop:

    t=2 (A dies, x=1): A, B, C, D with x = 1, 0, 0, 0; B2 starts at 2 and is NOT at risk.
    t=4 (D dies, x=0): B2, C, D with x = 1, 0, 0.
    t=5 (B2 dies, x=1): B2, C with x = 1, 0 (C, censored at 5, is still at risk at 5).
    log PL(b) = [b - log(e^b + 3)] + [0 - log(e^b + 2)] + [b - log(e^b + 1)]; the MLE solves the score
    2 - sum_m e^b / (e^b + m) = 0 for m = 3, 2, 1, and the information is sum_m m e^b / (e^b + m)^2.
    """
    others = np.array([3, 2, 1])
    b_hat = brentq(lambda b: 2 - np.sum(np.exp(b) / (np.exp(b) + others)), -20, 20, xtol=1e-14)
    information = np.sum(others * np.exp(b_hat) / (np.exp(b_hat) + others) ** 2)
    fit = cox_counting_process(HAND_MADE, "stop", "event", ["x"], start="start")
    assert fit.table.loc[0, "estimate"] == pytest.approx(b_hat, abs=1e-8)
    assert fit.table.loc[0, "std_error"] == pytest.approx(information**-0.5, abs=1e-8)
    # Had B2 been counted at t=2 (entry == t, statsmodels' own convention for `entry`), the first term would be
    # b - log(2 e^b + 3) and the estimate clearly different: the test tells the two rules apart.
    stata_like = brentq(
        lambda b: 2 - 2 * np.exp(b) / (2 * np.exp(b) + 3) - np.sum(np.exp(b) / (np.exp(b) + others[1:])),
        -20,
        20,
        xtol=1e-14,
    )
    assert abs(stata_like - b_hat) > 0.2
    raw_entry = PHReg(HAND_MADE["stop"], HAND_MADE[["x"]], status=HAND_MADE["event"], entry=HAND_MADE["start"]).fit()
    assert raw_entry.params[0] == pytest.approx(stata_like, abs=1e-8)


def test_only_the_order_of_times_matters_so_negative_and_transformed_times_give_the_same_fit():
    ref = reference("heart_coxph.json")["heart_main_effects_efron"]
    heart = pd.read_csv(REFERENCE / ref["data_file"])
    names = list(ref["coef"])
    original = cox_counting_process(heart, "stop", "event", names, start="start")
    moved = heart.assign(start=np.log1p(heart["start"]) * 3 - 10, stop=np.log1p(heart["stop"]) * 3 - 10)
    transformed = cox_counting_process(moved, "stop", "event", names, start="start")
    np.testing.assert_allclose(transformed.table["estimate"], original.table["estimate"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(transformed.table["std_error"], original.table["std_error"], rtol=0, atol=1e-10)


def weighted_score(beta: float, weights: np.ndarray, data: pd.DataFrame, ties: str) -> float:
    """Case-weighted Cox score for one covariate, by brute force over event times with R's risk sets."""
    start, stop, event, x = (data[c].to_numpy(dtype=float) for c in ("start", "stop", "event", "x"))
    risk = weights * np.exp(beta * x)
    score = 0.0
    for t in np.unique(stop[event == 1]):
        at_risk, dying = (start < t) & (stop >= t), (stop == t) & (event == 1)
        d = dying.sum()
        score += np.sum(weights[dying] * x[dying])
        for step in range(d):
            f = step / d if ties == "efron" else 0.0
            s0 = risk[at_risk].sum() - f * risk[dying].sum()
            s1 = (risk * x)[at_risk].sum() - f * (risk * x)[dying].sum()
            score -= weights[dying].mean() * s1 / s0
    return score


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_robust_se_is_the_sandwich_of_the_case_weight_influences(ties):
    """Robust SE = se_model^2 * sqrt(sum_g U_g^2) for one covariate, where U_i = d(weighted score)/d(w_i) at the
    estimate (R's score residual), here by finite differences of a brute-force weighted score. The data are the
    ?coxph toy example (tied events at 9, starts equal to event times) plus a row censored before the first event
    and a row whose interval (3.2, 3.7] holds no event time: both made statsmodels' fit(groups=...) go wrong."""
    toy = pd.DataFrame(reference("heart_coxph.json")["coxph_help_page_test2"]["data"])
    extra = pd.DataFrame({"start": [0.0, 3.2], "stop": [0.5, 3.7], "event": [0, 0], "x": [1, 1]})
    data = pd.concat([toy, extra], ignore_index=True).assign(pair=lambda d: d.index // 2, row=lambda d: d.index)
    plain = cox_counting_process(data, "stop", "event", ["x"], start="start", ties=ties)
    beta, se_model = plain.table.loc[0, "estimate"], plain.table.loc[0, "std_error"]
    h = 1e-6
    influence = np.array(
        [
            (
                weighted_score(beta, 1 + h * np.eye(len(data))[i], data, ties)
                - weighted_score(beta, 1 - h * np.eye(len(data))[i], data, ties)
            )
            / (2 * h)
            for i in range(len(data))
        ]
    )
    for cluster in ("row", "pair"):
        per_cluster = pd.Series(influence).groupby(data[cluster]).sum().to_numpy()
        robust = cox_counting_process(data, "stop", "event", ["x"], start="start", ties=ties, cluster=cluster)
        assert robust.table.loc[0, "estimate"] == beta
        expected = se_model**2 * np.sqrt(np.sum(per_cluster**2))
        assert robust.table.loc[0, "std_error"] == pytest.approx(expected, rel=1e-6)
        assert robust.variance == f"robust, clustered by '{cluster}'"


def test_robust_se_agrees_with_statsmodels_where_its_sandwich_is_valid():
    """Breslow ties, no late entry, nobody censored before the first event: PHReg's own robust SEs are sound."""
    rossi = pd.read_csv(REFERENCE / "rossi.csv").assign(id=lambda d: d.index % 150)
    covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    ours = cox_counting_process(rossi, "week", "arrest", covariates, ties="breslow", cluster="id")
    theirs = PHReg(rossi["week"], rossi[covariates], status=rossi["arrest"], ties="breslow").fit(groups=rossi["id"])
    np.testing.assert_allclose(ours.table["std_error"], theirs.bse, rtol=1e-8)
    assert (ours.table["n_subjects"] == 150).all()


def test_a_constant_covariate_is_dropped_with_a_warning():
    ref = reference("rossi_coxph.json")
    rossi = pd.read_csv(REFERENCE / ref["data_file"]).assign(programme=1)
    covariates = list(ref["coefficients_for_rossi_csv_0_1_coding"])
    fit = cox_counting_process(rossi, "week", "arrest", [*covariates, "programme"])
    assert fit.table["term"].tolist() == covariates
    assert len(fit.warnings) == 1 and "'programme'" in fit.warnings[0]
    assert "left out" in fit.warnings[0]
    pd.testing.assert_frame_equal(fit.table, cox_counting_process(rossi, "week", "arrest", covariates).table)


def test_only_constant_covariates_give_an_empty_table_with_warnings():
    fit = cox_counting_process(HAND_MADE.assign(x=1), "stop", "event", ["x"], start="start")
    assert fit.table.empty and len(fit.warnings) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stop": [2, 2, 2, 5, 4]}, r"1 row\(s\) have stop <= start"),
        ({"stop": [2, 2, 1, 5, 4]}, r"first at index 2"),
        ({"x": [1, np.nan, np.nan, 0, np.nan]}, r"column 'x' has 3 missing value"),
        ({"start": [0, None, 2, 0, 0]}, r"column 'start' has 1 missing value"),
        ({"event": [0, 0, 0, 0, 0]}, r"no events"),
        ({"event": [1, 0, 2, 0, 1]}, r"only 0/1"),
        ({"x": ["a", "b", "a", "b", "a"]}, r"covariate 'x' is not numeric"),
    ],
)
def test_invalid_data_is_refused_with_a_clear_message(change, message):
    with pytest.raises(ValueError, match=message):
        cox_counting_process(HAND_MADE.assign(**change), "stop", "event", ["x"], start="start")


def test_unknown_ties_and_absent_columns_are_refused():
    with pytest.raises(ValueError, match=r"ties must be 'efron' or 'breslow', got 'exact'"):
        cox_counting_process(HAND_MADE, "stop", "event", ["x"], start="start", ties="exact")
    with pytest.raises(ValueError, match=r"\['age'\] not in the data"):
        cox_counting_process(HAND_MADE, "stop", "event", ["x", "age"], start="start")


def test_a_covariate_determined_by_others_is_dropped_with_a_warning():
    data = HAND_MADE.assign(twice_x_plus_one=2 * HAND_MADE["x"] + 1)
    fit = cox_counting_process(data, "stop", "event", ["x", "twice_x_plus_one"], start="start")
    assert fit.table["term"].tolist() == ["x"]
    assert "'twice_x_plus_one' is a linear combination of ['x']" in fit.warnings[0]


def test_events_all_in_one_level_give_a_warning_not_a_crash():
    data = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 0, 0], "x": [1, 1, 1, 0, 0, 0]})
    fit = cox_counting_process(data, "t", "e", ["x"])
    assert any("'x' is extreme" in w for w in fit.warnings)


def large_site_effects(seed: int, effects: tuple[float, ...], people: int = 100) -> pd.DataFrame:
    """Monthly (start, stop] rows of `people` per site with cloglog hazard -2.5 + site effect + 0.5 * post,
    subsidy lengths 3-12 months; written here, independent of the project's simulator."""
    rng = np.random.default_rng(seed)
    rows = []
    for site, effect in enumerate(effects):
        for person in range(people):
            length = rng.choice([3, 6, 9, 12]) if site % 2 == 0 else rng.choice([6, 12])
            for month in range(1, 25):
                post = int(month > length)
                event = rng.random() < -np.expm1(-np.exp(-2.5 + effect + 0.5 * post))
                rows.append((f"s{site}", f"{site}-{person}", month - 1, month, int(event), post))
                if event:
                    break
    data = pd.DataFrame(rows, columns=["site", "person", "start", "stop", "event", "post"])
    return pd.concat([data, pd.get_dummies(data["site"], prefix="", prefix_sep="", drop_first=True, dtype=int)], axis=1)


def test_when_newton_diverges_the_fallback_finds_r_coxph_maximum():
    """Site effects down to -4.3 (11,987 rows, 183 events, 6 sites): statsmodels' Newton overshoots into a
    singular Hessian; step-halving Newton reaches the maximum R's coxph finds (run live on the same data)."""
    data = large_site_effects(0, (0, -4.3, -4.3, -4.3, -3, -1))
    covariates = ["post", "s1", "s2", "s3", "s4", "s5"]
    assert (len(data), int(data["event"].sum())) == (11987, 183)
    fit = cox_counting_process(data, "stop", "event", covariates, start="start")
    assert fit.optimiser == "step-halving Newton"
    assert fit.warnings[0].startswith("Newton did not converge: it stopped with an error")
    assert np.isfinite(fit.table["estimate"]).all() and np.isfinite(fit.table["std_error"]).all()
    theirs = r_coxph(data, covariates)
    np.testing.assert_allclose(fit.table["estimate"], theirs["coef"], rtol=1e-6)
    np.testing.assert_allclose(fit.table["std_error"], theirs["se"], rtol=1e-5)


def r_coxph(data: pd.DataFrame, covariates: list[str]) -> dict[str, list[float]]:
    """R survival's coxph(Surv(start, stop, event) ~ covariates, ties = 'efron') on the same rows."""
    import shutil
    import subprocess
    import tempfile

    if shutil.which("Rscript") is None:
        need("r", "Rscript is not installed; this check fits the same rows in R")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        data.to_csv(path, index=False)
        script = (
            f"library(survival); d <- read.csv('{path}'); "
            f"f <- coxph(Surv(start, stop, event) ~ {' + '.join(covariates)}, data = d, ties = 'efron'); "
            "cat(sprintf('%.15g', coef(f)), '\\n'); cat(sprintf('%.15g', sqrt(diag(vcov(f)))), '\\n')"
        )
        out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True).stdout
    coef, se = (list(map(float, line.split())) for line in out.strip().splitlines())
    return {"coef": coef, "se": se}


def test_no_method_converging_gives_a_reason_not_a_bare_nan_table():
    """Events only at x = 1 and x collinear with nothing: the MLE is infinite. Either an extreme-estimate
    warning or a plain reason accompanies the table; each distinct optimiser warning is reported once."""
    data = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 0, 0], "x": [1, 1, 1, 0, 0, 0]})
    fit = cox_counting_process(data, "t", "e", ["x"])
    assert fit.warnings, "an extreme or failed fit must say why"
    assert len(fit.warnings) == len(set(fit.warnings))
    assert sum("reported" in w for w in fit.warnings) <= len({w.split(": ", 1)[-1] for w in fit.warnings})
