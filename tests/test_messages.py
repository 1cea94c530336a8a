"""Every language has every message, and the reports only ask for messages that exist."""

import re
from pathlib import Path

import pytest

from analysis.reports.messages import LANGUAGES, Messages, format_number

REPORTS = Path(__file__).resolve().parents[1] / "src" / "analysis" / "reports"


def test_all_languages_have_the_same_keys():
    keys = {language: Messages(language).keys() for language in LANGUAGES}
    assert keys["da"] == keys["en"], keys["da"] ^ keys["en"]


def test_every_literal_key_used_by_the_reports_exists():
    used = set()
    for path in REPORTS.glob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_]+)["']""", path.read_text(encoding="utf-8")))
    assert len(used) > 30
    missing = used - Messages("da").keys()
    assert not missing, missing


def test_danish_numbers_use_decimal_comma_and_thousands_dot():
    assert format_number(2378, "da") == "2.378" and format_number(1.654, "da", 2) == "1,65"
    assert format_number(2378.5, "en", 1) == "2,378.5"
    assert Messages("da").percent(0.455) == "46 %"


def test_placeholders_are_filled_and_missing_keys_are_named():
    assert Messages("en").t("report.extraction", date="2023-12-31") == "Data extracted 2023-12-31."
    with pytest.raises(KeyError, match="sections.nope"):
        Messages("da").t("sections.nope")
    with pytest.raises(ValueError, match="no message catalogue"):
        Messages("de").t("sections.funnel")


def test_a_project_may_reword_a_message_but_only_with_its_placeholders():
    from analysis.reports.messages import override_problems

    own = Messages("da", {"sections.subsidy": "Frafald når den gratis periode slutter"})
    assert own.t("sections.subsidy") == "Frafald når den gratis periode slutter"
    assert own.t("sections.retention") == Messages("da").t("sections.retention")
    good = {"da": {"report.site_title": "{title}: {unit} {site}"}}
    assert override_problems(good, "config.yaml") == []
    bad = {"da": {"report.site_titel": "x", "report.site_title": "{title}: {centre}"}, "en": {"text.funnel": "{"}}
    problems = override_problems(bad, "config.yaml")
    assert len(problems) == 3
    assert "messages/da/report.site_titel': no such message" in problems[0]
    assert "unknown placeholder(s) {centre}" in problems[1] and "{site}" in problems[1]
    assert "messages/en/text.funnel" in problems[2]
