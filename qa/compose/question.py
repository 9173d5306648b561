"""What a question asks for: its type, the years it names, its key terms and expected units."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from qa.lexical import synonyms_in, tokenize
from qa.retrieval import PAGE_ASKED, years_in

QType = str  # numeric | percent | count | money | date | entity | yes_no | list | definition | other

_GENERIC = frozenset(
    ["report", "reported", "reporting", "esg", "company", "group", "corporation", "total", "number", "figure", "value", "data", "amount", "level", "year", "years", "many", "much", "what", "which", "when", "how", "did", "does", "do", "was", "were", "is", "are", "the", "in", "of", "for", "give", "tell", "show", "say", "said", "disclose", "disclosed", "state", "mention", "mentioned", "list", "name", "named", "describe", "according", "overall", "annual", "fy", "please", "latest", "current", "one"]
)
_YEAR_WORDS = frozenset(("year", "years", "fy"))
# the unit strings of each kind of quantity a question may expect
_ENERGY = {"mwh", "kwh", "gwh", "twh", "gj", "tj", "mj"}
_EMISSIONS = {"t", "tco2e", "tonnes", "tons", "co2e", "co₂e", "t co2e", "t co₂e", "t co2", "kg"}
_WATER = {"t", "m3", "m³", "tonnes", "tons"}
_MONEY = {"rmb", "billion", "million", "yuan", "hk$", "us$", "usd", "eur", "€", "eur million", "€ million", "eur thousand"}
# the words that say which kind a question expects
_UNIT_HINTS: list[tuple[re.Pattern[str], set[str]]] = [
    (re.compile(r"\b(energy|electricity|power)\b", re.I), _ENERGY),
    (re.compile(r"\b(emission|emissions|ghg|carbon|co2|scope)\b", re.I), _EMISSIONS),
    (re.compile(r"\b(water)\b", re.I), _WATER),
    (re.compile(r"\b(waste|packaging)\b", re.I), {"t", "tonnes", "tons", "kg"}),
    (re.compile(r"\b(rmb|yuan|invest\w*|spend\w*|spent|donat\w*|revenues?|money|funding|costs?|expenses?|expenditures?|budgets?)\b", re.I),
     _MONEY),
    (re.compile(r"\b(hours?)\b", re.I), {"hours", "hour"}),
]


# a % sign asks for a share ("accident rate 2022 %", "… CapEx share %"), unless it is a figure's own ("where 35%
# of the staff …", "top 15%"); a year before it is no figure
_ASKS_SHARE_SIGN = re.compile(r"(?:(?<![\d.,])(?<![\d.,] )|(?<=(?:19|20)\d\d)|(?<=(?:19|20)\d\d ))%")


# units a question names outright, with the kind of quantity each measures
_NAMED_UNITS: list[tuple[re.Pattern[str], set[str]]] = [
    (re.compile(r"\b(?:[mkgt]wh|[gtm]j)\b", re.I), _ENERGY),
    (re.compile(r"\bt\s?co(?:2|₂)e?\b|\btonnes? of co(?:2|₂)", re.I), _EMISSIONS),
    (re.compile(r"m³|\bm3\b|\bcubic met", re.I), _WATER),
    (re.compile(r"\b(?:t?eur|euros?|rmb|yuan|usd)\b|€", re.I), _MONEY),
]


# "per …" or "/ …" with the unit it divides by ("per EUR million", "/ m²"): not the unit of the figure asked for
_PER_UNIT = re.compile(r"(?:\bper\b|/)\s*(?:10,000\s+|unit of\s+)?\S+(?:\s+(?:million|billion|thousand|mn|bn|m)\b)?")


def unit_families() -> list[frozenset[str]]:
    """The kinds of quantity a question may expect, each as the unit strings that measure it."""
    return [frozenset(us) for _, us in _UNIT_HINTS]


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    qtype: QType
    years: list[int]
    terms: list[str]  # BM25-normalised key terms (no generic words)
    units: frozenset[str] = field(default_factory=frozenset)
    wants_number: bool = False
    alts: dict[str, frozenset[str]] = field(default_factory=dict)  # term -> synonyms that also count
    numbers: frozenset[str] = field(default_factory=frozenset)  # figures the question itself names
    head: str | None = None  # stem of the head noun ("certifications" -> "certification")
    phrases: tuple[str, ...] = ()  # phrases the question quotes ('Above 4° C'), lower-cased
    tokens: frozenset[str] = field(default_factory=frozenset)  # every BM25 token of the question
    synonym_tokens: frozenset[str] = field(default_factory=frozenset)  # the tokens of all `alts`
    words: frozenset[str] = field(default_factory=frozenset)  # lower-case words, possessives dropped
    kinds: tuple[float, ...] = ()  # the answer kinds it asks for (`answerkind`), set by the composer; () unknown
    names: frozenset[str] = field(default_factory=frozenset)  # the words of the corpus's company names (`ignore`)


_BREAK = frozenset(
    "in of for at by on to with from about under during does do did is are was were has have had that which who "
    "whom can could will would should vs versus since".split()
)
# words a question's opening phrase holds that never name the thing asked about: how often or how widely
# something happens, and the word for a web address (the report prints the address, never the word)
_NOT_HEAD = frozenset("often frequently regularly broadly widely happen happens url urls".split())


_ENTITY_HEADS = frozenset(
    "certification certificate standard framework guideline committee award label mark seal partner auditor verifier "
    "certifier organization organisation agency institution foundation scenario methodology protocol body provider "
    "initiative index url website address email city country location headquarters ceo theme".split()
)
# a question that opens by asking which thing ("which international climate agreement did …", "to which
# organization, where 35% …"): a named kind of thing among the first words after "which"/"what", before any verb
_ENTITY_OPENING = re.compile(r"(?:(?:to|from|with|by|for|in|at|of|under|through) )?(?:which|what) ([a-z][\w -]*)")
_NAMED_KINDS = frozenset(
    "agreement law regulation directive convention treaty programme program platform association alliance university "
    "company firm bank team department handbook".split())


def _asks_which_thing(low: str) -> bool:
    """Does the (lower-cased) question open by asking which named kind of thing ("which … agreement", "to which
    organization")? A verb or a preposition before the kind ends the search ("which year did … the agency …")."""
    m = _ENTITY_OPENING.match(low)
    if not m:
        return False
    for w in m.group(1).split()[:4]:
        if w in _BREAK or w in _IRREGULAR_PAST:
            return False
        if w in _ENTITY_HEADS or w in _NAMED_KINDS:
            return True
    return False


# head nouns that name a measure: "what charging efficiency does it assume", "what employee coverage did the training
# achieve" ask for a figure (a share for the first group), not a name
_SHARE_HEADS = frozenset("efficiency coverage rate ratio share percentage proportion quota".split())
_MEASURE_HEADS = _SHARE_HEADS | frozenset(
    "amount quantity volume capacity intensity growth increase decrease reduction savings value cost costs price "
    "spend spending expenditure duration age weight weighting temperature revenue revenues sales earnings profit "
    "income tonnage area size distance length frequency score".split())
# a quoted phrase: the quote mark opens after a space (not the apostrophe of "Xiaomi's") and closes before one
_QUOTED = re.compile(r"(?:(?<=[\s(])|^)['\"“‘]([^'\"“”‘’]{2,80}?)['\"”’](?=[\s,.?;:)!]|$)")

_QUANTITY_PLURALS = frozenset(
    "emissions expenses expenditures sales revenues savings hours shares wastes donations earnings costs "
    "profits assets liabilities dividends taxes fees wages salaries funds investments".split()
)


# past participles that do not end in -ed: like "covered", they end a noun phrase ("employees took part")
_IRREGULAR_PAST = frozenset(
    "took made gave got won became held led paid spent sold bought built brought kept met ran aged used".split()
)
# what a question counts follows these words ("how many employees …", "number of cities …")
_COUNTED = re.compile(r"\b(?:how many|number of|count of)\s+(.+)")


def _head_noun(low: str, ignore: frozenset[str] = frozenset()) -> str | None:
    """The question's head noun: the plural right after "what"/"which", or else the last word of its
    opening noun phrase ("which certifications…", "supplier red-line issues", "greenhouse gases covered in…")."""
    kinds = _kinds_word(low)
    if kinds is not None:
        return kinds
    low = re.sub(r"['’]s\b", "", low)
    low = re.sub(r"\b(?:kinds?|types?|sorts?|forms?) of\s+", "", low)  # "what kind of facade": a facade
    opening = re.match(r"[^,?]{3,60}?,\s*((?:which|what)\b.*)", low)  # "during the pandemic, which body …"
    if opening:
        low = opening.group(1)
    counted = _COUNTED.search(low)  # "how many employees took part", "number of cities covered"
    if counted:
        head = _phrase_head(re.split(r"[(,;:?]", counted.group(1))[0], ignore)
        if head:
            return head
    return _phrase_head(re.split(r"[(,;:?]", low)[0], ignore)


# a word that says when in a year, right before the year ("R&D staff end 2022", "mid 2023"): not the thing asked
_TIME_OF_YEAR = frozenset("end year-end start beginning mid early late".split())


def _phrase_head(text: str, ignore: frozenset[str]) -> str | None:
    """The last word of the noun phrase that opens the text."""
    words = re.findall(r"[a-z][a-z-]*|\b(?:19|20)\d\d\b", text)
    asked = len(words) > 1 and words[0] in ("what", "which") and words[1] not in _BREAK  # "which team …"
    while words and (words[0] in ("what", "which", "list", "name", "the", "all") or words[0] in _BREAK):
        words = words[1:]
    phrase: list[str] = []
    for k, w in enumerate(words):
        if w[0].isdigit():  # a year: skipped, with a word right before it that only says when in the year
            if phrase and phrase[-1] in _TIME_OF_YEAR and phrase[-1] == words[k - 1]:
                phrase.pop()
            continue
        if not phrase and w.endswith("ed") and len(w) > 4 and not _QUESTION_WORD.match(text):
            continue  # a participle opening a keyword query qualifies its noun ("refurbished devices warranty length")
        if w in _BREAK or w in _IRREGULAR_PAST or (w.endswith("ed") and len(w) > 4):
            break  # a preposition, an auxiliary or a past-tense verb ends the noun phrase
        after = words[k + 1] if k + 1 < len(words) else ""
        if k > 0 and _present_verb(w, words[k - 1], after):
            break  # "which body manages the …", "which project aims to …": a verb ends it too
        if asked and k == 1 and _verb_before_object(w, words[0], after, text, ignore):
            break  # "which division provides machines …"
        if phrase and phrase[-1] in _ENTITY_HEADS and w.endswith("ing"):
            break  # "committee overseeing …": a participle after a named kind of thing
        if w not in _GENERIC and w not in _NOT_HEAD and w not in ignore:
            phrase.append(w)
    return phrase[-1] if phrase else None


# what follows a verb of the present tense and never a plural noun: an article, a possessive, an infinitive's "to"
_AFTER_VERB = frozenset("the a an its their his her our to".split())


def s_form_after_singular(word: str, before: str) -> bool:
    """A lower-case word in -s after a word not in -s (`converter ensures`, `team works`): a verb of the third
    person or a plural noun, which the words around it tell apart."""
    return (word.islower() and len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
            and not before.lower().endswith("s"))


def _present_verb(word: str, before: str, after: str) -> bool:
    """Is `word` a verb in the third person ("manages", "aims") rather than a plural noun? When it ends in
    -s after a word that does not and an article, a possessive or "to" follows it, or "with" after the name of a
    kind of thing ("which team works with …")."""
    kind_before = before in _NAMED_KINDS or before in _ENTITY_HEADS  # "which company cooperates with …"
    return (after in _AFTER_VERB or (kind_before and after == "with")) and s_form_after_singular(word, before)


def _verb_before_object(word: str, before: str, after: str, text: str, ignore: frozenset[str]) -> bool:
    """Is `word`, right after "which"/"what" and one noun, that noun's verb ("which division provides machines",
    "which software supports Acme engineers")? In -s after a word not in -s, not a possessive ("standards'"),
    and followed by its object: a plural noun or a company's name (a plural noun before a verb, "which PwC
    auditors signed …", "which internal guidelines govern …", is the phrase's head)."""
    if after in _BREAK or not s_form_after_singular(word, before) or re.search(rf"\b{word}['’]", text):
        return False
    return after in ignore or s_form_after_singular(after, "")


def _kinds_word(low: str) -> str | None:
    """The plural noun right after an opening "what"/"which" ("what sources …", "which products …")."""
    m = re.match(r"(?:what|which)\s+([a-z][a-z-]+)\b", low)
    if not m:
        return None
    w = m.group(1)
    if re.match(rf"(?:what|which)\s+{re.escape(w)}\s+(?:and|or|&)\s", low):
        return None  # "which sports and health platform membership …": a modifier, the phrase's head is further on
    if w in _BREAK or w in _GENERIC or w in _NOT_HEAD or w in _QUANTITY_PLURALS or len(w) <= 3:
        return None
    return w if w.endswith("s") and not w.endswith(("ss", "us", "is", "ics")) else None


# participles after a plural head: of things counted (`links removed`, `laptops donated`, `trainings held`), or of
# things listed (`gases covered`, `departments involved`, `SDGs supported`)
_COUNTED_PARTICIPLES = frozenset("held made built given sent sold won taken done grown paid brought run seen shown "
                                 "written spent".split())
_LISTED_PARTICIPLES = frozenset("covered involved supported included represented planned revised launched listed used "
                                "applied adopted considered addressed identified required allocated".split())
_QUESTION_WORD = re.compile(r"\s*(?:what|which|who|whom|whose|where|when|why|how|is|are|was|were|does|do|did|has|have|"
                            r"had|can|could|will|list|name)\b")


# a question that asks for a date or a year by its opening ("when …", "what is the deadline …", "since which
# financial year …", "by when …"), by a year asked after a preposition ("… after which year …"), or a keyword query
# ending in "since", "when" or "year" ("… operational since", "… launch year"; not "every year", "base year")
_KIND_OF_YEAR = r"(financial |fiscal |calendar |reporting )?"
_DATE_OPENING = re.compile(
    r"(when|in what year|in which year|what year|(since|until|till) when)\b|"
    r"(what|which) (is|was|are|were) (the )?([\w'’-]+ ){0,4}(year|date|deadline)\b|"
    rf"(what|which) {_KIND_OF_YEAR}year\b|by when\b")
# a year asked after a preposition, anywhere ("for which financial year …", "… from which reporting year")
_YEAR_ASKED = re.compile(rf"\b(in|after|from|for|by|until|since) (which|what) {_KIND_OF_YEAR}(year|month)\b")
_DATE_ENDING = re.compile(
    r"(?<!per )(?<!every )(?<!each )(?<!base )(?<!previous )(?<!prior )(?<!financial )(?<!fiscal )(?<!reporting )"
    r"(?<!calendar )(?<!current )(?<!last )(?<!next )(?<!this )(?<!version )"
    r"\b(since|when|which year|what year|year)\s*\??\s*$")


def _plural_head(head: str | None) -> bool:
    """Does a head noun ask for several things ("which certifications…", "supplier red-line issues")?"""
    if head is None:
        return False
    if head in _QUANTITY_PLURALS:
        return False  # "R&D expenses", "Scope 1 emissions": one figure, not a list
    return len(head) > 3 and head.endswith("s") and not head.endswith(("ss", "us", "is", "ics"))


def name_words(names: Iterable[str]) -> frozenset[str]:
    """The words of company names and aliases (lower-case, BM25 tokens too): never key terms of a question."""
    out: set[str] = set()
    for name in names:
        out.update(tokenize(name))
        out.update(w.lower() for w in re.findall(r"[\w&-]+", name))
    return frozenset(out)


def lead_name_words(names: Iterable[str]) -> frozenset[str]:
    """The first word of each company name and alias ("addiko" of "Addiko Bank AG"): the word that names the
    company wherever it stands. The other words of a name ("bank", "holding", "automation") only do so beside it."""
    out: set[str] = set()
    for name in names:
        first = next(iter(re.findall(r"[\w&-]+", name)), None)
        if first:
            out.add(first.lower())
            out.update(tokenize(first))
    return frozenset(out)


def naming_words(question: str, mentions: Iterable[tuple[int, int]], lead: frozenset[str]) -> frozenset[str]:
    """The words of `question` that name a company: those of its company mentions (character spans) and the
    lead name words (`lead_name_words`) wherever they stand."""
    return frozenset(w for start, end in mentions for w in name_words([question[start:end]])) | lead


def generic_words(info: QuestionInfo) -> frozenset[str]:
    """The question's words that are never key terms because most questions use them (`total`, `group`,
    `overall`, `number`, …): they do not tell passages apart, but they can name a column (`Total 2022`). Words
    for a year (`year`, `FY`) are left out: the asked years choose among year columns, and a column headed `Year`
    holds years, not the figure asked for."""
    return frozenset(t for t in info.tokens if t in _GENERIC and t not in _YEAR_WORDS)


def analyse(question: str, ignore: frozenset[str] = frozenset(), names: frozenset[str] | None = None) -> QuestionInfo:
    """What the question asks; `ignore`: words that never count as key terms (the words naming a company in it);
    `names`: the words of every company name of the corpus (`ignore` when not given)."""
    q = question.strip()
    low = q.lower()
    years = years_in(q)
    qtype: QType = "other"
    opening_only = False
    which_thing = _asks_which_thing(low)
    keyword_query = not _QUESTION_WORD.match(low)  # no question word opens it ("female employees 2022")
    if re.match(r"(?:since |until |till )?when\b", low):
        qtype = "date"  # "since when have … means of transport …", "until when …": the question word decides
    elif not low.startswith("which ") and re.search(
        r"\bmean(t|ing)?\b|(?<!by )\bmeans\b(?! of\b)|\bdefin(e|ed|ition)\b|\bwhat is meant\b|"
        r"^what (is|are) (an? |the )?['\"“‘]", low
    ):  # "which handbook did it publish to define …" asks for a name
        qtype = "definition"
    elif _DATE_OPENING.match(low) or _YEAR_ASKED.search(low) or (
            keyword_query and _DATE_ENDING.search(low)):
        qtype = "date"  # the question word decides before any metric word ("when will … Scope 3 emissions")
    elif re.match(r"(is|are|was|were|does|do|did|has|have|had|can|could|will)\b", low):
        qtype = "yes_no"  # "did Xiaomi meet its target on energy consumption?" settles, it does not measure
    elif _kinds_word(low) is not None:
        qtype = "list"  # "what sources make up Scope 1 emissions?": several things, not a figure
    elif which_thing:
        qtype = "entity"  # "which climate agreement …", "to which organisation, where 35% …": a name, whatever follows
    elif re.search(r"\b(what percentage|what percent|what share|what proportion|what ratio|what rate|% of|percentage)\b", low):
        qtype = "percent"
    elif re.search(r"\bhow many\b|\bnumber of\b|\bheadcount\b|\bcount of\b", low):
        qtype = "count"
    elif re.search(r"\bhow much\b|\bamount\b|\btotal\b|\bconsumption\b|\bemissions?\b|\brate\b|\bintensity\b", low):
        qtype = "numeric"
    elif re.search(r"\bwhat date\b|\bwhen did\b|\bwhen was\b", low):
        qtype = "date"
    elif re.search(r"^(list|name)\b(?! of)|\bwhat are the\b|\bwhich\b(?! (?:[a-z-]+ )?[a-z-]*[a-rt-z] (?:are|were)\b).*\b(are|were)\b|\bwhat (measures|initiatives|programs|programmes|steps|actions)\b", low):
        qtype = "list"
    elif re.search(r"^(what is|what are|what does|define|meaning of|what's)\b", low):
        qtype = "definition"
        opening_only = True  # only "what is …" says so: the head noun may ask for a figure or a name
    elif re.search(r"\b(which|what|who)\b|^(where|whose)\b", low):
        qtype = "entity"
    head_word = _head_noun(low, ignore)
    # "what are the supplier red-line issues", "security domains in the baseline": a plural head noun
    if (
        qtype in ("definition", "entity", "other")
        and not re.search(r"\bmean|\bdefin|\bhow (many|much)\b", low)
        and _plural_head(head_word)
    ):
        # a keyword query's plural head alone does not make it a list ("female mid-level employees 2022",
        # "suppliers at the 2020 supplier conference" count): it stays untyped, for the answer-kind model to read
        if not (qtype == "other" and keyword_query):
            qtype = "list"
        # a keyword query whose plural head a participle follows counts them ("trademark links removed 2020",
        # "patents granted in 2020", "laptops donated …"), or lists them ("greenhouse gases covered in …")
        after = re.search(rf"\b{re.escape(head_word)}\s+(\w+)", low) if head_word else None
        if after and keyword_query and not re.search(r"\bwhen\b|\bwhich\b", low):
            word = after.group(1)
            if word in _COUNTED_PARTICIPLES or (word.endswith("ed") and word not in _LISTED_PARTICIPLES):
                qtype = "count"
            elif word in _LISTED_PARTICIPLES:
                qtype = "list"
    # "what is the average age of …", "what is the street address of …": a figure, a name; but "what is the
    # strategy area about?", "what is the Security Committee?" ask what a thing is
    opening_only = opening_only and not re.search(r"\b(about|for|do|mean|cover|include)\s*\??\s*$", low)
    if (qtype in ("entity", "other") or opening_only) and head_word in _MEASURE_HEADS:
        # "earnings per share": a figure per share, not a share
        qtype = "percent" if head_word in _SHARE_HEADS and not re.search(r"\bper share\b", low) else "numeric"
    of_head = head_word is not None and re.search(rf"\b{re.escape(head_word)}\w*\s+of\b", low) is not None
    if (qtype == "other" or (opening_only and qtype == "definition" and of_head)) and head_word in _ENTITY_HEADS:
        qtype = "entity"  # "green building certification of the campus": a name is asked for
    if qtype in ("definition", "other") and re.search(r"\b(name of|title of|called|named)\b", low):
        qtype = "entity"  # "what is the app called?", "name of the training center": a name, not a definition
    # "release date", "year founded", "concept introduced year", "assessment launched when"
    asks_date = re.search(
        r"(?<!to )\bdates?\b|\byear (created|established|founded|introduced|launched)\b|"
        r"\b(created|established|founded|introduced|launched|adopted|started|begun|set up) (year|when)\s*\??$", low)
    if (qtype in ("other", "list", "entity") and asks_date) or (
        qtype == "other" and re.search(r"\b(start|started|began|commenced|founded|launched)\b", low)
    ):
        qtype = "date"  # a keyword query after a date ("release date", "analysis start", "year created")
    if (re.search(r"\b(percent|percentage|share of|proportion|ratio)\b", low) or _ASKS_SHARE_SIGN.search(low)) and qtype in (
            "numeric", "other", "entity"):
        qtype = "percent"
    if qtype in ("entity", "other", "list", "definition") and PAGE_ASKED.search(low):
        qtype = "numeric"  # "on which report page …", "… index resource management report page": a page number
    units: set[str] = set()
    for pat, us in _UNIT_HINTS:
        if pat.search(low):
            units |= us
    numerator = _PER_UNIT.sub(" ", low)  # "t CO2e per EUR million": the unit before "per" is the figure's
    named = [us for pat, us in _NAMED_UNITS if pat.search(numerator)]
    if named:  # a unit the question names decides ("… renewable energy technologies, EUR million": money, not MWh)
        units = set().union(*named)
    wants_number = qtype in ("numeric", "percent", "count") or bool(
        re.search(r"\b(how much|how many|what was the|what were the|figure|value)\b", low)
    ) and qtype not in ("date", "yes_no", "list")
    if not wants_number and qtype in ("other", "entity") and re.search(
        r"\b(consumption|emissions?|intensity|workforce|employees|rate|hours|waste|turnover|patents?|reduction|"
        r"saved|savings?|recycl\w*|volume|shares|granted|invest\w*|spen[dt]\w*|donat\w*|capacity|headcount|"
        r"per capita|per-capita)\b",
        low,
    ):
        wants_number = True
    if re.search(r"\b(reporting period|period covered|what date|deadline)\b", low):
        qtype, wants_number = "date", False
    elif qtype == "other" and years and units and not wants_number:
        wants_number = True  # a keyword query with a year and a metric ("reclaimed water use 2022")
    if re.match(r"\s*(who|whom|whose)\b", low) or (qtype == "entity" and (
            re.match(r"\s*which\b", low) or which_thing)):
        wants_number = bool(re.search(r"\bhow (many|much)\b", low))  # a name, not a figure
    terms = [t for t in tokenize(q) if t not in _GENERIC and t not in ignore and not re.fullmatch(r"(19|20)\d\d", t) and not t.startswith("fy")]
    # de-duplicate, keep order
    key_terms = list(dict.fromkeys(terms))
    alts: dict[str, set[str]] = {}
    for key, syns in synonyms_in(q):
        key_toks = [t for t in tokenize(key) if t in key_terms] or tokenize(key)[:1]
        syn_toks = {t for t in tokenize(syns) if t not in _GENERIC}  # "total" alone says nothing
        for kt in key_toks:
            alts.setdefault(kt, set()).update(syn_toks)
    nums = frozenset(re.sub(r"[,\s]", "", m) for m in re.findall(r"\d[\d,]*(?:\.\d+)?", q))
    return QuestionInfo(
        text=q, qtype=qtype, years=years, terms=key_terms, units=frozenset(units), wants_number=wants_number,
        alts={k: frozenset(v) for k, v in alts.items()}, numbers=nums,
        head=next(iter(tokenize(head_word)), None) if head_word else None,
        phrases=tuple(" ".join(p.lower().split()) for p in _QUOTED.findall(q)),
        tokens=frozenset(tokenize(q)),
        synonym_tokens=frozenset(t for v in alts.values() for t in v),
        words=frozenset(re.findall(r"[\w&-]+", re.sub(r"['’]s\b", "", low))),
        names=ignore if names is None else names,
    )
