"""Metric functions of the eval harness on hand-made predictions (GUIDE.md definitions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluation.dataset import EvalItem, Prediction
from qa.evaluation.metrics import (
    SourceCache,
    aggregate,
    check_gate,
    check_verbatim,
    contains_answer,
    evidence_coverage,
    holds,
    holds_every_report,
    normalize,
    percentile,
    reliability,
    score,
    summarize,
)
from qa.models import Answer, Citation, Quote

SOURCE = "seeds/mini.txt"
CORPUS = (
    "Total GHG Emissions3\n\n31,347.06 t\n\n"
    "We saved approximately 1,406,874 kilowatt-hours (kWh) throughout the year.\n"
    "Our EHS management system follows ISO 14001:2015 and ISO 45001:2018 in every region.\n"
    "Total GHG Emissions (Scope 1 and Scope 2)\t85,742.61\t82,820.1\t66,481.29\n"
)


@pytest.fixture
def sources(tmp_path: Path) -> SourceCache:
    (tmp_path / "seeds").mkdir()
    (tmp_path / SOURCE).write_text(CORPUS, encoding="utf-8")
    return SourceCache(tmp_path)


def quote(needle: str, *, start: int | None = None, end: int | None = None, text: str | None = None) -> Quote:
    """A quote of CORPUS at the offsets of `needle` (or the given, possibly wrong, ones)."""
    s = CORPUS.index(needle) if start is None else start
    e = s + len(needle) if end is None else end
    cit = Citation(report_id="mini", title="Mini", year=2020, section="S", page=None, source=SOURCE, start=s, end=e)
    return Quote(text=needle if text is None else text, score=1.0, citation=cit)


def answer(*quotes: Quote, answered: bool = True, confidence: float = 0.9) -> Answer:
    return Answer(question="q", answered=answered, answer="x" if answered else None,
                  confidence=confidence, quotes=list(quotes))


def item(answers: list[str], type_: str = "numeric", evidence: list[str] | None = None,
         id_: str = "q1", report: str | None = "mini.txt") -> EvalItem:
    return EvalItem(id=id_, question="q?", answers=answers, report=report, evidence=evidence or [], type=type_)


def pred(ans: Answer | None, id_: str = "q1", latency: float = 10.0, retrieved: list[str] | None = None) -> Prediction:
    return Prediction(id=id_, answer=ans, latency_ms=latency, retrieved=retrieved or [],
                      retrieval_done=retrieved is not None)


# ---------------------------------------------------------------- normalisation and matching


def test_normalize_applies_nfkc_case_digit_commas_and_whitespace() -> None:
    assert normalize("Total  GHG\n Emissions 31,347.06 t CO₂ ³⁵") == "total ghg emissions 31347.06 t co2 35"
    assert normalize("Paris, France") == "paris, france"  # only commas between digits go


def test_thousands_separators_match_but_longer_numbers_do_not() -> None:
    assert contains_answer("we saved 1406874 kWh", "1,406,874")
    assert contains_answer("we saved 1,406,874 kWh", "1406874")
    assert not contains_answer("we saved 14068745 kWh", "1,406,874")
    assert not contains_answer("we saved 14,068,745 kWh", "1,406,874")


def test_token_boundaries() -> None:
    assert not contains_answer("a total of 125 sites", "12")
    assert not contains_answer("grew by 12.5%", "12")
    assert not contains_answer("ratio 1.2", "2")
    assert contains_answer("grew by 12% in 2020.", "12%")
    assert contains_answer("grew by 12 % in 2020", "12%")
    assert contains_answer("Total GHG Emissions3\n\n31,347.06 t", "31,347.06 t")
    assert not contains_answer("the meeting", "meet")


def test_evidence_overlap_counts_words_with_multiplicity() -> None:
    ev = "Our EHS management system follows ISO 14001:2015 and ISO 45001:2018"
    assert evidence_coverage(ev, ev) == 1.0
    assert evidence_coverage("nothing in common", ev) == 0.0
    assert 0.5 < evidence_coverage("EHS management system follows ISO 14001:2015", ev) < 0.7


# ---------------------------------------------------------------- per-question scoring


def test_hit_and_miss(sources: SourceCache) -> None:
    it = item(["31,347.06 t", "31,347.06"])
    hit = score(it, pred(answer(quote("Total GHG Emissions3\n\n31,347.06 t"))), sources)
    assert (hit.a1, hit.a1_strict, hit.a3, hit.a1_answered, hit.correct) == (True, True, True, True, True)
    assert hit.verbatim_ok == 1

    miss = score(it, pred(answer(quote("Total GHG Emissions (Scope 1 and Scope 2)\t85,742.61"))), sources)
    assert (miss.a1, miss.a3, miss.correct) == (False, False, False)
    assert miss.failed

    second = score(it, pred(answer(quote("throughout the year."), quote("31,347.06 t"))), sources)
    assert (second.a1, second.a3, second.hold_index) == (False, True, 1)


def test_number_with_other_separators(sources: SourceCache) -> None:
    it = item(["1,406,874"])
    q = quote("We saved approximately 1,406,874 kilowatt-hours")
    assert score(it, pred(answer(q)), sources).a1
    assert holds("saved 1406874 kWh", it)
    assert not holds("saved 14068745 kWh", it)


def test_strict_needs_at_most_80_words(sources: SourceCache) -> None:
    it = item(["31,347.06 t"])
    long_text = ("word " * 85) + "31,347.06 t"
    fake = Quote(text=long_text, score=1.0, citation=quote("31,347.06 t").citation)
    r = score(it, pred(answer(fake)), sources)
    assert r.a1 and not r.a1_strict


def test_yes_no_judged_by_evidence_overlap(sources: SourceCache) -> None:
    ev = "Our EHS management system follows ISO 14001:2015 and ISO 45001:2018 in every region."
    it = item(["Yes"], type_="yes_no", evidence=[ev])
    good = score(it, pred(answer(quote("EHS management system follows ISO 14001:2015 and ISO 45001:2018"))), sources)
    assert good.a1
    poor = score(it, pred(answer(quote("ISO 45001:2018 in every region."))), sources)
    assert not poor.a1  # covers < 60% of the evidence's words
    numeric = item(["Yes"], type_="numeric", evidence=[ev])  # overlap only counts for yes_no/list/definition
    assert not score(numeric, pred(answer(quote(ev.rstrip(".") + "."))), sources).a1


def test_cross_report_needs_every_reports_value(sources: SourceCache) -> None:
    it = item(["31,347.06 t", "31,347.06", "66,481.29"], type_="cross_report", report="both",
              evidence=["Total GHG Emissions3 31,347.06 t",
                        "Total GHG Emissions (Scope 1 and Scope 2) 85,742.61 82,820.1 66,481.29"])
    one = score(it, pred(answer(quote("31,347.06 t"), quote("throughout the year."))), sources)
    assert one.a1 and one.both3 is False
    both = score(it, pred(answer(quote("31,347.06 t"), quote("throughout the year."),
                                 quote("82,820.1\t66,481.29"))), sources)
    assert both.both3 is True
    fourth = score(it, pred(answer(quote("31,347.06 t"), quote("kWh"), quote("year."),
                                   quote("66,481.29"))), sources)
    assert fourth.both3 is False  # only the first three quotes count
    assert not holds_every_report(["82,820.1"], it)


def test_abstention_on_unanswerable_and_false_abstention(sources: SourceCache) -> None:
    unans = item([], type_="unanswerable", id_="u1")
    abst = score(unans, pred(answer(quote("throughout the year."), answered=False, confidence=0.1), id_="u1"),
                 sources)
    # abstaining is not a failure, and the reliability table never counts an unanswerable question
    # as "the top quote answers" (its confidence should be low)
    assert not abst.answerable and not abst.answered and not abst.correct and not abst.failed
    wrong = score(unans, pred(answer(quote("31,347.06 t"), confidence=0.7), id_="u1"), sources)
    assert wrong.answered and not wrong.correct and wrong.failed

    ans = item(["31,347.06 t"])
    false_abst = score(ans, pred(answer(quote("31,347.06 t"), answered=False, confidence=0.2)), sources)
    assert false_abst.a1 and not false_abst.a1_answered and false_abst.correct  # the top quote does answer

    m = aggregate([abst, false_abst])
    assert (m.abstain, m.false_abst, m.a1, m.a1_answered) == (100.0, 100.0, 100.0, 0.0)
    assert (m.n_answerable, m.n_unanswerable) == (1, 1)
    m2 = aggregate([wrong, score(ans, pred(answer(quote("31,347.06 t"))), sources)])
    assert (m2.abstain, m2.false_abst) == (0.0, 0.0)


def test_refused_question_counts_as_not_answered(sources: SourceCache) -> None:
    r = score(item(["31,347.06 t"]), Prediction(id="q1", answer=None, latency_ms=1.0, error="BadQuestion: x"),
              sources)
    assert not r.answered and not r.a1 and r.n_quotes == 0 and r.error


def test_verbatim_fails_on_wrong_offsets_or_text(sources: SourceCache) -> None:
    assert check_verbatim(quote("31,347.06 t"), sources).ok
    # the same text but with collapsed whitespace still matches its span
    assert check_verbatim(quote("Total GHG Emissions3\n\n31,347.06 t", text="Total GHG Emissions3 31,347.06 t"),
                          sources).ok
    s = CORPUS.index("31,347.06 t")
    shifted = check_verbatim(quote("31,347.06 t", start=s + 2, end=s + 13), sources)
    assert not shifted.ok and shifted.text_found
    out = check_verbatim(quote("31,347.06 t", start=len(CORPUS) - 3, end=len(CORPUS) + 8), sources)
    assert not out.ok
    invented = check_verbatim(quote("31,347.06 t", text="31,347.07 t"), sources)
    assert not invented.ok and not invented.text_found
    r = score(item(["31,347.06 t"]), pred(answer(quote("31,347.06 t", start=s + 2, end=s + 13))), sources)
    assert r.verbatim_ok == 0 and r.failed
    assert aggregate([r]).verbatim == 0.0


def test_missing_source_fails_verbatim(tmp_path: Path) -> None:
    assert not check_verbatim(quote("31,347.06 t"), SourceCache(tmp_path)).ok


# ---------------------------------------------------------------- aggregates


def test_retrieval_ranks_and_mrr(sources: SourceCache) -> None:
    it = item(["31,347.06 t"])
    first = score(it, pred(answer(), retrieved=["31,347.06 t here", "x"]), sources)
    third = score(it, pred(answer(), retrieved=["a", "b", "31,347.06 t", "d"]), sources)
    never = score(it, pred(answer(), retrieved=["a"] * 20 + ["31,347.06 t"]), sources)
    assert (first.retrieval_rank, third.retrieval_rank, never.retrieval_rank) == (1, 3, None)
    m = aggregate([first, third, never])
    assert (m.r1, m.r5, m.r20) == (33.33, 66.67, 66.67)
    assert m.mrr == round((1 + 1 / 3) / 3, 4)
    unans = score(item([], type_="unanswerable", id_="u"), pred(answer(), id_="u", retrieved=[]), sources)
    assert aggregate([first, unans]).r1 == 100.0  # unanswerable questions are not in R@k


def test_percentile_interpolates() -> None:
    assert percentile([10.0, 20.0, 30.0, 40.0], 50) == 25.0
    assert percentile([1.0] * 19 + [100.0], 95) == pytest.approx(5.95)
    assert percentile([], 50) is None


def test_reliability_buckets(sources: SourceCache) -> None:
    it = item(["31,347.06 t"])
    right = score(it, pred(answer(quote("31,347.06 t"), confidence=0.9)), sources)
    wrong = score(it, pred(answer(quote("kWh"), confidence=0.85)), sources)
    edge = score(it, pred(answer(quote("31,347.06 t"), confidence=1.0)), sources)
    low = score(it, pred(answer(quote("kWh"), confidence=0.1)), sources)
    buckets, ece = reliability([right, wrong, edge, low])
    assert [b.n for b in buckets] == [1, 0, 0, 0, 3]
    assert buckets[4].accuracy == 66.67 and buckets[0].accuracy == 0.0 and buckets[1].accuracy is None
    assert ece is not None and 0 < ece < 1


def test_summary_groups_by_type_and_report(sources: SourceCache) -> None:
    a = score(item(["31,347.06 t"], id_="a", report="r1.txt"), pred(answer(quote("31,347.06 t")), id_="a"), sources)
    b = score(item(["kWh"], type_="entity", id_="b", report=None), pred(answer(quote("year.")), id_="b"), sources)
    m = summarize([a, b])
    assert set(m.by_type) == {"numeric", "entity"} and set(m.by_report) == {"r1.txt", "none"}
    assert m.by_type["numeric"].a1 == 100.0 and m.by_type["entity"].a1 == 0.0 and m.overall.a1 == 50.0
    d = m.as_dict()
    assert d["overall"]["A@1"] == 50.0 and len(d["reliability"]["buckets"]) == 5


# ---------------------------------------------------------------- gate


def test_gate_flags_drops_over_two_points_and_imperfect_verbatim() -> None:
    base = {"overall": {"A@1": 80.0, "abstain": 90.0, "verbatim": 100.0}}
    assert check_gate({"A@1": 78.5, "abstain": 88.0, "verbatim": 100.0}, base) == []
    problems = check_gate({"A@1": 77.0, "abstain": 90.0, "verbatim": 100.0}, base)
    assert len(problems) == 1 and problems[0].startswith("A@1 dropped 3.00")
    problems = check_gate({"A@1": 80.0, "abstain": 86.5, "verbatim": 99.0}, base)
    assert len(problems) == 2 and any("verbatim" in p for p in problems)
    assert check_gate({"A@1": 10.0, "abstain": 0.0, "verbatim": 100.0}, None) == []
