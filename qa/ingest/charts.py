"""Charts that print a table: years as row labels (bar charts: `2023 ▇▇▇ 12,056`) or a row of figures with
the years printed under them (`18.6%  18.0%  17.7%` over `2023:  2022:  2021:`).

Both are read into the table form the chunker and composer address by year: a header line of the
years, then one row per series (`Absolute in MWh<TAB>12,056<TAB>13,292<TAB>14,135`). A series is a
column heading of the chart (the value belongs to the heading it stands right of: bars grow to the
right from the heading's edge) or, for a row of figures, the chart's title above it. Every word of
the lines a chart uses is kept: what is not a cell follows the table as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.ingest.figures import is_figure_phrase
from qa.ingest.layout import Line, join_words
from qa.ingest.tables import TableRow
from qa.ingest.words import Word

_YEAR_LABEL = re.compile(r"^(?:FY\s?)?(?:19|20)\d\d:?$")


@dataclass
class Chart:
    used: set[int]  # indexes (in the block) of the lines it takes
    rows: list[TableRow] = field(default_factory=list)
    leftover: list[tuple[list[Word], Line]] = field(default_factory=list)  # words that are not cells


def _year(ph: list[Word]) -> bool:
    return len(ph) == 1 and bool(_YEAR_LABEL.match(ph[0].text))


def _year_at(line: Line) -> int | None:
    """The index of the phrase that labels a chart row with its year (figures follow it), or None."""
    phs = line.phrases
    for i, p in enumerate(phs):
        if _year(p):
            rest = phs[i + 1:]
            return i if any(is_figure_phrase(q) and not _year(q) for q in rest) else None
    return None


def _values_right(line: Line) -> float:
    """Where the figures of a chart row end."""
    at = _year_at(line) or 0
    return max((p[-1].x1 for p in line.phrases[at + 1:] if is_figure_phrase(p)), default=line.x1)


def _year_row(line: Line) -> bool:
    return _year_at(line) is not None


def _has_figure(line: Line) -> bool:
    return any(is_figure_phrase(p) for p in line.phrases)


def find_charts(lines: list[Line]) -> list[Chart]:
    charts: list[Chart] = []
    used: set[int] = set()
    i = 0
    while i < len(lines):
        if i in used:
            i += 1
            continue
        chart = _bar_chart(lines, i, used) if _year_row(lines[i]) else _figure_row_chart(lines, i, used)
        if chart is not None:
            charts.append(chart)
            used |= chart.used
        i += 1
    return charts


def _bar_chart(lines: list[Line], i: int, taken: set[int]) -> Chart | None:
    rows = [i]
    skipped: list[int] = []
    j = i + 1
    right = _values_right(lines[i])
    year_x0 = lines[i].phrases[_year_at(lines[i]) or 0][0].x0
    while j < len(lines) and j - rows[-1] <= 3:
        ln = lines[j]
        if _year_row(ln):
            rows.append(j)
            right = max(right, _values_right(ln))
        elif not _has_figure(ln) and (ln.x0 > right or ln.x1 < year_x0 - 2):
            skipped.append(j)  # a note printed beside the chart
        else:
            break
        j += 1
    if len(rows) < 2:
        return None
    first = lines[rows[0]]
    min_value = min(p[0].x0 for r in rows for p in lines[r].phrases[(_year_at(lines[r]) or 0) + 1:])
    year_x = min(lines[r].phrases[_year_at(lines[r]) or 0][0].x0 for r in rows)
    head: int | None = None
    for k in range(rows[0] - 1, max(-1, rows[0] - 7), -1):
        ln = lines[k]
        if k in taken or first.top - ln.bottom > 4 * first.size or _has_figure(ln):
            break
        if any(min_value > p[0].x0 >= year_x - 2 for p in ln.phrases) or ln.x0 < min_value and ln.x0 >= year_x - 2:
            head = k
            break
        skipped.append(k)
    if head is None:
        return None
    starts = [p[0].x0 for p in lines[head].phrases]
    titles: list[list[Word]] = [list(p) for p in lines[head].phrases]
    used = {head, *rows, *[k for k in skipped if k > head]}
    for k in range(head + 1, rows[0]):
        for p in lines[k].phrases:  # a heading on two lines (`Number of accidents` / `per year`)
            col = next((c for c, x in enumerate(starts) if abs(p[0].x0 - x) <= 3), None)
            if col is not None and k not in taken:
                titles[col].extend(p)
    values: dict[int, dict[str, str]] = {}
    years: list[str] = []
    chart = Chart(used=used)
    cell_words: set[int] = set()
    for r in rows:
        ln = lines[r]
        year: str | None = None
        for p in ln.phrases[_year_at(ln) or 0:]:
            if _year(p):
                year = p[0].text.rstrip(":")
                cell_words.update(id(w) for w in p)
                if year not in years:
                    years.append(year)
                continue
            if year is None or not is_figure_phrase(p):
                continue
            col = _column(p, starts, lines[head].phrases)
            if col is not None and year not in values.setdefault(col, {}):
                values[col][year] = join_words(p)
                cell_words.update(id(w) for w in p)
    series = sorted(values)
    if not series or len(years) < 2:
        return None
    chart.rows.append(TableRow([lines[r] for r in rows], "", years, kind="header"))
    for col in series:
        label = join_words(titles[col])
        cell_words.update(id(w) for w in titles[col])
        chart.rows.append(TableRow([lines[head], *[lines[r] for r in rows]], label,
                                   [values[col].get(y, "") for y in years]))
    for k in sorted(used):
        rest = [w for w in lines[k].words if id(w) not in cell_words]
        if rest:
            chart.leftover.append((rest, lines[k]))
    return chart


def _column(p: list[Word], starts: list[float], heads: list[list[Word]]) -> int | None:
    x0, x1 = p[0].x0, p[-1].x1
    for c, h in enumerate(heads):
        if min(x1, h[-1].x1) - max(x0, h[0].x0) > 0:
            return c  # under its heading
    left = [c for c, x in enumerate(starts) if x <= x0 + 2]
    return max(left) if left else None  # right of its heading: a bar's end


def _figure_row_chart(lines: list[Line], i: int, taken: set[int]) -> Chart | None:
    ln = lines[i]
    phs = ln.phrases
    if len(phs) < 2 or not all(is_figure_phrase(p) and not _year(p) for p in phs):
        return None
    yrow: int | None = None
    for k in range(i + 1, min(len(lines), i + 3)):
        cand = lines[k].phrases
        if lines[k].top - ln.bottom > 8 * ln.size:
            break
        yph = [p for p in cand if _year(p)]
        if len(yph) == len(phs) and all(
            abs((a[0].x0 + a[-1].x1) / 2 - (b[0].x0 + b[-1].x1) / 2) < 40 for a, b in zip(phs, yph, strict=True)
        ):
            yrow = k
            break
    if yrow is None:
        return None
    title: int | None = None
    for k in range(i - 1, max(-1, i - 7), -1):
        t = lines[k]
        if k in taken or ln.top - t.bottom > 10 * ln.size or _has_figure(t):
            break
        if t.x1 < ln.x0:
            continue  # a note beside the chart
        if t.x0 <= ln.x0:
            title = k
        break
    if title is None:
        return None
    years = [p[0].text.rstrip(":") for p in lines[yrow].phrases if _year(p)]
    chart = Chart(used={title, i, yrow})
    chart.rows.append(TableRow([lines[yrow]], "", years, kind="header"))
    chart.rows.append(TableRow([lines[title], ln], lines[title].text, [join_words(p) for p in phs]))
    rest = [w for p in lines[yrow].phrases if not _year(p) for w in p]
    if rest:
        chart.leftover.append((rest, lines[yrow]))
    return chart
