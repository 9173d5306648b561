"""Reading report files (plain text or PDF) into one text with known page spans."""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import IngestError

log = logging.getLogger(__name__)

# A surviving page footer of an annual report: "1252020 ANNUAL REPORT" = page 125 of the 2020 report.
_FOOTER = re.compile(r"^[ \t]*(\d{1,3})((?:19|20)\d\d) ANNUAL REPORT[ \t]*$", re.MULTILINE)
# Lines that start with a space mark where the PDF extractor started a new text block (often a page).
_BLOCK_START = re.compile(r"^ \S", re.MULTILINE)
# How far (in characters) around a footer its page number may reach, at most.
_FOOTER_REACH = 9000


@dataclass(frozen=True)
class PageSpan:
    start: int
    end: int
    page: int


@dataclass
class Document:
    """The text of one report and the page numbers known for parts of it."""

    path: Path
    text: str
    pages: list[PageSpan] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pages.sort(key=lambda p: p.start)
        self._starts = [p.start for p in self.pages]

    def page_at(self, offset: int) -> int | None:
        """The page holding `offset`, or None when it is not known (never guessed)."""
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and self.pages[i].start <= offset < self.pages[i].end:
            return self.pages[i].page
        return None

    def page_of_span(self, start: int, end: int) -> int | None:
        """The page of a span, when its first character's page is known."""
        return self.page_at(start)


def load_document(path: Path) -> Document:
    """Read a `.txt` or `.pdf` report. Raises IngestError for anything unreadable."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _load_pdf(path)
    if suffix in (".txt", ".text", ".md"):
        return _load_text(path)
    raise IngestError(f"{path.name}: unsupported file type {suffix!r}; give a .txt or .pdf report.")


def read_source_text(path: Path) -> str:
    """The text that citation offsets point into."""
    return load_document(path).text


def _load_text(path: Path) -> Document:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read the file ({exc.strerror}).") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path.name}: not UTF-8 text (byte {exc.start}); convert it to UTF-8 first.") from exc
    if "\x00" in text:
        raise IngestError(f"{path.name}: looks like a binary file, not text.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise IngestError(f"{path.name}: the file is empty.")
    return Document(path=path, text=text, pages=footer_pages(text))


def footer_pages(text: str) -> list[PageSpan]:
    """Page spans from surviving annual-report footers.

    A footer `NNNYYYY ANNUAL REPORT` ends page NNN: the text from the nearest preceding block start
    (a line the extractor began with a space, or the previous footer) to the footer is page NNN, and
    the text after it up to the next block start is page NNN+1. Each reach is capped. Everything else
    has no known page.
    """
    footers = list(_FOOTER.finditer(text))
    if not footers:
        return []
    blocks = [m.start() for m in _BLOCK_START.finditer(text)]
    spans: list[PageSpan] = []
    for i, m in enumerate(footers):
        page = int(m.group(1))
        prev_limit = footers[i - 1].end() if i > 0 else 0
        before = [b for b in blocks if prev_limit <= b < m.start()]
        start = max(before[-1] if before else prev_limit, m.start() - _FOOTER_REACH, prev_limit)
        spans.append(PageSpan(start, m.end(), page))
        next_limit = footers[i + 1].start() if i + 1 < len(footers) else len(text)
        after = [b for b in blocks if m.end() < b <= next_limit]
        end = min(after[0] if after else next_limit, m.end() + _FOOTER_REACH, next_limit)
        if end > m.end():
            spans.append(PageSpan(m.end(), end, page + 1))
    return spans


def _load_pdf(path: Path) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        parts: list[str] = []
        spans: list[PageSpan] = []
        offset = 0
        for number, page in enumerate(reader.pages, start=1):
            page_text = (page.extract_text() or "").replace("\r\n", "\n").replace("\r", "\n")
            if parts:
                parts.append("\n\n")
                offset += 2
            spans.append(PageSpan(offset, offset + len(page_text), number))
            parts.append(page_text)
            offset += len(page_text)
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise IngestError(f"{path.name}: cannot read the PDF ({exc}).") from exc
    text = "".join(parts)
    if not text.strip():
        raise IngestError(f"{path.name}: the PDF has no extractable text (scanned images need OCR first).")
    return Document(path=path, text=text, pages=spans)
