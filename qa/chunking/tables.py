"""Tab-separated tables: rows (with wrapped continuation lines), header rows and group labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.chunking.lines import Line

_YEAR = re.compile(r"^(?:FY)?(?:19|20)\d\d$")
_HEADER_MARK = re.compile(r"\s*[(⁽]?[*⁰¹²³⁴⁵⁶⁷⁸⁹]+[)⁾]?$")
_NAMED_YEAR = re.compile(r"^(?:FY)?(?:19|20)\d\d\b.*[A-Za-z%]")  # `2023 number`, `2022 in %`
_FIGURE = re.compile(r"[-–_\d,.\s%()]+(?:\s?[A-Za-z%]{1,6})?")
# an age or size band as a column name (`<30`, `30-50`, `>50`, `50+`, `under 30`): GRI 405-1 breakdowns print these
_BAND = re.compile(r"(?:[<>≤≥]\s?\d+|\d+\s?[-–]\s?\d+|\d+\s?\+|(?:under|over|below|above|up to)\s\d+)(?:\s?(?:years?|yrs)\.?)?", re.I)
_OPEN_BAND = re.compile(r"^(?:[<>≤≥]|\d+\s?\+$|(?:under|over|below|above|up to)\s)", re.I)
_WORD = re.compile(r"[^\W\d_]{4,}")  # a word of four letters or more: a column's name, not a flag (`N/EL`)
# a date or year naming the label column (`12/31/2023`, `31.12.2022`, `Dec. 31, 2023`, `2023`): the rows' date
_AS_OF = re.compile(r"^(?=.*\b(?:19|20)\d\d\b)[\w./, -]{4,24}$")


@dataclass
class Row:
    lines: list[Line]
    group: str | None = None
    as_of: str | None = None  # the date its band header names (`12/31/2023`)

    @property
    def start(self) -> int:
        return self.lines[0].start

    @property
    def end(self) -> int:
        return self.lines[-1].end


@dataclass
class Table:
    header: list[str] | None
    rows: list[Row] = field(default_factory=list)
    header_line: Line | None = None
    is_index: bool = False
    band_header: bool = False  # the header names bands (`<30`, `30-50`): column names, never a quotable row
    caption: str | None = None  # a short title line right above the block (`Age Distribution Female Employees`)
    continued: bool = False  # the block continues the table before it (a page break, a blank line)


def cells(line: Line) -> tuple[str, list[str]]:
    parts = line.raw.rstrip(" \r").split("\t")
    return parts[0].strip(), [p.strip() for p in parts[1:]]


def _is_year_header(line: Line) -> bool:
    label, values = cells(line)
    vals = [v for v in values if v]
    return not label and len(vals) >= 1 and _all_years(vals)


def _all_years(vals: list[str]) -> bool:
    return all(_YEAR.match(_HEADER_MARK.sub("", v)) for v in vals)


def is_dated_year_header(line: Line) -> bool:
    """`As of Dec. 31<TAB>2020<TAB>2021`: a short label and two years or more, nothing else but the names some
    years carry (`2023 Merck Group<TAB>2023 thereof Merck KGaA`), one plain year at least."""
    label, values = cells(line)
    vals = [v for v in values if v]
    return 0 < len(label.split()) <= 4 and len(vals) >= 2 and _all_years(vals[:1]) \
        and all(_all_years([v]) or _NAMED_YEAR.match(v) for v in vals)


def _is_column_header(line: Line) -> bool:
    """`<TAB>2020<TAB>2021<TAB>2023 Merck Group`: no label, years and column names, no other figure."""
    label, values = cells(line)
    vals = [v for v in values if v]
    return not label and any(_YEAR.match(_HEADER_MARK.sub("", v)) or _NAMED_YEAR.match(v) for v in vals) \
        and not any(_is_figure_cell(v) for v in vals)


def _is_names_header(line: Line) -> bool:
    """`<TAB>income (%)<TAB>exposure (%)`: no label, two column names or more and no figure, one of them a word."""
    label, values = cells(line)
    vals = [v for v in values if v]
    return not label and len(vals) >= 2 and not any(_is_figure_cell(v) for v in vals) \
        and any(_WORD.search(v) for v in vals)


def _is_text_header(line: Line) -> bool:
    """`Key figure<TAB>Unit<TAB>2023<TAB>2022`: a label, then column names (text or years, no other figure)."""
    label, values = cells(line)
    vals = [v for v in values if v]
    return bool(label) and bool(vals) and not any(_is_figure_cell(v) for v in vals)


def is_band_header(line: Line) -> bool:
    """`12/31/2023<TAB><30<TAB>30-50<TAB>>50<TAB>Total`: column names that are bands, at least one of them
    open (`<30`, `>50`, `50+`) and one closed (`30-50`) or a word (`Total`); no other figure. A row of open
    bounds alone (`<113<TAB><107`) is a row of targets, not a header."""
    _label, values = cells(line)
    vals = [v for v in values if v]
    bands = [v for v in vals if _BAND.fullmatch(v)]
    if not any(_OPEN_BAND.match(v) for v in bands):
        return False
    closed_or_word = any(not _OPEN_BAND.match(v) for v in bands) or any(
        v not in bands and any(ch.isalpha() for ch in v) for v in vals)
    return closed_or_word and all(v in bands or not _is_figure_cell(v) for v in vals)


def _as_of(line: Line) -> str | None:
    """The date a band header's label cell names, if it names one."""
    label = cells(line)[0]
    return label if _AS_OF.match(label) else None


def _is_figure_cell(v: str) -> bool:
    """A figure, not a column name: digits, and neither a year (`2022³`) nor a year with a name (`2023 in %`)."""
    return bool(_FIGURE.fullmatch(v)) and any(ch.isdigit() for ch in v) \
        and not _YEAR.match(_HEADER_MARK.sub("", v)) and not _NAMED_YEAR.match(v)


def _columns(values: list[str]) -> list[str]:
    """Header cells aligned with the row cells: inner empty cells kept, trailing ones dropped, footnote
    marks after a year (`2022⁽¹²⁾`, `2023*`) left out of the column name (the row text keeps them)."""
    out = [_HEADER_MARK.sub("", v) if _YEAR.match(_HEADER_MARK.sub("", v)) else v for v in values]
    while out and not out[-1]:
        out.pop()
    return out


def _header_below(top: list[str], line: Line) -> list[str] | None:
    """The columns of a header printed on two lines, or None: a first line that names some columns and leaves
    others blank (`<TAB><TAB><TAB>2023 Acme<TAB>2023 thereof`), and under it a line of column names with
    at least one year and no other figure (`As of Dec. 31<TAB>2020<TAB>2021<TAB>2022<TAB>Group Acme AG`),
    its label naming the label column. Each column's name is its two parts; a column with a year on both
    lines is two headers' worth, not one."""
    _label, values = cells(line)
    if all(top) or not any(values) or any(_is_figure_cell(v) for v in values if v):
        return None
    if not any(_YEAR.match(_HEADER_MARK.sub("", v)) for v in values if v):
        return None
    merged: list[str] = []
    for k in range(max(len(top), len(values))):
        a = top[k] if k < len(top) else ""
        b = values[k] if k < len(values) else ""
        if a and b and _YEAR.search(a.split()[0]) and _YEAR.match(_HEADER_MARK.sub("", b.split()[0])):
            return None
        merged.append(" ".join(x for x in (a, b) if x))
    return _columns(merged)


def _fits_columns(lines: list[Line], header: list[str] | None) -> bool:
    """Could these rows sit under `header`: their widest row has as many values as it names columns (a block
    of three figures a row does not continue a table of four columns)."""
    if not header:
        return True
    widths = [sum(1 for v in cells(ln)[1] if v) for ln in lines]
    return max(widths, default=0) == len(header)


# a label line that starts mid-phrase (`of Training Hours` under `Overall Average Number`) ends its row's label
_CONTINUES = re.compile(r"(?:of|and|or|in|for|per|to|from|with|at|on)\s")
# a row that is a part of the row above it (`of which holding company`, `thereof Germany`)
_PART_OF = re.compile(r"(?:of which|of whom|thereof|including)\b", re.I)


def _row_group(group: str | None, parent: str | None, is_part: bool) -> str | None:
    """The group a row is read in: a part of the row above it (`of which holding company` under `GHG
    emissions (Scope 1-3)`) is read under that row's label, which its own label does not repeat."""
    if is_part and parent:
        return f"{group} > {parent}" if group else parent
    return group


def _is_breakdown(label: str) -> bool:
    """A group that already breaks something down (`By Gender`, `Turnover rate by region`)."""
    return " by " in f" {label.lower()} "


def _sibling_group(group: str | None, label: str) -> str:
    """A group label after rows: it replaces the open group, but a sibling of a nested one (`By Age Group`
    after `Profile of Full-time Employees > By Gender`: the same first word, both short) keeps its parents,
    and a breakdown (`By Gender`) nests under the open group unless that is a breakdown too."""
    words = label.split()
    if group and words and words[0].lower() == "by" and not _is_breakdown(group.split(" > ")[-1]):
        return f"{group} > {label}"  # a breakdown (`By Gender`) of the open group (`Training Rate`)
    if not group or not words or not words[0].isalpha() or len(words) > 6:
        return label
    parts = group.split(" > ")
    for k in range(len(parts) - 1, 0, -1):
        other = parts[k].split()
        if other and other[0].lower() == words[0].lower() and len(other) <= 6 and parts[k] != label:
            return " > ".join([*parts[:k], label])
    return label


def parse_table(lines: list[Line], after: Table | None = None) -> Table:
    """Group a block of tab lines into rows. Wrapped labels and units join their row. `after`: the table
    just before this block (no heading between); a block without a header, or repeating its header,
    continues it (a table across a page break): it starts in its last group, and a headerless block takes
    its columns when its rows are as wide as them."""
    header: list[str] | None = None
    header_line: Line | None = None
    first = lines[0]
    band = is_band_header(first)
    if _is_year_header(first) or _is_column_header(first):
        header = _columns(cells(first)[1])
        header_line = first
        body = lines[1:]
        below = _header_below(cells(first)[1], body[0]) if body else None
        if below is not None:  # the header's second line (`As of Dec. 31<TAB>2020<TAB>2021<TAB>Group`)
            header, body = below, body[1:]
    elif (_is_text_header(first) or _is_names_header(first) or band) and len(lines) > 1:
        header = _columns(cells(first)[1])  # the value columns' names (the label column's name stays in the text)
        header_line = first
        body = lines[1:]
    else:
        body = lines
    band = band and header_line is not None
    # the table before goes on here: same header, or none and rows as wide as its columns
    goes_on = after is not None and (header == after.header or (header is None and _fits_columns(body, after.header)))
    columns = after.header if after is not None and goes_on and header is None else header
    continues = after is not None and goes_on and bool(after.rows)
    table = Table(header=columns, header_line=header_line, band_header=band, continued=continues)
    # the date the header's label names (`12/31/2023<TAB>Senior executives<TAB>Management`) dates the rows
    as_of = _as_of(first) if header_line is first else None
    if header and any(h.lower().startswith(("disclosure", "esg disclosure")) for h in header):
        table.is_index = True
    group: str | None = after.rows[-1].group if continues and after is not None else None
    group_is_fresh = False  # the previous line was a group label too: nest, don't replace
    pending: list[Line] = []  # a label-only line waiting for its values on the next line
    parent: str | None = None  # the label of the last row that is no part of the row above
    for idx, line in enumerate(body):
        label, values = cells(line)
        has_values = any(values)
        nxt = body[idx + 1] if idx + 1 < len(body) else None
        if _is_year_header(line):
            # a repeated header (e.g. after a page break) restarts the columns (the chunker starts a new block at
            # a dated one: the next table's)
            table.header = _columns(values)
            continue
        if is_band_header(line) and table.rows:
            # the same breakdown again, as of another date (`12/31/2022<TAB><30<TAB>…` after the 2023 rows)
            table.header = _columns(values)
            as_of, group, group_is_fresh, parent = _as_of(line), None, False, None
            continue
        if not has_values and label.startswith(("(", "[")) and table.rows and not pending:
            table.rows[-1].lines.append(line)  # unit line wrapped below its row
            continue
        if not label and table.rows and not pending:
            table.rows[-1].lines.append(line)  # cells wrapped onto the next line
            continue
        if not has_values and _CONTINUES.match(label) and table.rows and not pending and not group_is_fresh:
            table.rows[-1].lines.append(line)  # its label wrapped below the row (`Overall Average Number` / `of …`)
            continue
        if not has_values:
            nxt_label = cells(nxt)[0] if nxt is not None else ""
            if nxt is not None and nxt_label.startswith(("(", "[")):
                pending.append(line)  # label wrapped above its values
                continue
            if as_of is not None and label and _AS_OF.match(date := label.split()[0]):
                as_of = date  # the columns again, as of another date (`12/31/2022 Senior executives …`)
            # a group label such as "Consumption" or "By Gender"
            group = f"{group} > {label}" if group_is_fresh and group else _sibling_group(group, label)
            group_is_fresh, parent = True, None
            continue
        group_is_fresh = False
        full_label = " ".join([*(cells(x)[0] for x in pending), label]).strip()
        is_part = _PART_OF.match(full_label) is not None
        table.rows.append(Row(lines=[*pending, line], group=_row_group(group, parent, is_part), as_of=as_of))
        pending = []
        if not is_part:
            parent = full_label
    for line in pending:
        table.rows.append(Row(lines=[line], group=group, as_of=as_of))
    return table
