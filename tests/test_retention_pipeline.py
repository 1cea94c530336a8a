"""The retention stage as the workflow runs it: every table written, honest about what it cannot do."""

import dataclasses
import json
from datetime import date

import pandas as pd
from conftest import DEFAULT_PROJECT, DEFAULT_PROJECT_DIR, REPO

from analysis.project.loader import load_project
from analysis.retention.pipeline import fit_retention, headline, write_retention
from analysis.simulation.population import project_parameters, simulate_population
from analysis.simulation.simulate import select_sites

CONFIG = load_project(DEFAULT_PROJECT, REPO).config


def _participants(params, seed=4):
    return simulate_population(params, seed, identities=False)[0]


def test_all_tables_are_written_and_the_headline_quotes_the_fit(tmp_path):
    params = select_sites(
        project_parameters(DEFAULT_PROJECT_DIR), ["assens", "viborg", "helsingoer", "jammerbugt"], 1.0
    )
    results = fit_retention(_participants(params), CONFIG)
    written = write_retention(results, tmp_path)
    assert {p.name for p in written} == {
        "primary.parquet",
        "event_study.parquet",
        "cox.parquet",
        "site_effects.parquet",
        "km.parquet",
        "retention_at.parquet",
        "summary.json",
    }
    post = results.primary.table.query("term == 'post_subsidy' and shown").iloc[0]
    assert post["se_type"] == "few_sites"  # 3 sites with end status: few, so bootstrap-or-jackknife is shown
    sentence = headline(results.primary)
    assert f"{post['hazard_ratio']:.2f} times" in sentence and f"{post['ci_lower']:.2f} to" in sentence
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["excluded"]["site does not report end status"] > 0  # jammerbugt
    assert summary["primary"]["shown_interval"] == "few_sites"
    assert "kept by the wild cluster bootstrap or the cluster jackknife over 3 sites" in sentence
    cox_post = results.cox.table.set_index("term").loc["post_subsidy", "hazard_ratio"]
    assert abs(cox_post - post["hazard_ratio"]) < 0.1 * post["hazard_ratio"]  # the robustness check agrees
    assert results.cox.variance == "robust, clustered by 'site'"


def test_reruns_write_byte_identical_tables(tmp_path):
    """The bootstrap's weights come from the config (here enumerated: 8 sites), never the clock."""
    participants = _participants(project_parameters(DEFAULT_PROJECT_DIR))
    first = write_retention(fit_retention(participants, CONFIG), tmp_path / "a")
    second = write_retention(fit_retention(participants, CONFIG), tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def _with_lengths(lengths, exception_share=0.0, **changes):
    params = project_parameters(DEFAULT_PROJECT_DIR)
    sites = tuple(
        dataclasses.replace(s, subsidy_rules=((date(2019, 1, 1), m),), subsidy_exception_share=exception_share)
        for s, m in zip(params.sites, lengths, strict=True)
    )
    return dataclasses.replace(params, sites=sites, **changes)


def test_identification_only_between_sites_is_said_in_words():
    results = fit_retention(_participants(_with_lengths([3, 6, 9, 12, 3, 6, 9, 12, 6])), CONFIG)
    variation = results.summary["primary"]["variation"]
    assert variation["sources"] == ["between sites"] and variation["carrying_enrolments"] == 0
    assert variation["between_sites_only"] and not variation["thin"]
    assert "same way at every site" in variation["message"]
    assert results.primary.identified  # a number is still reported, with the warning beside it


def test_thin_within_site_variation_prints_no_number():
    """All sites give 6 months; 1 % got an individual plan: the case where 14 of 1,400 people carried all the
    variation and HR 0.56 (0.08-3.97) was printed."""
    results = fit_retention(_participants(_with_lengths([6] * 9, exception_share=0.01)), CONFIG)
    variation = results.summary["primary"]["variation"]
    assert variation["sources"] == ["within sites"] and variation["thin"]
    assert variation["carrying_enrolments"] < 0.05 * variation["enrolments"]
    post = results.primary.table[results.primary.table["term"] == "post_subsidy"]
    assert post[["estimate", "hazard_ratio", "ci_lower", "ci_upper"]].isna().all().all()
    assert headline(results.primary).startswith("No subsidy-end effect is reported. The subsidy-end effect rests")
    assert results.cox.table.set_index("term").loc[["post_subsidy"], "hazard_ratio"].isna().all()


def test_ample_within_site_variation_is_reported():
    results = fit_retention(_participants(_with_lengths([6] * 9, exception_share=0.3)), CONFIG)
    variation = results.summary["primary"]["variation"]
    assert variation["sources"] == ["within sites"] and not variation["thin"]
    assert results.primary.identified and "times that during the subsidy" in headline(results.primary)


def test_one_and_two_sites_give_a_sentence_not_a_number():
    params = project_parameters(DEFAULT_PROJECT_DIR)
    for sites in (["viborg"], ["viborg", "assens"]):
        results = fit_retention(_participants(select_sites(params, sites, 1.0)), CONFIG)
        sentence = headline(results.primary)
        assert sentence.startswith("No subsidy-end effect is reported.") and "nan" not in sentence.lower()
    assert "With 2 site(s)" in sentence


def test_no_dropout_after_any_subsidy_end_and_a_site_without_dropouts():
    params = project_parameters(DEFAULT_PROJECT_DIR)
    never = fit_retention(_participants(dataclasses.replace(params, log_hr_post_subsidy=-30.0)), CONFIG)
    sentence = headline(never.primary)
    assert sentence.startswith("No subsidy-end effect is reported.")
    assert "No one left the association while 'post_subsidy' applied" in sentence
    quiet = dataclasses.replace(params.sites[0], site_effect=-30.0)
    results = fit_retention(_participants(dataclasses.replace(params, sites=(quiet, *params.sites[1:]))), CONFIG)
    assert any(f"No one left the association at {quiet.site}" in w for w in results.summary["warnings"])
    assert results.primary.identified and "times that during" in headline(results.primary)
    assert quiet.site not in set(results.cox.table["term"].str.removeprefix("site_"))


def test_same_subsidy_everywhere_gives_a_plain_statement_instead_of_a_number():
    params = project_parameters(DEFAULT_PROJECT_DIR)
    same = tuple(
        dataclasses.replace(s, subsidy_rules=((date(2019, 1, 1), 6),), subsidy_exception_share=0.0)
        for s in params.sites
    )
    results = fit_retention(_participants(dataclasses.replace(params, sites=same)), CONFIG)
    assert headline(results.primary).startswith("No subsidy-end effect is reported.")
    assert "cannot be separated from time since start" in headline(results.primary)


def test_a_project_where_no_site_reports_end_status_does_not_crash():
    participants = _participants(select_sites(project_parameters(DEFAULT_PROJECT_DIR), ["assens"], 0.3))
    results = fit_retention(participants.assign(end_status_reported=False), CONFIG)
    assert results.primary.table.empty and results.summary["events"] == 0
    assert any("site does not report end status" in w for w in results.summary["warnings"])
    assert isinstance(results.km, pd.DataFrame)


def test_the_headline_reads_an_unbounded_interval_as_zero_or_infinity_and_says_so():
    """With three sites the bootstrap may not bound an end of the interval (NaN in the table; these three
    sites give one): the notebook's sentence reads 0 or infinity there, as the pages do, instead of 'nan'."""
    params = select_sites(project_parameters(DEFAULT_PROJECT_DIR), ["assens", "viborg", "helsingoer"], 1.0)
    primary = fit_retention(_participants(params), CONFIG).primary
    shown = (primary.table["term"] == "post_subsidy") & primary.table["shown"].astype(bool)
    for end, word in (("ci_upper", "to infinity"), ("ci_lower", "CI 0 to")):
        table = primary.table.copy()
        table.loc[shown, end] = float("nan")
        sentence = headline(dataclasses.replace(primary, table=table))
        assert word in sentence and "nan" not in sentence, sentence
        assert sentence.endswith("The data cannot bound the interval, so the estimate says very little.")
    real = primary.table[shown].iloc[0]
    assert pd.isna(real["ci_lower"]) or pd.isna(real["ci_upper"])
    assert "nan" not in headline(primary) and "cannot bound" in headline(primary)
