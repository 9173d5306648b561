"""Generic cues against a quote answering a question, for the confidence model: the quote states a target
the question did not ask about, its units are of another kind than the question expects, it is a table
row whose columns are for other years than the asked ones, a row of shares for a count (or the other way
round), it is prose about another year, or it names another variant of what the question asks about."""

from __future__ import annotations

import re
from functools import lru_cache

from qa.compose.candidate import Candidate, label_of
from qa.compose.extract import header_years
from qa.compose.question import QuestionInfo, unit_families

# a target, goal or plan rather than an outcome ("we aim to cut … by 10%", "our target is …")
TARGET = re.compile(
    r"\b(targets?|targeted|goals?|aims?|aimed|aiming|ambitions?|ambitious|commit\w*|pledge\w*|plan(?:s|ned)? to|"
    r"intends?|intended|strives?|striving|seeks? to|want to|wants to|is to be|are to be)\b",
    re.I,
)
# the quote gives the year before its own as well ("previous year: 975", "compared with the prior year")
_PREVIOUS_YEAR = re.compile(r"\b(?:previous|prior|preceding|last) year\b", re.I)
# a table of shares: its title, group or columns say so
_SHARES = re.compile(r"\b(?:percent|percentages?|per cent|shares?|proportions?|ratios?|rates?)\b|%", re.I)
# a row of counts: its label says so
_COUNTS = re.compile(r"\b(?:number|numbers|headcount|count)\b", re.I)
# unit strings too ambiguous to tell a kind of quantity by ("t" for tonnes of CO2, water or waste)
_AMBIGUOUS_UNITS = frozenset({"t", "kg", "tonnes", "tons", "million", "billion", "hour", "hours"})
# a variant named by a hyphenated word (`location-based` of `market-based`, `part-time` of `full-time`)
_HYPHENED = re.compile(r"\b([A-Za-z]+)-([A-Za-z]+)\b")
# a variant named by a number after a word that numbers kinds or parts (`Scope 3`, `category 1`, `Tier 2`, `SDG 13`)
_NUMBERED = re.compile(
    r"\b(scope|category|tier|level|phase|class|grade|type|stage|article|section|chapter|principle|goal|sdg)\s*"
    r"(\d+(?:\.\d+)?)\b", re.I)


@lru_cache(maxsize=1)
def _unit_pattern() -> re.Pattern[str]:
    units = sorted({u for fam in unit_families() for u in fam} - _AMBIGUOUS_UNITS, key=len, reverse=True)
    return re.compile(r"(?<![\w$])(" + "|".join(re.escape(u) for u in units) + r")(?![A-Za-z])", re.I)


def text_units(text: str) -> frozenset[str]:
    """The unambiguous unit strings a text names (`MWh`, `m³`, `EUR`, `t CO2e`), lower-cased."""
    return frozenset(m.group(1).lower() for m in _unit_pattern().finditer(text))


def unit_clash(info: QuestionInfo, text: str) -> float:
    """1 when the question expects a kind of quantity (energy, water, money, …) and the text names units,
    none of them of that kind (water asked, `MWh` quoted)."""
    if not info.units:
        return 0.0
    found = text_units(text)
    return 1.0 if found and not (found & info.units) else 0.0


def _variants(pattern: re.Pattern[str], text: str, of: int, variant: int) -> dict[str, set[str]]:
    """The variants a text names of each thing (`{"based": {"market", "location"}}`), lower-cased."""
    out: dict[str, set[str]] = {}
    for m in pattern.finditer(text):
        out.setdefault(m.group(of).lower(), set()).add(m.group(variant).lower())
    return out


def variant_clash(question: str, text: str) -> float:
    """1 when the question names a variant of something (`location-based` emissions, `Scope 3`) and the text
    names another variant of it (`market-based`, `Scope 1`) but not the asked one."""
    for pattern, of, variant in ((_HYPHENED, 2, 1), (_NUMBERED, 1, 2)):
        quoted = _variants(pattern, text, of, variant)
        for thing, asked in _variants(pattern, question, of, variant).items():
            if quoted.get(thing) and not asked & quoted[thing]:
                return 1.0
    return 0.0


def share_clash(info: QuestionInfo, c: Candidate) -> float:
    """1 when a table row's figures are shares (its table, group or columns say percent, or its cells end in
    `%`) and the question asks how many, or the other way round: a share asked of a row of counts."""
    if c.chunk.kind not in ("table_row", "kpi") or info.qtype not in ("count", "percent"):
        return 0.0
    label = label_of(c)
    if _SHARES.search(label):  # the row's own label says first (`% of audits` beside `Number of audits`)
        shares = True
    elif _COUNTS.search(label):
        shares = False
    else:
        shares = bool(_SHARES.search(f"{c.chunk.context} {c.chunk.section.split(' > ')[-1]}")) or "%" in c.quote_text
    return 1.0 if shares == (info.qtype == "count") else 0.0


def asks_target(info: QuestionInfo) -> bool:
    return bool(TARGET.search(info.text))


def states_target(text: str) -> bool:
    return bool(TARGET.search(text))


def prose_about_another_year(c: Candidate, year_miss: bool) -> float:
    """1 when the quote fits none of the asked years (`year_miss`), is prose rather than a table row or KPI
    (whose columns may restate earlier years), and does not give the year before its own: a sentence of
    another year's report ("In 2020, …", "This year, …") or one naming another year."""
    if not year_miss or c.chunk.kind in ("table_row", "kpi"):
        return 0.0
    return 0.0 if _PREVIOUS_YEAR.search(c.quote_text) else 1.0


def header_year_absent(info: QuestionInfo, c: Candidate) -> float:
    """1 when the quote is a table row whose columns are for years, the question names years, and neither
    the columns nor the row's text are for any of them (2021 asked, columns 2022 and 2023)."""
    if not info.years or c.chunk.kind != "table_row":
        return 0.0
    cols = header_years(c.chunk.header)
    if not cols or set(info.years) & cols:
        return 0.0
    return 0.0 if any(str(y) in c.quote_text for y in info.years) else 1.0
