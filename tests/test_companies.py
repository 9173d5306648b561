"""Company names: aliases derived from the manifest's names, and the companies a question names."""

from __future__ import annotations

import pytest

from qa.companies import CompanyDirectory, CorpusWords, derive_aliases, merge_aliases
from qa.errors import UnknownCompany
from qa.models import ReportInfo


@pytest.mark.parametrize(
    ("company", "aliases"),
    [
        ("Manz AG", ["Manz"]),
        ("INDUS Holding AG", ["INDUS"]),
        ("MAX Automation SE", ["MAX Automation", "MAX"]),  # a first word in capitals stands for the name
        ("ATOSS Software AG", ["ATOSS Software", "ATOSS"]),
        ("EMD Serono, Inc.", ["EMD Serono", "EMD"]),
        ("1&1 AG", ["1&1"]),
        ("Xiaomi Corporation", ["Xiaomi"]),
        ("Merck KGaA", ["Merck"]),
        ("Addiko Bank AG", ["Addiko Bank"]),
        ("Henkel AG & Co. KGaA", ["Henkel"]),
        ("Example Holdings Ltd.", ["Example"]),
        ("Acme Group plc", ["Acme"]),
        ("Apple Inc.", ["Apple"]),
        ("Foo Co., Ltd.", ["Foo"]),
        ("Bar Co.,Ltd.", ["Bar"]),
        ("Royal Example N.V.", ["Royal Example"]),
        ("Ejemplo S.A.", ["Ejemplo"]),
        ("Procter & Gamble Co.", ["Procter & Gamble"]),  # an '&' inside the name stays
        ("The Coca-Cola Company", ["Coca-Cola"]),
        ("Xiaomi", []),  # nothing to drop: the name itself is the only name
        ("Group AG", ["Group"]),  # the first word is never dropped
    ],
)
def test_derive_aliases_drops_legal_forms(company: str, aliases: list[str]) -> None:
    assert derive_aliases(company) == aliases


def test_merge_aliases_drops_blanks_duplicates_and_the_name_itself() -> None:
    assert merge_aliases("Manz AG", ["Manz", " manz ", "", "MANZ AG", "Manz  Group"]) == ["Manz", "Manz Group"]


def _report(rid: str, company: str, aliases: list[str] | None = None) -> ReportInfo:
    data: dict[str, object] = {
        "id": rid, "company": company, "title": f"{company} report", "year": 2023, "years_covered": [2023],
        "source": f"seeds/{rid}.txt", "original_name": f"{rid}.txt", "sha256": "0" * 64,
    }
    if aliases is not None:
        data["aliases"] = aliases
    return ReportInfo.model_validate(data)


def test_report_info_derives_aliases_only_when_the_manifest_has_none() -> None:
    assert _report("a", "INDUS Holding AG").aliases == ["INDUS"]  # an old manifest entry still loads
    assert _report("a", "INDUS Holding AG", ["INDUS Holding"]).aliases == ["INDUS Holding"]
    assert _report("a", "INDUS Holding AG", []).aliases == []
    again = ReportInfo.model_validate(_report("a", "Manz AG").model_dump())
    assert again.aliases == ["Manz"]


REPORTS = [
    _report("manz-2023", "Manz AG"),
    _report("indus-2023", "INDUS Holding AG"),
    _report("max-2023", "MAX Automation SE", ["MAX Automation", "MAX"]),
    _report("1und1-2023", "1&1 AG"),
    _report("merck-2023", "Merck KGaA"),
    _report("merck-2022", "Merck KGaA"),
    _report("total-2023", "Total SE"),
    _report("xiaomi-2022", "Xiaomi Corporation"),
]
ORDINARY = {"max", "total", "indus"}  # words a corpus writes in lower case


@pytest.fixture()
def directory() -> CompanyDirectory:
    return CompanyDirectory(REPORTS, lambda w, own=frozenset(): w.lower() in ORDINARY)


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("What were Manz's Scope 1 emissions in 2023?", ["Manz AG"]),
        ("What were manz ag's emissions?", ["Manz AG"]),  # names (not ordinary words) ignore case
        ("What were MANZ emissions?", ["Manz AG"]),
        ("Manzanita emissions?", []),  # a whole word only
        ("How many employees does 1&1 have?", ["1&1 AG"]),
        ("What is 1&1's share of women?", ["1&1 AG"]),
        ("What is 21&1's figure?", []),
        ("Merck’s Scope 2 target?", ["Merck KGaA"]),  # typographic apostrophe
        ("What was the water use of Xiaomi Corporation?", ["Xiaomi Corporation"]),
        # an alias that is an ordinary word: only as the manifest writes it
        ("What is the max water use?", []),
        ("What is the Max water use?", []),
        ("What were MAX's sales in 2023?", ["MAX Automation SE"]),
        ("What were max automation's sales?", ["MAX Automation SE"]),  # a longer name is no ordinary word
        ("How much waste did INDUS produce?", ["INDUS Holding AG"]),
        ("How much waste did indus produce?", []),
        ("Did Indus report waste?", []),
        ("What did INDUS Holding AG report?", ["INDUS Holding AG"]),
        # a Title-case ordinary word opening a sentence is the word
        ("Total emissions in 2022?", []),
        ("Total Scope 1 emissions. Total's target?", ["Total SE"]),
        ("What were the emissions of Total in 2022?", ["Total SE"]),
        ("Total's emissions in 2022?", ["Total SE"]),
        ("Compare Merck and Manz on water", ["Merck KGaA", "Manz AG"]),  # in the order named
    ],
)
def test_named_in(directory: CompanyDirectory, question: str, named: list[str]) -> None:
    assert directory.named_in(question) == named


def test_the_longest_name_wins_and_a_shared_alias_names_every_holder() -> None:
    d = CompanyDirectory([_report("a", "Merck KGaA"), _report("b", "Merck & Co. Inc.", ["Merck", "MSD"])])
    assert d.aliases("Merck & Co. Inc.") == ["Merck", "MSD"]
    assert d.named_in("What did Merck KGaA emit?") == ["Merck KGaA"]
    assert d.named_in("What did Merck & Co. emit?") == ["Merck KGaA", "Merck & Co. Inc."]  # only "Merck" matches
    assert d.named_in("What did Merck & Co. Inc. emit?") == ["Merck & Co. Inc."]
    assert d.named_in("What did Merck emit?") == ["Merck KGaA", "Merck & Co. Inc."]
    assert d.named_in("What did MSD emit?") == ["Merck & Co. Inc."]


def test_registry_views(directory: CompanyDirectory) -> None:
    assert directory.companies[:2] == ["Manz AG", "INDUS Holding AG"]
    assert directory.report_ids(["Merck KGaA"]) == ["merck-2023", "merck-2022"]
    assert directory.company_of("1und1-2023") == "1&1 AG" and directory.company_of("nope") is None
    assert directory.aliases("MAX Automation SE") == ["MAX Automation", "MAX"]
    assert directory.resolve(["manz", "MERCK KGAA", " max  automation "]) == [
        "Manz AG", "Merck KGaA", "MAX Automation SE"
    ]
    with pytest.raises(UnknownCompany, match=r"Unknown company 'BASF'\. Companies in the corpus: Manz AG, "):
        directory.resolve(["BASF"])
    assert directory.listing(["A", "B", "C"]) == "A, B and C" and directory.listing(["A"]) == "A"


@pytest.mark.parametrize(
    ("question", "absent"),
    [
        ("What were Tesla's Scope 1 emissions?", ["Tesla"]),
        ("What were Siemens' emissions?", ["Siemens"]),
        ("What was Siemens AG's revenue?", ["Siemens AG"]),
        ("How many employees does Apple Inc. have?", ["Apple Inc."]),
        ("What is Deutsche Telekom's target?", ["Deutsche Telekom"]),
        ("What is Germany's share of the workforce?", []),  # the reports name Germany
        ("What is Dr. Jane Smith's role?", []),  # and Ms Smith
        ("What is the Group's Scope 1 target?", []),  # a determiner: not a name
        ("The Company's water use?", []),
        ("What were Manz's emissions?", []),  # a company of the corpus
        ("What were total emissions in FY2022's report?", []),
        ("What is the max water use?", []),
    ],
)
def test_absent_named_in(directory: CompanyDirectory, question: str, absent: list[str]) -> None:
    corpus = {"germany", "company", "group", "smith"}
    assert directory.absent_named_in(question, lambda name: name.lower() in corpus) == absent


def test_corpus_words() -> None:
    texts = [
        "We reduced emissions by max. 5% (see www.indus.de, info@kestrel.com, kestrel-group.com).",
        "The indus\ufffetry and the Total figure; vonovia.de; total emissions fell.",
    ]
    words = CorpusWords(lambda: [("a", texts[0]), ("b", texts[1])])
    assert words.is_ordinary("max") and words.is_ordinary("Total") and words.is_ordinary("the")
    # a company's own report may write its name in lower case (a brand style): not an ordinary word then
    assert words.is_ordinary("total") and not words.is_ordinary("total", frozenset({"b"}))
    assert not words.is_ordinary("indus")  # a URL and a hyphenated word are not the word
    assert not words.is_ordinary("kestrel") and not words.is_ordinary("vonovia")
    assert words.mentions("INDUS") and words.mentions("total figure") and words.mentions("Vonovia")
    assert not words.mentions("Tesla") and not words.mentions("figure total") and not words.mentions("")


def test_a_multi_word_absent_company_is_found_even_when_its_last_word_is_common() -> None:
    d = CompanyDirectory([_report("a", "Merck KGaA")])
    corpus = "the group reported its scope 1 emissions; bank loans; international sites; dr. lee"
    found = d.absent_named_in("What were GEA Group's Scope 1 emissions in 2023?", lambda n: n.lower() in corpus)
    assert found == ["GEA Group"]
    assert d.absent_named_in("What did Dr. Lee's team report?", lambda n: n.lower() in corpus) == []


def test_a_company_with_a_legal_form_is_absent_even_when_the_reports_name_it() -> None:
    d = CompanyDirectory([_report("a", "Merck KGaA")])
    corpus = "our customer kestrel ag ordered two lines"  # a customer the reports name
    assert d.absent_named_in("What were Kestrel AG's Scope 1 emissions?", lambda n: n.lower() in corpus) == ["Kestrel AG"]
    # a possessive name the reports use (a place, a product) is not taken for an absent company
    assert d.absent_named_in("What were Kestrel's orders?", lambda n: n.lower() in corpus) == []


def test_only_the_words_naming_a_company_are_dropped_from_the_key_terms() -> None:
    """A company's lead word never counts as a key term; its other name words ("automation", "bank") only
    beside it: "Manz automation solutions" keeps "automation", "Addiko Bank" drops "bank"."""
    from qa.compose.question import analyse, lead_name_words, name_words, naming_words

    reports = [_report("m", "Manz AG"), _report("x", "MAX Automation SE"), _report("a", "Addiko Bank AG", ["Addiko", "Addiko Bank"])]
    d = CompanyDirectory(reports)
    names = [n for r in reports for n in (r.company, *r.aliases)]
    lead = lead_name_words(names)

    def terms(q: str) -> list[str]:
        spans = [(s, e) for s, e, _c in d.mentions(q)]
        return analyse(q, naming_words(q, spans, lead), names=name_words(names)).terms

    assert "autom" in " ".join(terms("Manz automation solutions revenue 2023"))
    assert not {"manz", "max"} & set(terms("Manz automation solutions revenue 2023"))
    assert not {"bank", "addiko"} & set(terms("Addiko Bank female managers"))
    assert "bank" in terms("Manz bank loans")
    assert not {"max", "autom", "automation"} & set(terms("MAX Automation water use"))
    # the old behaviour dropped every word of every name everywhere
    assert "bank" not in analyse("Manz bank loans", name_words(names)).terms


def test_a_first_word_in_capitals_names_the_company_as_written() -> None:
    """"MAX" stands for "MAX Automation SE" (an alias derived from its name), matched only as written: "max",
    an ordinary word of the reports, names nobody."""
    reports = [ReportInfo(id="m", company="MAX Automation SE", title="t", year=2023, years_covered=[2023], source="m.pdf",
                          original_name="m.pdf", sha256="0" * 64),
               _report("z", "Manz AG")]
    d = CompanyDirectory(reports, lambda w, own=frozenset(): w.lower() in {"max", "automation"})
    assert d.named_in("MAX relevant megatrends double materiality analysis") == ["MAX Automation SE"]
    assert d.named_in("Which GRI indicator appears in MAX's German Sustainability Code index?") == ["MAX Automation SE"]
    assert d.named_in("What was the max share of renewable energy at Manz?") == ["Manz AG"]
    assert d.named_in("Max Mustermann leads the Manz ESG team") == ["Manz AG"]
