"""A candidate quote (a unit, two adjacent sentences, a list with its intro, a footnote) and its signals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from qa.compose.extract import Span, numbers
from qa.models import Chunk, Unit

MAX_QUOTE_WORDS = 80
MAX_PAIR_WORDS = 120  # a quote longer than 80 words only when the answer truly needs the second sentence


@dataclass
class Candidate:
    unit_index: int
    unit: Unit
    chunk: Chunk
    hit_rank: int
    hit_score: float  # fused retrieval score / best fused score among the hits
    dense: float  # cosine of question and unit
    coverage: float  # IDF-weighted share of the question's key terms in the unit (or its context)
    quote_text: str
    chunk_dense: float = 0.0  # cosine of question and the whole chunk (with its context)
    chunk_bm25: float = 0.0  # the chunk's BM25 score / the best among the hits
    body_coverage: float = 0.0  # the same share, in the unit's own words only
    type_fit: float = 0.0
    year_fit: float = 0.0
    label_precision: float = 0.0
    label_match: float = 0.0
    phrase: float = 0.0
    origin: str = "unit"  # unit | pair | footnote
    explains: bool = False  # a footnote explaining the marked question words
    score: float = 0.0  # the ranker's score
    answer: Span | None = None  # inside quote_text
    note: str | None = None
    value: float | None = None
    column: str | None = None
    unit_fit: float = 0.0  # 1 when the extracted figure's unit is one the question expects
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def words(self) -> int:
        return len(self.quote_text.split())

    @property
    def lead_coverage(self) -> float:
        """The question's coverage by the quote with the sentences leading up to it (`generate`), else its own."""
        return self.extra.get("lead_coverage", self.coverage)


_BREAK = re.compile(r"[ \t]*\n\s*")


@lru_cache(maxsize=32768)
def quote_text(raw: str) -> str:
    """A unit as shown: line breaks (and the blank lines of hard-wrapped text) become single spaces."""
    return _BREAK.sub(" ", raw).strip()


def map_span(raw: str, shown: str, start: int, end: int) -> Span | None:
    """Map [start, end) in the raw unit text to the same characters in `quote_text(raw)`."""
    target = _BREAK.sub(" ", raw[start:end])  # a span over a line break is shown on one line
    prefix = quote_text(raw[:start] + "\x00")[:-1] if start else ""
    guess = len(prefix)
    for off in (guess, guess - 1, guess + 1):
        if off >= 0 and shown[off : off + len(target)] == target:
            return Span(off, off + len(target), target)
    pos = shown.find(target)
    return Span(pos, pos + len(target), target) if pos >= 0 else None


def label_of(c: Candidate) -> str:
    """A table row's label (its first cell) or a label/value pair's label."""
    return c.unit.text.split("\t", 1)[0] if c.chunk.kind == "table_row" else kpi_label(c.unit.text)


def kpi_label(text: str) -> str:
    """The label of a label/value pair: the words after its figure (`0.367 t` / `Hazardous Waste`), or
    before it (`Total GHG Emissions3` / `31,347.06 t`); a caption above the figure is not the label."""
    nums = numbers(text)
    if not nums:
        return text
    span = nums[0][0]
    after = text[span.end :]
    return after if re.search(r"[A-Za-z]{3}", after) else text[: span.start]


def digits(text: str) -> str:
    m = re.search(r"\d[\d,. ]*", text)
    return m.group(0).strip().rstrip(".").replace(" ", "") if m else ""
