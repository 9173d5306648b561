"""Table headers above the figures: lines of column names over them (with or without years) and names
printed once over each group of repeating columns."""

from __future__ import annotations

from qa.ingest.figures import is_figure_phrase
from qa.ingest.layout import Line, join_words
from qa.ingest.table_columns import Parts, value_words
from qa.ingest.words import Word


def header_above(lines: list[Line], value: list[bool], start: int, first_row: int, end: int) -> int:
    """More header lines above the year line: column names printed over the figures (`2023` /
    `thereof Merck KGaA`), or a label line just above it (`Key figure  Unit`)."""
    left = min((w.x0 for ln in lines[first_row:end] for w in value_words(ln)), default=0.0)
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


def names_above(lines: list[Line], value: list[bool], first_row: int, end: int) -> int:
    """Where a table starts whose header names its columns without a year (`Worldwide  Europe  Asia-Pacific`,
    on up to four lines): lines of names over the figures of its first row, close above it, with no figure
    among them (one label line may sit among them: the label column's name); a label line between them and
    the rows (`2022`) belongs to the body. Every name stands over a figure column and most figure columns get
    one; else the table starts at its first row."""
    figs = [ph for ph in lines[first_row].phrases[1:] if is_figure_phrase(ph)]
    if len(figs) < 2:
        return first_row
    left = min(w.x0 for ln in lines[first_row:end] for w in value_words(ln))
    k = first_row - 1
    if k >= 0 and not value[k] and all(ph[-1].x1 < left - 2 for ph in lines[k].phrases) \
            and lines[k + 1].top - lines[k].bottom < 2.5 * lines[k].size:
        k -= 1
    names: list[int] = []
    label_only: list[int] = []  # a label line set among the names (`Split by industries` beside them)
    while k >= 0 and len(names) < 4 and not value[k]:
        ln = lines[k]
        if lines[k + 1].top - ln.bottom >= (1.2 if names else 2.5) * ln.size:
            break
        over = [ph for ph in ln.phrases if ph[0].x0 >= left - 2]
        if not over and names and not label_only:
            label_only.append(k)
            k -= 1
            continue
        if not over or any(is_figure_phrase(ph) or not any(_overlap(ph, f) for f in figs) for ph in over):
            break
        names.extend([*label_only, k])
        label_only = []
        k -= 1
    if not names:
        return first_row
    over = [ph for n in names for ph in lines[n].phrases if ph[0].x0 >= left - 2]
    named = sum(1 for f in figs if any(_overlap(ph, f) for ph in over))
    return min(names) if named * 3 >= len(figs) * 2 else first_row


def _overlap(a: list[Word], b: list[Word]) -> bool:
    """Do two phrases share some of the x axis (a name printed over a figure, either aligned)."""
    return min(a[-1].x1, b[-1].x1) - max(a[0].x0, b[0].x0) > 0


def spread_groups(hs: list[Parts], n: int) -> None:
    """A name printed once over each group of columns names the whole group: over `2023 2022 2023 2022`,
    `Male  Female` (one name in each run of columns the line below repeats) gives `Male 2023`, `Male 2022`,
    `Female 2023`, `Female 2022`, wherever over its group the name stands."""
    for low in range(len(hs) - 1, 0, -1):
        names = [join_words(c) for c in hs[low].cells]
        if not all(names):
            continue
        period = next((p for p in range(2, n // 2 + 1)
                       if n % p == 0 and all(names[i] == names[i + p] for i in range(n - p))), None)
        if period is None:
            continue
        for h in hs[:low]:
            groups = [[k for k in range(g, g + period) if h.cells[k]] for g in range(0, n, period)]
            if all(len(g) == 1 for g in groups):
                for g, (k,) in zip(range(0, n, period), groups, strict=True):
                    for j in range(g, g + period):
                        if j != k:
                            h.cells[j] = list(h.cells[k])
        return
