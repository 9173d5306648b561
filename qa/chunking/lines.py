"""Line-level view of a report: offsets plus a first classification of each line."""

from __future__ import annotations

import re
from dataclasses import dataclass

BULLETS = "•·▪●◦‧-–*"
_BULLET = re.compile(r"^\s*[•·▪●◦‧]\s*\S")
_VALUE = re.compile(
    r"^\s*(?:approx(?:imately)?\.?\s*|over\s+|about\s+|[<>≈~]\s*)?"
    r"(?:RMB|HK\$|US\$|USD|\$|€)?\s?\d[\d,.\s]*\d?\s*"
    r"(?:%|[A-Za-z][A-Za-z/²³0-9%.]*(?:\s[A-Za-z][A-Za-z/²³.]*)?)?\s*$"
)
_UNITS = {
    "t", "mwh", "kwh", "gwh", "twh", "tco2e", "t/m2", "mwh/m2", "kwh/m2", "m3", "m³", "kg", "tonnes", "tons",
    "million", "billion", "thousand", "hours", "rmb", "usd", "hk$", "gj", "tj", "mw", "kw", "approximately",
}
_NUMBERED = re.compile(r"^\d{1,2}\.\s+[A-Z]")
_FOOTER = re.compile(r"^\s*\d{1,3}(?:19|20)\d\d ANNUAL REPORT\s*$")
_TERMINAL = re.compile(r"[.!?;:。](?:[\"”’)\]]|\s*\d{1,2})?\s*$")
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


@dataclass
class Line:
    no: int  # 0-based line number
    start: int  # offset of the first non-blank character
    end: int  # offset after the last non-blank character
    raw_start: int  # offset of the line's first character
    text: str  # stripped line text
    raw: str = ""  # the line as printed (tabs kept), without its newline

    @property
    def blank(self) -> bool:
        return not self.text

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def has_tab(self) -> bool:
        return "\t" in self.raw


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    pos = 0
    for no, raw in enumerate(text.split("\n")):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            trail = len(raw.rstrip())
            lines.append(Line(no, pos + lead, pos + trail, pos, stripped, raw))
        else:
            lines.append(Line(no, pos, pos, pos, "", raw))
        pos += len(raw) + 1
    return lines


def is_bullet(line: Line) -> bool:
    return bool(_BULLET.match(line.text))


def is_value(line: Line) -> bool:
    """A line that is only a figure with an optional unit (`31,347.06 t`, `0.061 t/m2`, `92%`)."""
    t = line.text
    if line.has_tab or len(t) > 32 or not any(c.isdigit() for c in t) or t.endswith(".") or _NUMBERED.match(t):
        return False
    m = _VALUE.match(t)
    if not m:
        return False
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z/²³0-9%.]*", t)]
    return len(words) <= 2 and all(w.lower() in _UNITS or (w.islower() and len(w) <= 10) for w in words)


def is_footer(line: Line) -> bool:
    return bool(_FOOTER.match(line.text))


def ends_sentence(text: str) -> bool:
    return bool(_TERMINAL.search(text))


_DANGLING = re.compile(
    r"\b(?:a|an|and|as|at|by|for|from|in|into|of|on|or|over|than|that|the|to|with|more|approximately|about)$",
    re.IGNORECASE,
)


def is_short_label(line: Line) -> bool:
    """A short caption-like line: a KPI label or a heading candidate."""
    t = line.text
    return (
        0 < len(t) <= 80
        and not t[:1].islower()
        and not _DANGLING.search(t)
        and line.words <= 12
        and not line.has_tab
        and not is_bullet(line)
        and not ends_sentence(t)
        and not t.endswith(",")
    )


def strip_marks(title: str) -> str:
    """A heading without its trailing footnote mark (`Key Environmental Indicators 36` → `… Indicators`)."""
    t = title.rstrip(SUPERSCRIPTS + " ").strip()
    m = re.match(r"^(.*[A-Za-z)])\s?\d{1,2}$", t)
    if m and len(m.group(1).split()) >= 2 and not re.search(r"\b(?:Step|Scope|No|Top|Mi|Chapter)$", m.group(1)):
        t = m.group(1)
    return t.strip()
