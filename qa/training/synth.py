"""Questions generated from the reports themselves: a table row's label × a year column → the cell,
a label/value pair → its figure, a sentence's figure → a keyword query around it. Only distinctive
answers are kept (a figure printed at most twice in the report)."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable

from qa.compose.candidate import kpi_label
from qa.compose.extract import column_year, numbers, row_cells
from qa.evaluation.dataset import EvalItem
from qa.lexical import STOPWORDS
from qa.models import Chunk, ReportInfo, Unit

_YEAR = re.compile(r"^(?:FY\s?)?((?:19|20)\d\d)$")
_MARKS = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+|(?<=[A-Za-z])\d{1,2}\b|\(\d{1,2}\)")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORD = re.compile(r"[A-Za-z][A-Za-z&/-]+|\d+(?:[.,]\d+)*%?")
_TEMPLATES_YEAR = (
    "What was {label} in {year}?", "{company} {label} {year}", "{label} {year}",
    "How high was {company}'s {label} in {year}?", "{label} ({year}) at {company}",
)
_TEMPLATES = ("What is {company}'s {label}?", "{company} {label}", "{label}?")


def _clean_label(text: str) -> str:
    label = _PAREN.sub(" ", _MARKS.sub("", text.split("\t", 1)[0]))
    return " ".join(label.replace("\n", " ").split()).strip(" :-–")


_CLAUSE_END = re.compile(r"[;:!?\t\n•]|\.(?=\s|$)|,\s")


def _clause_words(text: str, start: int, end: int) -> list[str]:
    """The content words of the clause around a figure: up to four before it and three after it."""
    before_text = text[max(0, start - 80) : start]
    ends = list(_CLAUSE_END.finditer(before_text))
    before_text = before_text[ends[-1].end() :] if ends else before_text
    after_text = text[end : end + 60]
    m = _CLAUSE_END.search(after_text)
    after_text = after_text[: m.start()] if m else after_text
    before = [w for w in _WORD.findall(before_text) if w.lower() not in STOPWORDS and not re.search(r"\d", w)]
    after = [w for w in _WORD.findall(after_text) if w.lower() not in STOPWORDS and not re.search(r"\d", w)]
    return before[-4:] + after[:3]


def _keyword_query(company: str, words: list[str], text: str) -> str:
    """An analyst's keyword query: the company, the words, the first year the sentence names."""
    years = re.findall(r"\b(?:19|20)\d\d\b", text)
    return f"{company} {' '.join(words).lower()}{' ' + years[0] if years else ''}"


def _distinctive(value: str, counts: Counter[str]) -> bool:
    digits = re.sub(r"\D", "", value)
    return len(digits) >= 3 and counts[value] <= 2 and not _YEAR.match(value.strip())


def _short_names(company: str) -> list[str]:
    first = company.split()[0]
    return [company, first] if first != company else [company]


def synth_questions(
    chunks: list[Chunk], units: list[Unit], reports: Iterable[ReportInfo], per_report: int = 80, seed: int = 13,
    several: bool = False,
) -> list[tuple[EvalItem, str]]:
    """(question, company) pairs generated from every report's tables, label/value pairs and sentences
    with one figure; with `several`, only from sentences with two to four figures (for the span picker:
    which figure the words describe)."""
    rng = random.Random(seed)
    by_report = {r.id: r for r in reports}
    counts: dict[str, Counter[str]] = {}
    for u in units:
        rid = chunks[u.chunk_index].report_id
        counts.setdefault(rid, Counter()).update(m[0].text.strip() for m in numbers(u.text))
    pools: dict[str, list[tuple[str, list[str], str]]] = {rid: [] for rid in by_report}
    for u in units:
        chunk = chunks[u.chunk_index]
        report = by_report.get(chunk.report_id)
        if report is None or chunk.kind in ("navigation", "index"):
            continue
        names = _short_names(report.company)
        cnt = counts.get(report.id, Counter())
        if several and chunk.kind not in ("text", "list_item"):
            continue
        if chunk.kind == "table_row" and chunk.header:
            label = _clean_label(u.text)
            if len(label.split()) < 2 or len(label) > 90:
                continue
            for cell in row_cells(u.text, chunk.header):
                year = column_year(cell.column)
                value = cell.span.text.strip()
                if year and _distinctive(value, cnt):
                    tpl = rng.choice(_TEMPLATES_YEAR)
                    q = tpl.format(label=label, year=year, company=rng.choice(names))
                    pools[report.id].append((q, [value], "table"))
        elif chunk.kind == "kpi":
            nums = numbers(u.text)
            label = _clean_label(kpi_label(u.text))
            if nums and len(label.split()) >= 2 and _distinctive(nums[0][0].text.strip(), cnt):
                q = rng.choice(_TEMPLATES).format(label=label, company=rng.choice(names))
                pools[report.id].append((q, [nums[0][0].text.strip()], "numeric"))
        elif chunk.kind in ("text", "list_item") and not several:
            nums = [n for n in numbers(u.text) if n[1] and _distinctive(n[0].text.strip(), cnt)]
            if len(nums) != 1:
                continue
            span = nums[0][0]
            before = [w for w in _WORD.findall(u.text[max(0, span.start - 80) : span.start]) if w.lower() not in STOPWORDS]
            after = [w for w in _WORD.findall(u.text[span.end : span.end + 60]) if w.lower() not in STOPWORDS]
            words = [w for w in before[-4:] + after[:3] if not re.search(r"\d", w)]
            if len(words) < 3:
                continue
            pools[report.id].append((_keyword_query(rng.choice(names), words, u.text), [span.text.strip()], "numeric"))
        elif chunk.kind in ("text", "list_item"):
            # a sentence with two to four figures: the words of one figure's clause make the query, so
            # the span picker learns which figure the words describe
            found = numbers(u.text)
            if not 2 <= len(found) <= 4:
                continue
            for span, _unit in found:
                if not _distinctive(span.text.strip(), cnt):
                    continue
                words = _clause_words(u.text, span.start, span.end)
                if len(words) < 3:
                    continue
                if len(words) >= 5:
                    words.pop(rng.randrange(len(words)))  # a query rarely repeats every word of the sentence
                pools[report.id].append((_keyword_query(rng.choice(names), words, u.text), [span.text.strip()], "numeric"))
    out: list[tuple[EvalItem, str]] = []
    for rid, pool in pools.items():
        rng.shuffle(pool)
        tables = [p for p in pool if p[2] == "table"][: per_report // 2]
        rest = [p for p in pool if p[2] != "table"][: per_report - len(tables)]
        for n, (q, answers, qtype) in enumerate(tables + rest):
            item = EvalItem(id=f"gen-{rid}-{n:03d}", question=q, answers=answers, report=rid, type=qtype)
            out.append((item, by_report[rid].company))
    return out
