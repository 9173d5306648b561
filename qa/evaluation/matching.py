"""Text matching of the eval metrics (GUIDE.md): normalisation, tokens, "holds", span@1.

Normalisation (`normalize`): Unicode NFKC, lower-case, commas between digits removed, whitespace
collapsed. Text is then split into tokens (`tokenize`): numbers (`31347.06`, `2.5`), words (runs of
letters/digits/underscore) and single punctuation characters. A text *holds* a gold answer when the
answer's tokens occur in it as a contiguous token sequence, so "12" never matches inside "125",
"1.25" or "12.5", and "1,406,874" matches "1406874" but not "14068745". Digit groups are joined
per number only: a row of decimal-comma figures ("1,52 1,48 1,47") still holds "1,48".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from qa.evaluation.dataset import EvalItem

EVIDENCE_TYPES = frozenset({"yes_no", "list", "definition"})
EVIDENCE_COVERAGE = 0.60
# question types whose extracted `answer` (the highlighted span) is scored by span@1
SPAN_TYPES = frozenset({"numeric", "table", "date", "entity", "cross_report"})
SPAN_MIN_COVERAGE = 0.50  # "most of" a gold answer: at least this share of its tokens

_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d)")
_TOKEN = re.compile(r"\d+(?:\.\d+)*|\w+|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """NFKC, lower-case, drop commas between digits, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGIT_COMMA.sub("", text)
    return " ".join(text.split())


def tokenize(text: str) -> list[str]:
    """Tokens of the normalised text: numbers, words, single punctuation marks."""
    return _TOKEN.findall(normalize(text))


def contains_seq(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """Whether `needle` occurs in `haystack` as a contiguous sub-sequence (an empty needle never does)."""
    n = len(needle)
    if n == 0 or n > len(haystack):
        return False
    first = needle[0]
    for i in range(len(haystack) - n + 1):
        if haystack[i] == first and list(haystack[i : i + n]) == list(needle):
            return True
    return False


def contains_answer(text: str, answer: str) -> bool:
    """True when `answer` occurs in `text` as a whole token sequence (after normalisation)."""
    return contains_seq(tokenize(text), tokenize(answer))


def evidence_coverage(text: str, evidence: str) -> float:
    """Share of the evidence's words (with multiplicity) that also occur in `text`."""
    ev = Counter(_WORD.findall(normalize(evidence)))
    total = sum(ev.values())
    if total == 0:
        return 0.0
    got = Counter(_WORD.findall(normalize(text)))
    return sum((ev & got).values()) / total


def holds(text: str, item: EvalItem) -> bool:
    """Whether a quote (or passage) text holds a gold answer of `item`: a gold answer occurs in it as
    a whole token sequence; for yes_no, list and definition questions it may instead cover >= 60%
    of the words of one gold evidence string."""
    tokens = tokenize(text)
    if any(contains_seq(tokens, tokenize(a)) for a in item.answers):
        return True
    if item.type in EVIDENCE_TYPES and item.answers:
        return any(evidence_coverage(text, ev) >= EVIDENCE_COVERAGE for ev in item.evidence)
    return False


def word_count(text: str) -> int:
    return len(text.split())


def holds_every_report(quote_texts: Sequence[str], item: EvalItem) -> bool:
    """both@3 for one cross_report question, given its first three quote texts."""
    if not item.answers:
        return False
    quote_tokens = [tokenize(t) for t in quote_texts]

    def held(answer: str) -> bool:
        a = tokenize(answer)
        return any(contains_seq(q, a) for q in quote_tokens)

    if not item.evidence:
        return all(held(a) for a in item.answers)
    for ev in item.evidence:
        values = [a for a in item.answers if contains_answer(ev, a)]
        if values:
            if not any(held(a) for a in values):
                return False
        elif not any(evidence_coverage(t, ev) >= EVIDENCE_COVERAGE for t in quote_texts):
            return False
    return True


def _is_number(token: str) -> bool:
    return token[:1].isdigit()


def is_most_of(span: Sequence[str], gold: Sequence[str]) -> bool:
    """`span` is most of `gold`: every span token is a gold token (with multiplicity), the span
    covers >= 50% of the gold's tokens, and it keeps every number of the gold ("7,122.60" of
    "7,122.60 t", never "t" of it)."""
    if not span or not gold:
        return False
    s, g = Counter(span), Counter(gold)
    if s - g:  # a span token the gold answer does not have
        return False
    if any(_is_number(t) and s[t] < n for t, n in g.items()):
        return False
    return sum(s.values()) / sum(g.values()) >= SPAN_MIN_COVERAGE


def span_holds(span: str | None, answers: Sequence[str]) -> bool:
    """span@1 for one extracted answer: it holds a gold answer as a token sequence, or is most of one.
    No span (an abstention) is a miss."""
    if not span or not span.strip():
        return False
    tokens = tokenize(span)
    for gold in answers:
        g = tokenize(gold)
        if contains_seq(tokens, g) or is_most_of(tokens, g):
            return True
    return False
