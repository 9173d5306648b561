"""The generic cues the confidence model weighs, on tiny literal inputs, and their place in its features."""

from __future__ import annotations

from qa.compose.cues import (
    asks_target,
    header_year_absent,
    prose_about_another_year,
    share_clash,
    states_target,
    text_units,
    unit_clash,
    variant_clash,
)
from qa.compose.question import analyse
from tests.test_spanpick import _cand


def test_variant_clash_is_another_variant_quoted_and_not_the_asked_one() -> None:
    asked = "What were Acme's location-based Scope 2 emissions in 2023?"
    assert variant_clash(asked, "Scope 2 emissions (market-based)\t456.4 t") == 1.0
    assert variant_clash(asked, "Scope 2 emissions (location-based)\t512.0 t\nScope 2 (market-based)\t456.4 t") == 0.0
    assert variant_clash(asked, "Scope 1 emissions\t600 t") == 1.0  # another scope, not the asked one
    assert variant_clash(asked, "Scope 1 and Scope 2 emissions\t1,100 t") == 0.0  # the asked scope is among them
    assert variant_clash(asked, "Emissions fell by 12% in 2023.") == 0.0  # no variant named: nothing clashes
    assert variant_clash("Acme share of part-time employees", "Full-time employees\t82%") == 1.0
    assert variant_clash("Acme employees in 2023", "Full-time employees\t820") == 0.0  # no variant asked


def test_units_of_a_text() -> None:
    assert text_units("5 m³ of water, 3 tCO2e, EUR80 million and €200,000") >= {"m³", "tco2e", "eur", "€"}
    assert text_units("Electricity consumed in MWh") == {"mwh"}
    assert text_units("12 t of waste in 2023") == frozenset()  # "t" alone tells no kind of quantity
    assert text_units("the euro area and its tEUR") == frozenset()


def test_unit_clash_needs_an_expected_kind_and_another_kind_quoted() -> None:
    water = analyse("How much water did Acme consume in 2023?")
    assert unit_clash(water, "Company vehicles: electricity consumed in MWh\t85.5") == 1.0
    assert unit_clash(water, "Water consumption (m³)\t85.5") == 0.0
    assert unit_clash(water, "Water consumption\t85.5") == 0.0  # no units quoted: nothing clashes
    assert unit_clash(analyse("Who audited Acme's report?"), "in MWh") == 0.0  # no kind expected


def test_targets_in_questions_and_texts() -> None:
    assert asks_target(analyse("What is Acme's 2030 emissions reduction target?"))
    assert not asks_target(analyse("How much did Acme reduce emissions in 2023?"))
    assert states_target("We aim to reduce emissions by 30% by 2030.")
    assert states_target("Our goal is 50% women in management.")
    assert not states_target("Emissions fell by 12% in 2023.")


def test_a_table_row_without_the_asked_years_column() -> None:
    row = _cand("Scope 1 GHG emissions (tCO2eq)\t866\t\t835", kind="table_row", header=["2022", "", "2023"])
    assert header_year_absent(analyse("Acme Scope 1 emissions 2021"), row) == 1.0
    assert header_year_absent(analyse("Acme Scope 1 emissions 2022"), row) == 0.0
    assert header_year_absent(analyse("Acme Scope 1 emissions"), row) == 0.0  # no year asked
    prose = _cand("Scope 1 emissions were 866 t in 2022.")
    assert header_year_absent(analyse("Acme Scope 1 emissions 2021"), prose) == 0.0  # not a table row



def test_prose_about_another_year() -> None:
    prose = _cand("In 2020, Acme selected 46 suppliers for audit and completed 40 audits.")
    assert prose_about_another_year(prose, year_miss=True) == 1.0
    assert prose_about_another_year(prose, year_miss=False) == 0.0
    row = _cand("Audits completed\t40\t38", kind="table_row", header=["2020", "2019"])
    assert prose_about_another_year(row, year_miss=True) == 0.0  # a table's columns may hold the year
    previous = _cand("Acme recorded 15 accidents (previous year: 22).")
    assert prose_about_another_year(previous, year_miss=True) == 0.0  # it gives the year before its own


def test_confidence_evidence_carries_the_cues_and_the_missing_terms() -> None:
    from qa.compose.confidence import Evidence
    from qa.compose.signals import TermSignals
    from qa.compose.span import SpanExtractor
    from qa.models import ReportInfo

    report = ReportInfo(id="acme-2023", company="Acme AG", title="Acme 2023", year=2023, years_covered=[2021, 2022, 2023],
                        source="acme.txt", original_name="acme.pdf", sha256="0" * 64)
    reports = {report.id: report}
    from qa.lexical import tokenize

    words = {"water": 2.0, "Europe": 4.0, "turnover": 3.0, "employee": 1.0, "electricity": 2.0, "consumed": 1.0,
             "scope": 1.0, "emissions": 1.0, "GHG": 1.0}
    idf = {tokenize(w)[0]: v for w, v in words.items()}
    ev = Evidence(TermSignals(idf), SpanExtractor(reports), reports)
    row = _cand("Scope 1 GHG emissions (tCO2eq)\t866\t\t835", kind="table_row", header=["2022", "", "2023"])
    f = ev.features(analyse("Acme Scope 1 emissions 2021"), row)
    assert f["header_year_absent"] == 1.0 and f["unit_clash"] == 0.0
    assert ev.features(analyse("Acme Scope 1 emissions 2022"), row)["header_year_absent"] == 0.0
    f = ev.features(analyse("How much water did Acme consume in 2023?"), _cand("Electricity consumed in MWh was 85.5 in 2023."))
    assert f["unit_clash"] == 1.0
    # the rarest term ("Europe") is what the quote lacks
    info = analyse("Acme employee turnover in Europe")
    f = ev.features(info, _cand("Employee turnover was 12% in 2023."))
    assert f["missing_max"] == 1.0 and 0.0 < f["missing_share"] < 1.0
    assert ev.features(info, _cand("Employee turnover in Europe was 12%."))["missing_share"] == 0.0
    assert ev.features(analyse("What is Acme's turnover target?"), _cand("We aim to cut turnover by 2%."))["target_unasked"] == 0.0
    assert ev.features(info, _cand("We aim to cut turnover in Europe by 2%."))["target_unasked"] == 1.0
    scope3 = analyse("What were Acme's Scope 3 emissions in 2023?")
    assert ev.features(scope3, _cand("Scope 1 emissions were 600 t in 2023."))["variant_clash"] == 1.0
    assert ev.features(scope3, _cand("Scope 3 emissions were 9,600 t in 2023."))["variant_clash"] == 0.0
    # a sentence that fits no asked year (its year fit stays below 0.8) is prose about another year
    other = _cand("This year, employee turnover in Europe was 12%.")
    other.year_fit = 0.0
    f = ev.features(analyse("Acme employee turnover in Europe 2021"), other)
    assert f["year_miss"] == 1.0 and f["prose_year_miss"] == 1.0
    other.year_fit = 1.0
    assert ev.features(analyse("Acme employee turnover in Europe 2023"), other)["prose_year_miss"] == 0.0
    # a head noun no report uses: asked about a thing the reports never mention, but not judged for yes/no
    quote = _cand("Water consumed at the headquarters was 85.5 m³.")
    assert ev.features(analyse("What is the name of the office cat at Acme's water plant?"), quote)["unknown_head"] == 1.0
    assert ev.features(analyse("Is Acme's water plant open around the clock?"), quote)["unknown_head"] == 0.0


def test_a_row_of_shares_for_a_count_and_a_row_of_counts_for_a_share() -> None:
    shares = _cand("Male\t69\t78\t59", kind="table_row")
    shares.chunk = shares.chunk.model_copy(update={"context": "Gender distribution in percentages | columns: A | B"})
    counts = _cand("Male\t158\t249\t458", kind="table_row")
    counts.chunk = counts.chunk.model_copy(update={"context": "Total number of employees | columns: <30 | Total"})
    how_many, what_share = analyse("How many male employees did Acme have?"), analyse("What share of Acme's staff is male?")
    assert share_clash(how_many, shares) == 1.0 and share_clash(how_many, counts) == 0.0
    assert share_clash(what_share, counts) == 1.0 and share_clash(what_share, shares) == 0.0
    assert share_clash(analyse("Who audited Acme?"), shares) == 0.0  # neither a count nor a share asked
    assert share_clash(how_many, _cand("We employed 458 men.")) == 0.0  # prose is not judged
    # the row's own label says first, whatever its table's title says
    audits = analyse("How many internal audits relating to corruption did Acme carry out?")
    pct = _cand("% of audits relating to corruption\t66\t67", kind="table_row")
    num = _cand("Number of audits relating to corruption\t52\t56", kind="table_row")
    for row in (pct, num):
        row.chunk = row.chunk.model_copy(update={"context": "Audits and their rates | columns: 2023 | 2022"})
    assert share_clash(audits, pct) == 1.0 and share_clash(audits, num) == 0.0


def test_a_label_that_negates_or_sets_apart_what_the_question_does_not() -> None:
    from qa.compose.signals import TermSignals

    def mismatch(question: str, row: str) -> float:
        return TermSignals.negation_mismatch(analyse(question), _cand(row, kind="table_row", header=["2023"]))

    eligible = "Acme taxonomy-eligible CapEx share 2023"
    assert mismatch(eligible, "CapEx of Taxonomy-eligible but not environmentally sustainable activities\t2.7%") == 1.0
    assert mismatch(eligible, "A. CapEx of Taxonomy eligible activities\t11.2%") == 0.0
    assert mismatch("CapEx eligible but not aligned", "CapEx of eligible but not aligned activities\t2.7%") == 0.0
    assert mismatch("Acme employees 2023", "Other employees (below Role 3)\t44,011") == 1.0
    assert mismatch("Acme hazardous waste 2023", "Non-hazardous waste\t12") == 1.0
    assert mismatch("Acme audits 2023", "No. of audits (no data before 2020)\t12") == 0.0  # a number's sign, a note
