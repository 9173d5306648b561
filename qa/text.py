"""Small text helpers shared by every stage (normalisation, whitespace, numbers)."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d)")


def collapse_ws(text: str) -> str:
    """Collapse every whitespace run to one space and strip the ends."""
    return _WS.sub(" ", text).strip()


def normalize(text: str) -> str:
    """The metric's normal form: NFKC, lower case, no commas between digits, collapsed whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGIT_COMMA.sub("", text)
    return collapse_ws(text)


_TOKEN = re.compile(r"\d+(?:\.\d+)?%?|[^\W\d_]+|\d+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Normalised word and number tokens (for containment checks)."""
    return _TOKEN.findall(normalize(text))


def contains_tokens(haystack: str, needle: str) -> bool:
    """True when `needle`'s normalised token sequence occurs in `haystack` as a whole sequence."""
    h = tokens(haystack)
    n = tokens(needle)
    if not n or len(n) > len(h):
        return False
    first = n[0]
    return any(tok == first and h[i:i + len(n)] == n for i, tok in enumerate(h))


def same_span(source_text: str, start: int, end: int, quote: str) -> bool:
    """The verbatim promise: whitespace-collapsed source[start:end] equals whitespace-collapsed quote."""
    return collapse_ws(source_text[start:end]) == collapse_ws(quote)
