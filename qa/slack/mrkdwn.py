"""Safe Slack mrkdwn from untrusted text (report passages, questions), and plain text from Slack's.

Slack parses `&`, `<` and `>` as control characters (`<!channel>` pings a channel, `<url|label>`
forms a link), so they are always entity-escaped. Slack has no escape for the formatting marks
`*`, `_`, `~` and backtick; a zero-width space does *not* neutralise them (Slack treats it as a word
boundary, which is how it *enables* formatting inside words). Instead each mark is written as the
fallback text of an invalid date token, `<!date^00000000^{_}|*>`, which every Slack client shows
as the plain character. The visible text stays the report's own words.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
SOFT_HYPHEN = "\u00ad"
FORMAT_MARKS = frozenset("*_~`")
ELLIPSIS = "…"

_CONTROL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_WORDISH = re.compile(r"[^\s.,;:!?()\[\]{}'\"/|-]")


def escape(text: str) -> str:
    """Escape Slack's control characters (`&`, `<`, `>`) only; `&` first by construction."""
    return text.translate(_CONTROL)


def _mark(char: str) -> str:
    return f"<!date^00000000^{{_}}|{char}>"


def literal(text: str) -> str:
    """`text` shown exactly as written: control characters escaped, formatting marks disarmed."""
    out: list[str] = []
    for char in text:
        if char in FORMAT_MARKS:
            out.append(_mark(char))
        else:
            out.append(escape(char))
    return "".join(out)


def bold(text: str, before: str = "", after: str = "") -> str:
    """`text` in bold, given the characters around it (a zero-width space where they touch a word)."""
    core = text.strip()
    if not core:
        return literal(text)
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    left = before[-1:] if not lead else lead[-1]
    right = after[:1] if not trail else trail[0]
    open_glue = ZWSP if left and _WORDISH.match(left) else ""
    close_glue = ZWSP if right and _WORDISH.match(right) else ""
    return f"{literal(lead)}{open_glue}*{literal(core)}*{close_glue}{literal(trail)}"


def _display(text: str) -> str:
    """Layout-only changes: tab-separated table cells read as `a | b`; blank runs collapsed."""
    return re.sub(r"[ \t]*\t[ \t]*", " | ", text)


def blockquote(text: str, highlight: tuple[int, int] | None = None) -> str:
    """A mrkdwn block quote of `text`, with `text[start:end]` in bold when a highlight is given."""
    segments: list[tuple[str, bool]]
    if highlight is not None and 0 <= highlight[0] < highlight[1] <= len(text):
        start, end = highlight
        segments = [(text[:start], False), (text[start:end], True), (text[end:], False)]
    else:
        segments = [(text, False)]
    lines: list[list[tuple[str, bool]]] = [[]]
    for part, strong in segments:
        pieces = part.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                lines.append([])
            if piece:
                lines[-1].append((_display(piece), strong))
    rendered: list[str] = []
    for line in lines:
        if not any(piece.strip() for piece, _ in line):
            if rendered and rendered[-1] != ">":
                rendered.append(">")
            continue
        out: list[str] = []
        for i, (piece, strong) in enumerate(line):
            if strong:
                before = line[i - 1][0] if i > 0 else ""
                after = line[i + 1][0] if i + 1 < len(line) else ""
                out.append(bold(piece, before, after))
            else:
                out.append(literal(piece))
        body = "".join(out).strip()
        if body.startswith("&gt;"):  # a '>' of the report must not nest a second quote level
            body = SOFT_HYPHEN + body
        rendered.append("> " + body)
    while rendered and rendered[-1] == ">":
        rendered.pop()
    return "\n".join(rendered)


def window(text: str, highlight: tuple[int, int] | None, max_chars: int) -> tuple[str, tuple[int, int] | None]:
    """At most `max_chars` of `text` (plus ellipses), kept around the highlight, cut between words."""
    if len(text) <= max_chars:
        return text, highlight
    max_chars = max(max_chars, 20)
    if highlight is None:
        start, end = 0, max_chars
    else:
        h_start, h_end = highlight
        if h_end - h_start >= max_chars:
            start, end = h_start, h_start + max_chars
        else:
            spare = max_chars - (h_end - h_start)
            start = max(0, h_start - spare // 2)
            end = min(len(text), start + max_chars)
            start = max(0, end - max_chars)
    # move the cuts to word boundaries without entering the highlight
    if start > 0:
        limit = highlight[0] if highlight is not None else end
        space = text.find(" ", start, limit)
        if space != -1 and space - start < 40:
            start = space + 1
    if end < len(text):
        floor = highlight[1] if highlight is not None else start
        space = text.rfind(" ", floor, end)
        if space != -1 and end - space < 40:
            end = space
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    new_text = prefix + text[start:end] + suffix
    new_highlight: tuple[int, int] | None = None
    if highlight is not None:
        h_start = max(highlight[0], start) - start + len(prefix)
        h_end = min(highlight[1], end) - start + len(prefix)
        new_highlight = (h_start, h_end) if h_end > h_start else None
    return new_text, new_highlight


def fit_blockquote(text: str, highlight: tuple[int, int] | None, limit: int, max_chars: int = 2000) -> str:
    """`blockquote` of a window of `text` whose mrkdwn is at most `limit` characters."""
    budget = max_chars
    while True:
        shown, shown_highlight = window(text, highlight, budget)
        rendered = blockquote(shown, shown_highlight)
        if len(rendered) <= limit or budget <= 20:
            return rendered[:limit] if len(rendered) > limit else rendered
        budget = int(budget * 0.7)


def fit_literal(text: str, limit: int) -> str:
    """`literal(text)`, shortened (with an ellipsis) until it is at most `limit` characters."""
    budget = len(text)
    while True:
        shown = text if budget >= len(text) else text[:budget].rstrip() + ELLIPSIS
        rendered = literal(shown)
        if len(rendered) <= limit or budget <= 1:
            return rendered if len(rendered) <= limit else ELLIPSIS
        budget = int(budget * 0.7)


# ---- incoming Slack text -> plain question ----------------------------------------------------

_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^<>]*)?>")


def unescape(text: str) -> str:
    """Undo Slack's escaping of `&`, `<`, `>` (`&amp;` last, so `&amp;lt;` stays `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def to_plain(text: str, bot_user_id: str | None = None) -> str:
    """A question as the user typed it: mentions of the bot dropped, links and mentions unwrapped.

    When the bot's user id is unknown, a leading mention is taken to be the bot's.
    """

    def unwrap(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            user = target[1:]
            return "" if user == bot_user_id else "@" + (label or user)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or ""
        return label or target.removeprefix("mailto:")

    if not bot_user_id:
        text = _LEADING_MENTION.sub("", text, count=1)
    return " ".join(unescape(_LINK.sub(unwrap, text)).split())
