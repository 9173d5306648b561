"""Tables from word positions: numeric column bands, the header with its years, rows with wrapped labels.

A table is a run of lines in one column block where figures stand apart from the label on their left
(as separate phrases). Its columns are the bands where those figures (and the header's years) sit on
the x axis; a cell is what lies in a band, so an empty band is an empty cell. Lines without figures
inside the run are wrapped labels (joined to the row they belong to) or group labels.

Rendering (the stored text): a header line `label-header<TAB>col<TAB>col…` (the label header may be
empty), then one line per row `label<TAB>cell<TAB>cell…` with exactly one cell per column, and a
group label as `label<TAB>`. Cells are printed as in the PDF (`1,52`, `4.660`, `–`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.ingest.figures import is_figure, is_figure_phrase, is_year
from qa.ingest.layout import Line, join_words
from qa.ingest.words import Word

_CONNECTOR = re.compile(r"(?:\b(?:of|and|in|the|for|to|with|from|by|per|on|at|or|a|an)|[-–,/(])$", re.IGNORECASE)


@dataclass
class Band:
    x0: float
    x1: float
    support: int = 0


@dataclass
class TableRow:
    lines: list[Line]
    label: str
    cells: list[str]
    kind: str = "row"  # row | group | header
    parts: list[_Parts] = field(default_factory=list)

    def render(self) -> str:
        if self.kind == "group":
            return self.label + "\t"
        return "\t".join([self.label, *self.cells])

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (
            round(min(ln.x0 for ln in self.lines), 1), round(min(ln.top for ln in self.lines), 1),
            round(max(ln.x1 for ln in self.lines), 1), round(max(ln.bottom for ln in self.lines), 1),
        )


@dataclass
class Table:
    rows: list[TableRow] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)

    @property
    def header(self) -> TableRow | None:
        return self.rows[0] if self.rows and self.rows[0].kind == "header" else None


def _value_words(line: Line) -> list[Word]:
    """The figures of a line that stand apart from its label (not inside a sentence)."""
    phs = line.phrases
    if len(phs) < 2:
        return []
    out: list[Word] = []
    for ph in phs[1:]:
        if is_figure_phrase(ph):
            out.extend(w for w in ph if not w.sup)
    return out


def _year_words(line: Line) -> list[Word]:
    ys = [w for w in line.words if is_year(w)]
    return ys if len(ys) >= 2 or (ys and len(line.phrases) >= 2) else []


def _is_value_row(line: Line) -> bool:
    vals = _value_words(line)
    return bool(vals) and not _is_year_header(line)


def _is_year_header(line: Line) -> bool:
    ys = [w for w in line.words if is_year(w)]
    if len(ys) < 2:
        return False
    others = [w for w in line.words if not is_year(w) and not w.sup]
    return not any(is_figure(w) for w in others)


def find_tables(lines: list[Line]) -> list[tuple[int, int]]:
    """(first, last+1) line ranges of the tables in a column block."""
    n = len(lines)
    value = [_is_value_row(ln) for ln in lines]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if not value[i]:
            i += 1
            continue
        j = i
        last_value = i
        count = 0
        while j < n:
            if value[j]:
                count += 1
                last_value = j
                j += 1
                continue
            # label-only lines inside a table: at most three, and a value row must follow closely
            k = j
            while k < n and not value[k] and k - j < 3 and lines[k].top - lines[k - 1].bottom < 2.5 * lines[k].size:
                k += 1
            if k < n and value[k] and k > j and lines[k].top - lines[k - 1].bottom < 2.5 * lines[k].size:
                j = k
                continue
            break
        end = last_value + 1
        # trailing continuation lines (a label wrapped below the last row)
        while end < n and not value[end] and end - last_value <= 2 and lines[end].text[:1].islower() \
                and lines[end].top - lines[end - 1].bottom < 0.8 * lines[end].size:
            end += 1
        start = i
        # header lines above: a year header, and up to two lines above it or between it and the rows
        k = i - 1
        while k >= 0 and i - k <= 4 and not value[k] and lines[k + 1].top - lines[k].bottom < 2.5 * lines[k].size:
            if _is_year_header(lines[k]) or _year_words(lines[k]):
                start = k
                break
            k -= 1
        if start < i:
            start = _header_above(lines, value, start, i, end)
        if (count >= 2 or (count >= 1 and start < i)) and (not spans or start >= spans[-1][1]):
            spans.append((start, end))
        i = max(end, i + 1)
    return spans


def _merge(ivs: list[tuple[float, float]]) -> list[Band]:
    bands: list[Band] = []
    for x0, x1 in sorted(ivs):
        if bands and x0 < bands[-1].x1 - 0.5:
            bands[-1].x1 = max(bands[-1].x1, x1)
            bands[-1].support += 1
        else:
            bands.append(Band(x0, x1, 1))
    return bands


def _header_above(lines: list[Line], value: list[bool], start: int, first_row: int, end: int) -> int:
    """More header lines above the year line: column names printed over the figures (`2023` /
    `thereof Merck KGaA`), or a label line just above it (`Key figure  Unit`)."""
    left = min((w.x0 for ln in lines[first_row:end] for w in _value_words(ln)), default=0.0)
    k = start - 1
    while k >= 0 and start - k <= 3 and not value[k] and lines[start].top - lines[k].bottom < 1.2 * lines[k].size:
        phs = lines[k].phrases
        over_figures = all(ph[0].x0 >= left - 2 for ph in phs)
        label_line = len(phs) >= 2 and k == start - 1 and lines[start].top - lines[k].bottom < 0.6 * lines[k].size
        if not (over_figures or label_line):
            break
        start = k
        k -= 1
    return start


def _bands(rows: list[Line], header: list[Line]) -> list[Band]:
    """Column bands: where the figures (and the header's years) sit; then text columns right of them."""
    ivs: list[tuple[float, float]] = []
    for ln in rows:
        ivs.extend((w.x0, w.x1) for w in _value_words(ln))
    values = _merge(ivs)
    for ln in header:
        for w in ln.words:
            # a year over figures widens their band; a year far from every band is a column of its own
            # (its cells may all be empty); one just beside a band, or over the gap between two, spans
            # several columns (`2020 by region`, `2019` over `number | in %`)
            gap = min((max(b.x0 - w.x1, w.x0 - b.x1) for b in values), default=99.0)
            if is_year(w) and (gap < 0 or gap >= 12) and _spanned(w, values) is None:
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


def _names_columns(line: Line, bands: list[Band]) -> bool:
    """A header line of column names: two names or more, each over one column, no figures."""
    over = [ph for ph in line.phrases if ph[-1].x1 > bands[0].x0]
    if len(over) < 2 or any(is_figure_phrase(ph) for ph in over):
        return False
    return all(sum(1 for b in bands if min(b.x1, ph[-1].x1) - max(b.x0, ph[0].x0) > 0) == 1 for ph in over)


def _spanned(w: Word, bands: list[Band]) -> tuple[int, int] | None:
    """The two neighbouring bands a header word is centred over (its centre in the gap between them)."""
    mid = (w.x0 + w.x1) / 2
    for k in range(len(bands) - 1):
        a, b = bands[k], bands[k + 1]
        if a.x1 < mid < b.x0 and min(a.x1, w.x1) - max(a.x0, w.x0) < 0.5 * (w.x1 - w.x0):
            return k, k + 1
    return None


def _band_of(w: Word, bands: list[Band]) -> int | None:
    best, best_ov = None, 0.0
    for k, b in enumerate(bands):
        ov = min(b.x1, w.x1) - max(b.x0, w.x0)
        if ov > best_ov:
            best, best_ov = k, ov
    return best


def _label_columns(lines: list[Line], left: float) -> list[float]:
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
class _Parts:
    label: list[list[Word]]  # words per label column
    cells: list[list[Word]]  # words per band


def _split(line: Line, bands: list[Band], cols: list[float]) -> _Parts:
    left = bands[0].x0
    parts = _Parts([[] for _ in cols], [[] for _ in bands])
    last: list[Word] | None = None
    for ph in line.phrases:
        # a text phrase stays in one cell (`not applicable`); figures close together are cells of their own
        whole = None if is_figure_phrase(ph) or ph[0].x1 <= left + 1 else _band_of(
            Word("", ph[0].x0, ph[-1].x1, ph[0].top, ph[0].bottom, ph[0].size, False), bands)
        for w in ph:
            if w.sup and last is not None:
                last.append(w)
                continue
            k = whole if whole is not None else _band_of(w, bands)
            if k is None and w.x1 <= left + 1:
                col = max((c for c in range(len(cols)) if cols[c] <= ph[0].x0 + 4), default=0)
                last = parts.label[col]
            elif k is None:
                near = min(range(len(bands)), key=lambda b: min(abs(w.x0 - bands[b].x1), abs(w.x1 - bands[b].x0)))
                last = parts.cells[near]
            else:
                last = parts.cells[k]
            last.append(w)
    return parts


def _join_label(parts: list[_Parts], skip_first: bool) -> str:
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


def _cells(parts: list[_Parts], n: int) -> list[str]:
    return [join_words([w for p in parts for w in p.cells[k]]) for k in range(n)]


def _line_text(p: _Parts, skip_first: bool) -> str:
    """Everything a line holds outside a sparse group column: its label, then the words in the bands."""
    label = _join_label([p], skip_first)
    rest = join_words([w for c in p.cells for w in c])
    return " ".join(t for t in (label, rest) if t)


def build_table(lines: list[Line], prev: Table | None = None) -> Table:
    """Rows of one table (lines from `find_tables`); `prev` is the table above, whose columns a headerless
    block printed below the same header keeps."""
    first_value = next(k for k, ln in enumerate(lines) if _is_value_row(ln))
    # the header ends with its last line naming a year; a title line below it belongs to the body
    year_lines = [k for k in range(first_value) if any(is_year(w) for w in lines[k].words)]
    head_end = year_lines[-1] + 1 if year_lines else first_value
    bands = _bands([ln for ln in lines[head_end:] if _is_value_row(ln)], lines[:head_end])
    while head_end < first_value and _names_columns(lines[head_end], bands):
        head_end += 1  # column names under the years (`number | in %`)
    head_lines = lines[:head_end]
    body = lines[head_end:]
    if not year_lines and prev is not None and prev.header is not None and _aligned(bands, prev.bands):
        bands = prev.bands
    table = Table(bands=bands)
    n = len(bands)
    cols = _label_columns(body, bands[0].x0)
    split = [_split(ln, bands, cols) for ln in body]
    values = [_is_value_row(ln) for ln in body]
    # a sparse first label column holds group names ("Social justice"), printed beside the rows
    sparse = len(cols) >= 2 and sum(
        1 for p, v in zip(split, values, strict=True) if v and p.label[0]
    ) * 2 < sum(values) and all(w.x1 <= cols[1] for p in split for w in p.label[0])
    if head_lines:
        hs = [_split(ln, bands, cols) for ln in head_lines]
        for h in hs:  # a year printed once over two columns names both
            for k in range(len(bands) - 1):
                for w in [w for w in h.cells[k] if is_year(w) and _spanned(w, bands) == (k, k + 1)]:
                    if not any(is_year(x) for x in h.cells[k + 1]):
                        h.cells[k + 1].insert(0, w)
        label = " ".join(join_words([w for p in hs for w in p.label[c]]) for c in range(len(cols))
                         if any(p.label[c] for p in hs))
        table.rows.append(TableRow(list(head_lines), label, _cells(hs, n), kind="header"))
    pending: list[int] = []
    for idx, ln in enumerate(body):
        p = split[idx]
        if sparse and p.label[0]:
            table.rows.append(TableRow([ln], join_words(p.label[0]), [], kind="group"))
            if not values[idx] and not any(p.label[1:]) and not any(p.cells):
                continue
        if values[idx]:
            group = [split[i] for i in [*pending, idx]]
            row = TableRow([body[i] for i in [*pending, idx]], _join_label(group, sparse), _cells(group, n))
            row.parts = group
            table.rows.append(row)
            pending = []
            continue
        nxt = body[idx + 1] if idx + 1 < len(body) else None
        prev_row = table.rows[-1] if table.rows and table.rows[-1].kind == "row" else None
        in_bands = any(p.cells)
        if _continues_previous(ln, prev_row, nxt, bool(pending)):
            assert prev_row is not None
            prev_row.parts = [*prev_row.parts, p]
            prev_row.label = _join_label(prev_row.parts, sparse)
            prev_row.cells = _cells(prev_row.parts, n)
            prev_row.lines.append(ln)
        elif not in_bands and (pending or _continues_into_next(ln, nxt)):
            pending.append(idx)
        else:
            for i in pending:
                table.rows.append(TableRow([body[i]], _line_text(split[i], sparse), [], kind="group"))
            pending = []
            table.rows.append(TableRow([ln], _line_text(p, sparse), [], kind="group"))
    for i in pending:
        table.rows.append(TableRow([body[i]], _line_text(split[i], sparse), [], kind="group"))
    return table


def _continues_previous(ln: Line, prev_row: TableRow | None, nxt: Line | None, pending: bool) -> bool:
    if prev_row is None or pending:
        return False
    last = prev_row.lines[-1]
    gap_prev = ln.top - last.bottom
    if gap_prev > 0.8 * ln.size:
        return False
    if ln.text[:1].islower() or _CONNECTOR.search(prev_row.label):
        return True
    if nxt is None:
        return True
    gap_next = nxt.top - ln.bottom
    return gap_prev + 0.5 < gap_next and not ln.bold


def _continues_into_next(ln: Line, nxt: Line | None) -> bool:
    if nxt is None or ln.bold and not nxt.bold:
        return False
    gap_next = nxt.top - ln.bottom
    if gap_next <= 0.25 * ln.size:
        return True  # set solid with the next line: one cell wrapped
    return gap_next < 0.8 * ln.size and (bool(_CONNECTOR.search(ln.text)) or _is_value_row(nxt) or not ln.bold)


def _aligned(bands: list[Band], old: list[Band]) -> bool:
    if not old or len(bands) > len(old):
        return False
    return all(any(min(b.x1, o.x1) - max(b.x0, o.x0) > 0 for o in old) for b in bands)
