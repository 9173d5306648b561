"""Reading order: where consecutive rows share a vertical gutter with text on both sides (a two- or
three-column page, a sidebar), the rows of the left column are read before those of the right one.
Tables are never cut at their column gaps: a row of a label and figures blocks a column run, and a
side whose lines end in figures is a table's body, not a text column.
"""

from __future__ import annotations

from qa.ingest.figures import is_figure_phrase
from qa.ingest.layout import Line, finish

_MIN_GUTTER = 9.0


def _free(line: Line, lo: float, hi: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    x = lo
    for ph in line.phrases:
        a, b = ph[0].x0, max(w.x1 for w in ph)
        if a - x >= _MIN_GUTTER:
            out.append((x, a))
        x = max(x, b)
    if hi - x >= _MIN_GUTTER:
        out.append((x, hi))
    return out


def _intersect(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for x0, x1 in a:
        for y0, y1 in b:
            lo, hi = max(x0, y0), min(x1, y1)
            if hi - lo >= _MIN_GUTTER:
                out.append((lo, hi))
    return out


def _text_like(lines: list[Line]) -> bool:
    """Prose (or a sidebar of short text lines), not the figures of a table: few lines are mostly figures."""
    if len(lines) < 2:
        return False
    numeric = 0
    for ln in lines:
        words = [w for w in ln.words if not w.sup]
        figures = sum(len(ph) for ph in ln.phrases if is_figure_phrase(ph))
        if words and figures * 5 >= 2 * len(words):
            numeric += 1
        elif len(ln.phrases) >= 2 and is_figure_phrase(ln.phrases[-1]):
            numeric += 1  # a label and its figures: the left part of a table
    return numeric * 5 <= len(lines)


def _split(line: Line, x: float) -> tuple[Line | None, Line | None]:
    left = [w for w in line.words if (w.x0 + w.x1) / 2 < x]
    right = [w for w in line.words if (w.x0 + w.x1) / 2 >= x]
    return (
        finish(Line(words=left, page=line.page)) if left else None,
        finish(Line(words=right, page=line.page)) if right else None,
    )


def _figures_row(line: Line) -> bool:
    """A table row (a label followed by figures, or two figures or more) or a year header: it is never
    cut into columns."""
    rest = line.phrases[1:]
    figures = sum(1 for ph in rest if is_figure_phrase(ph))
    return bool(rest) and (figures == len(rest) or figures >= 2)


def reading_order(lines: list[Line], lo: float, hi: float, depth: int = 0) -> list[list[Line]]:
    """Blocks of lines in reading order; a block is a column run or a single full-width line run."""
    blocks: list[list[Line]] = []
    width = hi - lo
    zone = (lo + 0.15 * width, hi - 0.15 * width)
    i = 0
    n = len(lines)
    run: list[Line] = []

    def flush() -> None:
        nonlocal run
        if run:
            blocks.append(run)
        run = []

    while i < n:
        cur = [g for g in _free(lines[i], lo, hi) if g[1] > zone[0] and g[0] < zone[1]]
        if _figures_row(lines[i]):
            cur = []
        j = i + 1
        while j < n and cur and not _figures_row(lines[j]):
            nxt = _intersect(cur, _free(lines[j], lo, hi))
            if not nxt:
                break
            cur = nxt
            j += 1
        if depth < 2 and j - i >= 3 and cur:
            gap = max(cur, key=lambda g: g[1] - g[0])
            x = (gap[0] + gap[1]) / 2
            parts = [_split(ln, x) for ln in lines[i:j]]
            left = [p[0] for p in parts if p[0] is not None]
            right = [p[1] for p in parts if p[1] is not None]
            both = sum(1 for lf, rt in parts if lf is not None and rt is not None)
            if _text_like(left) and _text_like(right) and both >= 3:
                flush()
                blocks.extend(reading_order(left, lo, x, depth + 1))
                blocks.extend(reading_order(right, x, hi, depth + 1))
                i = j
                continue
        run.append(lines[i])
        i += 1
    flush()
    return blocks
