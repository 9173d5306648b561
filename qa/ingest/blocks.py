"""One column block of a page to output lines: charts and tables as tab rows, the rest as text lines."""

from __future__ import annotations

from qa.ingest.charts import find_charts
from qa.ingest.items import Item
from qa.ingest.layout import Line, join_words
from qa.ingest.tables import Table, TableRow, build_table, find_tables


def _paragraph_break(prev: Line, ln: Line) -> bool:
    gap = ln.top - prev.bottom
    if gap > 0.75 * max(prev.size, ln.size) or gap < -0.5 * ln.size:
        return True
    if abs(ln.size - prev.size) > 0.15 * prev.size:
        return True
    return ln.bold != prev.bold


def _table_items(rows: list[TableRow], page: int) -> list[Item]:
    return [Item(row.render(), page, row.bbox, "table", blank_before=r == 0) for r, row in enumerate(rows)]


def block_items(block: list[Line], page: int, last_table: list[Table | None]) -> list[Item]:
    """Items in reading order; `last_table` carries the previous table (its columns) across blocks."""
    charts = find_charts(block)
    used: set[int] = set().union(*(c.used for c in charts)) if charts else set()
    rest = [k for k in range(len(block)) if k not in used]
    sub = [block[k] for k in rest]
    events: list[tuple[int, int, object]] = []  # (block index, order, what)
    for c in charts:
        events.append((min(c.used), 0, c))
    in_table: set[int] = set()
    for s, e in find_tables(sub):
        events.append((rest[s], 0, (s, e)))
        in_table.update(range(s, e))
    for k, idx in enumerate(rest):
        if k not in in_table:
            events.append((idx, 1, block[idx]))
    events.sort(key=lambda ev: (ev[0], ev[1]))
    items: list[Item] = []
    prev: Line | None = None
    for _idx, _order, what in events:
        if isinstance(what, Line):
            brk = prev is None or _paragraph_break(prev, what)
            items.append(Item(what.text, page, what.bbox, "text", blank_before=brk, line=what))
            prev = what
            continue
        if isinstance(what, tuple):
            s, e = what
            table = build_table(sub[s:e], last_table[0])
            rows = [r for r in table.rows if r.kind == "row"]
            if sum(1 for r in rows if not r.label) * 2 > len(rows):
                # figures without labels (a stacked chart's numbers): no table anyone can address by row
                for n, ln in enumerate(sub[s:e]):
                    items.append(Item(ln.text, page, ln.bbox, "text", blank_before=n == 0, line=ln))
                prev = None
                continue
            last_table[0] = table
            items.extend(_table_items(table.rows, page))
        else:
            chart = what
            items.extend(_table_items(chart.rows, page))  # type: ignore[attr-defined]
            for n, (words, line) in enumerate(chart.leftover):  # type: ignore[attr-defined]
                items.append(Item(join_words(words), page, line.bbox, "text", blank_before=n == 0))
        prev = None
    if items:
        items[0].blank_before = True
    return items
