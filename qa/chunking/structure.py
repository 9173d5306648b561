"""Section structure and noise: headings, the chapter navigation, contents lists and disclosure indexes.

Two heading styles are recognised, whichever a report uses:
- numbered: `I. About the Report`, `1. Environmental Management`, `1.1 Green Operations` (numbers must
  advance in order, which rejects look-alikes such as a value line `2.22 MWh`);
- titled: short title-case lines on their own (`Energy Management`, `Key Environmental Indicators`).
A contents list (`CONTENTS` followed by chapter names) gives the chapter names; runs of those names
repeated as a running page header are navigation noise. A heading that names an index (`ESG INDEX`,
`Appendix 2: GRI Index`) starts the disclosure-index part, tagged `index`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.chunking.lines import Line, ends_sentence, is_bullet, is_footer, is_short_label, is_value, strip_marks

_ROMAN = re.compile(r"^(?P<num>[IVX]{1,5})\.\s+(?P<title>[A-Z][^\t]{2,90})$")
_CHAPTER = re.compile(r"^(?P<num>\d{1,2})\.\s+(?P<title>[A-Z][^\t]{2,90})$")
_SECTION = re.compile(r"^(?P<num>\d{1,2})\.(?P<sub>\d{1,2})\s+(?P<title>[A-Z][^\t]{2,90})$")
_INDEX_HEADING = re.compile(r"\b(?:index|content index|appendix)\b", re.IGNORECASE)
_DOT_LEADER = re.compile(r"(?:\s*[·.…]\s*){2,}\s*\d*\s*$|\s+\d{1,3}\s*$")
_SMALL = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "with"}
_ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}


@dataclass
class LineRole:
    """What a line is, structurally."""

    kind: str  # heading | navigation | contents | footer | body
    section: str = ""
    noise: str | None = None  # "index" | "navigation" for chunks made of this line


@dataclass
class Structure:
    roles: list[LineRole] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)  # (line no, section path)
    index_from: int | None = None  # first line of the disclosure-index part


def _title_case(text: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", text)]
    if not words or not words[0][0].isupper():
        return False
    significant = [w for w in words if w.lower() not in _SMALL]
    if not significant:
        return False
    upper = sum(1 for w in significant if w[0].isupper())
    return upper / len(significant) >= 0.75


def _contents_entries(lines: list[Line]) -> tuple[list[str], set[int]]:
    """Chapter names from a `CONTENTS` list, and the line numbers of that list."""
    entries: list[str] = []
    used: set[int] = set()
    for i, line in enumerate(lines[:200]):
        if line.text.upper() in ("CONTENTS", "TABLE OF CONTENTS"):
            used.add(i)
            j = i + 1
            while j < len(lines) and lines[j].blank:
                used.add(j)
                j += 1
            while j < len(lines) and not lines[j].blank and lines[j].words <= 14:
                name = _DOT_LEADER.sub("", lines[j].text).strip()
                if name:
                    entries.append(name)
                used.add(j)
                j += 1
            break
    return entries, used


def _nav_like(text: str, entries: list[str]) -> bool:
    if not entries:
        return False
    t = text.strip().lower()
    if len(t) < 6:
        return False
    return any(e.lower() == t or e.lower().startswith(t) or e.lower().endswith(t) for e in entries)


@dataclass(frozen=True)
class Hints:
    """Structure read from a PDF's layout: headings (line no -> level, title, first line of the heading?)
    and noise (line no -> header | footer | contents | index)."""

    headings: dict[int, tuple[int, str, bool]] = field(default_factory=dict)
    noise: dict[int, str] = field(default_factory=dict)


def analyse(lines: list[Line], hints: Hints | None = None) -> Structure:
    """Line roles. With `hints` (a PDF), headings and noise are the layout's; else they are read from the text."""
    if hints is not None:
        return _analyse_hinted(lines, hints)
    entries, contents_lines = _contents_entries(lines)
    numbered = _looks_numbered(lines)
    nonblank = [i for i, ln in enumerate(lines) if not ln.blank]
    next_nonblank: dict[int, int | None] = {}
    prev_nonblank: dict[int, int | None] = {}
    for k, i in enumerate(nonblank):
        next_nonblank[i] = nonblank[k + 1] if k + 1 < len(nonblank) else None
        prev_nonblank[i] = nonblank[k - 1] if k > 0 else None

    # navigation runs: >= 2 consecutive non-blank lines that are chapter names (or halves of one)
    nav: set[int] = set()
    k = 0
    while k < len(nonblank):
        run = []
        while k < len(nonblank) and _nav_like(lines[nonblank[k]].text, entries) and not lines[nonblank[k]].has_tab:
            run.append(nonblank[k])
            k += 1
        if len(run) >= 2:
            nav.update(run)
        k += 1 if not run else 0

    st = Structure()
    chapter = ""
    stack: list[str] = []
    last_was_heading = False
    cur_chapter_no = 0
    cur_section_no = 0
    roman_no = 0
    in_index = False
    for i, line in enumerate(lines):
        role = LineRole(kind="body")
        if line.blank:
            st.roles.append(LineRole(kind="blank", section=_path(chapter, stack)))
            continue
        if i in contents_lines:
            role = LineRole(kind="contents", noise="navigation")
        elif is_footer(line):
            role = LineRole(kind="footer", noise="navigation")
        elif i in nav:
            role = LineRole(kind="navigation", noise="navigation")
        else:
            heading: tuple[str, int] | None = None  # (title, level) level 0 = chapter
            if in_index:
                # inside the disclosure index only another index heading starts a section
                if is_short_label(line) and "index" in line.text.lower():
                    heading = (line.text, 0)
            elif numbered:
                heading = _numbered_heading(line, cur_chapter_no, cur_section_no, roman_no)
                if heading is not None:
                    title, level = heading
                    m_sec = _SECTION.match(line.text)
                    m_ch = _CHAPTER.match(line.text)
                    m_ro = _ROMAN.match(line.text)
                    if m_sec:
                        cur_section_no = int(m_sec.group("sub"))
                    elif m_ch:
                        cur_chapter_no, cur_section_no = int(m_ch.group("num")), 0
                    elif m_ro:
                        roman_no = _ROMAN_VALUES.get(m_ro.group("num"), roman_no)
                elif _INDEX_HEADING.search(line.text) and line.text.lower().startswith("appendix"):
                    heading = (line.text, 0)
            else:
                if line.text.strip() in entries or (_ROMAN.match(line.text) and _INDEX_HEADING.search(line.text)):
                    heading = (line.text, 0)
                elif _is_titled_heading(line, lines, next_nonblank.get(i)):
                    heading = (line.text, 1)
            if heading is not None:
                title, level = heading
                title = strip_marks(title)
                if _INDEX_HEADING.search(title) and (
                    "index" in title.lower() or title.lower().startswith("appendix")
                ):
                    in_index = True
                if level == 0:
                    chapter, stack = title, []
                    last_was_heading = True
                elif numbered:
                    stack = [title]
                    last_was_heading = True
                else:
                    if not last_was_heading or len(stack) >= 3:
                        stack = []
                    stack.append(title)
                    last_was_heading = True
                role = LineRole(kind="heading", section=_path(chapter, stack))
                st.headings.append((i, role.section))
                if in_index and st.index_from is None:
                    st.index_from = i
                st.roles.append(role)
                continue
            last_was_heading = False
        role.section = _path(chapter, stack)
        if in_index and role.noise is None:
            role.noise = "index"
        st.roles.append(role)
    return st


def _path(chapter: str, stack: list[str]) -> str:
    parts = ([chapter] if chapter else []) + stack
    return " > ".join(parts)


def _looks_numbered(lines: list[Line]) -> bool:
    count = sum(1 for ln in lines if _SECTION.match(ln.text) and not is_value(ln))
    return count >= 3


def _numbered_heading(line: Line, chapter_no: int, section_no: int, roman_no: int) -> tuple[str, int] | None:
    text = line.text
    if is_value(line) or line.words > 14 or ends_sentence(text) or line.has_tab:
        return None
    m = _SECTION.match(text)
    if m:
        ch, sub = int(m.group("num")), int(m.group("sub"))
        if ch == chapter_no and sub == section_no + 1:
            return (f"{text}", 1)
        return None
    m = _CHAPTER.match(text)
    if m and int(m.group("num")) == chapter_no + 1:
        return (text, 0)
    m = _ROMAN.match(text)
    if m and chapter_no == 0 and _ROMAN_VALUES.get(m.group("num"), 0) == roman_no + 1:
        return (text, 0)
    return None


def _is_titled_heading(line: Line, lines: list[Line], nxt: int | None) -> bool:
    text = line.text
    if not is_short_label(line) or is_value(line) or is_bullet(line):
        return False
    if len(text) < 4 or line.words > 10 or any(ch in text for ch in "@|"):
        return False
    if text[0].isdigit() or not _title_case(text):
        return False
    if nxt is not None and is_value(lines[nxt]):
        return False  # a KPI label, not a heading
    return not (nxt is not None and lines[nxt].text[:1].islower())


def _analyse_hinted(lines: list[Line], hints: Hints) -> Structure:
    st = Structure()
    stack: list[tuple[int, str]] = []  # (level, title): a heading closes every open one of its level or deeper
    section = ""
    for i, line in enumerate(lines):
        if line.blank:
            st.roles.append(LineRole(kind="blank", section=section))
            continue
        noise = hints.noise.get(i)
        heading = hints.headings.get(i)
        if noise in ("header", "footer"):
            st.roles.append(LineRole(kind="footer", section=section, noise="navigation"))
            continue
        if noise == "contents":
            st.roles.append(LineRole(kind="contents", section=section, noise="navigation"))
            continue
        if heading is not None:
            level, title, first = heading
            if first:
                stack = [*[e for e in stack if e[0] < level], (level, strip_marks(" ".join(title.split())))]
                section = " > ".join(t for _lv, t in stack)
                st.headings.append((i, section))
                if noise == "index" and st.index_from is None:
                    st.index_from = i
            st.roles.append(LineRole(kind="heading", section=section))
            continue
        st.roles.append(LineRole(kind="body", section=section, noise="index" if noise == "index" else None))
    return st
