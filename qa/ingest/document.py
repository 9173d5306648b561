"""The result of reading a report: one text, its page spans, and (for PDFs) line positions and structure hints."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

NoiseKind = Literal["header", "footer", "index", "contents"]


@dataclass(frozen=True)
class PageSpan:
    """`text[start:end]` is printed on page `page` (1-based physical page); `label` is its printed label."""

    start: int
    end: int
    page: int
    label: str | None = None


@dataclass(frozen=True)
class LineBox:
    """Where one line of the text sits on its page: `text[start:end]`, page index (0-based), PDF points.

    `bbox` is (x0, top, x1, bottom) measured from the page's top-left corner, for highlighting a quote.
    """

    start: int
    end: int
    page_index: int
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class HeadingSpan:
    """A heading line: `text[start:end]`, its level (0 = chapter) and its title."""

    start: int
    end: int
    level: int
    title: str


@dataclass(frozen=True)
class NoiseSpan:
    """Text that is never an answer: a running header or footer, a contents list, a disclosure index."""

    start: int
    end: int
    kind: NoiseKind


@dataclass
class Document:
    """The text of one report and what is known about it.

    Plain-text reports carry only `text` and the pages known from footers. PDFs also carry every line's
    position (`lines`) and the structure read from the layout (`headings`, `noise`); when `structured`
    is true the chunker takes headings and noise from here instead of guessing them from the text.
    """

    path: Path
    text: str
    pages: list[PageSpan] = field(default_factory=list)
    lines: list[LineBox] = field(default_factory=list)
    headings: list[HeadingSpan] = field(default_factory=list)
    noise: list[NoiseSpan] = field(default_factory=list)
    structured: bool = False

    def __post_init__(self) -> None:
        self.pages.sort(key=lambda p: p.start)
        self._starts = [p.start for p in self.pages]

    def _span_at(self, offset: int) -> PageSpan | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and self.pages[i].start <= offset < self.pages[i].end:
            return self.pages[i]
        return None

    def page_at(self, offset: int) -> int | None:
        """The page holding `offset`, or None when it is not known (never guessed)."""
        span = self._span_at(offset)
        return span.page if span is not None else None

    def page_label_at(self, offset: int) -> str | None:
        """The printed page label at `offset`, where the PDF defines page labels."""
        span = self._span_at(offset)
        return span.label if span is not None else None

    def page_of_span(self, start: int, end: int) -> int | None:
        """The page of a span, when its first character's page is known."""
        return self.page_at(start)
