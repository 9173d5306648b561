"""The span picker's options and features on tiny literal quotes, and the shipped model on them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.compose.candidate import Candidate
from qa.compose.question import analyse, name_words
from qa.compose.spanfeatures import SPAN_FEATURES, UNMODELLED, feature_rows, model_input, option_features
from qa.compose.spanoptions import options
from qa.compose.spanpick import MODEL_DIR, SpanPicker
from qa.models import Chunk, Unit


def _cand(text: str, kind: str = "text", header: list[str] | None = None) -> Candidate:
    chunk = Chunk(id="c1", report_id="acme-2023", source="acme.txt", start=0, end=len(text), section="S", page=1,
                  kind=kind, text=text, header=header)  # type: ignore[arg-type]
    unit = Unit(chunk_index=0, start=0, end=len(text), text=text, kind=kind)  # type: ignore[arg-type]
    return Candidate(unit_index=0, unit=unit, chunk=chunk, hit_rank=0, hit_score=1.0, dense=0.5, coverage=0.5,
                     quote_text=text)


def _feature(info_q: str, c: Candidate, span_text: str, name: str) -> float:
    info = analyse(info_q)
    opt = next(o for o in options(c, info.words) if o.span is not None and o.span.text == span_text)
    return option_features(info, c, opt)[SPAN_FEATURES.index(name)]


SENTENCE = "In 2023, we selected 46 suppliers for audit and completed 40 audits; 12 of them were repeated."


def test_options_cover_figures_names_words_grades_and_none() -> None:
    c = _cand("Our partner Interzero recycles devices. The rating improved to B- and 3 of five sites hold ISO 14001.")
    kinds = {o.kind for o in options(c)}
    assert {"none", "number", "code", "word", "grade", "word_number"} <= kinds
    texts = {o.span.text for o in options(c) if o.span is not None}
    assert {"Interzero", "B-", "five", "ISO 14001"} <= texts
    assert "Our" not in texts and "The" not in texts  # a sentence's first word is no name


def test_options_of_a_table_row_are_its_cells() -> None:
    c = _cand("Hazardous waste (t)\t1.10\t1.43\t2.50", kind="table_row", header=["2023", "2022", "2021"])
    cells = [o for o in options(c) if o.kind == "cell"]
    assert [o.column for o in cells] == ["2023", "2022", "2021"]
    assert _feature("hazardous waste 2022", c, "1.43", "cell_asked_year") == 1.0
    assert _feature("hazardous waste 2022", c, "1.10", "cell_latest") == 1.0
    # no option runs over a tab: a label word and the cell after it are no reference (`Activities 6.6`), no name
    c = _cand("Taxonomy-Non-Eligible Activities\t6.6\t89.2", kind="table_row")
    assert not [o for o in options(c) if o.span is not None and "\t" in o.span.text]


def test_the_words_of_a_figures_clause_are_matched_against_the_question() -> None:
    c = _cand(SENTENCE)
    q = "How many audits did Acme complete in 2023?"
    assert _feature(q, c, "40", "after_first") == 1.0
    assert _feature(q, c, "46", "after_first") == 0.0
    assert _feature(q, c, "40", "clause_match") > _feature(q, c, "12", "clause_match")


def test_ranges_of_figures_are_options() -> None:
    c = _cand("The plant can generate 600,000 to 800,000 kilowatt hours, a risk of between € 25 million and € 100 million.")
    ranges = {o.span.text for o in options(c) if o.kind == "range" and o.span is not None}
    assert ranges == {"600,000 to 800,000", "€ 25 million and € 100 million"}
    c = _cand("We hired 11.6 tons and 6.8 tons.")  # "and" without "between" joins two figures, not a range
    assert not [o for o in options(c) if o.kind == "range"]


def test_a_range_of_number_words_is_one_option() -> None:
    c = _cand("The committee meets three to four times a year and reports two or three topics.")
    ranges = {o.span.text for o in options(c) if o.kind == "range" and o.span is not None}
    assert ranges == {"three to four", "two or three"}
    c = _cand("It has three sites and four plants.")  # two number words apart are two options
    assert not [o for o in options(c) if o.kind == "range"]


def test_a_figure_with_what_it_counts_addresses_and_names_with_model_codes() -> None:
    def texts(t: str) -> set[str]:
        return {o.span.text for o in options(_cand(t)) if o.span is not None}

    counted = texts("We organized over 20 health campaigns, 505 movies in total and 12% of them in 2023.")
    assert {"20 health campaigns", "505 movies", "20", "505"} <= counted  # the bare figures stay options
    assert not any(t.startswith("505 movies in") or t.startswith("12%") and t != "12%" for t in counted)
    # a unit printed with the figure is the figure's (`4000 mAh`, `120W`, `80g`, `2°C`), and what a figure counts is
    # whole words: `4000 mAh` counts no "m"
    assert texts("A 4000 mAh battery charges in 19 minutes.") >= {"4000 mAh", "19 minutes"}
    assert texts("The 120W charger, 80g less plastic, below 2°C.") >= {"120W", "80g", "2°C"}
    assert "4000 m" not in texts("A 4000 mAh battery charges in 19 minutes.")
    found = texts("Reach us at https://trust.mi.com/misrc. Or write to esg-office@example.co.uk.")
    assert {"https://trust.mi.com/misrc", "esg-office@example.co.uk"} <= found  # the full stop is not the address's
    named = texts("We led the 3C Intelligent Manufacturing Innovation Consortium and sold the Electric Scooter 4 Pro.")
    assert {"3C Intelligent Manufacturing Innovation Consortium", "Electric Scooter 4 Pro"} <= named


def test_where_questions_and_roles_or_bodies_of_people() -> None:
    c = _cand("Energy modernization lies with the Chief Rental Officer (CRO), reporting to the Management System. "
              "The “UI Health & Diversity” team manages inclusion.")
    q = "Who at the company is responsible for energy modernization?"
    assert _feature(q, c, "Chief Rental Officer (CRO)", "role_in_span") == 1.0
    assert _feature(q, c, "Management System", "role_in_span") == 0.0  # a system is not a body of people
    assert _feature(q, c, "UI Health & Diversity", "role_after") == 1.0  # the body's word follows its name
    assert _feature(q, c, "Chief Rental Officer (CRO)", "role_after") == 0.0
    assert _feature("Where is the subsidiary headquartered?", c, "UI Health & Diversity", "q_where") == 1.0
    assert _feature(q, c, "UI Health & Diversity", "q_where") == 0.0


def test_a_persons_name_run_into_a_role_is_an_option_of_its_own() -> None:
    c = _cand("Best regards, Tadej Novak ESG Officer and Member of the Management Board (CRO) of Acme Bank AG.")
    named = {o.span.text for o in options(c) if o.span is not None}
    assert "Tadej Novak" in named  # the name before the role its line runs into
    assert "Member of the Management Board" not in named  # a body (`Board`) is no person's role: nothing cut there
    board = {o.span.text for o in options(_cand("The Supervisory Board Chair met twice.")) if o.span is not None}
    assert "Supervisory Board" not in board  # a role word among the first words: no person's name before `Chair`


def test_units_and_number_words_are_whole_words() -> None:
    texts = {o.span.text for o in options(_cand("Emissions of 1,958.9 tonnes were generated, 586,042 tCO2eq in all, "
                                                "4 per 100 FTEs. Thirty-five years ago we had twenty one sites."))
             if o.span is not None}
    assert {"1,958.9 tonnes", "586,042 tCO2eq", "100 FTEs", "Thirty-five", "twenty one"} <= texts
    assert not {"1,958.9 ton", "586,042 tCO2e", "100 FTE", "five"} & texts  # no unit or number cut inside a word


def test_what_a_bracketed_acronym_stands_for_is_an_option() -> None:
    c = _cand("The panel converts well thanks to the innovative Meta Wrap Through (MWT) technology, and the "
              "information security management system (ISMS) of Acme is certified; sales (CapEx) rose.")
    by_text = {o.span.text: o.kind for o in options(c) if o.span is not None}
    assert by_text["Meta Wrap Through"] == "name" and by_text["Meta Wrap Through (MWT)"] == "name"
    assert by_text["information security management system"] == "phrase"  # spelled in lower case: a phrase
    assert not any(t.endswith("(CapEx)") and t != "(CapEx)" for t in by_text)  # `sales` does not spell it
    assert "innovative Meta Wrap Through" not in by_text and "Through (MWT)" not in by_text
    # words far before the acronym: the one the look-back window cuts into is not spelled with
    tail = " ".join(f"{c}{'x' * 14}" for c in "BCDEFGHIJ") + " "
    text = "Zzzzz" + "A" + "y" * (158 - len(tail)) + " " + tail + "(ABCDEFGHIJ) rose."
    assert text.index("(") - 160 == text.index("A")  # the window opens on `A…`, inside `ZzzzzAyy…`
    starts = {o.span.start for o in options(_cand(text)) if o.span is not None}
    assert text.index("A") not in starts


def test_the_answering_company_named_by_itself_is_marked() -> None:
    c = _cand("Acme Industries AG signed a contract with the disposal specialist Interzero. The Group audits it yearly.")
    info = analyse("Which partner disposes of Acme's devices?", name_words(["Acme Industries AG"]))

    def own(span_text: str) -> float:
        opt = next(o for o in options(c, info.words) if o.span is not None and o.span.text == span_text)
        return option_features(info, c, opt)[SPAN_FEATURES.index("own_name")]

    assert own("Acme Industries AG") == 1.0
    assert own("The Group") == 1.0  # how a report names its own company
    assert own("Interzero") == 0.0
    assert _feature("Which partner disposes of Acme's devices?", c, "Acme Industries AG", "own_name") == 0.0  # no names


def test_a_period_between_two_dates_is_one_option() -> None:
    c = _cand("The reporting period of this Report is from January 1, 2020 to December 31, 2020 (this year).")
    found = {o.span.text for o in options(c) if o.kind == "date" and o.span is not None}
    assert {"January 1, 2020 to December 31, 2020", "January 1, 2020", "December 31, 2020"} <= found
    c = _cand("We set the target in March 2021 and met it in May 2023.")  # two dates, no period
    assert not [o for o in options(c) if o.span is not None and o.span.text.startswith("March") and "May" in o.span.text]
    # a part of a year is a date too, beside its year
    c = _cand("The go-live is planned for the first quarter of 2024; the assessment began at the end of 2023, in Q4 2023.")
    found = {o.span.text for o in options(c) if o.kind == "date" and o.span is not None}
    assert {"the first quarter of 2024", "2024", "the end of 2023", "2023", "Q4 2023"} <= found


def test_a_figure_labelled_by_its_year_and_the_year_before_it() -> None:
    c = _cand("In 2023, 417 employees (2022: 444) completed the course.")
    q23, q22 = "employees who completed the course in 2023", "employees who completed the course in 2022"
    assert _feature(q23, c, "444", "year_label_other") == 1.0 and _feature(q22, c, "444", "year_label_asked") == 1.0
    assert _feature(q23, c, "444", "year_label") == 1.0 and _feature(q23, c, "417", "year_label") == 0.0
    assert _feature(q23, c, "417", "year_before_asked") == 1.0 and _feature(q22, c, "417", "year_before_asked") == 0.0
    assert _feature("employees who completed the course", c, "444", "year_label_other") == 0.0  # no year asked
    assert _feature(q23, c, "444", "in_parens") == 1.0 and _feature(q23, c, "417", "in_parens") == 0.0
    # and the year right after a figure
    c = _cand("Water use fell to around 22,250 m³ in 2023, after almost 33,000 m³ in 2020.")
    q20 = "Acme water consumption 2020 m³"
    assert _feature(q20, c, "33,000 m³", "year_after_asked") == 1.0 and _feature(q20, c, "22,250 m³", "year_after_other") == 1.0
    assert _feature(q20, c, "22,250 m³", "year_after_asked") == 0.0
    # a month (and day) between the figure and its year
    c = _cand("Three loans were issued: EUR 56 million in November 2021, EUR 37 million in November 2022 and a "
              "headcount of 1,204 as at 31 December 2023.")
    q22 = "How large was the loan Acme issued in November 2022?"
    assert _feature(q22, c, "EUR 37 million", "year_after_asked") == 1.0
    assert _feature(q22, c, "EUR 56 million", "year_after_other") == 1.0
    assert _feature("Acme headcount 2023", c, "1,204", "year_after_asked") == 1.0
    # a year with a colon after a figure labels the next figure, not this one
    c = _cand("In 2023, a total of 1,100,714 passenger kilometers (2022: 680,397; 2021: 134,197) were travelled by rail.")
    q22 = "Acme passenger kilometres travelled by rail in 2022"
    assert _feature(q22, c, "1,100,714 passenger kilometers", "year_after_asked") == 0.0
    assert _feature(q22, c, "680,397", "year_label_asked") == 1.0
    # a target's year after its figure (`by 4.5% by 2026`) is that figure's year
    c = _cand("Acme aims to cut emissions by 4.5% by 2026; it has cut them by 21.12% so far.")
    assert _feature("Acme emission cut achieved by the end of 2022", c, "4.5%", "year_after_other") == 1.0
    assert _feature("Acme emission cut target for 2026", c, "4.5%", "year_after_asked") == 1.0


def test_the_question_head_noun_beside_or_inside_an_option() -> None:
    c = _cand("Acme cooperates with the recycling specialist AfB gGmbH and was awarded the “Silver Medal” by EcoVadis.")
    assert _feature("Which recycling specialist does Acme use?", c, "AfB", "head_before") == 1.0
    assert _feature("Which recycling specialist does Acme use?", c, "EcoVadis", "head_before") == 0.0
    assert _feature("Which medal was Acme awarded?", c, "Silver Medal", "head_in_span") == 1.0
    c = _cand("The new app called Wensheng launched on April 27, 2020.")
    assert _feature("What is the app called?", c, "Wensheng", "called_before") == 1.0
    assert _feature("app release date", c, "April 27, 2020", "date_grain") == 1.0
    assert _feature("app release date", c, "April 27, 2020", "time_prep") == 1.0


def test_an_options_features_against_the_quotes_other_options() -> None:
    c = _cand("As of December 31, 2023, Acme's stores covered 28 provinces and 267 cities.")
    info = analyse("number of cities covered by Acme stores 2023")
    opts = options(c, info.words)
    rows = dict(zip([o.span.text if o.span else None for o in opts], feature_rows(info, c, opts), strict=True))
    head = SPAN_FEATURES.index("rel_head")
    # the figures whose counted noun is the question's head ("267", "267 cities": a tie, 0) against those whose
    # is not
    assert rows["267"][head] == rows["267 cities"][head] == 0.0
    assert rows["28"][head] == rows["28 provinces"][head] == -1.0
    assert rows[None][head] == 0.0  # highlighting nothing is no option to compare with
    # alone, an option has no other to be compared with
    assert option_features(info, c, next(o for o in opts if o.span and o.span.text == "267"))[head] == 0.0


def test_features_are_finite_for_every_option() -> None:
    c = _cand(SENTENCE)
    info = analyse("audits completed 2023")
    X = np.array([option_features(info, c, o, 5) for o in options(c, info.words)])
    assert X.shape[1] == len(SPAN_FEATURES) and np.isfinite(X).all()


def test_shipped_span_model_picks_the_described_figure() -> None:
    picker = SpanPicker.load()
    if picker is None:
        pytest.skip("no trained span model in the package yet")
    c = _cand(SENTENCE)
    picker.pick(analyse("How many audits did Acme complete in 2023?"), c)
    assert c.answer is not None and c.answer.text in ("40", "40 audits")  # the figure, alone or with what it counts
    c = _cand("This year, 2,426 employees took parental leave and 97% of them returned to work.")
    picker.pick(analyse("What share of employees returned to work after parental leave?"), c)
    assert c.answer is not None and c.answer.text == "97%"


def test_the_unmodelled_features_are_computed_but_never_read_by_the_model() -> None:
    c = _cand(SENTENCE)
    info = analyse("How many audits did Acme complete in 2023?")
    opts = options(c, info.words)
    X = np.array(feature_rows(info, c, opts))
    cols = [SPAN_FEATURES.index(f) for f in UNMODELLED]
    assert X[:, cols].any()  # computed: the confidence reads the chosen span's clause match
    M = model_input(X)
    assert not M[:, cols].any() and np.array_equal(np.delete(M, cols, axis=1), np.delete(X, cols, axis=1))
    manifest = MODEL_DIR / "span.json"
    if not manifest.exists():
        pytest.skip("no trained span model in the package yet")
    gains = json.loads(manifest.read_text(encoding="utf-8"))["feature_importance_gain"]
    assert all(gains[f] == 0 for f in UNMODELLED)  # the shipped model was fitted without them


def test_a_missing_or_stale_span_model_is_not_served(tmp_path: Path) -> None:
    assert SpanPicker.load(tmp_path) is None
    (tmp_path / "span.json").write_text(json.dumps({"features": ["old"]}), encoding="utf-8")
    (tmp_path / "span.txt").write_text("garbage", encoding="utf-8")
    assert SpanPicker.load(tmp_path) is None
    (tmp_path / "span.json").write_text(json.dumps({"features": list(SPAN_FEATURES)}), encoding="utf-8")
    assert SpanPicker.load(tmp_path) is None  # right features, unreadable model
    assert (MODEL_DIR / "span.json").exists()


def test_a_typed_question_gets_a_span_of_its_kind() -> None:
    picker = SpanPicker.load()
    if picker is None:
        pytest.skip("no trained span model in the package yet")
    c = _cand("Acme has signed a contract with its partner, the disposal service provider Interzero, for old devices.")
    picker.pick(analyse("Which disposal partner does Acme use for old devices?"), c)
    assert c.answer is not None and c.answer.text == "Interzero"
    c = _cand("Acme set a target, with reference to the ISO Net Zero Guidelines (IWA 42:2022), to reach net zero by 2040.")
    picker.pick(analyse("When does Acme aim to reach net zero?"), c)
    assert c.answer is not None and c.answer.text == "2040"  # a date question is answered by a date, not a code
    assert -5.0 <= c.extra["span_margin"] <= 5.0 and 0.0 <= c.extra["span_clause"] <= 1.0


def test_a_share_asked_fits_a_share_offered() -> None:
    c = _cand("This year, 2,426 employees took parental leave and 97% of them returned to work.")
    q = "What share of employees returned to work after parental leave?"
    assert _feature(q, c, "97%", "percent_fit") == 1.0 and _feature(q, c, "97%", "percent_clash") == 0.0
    assert _feature(q, c, "2,426", "percent_fit") == 0.0 and _feature(q, c, "2,426", "percent_clash") == 1.0
    q = "How many employees took parental leave?"
    assert _feature(q, c, "97%", "percent_fit") == 0.0 and _feature(q, c, "2,426", "percent_clash") == 0.0


def test_a_rows_date_decides_its_year_fit() -> None:
    from qa.compose.span import SpanExtractor
    from qa.models import ReportInfo

    report = ReportInfo(id="acme-2023", company="Acme", title="Acme 2023", year=2023, years_covered=[2022, 2023],
                        source="acme.txt", original_name="acme.txt", sha256="0" * 64)
    fits = {}
    for as_of in ("12/31/2023", "12/31/2022"):
        c = _cand("Female\t130\t142\t25\t297", kind="table_row", header=["<30", "30-50", ">50", "Total"])
        c.chunk = c.chunk.model_copy(update={"as_of": as_of})
        SpanExtractor({report.id: report}).extract(analyse("How many female employees under 30 were there in 2022?"), c)
        fits[as_of] = c.year_fit
    assert fits["12/31/2022"] == 1.0 and fits["12/31/2023"] < 0.5
    # no year asked: the rows of the report's own year fit, an earlier year's do not
    fits = {}
    for as_of in ("2023", "2022"):
        c = _cand("Average age\t41.5\t42.9\t37.4", kind="table_row")
        c.chunk = c.chunk.model_copy(update={"as_of": as_of})
        SpanExtractor({report.id: report}).extract(analyse("Acme employees average age"), c)
        fits[as_of] = c.year_fit
    assert fits["2022"] < 0.4 <= fits["2023"]
    # a table with a row per year: the row's year decides, not the report's
    fits = {}
    for year in ("2023", "2022¹"):
        c = _cand(f"{year}\t4,538\t149,968\t39", kind="table_row", header=["Area in m²", "kWh", "t CO2e"])
        SpanExtractor({report.id: report}).extract(analyse("Acme district heat consumption kWh 2023"), c)
        fits[year] = c.year_fit
    assert fits["2023"] == 1.0 and fits["2022¹"] < 0.5


def test_the_words_right_after_a_figure_and_a_part_of_a_figure() -> None:
    c = _cand("In 2023, Acme hired 785 full-time employees, of which 210 were new graduates, and recycled 25 tons of "
              "electronic waste.")
    q = "How many full-time employees did Acme hire in 2023?"
    assert _feature(q, c, "785", "phrase_match") > _feature(q, c, "210", "phrase_match") == 0.0
    assert _feature(q, c, "785", "phrase_head") == 1.0 and _feature(q, c, "25 tons", "phrase_head") == 0.0
    assert _feature(q, c, "210", "subset_intro") == 1.0 and _feature(q, c, "785", "subset_intro") == 0.0
    q = "electronic waste recycled by Acme 2023"  # `of` after a unit is read through
    assert _feature(q, c, "25 tons", "phrase_match") > _feature(q, c, "785", "phrase_match") == 0.0


def test_a_counted_noun_is_read_with_what_it_is_of() -> None:
    # `13,250 sets of medical protective clothing`: after a counted noun, the words after `of` say what is counted
    c = _cand("The foundation donated RMB2.972 million in medical supplies, including 13,250 sets of medical "
              "protective clothing.")
    q = "How many sets of medical protective clothing did the foundation donate?"
    assert _feature(q, c, "13,250", "phrase_match") > 0.5 > _feature(q, c, "RMB2.972 million", "phrase_match")


def test_the_answer_kind_model_makes_a_highlight_obligatory() -> None:
    picker = SpanPicker.load()
    if picker is None:
        pytest.skip("no trained span model in the package yet")
    c = _cand("The Board has appointed the Corporate Governance Committee to oversee ESG matters on its behalf.")
    info = analyse("Which board committee oversees ESG issues?")
    assert info.qtype not in ("entity", "count", "numeric", "percent", "date")  # the wording alone asks for no span
    name_asked = replace(info, kinds=(0.05, 0.05, 0.75, 0.05, 0.1))  # number, date, name, phrase, none
    picker.pick(name_asked, c)
    assert c.answer is not None and c.answer.text == "Corporate Governance Committee"


class _Prefers:
    """A stand-in span model that scores each option by one of its features."""

    n_features = len(SPAN_FEATURES)

    def __init__(self, feature: str) -> None:
        self.column = SPAN_FEATURES.index(feature)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return X[:, self.column]


def _highlight(prefers: str, question: str, row: str, header: list[str], years_covered: list[int]) -> str | None:
    """The highlight of a table row, extracted by the rules and re-chosen by a picker over a stand-in model."""
    from qa.compose.span import SpanExtractor
    from qa.models import ReportInfo

    report = ReportInfo(id="acme-2023", company="Acme", title="Acme", year=max(years_covered),
                        years_covered=years_covered, source="acme.txt", original_name="acme.txt", sha256="0" * 64)
    c = _cand(row, kind="table_row", header=header)
    info = analyse(question)
    SpanExtractor({report.id: report}).extract(info, c)
    SpanPicker(_Prefers(prefers)).pick(info, c)  # type: ignore[arg-type]
    return c.answer.text if c.answer else None


def test_the_empty_cell_of_an_asked_year_stands() -> None:
    """A row whose asked year's cell is empty (`-`, `k.A`) gives no figure for that year: the highlight stays on
    that cell (and the confidence's empty-cell cue refuses), even with a model that prefers the latest year's
    figure beside it; a year with a figure, or no year asked, is left to the model."""

    def highlight(question: str, row: str) -> str | None:
        return _highlight("cell_latest", question, row, ["2023", "2022", "2021"], [2021, 2023])

    row = "Packaging materials (t)\t5,065.08\t-\t38.5"
    assert highlight("How many tonnes of packaging materials were used in 2022?", row) == "-"
    assert highlight("How many tonnes of packaging materials were used in 2022?", row.replace("-", "k.A")) == "k.A"
    assert highlight("How many tonnes of packaging materials were used in 2021?", row) == "38.5"
    assert highlight("How many tonnes of packaging materials were used?", row) == "5,065.08"


def test_a_column_the_question_names_besides_its_year_is_read() -> None:
    """The rule extractor's cell of the asked year stands, unless the question names another column's header
    by a word besides a year ("… Austria 2020" under `2019 | 2020 | Germany | Austria`): then the model
    chooses among the cells of the named columns only, even a model that prefers the asked year's cell."""

    def highlight(question: str) -> str | None:
        return _highlight("cell_asked_year", question, "Training cost per employee (€)\t310.2\t332.4\t330.9\t371.4",
                          ["2019", "2020", "Germany", "Austria"], [2019, 2020])

    assert highlight("Training cost per employee in Austria in 2020") == "371.4"
    assert highlight("Training cost per employee in 2020") == "332.4"  # no column named: the asked year's cell
    # a place's adjective names its column ("the Austrian portfolio", "German sites")
    assert highlight("Training cost per employee at Austrian sites in 2020") == "371.4"
    assert highlight("What was the training cost per employee in the German business in 2020?") == "330.9"


def test_a_generic_word_names_a_column_too() -> None:
    """"total", "group" or "overall" are never key terms (most questions use them), but they name a column:
    "how many … in total in 2022" under `Male 2022 | Female 2022 | Total 2022` reads the total, even with a model
    that prefers the asked year's first cell; a row whose label holds the word keeps the asked year's cell."""

    def highlight(question: str, row: str) -> str | None:
        return _highlight("cell_asked_year", question, row,
                          ["Male 2023", "Male 2022", "Female 2023", "Female 2022", "Total 2023", "Total 2022"], [2022, 2023])

    row = "Employees taking parental leave\t7\t19\t33\t32\t40\t51"
    assert highlight("How many Acme employees in total took parental leave in 2022?", row) == "51"
    assert highlight("How many Acme employees took parental leave in 2022?", row) == "19"  # no column named
    assert highlight("How many female employees took parental leave in 2022?", row) == "32"
    total_row = "Total employees taking parental leave\t7\t19\t33\t32\t40\t51"  # "total" names the row
    assert highlight("How many Acme employees in total took parental leave in 2022?", total_row) == "19"
    # a year word names no column ("in the year 2022" and a `Target year` column): the asked year's cell stands
    target = _highlight("cell_asked_year", "CO2 reduction of Acme in the year 2022 (%)", "CO2 reduction (%)\t12\t15\t2030",
                        ["2021", "2022", "Target year"], [2021, 2022])
    assert target == "15"


def test_the_picker_tells_the_confidence_its_lead_and_the_year_of_its_span() -> None:
    """For the confidence: how far the chosen span leads the next one, and whether a year other than the asked one
    labels it (the asked year's figure may be missing from the quote)."""
    c = _cand("Water use fell to 22,250 m³ in 2023, after 33,000 m³ in 2020.")
    info = analyse("Acme water consumption 2021 m³")
    SpanPicker(_Prefers("year_after_other")).pick(info, c)  # type: ignore[arg-type]
    assert c.extra["span_year_other"] == 1.0 and c.extra["span_gap"] == 0.0  # two figures alike: no lead
    c = _cand("Water use fell to 22,250 m³ in 2023, after 33,000 m³ in 2020.")
    SpanPicker(_Prefers("year_after_asked")).pick(analyse("Acme water consumption 2020 m³"), c)  # type: ignore[arg-type]
    assert c.answer is not None and c.answer.text == "33,000 m³"
    assert c.extra["span_year_other"] == 0.0 and c.extra["span_gap"] == 1.0


def test_a_quotes_lead_and_the_top_quotes_reordered_by_it() -> None:
    """`SpanPicker.lead`: how far the quote's best span leads highlighting nothing (0 for a question that asks no
    span); `rerank_by_lead` re-orders only the top quotes, by ranker score plus the weighted lead."""
    from qa.compose.composer import rerank_by_lead

    picker = SpanPicker(_Prefers("after_first"))  # type: ignore[arg-type]
    fits = _cand("Acme completed 40 audits in 2023.")
    other = _cand("Acme selected 46 suppliers in 2023.")
    q = analyse("How many audits did Acme complete in 2023?")
    assert picker.lead(q, fits) == 1.0 and picker.lead(q, other) == 0.0
    assert picker.lead(analyse("Does Acme audit its suppliers?"), fits) == 0.0  # a yes/no question: no span asked
    third = _cand("Acme audits.")
    other.score, fits.score, third.score = 1.0, 0.8, 0.5
    cands = [other, fits, third]
    rerank_by_lead(cands, lambda c: picker.lead(q, c), 0.3, 2)
    assert cands == [fits, other, third]
    cands = [other, fits, third]
    rerank_by_lead(cands, lambda c: picker.lead(q, c), 0.1, 2)  # too small a lead to pass a better-ranked quote
    assert cands == [other, fits, third]
    rerank_by_lead(cands, lambda c: 10.0 if c is third else 0.0, 0.3, 2)  # below the top two: left where it is
    assert cands[2] is third


def test_how_often_is_offered_as_a_span() -> None:
    c = _cand("On a bi-annual basis, the Board receives updates. The group meets quarterly and audits twice a year.")
    freq = [o.span.text for o in options(c) if o.kind == "freq" and o.span is not None]
    assert freq == ["On a bi-annual basis", "quarterly", "twice a year"]
    info = analyse("How often does the Acme board receive ESG updates?")
    assert option_features(info, c, next(o for o in options(c) if o.kind == "freq"))[SPAN_FEATURES.index("q_often")] == 1.0


def test_each_figure_owns_the_words_between_it_and_its_neighbours() -> None:
    # the words after "and" describe the second figure, not the first: its own words match the question better
    text = "This year, the hotline satisfaction rate reached 97.25%, and the online channel satisfaction rate reached 90.61%."
    c = _cand(text)
    info = analyse("What was the satisfaction rate of Acme's online channel?")
    opts = [o for o in options(c, info.words) if o.kind in ("none", "number")]
    rows = dict(zip([o.span.text if o.span else None for o in opts], feature_rows(info, c, opts), strict=True))
    precision, rel = SPAN_FEATURES.index("seg_precision"), SPAN_FEATURES.index("rel_segp")
    assert rows["90.61%"][precision] > rows["97.25%"][precision]
    assert rows["90.61%"][rel] > 0 > rows["97.25%"][rel]
    assert rows[None][precision] == 0.0  # "none" owns no words
    # a word of another kind between two figures (a frequency, a name) does not cut a figure's words
    c = _cand("Acme has over 120 million cumulative users and over 20 million monthly active users.")
    info = analyse("Acme monthly active users")
    opts = options(c, info.words)
    rows = dict(zip([o.span.text if o.span else None for o in opts], feature_rows(info, c, opts), strict=True))
    recall = SPAN_FEATURES.index("seg_recall")
    assert rows["20 million"][recall] > rows["120 million"][recall]


def test_a_figure_of_a_target_the_question_does_not_ask_about() -> None:
    c = _cand("We recycled 4,500 tons of e-waste. By 2026 we are committed to using 5,000 tons of recycled materials.")
    target = SPAN_FEATURES.index("target_unasked")
    info = analyse("How much e-waste did Acme recycle?")
    opts = options(c, info.words)
    rows = dict(zip([o.span.text if o.span else None for o in opts], feature_rows(info, c, opts), strict=True))
    assert rows["5,000 tons"][target] == 1.0 and rows["4,500 tons"][target] == 0.0
    asked = analyse("What recycled materials target has Acme committed to?")
    assert all(r[target] == 0.0 for r in feature_rows(asked, c, options(c, asked.words)))


def test_a_figure_of_the_previous_year_and_the_years_a_sentence_names() -> None:
    c = _cand("In 2023, Acme recorded 15 accidents at all locations (previous year: 22).")
    info = analyse("Acme number of workplace accidents 2022")
    opts = options(c, info.words)
    rows = dict(zip([o.span.text if o.span else None for o in opts], feature_rows(info, c, opts), strict=True))
    prev, other, asked = (SPAN_FEATURES.index(f) for f in ("prev_label", "year_before_other", "asked_year_in_quote"))
    assert rows["22"][prev] == 1.0 and rows["15"][prev] == 0.0
    assert rows["15"][other] == 1.0  # the sentence reports 2023, not the asked 2022
    assert rows["15"][asked] == 0.0
    info = analyse("Acme number of workplace accidents 2023")
    assert option_features(info, c, next(o for o in opts if o.span and o.span.text == "15"))[asked] == 1.0


def test_a_name_offers_its_rest_after_the_question_words() -> None:
    c = _cand("Acme Smart Kettle Pro Golden Pin Design Award\n\nAcme Desk Lamp Red Dot Design Award")
    info = analyse("Which design award did the Acme Smart Kettle Pro win?")
    texts = [o.span.text for o in options(c, info.words) if o.span is not None]
    assert "Golden Pin Design Award" in texts  # the award printed after the product on its line
    assert "Red Dot Design Award" not in texts  # another product's line: the question's words do not open it
    info = analyse("Which Acme standard governs supplier emissions?")  # one question word opening a name is not enough
    c = _cand("The Acme Supplier Emission Standard applies to all suppliers.")
    assert "Supplier Emission Standard" not in [o.span.text for o in options(c, info.words) if o.span is not None]


def test_a_previous_year_figure_is_the_asked_one_when_the_year_before_the_reports_is_asked() -> None:
    c = _cand("The rate came in at 123 percent as of December 31 (previous year: 130 percent).")
    c.extra["report_year"] = 2023.0
    q22, q23 = "What was Acme's retention rate in 2022?", "What was Acme's retention rate in 2023?"
    assert _feature(q22, c, "130 percent", "prev_asked") == 1.0 and _feature(q22, c, "130 percent", "prev_unasked") == 0.0
    assert _feature(q23, c, "130 percent", "prev_unasked") == 1.0 and _feature(q23, c, "130 percent", "prev_asked") == 0.0
    assert _feature(q22, c, "123 percent", "prev_asked") == 0.0  # not labelled "previous year"



def test_a_templates_later_block_of_figures_and_a_year_before_the_reports() -> None:
    """A row of a template (an EU taxonomy table: the figures of the year, criteria flags, the shares of the year
    before) marks the figures after its word cells; a question about a year before the report's own says so."""
    row = "Manufacture of widgets CCM 3.6\t53.7\t21.5\tY\tN/EL\tN/EL\tY\t49.8\t19.9\tE"
    c = _cand(row, kind="table_row")
    c.extra["report_year"] = 2023.0
    q22, q23, q = "Acme widget turnover 2022 € million", "Acme widget turnover 2023 € million", "Acme widget turnover"
    assert _feature(q22, c, "53.7", "cell_after_flags") == 0.0 and _feature(q22, c, "49.8", "cell_after_flags") == 1.0
    assert _feature(q22, c, "19.9", "cell_after_flags") == 1.0
    assert _feature(q22, c, "49.8", "asked_prior") == 1.0
    assert _feature(q23, c, "49.8", "asked_prior") == 0.0 and _feature(q, c, "49.8", "asked_prior") == 0.0
    dashes = _cand("Widgets (t)\t12.0\t–\tn/a\t14.0", kind="table_row")  # empty cells are not word cells
    assert _feature(q23, dashes, "14.0", "cell_after_flags") == 0.0



def test_phrases_of_common_words_are_options_of_running_text() -> None:
    c = _cand("Compliance is monitored by the local management. Acme hands old hardware to an IT remarketing provider "
              "and appointed a dedicated officer for Purchasing. In 2020 the Boston Consulting Group ranked Acme 24th.")
    got = [o.span.text for o in options(c) if o.kind == "phrase" and o.span is not None]
    # the determiner left out; an acronym leads a phrase (`IT` is no pronoun); one option more runs on over `for`
    assert got == ["local management", "IT remarketing provider", "dedicated officer", "dedicated officer for Purchasing"]
    # a phrase does not end in a verb after a joining word (`… responsible for managing`)
    c2 = _cand("The Sustainability Committee is the highest committee responsible for managing climate-related issues.")
    assert [o.span.text for o in options(c2) if o.kind == "phrase" and o.span is not None] == [
        "highest committee responsible"]
    # a name followed by its verb is no phrase (`the Boston Consulting Group ranked`); a table row's cells stand
    row = _cand("Responsible body\tthe local management", kind="table_row", header=["2023"])
    assert not [o for o in options(row) if o.kind == "phrase"]
    info = analyse("Who monitors compliance at Acme?")
    assert _feature("Who monitors compliance at Acme?", c, "local management", "is_phrase") == 1.0 and info.qtype



def test_a_phrase_with_a_word_in_s_that_may_be_its_verb_offers_the_words_before_it() -> None:
    c = _cand("The control system integrated into the frequency converter ensures that the torque is right. "
              "We run the waste management systems at all sites.")
    got = [o.span.text for o in options(c) if o.kind == "phrase" and o.span is not None]
    # `ensures` is a verb here, `systems` a plural noun: the picker chooses, both readings are offered
    assert {"frequency converter ensures", "frequency converter", "waste management systems",
            "waste management"} <= set(got)
    assert "control" not in got  # `integrated`, in -ed, already ended that phrase; a word after one in -s is kept


def test_names_and_capitalised_words_begin_with_any_capital_and_run_over_an_ampersand() -> None:
    c = _cand("The chair went to Professor Jan Üblacker. Since 2023 the Risk Stream Transformation & Development unit "
              "reports to the board, and Öresund consults.")
    texts = {o.span.text for o in options(c) if o.span is not None}
    assert {"Professor Jan Üblacker", "Risk Stream Transformation & Development", "Öresund"} <= texts
    assert "Professor Jan" not in texts and "Risk Stream Transformation" not in texts


def test_a_figure_read_with_spaces_between_groups_of_three_offers_each_group() -> None:
    # a row printed without tabs (`total women men average`): `540 385 155` may be one figure or three cells
    c = _cand("Acme Bank Belgrade 540 385 155 13.0 12.0 14.0 (Serbia)")
    texts = [o.span.text for o in options(c) if o.span is not None and o.kind == "number"]
    assert {"540 385 155", "540", "385", "155", "13.0"} <= set(texts)
    c = _cand("Acme employs 1,049 people in 12 countries")  # no groups of three by spaces: nothing added
    assert [o.span.text for o in options(c) if o.span is not None and o.kind == "number"] == [
        "1,049", "12", "1,049 people", "12 countries"]


def test_a_share_sign_after_a_space_asks_for_a_share() -> None:
    from qa.compose.spanfeatures import question_features

    assert question_features(analyse("Acme CapEx passenger cars CCM 6.5 % of the total"))["q_rate"] == 1.0
    assert question_features(analyse("Acme CapEx passenger cars 6.5%"))["q_rate"] == 1.0
    assert question_features(analyse("Acme CapEx passenger cars EUR million"))["q_rate"] == 0.0


def test_an_acts_number_and_a_list_of_pages_are_options() -> None:
    c = _cand("Acme follows Regulation (EU) 2021/2178, Directive 2009/147/EC and Council Regulation (EC) No. 2157/2001 "
              "of 8 October 2001, as set out on P. 8, 9, 10 of the index.")
    texts = {o.span.text for o in options(c) if o.span is not None and o.kind == "number"}
    assert {"(EU) 2021/2178", "2021/2178", "2009/147/EC", "(EC) No. 2157/2001", "No. 2157/2001", "P. 8, 9, 10"} <= texts
    c = _cand("Acme reached 50/50 parity, open 24/7, in 2022/23.")  # a ratio, hours, a span of years: no act
    texts = {o.span.text for o in options(c) if o.span is not None and o.kind == "number"}
    assert not {"50/50", "24/7", "2022/23"} & texts


def test_codes_and_legal_references_are_options() -> None:
    c = _cand("Carbon footprint: SASB TC-SI-130a and DIN 18040-2. Climate change (ESRS E1), own workforce (S1), "
              "KPI B6.1. Under Sec. 289c (2) No 2 HGB, section 315e(1) and Art. 15 GDPR.")
    texts = {o.span.text for o in options(c) if o.span is not None}
    assert {"SASB TC-SI-130a", "TC-SI-130a", "DIN 18040-2", "ESRS E1", "E1", "S1", "KPI B6.1", "B6.1"} <= texts
    assert {"Sec. 289c", "Sec. 289c (2) No 2 HGB", "section 315e(1)", "Art. 15", "Art. 15 GDPR"} <= texts
    texts = {o.span.text for o in options(_cand("Under Section 76 (4) German Stock Corporation Act.")) if o.span}
    assert "Section 76 (4)" in texts and "Section 76 (4) German" not in texts  # a law's short name has two capitals
    c = _cand("Sales rose 5.1% in 2023 to EUR 288.0 million.")  # a currency and its figure are no code
    assert not {o.span.text for o in options(c) if o.span is not None and o.kind == "code"}


def test_names_joined_by_and_are_offered_one_by_one() -> None:
    texts = {o.span.text for o in options(_cand("Signed by Nils Borcherding and Marcus Carius, auditors.")) if o.span}
    assert {"Nils Borcherding and Marcus Carius", "Nils Borcherding", "Marcus Carius"} <= texts
    texts = {o.span.text for o in options(_cand("Our Research and Development unit and Ministry of Economy and Finance."))
             if o.span}
    assert not {"Research", "Development", "Finance", "Ministry of Economy"} & texts  # one name each


def test_names_run_over_by_and_name_particles_but_not_over_a_verb_before_by() -> None:
    texts = {o.span.text for o in options(_cand(
        "We follow Privacy by Design and Security by Default, the Estatuto de los Trabajadores and are members of "
        "the Freunde der Pinakothek. Conducted by Acme Consulting."))
        if o.span}
    assert {"Privacy by Design and Security by Default", "Privacy by Design", "Security by Default",
            "Estatuto de los Trabajadores", "Freunde der Pinakothek", "Acme Consulting"} <= texts
    assert not {t for t in texts if t.startswith("Conducted")}
    # `and the` stays a gap between two names (`Canada and the United States`): no article after `and`
    texts = {o.span.text for o in options(_cand("except Canada and the United States, where we operate as "
                                                "MilliporeSigma in the Life Science business."))
             if o.span}
    assert "MilliporeSigma" in texts and "Canada and the United States" not in texts


def test_a_name_is_offered_without_the_bracket_it_ends_with() -> None:
    texts = {o.span.text for o in options(_cand("The segment is headquartered in Ellwangen/Jagst (Baden-Württemberg)."))
             if o.span}
    assert {"Ellwangen/Jagst (Baden-Württemberg)", "Ellwangen/Jagst"} <= texts


def test_phrases_without_a_determiner_after_a_preposition() -> None:
    c = _cand("The taxes are audited annually by independent tax consultants. Our culture is based on appreciation, "
              "and the rules prohibit it in the field of robotics and production automation.")
    got = {o.span.text for o in options(c) if o.kind == "phrase" and o.span is not None}
    assert {"independent tax consultants", "appreciation", "robotics", "robotics and production automation"} <= got
    assert "annually" not in got  # `audited annually`: no preposition before it


def test_telephone_numbers_and_a_paragraph_cited_by_number_alone_are_options() -> None:
    texts = {(o.kind, o.span.text) for o in options(_cand(
        "Hotline: 010-5328-5678, T +49 89 4 27 71 0. As stipulated by 315b (3) HGB, the company reports 12 (5) sites."))
        if o.span}
    assert {("code", "010-5328-5678"), ("code", "+49 89 4 27 71 0"), ("number", "315b (3) HGB"),
            ("number", "315b (3)")} <= texts
    assert not {t for _, t in texts if t.startswith("12 (")}  # a figure with another in brackets cites no law


def test_a_part_of_a_year_before_a_date_is_offered_with_it() -> None:
    c = _cand("Due to be completed by year-end 2024. In mid-May 2020 and as early as 2013, and in early 2023 too. "
              "In financial year 2023, three reports came in.")
    texts = {o.span.text for o in options(c) if o.span is not None and o.kind == "date"}
    assert {"year-end 2024", "mid-May 2020", "as early as 2013", "early 2023", "2024", "May 2020"} <= texts
    assert "In financial year 2023" in texts


def test_a_name_is_offered_as_its_brackets_pair_up() -> None:
    c = _cand("The surveys of the Listening strategy (Connect@ATOSS Engagement Survey and Pulse Survey) help. "
              "It applies the code of the Wirtschaftsprüfer (Institute of Public Auditors in Germany")
    texts = {o.span.text for o in options(c) if o.span is not None and o.kind == "name"}
    assert {"Pulse Survey", "ATOSS Engagement Survey", "Institute of Public Auditors in Germany"} <= texts
    assert not {t for t in texts if t.count("(") != t.count(")")}  # no bracket left open or closed alone


def test_a_figure_glued_to_an_ampersand_is_part_of_a_name() -> None:
    c = _cand("Smartphones that 1&1 provides to its 12 customers, which 1&1 will use exclusively.")
    texts = {o.span.text for o in options(c) if o.span is not None}
    assert "12 customers" in texts
    assert not {t for t in texts if t.startswith("1 ")}  # `1 provides`, `1 will use exclusively`


def test_a_bound_before_how_often_and_round_the_clock_and_what_a_number_word_counts() -> None:
    c = _cand("Penetration tests are carried out at least once a year. Our 24/7 hotline runs for around four months.")
    texts = {(o.kind, o.span.text) for o in options(c) if o.span is not None}
    assert {("freq", "once a year"), ("freq", "at least once a year"), ("freq", "24/7")} <= texts
    assert {("word_number", "four"), ("word_number", "four months")} <= texts


def test_a_title_in_quotation_marks_and_an_option_that_runs_on_past_another() -> None:
    c = _cand("The HR Excellence Awards jury crowned ATOSS in the “Analytics & Technology” category. Invoices are "
              "settled within 30 days of receipt.")
    info = analyse("In which category did ATOSS win the award?")
    opts = options(c, info.words)
    rows = feature_rows(info, c, opts)
    by_text = {o.span.text: row for o, row in zip(opts, rows, strict=True) if o.span is not None}
    quotes, extends, extended = (SPAN_FEATURES.index(f) for f in ("in_quotes", "extends_other", "extended"))
    assert by_text["Analytics & Technology"][quotes] == 1.0 and by_text["HR Excellence Awards"][quotes] == 0.0
    assert by_text["30 days"][extends] == 1.0 and by_text["30 days"][extended] == 0.0
    assert by_text["30"][extended] == 1.0 and by_text["30"][extends] == 0.0
    assert by_text["HR Excellence Awards jury"][extends] == 0.0  # a phrase does not extend a name


def test_a_share_offered_for_an_amount_asked() -> None:
    c = _cand("Installation of charging stations\tCCM\t7.6.\t1,561,035\t1.88%")
    unasked = SPAN_FEATURES.index("percent_unasked")
    for q, share_unasked in (("INDUS CapEx charging stations CCM 7.6 euros", 1.0),
                             ("How much CapEx did INDUS report for charging stations?", 1.0),
                             ("What share of INDUS's CapEx went to charging stations?", 0.0),
                             ("INDUS CapEx charging stations", 0.0)):
        info = analyse(q)
        opts = options(c, info.words)
        rows = dict(zip([o.span.text if o.span else None for o in opts], feature_rows(info, c, opts), strict=True))
        assert rows["1.88%"][unasked] == share_unasked, q
        assert rows["1,561,035"][unasked] == 0.0


def test_a_month_without_its_year_a_year_named_by_words_and_a_bound_before_a_figure() -> None:
    c = _cand("An analysts’ conference at the end of November. Work started in the reporting year and ran up to "
              "mid-year; in the previous year 2022 it was planned. The target of at least 35 was missed.")
    texts = {(o.kind, o.span.text) for o in options(c) if o.span is not None}
    assert {("date", "the end of November"), ("date", "end of November"), ("date", "in the reporting year"),
            ("date", "the reporting year"), ("date", "up to mid-year"), ("date", "mid-year"),
            ("number", "35"), ("number", "at least 35")} <= texts
    assert ("date", "the previous year") not in texts  # a year named by its figure is the figure's date


def test_a_fraction_in_words_and_a_range_of_sections_with_a_figure_dash() -> None:
    c = _cand("The company performs around one-third of its trade activities itself, as Sections 79 ‒ 82 require.")
    texts = {(o.kind, o.span.text) for o in options(c) if o.span is not None}
    assert {("word_number", "one-third"), ("number", "Sections 79 ‒ 82")} <= texts
