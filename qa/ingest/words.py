"""Words with positions, size and weight, from PDFium's characters.

Coordinates are PDF points from the page's top-left corner (y grows downwards). A character's size
is the height of its loose box (font ascent to descent): PDFium reports the nominal font size before
the text matrix, which is often 1.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

_LIGATURES = {"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_SOFT_HYPHEN = {"\ufffe", "\u00ad", "\u0002"}
_BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demi", "extrab", "ultrab")


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    sup: bool = False  # a footnote mark (small, raised), set by the layout
    sub: bool = False  # a subscript digit (CO₂), set by the layout

    @property
    def mid_y(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class _Acc:
    chars: list[str]
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


def page_words(page: Any, page_height: float) -> list[Word]:
    """The words of one page, in PDFium's character order."""
    import pypdfium2.raw as raw_api

    textpage = page.get_textpage()
    raw = textpage.raw
    count = raw_api.FPDFText_CountChars(raw)
    rect = raw_api.FS_RECTF()
    name_buf = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    words: list[Word] = []
    acc: _Acc | None = None
    font_bold: dict[bytes, bool] = {}

    def flush() -> None:
        nonlocal acc
        if acc is not None:
            text = "".join(acc.chars)
            if text.strip():
                words.append(Word(text, acc.x0, acc.x1, acc.top, acc.bottom, acc.size, acc.bold))
        acc = None

    soft_break = False  # a space PDFium inserted itself: a break only where the gap is a real space
    for k in range(count):
        u = raw_api.FPDFText_GetUnicode(raw, k)
        ch = chr(u) if 0 < u < 0x110000 else ""
        if not ch or ch.isspace() or ch == "\x00":
            if ch == " " and acc is not None and raw_api.FPDFText_IsGenerated(raw, k) == 1:
                soft_break = True
            else:
                flush()
            continue
        if ch in _SOFT_HYPHEN:
            ch = "-"
        elif ch in _LIGATURES:
            ch = _LIGATURES[ch]
        elif ord(ch) < 32:
            continue
        raw_api.FPDFText_GetLooseCharBox(raw, k, rect)
        x0, x1 = rect.left, rect.right
        top, bottom = page_height - rect.top, page_height - rect.bottom
        size = bottom - top
        if size <= 0.5:
            continue
        weight = raw_api.FPDFText_GetFontWeight(raw, k)
        if acc is not None:
            gap = x0 - acc.x1
            same_line = abs(bottom - acc.bottom) <= 0.3 * acc.size
            same_size = 0.8 <= size / acc.size <= 1.25
            if not same_line or not same_size or gap > (0.2 if soft_break else 0.45) * acc.size \
                    or x0 < acc.x0 - 1:
                flush()  # letter-spaced capitals (`S E PA R AT E`) keep their words
        soft_break = False
        if acc is None:
            n = raw_api.FPDFText_GetFontInfo(raw, k, name_buf, len(name_buf), ctypes.byref(flags))
            name = name_buf.value if n else b""
            bold = font_bold.get(name)
            if bold is None:
                low = name.decode("latin-1").lower()
                bold = any(b in low for b in _BOLD_NAMES)
                font_bold[name] = bold
            acc = _Acc([ch], x0, x1, top, bottom, size, bold or weight >= 600)
        else:
            acc.chars.append(ch)
            acc.x1 = max(acc.x1, x1)
            acc.top = min(acc.top, top)
            acc.bottom = max(acc.bottom, bottom)
    flush()
    textpage.close()
    return words
