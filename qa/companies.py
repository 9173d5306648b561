"""Companies: aliases derived from a company's name, and the companies a question names.

Company names come only from the report manifest. A name matches a question as a whole word
(possessives "Merck's", "Siemens'" included), case-insensitively, except a one-word name that is also
an ordinary word ("Max", "Indus", "Total"): that matches only as written in the manifest, and a
Title-case one not as the first word of a sentence (unless possessive), so "What is the max…" or
"Total emissions in 2022?" names no company.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qa.errors import UnknownCompany
from qa.lexical import STOPWORDS
from qa.models import ReportInfo

# Legal forms and group words dropped from the end of a company's name to derive its short name
# (compared lower-case, without dots): "INDUS Holding AG" -> "INDUS", "Xiaomi Corporation" -> "Xiaomi".
LEGAL_FORMS = frozenset(
    {
        "ag", "se", "kgaa", "gmbh", "kg", "ohg", "mbh", "aktiengesellschaft", "plc", "inc", "incorporated",
        "corporation", "corp", "ltd", "limited", "llc", "llp", "lp", "holding", "holdings", "group", "sa",
        "nv", "bv", "co", "company", "spa", "sas", "sarl", "ab", "asa", "a/s", "as", "oyj", "pte", "pty",
        "bhd", "berhad", "tbk", "kk",
    }
)
_JOINERS = frozenset({"&", "and", "+", "-", "–"})
# Strong legal forms: a capitalised name followed by one of these names a company ("Siemens AG").
_STRONG_FORM = (
    r"(?:AG|SE|KGaA|GmbH|plc|PLC|Inc\.?|Corp\.?|Corporation|Ltd\.?|LLC|S\.A\.|N\.V\.|S\.p\.A\.|Co\.,? Ltd\.?)"
)
_CAP_WORD = r"[A-Z][\w&.-]*"
_WITH_FORM = re.compile(rf"((?:{_CAP_WORD}\s+){{1,3}}){_STRONG_FORM}(?![\w])")
_POSSESSIVE = re.compile(rf"((?:{_CAP_WORD}\s+){{0,2}}[A-Z][\w&-]*?)(?:['’]s|(?<=s)['’])(?!\w)")
_DETERMINERS = frozenset({"the", "its", "our", "their", "this", "that", "your", "his", "her", "a", "an", "my"})
_SENTENCE_START = re.compile(r"(?:^|[.!?:;][\"'”’)\]]*\s+)[\"'“‘(\[]*$")
_POSSESSIVE_AFTER = re.compile(r"['’](?:s\b|(?!\w))")
_CAPS_NAME = re.compile(r"[A-Z][A-Z0-9&]{2,}")
_NAME_WORD = re.compile(r"^(?:[A-Za-z][A-Za-z.-]*[A-Za-z]\.?|[\w.-]*&[\w.-]*)$")


def _norm(token: str) -> str:
    return token.strip(",;").replace(".", "").lower()


def derive_aliases(company: str) -> list[str]:
    """The company's short names: legal forms and group words dropped from the end, and a first word printed in
    capitals on its own ([] if none)."""
    words = company.split()
    if len(words) > 1 and words[0].lower() == "the":
        words = words[1:]
    dropped = False
    while len(words) > 1:
        last = _norm(words[-1])
        if last in LEGAL_FORMS or all(p in LEGAL_FORMS for p in last.split(",") if p) and "," in last:
            words.pop()
            dropped = True
        elif dropped and last in _JOINERS:
            words.pop()
        else:
            break
    alias = " ".join(words).rstrip(" ,;&")
    out = [alias] if alias and alias.casefold() != company.strip().casefold() else []
    # a first word printed in capitals is the name people use on its own ("MAX" of "MAX Automation SE",
    # "ATOSS" of "ATOSS Software AG"); as a word other reports use too it is matched only as written
    if len(words) > 1 and _CAPS_NAME.fullmatch(words[0]) and words[0] not in out:
        out.append(words[0])
    return out


def merge_aliases(company: str, aliases: Iterable[str]) -> list[str]:
    """Aliases without blanks, duplicates (ignoring case) or the company's own name."""
    out: list[str] = []
    seen = {company.strip().casefold()}
    for alias in aliases:
        alias = " ".join(alias.split())
        if alias and alias.casefold() not in seen:
            seen.add(alias.casefold())
            out.append(alias)
    return out


class CorpusWords:
    """What the indexed text says about a word: is it an ordinary (lower-case) word, is it there at all.

    Built lazily from the chunk texts, so a service that never needs it never pays for it.
    """

    def __init__(self, texts: Callable[[], Iterable[tuple[str, str]]]) -> None:
        self._texts = texts  # (report id, text) pairs
        self._by_report: dict[str, str] | None = None
        self._text: str | None = None
        self._folded: str | None = None
        self._ordinary: dict[tuple[str, frozenset[str]], bool] = {}

    @property
    def by_report(self) -> dict[str, str]:
        if self._by_report is None:
            parts: dict[str, list[str]] = {}
            for rid, text in self._texts():
                parts.setdefault(rid, []).append(text)
            self._by_report = {rid: "\n".join(p) for rid, p in parts.items()}
        return self._by_report

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "\n".join(self.by_report.values())
        return self._text

    def is_ordinary(self, word: str, own: frozenset[str] = frozenset()) -> bool:
        """A stop word, or a word the reports write in lower case in running text (not in a URL).
        `own`: reports left out of the test (a company's own reports may write its name in lower case)."""
        low = word.lower()
        if low in STOPWORDS:
            return True
        key = (low, own)
        if key not in self._ordinary:
            text = self.text if not own else "\n".join(t for rid, t in self.by_report.items() if rid not in own)
            self._ordinary[key] = _occurs(text, low, "./@&-", "/@&-" + _HYPHENS, dotted_after=True)
        return self._ordinary[key]

    def mentions(self, phrase: str) -> bool:
        """Whether the reports contain the phrase as whole words, in any case."""
        if self._folded is None:
            self._folded = " ".join(self.text.casefold().split())
        needle = " ".join(phrase.casefold().split())
        return bool(needle) and _occurs(self._folded, needle, "", "")


_HONORIFICS = frozenset({"dr", "mr", "mrs", "ms", "prof", "sir", "dame"})
_HYPHENS = "\u00ad\ufffe\u2010\u2011"


def _occurs(text: str, needle: str, not_before: str, not_after: str, dotted_after: bool = False) -> bool:
    """`needle` in `text` as a whole word: no letter or digit (or one of the given marks) next to it."""
    i = text.find(needle)
    while i != -1:
        j = i + len(needle)
        before = text[i - 1] if i > 0 else " "
        after = text[j] if j < len(text) else " "
        dotted = dotted_after and after == "." and j + 1 < len(text) and text[j + 1].isalnum()
        if not (before.isalnum() or before == "_" or before in not_before) and not (
            after.isalnum() or after == "_" or after in not_after or dotted
        ):
            return True
        i = text.find(needle, i + 1)
    return False


def _no_words(_word: str, _own: frozenset[str] = frozenset()) -> bool:
    return False


@dataclass(frozen=True)
class _Name:
    text: str
    companies: tuple[str, ...]
    pattern: re.Pattern[str]
    cased: bool  # an ordinary word: matched only as written in the manifest


def _pattern(name: str, flags: int) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(w) for w in name.split())
    return re.compile(rf"(?<![\w&]){body}(?![\w&])", flags)


class CompanyDirectory:
    """The corpus's companies, their aliases and reports; finds the companies a text names."""

    def __init__(self, reports: Iterable[ReportInfo], is_ordinary: Callable[..., bool] | None = None) -> None:
        self._is_ordinary = is_ordinary or _no_words
        self._report_company: dict[str, str] = {}
        self._reports: dict[str, list[str]] = {}
        self._aliases: dict[str, list[str]] = {}
        for r in reports:
            self._report_company[r.id] = r.company
            self._reports.setdefault(r.company, []).append(r.id)
            known = self._aliases.setdefault(r.company, [])
            known.extend(merge_aliases(r.company, [*known, *r.aliases])[len(known):])
        by_name: dict[str, list[str]] = {}
        spelled: dict[str, str] = {}
        for company in self._reports:
            for name in [company, *self._aliases[company]]:
                key = name.casefold()
                spelled.setdefault(key, name)
                if company not in by_name.setdefault(key, []):
                    by_name[key].append(company)
        self._by_name = by_name
        self._names: list[_Name] | None = None
        self._spelled = spelled

    # ------------------------------------------------------------------ the registry
    @property
    def companies(self) -> list[str]:
        return list(self._reports)

    def aliases(self, company: str) -> list[str]:
        return list(self._aliases.get(company, []))

    def company_of(self, report_id: str) -> str | None:
        return self._report_company.get(report_id)

    def report_ids(self, companies: Iterable[str]) -> list[str]:
        return [rid for company in companies for rid in self._reports.get(company, [])]

    def resolve(self, names: Iterable[str]) -> list[str]:
        """Companies by name or alias, ignoring case; an unknown one raises `UnknownCompany`."""
        out: list[str] = []
        for name in names:
            found = self._by_name.get(" ".join(name.split()).casefold())
            if not found:
                raise UnknownCompany(
                    f"Unknown company {name!r}. Companies in the corpus: {self.listing()}."
                )
            out.extend(c for c in found if c not in out)
        return out

    def listing(self, companies: Iterable[str] | None = None) -> str:
        """`A, B and C` (every company of the corpus by default)."""
        names = list(self._reports if companies is None else companies)
        if len(names) <= 1:
            return "".join(names)
        return f"{', '.join(names[:-1])} and {names[-1]}"

    # ------------------------------------------------------------------ detection
    def _compiled(self) -> list[_Name]:
        if self._names is None:
            names: list[_Name] = []
            for key, companies in self._by_name.items():
                text = self._spelled[key]
                # an ordinary word in other companies' reports ("Total"); a company's own reports may
                # write its name in lower case as a brand style
                own = frozenset(self.report_ids(companies))
                cased = len(text.split()) == 1 and text.isalpha() and self._is_ordinary(text, own)
                names.append(_Name(text, tuple(companies), _pattern(text, 0 if cased else re.IGNORECASE), cased))
            self._names = names
        return self._names

    def mentions(self, text: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, companies) of every name in `text`; the longest wins where names overlap."""
        found: list[tuple[int, int, tuple[str, ...]]] = []
        for name in self._compiled():
            for m in name.pattern.finditer(text):
                if name.cased and not _counts_as_name(text, m.start(), m.end(), name.text):
                    continue
                found.append((m.start(), m.end(), name.companies))
        found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
        kept: list[tuple[int, int, tuple[str, ...]]] = []
        for f in found:
            if all(f[1] <= k[0] or f[0] >= k[1] for k in kept):
                kept.append(f)
        return sorted(kept)

    def named_in(self, text: str) -> list[str]:
        """The companies `text` names, in the order it first names them."""
        out: list[str] = []
        for _start, _end, companies in self.mentions(text):
            out.extend(c for c in companies if c not in out)
        return out

    def absent_named_in(self, text: str, mentioned: Callable[[str], bool]) -> list[str]:
        """Companies `text` names that are not in the corpus.

        A capitalised name before a legal form ("Siemens AG": a company, even one the reports name as a
        customer or partner), or a capitalised possessive ("Tesla's") that is no known company, no
        ordinary word and appears nowhere in the reports (`mentioned`), so "Germany's" or "the Group's"
        are not taken.
        """
        taken = [(s, e) for s, e, _c in self.mentions(text)]
        out: list[str] = []
        for pattern, keep_form in ((_WITH_FORM, True), (_POSSESSIVE, False)):
            for m in pattern.finditer(text):
                start = m.start(1)
                words = m.group(1).split()
                while words and (self._is_ordinary(words[0].strip(".'’")) or words[0].lower() in STOPWORDS):
                    start = text.index(words[0], start) + len(words[0])
                    words = words[1:]
                if not words or not all(_NAME_WORD.match(w) for w in words):
                    continue
                before = text[:start].split()
                if before and before[-1].lower() in _DETERMINERS:
                    continue
                if any(s < m.end() and start < e for s, e in taken):
                    continue
                name = " ".join(words)
                if len(words) == 1 and self._is_ordinary(name):
                    continue
                if words[0].rstrip(".").lower() in _HONORIFICS:
                    continue  # "Dr. Lee's": a person, not a company
                if not keep_form and (mentioned(name) or (len(words) == 1 and mentioned(words[-1]))):
                    continue  # a possessive name the reports use (a place, a product, a person)
                full = text[start : m.end()].strip() if keep_form else name
                if full not in out:
                    out.append(full)
        return out


def _counts_as_name(text: str, start: int, end: int, name: str) -> bool:
    """A Title-case ordinary word opening a sentence is the word, unless it is possessive."""
    if not (name[:1].isupper() and name[1:].islower()):
        return True
    if _SENTENCE_START.search(text[:start]) is None:
        return True
    return _POSSESSIVE_AFTER.match(text, end) is not None
