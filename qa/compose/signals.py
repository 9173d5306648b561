"""Term-matching signals between a question and a candidate quote: coverage, label match, phrases."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from qa.compose.candidate import Candidate, label_of
from qa.compose.question import QuestionInfo
from qa.lexical import tokenize
from qa.models import Chunk


@lru_cache(maxsize=200_000)
def token_list(text: str) -> tuple[str, ...]:
    """`tokenize(text)` in order, cached: a quote's words are put in order once per process."""
    return tuple(tokenize(text))


@lru_cache(maxsize=200_000)
def token_set(text: str) -> frozenset[str]:
    """`set(tokenize(text))`, cached: units, labels and section paths are tokenized once per process."""
    return frozenset(tokenize(text))


MAX_RUN = 6  # a run of six words is a quoted label; longer ones say no more
_RUN_WINDOW = 80  # the quote's first words (a quote is at most 80 words, a pair 120)


@lru_cache(maxsize=4096)
def _wording(question: str) -> tuple[tuple[str, ...], dict[str, list[int]], frozenset[tuple[str, str]]]:
    """A question's tokens in order, where each occurs and its adjacent pairs: built once for all its quotes."""
    q = token_list(question)
    where: dict[str, list[int]] = {}
    for j, t in enumerate(q):
        where.setdefault(t, []).append(j)
    return q, where, frozenset(zip(q, q[1:], strict=False))


def token_run(question: str, text: str) -> int:
    """The longest run of the question's tokens (stop words left out, stemmed) that the text has in the same
    order, at most MAX_RUN: 3 for "return to work rate" in "What was the return to work rate in 2022?"."""
    q, where, _pairs = _wording(question)
    toks = token_list(text)[:_RUN_WINDOW]
    best = 0
    for i, t in enumerate(toks):
        for j in where.get(t, ()):
            k = 1
            while k < MAX_RUN and i + k < len(toks) and j + k < len(q) and toks[i + k] == q[j + k]:
                k += 1
            best = max(best, k)
            if best == MAX_RUN:
                return best
    return best


def pair_share(question: str, text: str) -> float:
    """The share of the question's adjacent token pairs ("return work", "work rat") the text has adjacent too."""
    pairs = _wording(question)[2]
    if not pairs:
        return 0.0
    toks = token_list(text)
    return len(pairs & set(zip(toks, toks[1:], strict=False))) / len(pairs)


# a negation's word, as written (the tokenizer drops "not", "no" and "other" as stop words); `No.` is a number's sign
_NEGATION_WORD = re.compile(r"\b(?:non|not|no|without|excluding|excl|except|other|others)\b(?!\.)", re.I)


@lru_cache(maxsize=65_536)
def _negates(text: str) -> bool:
    """Does the text negate or set apart (`_NEGATION_WORD`)? Cached: each question is read once for all its rows."""
    return _NEGATION_WORD.search(text) is not None


@lru_cache(maxsize=65_536)
def _bare_label(label: str) -> str:
    """A label without its bracketed units and marks (`(Metric Tons CO2e)`, `(²)`): read by the label precision
    and the negation cue of every candidate row."""
    return re.sub(r"[\(\[][^)\]]*[\)\]]", " ", label)


def chunk_tokens(c: Chunk) -> frozenset[str]:
    """The tokens of a chunk with its section path and table context (cached: read by the IDF table and
    the company vocabulary at load)."""
    return token_set(f"{c.section} {c.context} {c.text}")


def idf_table(chunks: list[Chunk]) -> dict[str, float]:
    """Inverse document frequency of every token over the chunk texts (with their context)."""
    df: dict[str, int] = {}
    for c in chunks:
        for t in chunk_tokens(c):
            df[t] = df.get(t, 0) + 1
    n = len(chunks) or 1
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


class TermSignals:
    """IDF-weighted matching of the question's key terms against units, labels and context."""

    def __init__(self, idf: dict[str, float]) -> None:
        self.idf = idf

    def term_weight(self, info: QuestionInfo, term: str) -> float:
        """A key term's IDF, or its best synonym's when that is rarer; 0 for words the reports never use."""
        return max([self.idf.get(term, 0.0), *(self.idf.get(a, 0.0) for a in info.alts.get(term, ()))])

    def coverage(self, info: QuestionInfo, text: str, context: str, section: str) -> tuple[float, float]:
        """(share of the key terms in the unit or, at 0.7, its context; share in the unit alone)."""
        if not info.terms:
            return 0.0, 0.0
        body = token_set(text)
        ctx = token_set(context) | token_set(section.split(" > ")[-1] if section else "")
        total = got = got_body = 0.0
        for t in info.terms:
            alts = info.alts.get(t, frozenset())
            w = self.term_weight(info, t)
            if w <= 0.0:
                continue  # a term the reports never use tells nothing about this unit
            total += w
            if t in body or alts & body:
                got += w
                got_body += w
            elif t in ctx or alts & ctx:
                got += 0.7 * w
        return (got / total, got_body / total) if total else (0.0, 0.0)

    @staticmethod
    def phrase_match(info: QuestionInfo, text: str) -> float:
        """Share of the question's quoted phrases ('Above 4° C') the unit contains verbatim."""
        if not info.phrases:
            return 0.0
        low = " ".join(text.lower().split())
        return sum(p in low for p in info.phrases) / len(info.phrases)

    @staticmethod
    def label_tokens(info: QuestionInfo, c: Candidate) -> set[str]:
        """The content tokens of a table row's or label/value pair's label (no units, marks or figures)."""
        label = _bare_label(label_of(c))
        q = info.tokens | info.synonym_tokens
        toks = set()
        for t in tokenize(label):
            if re.fullmatch(r"[a-z]+\d+", t) and t not in q:
                continue  # a footnote mark glued to a word (Emissions3)
            if t[0].isdigit() and (t not in q or len(t) > 4):
                continue  # the row's own figures
            toks.add(t)
        return toks

    def label_precision(self, info: QuestionInfo, c: Candidate) -> float:
        """For a table row or label/value pair: how much of its label the question asks about."""
        if c.chunk.kind not in ("table_row", "kpi"):
            return 0.0
        toks = self.label_tokens(info, c)
        if not toks:
            return 0.0
        return len(toks & (info.tokens | info.synonym_tokens)) / len(toks)

    @staticmethod
    def negation_mismatch(info: QuestionInfo, c: Candidate) -> float:
        """1 when the label negates or sets apart (`Non-hazardous`, `excluding …`, `eligible but not aligned`,
        `Other employees`) and the question does not."""
        if c.chunk.kind not in ("table_row", "kpi"):
            return 0.0
        return 1.0 if _negates(_bare_label(label_of(c))) and not _negates(info.text) else 0.0

    def label_match(self, info: QuestionInfo, c: Candidate, precision: float) -> float:
        """Harmonic mean of the label's precision and its recall (the IDF-weighted share of the question's
        key terms that a table row's label, table title and group name)."""
        if c.chunk.kind != "table_row" or precision <= 0.0 or not info.terms:
            return precision
        toks = (
            token_set(label_of(c))
            | token_set(c.chunk.table_title or "")
            | token_set(c.chunk.context.split("| columns")[0])
        )
        total = got = 0.0
        for t in info.terms:
            alts = info.alts.get(t, frozenset())
            w = self.term_weight(info, t)
            total += w
            if t in toks or alts & toks:
                got += w
        recall = got / total if total else 0.0
        return 0.0 if recall <= 0.0 else 2 * precision * recall / (precision + recall)
