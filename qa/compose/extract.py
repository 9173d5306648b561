"""Finding the answer inside a quote: numbers with units, table cells, dates, codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# The extractors are pure functions of a unit's text, and the same units come back question after
# question: their results are cached (Span is frozen; callers get a fresh list).
_CACHE = 32768

_NUM = re.compile(
    r"(?<![\w.])(?:RMB|HK\$|US\$|USD|EUR|€|\$|£)?\s?"
    # European notation first: dots between thousands and a decimal comma (`1.058,3`), a share with a decimal comma
    # (`14,3%`); neither reads as an English figure
    r"(?P<num>\d{1,3}(?:\.\d{3})+,\d+|\d+,\d{1,2}(?=\s?%)|\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<unit>\s?(?:%|per\s?cent\b|(?:million|billion|thousand)(?:\s(?:tons|tonnes|kWh|MWh|RMB|yuan|hours|units))?"
    r"|MWh(?:/m2|/m²)?|kWh|GWh|TWh|GJ|TJ|MJ|tCO2eq?|tCO₂eq?|t\sCO2e?|t\sCO₂e?|t/m2|t/m²|tonnes?|tons?|t(?![a-zA-Z])|m3|m³|kg|hours?|times|km"
    r"|°\s?C|(?:k|M|G)?W(?![A-Za-z])|mAh|g(?![A-Za-z])"
    r"|(?:EUR|€)(?:\s?(?:million|thousand|billion|k|m|bn))?|FTEs?"
    r"|(?:Metric\s)?(?:Tonnes?|Tons?))(?![A-Za-z]))?",  # a unit ends where its word does (`tonnes`, not `ton`)
)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(
    rf"\b(?:(?:{MONTHS})\s+\d{{1,2}},\s+(?:19|20)\d\d|\d{{1,2}}\s+(?:{MONTHS})\s+(?:19|20)\d\d|(?:{MONTHS})\s+(?:19|20)\d\d|(?:19|20)\d\d"
    r"|[1-4]Q\s?(?:19|20)?\d\d|Q[1-4]\s(?:19|20)\d\d|H[12]\s(?:19|20)\d\d)\b"  # quarters and halves: `1Q24`, `Q3 2023`
)
_CODE = re.compile(r"\b(?:ISO|IEC|OHSAS|SA|GB/T|IWA|GRI|SASB|TCFD)\s?[\d:.\-–]+(?:\s?:\s?\d{4})?\b|\bISO\s?\d+\b")
_YEARLIKE = re.compile(r"^(?:19|20)\d\d$")
_MONTH_BEFORE = re.compile(rf"\b(?:{MONTHS})\s+$")
# a number that names rather than measures: `Scope 3`, `Scopes 1 and 2`, `Figure 4`, `Table 2`, `Tier-3`, `Step 3`
_REFERENCE_BEFORE = re.compile(
    r"(?:\b(?:figures?|fig\.|tables?|charts?|graphs?|exhibits?|appendix|annex|sections?|chapters?|pages?|steps?|phases?|"
    r"articles?|paragraphs?)\s*|\b(?:scopes?|tiers?|categor(?:y|ies))\s*[-–]?\s*(?:\d{1,2}\s*(?:\+|,|&|and)\s*)*)$", re.I)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def numbers(text: str, skip_years: bool = True) -> list[tuple[Span, str]]:
    """Figures in `text`, each with its unit (may be empty)."""
    return list(_numbers(text, skip_years))


@lru_cache(maxsize=_CACHE)
def _numbers(text: str, skip_years: bool) -> tuple[tuple[Span, str], ...]:
    out: list[tuple[Span, str]] = []
    for m in _NUM.finditer(text):
        num = m.group("num")
        unit = (m.group("unit") or "").strip()
        if skip_years and _YEARLIKE.match(num) and not unit:
            continue
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        # footnote marks glued to words (Emissions3) are not figures
        if m.start("num") > 0 and text[m.start("num") - 1].isalpha() and not text[s:m.start("num")].strip():
            prefix = text[max(0, m.start("num") - 3) : m.start("num")]
            if not prefix.upper().endswith(("RMB", "$")):
                continue
        if text[m.start("num") - 1 : m.start("num")] == "&" or text[m.end("num") : m.end("num") + 1] == "&":
            continue  # a figure glued to an ampersand is part of a name (`1&1`), not a figure
        if _MONTH_BEFORE.search(text[max(0, m.start("num") - 12) : m.start("num")]) and not unit:
            continue  # the day of a date ("March 24"), not a figure
        before = text[max(0, m.start("num") - 24) : m.start("num")]
        if len(num) <= 2 and _REFERENCE_BEFORE.search(before):
            # a category or a reference (`Scope 3 emissions`, `Figure 4`), not a figure, even before a unit that
            # is a column's (`Scope 1+2 t CO₂e/EUR million`)
            continue
        if " " in num and _REFERENCE_BEFORE.search(before):
            # `Scope 2 700.09 t`: the reference's number, then a figure, not one figure with a space for thousands
            s = m.start("num") + len(num.split(" ", 1)[0]) + 1
        out.append((Span(s, e, text[s:e]), unit.lower()))
    return tuple(out)


def dates(text: str) -> list[Span]:
    """Dates and years, not the year inside a code (`IWA 42:2022`, `ISO 14064-1:2018`)."""
    return list(_dates(text))


@lru_cache(maxsize=_CACHE)
def _dates(text: str) -> tuple[Span, ...]:
    return tuple([
        Span(m.start(), m.end(), m.group(0)) for m in _DATE.finditer(text)
        if not re.search(r"\d[:/\-]$", text[max(0, m.start() - 2) : m.start()])
    ])


def codes(text: str) -> list[Span]:
    return list(_codes(text))


@lru_cache(maxsize=_CACHE)
def _codes(text: str) -> tuple[Span, ...]:
    return tuple(Span(m.start(), m.end(), m.group(0).strip()) for m in _CODE.finditer(text))


# a word begins with any letter or digit (`Üblacker`, `Øresund`, `École` too)
_WORD = re.compile(r"\(?[^\W_][\w’'®™&./+\-]*\)?")
# the space between two words of a name: a line may wrap inside it, with a blank line where the text doubles its
# line breaks; a tab parts a table's cells
_NAME_GAP = re.compile(r" *(?:\n *){0,2}")
# an ampersand between two capitalised words joins them into one name (`Transformation & Development unit`)
_AMPERSAND_GAP = re.compile(r" *& *")
# a legal form after a comma ends a company's name (`Wuhan … Control Co., Ltd.`, `Acme, Inc.`)
_LEGAL_FORMS = frozenset("ltd ltd. inc inc. llc plc co co. corp corp. limited".split())
# the lower-case words a name runs on over between two capitalised words (`&` joins by `_AMPERSAND_GAP`): English
# ones and the name particles of other European languages (`Privacy by Design`, `Freunde der Pinakothek`,
# `Ludwig von Mises`); an article may follow `of` or a particle (`Association of the …`, `Estatuto de los …`)
_CONNECTORS = frozenset({"of", "and", "for", "in", "on", "the", "de", "to", "by", "der", "des", "von", "van", "du",
                         "del", "di", "da", "für", "zu"})
_OF = frozenset({"of", "de", "von", "van", "di", "da"})
_ARTICLES = frozenset({"the", "der", "den", "die", "das", "la", "le", "les", "los", "las", "el"})
_OPENERS = frozenset({"in", "the", "this", "our", "we", "as", "by", "at", "with", "over"})
# a capitalised preposition or conjunction begins a sentence (after a heading the text runs on from), not a name
_NOT_NAME_START = frozenset(
    "during after before since through following under within from into upon while when where although because "
    "until unlike like besides despite".split())


# a name's word that opens with a digit (`1&1 Mobilfunk GmbH`, `3M`): an ampersand or a capital letter after it
_DIGIT_NAME = re.compile(r"\d+(?:&\w*|[A-Z][\w&]*)")


def _is_cap(word: str) -> bool:
    return word[0].isupper() or (word.startswith("(") and len(word) > 2 and word[1].isupper()) or (
        word[0].isdigit() and _DIGIT_NAME.fullmatch(word) is not None)


def _is_acronym(word: str) -> bool:
    core = word.strip("()®")
    return sum(ch.isupper() for ch in core) >= 2 and not core.isdigit()


# abbreviations that end with a full stop inside a name (`Dr. Claudia …`, `Acme Corp. Ltd`)
_ABBREVIATIONS = frozenset("dr prof mr mrs ms st co corp inc ltd jr sr no nr bros".split())


def _sentence_end(word: str) -> bool:
    """A word with a full stop that ends its sentence (`Interzero.`), not an abbreviation (`Dr.`, `e.V.`, `U.S.`)."""
    core = word.rstrip(".")
    return word.endswith(".") and "." not in core and core.lower() not in _ABBREVIATIONS and not core.isupper()


def names(text: str, known: frozenset[str] = frozenset()) -> list[Span]:
    return list(_names(text, known))


@lru_cache(maxsize=_CACHE)
def _names(text: str, known: frozenset[str]) -> tuple[Span, ...]:
    """Proper names: runs of capitalised words (with `of`, `and`… between them), a bracketed acronym and
    a version number after an acronym (`Leadership in Energy and Environmental Design (LEED) Platinum®`,
    `RCP 8.5`, `IEA STEPs`). A run needs two capitalised words or an acronym; runs whose words are all
    in `known` (the question's own words, lower-cased) are left out: they name what was asked about."""
    words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
    out: list[Span] = []
    i = 0
    while i < len(words):
        word = words[i][2]
        opener = (i == 0 and not _is_acronym(word) and (word.lower() in known or word.lower() in _OPENERS)) or (
            word.lower() in _NOT_NAME_START)
        if not _is_cap(word) or opener:
            i += 1  # a lower-case word, or a sentence's capitalised first word ("In", "The", a known word)
            continue
        j = i
        run = [i]
        while j + 1 < len(words):
            nxt = words[j + 1][2]
            gap = text[words[j][1] : words[j + 1][0]]
            if gap.strip() == "," and nxt.lower() in _LEGAL_FORMS and not _sentence_end(words[j][2]):
                j += 1
                run.append(j)
                continue
            if _AMPERSAND_GAP.fullmatch(gap) and _is_cap(nxt) and not _sentence_end(words[j][2]):
                j += 1
                run.append(j)
                continue
            if not _NAME_GAP.fullmatch(gap) or _sentence_end(words[j][2]) or nxt.lower() in _NOT_NAME_START:
                break  # a name does not run over punctuation, a paragraph break or a sentence's end
            if _is_cap(nxt) or (nxt[0].isdigit() and _is_acronym(words[j][2]) and "." in nxt):
                j += 1
                run.append(j)
            elif (nxt.lower() in _CONNECTORS and j + 2 < len(words) and _is_cap(words[j + 2][2])
                  and not (nxt.lower() == "by" and words[j][2].endswith("ed"))):  # `Signed by Nils …`: a verb
                j += 2
                run.append(j)
            elif (nxt.lower() in _OF and j + 3 < len(words) and words[j + 2][2] in _ARTICLES
                  and _NAME_GAP.fullmatch(text[words[j + 1][1] : words[j + 2][0]])
                  and _is_cap(words[j + 3][2])):  # `German Association of the Automotive Industry`
                j += 3
                run.append(j)
            else:
                break
        caps = [words[k][2] for k in run]
        start, end = words[i][0], words[j][1]
        span_text = text[start:end].rstrip(".,;:")
        content = {re.sub(r"['’]s$", "", w.strip("()®™.,")).lower() for w in caps}
        if (len(caps) >= 2 or any(_is_acronym(w) for w in caps)) and not content <= known:
            out.append(Span(start, start + len(span_text), span_text))
        i = j + 1
    return tuple(out)


# a footnote mark on a cell (`-⁴`, `n/a*`, `– (3)`): not part of its value
_CELL_MARK = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹*†‡]+|\(\d{1,2}\)")


_NA_SEPARATORS = re.compile(r"[\s./]")  # `n/a`, `n.a.`, `k. A.`: compared without them


def empty_cell(text: str) -> bool:
    """A table cell that holds no value: blank, a dash or "not available" (`n/a`, `n.a.`, `k.A.`, `k. A`, `n.d.`),
    with or without a footnote mark."""
    bare = _CELL_MARK.sub("", text).strip().lower()
    return _NA_SEPARATORS.sub("", bare) in ("", "na", "ka", "nv", "nd") or not any(ch.isalnum() for ch in bare)


def parse_number(text: str) -> float | None:
    m = re.search(r"\d[\d, ]*(?:\.\d+)?", text)
    if not m:
        return None
    raw = m.group(0).replace(",", "").replace(" ", "")
    try:
        return float(raw)
    except ValueError:
        return None


_COLUMN_YEAR = re.compile(r"^\s*(?:FY\s?)?((?:19|20)\d\d)(?![\d/–-])")


# a year at the end of a header cell that the table's reference codes ran into (`GRI 404-1 GRI 403-2 2021`)
_TRAILING_YEAR = re.compile(r"\s((?:19|20)\d\d)\s*$")


def column_year(header: str) -> str | None:
    """The year a table column is for: `2023`, `FY2022`, `2023 Merck Group`, `2019 in %`, `2018 (Base year)`,
    `GRI 405-1 GRI 2-7 2021`; None for a column that names no year or two (`2020-2022`), or whose only
    year belongs to a code (`ISO 14001:2015`)."""
    if len(re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", header)) != 1:
        return None
    m = _COLUMN_YEAR.match(header) or _TRAILING_YEAR.search(header)
    return m.group(1) if m else None


def header_years(header: list[str] | None) -> set[int]:
    """The years a table's columns are for (`column_year` of each header cell)."""
    return {int(y) for h in header or () if (y := column_year(h)) is not None}


@dataclass(frozen=True)
class Cell:
    column: str
    span: Span  # offsets inside the row text


def row_cells(row_text: str, header: list[str] | None) -> list[Cell]:
    """The value cells of a table row, matched to the header's columns.

    The values sit on the row's line with the most filled cells; cells are split by tabs. Wrapped
    label or unit lines of the same row are skipped.
    """
    best: list[tuple[int, int]] = []
    pos = 0
    for line in row_text.split("\n"):
        parts: list[tuple[int, int]] = []
        col_start = pos
        for i, cell in enumerate(line.split("\t")):
            if i > 0:
                stripped = cell.strip()
                if stripped:
                    lead = len(cell) - len(cell.lstrip())
                    parts.append((col_start + lead, col_start + lead + len(stripped)))
                else:
                    parts.append((-1, -1))
            col_start += len(cell) + 1
        filled = sum(1 for p in parts if p[0] >= 0)
        if filled > sum(1 for p in best if p[0] >= 0):
            best = parts
        pos += len(line) + 1
    cells: list[Cell] = []
    for i, (s, e) in enumerate(best):
        if s < 0:
            continue
        col = header[i] if header and i < len(header) else str(i + 1)
        cells.append(Cell(col, Span(s, e, row_text[s:e])))
    return cells
