"""PDF reports: pages → words → lines in reading order → text with tables, headings and noise marked.

The text this builds is the stored text of the report: citations point into it, and it is the same,
byte for byte, every time the same file is read.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from qa.errors import IngestError
from qa.ingest.blocks import block_items
from qa.ingest.columns import reading_order
from qa.ingest.document import Document, HeadingSpan, LineBox, NoiseKind, NoiseSpan, PageSpan
from qa.ingest.headings import mark_headings, read_outline
from qa.ingest.items import Item
from qa.ingest.layout import Line, finish, rows
from qa.ingest.pdf_open import open_pdf
from qa.ingest.running import contents_page, running_lines
from qa.ingest.tables import Table
from qa.ingest.words import Word, page_words

# the disclosure index at the back: "GRI Content Index", "ESRS index", "Index of disclosures"
_INDEX_TITLE = re.compile(
    r"\b(?:GRI|ESRS|SASB|TCFD|UNGC|EPRA|HKEX|ESG|content|contents|disclosures?|standards?|reference)"
    r"[\s-]*(?:content\s+)?index\b|\bindex\s+of\s+(?:disclosures|contents|indicators)",
    re.IGNORECASE,
)
_CONTENTS_TITLE = re.compile(r"^(?:table of )?contents$", re.IGNORECASE)


def _landscape(words: list[Word]) -> int:
    """The reading direction of a page printed sideways (most of its text runs up or down), else 0."""
    turned = Counter(w.frame for w in words if w.rotated and w.frame in (90, 270))
    if not turned:
        return 0
    frame, chars = max(((f, sum(len(w.text) for w in words if w.rotated and w.frame == f)) for f in turned),
                       key=lambda fc: fc[1])
    return frame if chars * 2 > sum(len(w.text) for w in words) else 0


def _page_lines(pdf: Any, path: Path) -> list[tuple[float, float, list[Line]]]:
    import pypdfium2 as pdfium

    out: list[tuple[float, float, list[Line]]] = []
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            width, height = page.get_size()
            words = page_words(page)
            turned = _landscape(words)
            if turned:  # a page printed sideways: read it turned
                words = page_words(page, turned)
                width, height = height, width
            lines = rows([w for w in words if not w.rotated], i)
            rotated = [w for w in words if w.rotated]
            if rotated:  # text printed at an angle: one line after the page's text, out of every table
                lines.append(finish(Line(words=rotated, page=i, rotated=True)))
            out.append((width, height, lines))
            page.close()
    except pdfium.PdfiumError as exc:
        raise IngestError(
            f"{path.name}: cannot read the PDF: page {len(out) + 1} is damaged; download the file again."
        ) from exc
    return out


def _page_items(p: int, lines: list[Line], running: dict[int, str], last_table: list[Table | None]) -> list[Item]:
    items: list[Item] = []
    content = [ln for i, ln in enumerate(lines) if i not in running and not ln.rotated]
    rotated = [ln for ln in lines if ln.rotated]
    tops = [ln for i, ln in enumerate(lines) if running.get(i) == "header"]
    bottoms = [ln for i, ln in enumerate(lines) if running.get(i) == "footer"]
    for ln in tops:
        items.append(Item(ln.text, p, ln.bbox, "header", blank_before=True))
    if content:
        lo = min(ln.x0 for ln in content) - 1
        hi = max(ln.x1 for ln in content) + 1
        for block in reading_order(content, lo, hi):
            items.extend(block_items(block, p, last_table))
    for ln in rotated:
        items.append(Item(ln.text, p, ln.bbox, "text", blank_before=True, line=ln))
    for ln in bottoms:
        items.append(Item(ln.text, p, ln.bbox, "footer", blank_before=True))
    return items


def load_pdf(path: Path) -> Document:
    pdf = open_pdf(path)
    try:
        pages = _page_lines(pdf, path)
        outline = read_outline(pdf)
        labels = _page_labels(pdf)
    finally:
        pdf.close()
    if not any(lines for _w, _h, lines in pages):
        raise IngestError(
            f"{path.name}: the PDF has no text layer (no extractable text: a scan?); "
            "run OCR on it (e.g. ocrmypdf) and add the result."
        )
    running = running_lines([(h, lines) for _w, h, lines in pages])
    items: list[Item] = []
    last_table: list[Table | None] = [None]
    by_page: list[list[Item]] = []
    for p, (_w, _h, lines) in enumerate(pages):
        page_items = _page_items(p, lines, running.get(p, {}), last_table)
        if page_items:
            page_items[0].blank_before = True
        by_page.append(page_items)
        items.extend(page_items)
    mark_headings(items, outline)
    for p, page_items in enumerate(by_page):
        if contents_page([it.text for it in page_items if it.kind == "text"], p, len(pages)):
            for it in page_items:  # a contents page is noise; a chapter title the outline names on it stays
                if it.kind in ("text", "table") and not it.from_outline:
                    it.kind, it.level = "contents", None
    return _assemble(path, items, labels)


def _page_labels(pdf: Any) -> list[str | None]:
    out: list[str | None] = []
    for i in range(len(pdf)):
        try:
            label = pdf.get_page_label(i)
        except Exception:  # noqa: BLE001 - no label
            label = ""
        out.append(label or None)
    return out


def _assemble(path: Path, items: list[Item], labels: list[str | None]) -> Document:
    parts: list[str] = []
    pos = 0
    boxes: list[LineBox] = []
    headings: list[HeadingSpan] = []
    noise: list[NoiseSpan] = []
    page_bounds: dict[int, list[int]] = {}
    index_level: int | None = None
    index_start: int | None = None
    open_heading: tuple[int, int, int, int, str] | None = None  # group, start, end, level, title
    for it in items:
        if parts:
            sep = "\n\n" if it.blank_before else "\n"
            parts.append(sep)
            pos += len(sep)
        start, end = pos, pos + len(it.text)
        parts.append(it.text)
        pos = end
        boxes.append(LineBox(start, end, it.page, it.bbox))
        bounds = page_bounds.setdefault(it.page, [start, end])
        bounds[1] = end
        if it.kind in ("header", "footer", "contents"):
            kind: NoiseKind = "header" if it.kind == "header" else "footer" if it.kind == "footer" else "contents"
            noise.append(NoiseSpan(start, end, kind))
        if open_heading is not None and (it.level is None or it.heading_group != open_heading[0]):
            g, s, e, lv, title = open_heading
            headings.append(HeadingSpan(s, e, lv, title))
            open_heading = None
        if it.level is not None:
            if open_heading is None:
                open_heading = (it.heading_group, start, end, it.level, it.text)
                if index_level is not None and it.level <= index_level and not _INDEX_TITLE.search(it.text):
                    noise.append(NoiseSpan(index_start or 0, start, "index"))
                    index_level = index_start = None
                if index_level is None and _INDEX_TITLE.search(it.text) and not _CONTENTS_TITLE.match(it.text):
                    index_level, index_start = it.level, start
            else:
                g, s, _e, lv, title = open_heading
                open_heading = (g, s, end, lv, f"{title} {it.text}")
    if open_heading is not None:
        _g, s, e, lv, title = open_heading
        headings.append(HeadingSpan(s, e, lv, title))
    text = "".join(parts) + "\n"
    if index_level is not None:
        noise.append(NoiseSpan(index_start or 0, len(text), "index"))
    spans = [PageSpan(s, e, p + 1, labels[p] if p < len(labels) else None) for p, (s, e) in sorted(page_bounds.items())]
    noise.sort(key=lambda n: n.start)
    return Document(path=path, text=text, pages=spans, lines=boxes, headings=headings, noise=noise, structured=True)
