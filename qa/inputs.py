"""One input policy for every text that reaches the pipeline (question, history, feedback, search query).

Cleaning: lone surrogates become U+FFFD, NUL and other control characters (except newline and tab)
become spaces, the ends are stripped. Limits: each text at most `max_chars`; a history at most
`max_turns` turns and `max_total` characters in all. Over a limit is a 413 whose message gives sizes
only: the input is never echoed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.errors import BadQuestion, QuestionTooLong
from qa.models import Turn

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class HistoryTooLarge(QuestionTooLong):
    code = "history_too_large"


def clean_text(value: str) -> str:
    """Lone surrogates -> U+FFFD, control characters (not \\n or \\t) -> space, ends stripped."""
    value = _SURROGATES.sub("\ufffd", value)
    return _CONTROLS.sub(" ", value).strip()


def check_length(text: str, limit: int, what: str) -> None:
    if len(text) > limit:
        raise QuestionTooLong(f"The {what} has {len(text)} characters; the limit is {limit}. Shorten it.")


def clean_required(value: str, what: str, limit: int | None = None) -> str:
    """Cleaned text; empty after cleaning is a 422, over `limit` a 413."""
    value = clean_text(value)
    if not value:
        raise BadQuestion(f"The {what} is empty.")
    if limit is not None:
        check_length(value, limit, what)
    return value


def clean_turn(turn: Turn) -> Turn:
    return Turn(
        question=clean_text(turn.question),
        answer=None if turn.answer is None else clean_text(turn.answer),
        resolved_question=None if turn.resolved_question is None else clean_text(turn.resolved_question),
    )


def check_history(history: Sequence[Turn], max_chars: int, max_turns: int, max_total: int) -> list[Turn]:
    """The history cleaned and checked: at most `max_turns` turns, each field at most `max_chars`,
    all fields together at most `max_total` characters (413 otherwise)."""
    if len(history) > max_turns:
        raise HistoryTooLarge(f"The history has {len(history)} turns; the limit is {max_turns}.")
    turns = [clean_turn(t) for t in history]
    total = 0
    for i, turn in enumerate(turns, start=1):
        for name in ("question", "answer", "resolved_question"):
            text = getattr(turn, name) or ""
            if len(text) > max_chars:
                raise HistoryTooLarge(
                    f"History turn {i} {name} has {len(text)} characters; the limit is {max_chars}."
                )
            total += len(text)
    if total > max_total:
        raise HistoryTooLarge(f"The history has {total} characters in all; the limit is {max_total}.")
    return turns


def fit_history(history: Sequence[Turn], max_chars: int, max_turns: int, max_total: int) -> list[Turn]:
    """The history cleaned and cut to the limits instead of refused (for adapters that build it
    themselves, e.g. a Slack thread): each field cut to `max_chars`, then the newest turns that fit."""
    kept: list[Turn] = []
    total = 0
    for turn in reversed(list(history)[-max_turns:] if max_turns > 0 else []):
        turn = clean_turn(turn)
        turn = Turn(question=turn.question[:max_chars],
                    answer=None if turn.answer is None else turn.answer[:max_chars],
                    resolved_question=None if turn.resolved_question is None else turn.resolved_question[:max_chars])
        size = len(turn.question) + len(turn.answer or "") + len(turn.resolved_question or "")
        if total + size > max_total:
            break
        kept.append(turn)
        total += size
    return kept[::-1]
