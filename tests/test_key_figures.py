"""key_figures.csv: what each number means, that it is disclosure-controlled, and that every page prints it.

The definitions are checked on enrolments written by hand (counted on paper); the pages on small projects
built by `small_projects` (a site of 7 people, a site with one large referral track, one site, a project
where every group is small), whose pages are read back from their HTML and attacked as a whole.
"""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pandas as pd
import pytest
from small_projects import SCENARIOS, render_pages

from analysis.core.vocabulary import ALL_SITES
from analysis.reports.key_figures import (
    NOT_REPORTED,
    key_figure_attack,
    raw_key_figures,
    suppress_key_figures,
)
from analysis.tools.attack import attack_project

CONFIG = {"extraction_date": "2023-12-31", "course_weeks": 12, "followup_months": 12, "subsidy_rules": {}}
SITES = [{"site": "a", "reports_end_status": True}, {"site": "b", "reports_end_status": False}]


def _person(site, referral, start=None, end=None, subsidy=6):
    return {
        "site": site,
        "referral_date": pd.Timestamp(referral),
        "start_date": pd.Timestamp(start) if start else pd.NaT,
        "end_date": pd.Timestamp(end) if end else pd.NaT,
        "subsidy_months": subsidy,
    }


def _hand_made() -> pd.DataFrame:
    people = [
        _person("a", "2022-01-03", "2022-01-10"),  # active throughout: counted at course end and follow-up
        _person("a", "2022-01-03", "2022-01-10", "2022-02-01"),  # stopped before course end (2022-03-28)
        _person("a", "2022-01-03", "2022-01-10", "2022-06-01"),  # active at course end, gone at follow-up
        _person("a", "2022-01-03"),  # never started
        _person("a", "2023-11-01", "2023-11-05"),  # course end after extraction: not yet due, not counted
        _person("b", "2022-01-03", "2022-01-10"),  # site b does not report end status
        _person("b", "2022-01-03"),
    ]
    return pd.DataFrame(people)


def _km() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scope": ["a", "a", ALL_SITES],
            "group": ["all", "all", "all"],
            "time": [2.0, 13.0, 2.0],
            "n_risk": [4, 2, 4],
            "n_event": [1, 1, 1],
            "survival": [0.75, 0.375, 0.75],
            "ci_lower": [0.4, 0.1, 0.4],
            "ci_upper": [1.0, 0.9, 1.0],
        }
    )


def test_the_definitions_counted_by_hand():
    raw = raw_key_figures(_hand_made(), CONFIG, SITES, _km(), {"a"}).set_index("site")
    assert raw.loc["a", ["referred", "started", "active_course_end", "active_followup"]].tolist() == [5, 4, 2, 1]
    assert raw.loc["b", ["referred", "started"]].tolist() == [2, 1]
    assert raw.loc["b", ["active_course_end", "active_followup"]].isna().all()  # not reported, never 0
    # all sites: referred and started over every site, the active counts over the reporting sites only
    assert raw.loc[ALL_SITES, ["referred", "started", "active_course_end", "active_followup"]].tolist() == [7, 5, 2, 1]
    assert raw.loc["a", "retention_12m"] == 0.75 and raw.loc["a", "retention_12m_n"] == 2  # 2 followed at 12
    assert raw.loc["a", "in_subsidy_model"] and not raw.loc["b", "in_subsidy_model"]


def test_without_disclosure_control_the_file_holds_the_numbers_and_words_for_missing_ones():
    shown = suppress_key_figures(raw_key_figures(_hand_made(), CONFIG, SITES, _km(), {"a"}), 1).set_index("site")
    assert shown.loc["a", "referred"] == "5" and shown.loc["b", "active_course_end"] == NOT_REPORTED
    assert shown.loc["b", "retention_12m"] == NOT_REPORTED and shown.loc["a", "retention_12m"] == "0.7500"


def test_small_counts_are_hidden_and_no_chain_gives_them_away():
    raw = raw_key_figures(_hand_made(), CONFIG, SITES, _km(), {"a"})
    shown = suppress_key_figures(raw, 5).set_index("site")
    counts = shown[["referred", "started", "active_course_end", "active_followup"]]
    assert not counts.isin(["1", "2", "3", "4"]).any().any()
    assert shown.loc["a", "active_course_end"] == "<5" and shown.loc["a", "retention_12m"] == ".."


def test_the_attack_finds_a_difference_of_shown_counts_and_a_subtraction_from_the_total():
    counts = pd.DataFrame(
        {"referred": [40, 60, 100], "started": [37, 50, 87], "active_course_end": [30, 40, 70]},
    ).reindex(columns=["referred", "started", "active_course_end", "active_followup"])
    counts["active_followup"] = [20, 30, 50]
    hidden = np.zeros(counts.shape, dtype=bool)
    assert key_figure_attack(counts, hidden, 5) == ("group", 0, (1, 0, 0, 0))  # 40 - 37: 3 never started
    hidden[0, 1] = True  # hide 37: the all-sites row gives it back (87 - 50)
    assert key_figure_attack(counts, hidden, 5) == ("pinned", 0, 1)
    hidden[1, 1] = True  # and 50: now both can move together
    assert key_figure_attack(counts, hidden, 5) is None


# ------------------------------------------------------------------------------------ pages of small projects
@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def rendered(request, tmp_path_factory):
    name = request.param
    context, pages, figures = render_pages(tmp_path_factory.mktemp(name), name, SCENARIOS[name])
    return name, context, pages, figures


def _key_figure_blocks(page: str) -> list[tuple[str, list[list[str]]]]:
    blocks = []
    for site, body in re.findall(r'<div class="key-figures" data-site="([^"]*)"[^>]*>(.*?)</div>', page, re.DOTALL):
        rows = []
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL):
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
            rows.append([unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
        blocks.append((unescape(site), rows))
    return blocks


def _as_printed(value: str) -> str:
    """A count of key_figures.csv as a Danish page prints it."""
    if value == NOT_REPORTED:
        return "ikke indberettet"
    return f"{int(value):,}".replace(",", ".") if value.isdigit() else value


COUNT_LABELS = {
    "Henvist": "referred",
    "Startet i en forening": "started",
    "Aktive ved forløbets afslutning": "active_course_end",
    "Aktive ved opfølgningen": "active_followup",
}


def test_every_page_prints_the_key_figures_of_the_file(rendered):
    name, context, pages, figures = rendered
    seen = set()
    for page_name, page in pages.items():
        blocks = _key_figure_blocks(page)
        assert blocks, f"{name}/{page_name} has no key figures"
        for site, rows in blocks:
            header = rows[0]
            if len(header) == 2:  # a site page: figure | value
                for label, value in rows[1:]:
                    if label in COUNT_LABELS:
                        assert value == _as_printed(figures.loc[site, COUNT_LABELS[label]]), (page_name, label)
                        seen.add((page_name, site, label))
            else:  # the overview: one row per site and the total
                columns = {h: k for k, h in enumerate(header)}
                names = {context.site_name(s): s for s in context.project.site_ids} | {"Alle": ALL_SITES}
                for row in rows[1:]:
                    site_id = names[row[0]]
                    for label, field in COUNT_LABELS.items():
                        assert row[columns[label]] == _as_printed(figures.loc[site_id, field]), (page_name, label)
                        seen.add((page_name, site_id, label))
    assert {p for p, _, _ in seen} == set(pages)


def test_sites_without_end_status_are_not_reported_everywhere_and_never_active(rendered):
    name, context, pages, figures = rendered
    silent = [s["site"] for s in context.project.sites if not s["reports_end_status"]]
    for site in silent:
        assert figures.loc[site, "active_course_end"] == NOT_REPORTED
        assert "ikke indberettet" in pages[f"sites/{site}.html"]
        assert "har ikke indberettet, hvem der er stoppet" in pages[f"sites/{site}.html"]
    reporting = [s for s in figures.index if s != ALL_SITES and s not in silent]
    shown = [figures.loc[s, "active_course_end"] for s in reporting]
    if all(v.isdigit() for v in shown) and figures.loc[ALL_SITES, "active_course_end"].isdigit():
        assert int(figures.loc[ALL_SITES, "active_course_end"]) == sum(int(v) for v in shown)


def test_the_pages_say_in_words_what_a_site_did_not_do(rendered):
    name, context, pages, figures = rendered
    for spec in SCENARIOS[name]:
        page = pages[f"sites/{spec.site}.html"]
        if spec.subsidy == 0:
            assert "gav ingen kontingentstøtte" in page
        if figures.loc[spec.site, "in_subsidy_model"] != "true":
            assert "indgår ikke i analysen af støttens ophør" in page


def test_no_page_prints_a_small_count_nor_lets_one_be_worked_out(rendered):
    name, context, pages, figures = rendered
    attack = attack_project(pages, figures, context.min_cell, "da", context.project.site_ids)
    assert attack.tables >= 5
    assert attack.findings == [], attack.findings
    for _, low, high in attack.intervals:
        assert high - low >= 1 - 1e-6  # every hidden count could be at least one more or one less


def test_the_attack_finds_what_a_page_gives_away_when_a_marker_is_undone(rendered):
    name, context, pages, figures = rendered
    site_pages = [p for p in pages if p.startswith("sites/") and "<td>&lt;5</td>" in pages[p]]
    if not site_pages:  # then there was nothing small to hide anywhere (the one-site project of 150)
        assert attack_project(pages, figures, 5, "da", context.project.site_ids).hidden == 0
        return
    page = pages[site_pages[0]]
    found = set()
    for match in re.finditer("<td>&lt;5</td>", page):
        undone = page[: match.start()] + "<td>3</td>" + page[match.end() :]
        found |= {kind for kind, _ in attack_project({"page.html": undone}, None, 5, "da").findings}
    assert "shown count below min_cell" in found


def test_every_page_quotes_the_subsidy_effect_from_the_shown_row_of_the_primary_model(rendered):
    """The subsidy-end hazard ratio and its interval have one source too: the row of primary.parquet marked
    `shown`. Every page that states the effect prints exactly those numbers, says the interval includes 1
    exactly when it does and that it cannot be bounded exactly when an end is missing; with no identified
    effect no page prints one. (Of the four projects, one has a bounded interval that includes 1, two an
    interval the bootstrap cannot bound with three sites, one no estimate.)"""
    name, context, pages, _ = rendered
    primary = context.models["primary"]
    shown = primary[(primary["term"] == "post_subsidy") & primary["shown"].astype(bool)]
    stated = {
        p: re.search(r"(\S+) gange så stor .*?konfidensinterval (\S+) til ([^)]+)\)", page) for p, page in pages.items()
    }
    if shown.empty or not bool(shown["identified"].iloc[0]):
        assert not any(stated.values()), name
        return
    row, number = shown.iloc[0], context.messages.number
    # an end the bootstrap cannot bound is NaN in the table: the page prints 0 or 'uendelig' and says why
    lower = row["ci_lower"] if pd.notna(row["ci_lower"]) else 0.0
    upper = row["ci_upper"] if pd.notna(row["ci_upper"]) else np.inf
    expected = (
        number(row["hazard_ratio"], 2),
        number(lower, 2) if lower > 0 else "0",
        number(upper, 2) if np.isfinite(upper) else "uendelig",
    )
    unbounded = bool(pd.isna(row["ci_lower"]) or pd.isna(row["ci_upper"]))
    quoting = {p for p, match in stated.items() if match}
    assert quoting >= {p for p in pages if p != "index.html"}, name  # every site page and the summary
    for page_name in quoting:
        page = pages[page_name]
        assert stated[page_name].groups() == expected, (name, page_name)
        assert ("Intervallet går fra under 1 til over 1" in page) == bool(lower <= 1 <= upper), (name, page_name)
        assert ("kan intervallet ikke afgrænses" in page) == unbounded, (name, page_name)
        assert "nan" not in re.sub(r"<[^>]+>", " ", page).split(), (name, page_name)
