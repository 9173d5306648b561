"""Two-column tables printed as text lines: a short header line ("Awards Organization", "Conference Speech"),
then one unpunctuated "label value" line per row, with no tab between label and value. The value of the
row a question names is the rest of that row's line after the question's key terms there, the value the
line ends with when values recur down the block (`Council member`), or the next line when the label fills
its line (a label wrapped over two lines)."""

from __future__ import annotations

import re
from functools import lru_cache

from qa.compose.extract import Span
from qa.compose.question import QuestionInfo
from qa.lexical import tokenize

_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.;!?]\s*$|[.;!?]\s+[A-Z]")
# a line of wrapped prose ends mid-sentence: with a comma or a word that cannot end a label or a value
# (or a hyphenated word), or goes on from the line before with a lower-case word
_WRAPPED = re.compile(r"(?:,|[a-z]-|\b(?:and|or|of|the|a|an|to|in|for|with|by|on|at|as|from|that|which|we|our|is|are))\s*$",
                      re.I)
_GOES_ON = re.compile(r"^[a-z]")
_LEAD = re.compile(r"[\s,:;–—-]+")
MIN_LINES = 4  # a header and three rows
MAX_HEADER_WORDS = 8
MAX_ROW_WORDS = 16
MAX_VALUE_WORDS = 12


def _lines(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every non-blank line, surrounding spaces left out."""
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + line.index(stripped)
            out.append((start, start + len(stripped)))
        pos += len(line) + 1
    return out


@lru_cache(maxsize=8192)
def row_block(text: str) -> tuple[tuple[int, int], ...] | None:
    """The row lines (header excluded) when `text` is such a block: at least four lines, a header of at most
    eight words without digits or sentence punctuation, and rows that are short and unpunctuated (all but
    one in ten) and mostly not cut mid-sentence (a label may wrap: up to one in three); else None. Prose,
    wrapped into lines or not, does not pass. Cached: a unit's text is tested for every question."""
    if "\t" in text:
        return None
    lines = _lines(text)
    if len(lines) < MIN_LINES:
        return None
    header = text[lines[0][0] : lines[0][1]]
    if len(header.split()) > MAX_HEADER_WORDS or any(ch.isdigit() for ch in header) or _SENTENCE_END.search(header):
        return None
    rows = lines[1:]
    prose = sum(1 for a, b in rows if len(text[a:b].split()) > MAX_ROW_WORDS or _SENTENCE_END.search(text[a:b]))
    wrapped = sum(1 for a, b in rows if _WRAPPED.search(text[a:b]) or _GOES_ON.match(text[a:b]))
    return tuple(rows) if prose * 10 <= len(rows) and wrapped * 3 <= len(rows) else None


def _split(terms: frozenset[str], line: str) -> tuple[int, int]:
    """How many of the question's key terms (or alternatives) the line names, and where the label ends: after
    the first mention of the last of them (a value may repeat a label's word: "Quality Technology Award,
    Second Prize China Association for Quality")."""
    first: dict[str, int] = {}
    for m in _WORD.finditer(line):
        for t in set(tokenize(m.group(0))) & terms:
            first.setdefault(t, m.end())
    return len(first), max(first.values(), default=0)


@lru_cache(maxsize=8192)
def _recurring(text: str) -> frozenset[str]:
    """Endings of two or three words that end at least two row lines of the block (`Council member`,
    `Vice president`): the values of a column whose entries repeat."""
    seen: dict[str, int] = {}
    for a, b in row_block(text) or ():
        words = text[a:b].split()
        for k in (2, 3):
            if len(words) >= k:
                end = " ".join(words[-k:])
                seen[end] = seen.get(end, 0) + 1
    return frozenset(e for e, n in seen.items() if n >= 2)


def line_value(info: QuestionInfo, text: str) -> Span | None:
    """The value of the row the question names, as a span of `text`: the row line naming most of the
    question's key terms (at least one, and no other row as many), after its label; a repeated value the
    line ends with; or the next line when the label fills its line and the next line is a value alone.
    None when `text` is no such block, no row is named, or the value is empty or long."""
    rows = row_block(text)
    if rows is None or not info.terms:
        return None
    terms = frozenset(info.terms) | {t for v in info.alts.values() for t in v}
    splits = [_split(terms, text[a:b]) for a, b in rows]
    best = max(n for n, _ in splits)
    if best < 1 or sum(1 for n, _ in splits if n == best) > 1:
        return None  # no row named, or two rows named alike: no value to prefer
    i = next(k for k, (n, _) in enumerate(splits) if n == best)
    a, b = rows[i]
    start = a + splits[i][1]
    lead = _LEAD.match(text, start)
    start = lead.end() if lead else start
    recurring = _recurring(text)
    endings = [e for e in recurring if text[a:b].endswith(e)]
    after = [e for e in endings if b - len(e) >= start]  # the longest after the label, else the shortest
    ending = max(after, key=len) if after else min(endings, key=len, default=None)
    nxt = splits[i + 1][0] if i + 1 < len(rows) else None
    if ending is not None:
        start = b - len(ending)  # the repeated value the line ends with
    elif nxt == 0 and (start >= b or text[rows[i + 1][0] : rows[i + 1][1]] in recurring):
        start, b = rows[i + 1]  # the label fills its line: the value is the next line
    value = text[start:b]
    if not any(ch.isalnum() for ch in value) or len(value.split()) > MAX_VALUE_WORDS:
        return None
    return Span(start, b, value)
