"""The spans a quote offers as its highlight: every figure (alone, with a bound before it: `at least 35`, and with the
words that say what it counts), range of figures or of number words, reference (`Section 161`, and with its subsections
and law: `Sec. 289c (2) No 2 HGB`), an act's number (`(EU) 2021/2178`), a list of pages (`P. 8, 9, 10`), number word
(and with what it counts: `four months`; a fraction: `one-third`), date (with a part of the year before it: `year-end
2024`; a month without its year: `the end of November`; a year named by words: `in the reporting year`), how often
(`quarterly`, `on an annual basis`, `at least once a year`, `24/7`), code (`ISO 14001`, `SASB TC-SI-130a`, `DIN
18040-2`, `ESRS E1`), grade, name (as its brackets pair up; with a leading code or a trailing model number; and its rest
after the question's words; each of two names joined by "and"; a person's name before the role it runs into),
quoted name, web or e-mail address, capitalised word,
table cell, the value of a row of a table printed as text lines (`rowblock`), and "none". `spanfeatures` scores them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.compose.answerkind import phrase_like
from qa.compose.candidate import Candidate, map_span
from qa.compose.extract import MONTHS, Span, codes, dates, names, numbers, row_cells
from qa.compose.question import s_form_after_singular
from qa.lexical import tokenize

MAX_OPTIONS = 48
# the roles of one person (not of a body: `Committee`, `Board`): what a person's name runs into (`… ESG Officer`)
_PERSON_ROLES = frozenset(tokenize(
    "officer chief head director manager ceo cfo coo cto cso chair chairman chairwoman chairperson president "
    "secretary representative commissioner auditor leader owner"))
# words that make a name a role or a body of people (`Chief Rental Officer`, `Quality Committee`, `“UI Health &
# Diversity” team`): general organisational English, what "who is responsible …" questions are answered by
ROLE_WORDS = _PERSON_ROLES | frozenset(tokenize(
    "board committee council department team unit function directors office division group task force panel "
    "steering working lead"))
_QUOTED = re.compile(r"[“\"]([^“”\"\n]{2,60})[”“\"]")  # some reports close with an opening mark
_CAPS_RUN = re.compile(r"(?<![\w-])[A-Z]{2,}(?:[ -][A-Z]{2,})+(?![\w-])")  # `FAIR LINE`
_CAP_WORD = re.compile(r"(?<![\w.])[^\W\d_][\w&-]*")  # a capitalised word when `_capitalised` (`Üblacker` too)
# a bracketed acronym (`(MWT)`, `(ISMS)`, `(SBTi)`) and the words before it, one space apart, that it may abbreviate
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z&]{1,9})\)")
_SPELLED_WORD = re.compile(r"[^\W\d_][\w’'&]*(?:-[^\W\d_][\w’'&]*)*")
_ACRONYM_JOINS = frozenset(("of", "and", "for", "the", "in", "on", "to", "&"))
_SENTENCE_START = re.compile(r"(?:^|[.!?:;•]\s+|\n)$")
_NUMBER_WORD = re.compile(
    r"\b(?:(?:one|two|three)[ -](?:third|quarter|fifth)s?"
    # a tens word with its units (`thirty-five`, `twenty one`), one number
    r"|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[ -](?:one|two|three|four|five|six|seven|eight|nine)\b)?"
    r"|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|eighteen|nineteen|hundred|dozen|half|a third|a quarter)\b", re.I)
# a rating or grade (`A-`, `B+`, `C+`, `AA`, `BBB-`): ESG ratings print these
_GRADE = re.compile(r"(?<![\w+-])(?:[A-D][+-]|(?:AAA|AA|BBB|BB|CCC)[+-]?)(?![\w+-])")
# between two figures, a range (`200 to 270`, `3.5–4.0%`; `between X and Y`)
_RANGE_GAP = re.compile(r"\s*(?:to|-|–|—)\s*")
_DATE_GAP = re.compile(r"\s*(?:to|until|through|-|–|—)\s*")
# a part of a year before it: `the end of 2023`, `first quarter of 2024`, `the second half of 2022`, `Q1 2024`,
# `year-end 2024`, `mid-May 2020`, `early 2023`, `as early as 2013`, `In financial year 2023`
_PERIOD_BEFORE = re.compile(
    r"(?:(?<![\w-])(?:the\s+)?(?:(?:end|beginning|start|middle|close)\s+of|(?:first|second|third|fourth|1st|2nd|3rd|4th)"
    r"\s+quarter(?:\s+of)?|(?:first|second)\s+half(?:\s+of)?)\s+(?:the\s+)?(?:(?:financial|fiscal|calendar)\s+year\s+)?|"
    r"(?<![\w-])(?:Q[1-4]|H[12]|year-end|(?:as\s+)?early(?:\s+as)?|late|mid)\s+|(?<![\w-])mid-|"
    r"(?<![\w-])(?:in\s+)?(?:the\s+)?(?:financial|fiscal|reporting|calendar)\s+year\s+)$", re.I)
# how often something happens: what "how often …" asks for
_PERIOD = r"(?:day|week|month|quarter|year|two years|three years|five years)"
_FREQUENCY = re.compile(
    r"(?<![\w-])(?:(?:on|at)\s+an?\s+(?:daily|weekly|monthly|quarterly|annual|yearly|half-yearly|semi-annual|"
    r"bi-?annual|biennial|regular|periodic|continuous|ongoing|case-by-case|ad hoc|as-needed)\s+basis|"
    rf"(?:every|each)\s+(?:(?:two|three|four|five|six|\d+)\s+)?{_PERIOD}s?|"
    rf"(?:once|twice|(?:one|two|three|four|five|six|\d+)\s+times)\s+(?:a|per|each|every)\s+{_PERIOD}|"
    r"(?:daily|weekly|monthly|quarterly|annually|yearly|bi-?annually|semi-?annually|half-yearly|biennially|"
    r"fortnightly|bi-?monthly)|around the clock|24/7|24 hours a day(?:,? (?:and )?(?:7|seven) days a week)?)(?![\w-])",
    re.I)
# a bound before a frequency (`at least once a year`): offered with it as one option more
_FREQ_BOUND = re.compile(r"(?:at least|at most|up to|no less than|more than)\s+$", re.I)
# a month without its year, with the part of it before (`at the end of November`, `mid-September`), and a year named
# by words (`in the reporting year`, `up to mid-year`, `the previous year`): dates a sentence gives without a figure
_MONTH_ALONE = re.compile(
    rf"(?<![\w-])(?:(?:the\s+)?(?:end|beginning|start|middle)\s+of\s+|mid-|early\s+|late\s+)?(?:{MONTHS})(?![\w-])(?!\s+\d)")
_MONTH_NAMES = tuple(MONTHS.split("|"))
_YEAR_WORDS = re.compile(
    r"(?<![\w-])(?:(?:in|during|since|until|up to|by)\s+)?(?:(?:the\s+)?(?:current|reporting|previous|past|prior|last|"
    r"following|next)\s+(?:financial\s+|fiscal\s+)?year|mid-year|year-end)(?![\w-])(?!\s+\d)", re.I)
_DATE_LEAD = re.compile(r"(?:in|during|since|until|up to|by|at|the)\s+", re.I)
# a bound before a figure (`at least 35`, `more than 35 years`): offered with it as one option more
_FIGURE_BOUND = re.compile(r"(?<![\w-])(?:at least|at most|more than|less than|fewer than|up to|over|around|about|"
                           r"approximately|almost|nearly|roughly|just)\s+$", re.I)
_WORD_RANGE_GAP = re.compile(r"\s*(?:to|or|-|–|—)\s*")  # between two number words
_BETWEEN = re.compile(r"\bbetween\s*$", re.I)
# a number that names a place in a text or a rulebook, with its word (`Section 161`, `Page 10`, `item 1.1.1`,
# `Articles 3 and 9`, `§ 289c`): asked for as such ("under which section …"); `numbers` leaves short ones out
_REF_NUMBER = r"\d+(?:\.\d+)*[a-z]?"
_REFERENCE = re.compile(
    rf"(?<![\w-])(?:§+\s*|(?:sections?|articles?|items?|pages?|paragraphs?|chapters?|annex(?:es)?|appendix|"
    rf"activit(?:y|ies)|principles?|goals?|clauses?|version)[ \u00a0]+|(?:sec|art|para)\.[ \u00a0]*){_REF_NUMBER}"
    rf"(?: *(?:,|and|&|to|–|‒|—|-) *{_REF_NUMBER})*(?![\w])", re.I)
# a reference's subsections and the law's short name after it (`Sec. 289c (2) No 2 HGB`, `section 315e(1)`,
# `Art. 15 GDPR`): offered as a longer option beside the reference itself
_SUBSECTION = re.compile(r"(?:\s?\(\d{1,3}[a-z]?\))+(?:\s+(?:No\.?|Nr\.?|sentence|point|lit\.)\s*\d{1,3}[a-z]?)?")
# a law's short name: two capitals or more in one short word (`HGB`, `AktG`, `GDPR`; not `German`)
_LAW = re.compile(r"\s+(?=[A-Za-z]*[A-Z][a-z]*[A-Z])[A-Z][A-Za-z]{1,6}(?![\w-])")
# a code of capitals and figures joined by hyphens (`TC-SI-130a`, `TC-HW-410a.4`, `COVID-19`), with the standard's
# name before it when there is one (`SASB TC-SI-130a`); a standard's number (`DIN 18040-2`, `EN 16247-1`); a
# disclosure's letter and number (`ESRS E1`, `S1`, `KPI B6.1`)
_DASH_CODE = re.compile(r"(?<![\w-])(?:[A-Z]{2,5}\s)?(?P<code>[A-Z]{1,5}(?:-[A-Z]{1,5})*-\d{1,4}[a-z]?(?:\.\d{1,2})*)(?![\w-])")
_STANDARD = re.compile(r"(?<![\w-])(?:DIN|EN|VDI|VDE|VDA|ASTM|ANSI|BS)(?:\s(?:EN|ISO|IEC))*\s\d{2,6}(?:-\d{1,3})*(?![\w-])")
_LETTER_CODE = re.compile(r"(?<![\w.-])(?:[A-Z]{2,5}\s)?(?P<code>[A-Z]\d{1,2}(?:\.\d{1,2})?)(?![\w-]|\.\d)")
# a web or e-mail address (`https://trust.mi.com/misrc`, `www.example.com`, `esg@example.com`), without the
# sentence's closing punctuation
_ADDRESS = re.compile(r"(?:https?://|www\.)[^\s<>\"“”]+[^\s<>\"“”.,;:)]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# after a figure, the words that say what it counts (`20 health campaigns`, `505 movies`): lower-case words
# up to punctuation, a figure, a verb of being or having, a relative pronoun or a preposition; whole words only
# (`4000 mAh` counts no "m")
_COUNTED = re.compile(
    r"(?:\s+(?!(?:were|was|is|are|be|been|has|have|had|which|that|who|whom|in|on|at|of|from|with|to|by|for|as|"
    r"than|and|or|per|each|across|including|compared|while|whereas|will|would|can|could|should|may|might|must|shall|"
    r"not|also)\b)[a-z][a-z-]*(?!\w)){1,3}")
# a figure `numbers` read with spaces between its groups of three (`12 065 575`, or a row's cells `540 385 155`)
_SPACE_GROUPS = re.compile(r"\d{1,3}(?: \d{3})+(?:\.\d+)?")
# an act's number: `(EU) 2021/2178`, `2009/147/EC`, `No. 2157/2001`; offered with its "(EU)" and without
_ACT_NUMBER = re.compile(r"(?<![\w/])(?:\((?:EU|EC|EEC)\)\s*)?(?P<number>No\.\s*\d{1,4}/\d{2,4}|(?:19|20)\d\d/\d{1,4}"
                         r"(?:/(?:EU|EC|EEC))?)(?![\w/])")
# a telephone or fax number: an international one in groups (`+49 89 4 27 71 0`), a national one with its area
# code (`010-5328-5678`, `089/427710`)
_PHONE = re.compile(r"(?<![\w+-])(?:\+\d{1,3}(?:[ \u00a0]\(0\))?(?:[ \u00a0-]\d{1,5}){2,}|0\d{1,4}(?:[-/]\d{2,5}){1,3})(?![\w-])")
# a paragraph of a law cited by its number and subsection alone, with the law's short name after it (`315b (3) HGB`)
_BARE_REFERENCE = re.compile(rf"(?<![\w.,-])(?P<reference>\d{{1,4}}[a-z]?(?:\s?\(\d{{1,3}}[a-z]?\))+){_LAW.pattern}")
# a list of pages after "P." or "PP." (`P. 8, 9, 10`, `PP. 12-14`): an index's reference, one option
_PAGE_LIST = re.compile(r"(?<![\w.])P{1,2}\.\s*\d+(?:\s*(?:,|–|-|and|&)\s*\d+)*(?!\d)")


def _matched(m: re.Match[str], group: int | str = 0) -> Span:
    """The span of a match (or of one of its groups) in the text it searched."""
    return Span(m.start(group), m.end(group), m.group(group))


def _year_span(text: str) -> bool:
    """`2022/23`, `2019/2020`: a financial year over two calendar years, not an act's number."""
    first, _, second = text.partition("/")
    return first.isdigit() and second.isdigit() and int(second) % 100 == (int(first) + 1) % 100


# a code that leads a name (`3C Intelligent Manufacturing …`, `5G Application …`) or a model number and
# suffix that ends one (`Electric Scooter 4 Pro`, `… Power Supply 1000 Pro`); never across a table's tab
_LEAD_CODE = re.compile(r"(?<![\w-])\d+[A-Z][A-Za-z0-9]* +$")
_MODEL_TAIL = re.compile(r"^ +\d+[A-Za-z]*(?:\s+(?:Pro|Max|Plus|Ultra|Lite|Mini|S|X|[A-Z]\d*))?(?![\w-])")


def _capitalised(word: str) -> bool:
    """An upper-case letter and then a lower-case one (`Interzero`, `HackerOne`, `Öko`; not `GHG`, `iPhone`)."""
    return word[0].isupper() and any(ch.islower() for ch in word[1:])


# a phrase of common words after a determiner (`the local management`, `a paint mixing system`, `their German
# sites`) or after a preposition no determiner follows (`audited by independent tax consultants`, `based on
# appreciation`, `in the field of robotics and production automation`): what leads it left out, up to the first word
# that ends a noun phrase, or punctuation; the words of a phrase, and the words that end one (prepositions, verbs of
# being or having, modals, relative pronouns)
_DETERMINER = r"(?:the|a|an|its|their|our)"
_PHRASE_LEAD = re.compile(
    rf"(?<![\w-])(?:{_DETERMINER}\s+|(?:by|with|on|from|of|as|via|against|among|through|into|using)\s+"
    rf"(?!{_DETERMINER}\s))", re.I)
_PHRASE_WORD = re.compile(r"[^\W\d_][\w'’&/-]*")
_PHRASE_END = frozenset(
    "is are was were be been being has have had will would can could should may might must shall do does did not "
    "which that who whom whose where when while whereas because since also to in on at by from with as than into "
    "through over under between within across about per via including such this these those it they we our its "
    "their the a an".split())
_JOINS = frozenset(("of", "for", "and", "or"))  # a phrase may run on over one of these (`coordinator for Purchasing`)
MAX_PHRASE_WORDS = 6


def number_word(text: str) -> bool:
    """A number written as a word (`six`, `a third`), give or take what it counts (`six providers`)?"""
    m = _NUMBER_WORD.match(text.strip())
    return m is not None and len(text.split()) <= 3


def _phrase_words(qt: str, pos: int) -> list[re.Match[str]]:
    """The words of a phrase from `pos`, one space apart, up to a word that ends a phrase or punctuation."""
    out: list[re.Match[str]] = []
    while len(out) < MAX_PHRASE_WORDS + 4:
        m = _PHRASE_WORD.match(qt, pos)
        w = m.group(0) if m else ""
        if m is None or (w.lower() in _PHRASE_END and w.lower() not in _JOINS and not w.isupper()):  # `IT` is a name
            break
        if out and w.endswith("ed") and w.islower() and out[-1].group(0).lower() not in _JOINS:
            break  # a verb after the noun (`the Group reported`); a participle leads a phrase (`a dedicated officer`)
        out.append(m)
        if qt[m.end() : m.end() + 1] != " ":
            break
        pos = m.end() + 1
    return out


def phrases(qt: str) -> list[Span]:
    """The phrases of common words in running text: after each determiner (and each preposition no determiner
    follows), its words up to a word that ends a phrase, and (one option more) on over one joining word (`of`,
    `for`, `and`, `or`) to the next such end; only phrases with a common (lower-case) word, at most
    MAX_PHRASE_WORDS words."""
    out: list[Span] = []
    for d in _PHRASE_LEAD.finditer(qt):
        words = _phrase_words(qt, d.end())
        cuts = [k for k, w in enumerate(words) if w.group(0).lower() in _JOINS]
        ends = [cuts[0] if cuts else len(words)]
        if cuts and cuts[0] > 0:
            ends.append(cuts[1] if len(cuts) > 1 else len(words))
        # a word in -s after one without may be a verb (`the frequency converter ensures …`, `the online platform
        # functions as …`), not a plural noun: the words before it are one option more
        verb_at = next((k for k in range(1, ends[0])
                        if s_form_after_singular(words[k].group(0), words[k - 1].group(0))), None)
        if verb_at is not None:
            ends.append(verb_at)
        for n in ends:
            last = words[n - 1].group(0) if n else ""
            # a phrase ends in a noun: not in a joining word, nor in a verb after one (`… provider and appointed`,
            # `… responsible for managing`)
            after_join = n > 1 and words[n - 2].group(0).lower() in _JOINS
            verb = last.islower() and (last.endswith("ed") or (after_join and last.endswith("ing")))
            if 0 < n <= MAX_PHRASE_WORDS and last.lower() not in _JOINS and not verb:
                lo, hi = words[0].start(), words[n - 1].end()
                text = qt[lo:hi].rstrip("'’-/")
                if phrase_like(text):
                    out.append(Span(lo, lo + len(text), text))
    return out


def says_how_often(text: str) -> bool:
    """Is the text a frequency (`quarterly`, `at least once a year`), give or take a few words around it, rather
    than a name that holds one (`Fighting Pandemic Daily`)?"""
    m = _FREQUENCY.search(text)
    return m is not None and len(text.strip()) - len(m.group(0)) <= 10


_NAME_WORD = re.compile(r"\S+")
_LINE = re.compile(r"[^\n]+")


def names_after_question(n: Span, known: frozenset[str]) -> list[Span]:
    """The rest of each line of a name after the words the question holds (`Red Dot Design Award` of `Redmi AI
    Speaker Play Red Dot Design Award` for "which award did the Redmi AI Speaker Play win"): a table printed as
    lines, a thing and then its award, role or category, reads as one name. At least two of the question's words
    open the line, and a capitalised word follows them."""
    out: list[Span] = []
    for line in _LINE.finditer(n.text):
        words = list(_NAME_WORD.finditer(line.group(0)))
        k = 0
        while k < len(words) and re.sub(r"[^\w&-]", "", words[k].group(0).lower()) in known:
            k += 1
        if k < 2 or k == len(words) or not words[k].group(0)[:1].isupper():
            continue
        lo, hi = line.start() + words[k].start(), line.start() + words[-1].end()
        out.append(Span(n.start + lo, n.start + hi, n.text[lo:hi]))
    return out


def _written_as_a_name(word: str) -> bool:
    """Each hyphenated part a capital and then lower-case letters only (`Krašovec`, `Hans-Peter`; not `ESG`,
    `HackerOne`): how a person's first or last name is written."""
    return all(p.isalpha() and p[:1].isupper() and p[1:].islower() for p in word.split("-"))


def _has_word(word: str, words: frozenset[str]) -> bool:
    return bool(set(tokenize(word)) & words)


def _before_role(s: Span) -> Span | None:
    """A person's name run into the role after it (`Tadej Krašovec ESG Officer and Member …` → `Tadej Krašovec`):
    two or three words written as a person's name, none a role word, then a run of at most three capitalised words
    that ends in a person's role."""
    words = list(_NAME_WORD.finditer(s.text))
    for i, last in enumerate(words[:3], start=1):  # the name grows by one word
        if not _written_as_a_name(last.group(0)) or _has_word(last.group(0), ROLE_WORDS):
            return None
        if i < 2:
            continue
        for w in words[i : i + 3]:
            if not w.group(0)[:1].isupper():
                break
            if _has_word(w.group(0), _PERSON_ROLES):
                return Span(s.start, s.start + last.end(), s.text[: last.end()])
    return None


_AND = re.compile(r" and ")


def _joined_names(s: Span) -> list[Span]:
    """The names a name option joins by "and" when each side is a name of two capitalised words or more
    (`Nils Borcherding and Marcus Carius`; not `Research and Development`, `Ministry of Economy and Finance`)."""
    bounds = [0, *(x for m in _AND.finditer(s.text) for x in (m.start(), m.end())), len(s.text)]
    parts = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    if len(parts) < 2 or any(sum(w[:1].isupper() for w in s.text[a:b].split()) < 2 for a, b in parts):
        return []
    return [Span(s.start + a, s.start + b, s.text[a:b]) for a, b in parts]


def _spelled_out(qt: str, m: re.Match[str]) -> tuple[Span, bool] | None:
    """What a bracketed acronym abbreviates: the words right before it whose initials (a hyphenated word's parts'
    too) spell its capitals in order, `of`, `and`, `the` … between them free (`Meta Wrap Through (MWT)`,
    `information security management system (ISMS)`, `Science-Based Targets initiative (SBTi)`); with whether
    every spelled word is capitalised. None when the words before it do not spell it."""
    letters = [ch.lower() for ch in m.group(1) if ch.isupper()]
    if len(letters) < 2:
        return None
    base = max(0, m.start() - 160)  # where the look-back window opens
    before = qt[base : m.start()]
    words = list(_SPELLED_WORD.finditer(before))
    if words and words[0].start() == 0 and base and qt[base - 1].isalnum():
        words = words[1:]  # the window cut into its first word: not a whole word to spell with
    need = len(letters)
    capitalised = True
    k = len(words)
    while need and k:
        k -= 1
        w = words[k]
        gap = before[w.end() : words[k + 1].start() if k + 1 < len(words) else len(before)]
        if gap.strip():
            return None  # punctuation between the words: the acronym is not theirs
        word = w.group(0)
        if word.lower() in _ACRONYM_JOINS and need < len(letters):
            continue
        parts = [p[0].lower() for p in word.split("-") if p]
        if len(parts) > 1 and parts == letters[need - len(parts) : need]:
            need -= len(parts)
        elif parts[0] == letters[need - 1]:
            need -= 1
        elif word[0].islower() and need == len(letters) and k == len(words) - 1:
            continue  # one lower-case word after the spelled ones (`Science-Based Targets initiative`) runs on
        else:
            return None
        capitalised = capitalised and word[0].isupper()
    if need:
        return None
    start, stop = base + words[k].start(), base + len(before.rstrip())
    return Span(start, stop, qt[start:stop]), capitalised


def _balanced(s: Span) -> list[Span]:
    """A name as its brackets allow: whole when they pair up (`Awards (HREA)`, `(Friends of … Art)`), and then
    without the bracket it ends with too (`Awards`); without a closing bracket it does not open (`Pulse Survey)` →
    `Pulse Survey`); cut at a bracket it does not close, each side a name of its own (`Wirtschaftsprüfer (Institute
    of Public Auditors` → both sides)."""
    text = s.text
    if text.count("(") == text.count(")"):
        cut = text.rfind("(")  # `Ellwangen/Jagst (Baden-Württemberg)` → `Ellwangen/Jagst` too
        before = text[:cut].rstrip() if cut > 0 and text.endswith(")") else ""
        if before and before.count("(") == before.count(")"):
            return [s, Span(s.start, s.start + len(before), before)]
        return [s]
    if text.endswith(")") and "(" not in text:
        bare = text[:-1].rstrip()
        return [Span(s.start, s.start + len(bare), bare)] if bare else []
    cut = text.rfind("(")
    if cut < 0 or ")" in text[cut:]:
        return [s]
    out: list[Span] = []
    before = text[:cut].rstrip()
    if before:
        out.append(Span(s.start, s.start + len(before), before))
    after = text[cut + 1 :]
    lead = len(after) - len(after.lstrip())
    if after.strip():
        out.append(Span(s.start + cut + 1 + lead, s.end, after.strip()))
    return out


@dataclass(frozen=True)
class SpanOption:
    span: Span | None  # in the quote text; None: highlight nothing
    kind: str  # none | number | range | word_number | date | freq | code | grade | name | word | phrase | cell | row
    unit: str = ""
    column: str | None = None


def options(c: Candidate, known: frozenset[str] = frozenset()) -> list[SpanOption]:
    """Every span of the candidate's quote that could be the answer, "none" first."""
    qt = c.quote_text
    out: list[SpanOption] = [SpanOption(None, "none")]
    seen: set[tuple[int, int]] = set()

    def add(opt: SpanOption) -> None:
        if opt.span is not None and opt.span.text.strip() and (opt.span.start, opt.span.end) not in seen:
            seen.add((opt.span.start, opt.span.end))
            out.append(opt)

    def add_with_lead(s: Span, lead: re.Pattern[str], width: int, kind: str, unit: str = "") -> None:
        """The span with what `lead` finds right before it, in the `width` characters before it (`the end of`
        before `2023`, `at least` before `35` or before `once a year`), as one option more."""
        m = lead.search(qt[max(0, s.start - width) : s.start])
        if m:
            lo = s.start - len(m.group(0))
            add(SpanOption(Span(lo, s.end, qt[lo : s.end]), kind, unit=unit))

    def add_with_counted(s: Span, kind: str) -> None:
        """The span with the words right after it that say what it counts (`four months`, `20 health campaigns`),
        as one option more."""
        counted = _COUNTED.match(qt, s.end)
        if counted:
            add(SpanOption(Span(s.start, counted.end(), qt[s.start : counted.end()]), kind))

    def add_with_part(m: re.Match[str], part: str, kind: str) -> None:
        """The match, and its part without what leads it (`(EU)`, `SASB`, `ESRS`) when something does."""
        add(SpanOption(_matched(m), kind))
        if m.start(part) > m.start():
            add(SpanOption(_matched(m, part), kind))

    if c.answer is not None and c.extra.get("row_value"):  # the value of a row of a table printed as text
        add(SpanOption(c.answer, "row"))
    if c.chunk.kind == "table_row" and c.chunk.header:
        for cell in row_cells(c.unit.text, c.chunk.header):
            s = map_span(c.unit.text, qt, cell.span.start, cell.span.end)
            if s is not None:
                add(SpanOption(s, "cell", column=cell.column))
    figures = numbers(qt)
    for s, unit in figures:
        add(SpanOption(s, "number", unit=unit))
        add_with_lead(s, _FIGURE_BOUND, 16, "number", unit)
        # a figure read with spaces between its groups of three (`12 065 575`) may be a row's cells printed one
        # after another (`540 385 155`: a total, its women, its men): each group is offered as well
        if _SPACE_GROUPS.fullmatch(s.text):
            for g in re.finditer(r"\d+(?:\.\d+)?", s.text):
                add(SpanOption(Span(s.start + g.start(), s.start + g.end(), g.group(0)), "number"))
    for (a, ua), (b, ub) in zip(figures, figures[1:], strict=False):
        gap = qt[a.end : b.start]
        if _RANGE_GAP.fullmatch(gap) or (gap.strip() == "and" and _BETWEEN.search(qt[max(0, a.start - 10) : a.start])):
            add(SpanOption(Span(a.start, b.end, qt[a.start : b.end]), "range", unit=ub or ua))
    found = dates(qt)
    for a, b in zip(found, found[1:], strict=False):  # a period: `January 1, 2020 to December 31, 2020`
        if _DATE_GAP.fullmatch(qt[a.end : b.start]):
            add(SpanOption(Span(a.start, b.end, qt[a.start : b.end]), "date"))
    for s in found:
        add(SpanOption(s, "date"))
        add_with_lead(s, _PERIOD_BEFORE, 48, "date")
    # each pattern is slow to run over a text that cannot match it: only where a month's name or "year" is
    worded = ([_MONTH_ALONE] if any(month in qt for month in _MONTH_NAMES) else []) + (
        [_YEAR_WORDS] if "year" in qt.lower() else [])
    for rx in worded:
        for m in rx.finditer(qt):
            add(SpanOption(_matched(m), "date"))
            lo = m.start()
            while lead := _DATE_LEAD.match(qt, lo, m.end()):  # and without its preposition and article
                lo = lead.end()
                add(SpanOption(Span(lo, m.end(), qt[lo : m.end()]), "date"))
    for m in _FREQUENCY.finditer(qt):
        add(SpanOption(_matched(m), "freq"))
        add_with_lead(_matched(m), _FREQ_BOUND, 16, "freq")
    for s in codes(qt):
        add(SpanOption(s, "code"))
    for m in _REFERENCE.finditer(qt):
        add(SpanOption(_matched(m), "number"))
        end = m.end()
        sub = _SUBSECTION.match(qt, end)
        if sub:
            end = sub.end()
            add(SpanOption(Span(m.start(), end, qt[m.start() : end]), "number"))
        law = _LAW.match(qt, end)
        if law:
            add(SpanOption(Span(m.start(), law.end(), qt[m.start() : law.end()]), "number"))
    for m in _DASH_CODE.finditer(qt):
        add(SpanOption(_matched(m), "code"))
        if " " in m.group(0):  # the code alone after its standard's name (after a tab, a cell, the names offer it)
            add(SpanOption(_matched(m, "code"), "code"))
    for m in _STANDARD.finditer(qt):
        add(SpanOption(_matched(m), "code"))
    for m in _LETTER_CODE.finditer(qt):
        add_with_part(m, "code", "code")
    for m in _ACT_NUMBER.finditer(qt):
        if not _year_span(m.group("number")):
            add_with_part(m, "number", "number")
    for m in _PAGE_LIST.finditer(qt):
        add(SpanOption(_matched(m), "number"))
    for m in _PHONE.finditer(qt):
        add(SpanOption(_matched(m), "code"))
    for m in _BARE_REFERENCE.finditer(qt):  # with its law's short name, and without
        add(SpanOption(_matched(m), "number"))
        add(SpanOption(_matched(m, "reference"), "number"))
    for m in _ADDRESS.finditer(qt):
        add(SpanOption(_matched(m), "name"))
    for m in _GRADE.finditer(qt):
        add(SpanOption(_matched(m), "grade"))
    words = list(_NUMBER_WORD.finditer(qt))
    for w1, w2 in zip(words, words[1:], strict=False):  # `three to four times`, `two or three`
        if _WORD_RANGE_GAP.fullmatch(qt[w1.end() : w2.start()]):
            add(SpanOption(Span(w1.start(), w2.end(), qt[w1.start() : w2.end()]), "range"))
    for m in words:
        add(SpanOption(_matched(m), "word_number"))
        add_with_counted(_matched(m), "word_number")
    for n in names(c.unit.text):
        s = map_span(c.unit.text, qt, n.start, n.end)
        if s is not None:
            for whole in _balanced(s):
                add(SpanOption(whole, "name"))
                for part in _joined_names(whole):
                    add(SpanOption(part, "name"))
                if (person := _before_role(whole)) is not None:
                    add(SpanOption(person, "name"))
                lead = _LEAD_CODE.search(qt[max(0, whole.start - 12) : whole.start])
                tail = _MODEL_TAIL.match(qt[whole.end : whole.end + 16])
                if lead or tail:
                    lo = whole.start - (len(lead.group(0)) if lead else 0)
                    hi = whole.end + (tail.end() if tail else 0)
                    add(SpanOption(Span(lo, hi, qt[lo:hi]), "name"))
        for rest in names_after_question(n, known):
            r = map_span(c.unit.text, qt, rest.start, rest.end)
            if r is not None:
                add(SpanOption(r, "name"))
    for m in _QUOTED.finditer(qt):
        add(SpanOption(_matched(m, 1), "name"))
    for m in _ACRONYM.finditer(qt):  # what an acronym stands for, alone and with it (`Meta Wrap Through (MWT)`)
        spelled = _spelled_out(qt, m)
        if spelled is not None:
            full, capitalised = spelled
            kind = "name" if capitalised else "phrase"
            add(SpanOption(full, kind))
            add(SpanOption(Span(full.start, m.end(), qt[full.start : m.end()]), kind))
    for m in _CAPS_RUN.finditer(qt):
        add(SpanOption(_matched(m), "name"))
    # a single capitalised word inside a sentence (`Interzero`, `HackerOne`): a name the name finder,
    # which wants two capitalised words or an acronym, leaves out
    covered = list(seen)
    for m in _CAP_WORD.finditer(qt):
        if not _capitalised(m.group(0)):
            continue
        if m.group(0).lower() in known or _SENTENCE_START.search(qt[max(0, m.start() - 3) : m.start()]):
            continue
        if any(a <= m.start() < b for a, b in covered):
            continue
        add(SpanOption(_matched(m), "word"))
    for s, unit in figures:  # the figure with what it counts, when no unit says it (last: the cap may cut them)
        if not unit:
            add_with_counted(s, "number")
    if c.chunk.kind != "table_row":  # running text: its phrases of common words (a cell is a row's own option)
        for p in phrases(qt):
            add(SpanOption(p, "phrase"))
    return out[:MAX_OPTIONS]
