"""Table geometry: the column bands where figures stand, the text columns of the label, and a line's words
sorted into label columns and cells."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.ingest.figures import is_figure_phrase, is_year
from qa.ingest.layout import Line, join_words
from qa.ingest.words import Word


def value_words(line: Line) -> list[Word]:
    """The figures of a line that stand apart from its label (not inside a sentence)."""
    phs = line.phrases
    if len(phs) < 2:
        return []
    out: list[Word] = []
    for ph in phs[1:]:
        if is_figure_phrase(ph):
            out.extend(w for w in ph if not w.sup)
    return out


@dataclass
class Band:
    x0: float
    x1: float
    support: int = 0


def _merge(ivs: list[tuple[float, float]]) -> list[Band]:
    bands: list[Band] = []
    for x0, x1 in sorted(ivs):
        if bands and x0 < bands[-1].x1 - 0.5:
            bands[-1].x1 = max(bands[-1].x1, x1)
            bands[-1].support += 1
        else:
            bands.append(Band(x0, x1, 1))
    return bands


def bands_of(rows: list[Line], header: list[Line]) -> list[Band]:
    """Column bands: where the figures (and the header's years) sit; then text columns right of them."""
    ivs: list[tuple[float, float]] = []
    for ln in rows:
        ivs.extend((w.x0, w.x1) for w in value_words(ln))
    values = _merge(ivs)
    for ln in header:
        for w in ln.words:
            # a year over figures widens their band; a year far from every band is a column of its own
            # (its cells may all be empty); one just beside a band, or over the gap between two, spans
            # several columns (`2020 by region`, `2019` over `number | in %`)
            gap = min((max(b.x0 - w.x1, w.x0 - b.x1) for b in values), default=99.0)
            if is_year(w) and (gap < 0 or gap >= 12) and spanned(w, values) is None:
                ivs.append((w.x0, w.x1))
    numeric = _merge(ivs)  # a figure with its unit (`1,772.6 t`) is one cell
    if not numeric:
        return []
    left = numeric[0].x0
    text_ivs = [  # text right of the label that stands in no figure column (`KPI`, `PI`): columns too
        (ph[0].x0, ph[-1].x1) for ln in rows for ph in ln.phrases
        if ph[0].x0 >= left - 1 and not is_figure_phrase(ph)
        and not any(min(b.x1, ph[-1].x1) - max(b.x0, ph[0].x0) > 0 for b in numeric)
    ]
    return sorted(numeric + _merge(text_ivs), key=lambda b: b.x0)


def names_columns(line: Line, bands: list[Band]) -> bool:
    """A header line of column names: two names or more, each over one column, no figures."""
    over = [ph for ph in line.phrases if ph[-1].x1 > bands[0].x0]
    if len(over) < 2 or any(is_figure_phrase(ph) for ph in over):
        return False
    return all(sum(1 for b in bands if min(b.x1, ph[-1].x1) - max(b.x0, ph[0].x0) > 0) == 1 for ph in over)


def spanned(w: Word, bands: list[Band]) -> tuple[int, int] | None:
    """The two neighbouring bands a header word is centred over (its centre in the gap between them)."""
    mid = (w.x0 + w.x1) / 2
    for k in range(len(bands) - 1):
        a, b = bands[k], bands[k + 1]
        if a.x1 < mid < b.x0 and min(a.x1, w.x1) - max(a.x0, w.x0) < 0.5 * (w.x1 - w.x0):
            return k, k + 1
    return None


def band_of(w: Word, bands: list[Band]) -> int | None:
    best, best_ov = None, 0.0
    for k, b in enumerate(bands):
        ov = min(b.x1, w.x1) - max(b.x0, w.x0)
        if ov > best_ov:
            best, best_ov = k, ov
    return best


def label_columns(lines: list[Line], left: float) -> list[float]:
    """Left edges of the text columns inside the label area (label, code, unit …)."""
    starts: list[float] = []
    for ln in lines:
        for ph in ln.phrases:
            if ph[0].x1 <= left + 1 and not ph[0].sup:
                starts.append(ph[0].x0)
    starts.sort()
    clusters: list[list[float]] = []
    for x in starts:
        if clusters and x - clusters[-1][-1] <= 4:
            clusters[-1].append(x)
        else:
            clusters.append([x])
    cols = [c[0] for c in clusters if len(c) >= 2]
    return cols or [min(starts, default=0.0)]


@dataclass
class Parts:
    label: list[list[Word]]  # words per label column
    cells: list[list[Word]]  # words per band


def split_line(line: Line, bands: list[Band], cols: list[float], header: bool = False) -> Parts:
    """A line's words by label column and band. A text phrase stays in one cell (`not applicable`), except
    in a header line where each of its words stands over a figure column and not all over the same one
    (`Merck Asia-Pacific` over two): there each word names its column. Figures close together are cells of
    their own."""
    left = bands[0].x0
    parts = Parts([[] for _ in cols], [[] for _ in bands])
    last: list[Word] | None = None
    for ph in line.phrases:
        box = _box(ph)
        apart = header and _names_apart(ph, bands)
        if header and not apart and (cut := _aligned_cut(ph, bands)) is not None:
            # two names side by side, each aligned with its own column (`Group` | `Merck KGaA`): two cells
            at, col = cut
            parts.cells[col].extend(ph[:at])
            parts.cells[col + 1].extend(ph[at:])
            last = parts.cells[col + 1]
            continue
        # a header's name may stand out left of the figures under it (`Life Science` right-aligned over them);
        # one starting where the labels start is the label column's name
        in_label = ph[0].x1 <= left + 1 and (not header or ph[-1].x1 <= left + 1 or ph[0].x0 < cols[0] + 4)
        whole = None if is_figure_phrase(ph) or in_label or apart else band_of(box, bands)
        for w in ph:
            if w.sup and last is not None:
                last.append(w)
                continue
            k = whole if whole is not None else band_of(w, bands)
            if k is None and w.x1 <= left + 1 and (in_label or not header):
                col = max((c for c in range(len(cols)) if cols[c] <= ph[0].x0 + 4), default=0)
                last = parts.label[col]
            elif k is None:
                near = min(range(len(bands)), key=lambda b: min(abs(w.x0 - bands[b].x1), abs(w.x1 - bands[b].x0)))
                last = parts.cells[near]
            else:
                last = parts.cells[k]
            last.append(w)
    return parts


def _box(ws: list[Word]) -> Word:
    return Word("", ws[0].x0, ws[-1].x1, ws[0].top, ws[0].bottom, ws[0].size, False)


_ALIGN = 2.5  # points: a name right-aligned (or centred) with its column's figures


def _aligned(ws: list[Word], band: Band) -> bool:
    return abs(ws[-1].x1 - band.x1) <= _ALIGN or abs((ws[0].x0 + ws[-1].x1) - (band.x0 + band.x1)) / 2 <= _ALIGN


def _aligned_cut(ph: list[Word], bands: list[Band]) -> tuple[int, int] | None:
    """Where a header phrase over two neighbouring columns divides into two names, each aligned with its column
    (right-aligned or centred over its figures): at the widest gap between its words, which lies between the two
    columns (`Group Merck KGaA` over `5,490 | 220`: `Group` | `Merck KGaA`); the cut and the first column. None
    for one name, such as a group name centred over both columns."""
    if len(ph) < 2 or is_figure_phrase(ph):
        return None
    i = min(range(1, len(ph)), key=lambda j: ph[j - 1].x1 - ph[j].x0)  # the widest gap (the first of equals)
    a, b = band_of(_box(ph[:i]), bands), band_of(_box(ph[i:]), bands)
    if a is None or b != a + 1:
        return None
    if bands[a].x1 <= ph[i].x0 and ph[i - 1].x1 <= bands[b].x0 and _aligned(ph[:i], bands[a]) \
            and _aligned(ph[i:], bands[b]):
        return i, a
    return None


def _names_apart(ph: list[Word], bands: list[Band]) -> bool:
    """A header phrase that is two names side by side: every word stands (mostly) over a column, not all over
    the same one."""
    over = [band_of(w, bands) for w in ph]
    if None in over or len(set(over)) < 2:
        return False
    return all(min(bands[k].x1, w.x1) - max(bands[k].x0, w.x0) >= 0.6 * (w.x1 - w.x0)
               for w, k in zip(ph, over, strict=True) if k is not None)


def join_label(parts: list[Parts], skip_first: bool) -> str:
    ncols = len(parts[0].label) if parts else 0
    texts = []
    for c in range(1 if skip_first else 0, ncols):
        text = ""
        for p in parts:  # one printed line after the other
            if p.label[c]:
                text = _wrap(text, join_words(p.label[c]))
        if text:
            texts.append(text)
    return " ".join(texts)


_BROKEN = re.compile(r"[a-zäöüß]-$")


def _wrap(text: str, more: str) -> str:
    """A label continued on the next line; a word hyphenated at the line end is joined (`Manage-` `ment`)."""
    if not text:
        return more
    if _BROKEN.search(text) and more[:1].islower():
        return text[:-1] + more
    return f"{text} {more}"


def cells_of(parts: list[Parts], n: int) -> list[str]:
    return [join_words([w for p in parts for w in p.cells[k]]) for k in range(n)]


def line_text(p: Parts, skip_first: bool) -> str:
    """Everything a line holds outside a sparse group column: its label, then the words in the bands."""
    label = join_label([p], skip_first)
    rest = join_words([w for c in p.cells for w in c])
    return " ".join(t for t in (label, rest) if t)
