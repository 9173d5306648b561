"""Metric functions of the eval harness on hand-made predictions (GUIDE.md definitions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluation.companies import UNKNOWN_COMPANY, CompanyIndex, company_key
from qa.evaluation.dataset import EvalItem, Prediction
from qa.evaluation.matching import span_holds
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
    score_all,
    summarize,
)
from qa.models import Answer, Citation, Quote, ReportInfo

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


def answer(*quotes: Quote, answered: bool = True, confidence: float = 0.9, span: str = "x") -> Answer:
    """An answer whose `span` is highlighted in its first quote (as the service does) where it occurs there."""
    qs = list(quotes)
    if answered and qs and span in qs[0].text:
        at = qs[0].text.index(span)
        qs[0] = qs[0].model_copy(update={"highlight": [at, at + len(span)]})
    return Answer(question="q", answered=answered, answer=span if answered else None,
                  confidence=confidence, quotes=qs)


def item(answers: list[str], type_: str = "numeric", evidence: list[str] | None = None,
         id_: str = "q1", report: str | None = "mini.txt", company: str | None = None) -> EvalItem:
    return EvalItem(id=id_, question="q?", answers=answers, report=report, evidence=evidence or [], type=type_,
                    company=company)


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


def test_a_row_of_decimal_comma_figures_holds_each_figure() -> None:
    assert contains_answer("Frauenanteil in % 1,52 1,48 1,47", "1,48")
    assert not contains_answer("Frauenanteil in % 1,52 11,48 1,47", "1,48")


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


# ---------------------------------------------------------------- span@1


def test_span_holds_a_gold_answer_or_most_of_one() -> None:
    golds = ["7,122.60 t"]
    assert span_holds("7,122.60 t", golds)
    assert span_holds("7,122.60 t CO2e", golds)  # holds the whole gold answer
    assert span_holds("7,122.60", golds)  # most of it: the number without its unit
    assert span_holds("7122.60", golds)  # thousands separators do not matter
    assert span_holds("Deloitte", ["Deloitte GmbH"])  # half of the gold's tokens, all of them its own
    assert span_holds("2023", ["15 March 2023", "2023"])  # any gold answer will do


def test_span_near_misses() -> None:
    golds = ["7,122.60 t"]
    assert not span_holds("7,122.61", golds)  # another number
    assert not span_holds("7,122", golds)  # part of the number is another number
    assert not span_holds("t", golds)  # half of the tokens, but not the gold's number
    assert not span_holds("7,122.60 kg", golds)  # a token the gold does not have
    assert not span_holds("March", ["15 March 2023"])  # under half, and loses the numbers
    assert not span_holds("Scope 2 emissions were 7,122.60", golds)  # words around the number, unit missing
    assert not span_holds(None, golds) and not span_holds("  ", golds)


def test_span_at_one_is_scored_for_span_types_and_an_abstention_misses(sources: SourceCache) -> None:
    it = item(["31,347.06 t"])
    top = quote("Total GHG Emissions3\n\n31,347.06 t")
    assert score(it, pred(answer(top, span="31,347.06")), sources).span1 is True
    wrong_span = score(it, pred(answer(top, span="Total GHG Emissions3")), sources)
    assert wrong_span.a1 and wrong_span.span1 is False and wrong_span.failed  # right quote, wrong span
    # nothing highlighted: the answer is the whole quote, which holds the figure (A@1), but no span is shown
    whole = Answer(question="q", answered=True, answer=top.text, confidence=0.9, quotes=[top])
    assert top.highlight is None and score(it, pred(whole), sources).span1 is False
    # a highlight other than the answer's text is scored by what is highlighted
    off = top.model_copy(update={"highlight": [0, 5]})
    assert score(it, pred(Answer(question="q", answered=True, answer="31,347.06", confidence=0.9, quotes=[off])),
                 sources).span1 is False
    abstained = score(it, pred(answer(top, answered=False)), sources)
    assert abstained.a1 and abstained.span1 is False  # no answer: a miss, though the quote holds it
    refused = score(it, Prediction(id="q1", answer=None, latency_ms=1.0, error="BadQuestion: x"), sources)
    assert refused.span1 is False
    yes_no = item(["Yes"], type_="yes_no", evidence=["ISO 45001:2018"])
    assert score(yes_no, pred(answer(quote("ISO 45001:2018"), span="Yes")), sources).span1 is None
    unans = score(item([], type_="unanswerable"), pred(answer(top, span="31,347.06")), sources)
    assert unans.span1 is None

    for type_ in ("table", "date", "entity", "cross_report"):
        assert score(item(["31,347.06 t"], type_=type_), pred(answer(top, span="31,347.06 t")), sources).span1
    m = aggregate([score(it, pred(answer(top, span="31,347.06")), sources), wrong_span, abstained,
                   score(yes_no, pred(answer(quote("ISO 45001:2018"), span="Yes")), sources)])
    assert (m.span1, m.n_span, m.a1) == (33.33, 3, 100.0)


# ---------------------------------------------------------------- companies


def report(id_: str, company: str, source: str) -> ReportInfo:
    return ReportInfo(id=id_, company=company, title=id_, year=2023, years_covered=[2023], source=source,
                      original_name=source, sha256="0" * 64)


REPORTS = [report("mini", "Mini Holding AG", SOURCE), report("other", "Other Software SE", "other.txt")]


def test_company_names_match_without_legal_forms() -> None:
    assert company_key("INDUS Holding AG") == ("indus",) and company_key("Xiaomi Corporation") == ("xiaomi",)
    companies = CompanyIndex(REPORTS)
    assert companies.canonical("mini holding ag") == "Mini Holding AG"
    assert companies.canonical("Mini") == "Mini Holding AG" and companies.canonical("Other") == "Other Software SE"
    assert companies.canonical("Elsewhere Inc.") == "Elsewhere Inc."  # not in the manifest: kept as given
    assert companies.report_company("other") == "Other Software SE"
    assert companies.report_company("mini.txt") == "Mini Holding AG"  # by file name
    assert companies.of_item(item(["1"], report="other")) == "Other Software SE"
    assert companies.of_item(item(["1"], report="other", company="Mini")) == "Mini Holding AG"  # the line says
    assert companies.of_item(item(["1"], report="both")) == UNKNOWN_COMPANY  # two companies, nothing says which
    assert CompanyIndex(REPORTS[:1]).of_item(item(["1"], report=None)) == "Mini Holding AG"  # the only one


def other_quote(needle: str) -> Quote:
    """A quote of CORPUS cited as the other company's report."""
    q = quote(needle)
    return q.model_copy(update={"citation": q.citation.model_copy(update={"report_id": "other"})})


def test_by_company_rows_and_wrong_company(sources: SourceCache) -> None:
    items = [
        item(["31,347.06 t"], id_="m1", report="mini"),  # right company, right answer
        item(["1,406,874"], id_="m2", report="mini", type_="table"),  # answered from the other company
        item(["85,742.61"], id_="o1", report="other", type_="table"),  # the other company's, right
        item([], id_="o2", type_="unanswerable", report=None, company="Other"),  # abstains
        item([], id_="x1", type_="unanswerable", report=None, company="Elsewhere Inc."),  # answers anyway
        item(["66,481.29"], id_="m3", report="mini"),  # abstains with another company's quote: not counted
    ]
    preds = [
        pred(answer(quote("31,347.06 t"), span="31,347.06 t", confidence=0.9), id_="m1"),
        pred(answer(other_quote("1,406,874 kilowatt-hours"), span="1,406,874", confidence=0.7), id_="m2"),
        pred(answer(other_quote("85,742.61"), span="85,742.61", confidence=0.8), id_="o1"),
        pred(answer(quote("throughout the year."), answered=False, confidence=0.1), id_="o2"),
        pred(answer(quote("31,347.06 t"), span="31,347.06 t", confidence=0.5), id_="x1"),
        pred(answer(other_quote("66,481.29"), answered=False, confidence=0.3), id_="m3"),
    ]
    results = {r.id: r for r in score_all(items, preds, sources, REPORTS)}
    assert [k for k, r in results.items() if r.wrong_company] == ["m2", "x1"]
    assert results["m2"].failed and results["m2"].quote_company == "Other Software SE"
    assert results["x1"].company == "Elsewhere Inc."

    m = summarize(list(results.values()))
    assert list(m.by_company) == ["(not in the corpus)", "Mini Holding AG", "Other Software SE"]
    assert m.by_company["(not in the corpus)"].wrong_company == 1
    mini, other = m.by_company["Mini Holding AG"], m.by_company["Other Software SE"]
    # A@1 only asks whether quotes[0] holds the figure; wrong_company says whose figure it was
    assert (mini.n, mini.a1, mini.a3, mini.span1, mini.table_a1, mini.false_abst) == (3, 100.0, 100.0, 66.67,
                                                                                          100.0, 33.33)
    assert mini.wrong_company == 1 and mini.abstain is None and mini.ece is not None
    assert (other.n, other.a1, other.table_a1, other.abstain, other.wrong_company) == (2, 100.0, 100.0, 100.0, 0)
    assert other.ece == round((abs(1 - 0.8) + abs(0 - 0.1)) / 2, 4)
    assert m.overall.wrong_company == 2
    d = m.as_dict()
    assert d["by_company"]["Mini Holding AG"]["wrong_company"] == 1 and d["overall"]["wrong_company"] == 2
    row = d["by_company"]["Other Software SE"]
    assert {"n", "A@1", "A@3", "span@1", "table_A@1", "false_abst", "abstain", "ECE", "wrong_company"} <= set(row)


def test_gate_holds_span_at_one_within_two_points() -> None:
    base = {"overall": {"A@1": 80.0, "span@1": 70.0, "abstain": 90.0, "verbatim": 100.0}}
    assert check_gate({"A@1": 80.0, "span@1": 68.5, "abstain": 90.0, "verbatim": 100.0}, base) == []
    problems = check_gate({"A@1": 80.0, "span@1": 67.0, "abstain": 90.0, "verbatim": 100.0}, base)
    assert problems == ["span@1 dropped 3.00 points (70.0 -> 67.0), more than 2.0"]
    old = {"overall": {"A@1": 80.0, "abstain": 90.0, "verbatim": 100.0}}  # a baseline without span@1
    assert check_gate({"A@1": 80.0, "span@1": 10.0, "abstain": 90.0, "verbatim": 100.0}, old) == []
