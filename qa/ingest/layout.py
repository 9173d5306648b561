"""Words to lines: rows of words on one baseline, footnote marks and subscripts kept with their word,
phrases (runs of words closer than a space's width or so: a table's cells, a column's part of a row).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from qa.ingest.words import Word

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_MARK = re.compile(r"^(?:\d{1,2}|[a-z]|\*{1,3}|[†‡§]|\(\d{1,2}\))(?:,\d{1,2})*[),]?$")


@dataclass
class Line:
    """One printed line (or the part of a row inside one column), words left to right."""

    words: list[Word]
    page: int
    block: int = 0  # lines of one column block share it; a new block starts a new paragraph
    text: str = ""
    size: float = 0.0
    bold: bool = False
    phrases: list[list[Word]] = field(default_factory=list)
    rotated: bool = False  # the page's text printed at an angle, gathered in one line

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (round(self.x0, 1), round(self.top, 1), round(self.x1, 1), round(self.bottom, 1))


def word_text(w: Word) -> str:
    if w.sup:
        return w.text.translate(_SUPERSCRIPT)
    if w.sub:
        return w.text.translate(_SUBSCRIPT)
    return w.text


def join_words(words: list[Word]) -> str:
    """The words as one string: a space between words, none around a mark or subscript glued to its word."""
    out: list[str] = []
    prev: Word | None = None
    for w in words:
        glued = (w.sup or w.sub or prev is not None and prev.sub) and prev is not None \
            and w.x0 - prev.x1 < 0.15 * max(prev.size, w.size)
        if prev is not None and not glued:
            out.append(" ")
        out.append(word_text(w))
        prev = w
    return "".join(out)


def phrases(words: list[Word], gap: float = 0.9) -> list[list[Word]]:
    """Runs of words closer than `gap` times the font size: cells of a table, or column parts of a row."""
    out: list[list[Word]] = []
    for w in words:
        if out and w.x0 - out[-1][-1].x1 < gap * max(out[-1][-1].size, w.size) * (1.0 if not w.sup else 2.0):
            out[-1].append(w)
        else:
            out.append([w])
    return out


def finish(line: Line) -> Line:
    line.words.sort(key=lambda w: w.x0)
    sizes: Counter[float] = Counter()
    for w in line.words:
        if not w.sup:
            sizes[round(w.size, 1)] += len(w.text)
    line.size = sizes.most_common(1)[0][0] if sizes else line.words[0].size
    body = [w for w in line.words if not w.sup]
    line.bold = bool(body) and sum(len(w.text) for w in body if w.bold) * 2 > sum(len(w.text) for w in body)
    line.text = join_words(line.words)
    line.phrases = phrases(line.words)
    return line


def rows(words: list[Word], page: int) -> list[Line]:
    """Words grouped into rows (same baseline), top to bottom; footnote marks flagged and kept in their row.

    The bottom of a word's loose box is its baseline plus the font's descent, so words of one printed
    line share it (within a fraction of the size); a big page number beside two small lines does not
    join them into one row.
    """
    sizes: Counter[float] = Counter()
    for w in words:
        sizes[round(w.size, 1)] += len(w.text)
    dominant = sizes.most_common(1)[0][0] if sizes else 10.0
    by_x1: dict[int, list[Word]] = {}
    for w in words:
        by_x1.setdefault(int(w.x1), []).append(w)
    glued: dict[int, Word] = {}  # id(mark) -> the word it is printed after (`CO₂`, `workforce³`)
    for w in words:
        if _is_mark_candidate(w):
            host = _glued_to(w, by_x1)
            if host is not None:
                glued[id(w)] = host
    loose = [w for w in words if id(w) not in glued and _is_mark_candidate(w) and w.size < 0.85 * dominant]
    loose_ids = {id(w) for w in loose}
    regular = [w for w in words if id(w) not in glued and id(w) not in loose_ids]
    merged: list[list[Word]] = []
    row_of: dict[int, int] = {}
    for w in sorted(regular, key=lambda w: (w.bottom, w.x0)):
        if merged:
            ref = max(merged[-1], key=lambda x: x.size)
            if w.bottom - ref.bottom <= 0.3 * min(ref.size, w.size):
                merged[-1].append(w)
                row_of[id(w)] = len(merged) - 1
                continue
        merged.append([w])
        row_of[id(w)] = len(merged) - 1
    for w in words:
        host = glued.get(id(w))
        while host is not None and id(host) in glued:
            host = glued[id(host)]  # a mark after a mark (`CO₂³`)
        if host is not None and id(host) in row_of:
            merged[row_of[id(host)]].append(w)
            if w.mid_y > host.mid_y + 0.05 * host.size and w.text.isdigit() and host.text[-1:].isupper():
                w.sub = True  # a chemical formula: CO₂, CH₄, N₂O
            else:
                w.sup = True  # a footnote mark, or a unit's power (m²)
        elif host is not None:
            loose.append(w)
    for m in loose:
        # a small mark with no word right before it: the row whose band holds it
        near = [r for r in merged if min(x.top for x in r) - 0.3 * m.size <= m.mid_y <= max(x.bottom for x in r)]
        if near:
            near[0].append(m)
        else:
            merged.append([m])
    out: list[Line] = []
    for ws in merged:
        _mark_footnotes(ws)
        out.append(finish(Line(words=ws, page=page)))
    out.sort(key=lambda ln: (ln.top, ln.x0))
    return out


def _glued_to(m: Word, by_x1: dict[int, list[Word]]) -> Word | None:
    """The bigger word a small mark is printed right after, on the same line."""
    for b in range(int(m.x0 - 0.6 * m.size), int(m.x0 + 1) + 1):
        for x in by_x1.get(b, ()):
            if x is not m and x.size >= 1.15 * m.size and -1.0 <= m.x0 - x.x1 < 0.6 * m.size \
                    and x.top - 0.3 * m.size <= m.mid_y <= x.bottom + 0.3 * m.size:
                return x
    return None


def _is_mark_candidate(w: Word) -> bool:
    return len(w.text) <= 4 and bool(_MARK.match(w.text))


def _mark_footnotes(ws: list[Word]) -> None:
    sizes: Counter[float] = Counter()
    for w in ws:
        sizes[round(w.size, 1)] += len(w.text)
    main = sizes.most_common(1)[0][0]
    base = max((w.bottom for w in ws if abs(w.size - main) < 0.5), default=0.0)
    for w in ws:
        if w.sup or w.sub:
            continue
        if w.size < 0.85 * main and _is_mark_candidate(w) and w.bottom < base - 0.12 * main:
            w.sup = True
