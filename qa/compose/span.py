"""Finding the answer span inside a candidate quote (the table cell under the asked year, the figure
nearest the matched terms, a date, a code, a name), with how well the candidate fits the question's
type and year."""

from __future__ import annotations

import re

from qa.compose.candidate import Candidate, digits, label_of, map_span
from qa.compose.extract import Span, codes, column_year, dates, names, numbers, parse_number, row_cells
from qa.compose.question import QuestionInfo
from qa.compose.rowblock import line_value
from qa.lexical import named_by, tokenize
from qa.models import ReportInfo
from qa.retrieval import years_in

DEFINES = re.compile(
    r"\b(refers? to|is defined as|defined as|means|is a|are a|encompass(?:es)?|is the|consists? of|concept of)\b|\S\s?=\s?\S", re.I
)
INTRODUCES = re.compile(r"(:\s*$|\b(include|includes|including|the following|as follows|such as|namely)\b)", re.I)
_LIST_AFTER = re.compile(r"^[^.;]{0,40}?(\b(include|includes|including|such as|namely|comprises?|consists? of|are|were)\b|:)")
_LIST_BEFORE = re.compile(r"\bfollowing\b[^.;:]{0,40}$")
_TARGET_WORDS = re.compile(r"\b(target|goal|aim|commit\w*|pledge)", re.I)
_CODE_WORDS = re.compile(r"\b(standard|certification|certified|iso|guideline|framework)\b", re.I)

# a table row labelled by a year alone (a footnote mark may follow it)
_YEAR_LABEL = re.compile(r"((?:19|20)\d\d)(?:\s?[(*¹²³⁴⁵⁶⁷⁸⁹⁰)]{1,3})?")


def introduces(head: str, text: str) -> bool:
    """Does the text introduce a list of the question's head noun (`issues including`, `following … certifications`)?"""
    low = text.lower()
    for m in re.finditer(rf"\b{re.escape(head)}\w*", low):
        if _LIST_AFTER.search(low[m.end() : m.end() + 60]) or _LIST_BEFORE.search(low[max(0, m.start() - 60) : m.start()]):
            return True
    return False


class SpanExtractor:
    """`extract(info, candidate)`: sets the answer span, value, column, note, type and year fit."""

    def __init__(self, reports: dict[str, ReportInfo]) -> None:
        self.reports = reports
        latest: dict[str, int] = {}
        for r in reports.values():
            latest[r.company] = max(latest.get(r.company, 0), r.year)
        self._latest = latest

    def latest_year(self, report: ReportInfo | None) -> int:
        if report is None:
            return max(self._latest.values(), default=0)
        return self._latest.get(report.company, report.year)

    def reporting_years(self, info: QuestionInfo, report: ReportInfo | None = None) -> list[int]:
        """Years the question asks figures for; far-future years (2030, 2040) are targets, not reporting years."""
        latest = self.latest_year(report)
        return [y for y in info.years if y <= latest + 2]

    def extract(self, info: QuestionInfo, c: Candidate) -> None:
        qt = c.quote_text
        report = self.reports.get(c.chunk.report_id)
        if report is not None:
            c.extra["report_year"] = float(report.year)  # for the span picker: which year "previous year" is
        years = self.reporting_years(info, report)
        # year fit: the report about that year, or a table column for it
        if years and report is not None:
            if report.year in years:
                c.year_fit = 1.0
            elif set(report.years_covered) & set(years) and c.chunk.kind in ("table_row", "kpi"):
                c.year_fit = 0.5  # a later report's tables restate earlier years; its prose is about its own year
            if any(str(y) in qt for y in years):
                c.year_fit = max(c.year_fit, 0.8)
        elif report is not None and info.wants_number and report.year == self.latest_year(report):
            c.year_fit = 0.4  # no year named: the latest report that answers is preferred
        stated = set(years_in(c.chunk.as_of)) if c.chunk.as_of else set()
        if years and stated:
            # a breakdown table printed once per date (`12/31/2023`, then `12/31/2022`): the date decides
            c.year_fit = 1.0 if stated & set(years) else min(c.year_fit, 0.2)
        elif not info.years and stated and report is not None and max(stated) < report.year:
            # no year asked: of a table printed once per year, the report's own year's rows answer
            c.year_fit = min(c.year_fit, 0.2)
        row_year = _YEAR_LABEL.fullmatch(label_of(c).strip()) if years and c.chunk.kind == "table_row" else None
        if row_year:  # a table with a row per year (`2022  4,538  149,968`): the row's year decides, not the report's
            c.year_fit = 1.0 if int(row_year.group(1)) in years else min(c.year_fit, 0.2)
        targets = [y for y in info.years if y not in years]
        if targets and any(str(y) in qt for y in targets):
            c.year_fit = max(c.year_fit, 0.8)  # a target year the question names ("the 2030 target")
        if c.chunk.kind == "table_row" and c.chunk.header:
            self._extract_cell(info, c, report)
            return
        if info.qtype == "date":
            ds = dates(qt)
            if ds and not years and report is not None and _TARGET_WORDS.search(info.text):
                # a target's year lies after the report ("net zero by 2040"), not the year it was set
                ds = sorted(ds, key=lambda d: not any(y > report.year for y in map(int, re.findall(r"(?:19|20)\d\d", d.text))))
            if ds:
                c.answer = ds[0] if not years else next((d for d in ds if any(str(y) in d.text for y in years)), ds[0])
                # a day beats a month, a month beats a bare year
                specific = max(len(re.findall(r"\d+|[A-Z][a-z]+", d.text)) for d in ds)
                c.type_fit = {1: 0.5, 2: 0.8}.get(specific, 1.0)
            return
        if info.wants_number:
            nums = [n for n in numbers(qt) if re.sub(r"[,\s]", "", digits(n[0].text)) not in info.numbers]
            if not nums:
                c.type_fit = -0.6
                return
            best = self._pick_number(info, qt, nums)
            c.answer = best[0]
            c.value = parse_number(best[0].text)
            unit = best[1]
            c.unit_fit = 1.0 if (unit and unit in info.units) or (unit == "%" and info.qtype == "percent") else 0.0
            if info.qtype == "percent":
                c.type_fit = 1.0 if unit == "%" else 0.2
            elif info.units:
                c.type_fit = 1.0 if unit in info.units else (0.0 if unit == "%" else 0.5)
            elif unit == "%":
                c.type_fit = 0.3 if info.qtype in ("numeric", "count") else 0.6
            else:
                raw = digits(best[0].text)
                c.type_fit = 0.5 if len(raw.replace(".", "")) == 1 else 0.9
            return
        if c.chunk.kind == "text" and info.qtype in ("entity", "other"):
            # a table printed as text lines ("Awards Organization", then "label value" lines): the named row's value
            value = line_value(info, c.unit.text)
            row = map_span(c.unit.text, qt, value.start, value.end) if value is not None else None
            if row is not None:
                c.answer = row
                c.type_fit = 0.8
                c.extra["row_value"] = 1.0
                return
        if info.qtype == "entity":
            cs = codes(qt)
            if cs and _CODE_WORDS.search(info.text):
                c.answer = cs[0]
                c.type_fit = 0.8
            else:
                # a name the question does not already contain (`LEED Platinum® Certificate`, `TrustArc`)
                known = info.words
                # on the raw unit text, where paragraph breaks still show (a name never runs over one)
                found = [
                    m for n in names(c.unit.text, known)
                    if (m := map_span(c.unit.text, qt, n.start, n.end)) is not None
                ]
                if found:
                    head = info.head or ""

                    def rank(n: Span) -> tuple[bool, int]:
                        # a name of the kind asked for (`… Committee` for "which committee") first
                        words = set(n.text.lower().split())
                        return (bool(head) and any(w.startswith(head) for w in words), len(words - known))

                    c.answer = max(found, key=rank)
                    c.type_fit = 0.7
        # definitions, lists, yes/no and other entities: the unit itself settles it
        if c.answer is None:
            c.type_fit = max(c.type_fit, 0.3 if len(qt.split()) >= 6 else 0.0)
            if info.qtype == "list":
                enumerates = qt.count(",") >= 2 or ";" in qt or c.unit.kind == "list_item" or bool(INTRODUCES.search(qt))
                c.type_fit = 1.0 if enumerates else -0.2
                if enumerates and info.head and introduces(info.head, qt):
                    c.type_fit = 1.4  # "new ESG issues including …", "the following … certifications:"
            elif info.qtype == "definition" and DEFINES.search(qt):
                c.type_fit = 0.8

    def _pick_number(self, info: QuestionInfo, qt: str, nums: list[tuple[Span, str]]) -> tuple[Span, str]:
        """The figure whose unit fits the question and that sits nearest the question's key terms."""
        low = qt.lower()
        term_pos = [m.start() for t in info.terms if len(t) > 2 for m in re.finditer(re.escape(t[:6]), low)]

        def rank(item: tuple[Span, str]) -> float:
            span, unit = item
            s = 0.0
            if info.units and unit in info.units:
                s += 2.0
            if info.qtype == "percent":
                s += 2.0 if unit == "%" else -1.0
            elif info.qtype == "count" and unit == "%":
                s -= 1.0
            if term_pos:
                dist = min(abs(span.start - p) for p in term_pos)
                s += 1.0 / (1.0 + dist / 40.0)
            return s

        return max(nums, key=rank)

    def _extract_cell(self, info: QuestionInfo, c: Candidate, report: ReportInfo | None) -> None:
        header = c.chunk.header or []
        qt = c.quote_text
        cells = row_cells(c.unit.text, header)
        if cells and header and [x.span.text for x in cells] == [h for h in header if h][: len(cells)]:
            c.type_fit = -0.6  # the table's own header row names columns; it answers nothing
            return
        if not cells:
            c.type_fit = -0.3 if info.wants_number else 0.0
            return
        year_of = {h: y for h in header if (y := column_year(h)) is not None}
        year_cols = list(year_of)
        target: str | None = None
        if not year_cols:
            # a text header (e.g. `Above 4° C scenario | Below 2° C scenario`): the column the question names
            overlaps = [(len(named_by(set(tokenize(h)), info.tokens)), h) for h in header]
            best_overlap = max(overlaps, default=(0, ""))
            if best_overlap[0] > 0 and sum(1 for o, _ in overlaps if o == best_overlap[0]) == 1:
                target = best_overlap[1]
            else:
                c.type_fit = 0.3
                return
        if year_cols:
            # the first column of an asked year (`2023` before `2023 in %` or `2023 thereof …`)
            asked = [h for y in info.years for h in year_cols if year_of[h] == str(y)]
            if asked:
                target = asked[0]
                c.year_fit = max(c.year_fit, 1.0)
            elif info.years:
                c.year_fit = min(c.year_fit, 0.0)
                c.type_fit = -0.5  # the table has no column for the asked year
            else:
                # the latest reported year, not a target year after the report (`2025 (Target year)`)
                reported = [y for y in year_of.values() if report is None or int(y) <= report.year]
                latest = max(reported or year_of.values())
                target = next(h for h in year_cols if year_of[h] == latest)
        cell = next((x for x in cells if x.column == target), None) if target else cells[0]
        if cell is None and target:
            c.type_fit = -0.3 if info.wants_number else 0.0
        if cell is None:
            return
        # map offsets in the raw row text to the quote text (line breaks collapsed)
        span = map_span(c.unit.text, qt, cell.span.start, cell.span.end)
        if span is None:
            return
        c.answer = span
        c.column = cell.column
        c.value = parse_number(span.text)
        has_digit = any(ch.isdigit() for ch in span.text)
        figure_like = has_digit and len(span.text) <= 30 and sum(ch.isdigit() for ch in span.text) * 3 >= len(
            span.text.replace(" ", "")
        )
        if info.wants_number:
            c.type_fit = 1.0 if figure_like else (0.2 if has_digit else -0.2)  # prose cells are not figures
        elif info.qtype in ("definition", "list", "yes_no"):
            c.type_fit = -0.3  # a table cell rarely defines, enumerates or settles anything
        else:
            c.type_fit = 0.6 if has_digit else 0.2
        if target and year_cols:
            title = c.chunk.table_title or "the table"
            cols = " | ".join(header)
            which = f"the {target} column" if info.years else f"the {target} column (the latest year in the table)"
            c.note = f"Figure for {target}: {which} of '{title}' (columns {cols})."
