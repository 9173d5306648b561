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
    rotated: bool = False  # printed at an angle (a vertical column heading): kept apart from the rows
    frame: int = 0  # a rotated word's reading direction (see `page_words`)
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


def _frame_of(angle: float) -> int:
    """The direction of a character (PDFium's angle, clockwise): 0 (left to right), 90 (downwards),
    270 (upwards), -1 any other."""
    if angle < 0.05 or angle > 6.23:
        return 0
    if abs(angle - 1.5708) < 0.05:
        return 90
    if abs(angle - 4.7124) < 0.05:
        return 270
    return -1


def page_words(page: Any, frame: int = 0) -> list[Word]:
    """The words of one page, in PDFium's character order, in the coordinates of a reader who turned
    the page so that text of reading direction `frame` runs left to right (0 for an upright page, 90
    or 270 for a landscape page printed sideways). Text in any other direction comes as `rotated`
    words."""
    width, page_height = page.get_size()
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

    rot: list[tuple[str, float, float, float, float, int]] = []  # the current word in another direction

    def flush_rotated() -> None:
        if rot:
            text = "".join(c for c, *_ in rot)
            x0, x1 = min(r[1] for r in rot), max(r[2] for r in rot)
            top, bottom = min(r[3] for r in rot), max(r[4] for r in rot)
            words.append(Word(text, x0, x1, top, bottom, min(x1 - x0, bottom - top), False, rotated=True,
                              frame=rot[0][5]))
            rot.clear()

    soft_break = False  # a space PDFium inserted itself: a break only where the gap is a real space
    for k in range(count):
        u = raw_api.FPDFText_GetUnicode(raw, k)
        ch = chr(u) if 0 < u < 0x110000 else ""
        if not ch or ch.isspace() or ch == "\x00":
            if ch == " " and acc is not None and raw_api.FPDFText_IsGenerated(raw, k) == 1:
                soft_break = True
            else:
                flush()
            flush_rotated()
            continue
        if ch in _SOFT_HYPHEN:
            ch = "-"
        elif ch in _LIGATURES:
            ch = _LIGATURES[ch]
        elif ord(ch) < 32:
            continue
        raw_api.FPDFText_GetLooseCharBox(raw, k, rect)
        if frame == 270:  # PDFium's angle runs clockwise: 270 reads upwards, the next line to the right
            x0, x1, top, bottom = rect.bottom, rect.top, rect.left, rect.right
        elif frame == 90:  # reads downwards, the next line to the left
            x0, x1, top, bottom = page_height - rect.top, page_height - rect.bottom, width - rect.right, width - rect.left
        else:
            x0, x1 = rect.left, rect.right
            top, bottom = page_height - rect.top, page_height - rect.bottom
        angle = _frame_of(raw_api.FPDFText_GetCharAngle(raw, k))
        if angle != frame:
            flush()
            rot.append((ch, x0, x1, top, bottom, angle))
            continue
        flush_rotated()
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
    flush_rotated()
    textpage.close()
    return words
