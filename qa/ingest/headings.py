"""Headings: from the PDF outline (bookmarks) where it has one, and from font size and weight.

The body size is the size most characters are printed in. A short line printed larger than the body
is a heading; so is a bold body-size line that stands alone. Heading sizes, largest first, give the
levels; outline entries keep their outline level, and layout headings go below them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from qa.ingest.items import Item
from qa.ingest.layout import Line

_NORM = re.compile(r"[^a-z0-9]+")
_NUMBERED = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+\S")
_MAX_WORDS = 14


@dataclass(frozen=True)
class OutlineEntry:
    level: int
    title: str
    page: int  # 0-based page index


def norm(text: str) -> str:
    return _NORM.sub(" ", text.lower()).strip()


def read_outline(pdf: Any) -> list[OutlineEntry]:
    out: list[OutlineEntry] = []
    try:
        for item in pdf.get_toc(max_depth=8):
            dest = item.get_dest()
            index = dest.get_index() if dest is not None else None
            title = " ".join((item.get_title() or "").split())
            if index is not None and title:
                out.append(OutlineEntry(item.level, title, index))
    except Exception:  # noqa: BLE001 - a broken outline is no outline
        return []
    return out


def body_size(lines: list[Line]) -> float:
    sizes: Counter[float] = Counter()
    for ln in lines:
        sizes[round(ln.size * 2) / 2] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def heading_candidate(line: Line, body: float) -> bool:
    t = line.text
    words = t.split()
    if not words or len(words) > _MAX_WORDS or len(t) < 3:
        return False
    letters = sum(ch.isalpha() for ch in t)
    if letters < 3 or letters < 0.5 * len(t.replace(" ", "")):
        return False
    if t[0].isdigit() and not _NUMBERED.match(t):
        return False
    if t.endswith((".", ",", ";", ":")) and not t.endswith("..."):
        return False
    if t[:1].islower() or len(line.phrases) > 2:
        return False
    return line.size >= 1.18 * body or (line.bold and line.size >= 0.95 * body)


def size_levels(sizes: list[float], base: int) -> dict[float, int]:
    """Heading sizes (rounded to 0.5 pt), largest first, to levels base, base+1, … (at most three)."""
    distinct = sorted({round(s * 2) / 2 for s in sizes}, reverse=True)
    return {s: base + min(i, 2) for i, s in enumerate(distinct)}


def _match_outline(items: list[Item], outline: list[OutlineEntry]) -> int:
    """Mark the lines that print the outline's titles (on the entry's page or the next); returns how many."""
    by_page: dict[int, list[int]] = {}
    for idx, it in enumerate(items):
        if it.kind == "text":
            by_page.setdefault(it.page, []).append(idx)
    group = matched = 0
    for entry in outline:
        want = norm(entry.title)
        if not want or want in ("contents", "table of contents", "content", "inhalt", "inhaltsverzeichnis"):
            continue  # the contents list is navigation, not a section
        for page in (entry.page, entry.page + 1):
            hit = _find_title(items, by_page.get(page, []), want)
            if hit:
                for ix in hit:
                    items[ix].level, items[ix].heading_group = entry.level, group
                    items[ix].from_outline = True
                group += 1
                matched += 1
                break
    return matched


def _find_title(items: list[Item], idxs: list[int], want: str) -> list[int]:
    for a, ia in enumerate(idxs):
        if items[ia].level is not None:
            continue
        got = norm(items[ia].text)
        span = [ia]
        while got != want and want.startswith(got) and len(got) >= 3 and a + len(span) < len(idxs) and len(span) < 3:
            ib = idxs[a + len(span)]
            got = norm(got + " " + items[ib].text)
            span.append(ib)
        if got == want:
            return span
    return []


def mark_headings(items: list[Item], outline: list[OutlineEntry]) -> None:
    """Set `level` (and `heading_group`, shared by the lines of one heading) on heading lines."""
    matched = _match_outline(items, outline)
    body = body_size([it.line for it in items if it.kind == "text" and it.line is not None])
    base = max((e.level for e in outline), default=-1) + 1 if matched else 0
    cover = sum(1 for it in items if it.page == 0 and it.kind == "text") <= 6  # page 1 holds only a title
    found: list[list[int]] = []
    idx = 0
    while idx < len(items):
        it = items[idx]
        if it.kind != "text" or it.level is not None or it.line is None or not it.blank_before \
                or (it.page == 0 and cover) or not heading_candidate(it.line, body):
            idx += 1
            continue
        span = [idx]
        j = idx + 1
        ok = True
        a = it.line
        while j < len(items) and items[j].kind == "text" and not items[j].blank_before:
            b = items[j].line
            if b is None or abs(a.size - b.size) > 0.3 or a.bold != b.bold or len(span) >= 3 \
                    or items[j].level is not None or len(b.text.split()) > _MAX_WORDS:
                ok = False  # the first line of a paragraph, not a heading
                break
            span.append(j)
            j += 1
        if ok:
            found.append(span)
        idx = j
    levels = size_levels([ln.size for s in found if (ln := items[s[0]].line) is not None], base)
    group = max((it.heading_group for it in items), default=0) + 1
    for span in found:
        first = items[span[0]].line
        level = levels.get(round(first.size * 2) / 2, base) if first is not None else base
        for ix in span:
            items[ix].level, items[ix].heading_group = level, group
        group += 1
