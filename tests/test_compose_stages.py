"""Each composer stage on tiny literal reports, with the hashing embedder (no model, no real index)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.chunking.chunker import Chunker
from qa.compose.candidate import Candidate
from qa.compose.extract import empty_cell
from qa.compose.features import FEATURES, feature_matrix
from qa.compose.question import analyse, name_words
from qa.compose.ranker import MODEL_DIR, LearnedRanker, RuleRanker
from qa.compose.signals import MAX_RUN, pair_share, token_run
from qa.config import Settings
from qa.embedding import HashingEmbedder
from qa.reports import ReportRegistry
from qa.service import QAService
from qa.store import IndexBuilder, load_index

TABS = """Key Environmental Indicators

\t2023\t2022\t2021
Hazardous waste (t)\t1.10\t1.43\t2.50
Fresh water withdrawal (m3)\t400,000\t391,953\t329,572
Energy consumption (MWh)\t5,120.4\t4,980.2\t4,611.9

Energy

Our plants switched to green electricity in 2023. The share of renewable electricity reached 64.5%.
"""
SPACES = """People

Headcount by region 2023 2022 2021
Europe employees 1,204 1,150 1,098
Americas employees 312 301 287
Asia employees 95 88 80

Training

Every employee received 21.5 hours of training on average in 2023.
"""
PAIRS = """Environment

Total GHG Emissions

8,402.12 t

Natural Gas Burned

3,192.70 MWh

Water Recycled

12,500 m3
"""


def _service(tmp: Path, reports: list[tuple[str, str, str, int]], ranker: str = "rules") -> QAService:
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "reports.json").write_text('{"version": 1, "reports": []}\n', encoding="utf-8")
    s = Settings(root=tmp, seeds_dir=seeds, index_dir=tmp / "index", ranker=ranker)  # type: ignore[arg-type]
    reg = ReportRegistry(s.manifest_path, s.root).load()
    for rid, company, text, year in reports:
        src = tmp / f"{rid}.txt"
        src.write_text(text, encoding="utf-8")
        reg.add(src, report_id=rid, title=f"{company} report {year}", year=year, company=company,
                years_covered=[year - 2, year - 1, year])
    reg = ReportRegistry(s.manifest_path, s.root).load()
    emb = HashingEmbedder()
    chunker = Chunker(lambda t: len(t.split()), max_tokens=s.chunk_max_tokens, target_tokens=40)
    IndexBuilder(s, emb, chunker).build(reg)
    return QAService.from_index(s, load_index(s, reg.reports, emb.fingerprint), emb)


@pytest.fixture()
def svc(tmp_path: Path) -> QAService:
    return _service(tmp_path, [("acme-2023", "Acme Industries AG", TABS + SPACES + PAIRS, 2023)])


def _ranked(svc: QAService, question: str) -> list[Candidate]:
    info = analyse(question, svc.composer.ignore_words)
    qvec = svc.retriever.embed_query(question)
    hits = svc.retriever.search(question, k=20, qvec=qvec)
    return svc.composer.ranked(info, hits, qvec)


@pytest.mark.parametrize(
    ("question", "qtype", "wants_number"),
    [
        ("What was hazardous waste in 2022?", "other", True),
        ("What share of electricity was renewable?", "percent", True),
        ("How many employees worked in Europe in 2021?", "count", True),
        ("When did the plants switch to green electricity?", "date", False),
        ("Which auditor verified the report?", "entity", False),
        ("Does Acme recycle water?", "yes_no", False),
        ("What are the regions with employees?", "list", False),
        ("What is meant by fresh water withdrawal?", "definition", False),
        ("What is the name of Acme's brand mascot?", "entity", False),  # a name, not a definition
        ("What is the hearing-aid app called?", "entity", False),
        ("name of the training center set up in 2019", "entity", False),
        ("Acme app release date", "date", False),  # keyword queries after a date
        ("Acme materiality analysis start", "date", False),
        ("dates of the anti-corruption trainings", "date", False),
        ("Name the suppliers audited", "list", False),
        ("Which handbook did Acme publish to define its compliance rules?", "entity", False),  # not a definition
        ("What is the title of Acme's documentary on hearing loss?", "entity", False),
        ("How does Acme define its accident rate?", "definition", False),
        ("acme committee overseeing ethics of AI technology", "entity", False),
        ("acme committee supporting the rights of women", "entity", False),
        # a verb of the present tense ends the noun phrase: its object's plural does not make a list
        ("Which Acme body manages the Group's purchasing practices?", "entity", False),
        ("Which Acme charity project aims to preserve wetlands?", "entity", False),
        ("Which acme programs target young engineers?", "list", False),
        ("Which partner company works with Acme on battery recycling?", "entity", False),  # "works with": a verb
        # a word in -s right after "which" and one noun is its verb when its object follows; a plural before a verb,
        # or a possessive, is the head
        ("Which division provides machines for battery production?", "entity", False),
        ("Which internal guidelines govern hazardous substances at Acme?", "list", False),
        ("In which segment are Acme's battery companies?", "entity", False),  # one segment: not a list
        ("In which countries are Acme's plants?", "list", False),
        ("Until when were sustainability issues at Acme managed decentrally?", "date", False),
        ("Which firm cooperates with Acme's suppliers on audits?", "entity", False),
        # a plural before "and" is a modifier: the head is further on
        ("Which sports and fitness club membership did Acme offer its staff?", "entity", False),
        # "since when" asks a date, whatever follows; "means of transport" asks for no meaning
        ("Since when has Acme used electric means of transport for deliveries?", "date", False),
        ("What does the term 'net zero' mean for Acme?", "definition", False),
        # a place or an owner is a name
        ("Where is Acme's portfolio company Widget Works headquartered?", "entity", False),
        ("Whose enhanced privacy test did the Acme phone pass?", "entity", False),
        ("acme accessibility website url", "entity", False),
        # a head noun that names a measure asks for a figure, a share for some
        ("What charging efficiency does Acme assume for its fast chargers?", "percent", True),
        ("acme supplier training coverage 2023", "percent", True),
        ("What internal carbon price does Acme apply to investments?", "numeric", True),
        ("acme average age of employees", "numeric", True),
        ("What score did Acme achieve on the employer review platform in 2023?", "numeric", True),  # a score: a figure
        ("acme refurbished devices warranty length", "numeric", True),  # a participle opening a keyword query
        ("acme earnings per share 2023", "numeric", True),  # a figure per share, not a share
        # "what is the <measure> of …" asks for the figure, "what is the <kind of thing> of …" for the name
        ("What is the average age of Acme's staff in Spain?", "numeric", True),
        ("What is the median pay ratio of women to men at Acme?", "percent", True),
        ("What is the street address of Acme's office in Lyon?", "entity", False),
        ("What is Acme's Ethics Committee?", "definition", False),  # what the thing is
        # a page of the report (a content index's reference) is a number, however it is asked
        ("On which report page does Acme's sustainability code index cover human rights?", "numeric", True),
        ("Which pages does Acme's GRI index give for GRI 305?", "numeric", True),
        ("acme GRI 303 water and effluents report page", "numeric", True),
        ("acme GRI 416-1 health and safety impacts page reference", "numeric", True),
        ("What is the innovation area of Acme's board about?", "definition", False),
        # a year asked for after a preposition, or at the end of a keyword query
        ("Since which financial year has Acme prepared a carbon footprint?", "date", False),
        ("By what year does Acme aim to reach net zero?", "date", False),
        ("acme whistleblower hotline introduced year", "date", False),
        ("acme double materiality assessment launched when", "date", False),
        ("By when does Acme commit to a climate-neutral portfolio?", "date", False),
        ("acme own mobile network operational since", "date", False),
        ("acme IoT developer platform launch year", "date", False),
        ("supply chain risk factors acme evaluates every year", "other", False),  # "every year" asks no date
        # a keyword query whose plural head a participle follows counts them, unless the participle lists them
        ("trademark-infringing web links removed by acme 2020", "count", True),
        ("laptops donated to schools 2020 acme", "count", True),
        ("greenhouse gases covered in acme's GHG inventory", "list", False),
        # a question that opens by asking which named kind of thing asks for a name, whatever figure words follow
        ("Which climate agreement did Acme reaffirm when it updated its GHG emission targets?", "entity", False),
        ("To which organization, where 35% of the staff are disabled, did Acme donate laptops?", "entity", False),
        # a % sign asks for a share, unless it is a figure's own
        ("Acme accident rate 2022 %", "percent", True),
        ("Acme taxonomy-aligned CapEx share %", "percent", True),
        ("Acme EcoVadis top 15% comparison period months", "other", False),
    ],
)
def test_question_analysis_of_each_type(question: str, qtype: str, wants_number: bool) -> None:
    info = analyse(question, name_words(["Acme Industries AG"]))
    assert info.wants_number == wants_number
    if qtype != "other":
        assert info.qtype == qtype
    assert "acme" not in info.terms  # company names are never key terms


def test_a_unit_the_question_names_decides_the_kind_of_quantity() -> None:
    money = {"eur", "€"}
    assert money <= analyse("Acme CapEx for renewable energy technologies CCM 3.1, EUR million").units  # not MWh
    assert "mwh" not in analyse("Acme CapEx for renewable energy technologies CCM 3.1, EUR million").units
    assert "mwh" in analyse("Acme energy consumption per EUR million of revenue 2023 MWh").units
    assert "mwh" in analyse("Acme energy intensity per EUR million of revenue").units  # a unit after "per" names none


def test_a_year_that_recurs_or_is_a_base_is_asked_for_no_date() -> None:
    for q in ("supply chain risk factors acme evaluates every year", "acme scope 3 emissions 2018 base year",
              "acme employee engagement goal for the 2023 financial year"):
        assert analyse(q, name_words(["Acme Industries AG"])).qtype != "date", q


def test_tab_table_cell_under_the_asked_year(svc: QAService) -> None:
    best = _ranked(svc, "Acme hazardous waste 2022")[0]
    assert best.chunk.kind == "table_row" and best.column == "2022"
    assert best.answer is not None and best.answer.text == "1.43"
    ans = svc.ask("What was the hazardous waste of Acme Industries in 2022?")
    assert ans.answer == "1.43" and ans.quotes[0].text.startswith("Hazardous waste")


def test_latest_column_when_no_year_is_named(svc: QAService) -> None:
    best = _ranked(svc, "energy consumption MWh")[0]
    assert best.column == "2023" and best.answer is not None and best.answer.text == "5,120.4"


def test_space_separated_row_holds_the_figure(svc: QAService) -> None:
    cands = _ranked(svc, "How many employees in the Americas?")
    assert any("312" in c.quote_text for c in cands[:3])


def test_label_value_pair(svc: QAService) -> None:
    best = _ranked(svc, "How much natural gas was burned?")[0]
    assert best.chunk.kind == "kpi" and best.answer is not None and best.answer.text.startswith("3,192.70")


def test_percent_in_prose(svc: QAService) -> None:
    best = _ranked(svc, "What share of electricity was renewable?")[0]
    assert best.answer is not None and best.answer.text == "64.5%"


def test_feature_matrix_is_finite_and_relative(svc: QAService) -> None:
    question = "fresh water withdrawal 2021"
    cands = _ranked(svc, question)
    X = feature_matrix(analyse(question), cands)
    assert X.shape == (len(cands), len(FEATURES)) and np.isfinite(X).all()
    gap = FEATURES.index("dense_gap")
    assert X[:, gap].max() == pytest.approx(0.0) and (X[:, gap] <= 0).all()


def test_a_question_with_no_key_term_is_refused(tmp_path: Path) -> None:
    # with the learned confidence, a bare year or a question in another language reached 0.30–0.37 before
    if not (MODEL_DIR / "ranker.txt").exists():
        pytest.skip("no trained model in the package yet")
    svc = _service(tmp_path, [("acme-2023", "Acme Industries AG", TABS + SPACES + PAIRS, 2023)], ranker="learned")
    for question in ("?????", "what is it?", "小米2021年的范围一排放是多少？", "Acme 2021?", "2021"):
        a = svc.ask(question)
        assert a.confidence == 0.0 and not a.answered, question
    assert svc.ask("fresh water withdrawal 2021").answered


def test_rule_ranker_prefers_the_named_row(svc: QAService) -> None:
    question = "fresh water withdrawal 2021"
    cands = _ranked(svc, question)
    scores = RuleRanker().score(analyse(question), cands)
    assert cands[int(np.argmax(scores))].quote_text.startswith("Fresh water withdrawal")


def test_shipped_learned_model_matches_the_features() -> None:
    if not (MODEL_DIR / "ranker.txt").exists():
        pytest.skip("no trained model in the package yet")
    ranker = LearnedRanker.load()
    assert tuple(ranker.manifest["features"]) == FEATURES
    assert ranker.manifest["training_set"]["hand_written"] > 0


def test_learned_ranker_answers_a_table_cell(tmp_path: Path) -> None:
    if not (MODEL_DIR / "ranker.txt").exists():
        pytest.skip("no trained model in the package yet")
    svc = _service(tmp_path, [("acme-2023", "Acme Industries AG", TABS + PAIRS, 2023)], ranker="learned")
    assert svc.composer.ranker.name == "learned"
    best = _ranked(svc, "Acme hazardous waste 2021")[0]
    assert best.answer is not None and best.answer.text == "2.50"


def test_cross_report_note_only_within_one_company(tmp_path: Path) -> None:
    other = TABS.replace("1.43", "9.99")
    svc = _service(tmp_path, [("acme-2023", "Acme Industries AG", TABS, 2023),
                              ("beta-2023", "Beta Holding SE", other, 2023)])
    ans = svc.ask("hazardous waste 2022", top_k=5)
    assert not any("differ" in n for n in ans.notes)


def test_a_missing_or_broken_model_falls_back_to_the_rule_ranker(tmp_path: Path) -> None:
    from qa.compose.ranker import load_ranker

    assert load_ranker("learned", tmp_path).name == "rules"  # no model files
    (tmp_path / "ranker.json").write_text('{"features": ["not", "these"]}', encoding="utf-8")
    (tmp_path / "ranker.txt").write_text("garbage", encoding="utf-8")
    assert load_ranker("learned", tmp_path).name == "rules"
    (tmp_path / "ranker.json").write_text(json.dumps({"features": list(FEATURES)}), encoding="utf-8")
    assert load_ranker("learned", tmp_path).name == "rules"  # right features, unreadable model
    assert load_ranker("rules").name == "rules"


def test_a_row_that_names_columns_is_never_a_candidate() -> None:
    from qa.compose.generate import names_columns

    header = ["2020", "2021", "2022", "2023"]
    assert names_columns("millions of m³\t2020\t2021\t2022\t2023", header)
    assert names_columns("in %\t2021\t2022\t2023 Group\t2023 Water stress areas", ["2021", "2022", "2023 Group", "x"])
    assert not names_columns("Total water withdrawal\t14.0\t13.5\t13.2\t12.1", header)
    assert not names_columns("Base year\t2019\t2019", header)  # a row of years that are values


def test_a_sentence_gets_the_terms_its_paragraph_named_before_it(tmp_path: Path) -> None:
    text = ("Accessibility\n\nThe Wensheng hearing app helps hard-of-hearing users in conversations. It converts "
            "speech to text in real time. Launched in 2020, it has already served more than 930,000 users.\n")
    svc = _service(tmp_path, [("acme-2023", "Acme Industries AG", text, 2023)])
    question = "How many people has the Wensheng hearing app served?"
    cands = {c.quote_text: c for c in _ranked(svc, question) if c.origin == "unit"}
    last = cands["Launched in 2020, it has already served more than 930,000 users."]
    first = cands["The Wensheng hearing app helps hard-of-hearing users in conversations."]
    assert last.extra["lead_gain"] > 0 and last.extra["lead_coverage"] > last.coverage
    assert first.extra["lead_gain"] == 0.0  # nothing leads up to the paragraph's first sentence
    X = feature_matrix(analyse(question), list(cands.values()))
    assert X[:, FEATURES.index("lead_coverage_gap")].max() == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("Which certifications does Acme hold?", "certification"),
        ("supplier red-line issues", "issu"),
        ("acme stores number of cities covered end 2020", "city"),  # what is counted, not what opens the query
        ("anti-corruption trainings 2022: how many employees took part", "employe"),
        ("What was the total number of employees in 2022?", "employe"),
        ("how many of Acme's full-time employees were under 30?", "employe"),
        ("What kind of facade did Acme select for its office campus?", "facad"),  # not "kind"
        ("During the pandemic, which body received laptops from Acme?", "body"),  # not the opening phrase's
        ("Acme scholarship number of universities 2020 vs 2022", "university"),  # "vs" ends the phrase
        ("how often does the Acme board get ESG data updates", None),  # "often" names no thing asked about
        ("What happens to a new Acme supplier if red flags are found?", None),
        ("Acme accessibility website url", "websit"),  # the report prints the address, not the word
        ("Which Acme team works with the works council on training plans?", "team"),  # a verb, not the head
        ("Which sports and fitness club membership did Acme offer?", "membership"),
        ("Since when has Acme published a sustainability report?", None),  # "since" opens no noun phrase
        ("acme R&D staff end 2022", "staff"),  # a word that says when in the year names no thing asked about
        ("acme community cumulative users year-end 2020", "user"),
        ("acme end customers 2022", "customer"),  # "end" before a noun is part of the phrase
    ],
)
def test_the_head_noun_is_what_the_question_counts(question: str, head: str | None) -> None:
    assert analyse(question).head == head


@pytest.mark.parametrize(("text", "figures"), [
    ("Scope 3 emissions were 5,000 t", ["5,000 t"]),
    ("Scopes 1 and 2: 410", ["410"]),
    ("GHG emissions (Scope 1+2) 48,636", ["48,636"]),
    ("figure 4 employees covered by collective bargaining 313", ["313"]),
    ("Table 2 shows a share of 45%", ["45%"]),
    ("Tier-3 suppliers: 12", ["12"]),
    ("page 12, 44 employees", ["44"]),
    ("In 2022, 3 sites and a table of 12 rows", ["3", "12"]),
    # a reference's number before a figure is no group of thousands of it
    ("Scope 2 700.09 t CO₂e, Scope 3 11,379.26 t CO₂e; we employ 1 049 people", ["700.09 t CO₂e", "11,379.26 t CO₂e", "1 049"]),
    # a reference's number before a column's unit: the unit is the column's, the number still a reference
    ("intensity (Scope 1+2 t CO₂e/EUR million gross value added) 18% lower", ["18%"]),
])
def test_a_number_that_names_a_category_or_a_reference_is_not_a_figure(text: str, figures: list[str]) -> None:
    from qa.compose.extract import numbers

    assert [s.text for s, _unit in numbers(text)] == figures


def test_european_figures_and_quarters_are_one_figure_and_one_date() -> None:
    from qa.compose.extract import dates, numbers

    # dots between thousands and a decimal comma, a share with a decimal comma: one figure each, English ones unchanged
    text = "Consumption 188,693 1.519,348 kWh; women 14,3% and 85,7 %; exposure 1.103,6; 1,234.5 t, 12.5% and 2,3 sites"
    assert [s.text for s, _unit in numbers(text)] == [
        "188,693", "1.519,348 kWh", "14,3%", "85,7 %", "1.103,6", "1,234.5 t", "12.5%", "2", "3"]
    text = "operational in 1Q24 (Montenegro: as of 3Q23), reviewed in Q3 2023 and H1 2022, audited in 2021"
    assert [d.text for d in dates(text)] == ["1Q24", "3Q23", "Q3 2023", "H1 2022", "2021"]


@pytest.mark.parametrize(
    ("cell", "empty"),
    [("-", True), ("–", True), ("-⁴", True), ("—²", True), ("n/a", True), ("n/a*", True), ("k.A.", True),
     ("k.A", True), ("k. A.", True), ("n.d.", True), ("N/A", True), ("- (3)", True), ("", True), ("0", False), ("12", False), ("0.0%", False), ("€ 25", False), ("37", False)],
)
def test_an_empty_cell_with_or_without_a_footnote_mark(cell: str, empty: bool) -> None:
    assert empty_cell(cell) is empty


def test_a_label_value_block_counts_the_words_of_its_figure_title(svc: QAService) -> None:
    """A block of label/value rows printed under a figure title ("average age", "training hours") is read with
    its title, as a table row is: the question's words in the title count towards the row's coverage (at the
    context weight), and a block with no title reads its own words only."""
    from qa.models import Chunk, Hit, Unit

    row = "Acme Works Lyon\n41.39 334 42 245\n(France)"
    titled = Chunk(id="k1", report_id="acme-2023", source="acme-2023.txt", start=0, end=len(row), section="People",
                   page=1, kind="kpi", text=row, context="figure 5 age distribution average age under 30 over 50")
    bare = titled.model_copy(update={"id": "k2", "context": ""})
    question = "What is the average age of employees at Acme Works Lyon?"
    info = analyse(question, svc.composer.ignore_words)
    gen = svc.composer.generator
    got = {}
    for chunk in (titled, bare):
        unit = Unit(chunk_index=0, start=0, end=len(row), text=row, kind="kpi")
        cand = gen.candidate(info, unit, 0, 0.5, hit=Hit(chunk=chunk, score=1.0, rank=1), max_hit=1.0)
        assert cand is not None
        got[chunk.id] = cand
    assert got["k1"].body_coverage == pytest.approx(got["k2"].body_coverage)
    assert got["k1"].coverage > got["k2"].coverage == pytest.approx(got["k2"].body_coverage)


@pytest.mark.parametrize(
    ("question", "text", "run"),
    [
        ("What was the return to work rate at Acme in 2022?", "Return to work rate (%)\t98.3\t96.8\t103.0", 3),
        ("What was the return to work rate at Acme in 2022?", "Number of employees back at work after their return", 1),
        ("Acme incinerated waste 2023", "Incinerated waste\t55\t48\t47\t44", 2),  # stemmed, case-folded
        ("Acme incinerated waste 2023", "Waste incinerated on site", 1),  # the order counts
        ("Acme water use", "", 0),
    ],
)
def test_the_longest_run_of_question_words_the_quote_says_in_order(question: str, text: str, run: int) -> None:
    assert token_run(question, text) == run


def test_word_run_is_capped_and_relative(svc: QAService) -> None:
    question = "Acme energy consumption MWh 2023 fresh water withdrawal hazardous waste"
    words = " ".join(["energy consumption MWh 2023 fresh water withdrawal hazardous waste"] * 2)
    assert token_run(question, words) == MAX_RUN
    cands = _ranked(svc, "What was the fresh water withdrawal in 2022?")
    X = feature_matrix(analyse("What was the fresh water withdrawal in 2022?"), cands)
    run, gap = X[:, FEATURES.index("word_run")], X[:, FEATURES.index("word_run_gap")]
    assert run.max() >= 3 and gap.max() == pytest.approx(0.0) and (gap <= 0).all()


@pytest.mark.parametrize(
    ("question", "text", "share"),
    [
        ("What was the return to work rate at Acme?", "Return to work rate (%)\t98.3\t96.8", 2 / 3),  # "rat acm" missing
        ("Acme incinerated waste", "Incinerated waste\t55\t48", 1 / 2),
        ("Acme incinerated waste", "Waste incinerated on site", 0.0),  # the order counts
        ("Acme", "Acme Industries AG", 0.0),  # one word: no pair
    ],
)
def test_the_share_of_the_questions_word_pairs_the_quote_has(question: str, text: str, share: float) -> None:
    assert pair_share(question, text) == pytest.approx(share)
