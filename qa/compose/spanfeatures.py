"""The generic features the span picker scores a quote's span options by (`spanoptions`): what kind of
span it is, what the question asks for, how well the words around the span (and its own words, up to the
neighbouring options: `_segments`) match the question's key terms, its head noun and its years, and how an
option compares with the quote's other options."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from qa.compose.answerkind import KINDS, option_kind
from qa.compose.candidate import Candidate
from qa.compose.cues import asks_target, states_target
from qa.compose.extract import MONTHS, column_year, empty_cell
from qa.compose.question import QuestionInfo
from qa.compose.spanoptions import ROLE_WORDS, SpanOption
from qa.lexical import named_by, tokenize

_YEARISH = re.compile(r"^(?:FY)?(?:19|20)\d\d$")
# where a clause ends: the words around a span that describe it lie inside its clause
_CLAUSE_END = re.compile(r"[;:!?\t\n•]|\.(?=\s|$)|\s[–—-]\s")
_QUALIFIER = re.compile(r"\b(approximately|about|around|over|more than|less than|nearly|almost|up to|some|roughly|at least)\s*$", re.I)
_HOW_MANY = re.compile(r"\bhow (many|much)\b|\bnumber of\b|\bamount of\b", re.I)
_HOW_MUCH = re.compile(r"\bhow much\b", re.I)
_WHO = re.compile(r"^\s*(who|whom|whose)\b|\bname of\b|\bcalled\b|\bnamed?\b", re.I)
_WHICH = re.compile(r"^\s*(which|what)\b", re.I)
_WHERE = re.compile(r"\bwhere\b|\bheadquarter\w*|\bbased in\b|\blocated\b|\blocation\b|\bcity\b|\bcountry\b", re.I)
# the words that name a place in a text or a rulebook (`spanoptions` offers `Section 161` as a figure)
_REFERENCE_WORDS = frozenset(tokenize(
    "section sections article articles item items page pages paragraph chapter annex appendix activity activities "
    "principle principles goal goals clause version"))
# how a report names its own company, besides the company's name
_SELF = frozenset("the company group corporation firm we our".split())
_OFTEN = re.compile(r"\bhow (?:often|frequently|regularly)\b|\bfrequency\b|\bhow many times\b|\binterval\b", re.I)
_WHEN = re.compile(r"^\s*when\b|\bwhat year\b|\bwhich year\b|\bsince when\b|\bdate\b", re.I)
_YEAR_WORD = re.compile(r"\byear\b(?!\s+(?:19|20)\d\d)", re.I)  # "target year", "base year", not "year 2022"
_RATE = re.compile(r"\b(?:rate|share|percent\w*|proportion|ratio|quota)|%", re.I)
_SCORE = re.compile(r"\b(score|rating|rated|grade|rank\w*|level|status)\b", re.I)
# a figure labelled by its year (`(2022: 47%)`, `2021: 134,197`)
_YEAR_LABEL = re.compile(r"(?<![\w.])(?:FY\s?)?((?:19|20)\d\d)\s*:\s*$")
_TIME_PREP = re.compile(
    r"\b(?:in|on|since|by|from|until|till|as of|as at|(?:at )?the (?:end|beginning|start) of|early|late|mid-?)\s*$", re.I)
# the agent of a passive clause just before the span ("audited by the auditors PricewaterhouseCoopers GmbH",
# "named one of the World's Best Employers by Forbes"): who did what the question asks about
_BY = re.compile(r"\bby\s+(?:the\s+)?(?:[\w-]+\s+){0,2}$", re.I)
_CALLED = re.compile(r"\b(?:called|named|known as|entitled|titled|dubbed)\s*[“\"]?\s*$", re.I)
# a year right after a figure says what year it is of (`33,000 m³ in 2020`, `975 liters (2022)`, `EUR 37 million in
# November 2022`, `1,234 as of December 31, 2023`, a target's `by 4.5% by 2026`); a year with a colon labels the
# figure after it, not this one (`1,100,714 (2022: 680,397`)
# a month, written out or cut to three letters (`Nov.`, `Sept`)
_MONTH = rf"(?:{MONTHS}|{'|'.join(m[:3] for m in MONTHS.split('|'))}|Sept)\.?"
_YEAR_AFTER = re.compile(
    r"[\s,]*(?:\(|in\s+|for\s+|during\s+|by\s+|as of\s+|as at\s+|at\s+|on\s+|(?:at\s+)?(?:the\s+)?end of\s+)?(?:the\s+)?"
    rf"(?:(?:financial|fiscal|calendar|reporting)\s+year\s+)?(?:(?:\d{{1,2}}\.?\s+)?{_MONTH}\s+(?:\d{{1,2}},?\s+)?)?"
    r"(?:FY\s?)?((?:19|20)\d\d)(?![\d.,]\d)(?!\s*:)", re.I)
_YEAR_MENTION = re.compile(r"(?<![\d.,:/-])((?:19|20)\d\d)(?![\d:])")
# a figure of the year before the one the sentence reports (`… 15 accidents (previous year: 22)`)
_PREVIOUS = re.compile(r"\b(?:previous|prior|preceding|last)\s+year\s*[:=]?\s*(?:of\s+)?$|\bPY\s*:\s*$", re.I)
_SENTENCE_END = re.compile(r"[!?\t\n•;]|\.(?=\s|$)")
_DAY = re.compile(r"\b\d{1,2}\b(?!\d)")
# the words right after a figure that say what it counts (`7,885 full-time employees`, `684 general risk
# alerts`): up to the first punctuation, figure, verb of being or having, relative pronoun or preposition
_PHRASE_STOP = re.compile(
    r"[,.;:!?()\t\n•]|\d|\b(?:were|was|is|are|be|been|has|have|had|which|that|who|whom|in|on|at|of|from|with|to|"
    r"by|for|as|than|compared|while|whereas|reaching|reached)\b", re.I)
_OF = re.compile(r"\s*of\b", re.I)
_OPEN_QUOTES = frozenset("“\"‘„«'")
_CLOSE_QUOTES = frozenset("”\"’“»'")
# a part of the figure before it (`…, of which 2,210 were new graduates`, `including 41 …`)
_SUBSET = re.compile(r"\b(?:of which|of whom|including|among (?:them|which|whom|these)|thereof|in particular)\b[^.;:\n\t]{0,24}$", re.I)

SPAN_FEATURES: tuple[str, ...] = (
    "none", "rule_pick", "is_number", "is_date", "is_code", "is_name", "is_word", "is_phrase", "is_cell",
    "cell_asked_year", "cell_latest", "cell_header_match", "cell_empty", "unit_fit", "is_percent", "has_unit", "qualified", "near_terms",
    "term_overlap", "before_match", "after_match", "after_first", "clause_match", "position", "digits", "yearish",
    "in_question", "span_q_frac", "in_label", "long", "n_words", "n_options", "q_number", "q_percent", "q_date",
    "q_entity", "q_other", "q_defn_list_yes", "q_howmany", "q_who", "q_which", "q_when", "q_rate", "q_score",
    "q_year_word", "q_years", "is_word_number", "is_grade", "is_range", "date_grain", "time_prep", "year_label_asked",
    "year_label_other", "in_parens", "adj_before", "adj_after", "called_before", "year_label", "year_before_asked",
    "head_in_span", "head_before", "percent_fit", "percent_clash", "k_number", "k_date", "k_name", "k_phrase", "k_none",
    "kind_p",
    "phrase_match", "phrase_head", "subset_intro", "is_row", "q_where", "role_in_span", "role_after",
    "ref_asked", "own_name", "by_before", "rel_near", "rel_clause", "rel_phrase", "rel_head", "rel_kind",
    "year_after_asked", "year_after_other", "seg_recall", "seg_precision", "seg_unique", "rel_seg", "rel_segp",
    "target_unasked", "is_freq", "q_often", "prev_label", "year_before_other", "asked_year_in_quote",
    "prev_asked", "prev_unasked", "cell_after_flags", "asked_prior", "in_quotes", "extends_other", "extended",
    "percent_unasked",
)
_INDEX = {k: i for i, k in enumerate(SPAN_FEATURES)}
# computed (the confidence reads `clause_match`) but left out of the span model: with them the model leans on how
# many of the question's words an option's clause holds, which held-out companies do not bear out (span accuracy of
# the first right quote, leave-one-company-out, 3-seed bags over three seed sets: mean of the 8 companies +1.1 to
# +1.7 without them; the whole pipeline's span@1 +0.2 for the 8 companies and for the bundled company)
UNMODELLED: tuple[str, ...] = ("clause_match", "rel_clause", "seg_recall", "seg_precision", "rel_seg", "rel_segp")
_UNMODELLED_COLUMNS = [_INDEX[k] for k in UNMODELLED]


def model_input(X: np.ndarray) -> np.ndarray:
    """The span model's input: `X` (rows of SPAN_FEATURES) with the UNMODELLED columns zeroed."""
    out = X.copy()
    out[:, _UNMODELLED_COLUMNS] = 0.0
    return out


# features whose value an option has against the best of the quote's other options (`rel_*`): the trees score
# each option alone, so "the figure whose counted noun is the question's, when another figure's is not" is
# only learnable from the difference
_RELATIVE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rel_near", ("near_terms",)), ("rel_clause", ("clause_match",)), ("rel_phrase", ("phrase_match",)),
    ("rel_head", ("head_in_span", "phrase_head")), ("rel_kind", ("kind_p",)),
    ("rel_seg", ("seg_recall",)), ("rel_segp", ("seg_precision",)),
)
# where the words between two options divide: a comma or a conjunction ends the first one's words
_GAP_SPLIT = re.compile(r",|\b(?:and|or|but|while|whereas|of which|of whom|compared with|compared to|versus|vs)\b", re.I)
# the option kinds of running text, whose own words (`_segments`) describe them; a cell has its row label
_PROSE_KINDS = frozenset(("number", "range", "word_number", "date", "freq", "code", "grade", "name", "word", "phrase"))


def header_terms(column: str) -> set[str]:
    """The words of a column header besides its years (`2020 by region Austria` → {"region", "austria", …})."""
    return {t for t in tokenize(column) if not _YEARISH.match(t)}


def _clause_before(qt: str, start: int) -> str:
    text = qt[max(0, start - 90) : start]
    ends = list(_CLAUSE_END.finditer(text))
    return text[ends[-1].end() :] if ends else text


def _sentence_before(qt: str, start: int) -> str:
    text = qt[max(0, start - 120) : start]
    ends = list(_SENTENCE_END.finditer(text))
    return text[ends[-1].end() :] if ends else text


def _clause_after(qt: str, end: int) -> str:
    text = qt[end : end + 70]
    m = _CLAUSE_END.search(text)
    return text[: m.start()] if m else text


def _phrase_after(qt: str, end: int) -> list[str]:
    text = qt[end : end + 60]
    text = text[lead.end() :] if (lead := _OF.match(text)) else text  # `25 tons of electronic waste`
    m = _PHRASE_STOP.search(text)
    if m and m.group(0).lower() == "of" and len(text[: m.start()].split()) <= 2:
        # a counted noun and what it is of (`13,250 sets of medical protective clothing`): the words after `of`
        # say what is counted
        m = _PHRASE_STOP.search(text, m.end())
    return tokenize(text[: m.start()] if m else text)[:6]


def _matches(tokens: list[str], terms: set[str]) -> set[str]:
    """Question terms among `tokens`, a stem or a shared 5-letter prefix counting as a match."""
    hit: set[str] = set()
    for t in tokens:
        for q in terms:
            if t == q or (len(t) >= 5 and len(q) >= 5 and t[:5] == q[:5]):
                hit.add(q)
    return hit


def question_features(info: QuestionInfo) -> dict[str, float]:
    qtype = info.qtype
    return {
        "q_number": float(info.wants_number), "q_percent": float(qtype == "percent"), "q_date": float(qtype == "date"),
        "q_entity": float(qtype == "entity"), "q_other": float(qtype == "other"),
        "q_defn_list_yes": float(qtype in ("definition", "list", "yes_no")),
        "q_howmany": float(bool(_HOW_MANY.search(info.text))), "q_who": float(bool(_WHO.search(info.text))),
        "q_which": float(bool(_WHICH.search(info.text))), "q_when": float(bool(_WHEN.search(info.text))),
        "q_where": float(bool(_WHERE.search(info.text))), "q_often": float(bool(_OFTEN.search(info.text))),
        "q_rate": float(bool(_RATE.search(info.text))), "q_score": float(bool(_SCORE.search(info.text))),
        "q_year_word": float(bool(_YEAR_WORD.search(info.text))),
        "q_years": float(min(len(info.years), 2)),
    }


@dataclass(frozen=True)
class _QuoteContext:
    """What every option of one quote shares: the question's features and terms, where the terms sit in
    the quote, the table's header years and the row label's end."""

    base: dict[str, float]
    low: str
    terms: set[str]
    n_terms: int
    term_pos: list[int]
    header_years: list[str]
    asked_years: frozenset[str]  # the years the question names
    label_end: int | None  # the first tab of a tabbed quote: where a table row's label ends
    kinds: tuple[float, ...]  # the answer-kind probabilities of the question (`answerkind`); () unknown
    own_words: frozenset[str]  # the words a report names its own company by: company names and `_SELF`
    asked_year_in_quote: float  # 1: the quote names a year the question asks about
    asks_amount: bool  # a unit named or "how much", and no share, rate or percent asked

    @classmethod
    def of(cls, info: QuestionInfo, c: Candidate, n_options: int, kinds: tuple[float, ...] = ()) -> _QuoteContext:
        qt = c.quote_text
        low = qt.lower()
        base = dict.fromkeys(SPAN_FEATURES, 0.0)
        base.update(question_features(info))
        base["n_options"] = min(n_options, 40) / 40
        base.update({f"k_{k}": p for k, p in zip(KINDS, kinds, strict=False)})
        return cls(
            base=base,
            low=low,
            terms=set(info.terms) | {t for v in info.alts.values() for t in v},
            n_terms=max(1, len(info.terms)),
            term_pos=[m.start() for t in info.terms if len(t) > 2 for m in re.finditer(re.escape(t[:6]), low)],
            header_years=[y for h in (c.chunk.header or []) if (y := column_year(h)) is not None],
            asked_years=frozenset(str(y) for y in info.years),
            label_end=qt.index("\t") if "\t" in qt else None,
            kinds=kinds,
            own_words=info.names | _SELF,
            asked_year_in_quote=float(bool(set(_YEAR_MENTION.findall(qt)) & {str(y) for y in info.years})),
            asks_amount=info.qtype != "percent" and not base["q_rate"] and (
                bool(info.units) or bool(_HOW_MUCH.search(info.text))),
        )


def option_features(
    info: QuestionInfo, c: Candidate, opt: SpanOption, n_options: int = 1, kinds: tuple[float, ...] = ()
) -> list[float]:
    return _option_features(_QuoteContext.of(info, c, n_options, kinds), info, c, opt)


def feature_rows(
    info: QuestionInfo, c: Candidate, opts: list[SpanOption], kinds: tuple[float, ...] = ()
) -> list[list[float]]:
    """`option_features` of every option of one quote, the shared work done once."""
    ctx = _QuoteContext.of(info, c, len(opts), kinds)
    rows = [_option_features(ctx, info, c, o) for o in opts]
    _segment_features(rows, ctx, info, c.quote_text, opts)
    _extensions(rows, opts)
    _relative(rows, [o.span is not None for o in opts])
    return rows


def _extensions(rows: list[list[float]], opts: list[SpanOption]) -> None:
    """`extends_other`: the option is another option of its kind with more words at one end (`30 days` of `30`,
    `at least once a year` of `once a year`, `Directive 2009` of `Directive`); `extended`: another option so extends
    it."""
    of_kind: dict[str, list[tuple[int, int]]] = {}
    for o in opts:
        if o.span is not None:
            of_kind.setdefault(o.kind, []).append((o.span.start, o.span.end))
    for row, o in zip(rows, opts, strict=True):
        if o.span is None or len(of_kind[o.kind]) < 2:
            continue
        a, b = o.span.start, o.span.end
        for s, e in of_kind[o.kind]:
            if (s == a) != (e == b):  # one end shared, the other not: one option runs on past the other
                if a <= s and e <= b:
                    row[_INDEX["extends_other"]] = 1.0
                elif s <= a and b <= e:
                    row[_INDEX["extended"]] = 1.0


def _segments(qt: str, opts: list[SpanOption]) -> list[list[str] | None]:
    """Each running-text option's own words, as tokens: the end of its clause before it and the start after it
    up to a comma or a conjunction, cut where a neighbouring option of its kind (a figure, a date, a name) lies;
    the words between two options go to the first up to a comma or a conjunction and to the second after it ("the
    hotline rate reached 97.25%, and the online channel rate reached 90.61%": the second figure's words are "the
    online channel rate reached"). None for a cell, a row or "none"."""
    # the neighbours are options of the same kind: a figure's words run over a name or a frequency between it
    # and the next figure ("20 million monthly active users")
    prose = [(o.span, option_kind(o.kind, o.span.text)) if o.span is not None and o.kind in _PROSE_KINDS else None
             for o in opts]
    spans_of: dict[int, list[tuple[int, int]]] = {}
    for p in prose:
        if p is not None:
            spans_of.setdefault(p[1], []).append((p[0].start, p[0].end))
    out: list[list[str] | None] = []
    for p in prose:
        if p is None:
            out.append(None)
            continue
        spans = spans_of[p[1]]
        s, e = p[0].start, p[0].end
        lo, hi = s - len(_clause_before(qt, s)), e + len(_clause_after(qt, e))
        prev_end = max((b for a, b in spans if b <= s), default=-1)
        next_start = min((a for a, b in spans if a >= e), default=len(qt) + 1)
        if prev_end >= lo:
            split = _GAP_SPLIT.search(qt, prev_end, s)
            lo = split.end() if split else prev_end
        hi = min(hi, next_start)
        if split := _GAP_SPLIT.search(qt, e, hi):
            hi = split.start()
        left = [t for t in tokenize(qt[lo:s]) if not t[0].isdigit()][-8:]
        right = [t for t in tokenize(qt[e:hi]) if not t[0].isdigit()][:6]
        out.append(left + right)
    return out


def _sentence_around(qt: str, start: int, end: int) -> str:
    m = _SENTENCE_END.search(qt, end)
    return _sentence_before(qt, start) + qt[start : m.start() if m else len(qt)]


def _segment_features(
    rows: list[list[float]], ctx: _QuoteContext, info: QuestionInfo, qt: str, opts: list[SpanOption]
) -> None:
    """`seg_*`: how the question's terms match each option's own words (`_segments`): the share of the terms
    they name, the share of their words the question uses, the terms no other option's words name; and
    `target_unasked`: the option's sentence states a target the question does not ask about."""
    segs = _segments(qt, opts)
    hits = [_matches(seg, ctx.terms) if seg is not None else set() for seg in segs]
    named_by = Counter(t for hit in hits for t in hit)  # how many options' words name each term
    asks = asks_target(info)
    for i, (row, seg, hit) in enumerate(zip(rows, segs, hits, strict=True)):
        if seg is None:
            continue
        row[_INDEX["seg_recall"]] = min(1.0, len(hit) / ctx.n_terms)
        row[_INDEX["seg_unique"]] = min(1.0, sum(1 for t in hit if named_by[t] == 1) / ctx.n_terms)
        if seg:
            row[_INDEX["seg_precision"]] = sum(1 for t in seg if _matches([t], ctx.terms)) / len(seg)
        span = opts[i].span
        if span is not None and not asks:
            row[_INDEX["target_unasked"]] = float(states_target(_sentence_around(qt, span.start, span.end)))


def _relative(rows: list[list[float]], real: list[bool]) -> None:
    """Sets each span option's `rel_*` features: its value less the best value of the quote's other span options
    ("none" is left at 0 and is no other option)."""
    for name, sources in _RELATIVE:
        values = [max(row[_INDEX[s]] for s in sources) for row in rows]
        ranked = sorted((v for v, r in zip(values, real, strict=True) if r), reverse=True)
        if len(ranked) < 2:
            continue  # one span option (or none): nothing to compare it with, the feature stays 0
        for row, v, r in zip(rows, values, real, strict=True):
            if r:
                row[_INDEX[name]] = v - (ranked[1] if v == ranked[0] else ranked[0])


def _option_features(ctx: _QuoteContext, info: QuestionInfo, c: Candidate, opt: SpanOption) -> list[float]:
    qt = c.quote_text
    f = dict(ctx.base)
    if ctx.kinds:  # how likely the question asks for a span of this option's kind
        f["kind_p"] = ctx.kinds[option_kind(opt.kind, opt.span.text if opt.span else None)]
    if opt.span is None:
        f["none"] = 1.0
        f["rule_pick"] = float(c.answer is None)
        return [f[k] for k in SPAN_FEATURES]
    s = opt.span
    text = s.text
    terms, n_terms = ctx.terms, ctx.n_terms
    f["rule_pick"] = float(c.answer is not None and (c.answer.start, c.answer.end) == (s.start, s.end))
    f[f"is_{opt.kind}"] = 1.0
    if opt.kind in ("cell", "number") and ctx.label_end is not None and s.start > ctx.label_end:
        # a figure after a run of word cells (`Y`, `N/EL`) of its row: a template's later block of columns,
        # such as an EU taxonomy table's shares of the year before after its criteria flags (a row printed
        # without a header has its figures as `number` options)
        before_cells = [x.strip() for x in qt[ctx.label_end : s.start].split("\t")]
        first_fig = next((k for k, x in enumerate(before_cells) if any(ch.isdigit() for ch in x)), None)
        f["cell_after_flags"] = float(first_fig is not None and any(
            x and not any(ch.isdigit() for ch in x) and not empty_cell(x) for x in before_cells[first_fig:]))
    if opt.kind == "cell" and opt.column is not None:
        year = column_year(opt.column)
        f["cell_asked_year"] = float(year is not None and year in ctx.asked_years)
        f["cell_latest"] = float(bool(ctx.header_years) and year == max(ctx.header_years))
        f["cell_header_match"] = float(bool(named_by(header_terms(opt.column), info.tokens)))
        f["cell_empty"] = float(empty_cell(text))
    if opt.kind in ("number", "range", "cell", "word_number"):
        tail = ctx.low[s.end : s.end + 12]
        f["is_percent"] = float("%" in text or tail.lstrip().startswith(("%", "percent")))
        f["has_unit"] = float(bool(opt.unit))
        f["unit_fit"] = float(bool(opt.unit) and opt.unit in info.units)
        f["qualified"] = float(bool(_QUALIFIER.search(qt[max(0, s.start - 14) : s.start])))
        # a share asked and a share offered, or a share asked and a plain figure offered
        f["percent_fit"] = float(info.qtype == "percent" and f["is_percent"] == 1.0)
        f["percent_clash"] = float(info.qtype == "percent" and f["is_percent"] == 0.0)
        # a share offered for an amount asked: a unit named (`€ million`, `kWh`) or "how much", no share or rate
        f["percent_unasked"] = float(f["is_percent"] == 1.0 and ctx.asks_amount)
    if ctx.term_pos:
        dist = min(abs(s.start - p) for p in ctx.term_pos)
        f["near_terms"] = 1.0 / (1.0 + dist / 40.0)
    window = set(tokenize(qt[max(0, s.start - 40) : s.end + 40]))
    f["term_overlap"] = len(window & set(info.terms)) / n_terms
    if opt.kind == "cell" and ctx.label_end is not None:
        before, after = tokenize(qt[: ctx.label_end]), []  # a cell is described by its row's label
    else:
        before = tokenize(_clause_before(qt, s.start))[-8:]
        after = tokenize(_clause_after(qt, s.end))[:6]
    before_hit, after_hit = _matches(before, terms), _matches(after, terms)
    f["before_match"] = min(1.0, len(before_hit) / n_terms)  # synonyms may add matches beyond the terms
    f["after_match"] = min(1.0, len(after_hit) / n_terms)
    f["clause_match"] = min(1.0, len(before_hit | after_hit) / n_terms)
    f["adj_before"] = min(1.0, len(_matches(before[-3:], terms)) / 2)
    f["adj_after"] = min(1.0, len(_matches(after[:3], terms)) / 2)
    lead = qt[max(0, s.start - 24) : s.start]
    asked_years = ctx.asked_years
    label = _YEAR_LABEL.search(lead)
    if label:
        f["year_label"] = 1.0
        if asked_years:
            f["year_label_asked" if label.group(1) in asked_years else "year_label_other"] = 1.0
    elif asked_years:  # the last year the sentence names before the span ("In 2023, a total of 1,100,714")
        years_before = _YEAR_MENTION.findall(_sentence_before(qt, s.start))
        f["year_before_asked"] = float(bool(years_before) and years_before[-1] in asked_years)
        f["year_before_other"] = float(bool(years_before) and years_before[-1] not in asked_years)
    f["prev_label"] = float(bool(_PREVIOUS.search(qt[max(0, s.start - 30) : s.start])))
    report_year = int(c.extra.get("report_year", 0))
    # only years before the report's own asked: a figure of the year before, wherever the row prints it
    f["asked_prior"] = float(bool(report_year and asked_years) and max(int(y) for y in asked_years) < report_year)
    if f["prev_label"] and report_year and asked_years:
        # "(previous year: 130 percent)" in a 2023 report is 2022's figure: asked for 2022, not for 2023
        f["prev_asked"] = float(str(report_year - 1) in asked_years)
        f["prev_unasked"] = float(str(report_year) in asked_years)
    f["asked_year_in_quote"] = ctx.asked_year_in_quote
    after_year = _YEAR_AFTER.match(qt, s.end, min(len(qt), s.end + 40)) if opt.kind in ("number", "range") else None
    if after_year and asked_years:
        f["year_after_asked" if after_year.group(1) in asked_years else "year_after_other"] = 1.0
    if info.head:
        head = {info.head}
        f["head_in_span"] = float(bool(_matches(tokenize(text), head)))
        f["head_before"] = float(bool(_matches(before[-3:], head)))
    phrase = _phrase_after(qt, s.end)
    f["phrase_match"] = min(1.0, len(_matches(phrase, terms)) / n_terms)
    if info.head:
        f["phrase_head"] = float(bool(_matches(phrase, {info.head})))
    f["subset_intro"] = float(bool(_SUBSET.search(qt[max(0, s.start - 40) : s.start])))
    f["in_parens"] = float(qt.rfind("(", max(0, s.start - 60), s.start) > qt.rfind(")", max(0, s.start - 60), s.start))
    f["time_prep"] = float(bool(_TIME_PREP.search(lead)))
    f["called_before"] = float(bool(_CALLED.search(lead)))
    # a title in quotation marks (`the “Analytics & Technology, AI in HR & Software” category`)
    f["in_quotes"] = float(qt[s.start - 1 : s.start] in _OPEN_QUOTES and qt[s.end : s.end + 1] in _CLOSE_QUOTES)
    f["by_before"] = float(bool(_BY.search(qt[max(0, s.start - 30) : s.start])))
    if opt.kind == "date":
        f["date_grain"] = 1.0 if _DAY.search(re.sub(r"(?:19|20)\d\d", "", text)) else 0.5 if not _YEARISH.match(text.strip()) else 0.0
    first = [t for t in after if not t.isdigit()][:1]
    f["after_first"] = float(bool(first) and bool(_matches(first, terms)))
    f["position"] = s.start / max(1, len(qt))
    f["digits"] = min(sum(ch.isdigit() for ch in text), 12) / 12
    f["yearish"] = float(bool(_YEARISH.match(text.strip())))
    span_toks = set(tokenize(text))
    f["in_question"] = float(bool(span_toks & info.tokens) and opt.kind != "cell")
    f["span_q_frac"] = len(span_toks & info.tokens) / max(1, len(span_toks)) if opt.kind != "cell" else 0.0
    if c.chunk.kind == "table_row" and ctx.label_end is not None:
        f["in_label"] = float(s.end <= ctx.label_end)
    ref_words = span_toks | set(before[-2:])
    f["ref_asked"] = float(any(ch.isdigit() for ch in text) and bool(ref_words & _REFERENCE_WORDS & info.tokens))
    if opt.kind in ("name", "word", "phrase"):
        # the answering company itself ("ATOSS Software AG", "the Group"): rarely what is asked about it
        words = {w.lower() for w in re.findall(r"[\w&-]+", text)}
        f["own_name"] = float(bool(words) and words <= ctx.own_words)
        f["role_in_span"] = float(bool(span_toks & ROLE_WORDS))
        f["role_after"] = float(bool(set(tokenize(qt[s.end : s.end + 24])[:2]) & ROLE_WORDS))
    n_words = len(text.split())
    f["long"] = float(n_words > 6)
    f["n_words"] = min(n_words, 12) / 12
    return [f[k] for k in SPAN_FEATURES]
