"""Turns a report into chunks (retrievable passages) and units (quotable pieces inside them).

A chunk is one contiguous span of the report's text inside one section: a few sentences or list
items, one KPI block, or one table row. It never crosses a section boundary, a page footer or a
navigation line, and stays within the embedding model's window (`max_tokens` word pieces).
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from qa.chunking.lines import (
    Line,
    ends_sentence,
    is_bullet,
    is_short_label,
    is_value,
    split_lines,
    strip_marks,
)
from qa.chunking.structure import Hints, Structure, analyse
from qa.chunking.tables import Row, Table, is_dated_year_header, parse_table
from qa.ingest import Document
from qa.models import Chunk, ChunkKind, ReportInfo, Unit

log = logging.getLogger(__name__)

_VERSION = "8"  # the format; the code's own hash is added below


def _code_hash() -> str:
    """A hash of the code that turns a report into chunks, units and BM25 tokens (ingest, chunking,
    tokenizer), so an index built by other code is stale even when nobody bumped the version."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in sorted([*root.glob("ingest/*.py"), *root.glob("chunking/*.py"), root / "lexical.py"]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:10]


CHUNKER_VERSION = f"{_VERSION}-{_code_hash()}"

_ABBREV = {"e.g", "i.e", "no", "co", "ltd", "inc", "mr", "mrs", "ms", "dr", "st", "vs", "etc", "approx", "fig", "p", "pp"}
_BOUNDARY = re.compile(r"[.!?](?:[\"”’)\]])?(?=\s+[\"“(]?[A-Z0-9•·])")
_LOWER_END = re.compile(r"[a-z,;(\-–]$")
_WORD = re.compile(r"\S+")
_A_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_YEAR_BAND = re.compile(r"(?:FY\s?)?((?:19|20)\d\d)\s?:?")


@dataclass
class Piece:
    start: int
    end: int
    kind: ChunkKind
    section: str
    standalone: bool = False  # a chunk of its own (table rows, navigation)
    table: Table | None = None
    row: Row | None = None
    brk: bool = False  # a boundary marker (heading): no chunk continues across it
    table_title: str | None = None
    context: str | None = None  # a table printed as lines: its caption and column names (`_run_header`)


@dataclass
class _Group:
    pieces: list[Piece] = field(default_factory=list)


class Chunker:
    """`split(report, doc) -> (chunks, units)`; settings in `__init__`, no loading needed."""

    def __init__(
        self,
        count_tokens: Callable[[str], int],
        count_cl100k: Callable[[str], int] | None = None,
        max_tokens: int = 240,
        target_tokens: int = 160,
    ) -> None:
        self.count = count_tokens
        self.count_cl100k = count_cl100k or (lambda _t: 0)
        self.max_tokens = max_tokens
        self.target_tokens = target_tokens

    # ------------------------------------------------------------------ public
    def split(self, report: ReportInfo, doc: Document) -> tuple[list[Chunk], list[Unit]]:
        text = doc.text
        lines = split_lines(text)
        st = analyse(lines, _hints(lines, doc) if doc.structured else None)
        pieces = list(self._pieces(lines, st, text, doc.page_at if doc.structured else None))
        chunks: list[Chunk] = []
        units: list[Unit] = []
        for group in self._groups(pieces, text, doc.page_at):
            self._emit(report, doc, group, chunks, units)
        return chunks, units

    # ------------------------------------------------------------------ pieces
    def _pieces(
        self, lines: list[Line], st: Structure, text: str, page_at: Callable[[int], int | None] | None = None
    ) -> list[Piece]:
        out: list[Piece] = []
        wrapped = _hard_wrapped(lines, st)
        n = len(lines)
        last_table: Table | None = None
        last_end = 0  # the line after the last table block
        i = 0
        while i < n:
            ln = lines[i]
            role = st.roles[i]
            if ln.blank:
                i += 1
                continue
            section = role.section
            if role.kind == "heading":
                out.append(Piece(ln.start, ln.end, "text", section, brk=True))
                last_table = None
                i += 1
                continue
            if role.kind in ("navigation", "contents", "footer"):
                j, last = i, i
                while j < n and (lines[j].blank or st.roles[j].kind == role.kind):
                    if page_at is not None and not lines[j].blank and page_at(lines[j].start) != page_at(ln.start):
                        break  # a page's footer and the next page's header are two chunks
                    if not lines[j].blank:
                        last = j
                    j += 1
                out.append(Piece(ln.start, lines[last].end, "navigation", section, standalone=True))
                i = last + 1
                continue
            noise = role.noise
            if ln.has_tab:
                block: list[Line] = []
                j = i
                while j < n and not lines[j].blank and lines[j].has_tab and st.roles[j].kind == "body" \
                        and not (block and is_dated_year_header(lines[j])):  # the next table's header
                    block.append(lines[j])
                    j += 1
                # the table before goes on here: across text between only when its columns are named (rows as wide
                # as them go on), else only across a page break or blank lines
                adjacent = last_table is not None and all(
                    lines[k].blank or st.roles[k].kind in ("navigation", "footer") for k in range(last_end, i))
                table = parse_table(block, last_table if adjacent or (last_table and last_table.header) else None)
                table.caption = _caption_above(lines, st, i, year_band=table.header is None)
                if table.caption is None and table.continued and last_table is not None and adjacent:
                    table.caption = last_table.caption  # the same table on: its caption goes on
                if table.caption is None and table.header is None and not table.continued:
                    # no header row, no title line: the short lines above name it (`figure 7 gender pay gap` /
                    # `addiko group` / `Median`)
                    table.caption = _lines_above(lines, st, i, tabbed=False)
                last_table, last_end = table, j
                title = _table_title(section)
                kind: ChunkKind = "index" if (noise == "index" or table.is_index) else "table_row"
                hl = table.header_line
                if hl is not None and not hl.raw.startswith("\t") and not table.band_header \
                        and not is_dated_year_header(hl):
                    # a text header row is quotable too (it may be the table's first data row), not one of years
                    out.append(Piece(hl.start, hl.end, kind, section, standalone=True, table=table,
                                     row=Row(lines=[hl]), table_title=title))
                for row in table.rows:
                    out.append(
                        Piece(row.start, row.end, kind, section, standalone=True, table=table, row=row,
                              table_title=title)
                    )
                i = j
                continue
            kpi = _kpi_run(lines, st, i)
            if kpi is not None:
                spans, end = kpi
                header = _run_header(lines, st, i, end)
                for s, e, k in spans:
                    out.append(Piece(s, e, "index" if noise == "index" else k, section, context=header))
                i = end
                continue
            if is_bullet(ln):
                j = self._continue(lines, st, i, wrapped)
                out.append(Piece(ln.start, lines[j].end, "index" if noise == "index" else "list_item", section))
                i = j + 1
                continue
            j = self._continue(lines, st, i, wrapped)
            for s, e in _sentences(text, ln.start, lines[j].end):
                out.append(Piece(s, e, "index" if noise == "index" else "text", section))
            i = j + 1
        return out

    def _continue(self, lines: list[Line], st: Structure, i: int, wrapped: bool) -> int:
        """The last line of the paragraph or list item that starts at line i."""
        last = i
        j = i + 1
        n = len(lines)
        while j < n:
            cur = lines[j]
            if cur.blank:
                j += 1
                continue
            prev = lines[last]
            if st.roles[j].kind != "body" or cur.has_tab or is_bullet(cur) or st.roles[j].noise != st.roles[i].noise:
                break
            if ends_sentence(prev.text):
                break
            if _kpi_run(lines, st, j) is not None:
                break
            starts_lower = cur.text[:1].islower()
            dangling = bool(_LOWER_END.search(prev.text))
            if is_value(cur):
                ok = dangling
            elif wrapped:
                ok = starts_lower or dangling or prev.words >= 6
            else:
                ok = starts_lower or dangling
            if not ok:
                break
            last = j
            j += 1
        return last

    # ------------------------------------------------------------------ grouping
    def _groups(
        self, pieces: list[Piece], text: str, page_at: Callable[[int], int | None] | None = None
    ) -> list[list[Piece]]:
        groups: list[list[Piece]] = []
        cur: list[Piece] = []

        def flush() -> None:
            nonlocal cur
            if cur:
                groups.append(cur)
            cur = []

        for p in pieces:
            if p.brk:
                flush()
                continue
            if p.standalone:
                flush()
                groups.append([p])
                continue
            if cur:
                head = cur[0]
                family_changed = _family(head.kind) != _family(p.kind)
                page_changed = page_at is not None and page_at(head.start) != page_at(p.start)
                if head.section != p.section or family_changed or page_changed:
                    flush()
                elif self.count(text[head.start : p.end]) > (
                    self.target_tokens // 3 if p.kind == "kpi" else self.target_tokens
                ):
                    flush()  # label/value blocks stay small: each figure should be findable on its own
            cur.append(p)
        flush()
        return groups

    # ------------------------------------------------------------------ emit
    def _emit(self, report: ReportInfo, doc: Document, group: list[Piece], chunks: list[Chunk], units: list[Unit]) -> None:
        text = doc.text
        start, end = group[0].start, group[-1].end
        # split anything still over the window (a very long sentence or table row)
        if self.count(text[start:end]) > self.max_tokens:
            if len(group) > 1:
                mid = len(group) // 2
                self._emit(report, doc, group[:mid], chunks, units)
                self._emit(report, doc, group[mid:], chunks, units)
                return
            p = group[0]
            for s, e in self._split_long(text, p.start, p.end):
                self._emit(report, doc, [Piece(s, e, p.kind, p.section, p.standalone, p.table, p.row,
                                               table_title=p.table_title)], chunks, units)
            return
        kinds = [p.kind for p in group]
        kind: ChunkKind
        if "navigation" in kinds:
            kind = "navigation"
        elif "index" in kinds:
            kind = "index"
        elif "table_row" in kinds:
            kind = "table_row"
        elif "kpi" in kinds:
            kind = "kpi"
        elif kinds.count("list_item") * 2 >= len(kinds):
            kind = "list_item"
        else:
            kind = "text"
        head = group[0]
        context = ""
        header: list[str] | None = None
        as_of = head.row.as_of if head.row is not None else None
        if head.table is not None:
            header = head.table.header
            parts = [head.table_title or ""]
            caption = head.table.caption
            if caption and head.row is not None and head.row.group:
                *title, band = caption.split(" | ")
                if _restates(head.row.group, band):  # the band line named the first band's date only
                    caption = " | ".join(title)
            if as_of is None and head.row is not None and not any(_A_YEAR.search(h) for h in header or []):
                as_of = _band_year(head.row.group, caption)  # columns that name no year: the year band's
            if caption and caption != head.table_title:
                parts.append(caption)
            if head.row is not None and head.row.as_of:
                parts.append(head.row.as_of)
            if head.row is not None and head.row.group:
                parts.append(head.row.group)
            if header:
                parts.append("columns: " + " | ".join(header))
            context = " | ".join(p for p in parts if p)
        elif head.context:
            context = head.context
        span = text[start:end]
        chunk_index = len(chunks)
        chunks.append(
            Chunk(
                id=f"{report.id}:{start}-{end}",
                report_id=report.id,
                source=report.source,
                start=start,
                end=end,
                section=head.section,
                page=doc.page_of_span(start, end),
                page_label=doc.page_label_at(start),
                kind=kind,
                text=span,
                context=context,
                table_title=head.table_title if head.table is not None else None,
                header=header,
                as_of=as_of,
                tokens=self.count(span),
                tokens_cl100k=self.count_cl100k(span),
            )
        )
        for p in group:
            for s, e in self._split_long(text, p.start, p.end) if self.count(text[p.start : p.end]) > self.max_tokens else [(p.start, p.end)]:
                s, e = max(s, start), min(e, end)
                if e > s:
                    units.append(Unit(chunk_index=chunk_index, start=s, end=e, text=text[s:e], kind=p.kind))

    def _split_long(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Cut an over-long span at word boundaries into pieces of at most `target_tokens`."""
        words = [(m.start() + start, m.end() + start) for m in _WORD.finditer(text[start:end])]
        out: list[tuple[int, int]] = []
        i = 0
        while i < len(words):
            lo, hi = i + 1, len(words)
            # the largest j with tokens(words[i:j]) <= target (binary search)
            best = i + 1
            while lo <= hi:
                mid = (lo + hi) // 2
                if self.count(text[words[i][0] : words[mid - 1][1]]) <= self.target_tokens:
                    best = mid
                    lo = mid + 1
                else:
                    hi = mid - 1
            out.append((words[i][0], words[best - 1][1]))
            i = best
        return out


# ---------------------------------------------------------------------- helpers
def _hints(lines: list[Line], doc: Document) -> Hints:
    """The document's heading and noise spans, by line number."""
    by_start = {ln.start: ln.no for ln in lines if not ln.blank}
    headings: dict[int, tuple[int, str, bool]] = {}
    for h in doc.headings:
        first = True
        for ln in lines[by_start.get(h.start, len(lines)):]:
            if ln.start >= h.end:
                break
            if not ln.blank:
                headings[ln.no] = (h.level, h.title, first)
                first = False
    noise: dict[int, str] = {}
    starts = [ln.start for ln in lines]
    for n in doc.noise:
        k = bisect.bisect_left(starts, n.start)
        while k < len(lines) and lines[k].start < n.end:
            if not lines[k].blank:
                noise[k] = n.kind
            k += 1
    return Hints(headings=headings, noise=noise)


def _family(kind: ChunkKind) -> str:
    return {"list_item": "text"}.get(kind, kind)


def _band_year(group: str | None, caption: str | None) -> str | None:
    """The year band a headerless table's row is printed under: a year among its groups (`2023`, a line of the
    block), or for a row outside any group the end of its caption (`2022`, alone above the block)."""
    texts = group.split(" > ") if group else (caption or "").split(" | ")[-1:]
    for text in reversed(texts):
        m = _YEAR_BAND.fullmatch(text.strip())
        if m:
            return m.group(1)
    return None


def _restates(label: str, caption: str) -> bool:
    """A group label inside a table that repeats its caption for another date (`12/31/2022 Senior
    executives Management` under the caption `12/31/2023 Senior executives Management`): the label
    names its rows' date, and the caption is the first band's only."""
    def words(text: str) -> list[str]:
        return [w.lower() for w in text.split() if not any(ch.isdigit() for ch in w)]

    if _YEAR_BAND.fullmatch(caption.strip()) and (year := _band_year(label, None)) is not None:
        return year != caption.strip()  # `2023` after the rows under the year band `2022` above the table
    last = label.split(" > ")[-1]
    mine = words(last)
    return bool(mine) and mine == words(caption) and last != caption


def _caption_above(lines: list[Line], st: Structure, i: int, year_band: bool = False) -> str | None:
    """The short title-like body line right above a table block (blank lines between allowed), which names
    what its rows count: a chart or table caption printed as text. `year_band`: a year alone there (`2022`)
    is one too, with the caption above it (a headerless table printed once per year)."""
    k = i - 1
    while k >= 0 and lines[k].blank:
        k -= 1
    year = _year_band(lines, st, k) if year_band else None
    if year is not None:
        above = _caption_above(lines, st, k)
        return f"{above} | {year}" if above else year
    text = _title_line(lines, st, k)
    if text is None:
        return None
    above = _title_line(lines, st, k - 1)  # a title over a band line: `Gender distribution in percentages`
    if above is None or sum(len(w) > 2 and w.isalpha() for w in above.split()) < 2:
        return text
    return f"{above} | {text}"


def _year_band(lines: list[Line], st: Structure, k: int) -> str | None:
    """Line k's year when the line is a year alone (`2022`, `FY 2023`, `2021:`): the year a table's block
    below it is of, where a table prints the same rows once per year."""
    if k < 0 or lines[k].blank or lines[k].has_tab or st.roles[k].kind != "body":
        return None
    m = _YEAR_BAND.fullmatch(lines[k].text.strip())
    return m.group(1) if m else None


def _title_line(lines: list[Line], st: Structure, k: int) -> str | None:
    """The text of line k when it is a short title-like body line of at least two words."""
    if k < 0 or lines[k].blank or st.roles[k].kind != "body" or st.roles[k].noise or not is_short_label(lines[k]):
        return None
    text = strip_marks(" ".join(lines[k].text.split()))
    return text if len(text.split()) >= 2 and any(ch.isalpha() for ch in text) and not is_value(lines[k]) else None


def _table_title(section: str) -> str | None:
    if not section:
        return None
    return strip_marks(section.split(" > ")[-1])


def _hard_wrapped(lines: list[Line], st: Structure) -> bool:
    """Does the text break lines inside paragraphs (a PDF extraction), or keep one paragraph a line?"""
    body = [ln for ln, r in zip(lines, st.roles, strict=True) if not ln.blank and r.kind == "body" and not ln.has_tab]
    if not body:
        return False
    open_ended = sum(1 for ln in body if 50 <= len(ln.text) <= 140 and not ends_sentence(ln.text))
    return open_ended / len(body) > 0.25


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    span = text[start:end]
    out: list[tuple[int, int]] = []
    s = 0
    for m in _BOUNDARY.finditer(span):
        before = span[s : m.start()].split()
        last_word = before[-1].lower().rstrip(".") if before else ""
        if last_word in _ABBREV or (len(last_word) == 1 and last_word.isalpha()):
            continue
        e = m.end()
        if span[s:e].strip():
            out.append((start + s, start + e))
        s = e
        while s < len(span) and span[s].isspace():
            s += 1
    if span[s:].strip():
        tail_end = len(span.rstrip())
        out.append((start + s, start + tail_end))
    return out


_FIGURES = re.compile(r"(?<![\w])[-+]?\d[\d.,]*\s?%?(?![\w])")
# a figure of a table's body, not a band's bound (`under 30`) or a year: decimals, shares, three digits or more
_DATA_FIGURE = re.compile(r"(?<![\w.,])(?:\d+(?:[.,]\d+)+\s?%?|\d+\s?%|(?!(?:19|20)\d\d(?![\d.,]))\d{3,})(?![\w])")
_HEADER_LINES = 12
_HEADER_CHARS = 300


def _run_header(lines: list[Line], st: Structure, i: int, end: int) -> str | None:
    """The lines right above a run of label/value pairs whose values are rows of figures (a table printed as
    lines: `Addiko Bank AG Vienna` / `123 51 72 0 0`), their figures left out: the table's caption and column
    names (`figure 2 type of contract – group total`, `permanent temporary`, `Headcount Headcount`), which tell
    one such table from another with the same row labels."""
    if not any(is_value(ln) and len(_FIGURES.findall(ln.text)) >= 2 for ln in lines[i:end]):
        return None
    return _lines_above(lines, st, i)


def _lines_above(lines: list[Line], st: Structure, i: int, tabbed: bool = True) -> str | None:
    """The short lines above line i, their body figures left out, up to a heading, a footer, a sentence, a row
    of figures or a label's end below its figures (another table's), and with `tabbed` False a tabbed line."""
    parts: list[str] = []
    for k in range(i - 1, -1, -1):
        ln = lines[k]
        if len(parts) == _HEADER_LINES:
            break
        if ln.blank:
            continue
        if st.roles[k].kind != "body" or st.roles[k].noise or ends_sentence(ln.text):
            break
        if is_value(ln) or _LABEL_TAIL.fullmatch(ln.text.strip()) or (ln.has_tab and not tabbed):
            break  # the figures or the label's end of a row above: another table's
        words = " ".join(_DATA_FIGURE.sub(" ", ln.text).split())
        if words:
            parts.append(words)
    header = " ".join(reversed(parts))
    return header[-_HEADER_CHARS:] or None


# the end of a label that wrapped below its figures: a parenthesis alone on its line (`(Austria)`, `(Bosnia &
# Herzegovina)`), no figure in it
_LABEL_TAIL = re.compile(r"\([^()\d]{2,40}\)")


def _kpi_run(lines: list[Line], st: Structure, i: int) -> tuple[list[tuple[int, int, ChunkKind]], int] | None:
    """Label/value pairs printed on separate lines (`Total GHG Emissions3` / `31,347.06 t`).

    Returns the unit spans and the index of the line after the run, or None when no run starts here.
    """
    seq: list[tuple[int, str]] = []
    last_line: dict[int, int] = {}  # a label's first line -> its last line (`Hazardous Waste` / `per Employee`)
    tail: dict[int, int] = {}  # a value's line -> the wrapped end of its label printed after it (`(Austria)`)
    j = i
    n = len(lines)
    while j < n:
        ln = lines[j]
        if ln.blank:
            j += 1
            continue
        if st.roles[j].kind != "body" or ln.has_tab or st.roles[j].noise != st.roles[i].noise:
            break
        prev = seq[-1] if seq else None
        if (
            prev is not None and prev[1] == "l" and last_line.get(prev[0], prev[0]) == j - 1
            and ln.text[:1].islower() and len(ln.text.split()) <= 4 and not is_value(ln)
        ):
            last_line[prev[0]] = j  # a label wrapped onto the next line, no blank line between
        elif prev is not None and prev[1] == "v" and prev[0] not in tail and _LABEL_TAIL.fullmatch(ln.text.strip()):
            # `Addiko Bank AG Vienna` / `123 51 72` / `(Austria)`: the label's last line, set below its figures
            tail[prev[0]] = j
        elif is_value(ln):
            seq.append((j, "v"))
        elif is_short_label(ln) and not is_bullet(ln):
            seq.append((j, "l"))
        else:
            break
        j += 1
    values = sum(1 for _, t in seq if t == "v")
    labels = len(seq) - values
    if values < 2 or labels < 2 or seq[0][1] != "l":
        return None
    # two values in a row would mean this is not a label/value list
    if any(a[1] == "v" and b[1] == "v" for a, b in zip(seq, seq[1:], strict=False)):
        return None
    end_idx = tail.get(seq[-1][0], last_line.get(seq[-1][0], seq[-1][0])) + 1
    spans: list[tuple[int, int, ChunkKind]] = []
    # a label's end printed below its figures (`tail`) shows the labels come first: a run that ends on a label whose
    # figures lie past it (on a tabbed line, the next page) is then no caption-and-value/label list
    value_first = not tail and seq[-1][1] == "l" and seq[1][1] == "v" and all(
        seq[k][1] != seq[k + 1][1] for k in range(len(seq) - 1)
    )
    if value_first:
        # caption, then value/label pairs: `Main Office Areas` / `2.22 MWh` / `Energy Consumption per Employee`
        cap = lines[seq[0][0]]
        for k in range(1, len(seq) - 1, 2):
            v, lab = lines[seq[k][0]], lines[last_line.get(seq[k + 1][0], seq[k + 1][0])]
            # the caption belongs with the first pair: `Main Office Areas …` / `2.22 MWh` / `Energy … per Employee`
            spans.append((cap.start if k == 1 else v.start, lab.end, "kpi"))
        return spans, end_idx
    label_start: int | None = None
    for idx, t in seq:
        ln = lines[idx]
        if t == "l":
            if label_start is None:
                label_start = ln.start
        else:
            end = lines[tail[idx]].end if idx in tail else ln.end
            spans.append((ln.start if label_start is None else label_start, end, "kpi"))
            label_start = None
    if label_start is not None:
        # trailing labels with no value: leave them to the paragraph logic
        end_idx = next(idx for idx, _ in seq if lines[idx].start == label_start)
    return spans, end_idx
