"""Questions generated from the reports themselves: a table row's label × a year column → the cell,
a label/value pair → its figure, a sentence's figure → a keyword query around it, a name introduced by a
descriptor → "which <descriptor> …?". Only distinctive answers are kept (a figure or a name printed at
most twice in the report)."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable

from qa.compose.candidate import kpi_label
from qa.compose.extract import column_year, numbers, row_cells
from qa.compose.extract import names as find_names
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


# a name introduced by what it is ("the general contractor Rakuten", "the auditors PricewaterhouseCoopers GmbH",
# "a new product line called FAIR LINE"): the descriptor makes the question, the name its answer
_APPOSITION = re.compile(r"\b(?:the|a|an|its|our|their)\s+((?:[a-z][a-z-]{2,}\s+){1,4}?)(?:(?:called|named)\s+[“\"]?)?(?=[A-Z])")
_SINGLE_NAME = re.compile(r"[A-Z][\w&-]*(?:[a-z][\w&-]*|\d[\w&-]*)")
# descriptors that say nothing of what the name is
_VAGUE = frozenset({"following", "so-called", "new", "same", "above", "below", "respective", "relevant", "entire",
                    "whole", "first", "second", "third", "last", "next", "former", "current", "other", "called", "named"})


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w.lower() not in STOPWORDS and not re.search(r"\d", w)]


def _apposition_questions(
    text: str, names_of: list[str], counts: Counter[str], lower: set[str], rng: random.Random,
) -> list[tuple[str, list[str], str]]:
    """Entity questions from names introduced by a descriptor: "Which general contractor carried out risk analyses?".
    A single capitalised word counts as a name only when the report never prints it in lower case."""
    out: list[tuple[str, list[str], str]] = []
    found = {s.start: s for s in find_names(text)}
    own = {w.lower() for c in names_of for w in c.split()}
    for m in _APPOSITION.finditer(text):
        last = m.group(1).split()[-1]  # what the name is: a noun, not "following" or "newly"
        if last in STOPWORDS or last in _VAGUE or last.endswith("ly"):
            continue
        span = found.get(m.end())
        if span is not None:
            name = span.text
        elif (n := _SINGLE_NAME.match(text, m.end())) and n.group(0).lower() not in lower:
            name = n.group(0)
        else:
            continue
        name = name.rstrip(".,;:”\"")
        if len(name) < 3 or counts[name] > 2 or {w.lower() for w in name.split()} <= own:
            continue
        words = [w for w in m.group(1).split() if w not in _VAGUE]
        clause = text[m.end() + len(name) : m.end() + len(name) + 80]
        stop = _CLAUSE_END.search(clause)
        after = [w for w in _content_words(clause[: stop.start()] if stop else clause) if w.lower() not in own][:5]
        lead = text[max(0, m.start() - 60) : m.start()]
        ends = list(_CLAUSE_END.finditer(lead))
        before = [w for w in _content_words(lead[ends[-1].end() :] if ends else lead) if w.lower() not in own][-3:]
        if len(after) + len(before) < 2:
            continue
        descriptor = " ".join(words)
        company = rng.choice(names_of)
        context = " ".join(before + after).lower()
        q = rng.choice((f"Which {descriptor} {' '.join(after).lower() or context}? ({company})",
                        f"{company} {descriptor} {context}"))
        out.append((q, [name], "entity"))
    return out


def _distinctive(value: str, counts: Counter[str]) -> bool:
    digits = re.sub(r"\D", "", value)
    return len(digits) >= 3 and counts[value] <= 2 and not _YEAR.match(value.strip())


def _short_names(company: str) -> list[str]:
    first = company.split()[0]
    return [company, first] if first != company else [company]


def synth_questions(
    chunks: list[Chunk], units: list[Unit], reports: Iterable[ReportInfo], per_report: int = 80, seed: int = 13,
    several: bool = False, entities: bool = False,
) -> list[tuple[EvalItem, str]]:
    """(question, company) pairs generated from every report's tables, label/value pairs and sentences
    with one figure; with `several`, only from sentences with two to four figures (for the span picker:
    which figure the words describe); with `entities`, only entity questions from names introduced by a
    descriptor (for the span picker: which name the words describe)."""
    rng = random.Random(seed)
    by_report = {r.id: r for r in reports}
    counts: dict[str, Counter[str]] = {}
    lower: dict[str, set[str]] = {}  # with `entities`: the words each report prints in lower case
    for u in units:
        rid = chunks[u.chunk_index].report_id
        counts.setdefault(rid, Counter()).update(m[0].text.strip() for m in numbers(u.text))
        if entities:
            counts[rid].update(s.text for s in find_names(u.text))
            lower.setdefault(rid, set()).update(re.findall(r"\b[a-z][a-z-]+\b", u.text))
    pools: dict[str, list[tuple[str, list[str], str]]] = {rid: [] for rid in by_report}
    for u in units:
        chunk = chunks[u.chunk_index]
        report = by_report.get(chunk.report_id)
        if report is None or chunk.kind in ("navigation", "index"):
            continue
        names = _short_names(report.company)
        cnt = counts.get(report.id, Counter())
        if (several or entities) and chunk.kind not in ("text", "list_item"):
            continue
        if entities:
            pools[report.id].extend(_apposition_questions(u.text, names, cnt, lower.get(report.id, set()), rng))
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
