"""BM25 over chunks, with a tokenizer that keeps figures, units and codes intact.

`31,347.06` → `31347.06`; `ISO14001` and `ISO 14001` both give `iso14001`; `Scope 1` gives `scope1`;
`tCO2e`, `MWh`, `97.67%` stay single tokens. Footnote marks glued to words (`Emissions3`) also
yield the bare word.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Set as AbstractSet
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

_DIGIT_COMMA = re.compile(r"(?<=\d)[,](?=\d{3}\b)")
_TOKEN = re.compile(r"[a-z]+\d+[a-z0-9]*|\d+(?:\.\d+)?%?|[a-z]+")
_SPLIT_ALNUM = re.compile(r"^([a-z]+)(\d+)$")
STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "from", "by", "with", "as", "is", "are", "was", "were", "be", "been", "being", "this", "that", "these", "those", "it", "its", "we", "our", "us", "you", "your", "they", "their", "them", "he", "she", "his", "her", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "does", "do", "did", "done", "has", "have", "had", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "than", "then", "there", "here", "about", "into", "over", "under", "per", "also", "such", "not", "no", "nor", "so", "if", "but", "any", "all", "each", "both", "either", "some", "more", "most", "much", "many", "very", "just", "only", "own", "same", "other", "s", "t"]
)
# a band of a count or an age (`under 30`, `< 30 years`, `over 50`, `50+`, `30-50`): one token each, so that
# `under 30` matches the row `<30` and not `30-50`
_BELOW = r"(?:<|≤|under|below|less than|fewer than|younger than)"
_ABOVE = r"(?:>|≥|over|above|more than|older than)"
_BAND = re.compile(
    rf"(?<![\w.])(?:(?P<lt>{_BELOW})\s*(?P<a>\d{{1,3}})|(?P<gt>{_ABOVE})\s*(?P<b>\d{{1,3}})|(?P<c>\d{{1,3}})\s*\+"
    rf"|(?P<lo>\d{{1,3}})\s*(?:-|–|‒|—|to)\s*(?P<hi>\d{{1,3}}))(?![\d.,]\d|\d)"
)
_CHAIN_GAP = re.compile(r" ?(?:[+&,/]|and|or|, and) ?")  # `scope 1+2`, `scope 1 and 2`, `scope 1, 2 and 3`
_CODE_PREFIX = frozenset({"iso", "scope", "gri", "sdg", "sdgs", "ohsas", "sa", "iec", "gb", "tr", "ipc", "sasb", "a", "b"})


# British spellings, written the American way before stemming, so that either matches the other
# (`organisation` / `organization`, `labour` / `labor`, `centre` / `center`, `programme` / `program`)
_BRITISH = (
    (re.compile(r"isation(s?)$"), r"ization\1"),
    (re.compile(r"(?<=[a-z]{3})(?<!w)is(e|es|ed|ing|er|ers)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{3})ys(e|es|ed|ing)$"), r"yz\1"),
    (re.compile(r"(?<=[a-z]{3})our(s|ed|ing|able|ably|ful|ite|ites)?$"), r"or\1"),
    (re.compile(r"(?<=[a-z]{2})([tb])re(s?)$"), r"\1er\2"),
    (re.compile(r"(?<=[a-z]{3})amme(s?)$"), r"am\1"),
    (re.compile(r"(?<=[a-z]{3})ogue(s?)$"), r"og\1"),
)
# words that end like a British spelling but are spelled so in American English too
_NOT_BRITISH = frozenset(
    "exercise enterprise advertise compromise franchise merchandise expertise premise promise surprise supervise "
    "televise revise devise advise comprise improvise disguise precise concise paradise praise cruise bruise chemise "
    "treatise demise excise incise reprise despise contour detour devour velour troubadour paramour".split()
)


@lru_cache(maxsize=65536)
def american(word: str) -> str:
    """`organisation` → `organization`, `labour` → `labor`, `centre` → `center` (other words unchanged;
    cached, so each distinct word is tried against the patterns once)."""
    root = re.sub(r"(s|d|r|rs|ing)$", "", word)
    if word in _NOT_BRITISH or root in _NOT_BRITISH or root + "e" in _NOT_BRITISH:
        return word
    for pattern, repl in _BRITISH:
        new = pattern.sub(repl, word)
        if new != word:
            return new
    return word


def _stem(tok: str) -> str:
    """A light suffix stripper: invested/investment/investing → invest, hires/hired → hire."""
    tok = american(tok)
    if len(tok) > 4 and tok.endswith("ies"):
        return tok[:-3] + "y"
    if len(tok) > 3 and tok.endswith("s") and not tok.endswith(("ss", "us", "is")):
        tok = tok[:-1]
    for suf in ("ments", "ment", "ing", "ed"):
        if len(tok) > len(suf) + 2 and tok.endswith(suf):
            base = tok[: -len(suf)]
            if suf == "ed" and base.endswith("i"):
                base = base[:-1] + "y"
            if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "ls":
                base = base[:-1]
            tok = base
            break
    if len(tok) > 3 and tok.endswith("e"):
        tok = tok[:-1]
    return tok


def _load_vocabulary() -> dict[str, list[str]]:
    """Analysts' words -> the reports' words, from `qa/data/esg_vocabulary.json` (each entry with its source)."""
    path = Path(__file__).with_name("data") / "esg_vocabulary.json"
    entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
    return {str(e["term"]): [str(w) for w in e["report_words"]] for e in entries}


SYNONYMS: dict[str, list[str]] = _load_vocabulary()
_SYN_PATTERNS = [
    (k, re.compile(rf"(?<![\w-]){re.escape(k)}(?![\w-])", re.IGNORECASE), " ".join(v)) for k, v in SYNONYMS.items()
]


def synonyms_in(text: str) -> list[tuple[str, str]]:
    """(analyst word, the reports' words for it) for every SYNONYMS key the text uses."""
    return [(k, v) for k, pat, v in _SYN_PATTERNS if pat.search(text)]


def expand(query: str) -> str:
    """The query plus synonyms of analyst words it uses (for BM25 and term coverage)."""
    extra = [v for _, v in synonyms_in(query)]
    return query if not extra else f"{query} {' '.join(extra)}"


def tokenize(text: str) -> list[str]:
    """BM25's and the term signals' words of `text`: lower-cased, stemmed, stop words left out, codes joined
    (`scope 1` → `scope1`), bands named (`<30` → `lt30`). The same texts (a quote's clauses, row labels, column
    headers) are tokenized for question after question: the result is cached, and a fresh list returned."""
    return list(_tokens(text))


@lru_cache(maxsize=65_536)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_tokenize(text))


def _tokenize(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGIT_COMMA.sub("", text)
    out: list[str] = []
    prev: str | None = None
    chain: tuple[str, int] | None = None  # (code, its number's length) after `scope 1`: `scope 1 and 2` → scope2
    end = 0
    for match in _TOKEN.finditer(text):
        tok = match.group()
        if chain is not None and tok in ("and", "or"):
            continue  # part of the gap to the next number
        gap, end = text[end : match.start()], match.end()
        if chain is not None and not (tok[0].isdigit() and len(tok) == chain[1] and _CHAIN_GAP.fullmatch(gap)):
            chain = None
        alnum = _SPLIT_ALNUM.match(tok)
        if alnum:
            word, num = alnum.groups()
            out.append(tok)  # iso14001, emissions3
            if word not in STOPWORDS:
                out.append(_stem(word))
            if len(num) >= 3:
                out.append(num)
            prev = word
            continue
        if tok[0].isdigit():
            bare = tok.rstrip("%")
            out.append(bare)
            if tok.endswith("%"):
                out.append(tok)
            if prev is not None and prev in _CODE_PREFIX and "." not in bare and len(bare) <= 6:
                out.append(prev + bare)  # iso 14001 -> iso14001, scope 1 -> scope1
                chain = (prev, len(tok))
            elif chain is not None:
                out.append(chain[0] + bare)  # scope 1+2, scope 1 and 2, iso 14001 and 45001
            prev = None
            continue
        if tok not in STOPWORDS:
            out.append(tok if any(ch.isdigit() for ch in tok) else _stem(tok))
        prev = tok
    for band in _BAND.finditer(text):
        if band["a"]:
            out.append(f"lt{band['a']}")
        elif band["b"] or band["c"]:
            out.append(f"gt{band['b'] or band['c']}")
        elif int(band["lo"]) < int(band["hi"]):
            out.append(f"{band['lo']}to{band['hi']}")
    return out


# the endings that make a place's adjective from its name (Swedish/Sweden, Austrian/Austria, German/Germany,
# Chinese/China, "chines" after `_stem`): a stem of four letters or more, and the name's own ending after it
_PLACE_ADJECTIVE = ("ish", "ian", "ean", "ese", "es", "an")
_PLACE_ENDING = frozenset(("a", "e", "y", "o", "en", "ia", "any"))
_NOT_PLACE = re.compile(r"median$|ician$")  # "median" is not of the media, a "musician" not of music


def _place_stem(tok: str) -> tuple[str, str] | None:
    if _NOT_PLACE.search(tok):
        return None
    for suf in _PLACE_ADJECTIVE:
        if tok.endswith(suf) and len(tok) - len(suf) >= 4 and len(tok) >= 6:
            return tok[: -len(suf)], suf
    return None


def _same_place(a: str, b: str) -> bool:
    """Whether one token is the other's place adjective ("swedish" and "sweden")."""
    for adj, name in ((a, b), (b, a)):
        found = _place_stem(adj)
        if found is None or name == adj or not name.startswith(found[0]):
            continue
        ending = name[len(found[0]) :]
        if ending in _PLACE_ENDING or (ending == "" and found[1] == "ean"):  # "europ" (`_stem` of Europe)
            return True
    return False


def named_by(words: AbstractSet[str], terms: AbstractSet[str]) -> set[str]:
    """The `words` (tokens of a column header) that `terms` (a question's tokens) name: the same token, or a
    place and its adjective ("Sweden" column, "Swedish portfolio" asked)."""
    return {w for w in words if w in terms or any(_same_place(w, t) for t in terms)}


class BM25Index:
    """bm25s over pre-tokenised chunks; scores every chunk for a query."""

    def __init__(self) -> None:
        self._bm25: Any = None
        self.size = 0

    def build(self, texts: list[str]) -> BM25Index:
        import bm25s

        corpus = [tokenize(t) or ["__empty__"] for t in texts]
        self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
        self._bm25.index(corpus, show_progress=False)
        self.size = len(texts)
        return self

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, size: int) -> BM25Index:
        import bm25s

        obj = cls()
        obj._bm25 = bm25s.BM25.load(str(directory), show_progress=False, mmap=False)
        obj.size = size
        return obj

    def scores(self, query: str) -> np.ndarray:
        toks = [t for t in tokenize(query) if t in self._vocab()]
        if not toks:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(toks), dtype=np.float32)

    def _vocab(self) -> dict[str, int]:
        vocab: dict[str, int] = self._bm25.vocab_dict
        return vocab
