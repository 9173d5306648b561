"""Retrieval on the real index (dense, BM25, hybrid, filters, noise, year awareness) and the BM25 tokenizer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from qa.errors import BadQuestion, UnknownReport
from qa.lexical import american, named_by, tokenize
from qa.models import Filters
from qa.retrieval import NOISE_KINDS, years_in

# ---------------------------------------------------------------------- tokenizer (fast)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31,347.06 t", ["31347.06"]),
        ("12,368,223.29", ["12368223.29"]),
        ("ISO14001", ["iso14001"]),
        ("ISO 14001", ["iso14001"]),
        ("ISO 45001:2018", ["iso45001"]),
        ("Scope 1 emissions", ["scope1"]),
        ("MWh", ["mwh"]),
        ("97.67%", ["97.67%", "97.67"]),
        ("Total GHG Emissions3", ["emissions3", "emission"]),
    ],
)
def test_tokenizer_keeps_figures_units_and_codes(text: str, expected: list[str]) -> None:
    toks = tokenize(text)
    for tok in expected:
        assert tok in toks, (text, toks)


def test_tokenizer_matches_both_iso_spellings() -> None:
    assert "iso14001" in set(tokenize("obtained ISO14001")) & set(tokenize("obtained ISO 14001"))
    assert "the" not in tokenize("the energy of the year")


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Scope 1+2 emissions", {"scope1", "scope2"}),
        ("GHG emissions (Scope 1 and 2)", {"scope1", "scope2"}),
        ("Scope 1, 2 and 3", {"scope1", "scope2", "scope3"}),
        ("ISO 14001 and 45001", {"iso14001", "iso45001"}),
        ("Scope 1\t5\t6", {"scope1"}),  # a row's figures after a tab are no codes
        ("Scope 1 and 22 others", {"scope1"}),  # a number of another length neither
        ("ISO 14001 and 2022", {"iso14001"}),
    ],
)
def test_tokenizer_carries_a_code_over_a_list_of_numbers(text: str, codes: set[str]) -> None:
    toks = set(tokenize(text))
    assert {t for t in toks if t.startswith(("scope", "iso")) and t[-1].isdigit()} == codes


@pytest.mark.parametrize(
    ("asked", "row", "other"),
    [
        ("employees under 30", "Under 30", "30-50"),
        ("employees younger than 30", "< 30 years", "30 ‒ 50 years"),
        ("staff older than 50", ">50", "30-50"),
        ("employees over 50", "Above 50", "Under 30"),
        ("aged 30 to 50", "30–50 years", "> 50 years"),
    ],
)
def test_tokenizer_gives_a_band_one_token(asked: str, row: str, other: str) -> None:
    band = {t for t in tokenize(asked) if not t.isalpha() and not t.isdigit()}
    assert band and band <= set(tokenize(row))  # `under 30` names the row `<30` ...
    assert not band & set(tokenize(other))  # ... and not `30-50`, which holds the same figure


@pytest.mark.parametrize(
    ("british", "american"),
    [("organisations", "organizations"), ("recognised", "recognized"), ("programme", "program"),
     ("centres", "centers"), ("labour", "labor"), ("litres", "liters"), ("behaviour", "behavior"),
     ("analysed", "analyzed"), ("catalogue", "catalog"), ("favourable", "favorable")],
)
def test_tokenizer_matches_british_and_american_spellings(british: str, american: str) -> None:
    assert tokenize(british) == tokenize(american)


@pytest.mark.parametrize("word", ["four", "hour", "contour", "exercise", "enterprise", "promised", "otherwise",
                                  "analysis", "genre"])
def test_tokenizer_leaves_words_that_only_look_british(word: str) -> None:
    assert american(word) == word


@pytest.mark.parametrize(("header", "question", "named"), [
    ("Sweden", "Swedish portfolio heating 2020", True),
    ("Austria", "the Austrian portfolio", True),
    ("Germany", "German sites", True),
    ("China", "Chinese suppliers", True),
    ("Europe", "European operations", True),
    ("Hungary", "Hungarian subsidiary", True),
    ("Total", "total hires", True),  # the same word
    ("Media", "median pay", False),  # not a place's adjective
    ("Physical", "physician visits", False),
    ("Germany", "germ counts", False),
    ("Sweden", "Swiss sites", False),
])
def test_a_column_is_named_by_its_word_or_its_places_adjective(header: str, question: str, named: bool) -> None:
    """A column header's words that a question names: the same (stemmed) token, or a place named by its
    adjective ("Sweden" by "Swedish"); words that merely share a beginning do not."""
    assert bool(named_by(set(tokenize(header)), set(tokenize(question)))) is named


def test_tokenizer_keeps_tco2e() -> None:
    assert "tco2e" in tokenize("85,742.61 tCO2e")


def test_tokenizer_hands_out_a_fresh_list_of_its_cached_words() -> None:
    """Tokens are cached per text: a caller that changes its list changes nobody else's."""
    first = tokenize("Scope 1 emissions fell by 12% in 2023")
    expected = list(first)
    first.append("changed")
    first[0] = "changed"
    assert tokenize("Scope 1 emissions fell by 12% in 2023") == expected and "changed" not in expected


def test_years_in() -> None:
    assert years_in("hazardous waste in 2021") == [2021]
    assert years_in("FY2022 and FY 2020") == [2020, 2022]
    assert years_in("2020's water use") == [2020]
    assert years_in("12021 or 20210 or 31,347.06") == []


# ---------------------------------------------------------------------- real index (slow)

LITERAL = [
    ("ISO14001 Environmental Management System certification", "ISO14001"),
    ("Hazardous Waste (Metric Tons) 2021", "2.50"),  # a 2021 KPI value from the 2022 table
    ("fresh water consumption in 2021", "329,572.00"),
    ("Mi Community cumulative users", "120 million"),
    ("smart factory automation level", "approximately 63%"),
]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
@pytest.mark.parametrize(("query", "needle"), LITERAL)
def test_each_mode_finds_the_known_passage(real_service: Any, mode: str, query: str, needle: str) -> None:
    hits = real_service.retriever.search(query, k=5, mode=mode)
    assert len(hits) == 5 and [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert any(needle in h.chunk.text for h in hits), [h.chunk.text[:60] for h in hits]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    for h in hits:
        assert (h.dense is not None) == (mode != "bm25") and (h.bm25 is not None) == (mode != "dense")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_lexical_modes_find_the_2020_ghg_total_in_the_2022_table(real_service: Any, mode: str) -> None:
    hits = real_service.retriever.search("Total GHG Emissions 2020", k=5, mode=mode)
    assert any("66,481.29" in h.chunk.text and h.chunk.kind == "table_row" for h in hits)


@pytest.mark.slow
def test_queries_embedded_together_are_each_embedded_alone(real_service: Any) -> None:
    """Training embeds its questions in batches; the service one at a time: the same vectors."""
    queries = ["Scope 1 emissions 2021", "How many employees did Xiaomi have at the end of 2022?", "water"]
    together = real_service.retriever.embed_queries(queries)
    alone = np.stack([real_service.retriever.embed_query(q) for q in queries])
    assert together.shape == alone.shape and np.allclose(together, alone, atol=1e-6)


@pytest.mark.slow
def test_service_search_is_the_retriever(real_service: Any) -> None:
    hits = real_service.search("Scope 1 emissions 2021", k=3)
    assert len(hits) == 3 and any("9,096.95" in h.chunk.text or "9,096,95" in h.chunk.text for h in hits)
    with pytest.raises(BadQuestion):
        real_service.search("   ")


@pytest.mark.slow
def test_filters_restrict_results(real_service: Any) -> None:
    r = real_service.retriever
    q = "total energy consumption"
    hits = r.search(q, k=20, filters=Filters(report_ids=["xiaomi-esg-2020"]))
    assert hits and {h.chunk.report_id for h in hits} == {"xiaomi-esg-2020"}
    hits = r.search(q, k=20, filters=Filters(years=[2021]))
    assert hits and {h.chunk.report_id for h in hits} == {"xiaomi-esg-2022"}  # only 2022 covers 2021
    hits = r.search(q, k=20, filters=Filters(years=[2020]))
    assert {h.chunk.report_id for h in hits} == {"xiaomi-esg-2020", "xiaomi-esg-2022"}
    hits = r.search(q, k=20, filters=Filters(section_prefix="1. environmental management"))
    assert hits and all(h.chunk.section.startswith("1. Environmental Management") for h in hits)
    assert r.search(q, k=5, filters=Filters(years=[1999])) == []
    both = r.search(q, k=10, filters=Filters(report_ids=["xiaomi-esg-2020", "xiaomi-esg-2022"]))
    assert [h.chunk.id for h in both] == [h.chunk.id for h in r.search(q, k=10)]


@pytest.mark.slow
def test_unknown_report_is_refused(real_service: Any) -> None:
    with pytest.raises(UnknownReport, match="xiaomi-esg-1999.*Known reports: xiaomi-esg-2020, xiaomi-esg-2022"):
        real_service.retriever.search("energy", filters=Filters(report_ids=["xiaomi-esg-1999"]))
    with pytest.raises(UnknownReport):
        real_service.search("energy", filters=Filters(report_ids=["nope"]))


@pytest.mark.slow
def test_noise_is_excluded_by_default(real_service: Any) -> None:
    r = real_service.retriever
    q = "HKEx ESG Guide A1.1 types of emissions and respective emissions data"
    for mode in ("dense", "bm25", "hybrid"):
        hits = r.search(q, k=50, mode=mode)
        assert hits and not any(h.chunk.kind in NOISE_KINDS for h in hits), mode
    noisy = r.search(q, k=5, filters=Filters(include_noise=True))
    assert noisy[0].chunk.kind == "index"
    nav = r.search("Technology Created to Better Lives Exploration and Accessibility of Technology", k=30,
                   filters=Filters(include_noise=True), mode="bm25")
    assert any(h.chunk.kind == "navigation" for h in nav)


def test_a_question_after_a_page_or_an_index_may_be_answered_by_the_index(real_service: Any) -> None:
    """A content index is noise for every question but one asking after a page or the index itself: then its
    rows (the page a disclosure is on) may be retrieved; navigation never is."""
    r = real_service.retriever
    for q in ("Which page does the ESG Guide index give for A1.1 types of emissions?",
              "ESG Guide index A1.1 types of emissions page reference"):
        hits = r.search(q, k=20)
        assert any(h.chunk.kind == "index" for h in hits), q
        assert not any(h.chunk.kind == "navigation" for h in hits), q
    assert not any(h.chunk.kind == "index" for h in r.search("A1.1 types of emissions and emissions data", k=50))
    # a filter still holds: an index of another report is not retrieved
    only = r.search("Which page does the ESG Guide index give for A1.1?", k=20,
                    filters=Filters(report_ids=["xiaomi-esg-2022"]))
    assert only and all(h.chunk.report_id == "xiaomi-esg-2022" for h in only)


@pytest.mark.slow
def test_year_awareness_prefers_passages_of_the_named_year(real_service: Any) -> None:
    r = real_service.retriever
    q = "hazardous waste in 2020"
    on = r.search(q, k=20)
    off = r.search(q, k=20, year_awareness=False)

    def pos(hits: list[Any], needle: str) -> int:
        return next(i for i, h in enumerate(hits) if needle in h.chunk.text)

    row = "Hazardous Waste (Metric Tons)\t1.43\t2.50\t0.37"  # the 2022 table row with a 2020 column
    assert pos(on, row) <= pos(off, row)
    assert on[pos(on, row)].score > off[pos(off, row)].score

    def covers_2020(h: Any) -> bool:
        c = h.chunk
        return c.report_id == "xiaomi-esg-2020" or bool(c.header and "2020" in c.header) or "2020" in c.text

    assert all(covers_2020(h) for h in on[:3])  # the named year's passages lead
    assert on[0].chunk.report_id == "xiaomi-esg-2020" or on[0].chunk.kind == "table_row"
    # without hiding the others: passages of other years stay in the results
    assert any("Hazardous Waste Management" in h.chunk.section or "hazardous" in h.chunk.text.lower()
               for h in on if h.chunk.kind == "text")
    # a question without a year is unaffected
    plain_on = r.search("hazardous waste", k=10)
    plain_off = r.search("hazardous waste", k=10, year_awareness=False)
    assert [(h.chunk.id, h.score) for h in plain_on] == [(h.chunk.id, h.score) for h in plain_off]
