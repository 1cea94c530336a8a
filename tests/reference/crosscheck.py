"""Cross-check the reference data files against their published R results.

Independent implementations only (lifelines, statsmodels, numpy); run with
``python crosscheck.py`` in an environment that has lifelines and statsmodels.
Not collected by pytest; the project's own tests must compare *our* code to the JSON.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
HERE = Path(__file__).resolve().parent
Z975 = 1.959963984540054


def report(name, ours, pub, dec):
    diff = np.abs(np.asarray(ours, float) - np.asarray(pub, float))
    tol = 0.5 * 10.0 ** (-np.asarray(dec, float)) + 1e-12
    ok = bool(np.all(diff <= tol))
    print(f"{'OK ' if ok else 'BAD'} {name}: max|diff|={diff.max():.3g} (half-unit tol {tol.max():.1g})")
    return ok


def km_table(time, event):
    rows = []
    n_at_risk = len(time)
    s, gw = 1.0, 0.0
    for t in np.unique(time):
        at_t = time == t
        d = int(event[at_t].sum())
        if d:
            s *= 1 - d / n_at_risk
            gw = gw + d / (n_at_risk * (n_at_risk - d)) if n_at_risk > d else np.inf
            se_log = np.sqrt(gw)
            lo, hi = (s * np.exp(-Z975 * se_log), min(1.0, s * np.exp(Z975 * se_log))) if s > 0 else (None, None)
            rows.append((t, n_at_risk, d, s, s * se_log if s > 0 else np.nan, lo, hi))
        n_at_risk -= int(at_t.sum())
    return rows


def check_km(jfile, data, tcol, ecol, strata_col=None):
    ref = json.loads((HERE / jfile).read_text())
    ok = True
    for tab in ref["tables"]:
        d = data
        if "stratum" in tab and strata_col:
            level = tab["stratum"].split("=")[1]
            d = data[data[strata_col].astype(str) == level]
        ours = km_table(d[tcol].to_numpy(float), d[ecol].to_numpy(int))
        cols = ["time", "n.risk", "n.event", "survival", "std.err", "lower_95", "upper_95"]
        dec = tab["printed_decimals"]
        for i, c in enumerate(cols):
            pub = [r[c] for r in tab["rows"]]
            mine = [r[i] for r in ours]
            keep = [k for k, v in enumerate(pub) if isinstance(v, (int, float)) and v is not None]
            dd = dec[c] if isinstance(dec[c], int) else max(dec[c])
            if c in ("lower_95",) and not isinstance(dec[c], int):
                dd = min(dec[c])
            ok &= report(
                f"{jfile} {tab.get('stratum', 'all')} {c}",
                [mine[k] for k in keep],
                [pub[k] for k in keep],
                [dd] * len(keep) if c not in ("time", "n.risk", "n.event") else [0] * len(keep),
            )
    return ok


def main():
    from lifelines import CoxPHFitter, CoxTimeVaryingFitter
    from statsmodels.duration.hazard_regression import PHReg

    ok = True
    # 1. Rossi
    ref = json.loads((HERE / "rossi_coxph.json").read_text())
    rossi = pd.read_csv(HERE / "rossi.csv")
    assert rossi.shape == (432, 9) and rossi.arrest.sum() == 114
    cov = list(ref["coefficients_for_rossi_csv_0_1_coding"])
    pub = ref["coefficients_for_rossi_csv_0_1_coding"]
    cph = CoxPHFitter().fit(rossi, "week", "arrest")
    s = cph.summary.loc[cov]
    sm = PHReg(rossi.week.values, rossi[cov].values, status=rossi.arrest.values, ties="efron").fit()
    for col, key, dec in (("coef", "coef", 5), ("se(coef)", "se_coef", 5), ("z", "z", 3), ("p", "p", 5)):
        ok &= report(f"rossi lifelines {key}", s[col].values, [pub[c][key] for c in cov], [dec] * len(cov))
    ok &= report("rossi statsmodels coef", sm.params, [pub[c]["coef"] for c in cov], [5] * len(cov))
    ok &= report("rossi statsmodels se", sm.bse, [pub[c]["se_coef"] for c in cov], [5] * len(cov))
    lrt = 2 * (
        sm.llf
        - PHReg(rossi.week.values, rossi[cov].values, status=rossi.arrest.values, ties="efron").loglike(
            np.zeros(len(cov))
        )
    )
    ok &= report("rossi LR test", [lrt], [ref["likelihood_ratio_test"]["statistic"]], [2])

    # 2. Kaplan-Meier
    ok &= check_km("km_ovarian.json", pd.read_csv(HERE / "ovarian.csv"), "futime", "fustat", "rx")
    aml = pd.read_csv(HERE / "aml.csv")
    ok &= check_km("km_aml.json", aml, "time", "status", "x")
    amlref = json.loads((HERE / "km_aml.json").read_text())["overall_km_8_significant_digits"]
    t = aml.time.to_numpy(float)
    e = aml.status.to_numpy(int)
    surv, s_ = [], 1.0
    for tt in np.unique(t):
        n = (t >= tt).sum()
        d = e[t == tt].sum()
        s_ *= 1 - d / n
        surv.append(s_)
    ok &= report("aml overall KM (8 dp)", surv, [r["survival"] for r in amlref["rows"]], [8] * len(surv))
    ov = pd.read_csv(HERE / "ovarian.csv")
    oref = json.loads((HERE / "km_ovarian.json").read_text())["extra_published_checks"]["coxph_age_strata_rx"]
    fit = CoxPHFitter().fit(ov[["futime", "fustat", "age", "rx"]], "futime", "fustat", strata=["rx"])
    ok &= report("ovarian coxph age+strata(rx) coef", [fit.params_["age"]], [oref["coef"]["age"]], [5])
    ok &= report("ovarian coxph age+strata(rx) se", [fit.standard_errors_["age"]], [oref["se_coef"]["age"]], [5])

    # 3. Counting process
    href = json.loads((HERE / "heart_coxph.json").read_text())
    heart = pd.read_csv(HERE / "heart.csv")
    hm = href["heart_main_effects_efron"]
    names = list(hm["coef"])
    ctv = CoxTimeVaryingFitter().fit(heart, id_col="id", event_col="event", start_col="start", stop_col="stop")
    ok &= report("heart lifelines CTV coef", ctv.params_[names], [hm["coef"][k] for k in names], [4] * 4)
    ok &= report("heart lifelines CTV se", ctv.standard_errors_[names], [hm["se_coef"][k] for k in names], [4] * 4)
    for eps in (0.0, 1e-7):
        r = PHReg(
            heart.stop.values,
            heart[names].values,
            status=heart.event.values,
            entry=heart.start.values + eps * (heart.start.values > 0),
            ties="efron",
        ).fit()
        ok_ = report(f"heart statsmodels PHReg entry+{eps:g} coef", r.params, [hm["coef"][k] for k in names], [4] * 4)
        if eps:
            ok &= ok_
    jasa1 = pd.read_csv(HERE / "jasa1.csv")
    env = {c: jasa1[c].to_numpy(float) for c in jasa1.columns}
    for key, mod in href["jasa1_breslow_models_KP"]["models"].items():
        terms = [t["term"] for t in mod["terms"]]
        x = np.column_stack([eval(t.replace(":", "*"), {}, env) for t in terms])  # noqa: S307 - fixed local formulae
        r = PHReg(
            jasa1.stop.values,
            x,
            status=jasa1.event.values,
            entry=jasa1.start.values + 1e-7 * (jasa1.start.values > 0),
            ties="breslow",
        ).fit()
        dec = mod["printed_decimals"]
        ok &= report(f"jasa1 {key} coef", r.params, [t["coef"] for t in mod["terms"]], [dec["coef"]] * len(terms))
        ok &= report(f"jasa1 {key} se", r.bse, [t["se_coef"] for t in mod["terms"]], [dec["se_coef"]] * len(terms))
    t2 = href["coxph_help_page_test2"]
    d2 = pd.DataFrame(t2["data"])
    r = PHReg(
        d2.stop.values, d2[["x"]].values, status=d2.event.values, entry=d2.start.values + 1e-7, ties="efron"
    ).fit()
    ok &= report("test2 coef", r.params, [t2["coef"]["x"]], [5])
    ok &= report("test2 se", r.bse, [t2["se_coef"]["x"]], [5])
    print("ALL OK" if ok else "SOME CHECKS FAILED")


if __name__ == "__main__":
    main()
