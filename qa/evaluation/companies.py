"""Which company an eval question is about, and which company a quote comes from.

A question's company is its eval line's `company` (matched to a manifest company by name, see
`company_key`), else the company of its `report` (a report id or file name in the manifest), else
the corpus's only company when the manifest holds one. Quotes are attributed through their
citation's report id in the manifest (the citation's own `company`, where it has one, otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from qa.evaluation.dataset import EvalItem
from qa.models import Quote, ReportInfo

UNKNOWN_COMPANY = "unknown"
OUTSIDE_COMPANIES = "(not in the corpus)"  # the per-company row of questions on companies the manifest lacks

# legal-form and group words dropped from the end of a company name when matching names
_LEGAL_SUFFIXES = frozenset({
    "ag", "se", "kgaa", "gmbh", "co", "kg", "group", "corporation", "corp", "holding", "holdings",
    "inc", "incorporated", "ltd", "limited", "plc", "sa", "nv", "bv", "spa", "ab", "asa", "oyj",
})
_NAME_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def company_key(name: str) -> tuple[str, ...]:
    """A company name's matching key: lower-case word tokens, legal-form words dropped from the end
    ("INDUS Holding AG" -> ("indus",), "Xiaomi Corporation" -> ("xiaomi",))."""
    tokens = [t for t in _NAME_TOKEN.findall(name.lower()) if t != "and"]
    while len(tokens) > 1 and tokens[-1] in _LEGAL_SUFFIXES:
        tokens.pop()
    return tuple(tokens)


class CompanyIndex:
    """The manifest's companies, and lookups from names and report references to them."""

    def __init__(self, reports: Sequence[ReportInfo]) -> None:
        self.reports = list(reports)
        self.companies = sorted({r.company for r in self.reports})
        self._by_key = {company_key(c): c for c in self.companies}

    def canonical(self, name: str) -> str:
        """The manifest's spelling of a company name; a name the manifest lacks is returned as given."""
        key = company_key(name)
        if key in self._by_key:
            return self._by_key[key]
        for k, company in self._by_key.items():  # "Manz" for "Manz AG", "ATOSS" for "ATOSS Software AG"
            if key and (k[: len(key)] == key or key[: len(k)] == k):
                return company
        return name.strip()

    def report_company(self, ref: str) -> str | None:
        """The company of a report named by id, original file name, or source path."""
        for r in self.reports:
            if ref in (r.id, r.original_name, r.source, Path(r.source).name):
                return r.company
        return None

    def of_item(self, item: EvalItem) -> str:
        """The company an eval question is about (`UNKNOWN_COMPANY` when nothing says)."""
        if item.company:
            return self.canonical(item.company)
        if item.report and item.report != "both":
            company = self.report_company(item.report)
            if company is not None:
                return company
        if len(self.companies) == 1:
            return self.companies[0]
        return UNKNOWN_COMPANY

    def row_of(self, company: str) -> str:
        """The per-company breakdown row of a question's company: companies the manifest lacks
        (questions that should be refused) share one row."""
        if not self.companies or company in self.companies or company == UNKNOWN_COMPANY:
            return company
        return OUTSIDE_COMPANIES

    def of_quote(self, quote: Quote) -> str | None:
        """The company a quote comes from: its report's, else its citation's `company` if it has one."""
        company = self.report_company(quote.citation.report_id)
        if company is not None:
            return company
        cited = getattr(quote.citation, "company", None)
        return self.canonical(cited) if isinstance(cited, str) and cited else None

    def is_known_report(self, ref: str) -> bool:
        return self.report_company(ref) is not None
