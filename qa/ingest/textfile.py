"""Plain-text reports: UTF-8 text, and the pages known from surviving annual-report footers."""

from __future__ import annotations

import re
from pathlib import Path

from qa.errors import IngestError
from qa.ingest.document import Document, PageSpan

# A surviving page footer of an annual report: "1252020 ANNUAL REPORT" = page 125 of the 2020 report.
_FOOTER = re.compile(r"^[ \t]*(\d{1,3})((?:19|20)\d\d) ANNUAL REPORT[ \t]*$", re.MULTILINE)
# Lines that start with a space mark where the PDF extractor started a new text block (often a page).
_BLOCK_START = re.compile(r"^ \S", re.MULTILINE)
# How far (in characters) around a footer its page number may reach, at most.
_FOOTER_REACH = 9000


def load_text(path: Path) -> Document:
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
