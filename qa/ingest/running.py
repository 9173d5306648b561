"""Running headers and footers: lines at the top or bottom of many pages that repeat, modulo page numbers."""

from __future__ import annotations

import re
from collections import defaultdict

from qa.ingest.layout import Line

_DIGITS = re.compile(r"\d+")
_ZONE = 0.12  # share of the page height at the top and at the bottom
_MIN_SHARE = 0.2  # of the pages (at least 3)


def _key(line: Line) -> str:
    return " ".join(_DIGITS.sub("#", line.text.lower()).split())


def running_lines(pages: list[tuple[float, list[Line]]]) -> dict[int, set[int]]:
    """{page index: indexes of its running header/footer lines}; `pages` holds (height, rows) per page."""
    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    zones: list[list[tuple[int, str, str]]] = []
    for p, (height, lines) in enumerate(pages):
        here: list[tuple[int, str, str]] = []
        for i, ln in enumerate(lines):
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
        zones.append(here)
    need = max(3, int(_MIN_SHARE * len(pages) + 0.5)) if len(pages) >= 3 else 10**9
    out: dict[int, set[int]] = defaultdict(set)
    for p, here in enumerate(zones):
        for i, zone, key in here:
            page_number = key in ("#", "# | #", "#/#", "- # -", "page #", "seite #")
            if len(seen[(zone, key)]) >= need or page_number:
                out[p].add(i)
    return out
