"""Row semantics on hand-made files: only key columns reject, plausibility rules, reason keys without raw
values, per-site answer scales, contradictions refused, and `check` as a dry run of the cleaning."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import DEFAULT_PROJECT, REPO
from openpyxl import Workbook
from test_clean_site import HEADER, SITE, _clean, _register
from test_clean_site import _row as _spelt_row

from analysis.clean import reasons
from analysis.clean.ledger import Ledger
from analysis.clean.pseudonym import load_key, pseudonymise
from analysis.clean.site import clean_site, write_site_outputs
from analysis.core.errors import ConfigError, RawInputError
from analysis.pool.combine import people_at_several_sites
from analysis.project.loader import load_project
from analysis.read.values import quotable
from analysis.reports.messages import _catalogue
from analysis.tools.check import check

NO_END = {"Udmeldt": None, "Årsag til stop": None}
DEFAULT_CONFIG = REPO / "config" / "projects" / DEFAULT_PROJECT
# A cell as people really type them: a note with a name, a phone number and a CPR number in a date column.
NOTE = "ring Ole Hansen 20304050 010203-1234"


def _row(**changes):
    """A good register row with canonical association and activity names (so that no repair is recorded)."""
    return _spelt_row(**{"Forening": "Assens Svømmeklub", "Aktivitet": "Svømning", **changes})


def _ledger(result, kind: str) -> dict[int, str]:
    frame = result.ledger.rejected_frame() if kind == "rejected" else result.ledger.repairs_frame()
    field = "reason" if kind == "rejected" else "rule"
    return dict(zip(frame["row"], frame[field], strict=True))


def test_a_fault_outside_the_key_columns_sets_the_value_missing_and_keeps_the_row(site_root):
    rows = [
        _row(),
        _row(**{"CPR-nr.": "720385-1234", "Sidste kontakt": NOTE}),  # unreadable last contact
        _row(**{"CPR-nr.": "730385-1236", "Sidste kontakt": "02-01-2021"}),  # before the referral (04-01-2021)
        _row(**{"CPR-nr.": "740385-1237", "Kontingentstøtte (mdr.)": "seks"}),  # unreadable subsidy months
        _row(**{"CPR-nr.": "750385-1238", "Opstartsdato": NOTE}),  # unreadable start date: a key column
    ]
    project, result = _clean(site_root, rows)
    tally = result.quality["files"][0]
    assert (tally["read"], tally["kept"], tally["repaired"], tally["rejected"]) == (5, 4, 3, 1)
    assert _ledger(result, "rejected") == {6: "date_unreadable"}
    repairs = result.ledger.repairs_frame()
    assert set(repairs.query("row == 3")["rule"]) == {"minor_date_unreadable"}
    assert set(repairs.query("row == 4")["rule"]) == {"last_contact_before_referral"}
    assert "subsidy_months_unreadable" in set(repairs.query("row == 5")["rule"])
    assert set(repairs.query("row == 3")["column"]) == {"Sidste kontakt [N]"}
    people = result.participants.set_index("participant_id")
    key = load_key(project)
    assert pd.isna(people.loc[pseudonymise("7203851234", key), "last_contact_date"])
    assert pd.isna(people.loc[pseudonymise("7303851236", key), "last_contact_date"])
    assert people.loc[pseudonymise("7403851237", key), "subsidy_months"] == 6  # assens's config rule


def test_ages_over_110_are_rejected(site_root):
    # born 1 March 1910 (7th digit 0: 1900s): 110 on 4 January 2021 is allowed, 111 is not.
    rows = [_row(**{"CPR-nr.": "010310-0001"}), _row(**{"CPR-nr.": "010309-0001", "Udmeldt": None})]
    _, result = _clean(site_root, rows)
    assert _ledger(result, "rejected") == {3: "age_out_of_range"}
    assert result.participants["age"].tolist() == [110]


def test_a_re_referral_while_still_enrolled_is_flagged_and_kept(site_root):
    rows = [
        _row(**NO_END),  # started 20-01-2021, never ended
        _row(**{"Henvisningsdato": "01-06-2021", "Opstartsdato": "10-06-2021", **NO_END}),
        _row(**{"CPR-nr.": "720385-1234"}),  # ended 15-09-2021, then referred again after that: no overlap
        _row(**{"CPR-nr.": "720385-1234", "Henvisningsdato": "01-10-2021", "Opstartsdato": None, **NO_END}),
    ]
    _, result = _clean(site_root, rows)
    assert result.ledger.flags_frame()[["row", "flag"]].values.tolist() == [[3, "overlapping_enrolment"]]
    assert result.quality["files"][0]["flags_by_flag"] == {"overlapping_enrolment": 1}
    assert result.quality["totals"]["flags"] == 1 and len(result.participants) == 4


def test_overlapping_enrolments_at_two_sites_are_counted_when_pooled():
    day = pd.Timestamp
    frame = pd.DataFrame(
        {
            "participant_id": ["a", "a", "b", "b", "c", "c"],
            "site": ["x", "y", "x", "y", "x", "x"],
            "referral_date": [day("2021-01-01"), day("2021-03-01"), day("2021-01-01"), day("2021-06-01")] * 1
            + [day("2021-01-01"), day("2021-02-01")],
            "start_date": [day("2021-01-10"), pd.NaT, day("2021-01-10"), day("2021-06-10"), pd.NaT, pd.NaT],
            "end_date": [pd.NaT, pd.NaT, day("2021-05-01"), pd.NaT, pd.NaT, pd.NaT],
        }
    )
    # a: open at x when referred at y (overlap); b: ended at x before y; c: one site only
    assert people_at_several_sites(frame) == 1


SURVEY_HEADER = "CPR;Besvarelsesdato;Hvordan vil du vurdere dit helbred i almindelighed?\r\n"


def test_an_unreadable_response_date_keeps_the_answer_when_it_can_be_placed(site_root):
    survey = (
        SURVEY_HEADER
        + f"7203851234;{NOTE};Godt\r\n"  # one enrolment: the answer stays, its date missing
        + f"7103851233;{NOTE};Godt\r\n"  # two enrolments: cannot be placed
    )
    rows = [_row(), _row(**{"Henvisningsdato": "01-06-2022", **NO_END, "Opstartsdato": None})]
    rows.append(_row(**{"CPR-nr.": "720385-1234"}))
    _, result = _clean(site_root, rows, survey)
    survey_file = f"data/raw/{DEFAULT_PROJECT}/{SITE}/survey_baseline.csv"
    rejected = result.ledger.rejected_frame()
    rejected = rejected[rejected["file"] == survey_file]
    assert rejected[["row", "reason"]].values.tolist() == [[3, "response_date_unreadable_several_enrolments"]]
    repairs = result.ledger.repairs_frame()
    repairs = repairs[(repairs["file"] == survey_file) & (repairs["rule"] != "cpr_normalised")]
    assert repairs[["row", "rule"]].values.tolist() == [[2, "response_date_unreadable"]]
    assert len(result.responses) == 1 and pd.isna(result.responses["response_date"].iloc[0])
    assert result.responses["srh"].iloc[0] == 3


def test_reasons_are_keys_and_no_raw_value_reaches_any_output(site_root):
    rows = [
        _row(),
        _row(**{"CPR-nr.": "720385-1234", "Opstartsdato": NOTE}),
        _row(**{"CPR-nr.": "730385-1236", "Sidste kontakt": NOTE}),
        _row(**{"CPR-nr.": "ring 20304050"}),
    ]
    _, result = _clean(site_root, rows, SURVEY_HEADER + f"7303851236;{NOTE};Godt\r\n")
    out = site_root / "out"
    write_site_outputs(result, out)
    blob = "".join(p.read_text(encoding="utf-8") for p in sorted(out.iterdir()) if p.suffix in (".csv", ".json"))
    for secret in ("Hansen", "20304050", "010203"):
        assert secret not in blob, secret
    assert set(result.ledger.rejected_frame()["reason"]) <= set(reasons.REJECTIONS)
    assert set(result.ledger.repairs_frame()["rule"]) <= set(reasons.REPAIRS)


def test_every_reason_key_has_a_danish_and_an_english_text():
    for language in ("da", "en"):
        texts = _catalogue(language)["row_reasons"]
        assert set(texts) == set(reasons.REASONS), language
        assert all(isinstance(t, str) and t.strip() for t in texts.values())
    assert _catalogue("da")["row_reasons"]["date_unreadable"] != _catalogue("en")["row_reasons"]["date_unreadable"]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Frisør", "Frisør"),
        ("010203-1234", "***"),
        ("0102031234", "***"),
        ("Ole 20 30 40 50", "Ole ***"),
        ("+45 20304050", "***"),
        ("ole@eksempel.dk", "***"),
        ("5", "5"),
        ("1.000", "1.000"),
    ],
)
def test_quoted_values_mask_cpr_numbers_phones_and_e_mail(raw, shown):
    assert quotable(raw) == shown


def test_an_unknown_value_never_prints_a_cpr_number(site_root):
    with pytest.raises(RawInputError) as caught:
        _clean(site_root, [_row(), _row(**{"CPR-nr.": "720385-1234", "Henvist fra": "0102031234"})])
    assert "0102031234" not in str(caught.value) and "unknown value '***'" in str(caught.value)


def _codebook(root, change) -> None:
    path = root / "config" / "projects" / DEFAULT_PROJECT / "codebook.yaml"
    book = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(book)
    path.write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")


def test_a_spelling_with_two_meanings_is_refused_before_anything_runs(site_root):
    def clash(book):
        book["scales"]["srh"]["labels"][4].append("Godt")  # also under 3
        book["register"]["columns"]["end_date"].append("Sidste kontakt")  # also last_contact_date
        book["register"]["drop"].append("Forening")  # also association

    _codebook(site_root, clash)
    with pytest.raises(ConfigError) as caught:
        load_project(DEFAULT_PROJECT, site_root)
    problems = caught.value.problems
    assert any("'scales/srh/labels': 'Godt' is listed under both '3' and '4'" in p for p in problems), problems
    assert any(
        "'register/columns': 'Sidste kontakt' is listed under both 'end_date' and 'last_contact_date'" in p
        for p in problems
    )
    assert any("'register/columns': 'Forening' is listed under both 'association' and 'drop'" in p for p in problems)
    assert len(problems) == 3


def test_a_site_scale_scores_its_own_words_and_unknown_entries_are_refused(site_root):
    def own_scale(book):
        book["survey"]["site_scales"] = {SITE: {"srh": "srh_own"}}
        book["scales"]["srh_own"] = {
            "labels": {
                5: ["Meget godt"],
                4: ["Godt"],
                3: ["Hverken godt eller dårligt"],
                2: ["Dårligt"],
                1: ["Meget dårligt"],
            }
        }

    _codebook(site_root, own_scale)
    survey = SURVEY_HEADER + "7103851233;05-01-2021;Godt\r\n7203851234;05-01-2021;Meget godt\r\n"
    _, result = _clean(site_root, [_row(), _row(**{"CPR-nr.": "720385-1234"})], survey)
    assert sorted(result.responses["srh"].tolist()) == [4, 5]  # 'Godt' is 3 on the common scale

    _codebook(site_root, lambda book: book["survey"]["site_scales"].update({"nowhere/end": {"srh": "none"}}))
    with pytest.raises(ConfigError) as caught:
        load_project(DEFAULT_PROJECT, site_root)
    assert any("no site 'nowhere' in sites.tsv" in p for p in caught.value.problems)
    assert any("unknown scale 'none'" in p for p in caught.value.problems)


def test_a_register_that_contradicts_the_site_sheet_on_end_status_stops_the_site(site_root):
    folder = site_root / "data" / "raw" / DEFAULT_PROJECT
    no_end_column = [h for h in HEADER if h not in ("Udmeldt", "Årsag til stop")]
    book = Workbook()
    book.active.append(no_end_column)
    book.active.append([v for h, v in zip(HEADER, _row(), strict=True) if h in no_end_column])
    book.save(folder / SITE / "register.xlsx")
    project = load_project(DEFAULT_PROJECT, site_root)
    with pytest.raises(RawInputError, match=r"reports end status .* but the register has no end-date column"):
        clean_site(project, SITE)
    _register(folder / "jammerbugt" / "register.xlsx", [_row(**NO_END), _row(**{"CPR-nr.": "720385-1234"})])
    with pytest.raises(RawInputError) as caught:
        clean_site(project, "jammerbugt")
    assert (caught.value.row, caught.value.column) == (3, "Udmeldt [L]")
    assert "does not report end status: set reports_end_status true" in caught.value.detail


def test_check_reports_what_the_cleaning_would_do_and_flags_a_large_loss(site_root):
    raw = site_root / "data" / "raw" / DEFAULT_PROJECT
    for site in ("broenderslev", "fredensborg", "guldborgsund", "helsingoer", "hoeje-taastrup", "viborg", "silkeborg"):
        _register(raw / site / "register.xlsx", [_row()])
    _register(raw / "jammerbugt" / "register.xlsx", [_row(**NO_END)])
    # assens: 20 rows, 4 with a referral date in a style the cleaning does not read (20 %), one last contact
    rows = [_row(**{"CPR-nr.": f"{d:02d}0385-123{d % 10}"}) for d in range(1, 21)]
    for i in (4, 8, 12, 16):
        rows[i] = _row(**{"CPR-nr.": f"{i + 1:02d}0385-123{(i + 1) % 10}", "Henvisningsdato": "uge 1 2021"})
    rows[2] = _row(**{"CPR-nr.": "030385-1233", "Sidste kontakt": "i går"})
    _register(raw / SITE / "register.xlsx", rows)
    report = check(DEFAULT_PROJECT, site_root)
    file = f"data/raw/{DEFAULT_PROJECT}/{SITE}/register.xlsx"
    assert report.problems == [
        f"{file}: would reject 4 of 20 rows (20 %, more than 5 %), most as 'date_unreadable' (rows 6, 10, 14, 18): "
        "likely a format problem (a date style, a shifted column); look at those rows before running"
    ]
    mine = report.files[report.files.index(next(line for line in report.files if line.startswith(file))) :][:4]
    assert mine[0] == f"{file}: 20 rows read; would keep 16 (1 of them repaired) and reject 4"
    assert any(
        line.startswith("  rejected 4: date_unreadable (") and line.endswith("rows 6, 10, 14, 18") for line in mine
    )
    assert any(line.startswith("  repaired 1: minor_date_unreadable (") and line.endswith("rows 4") for line in mine)


def test_file_summaries_reconcile_and_keep_first_rows():
    ledger = Ledger()
    ledger.read_file("f.csv", "survey", "end", "utf-8", 8, [9])
    for row in range(2, 9):
        ledger.reject("f.csv", row, "A", "cpr_missing") if row % 2 else ledger.keep("f.csv")
    ledger.repair("f.csv", 2, "B", "answer_out_of_scale")
    ledger.repair("f.csv", 3, "B", "answer_out_of_scale")  # on a rejected row: not counted as a repaired row
    summary = ledger.file_summaries()[0]
    assert ledger.unreconciled() == ["f.csv"]  # one data row neither kept nor rejected
    ledger.keep("f.csv")
    assert ledger.unreconciled() == []
    assert summary["rejected_by_reason"] == {"cpr_missing": 3, "empty_row": 1}
    assert summary["first_rows"]["rejected"]["cpr_missing"] == [3, 5, 7] and summary["repaired"] == 1


def test_init_marks_its_guesses_and_offers_a_site_its_own_scale(tmp_path):
    from analysis.read.codebook import Codebook
    from analysis.tools.init import Known, init_project

    source = tmp_path / "samples"
    answers = {
        "nord": ["Fremragende", "Godt", "Mindre godt", "Godt"],
        "syd": ["Meget godt", "Godt", "Hverken godt eller dårligt", "Meget dårligt"],
    }
    for site, said in answers.items():
        (source / site).mkdir(parents=True)
        register = "CPR-nr.;Henvist fra;Henvisningsdato;Udmeldt\r\n" + "".join(
            f"0{i}0385-123{i};Sundhed;04-01-2021;{'01-06-2021' if site == 'nord' else ''}\r\n" for i in range(1, 5)
        )
        survey = "CPR;Besvarelsesdato;Hvordan vil du vurdere dit helbred i almindelighed?\r\n" + "".join(
            f"0{i}0385-123{i};05-01-2021;{a}\r\n" for i, a in enumerate(said, start=1)
        )
        (source / site / "register.csv").write_text(register, encoding="utf-8")
        (source / site / "survey_baseline.csv").write_text(survey, encoding="utf-8")
    default = yaml.safe_load((DEFAULT_CONFIG / "codebook.yaml").read_text(encoding="utf-8"))
    init_project("ny", tmp_path, source, known=Known([Codebook(default)]))
    folder = tmp_path / "config" / "projects" / "ny"
    sheet = (folder / "sites.tsv").read_text(encoding="utf-8").splitlines()
    assert sheet[1].split("\t")[3] == "TODO guessed true: the register has end dates; confirm or correct"
    assert sheet[2].split("\t")[3].startswith("TODO guessed false: no end dates")
    book = yaml.safe_load((folder / "codebook.yaml").read_text(encoding="utf-8"))
    assert book["survey"]["site_scales"] == {"syd": {"srh": "srh_syd"}}
    offered = book["scales"]["srh_syd"]["labels"]
    assert list(offered.values()) == [["Meget godt", "Godt", "Hverken godt eller dårligt", "Meget dårligt"]]
    assert next(iter(offered)).startswith("TODO")
    assert not any(str(k).startswith("TODO") for k in book["scales"]["srh"]["labels"])  # nord's words are all known


@pytest.mark.parametrize(("language", "shown"), [("da", "En nøgledato er ikke en dato"), ("en", "A key date is not")])
def test_the_report_shows_each_reason_in_its_language(site_root, language, shown):
    from analysis.reports.context import ReportContext
    from analysis.reports.messages import Messages
    from analysis.reports.site_report import SiteReport

    _, result = _clean(site_root, [_row(), _row(**{"CPR-nr.": "720385-1234", "Opstartsdato": NOTE})])
    empty = pd.DataFrame({"site": pd.Series(dtype="str")})
    context = ReportContext(
        project=load_project(DEFAULT_PROJECT, site_root),
        messages=Messages(language),
        min_cell=5,
        participants=empty,
        responses=empty,
        models={},
        model_summary={},
        quality={SITE: result.quality},
    )
    html = "\n".join(
        item.data for item in SiteReport(context, SITE).quality() if isinstance(getattr(item, "data", None), str)
    )
    assert shown in html and "date_unreadable" not in html and "Hansen" not in html


def test_the_loss_limit_counts_unreadable_values_only_and_needs_three_rows():
    from analysis.tools.check import loss_problem

    def summary(read, **rejected):
        rows = {key: list(range(2, 2 + n)) for key, n in rejected.items()}
        return {"file": "f.csv", "read": read, "rejected_by_reason": rejected, "first_rows": {"rejected": rows}}

    assert loss_problem(summary(3, response_date_missing=2)) is None  # 67 %, but two rows: listed, not flagged
    assert loss_problem(summary(60, date_unreadable=3)) is None  # 5 %: not more than the limit
    assert "would reject 4 of 60 rows (7 %" in loss_problem(summary(60, date_unreadable=4))
    assert loss_problem(summary(20, empty_row=5, respondent_not_in_register=5, duplicate_response=5)) is None
