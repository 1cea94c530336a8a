"""The reports' words: each site page's own subsidy, the pooled estimate as pooled and in whole people,
associative wording, the project's word for a site, Danish dates and minus signs, alt text, the footer, the
table of contents and the index page from its template.

Contexts are built by hand from the default project's config, so every expected sentence is known in advance.
"""

from __future__ import annotations

import dataclasses
import re
from html import unescape

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import REPO

from analysis.project.loader import load_project
from analysis.reports import render
from analysis.reports.context import ReportContext, unit_words
from analysis.reports.figures import event_study_figure, shown_ratio_range
from analysis.reports.html import with_contents
from analysis.reports.messages import Messages, format_date, format_number, override_problems
from analysis.reports.site_report import SiteReport
from analysis.reports.summary_report import SummaryReport, index_page

PROJECT = "motion-paa-recept"


def _people(site: str, months: list[int], started: bool = True) -> list[dict]:
    return [
        {
            "participant_id": f"{site}-{i}",
            "enrolment": 1,
            "site": site,
            "referral_track": "health",
            "referral_date": pd.Timestamp("2021-03-01") + pd.Timedelta(days=30 * i),
            "start_date": pd.Timestamp("2021-04-01") if started else pd.NaT,
            "end_date": pd.NaT,
            "subsidy_months": m,
            "dropout_reason": None,
            "age": 40 + i,
            "sex": "female" if i % 2 else "male",
            "team_type": "new",
            "end_status_reported": site != "jammerbugt",
        }
        for i, m in enumerate(months)
    ]


EVENT_STUDY = pd.DataFrame(
    [
        {"term": "months -6..-4", "hazard_ratio": 0.9, "ci_lower": 0.7, "ci_upper": 1.2},
        {"term": "months 0..2", "hazard_ratio": 1.6, "ci_lower": 1.2, "ci_upper": 2.1},
        {"term": "months 3..5", "hazard_ratio": 1.3, "ci_lower": 0.01, "ci_upper": 100.0},  # kbh's bad case
    ]
).assign(se_type="clustered", identified=True)


# No Kaplan–Meier curves: these tests are about words; the key figures then carry no retention.
KM_NONE = pd.DataFrame(columns=["scope", "group", "time", "n_risk", "n_event", "survival", "ci_lower", "ci_upper"])


@pytest.fixture(scope="module")
def context() -> ReportContext:
    project = load_project(PROJECT, REPO)
    people = pd.DataFrame(
        _people("assens", [6] * 6)
        + _people("guldborgsund", [6, 6, 6, 3, 3, 3])
        + _people("helsingoer", [0] * 6)
        + _people("jammerbugt", [0] * 6)
    )
    primary = pd.DataFrame(
        [
            {
                "term": "post_subsidy",
                "se_type": "clustered",
                "shown": True,
                "identified": True,
                "hazard_ratio": 1.65,
                "ci_lower": 1.05,
                "ci_upper": 2.59,
            }
        ]
    )
    summary = {
        "sites_in_model": ["assens", "guldborgsund", "helsingoer"],
        "primary": {"identification": [], "info": {"clusters": 3}},
        "event_study": {"info": {"bins": {"-3..-1": {"events": 155, "person_months": 3797}}}},
    }
    return ReportContext(
        project=project,
        messages=Messages("da"),
        min_cell=5,
        participants=people,
        responses=pd.DataFrame(columns=["participant_id", "enrolment", "site", "wave", "who5_pct"]),
        models={"primary": primary, "event_study": EVENT_STUDY, "km": KM_NONE},
        model_summary=summary,
        quality={},
    )


def _text(items: list) -> str:
    page = "\n".join(i.data for i in items if isinstance(getattr(i, "data", None), str))
    return unescape(re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]+"', "", page)))


def _subsidy(context, site: str) -> str:
    return " ".join(_text(SiteReport(context, site).subsidy()).split())


def test_each_site_page_states_its_own_subsidy_and_whether_it_is_in_the_model(context):
    assert "Assens havde en planlagt kontingentstøtte på 6 måneder. Assens indgår i den samlede" in _subsidy(
        context, "assens"
    )
    assert "på 3 eller 6 måneder, afhængigt af hvornår borgeren startede" in _subsidy(context, "guldborgsund")
    helsingoer = _subsidy(context, "helsingoer")
    assert "Helsingør havde ingen kontingentstøtte." in helsingoer and "som sammenligning" in helsingoer
    jammerbugt = _subsidy(context, "jammerbugt")
    assert "Jammerbugt indgår ikke i beregningen, fordi det ikke er indberettet, hvem der er stoppet" in jammerbugt


@pytest.mark.parametrize(
    ("primary", "said"),
    [
        # not identified: subsidies end at the same time after starting everywhere
        ({"identification": [{"identified": False}]}, "ophøret falder på samme tidspunkt efter start"),
        # withheld for thin variation (the retention stage then marks the term not identified)
        (
            {
                "identification": [{"identified": True}],
                "variation": {"thin": True, "carrying_enrolments": 3, "carrying_events": 1, "enrolments": 24},
            },
            "kun 3 af 24 borgere",
        ),
    ],
)
def test_without_an_estimate_no_page_says_a_site_is_or_is_not_part_of_it(context, primary, said):
    """'In the subsidy model' has one definition (key_figures.model_sites): no identified estimate, no sites."""
    models = {
        **context.models,
        "primary": context.models["primary"].assign(identified=False, hazard_ratio=float("nan")),
    }
    summary = {**context.model_summary, "primary": {**context.model_summary["primary"], **primary}}
    bare = dataclasses.replace(context, models=models, model_summary=summary)
    assert bare.sites_in_model == [] and context.sites_in_model == ["assens", "guldborgsund", "helsingoer"]
    for site, own in [("assens", "Assens havde en planlagt kontingentstøtte på 6 måneder."), ("jammerbugt", "")]:
        text = _subsidy(bare, site)
        assert own in text and said in text
        assert "indgår" not in text and "samlet for de" not in text


def test_the_pooled_estimate_is_introduced_as_pooled_over_the_municipalities_in_the_model(context):
    text = _subsidy(context, "assens")
    assert "samlet for de 3 kommuner, der har indberettet, hvem der er stoppet; 2 af dem havde kontingentstøtte" in text
    assert "1,65 gange så stor" in text and "1,05 til 2,59" in text
    assert "enheder" not in text


def test_the_estimate_is_told_in_whole_people(context):
    # By hand: h = 155 / 3797 = 0.040822 a month. Three months at h: 1 - 0.959178^3 = 11.75 of 100.
    # With HR 1.65 each month's stay probability is 0.959178^1.65 = 0.933539; 0.933539^3 = 0.813575: 18.64.
    text = _subsidy(context, "assens")
    # The interval from the same calculation at HR 1.05 and 2.59: 1 - 0.959178^3.15 = 12.3 and ^7.77 = 27.7.
    assert "stopper omkring 19 i løbet af de næste tre måneder (95 %-konfidensinterval 12 til 28)" in text
    assert "ville det være omkring 12" in text


def test_an_interval_that_includes_one_is_said_to_in_words(context):
    sentence = "Intervallet går fra under 1 til over 1, så tallene kan ikke udelukke"
    assert sentence not in _subsidy(context, "helsingoer")  # 1.05 to 2.59
    primary = context.models["primary"].assign(ci_lower=0.98, ci_upper=2.77)
    wide = dataclasses.replace(context, models={**context.models, "primary": primary})
    text = _subsidy(wide, "helsingoer")
    assert "(95 %-konfidensinterval 0,98 til 2,77)" in text and sentence in text


def test_the_wording_is_associative_and_says_what_it_cannot_tell(context):
    text = _subsidy(context, "helsingoer")
    assert "får borgere til at stoppe" not in text and "tyder på" not in text
    assert "Hvad tallet ikke kan fortælle: Det viser en sammenhæng, ikke en årsag." in text


def test_the_summary_states_no_site_of_its_own(context):
    text = " ".join(_text(SummaryReport(context).subsidy()).split())
    assert "havde en planlagt kontingentstøtte" not in text and "samlet for de 3 kommuner" in text


def test_every_figure_has_alt_text_in_the_page_language(context):
    page = "\n".join(i.data for i in SiteReport(context, "assens").subsidy() if isinstance(i.data, str))
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', page)
    assert len(alts) == 2  # the desktop and the phone drawing of the event study
    assert all(a.startswith("Punkter med konfidensintervaller: risikoen for at stoppe") for a in alts)
    assert "No description" not in page


def test_the_event_study_axis_keeps_to_the_data_and_marks_intervals_beyond_it():
    low, high = shown_ratio_range(EVENT_STUDY["hazard_ratio"], EVENT_STUDY["ci_lower"], EVENT_STUDY["ci_upper"])
    assert low == pytest.approx(0.9 / 2.5) and high == pytest.approx(1.6 * 2.5)
    fig = event_study_figure(EVENT_STUDY, Messages("da"))
    axis = fig.axes[0]
    assert axis.get_ylim() == pytest.approx((low, high))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [
        "Referenceperiode (sidste 3 måneder med støtte)",
        "Intervallet fortsætter uden for figuren",
        "Med støtte",
        "Efter støtten",
    ]
    assert [t.get_text() for t in axis.get_xticklabels()] == [
        "\u22126 til \u22124",
        "\u22123 til \u22121",
        "0 til 2",
        "3 til 5",
    ]
    plt.close(fig)


def test_unit_words_come_from_the_config_with_a_neutral_plural_by_default():
    config = {"language": "da", "unit_label": {"da": "Kommune", "en": "Municipality"}}
    assert unit_words(config, "da") == {
        "unit": "Kommune",
        "unit_lower": "kommune",
        "units": "enheder",
        "units_title": "Enheder",
    }
    config["unit_label_plural"] = {"da": "kommuner", "en": "municipalities"}
    assert unit_words(config, "en")["units_title"] == "Municipalities"
    messages = Messages("da", placeholders=unit_words(config, "da"))
    assert messages.t("sections.comparison") == "Sammenligning med de andre kommuner"
    assert messages.t("labels.all_sites") == "Alle kommuner"


def test_a_project_may_use_the_standing_placeholders_in_its_own_wording():
    assert override_problems({"da": {"text.reasons": "Årsager, som {unit_lower}n har registreret."}}, "c") == []


def test_numbers_get_a_real_minus_and_dates_the_danish_style():
    assert format_number(-0.34, "da", 1) == "\u22120,3"
    assert format_number(-1234.5, "en", 1) == "\u22121,234.5"
    assert format_number(-0.04, "da", 1) == "0,0"  # rounds to zero: no sign
    assert format_date("2023-12-31", "da") == "31. december 2023"
    assert format_date("2014-06-03", "en") == "3 June 2014"


def test_tables_scroll_inside_their_own_container():
    shown = render.table(pd.DataFrame({"a": ["1"]})).data
    assert shown.startswith('<div class="table-scroll" tabindex="0"><table')


def test_the_footer_gives_one_readable_line_and_hides_the_hashes_in_details():
    footer = render.footer(
        Messages("da"),
        {"commit": "0123456789abcdef0123", "dirty": False},
        {"extraction": "2023-12-31", "published": "2024-02-01"},
        [("Projekt", "Motion"), ("Kommune", "Assens")],
        {"data/raw/x/register.xlsx": "ab" * 32},
        {"pandas": "3.0"},
    ).data
    line = re.search(r"</h2><p>(.*?)</p>", footer).group(1)
    assert line == (
        "Kodeversion 0123456789ab (uden ændringer) · Data udtrukket 31. december 2023 · Offentliggjort 1. februar 2024"
    )
    details = footer[footer.index("<details>") :]
    assert "ab" * 32 in details and "ab" * 32 not in footer[: footer.index("<details>")]
    assert "Kommune: Assens" in details and "project =" not in footer


def test_long_pages_get_a_table_of_contents_linking_every_section():
    sections = "".join(render.heading(t).data for t in ["Nøgletal", "Hvem blev henvist?", "Årsager", "Om siden"])
    page = with_contents(f"<body><h1>T</h1><p>x</p>{sections}</body>", Messages("da"))
    nav = re.search(r"<nav .*?</nav>", page).group(0)
    assert re.findall(r'href="#([^"]+)"', nav) == ["nøgletal", "hvem-blev-henvist", "årsager", "om-siden"]
    assert page.index("<nav") < page.index('<h2 id="nøgletal">')
    short = '<body><h2 id="a">A</h2></body>'
    assert with_contents(short, Messages("da")) == short


def test_the_index_page_comes_from_its_template_with_viewport_dates_and_links(context):
    project = dataclasses.replace(context.project, config={**context.project.config, "publication_date": "2024-03-01"})
    page = index_page(dataclasses.replace(context, project=project))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "Data udtrukket 31. december 2023. Offentliggjort 1. marts 2024." in page
    assert re.findall(r'href="([^"]+)"', page)[:3] == ["summary.html", "sites/assens.html", "sites/broenderslev.html"]
    assert "Kommuner</h2>" in page and "Kontakt: Evalueringsteamet" in page
