"""Noise by page layout: running headers and footers (lines at the top or bottom of many pages that repeat,
modulo page numbers) and contents pages (most lines a title with its page number)."""

from __future__ import annotations

import re
from collections import defaultdict

from qa.ingest.layout import Line

_DIGITS = re.compile(r"\d+")
_ZONE = 0.12  # share of the page height at the top and at the bottom
_MIN_SHARE = 0.2  # of the pages (at least 3)


def _key(line: Line) -> str:
    return " ".join(_DIGITS.sub("#", line.text.lower()).split())


def _bare(key: str) -> str:
    return " ".join(t for t in key.split() if t != "#")


def running_lines(pages: list[tuple[float, list[Line]]]) -> dict[int, dict[int, str]]:
    """{page index: {line index: "header" | "footer"}}; `pages` holds (height, rows) per page."""
    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    titled: dict[tuple[str, str], set[str]] = defaultdict(set)  # the numbers printed with a bare title
    zones: list[list[tuple[int, str, str]]] = []
    for p, (height, lines) in enumerate(pages):
        here: list[tuple[int, str, str]] = []
        for i, ln in enumerate(lines):
            if ln.rotated:
                continue
            if ln.bottom <= _ZONE * height:
                zone = "top"
            elif ln.top >= (1 - _ZONE) * height:
                zone = "bottom"
            else:
                continue
            key = _key(ln)
            if not key:
                continue
            here.append((i, zone, key))
            seen[(zone, key)].add(p)
            if key.count("#") == 1:
                titled[(zone, _bare(key))].update(_DIGITS.findall(ln.text))
        zones.append(here)
    need = max(3, int(_MIN_SHARE * len(pages) + 0.5)) if len(pages) >= 3 else 10**9
    out: dict[int, dict[int, str]] = defaultdict(dict)
    for p, here in enumerate(zones):
        for i, zone, key in here:
            page_number = key in ("#", "# | #", "#/#", "- # -", "page #", "seite #")
            # a chapter's running head with the page number (`48 Governance und Compliance`) repeats only
            # over its chapter, with a different number each time (`2020 by region` is a table's header)
            numbered = key.count("#") == 1 and len(key) <= 80 and len(titled[(zone, _bare(key))]) >= 3
            if len(seen[(zone, key)]) >= need or page_number or numbered:
                out[p][i] = "header" if zone == "top" else "footer"
    return out


_PAGE_REF = re.compile(r"^\d{1,3}\s+\S|\S[\s.…]+\d{1,3}$")
_CONTENTS = re.compile(r"\bcontents\b|\binhalt", re.IGNORECASE)


def contents_page(texts: list[str], page: int, pages: int) -> bool:
    """A table of contents: near the front (or titled so), and most of its lines point to a page."""
    lines = [t for t in texts if t.strip()]
    refs = sum(1 for t in lines if _PAGE_REF.search(t.strip()))
    front = page < max(3, pages // 10)
    titled = any(_CONTENTS.search(t) for t in lines[:5])
    return (front or titled) and refs >= 6 and refs * (3 if titled else 2) >= len(lines)
