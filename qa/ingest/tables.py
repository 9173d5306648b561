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

from qa.ingest.figures import is_figure, is_year
from qa.ingest.layout import Line, join_words
from qa.ingest.table_columns import (
    Band,
    Parts,
    bands_of,
    cells_of,
    join_label,
    label_columns,
    line_text,
    names_columns,
    spanned,
    split_line,
    value_words,
)
from qa.ingest.table_header import header_above, names_above, spread_groups
from qa.ingest.words import Word

# the day a header's label dates its columns by (`12/31`, `31.12.`, the `31` of `Dec. 31`)
_DAY = re.compile(r"^\d{1,2}(?:[./]\d{1,2})?[./]?$")
_CONNECTOR = re.compile(r"(?:\b(?:of|and|in|the|for|to|with|from|by|per|on|at|or|a|an)|[-–,/(])$", re.IGNORECASE)


@dataclass
class TableRow:
    lines: list[Line]
    label: str
    cells: list[str]
    kind: str = "row"  # row | group | header
    parts: list[Parts] = field(default_factory=list)

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


def _year_words(line: Line) -> list[Word]:
    ys = [w for w in line.words if is_year(w)]
    return ys if len(ys) >= 2 or (ys and len(line.phrases) >= 2) else []


def _is_value_row(line: Line) -> bool:
    vals = value_words(line)
    return bool(vals) and not _is_year_header(line)


def _is_year_header(line: Line) -> bool:
    """Two years or more and no other figure, except a day in the label (`12/31`, `As of Dec. 31`)."""
    ys = [w for w in line.words if is_year(w)]
    if len(ys) < 2:
        return False
    phs = line.phrases
    dated = phs[0] if len(phs) >= 2 and len(phs[0]) <= 4 and not any(is_year(w) for w in phs[0]) else []
    others = [w for w in line.words if not is_year(w) and not w.sup and not (w in dated and _DAY.match(w.text))]
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
        # more header lines above the years, or, with no year line, a header of column names alone
        start = header_above(lines, value, start, i, end) if start < i else names_above(lines, value, i, end)
        if (count >= 2 or (count >= 1 and start < i)) and (not spans or start >= spans[-1][1]):
            spans.append((start, end))
        i = max(end, i + 1)
    return spans


def build_table(lines: list[Line], prev: Table | None = None) -> Table:
    """Rows of one table (lines from `find_tables`); `prev` is the table above, whose columns a headerless
    block printed below the same header keeps."""
    is_value = [_is_value_row(ln) for ln in lines]
    first_value = is_value.index(True)
    left = min(w.x0 for ln, v in zip(lines, is_value, strict=True) if v for w in value_words(ln))
    # the header ends with its last line naming a year over the figures (or, without one, its last line
    # of names over them); a title or group line below it belongs to the body
    year_lines = [k for k in range(first_value) if any(is_year(w) and w.x0 >= left - 2 for w in lines[k].words)]
    over = [k for k in range(first_value) if any(ph[0].x0 >= left - 2 for ph in lines[k].phrases)]
    head_end = year_lines[-1] + 1 if year_lines else over[-1] + 1 if over else first_value
    bands = bands_of([ln for ln, v in zip(lines[head_end:], is_value[head_end:], strict=True) if v], lines[:head_end])
    while head_end < first_value and names_columns(lines[head_end], bands):
        head_end += 1  # column names under the years (`number | in %`)
    head_lines = lines[:head_end]
    body = lines[head_end:]
    if head_end == 0 and prev is not None and prev.header is not None and _aligned(bands, prev.bands):
        bands = prev.bands
    table = Table(bands=bands)
    n = len(bands)
    cols = label_columns(body, bands[0].x0)
    split = [split_line(ln, bands, cols) for ln in body]
    values = is_value[head_end:]
    # a sparse first label column holds group names ("Social justice"), printed beside the rows
    sparse = len(cols) >= 2 and sum(
        1 for p, v in zip(split, values, strict=True) if v and p.label[0]
    ) * 2 < sum(values) and all(w.x1 <= cols[1] for p in split for w in p.label[0])
    if head_lines:
        hs = [split_line(ln, bands, cols, header=True) for ln in head_lines]
        for h in hs:  # a year printed once over two columns names both
            for k in range(len(bands) - 1):
                for w in [w for w in h.cells[k] if is_year(w) and spanned(w, bands) == (k, k + 1)]:
                    if not any(is_year(x) for x in h.cells[k + 1]):
                        h.cells[k + 1].insert(0, w)
        spread_groups(hs, n)
        label = " ".join(join_words([w for p in hs for w in p.label[c]]) for c in range(len(cols))
                         if any(p.label[c] for p in hs))
        table.rows.append(TableRow(list(head_lines), label, cells_of(hs, n), kind="header"))
    pending: list[int] = []
    for idx, ln in enumerate(body):
        p = split[idx]
        if sparse and p.label[0]:
            table.rows.append(TableRow([ln], join_words(p.label[0]), [], kind="group"))
            if not values[idx] and not any(p.label[1:]) and not any(p.cells):
                continue
        if _is_year_header(ln) and not pending:  # the next table's header, printed under this one's rows
            table.rows.append(TableRow([ln], join_label([p], sparse), cells_of([p], n), kind="header"))
            continue
        if values[idx]:
            group = [split[i] for i in [*pending, idx]]
            row = TableRow([body[i] for i in [*pending, idx]], join_label(group, sparse), cells_of(group, n))
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
            prev_row.label = join_label(prev_row.parts, sparse)
            prev_row.cells = cells_of(prev_row.parts, n)
            prev_row.lines.append(ln)
        elif not in_bands and (pending or _continues_into_next(ln, nxt)):
            pending.append(idx)
        else:
            for i in pending:
                table.rows.append(TableRow([body[i]], line_text(split[i], sparse), [], kind="group"))
            pending = []
            table.rows.append(TableRow([ln], line_text(p, sparse), [], kind="group"))
    for i in pending:
        table.rows.append(TableRow([body[i]], line_text(split[i], sparse), [], kind="group"))
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
