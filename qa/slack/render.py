"""Block Kit messages for answers: the quote with the answer in bold, its citation, the confidence in
words, other sources, notes on differing figures, and the feedback / share buttons.

Everything taken from a report or a user goes through `qa.slack.mrkdwn.literal` (or a block quote
built from it), so it can never ping, link or break the formatting.
"""

from __future__ import annotations

import json
from typing import Any

from qa.models import Answer, Citation, Quote
from qa.slack.mrkdwn import ELLIPSIS, fit_blockquote, fit_literal

Block = dict[str, Any]

SECTION_LIMIT = 3000  # Slack: section text
CONTEXT_LIMIT = 2000  # kept well under Slack's limit for context elements
BUTTON_VALUE_LIMIT = 2000
FALLBACK_LIMIT = 3000
MAX_MORE_SOURCES = 3
MAX_NOTES = 5
HIGH_CONFIDENCE = 0.75

ACTION_HELPFUL = "esgqa_helpful"
ACTION_NOT_HELPFUL = "esgqa_not_helpful"
ACTION_SHARE = "esgqa_share"
ABSTAIN_TEXT = "The reports don't say this."


def confidence_words(answer: Answer, abstain_threshold: float = 0.35) -> str:
    """The confidence as a reader-facing phrase (with an emoji), e.g. for the context line."""
    if not answer.answered:
        return ":grey_question: Closest passage — not an answer"
    if answer.confidence >= HIGH_CONFIDENCE:
        found = "Exact figure found" if any(c.isdigit() for c in answer.answer or "") else "Answer found"
        return f":white_check_mark: {found} (confidence {answer.confidence:.2f})"
    if answer.confidence >= abstain_threshold:
        return f":large_yellow_circle: Likely answer — check the quote (confidence {answer.confidence:.2f})"
    return f":warning: Low confidence — check the quote (confidence {answer.confidence:.2f})"


def citation_line(citation: Citation) -> str:
    """`Xiaomi Corporation · *Xiaomi ESG Report 2020* (2020) · 1. Environmental … · p. 12`, escaped."""
    parts = [fit_literal(citation.company, 200)] if citation.company else []
    parts.append(f"*{fit_literal(citation.title, 300)}* ({citation.year})")
    if citation.section:
        parts.append(fit_literal(citation.section, 600))
    if citation.page is not None:
        parts.append(f"p. {citation.page}")
    return ":page_facing_up: " + " · ".join(parts)


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}}


def _context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": t[:CONTEXT_LIMIT]} for t in texts[:10] if t],
    }


def answer_highlight(quote: Quote, answer: str | None) -> tuple[int, int] | None:
    """Where the answer is in the quote: its `highlight`, else the answer's first occurrence."""
    if quote.highlight is not None and len(quote.highlight) == 2:
        start, end = quote.highlight
        if 0 <= start < end <= len(quote.text):
            return start, end
    if answer and answer.strip():
        found = quote.text.find(answer.strip())
        if found != -1:
            return found, found + len(answer.strip())
    return None


def _quote_blocks(quote: Quote, *, strong: bool, max_chars: int, answer: str | None = None) -> list[Block]:
    highlight = answer_highlight(quote, answer) if strong else None
    blocks = [_section(fit_blockquote(quote.text, highlight, SECTION_LIMIT, max_chars=max_chars))]
    context = [citation_line(quote.citation)]
    if quote.context:
        context.append(":bar_chart: " + fit_literal(quote.context, 400))
    blocks.append(_context(*context))
    return blocks


def button_value(answer: Answer) -> str:
    """What a button carries: the answer id and the (standalone) question, as compact JSON."""
    question = answer.resolved_question or answer.question
    value = {"a": answer.answer_id or "", "q": question}
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    while len(text) > BUTTON_VALUE_LIMIT:
        value["q"] = value["q"][: max(0, len(value["q"]) - (len(text) - BUTTON_VALUE_LIMIT) - 1)] + ELLIPSIS
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text


def parse_button_value(value: str) -> tuple[str, str]:
    """(answer_id, question) from `button_value`; empty strings when the value is not ours."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("a") or ""), str(data.get("q") or "")


def _actions(answer: Answer, *, share: bool, feedback: bool) -> Block | None:
    value = button_value(answer)
    elements: list[Block] = []
    if share:
        elements.append(
            {
                "type": "button",
                "action_id": ACTION_SHARE,
                "text": {"type": "plain_text", "text": "Share in channel"},
                "style": "primary",
                "value": value,
            }
        )
    if feedback:
        elements.append(
            {
                "type": "button",
                "action_id": ACTION_HELPFUL,
                "text": {"type": "plain_text", "text": ":thumbsup: Helpful", "emoji": True},
                "value": value,
            }
        )
        elements.append(
            {
                "type": "button",
                "action_id": ACTION_NOT_HELPFUL,
                "text": {"type": "plain_text", "text": ":thumbsdown: Not helpful", "emoji": True},
                "value": value,
            }
        )
    if not elements:
        return None
    return {"type": "actions", "block_id": "esgqa_actions", "elements": elements}


def render_answer_blocks(
    answer: Answer,
    *,
    abstain_threshold: float = 0.35,
    show_question: bool = False,
    asked_by: str | None = None,
    share: bool = False,
    feedback: bool = True,
) -> list[Block]:
    """The Block Kit blocks of one answer.

    `show_question` adds the question on top (for slash-command replies, which Slack shows apart
    from the command); `asked_by` (a Slack user id) names who asked, for answers shared in a
    channel; `share` adds the "Share in channel" button; `feedback` the Helpful / Not helpful ones.
    """
    blocks: list[Block] = []
    if show_question or asked_by:
        question = fit_literal(answer.question, 1000)
        who = f"<@{asked_by}> asked" if asked_by and asked_by.isalnum() else "Question"
        blocks.append(_context(f"{who}: _{question}_"))
    resolved = answer.resolved_question
    if resolved and " ".join(resolved.split()).lower() != " ".join(answer.question.split()).lower():
        blocks.append(_context(f":speech_balloon: Understood as: _{fit_literal(resolved, 1000)}_"))

    if answer.answered and answer.quotes:
        blocks.extend(_quote_blocks(answer.quotes[0], strong=True, max_chars=2000, answer=answer.answer))
        blocks.append(_context(confidence_words(answer, abstain_threshold)))
    else:
        blocks.append(_section(f":mag: *{ABSTAIN_TEXT}*"))
        if answer.quotes:
            blocks.append(_context("Closest passages in the reports — *not an answer*:"))
            for quote in answer.quotes[:MAX_MORE_SOURCES]:
                blocks.extend(_quote_blocks(quote, strong=False, max_chars=500))

    for note in answer.notes[:MAX_NOTES]:
        blocks.append(_section(":warning: " + fit_literal(note, 1500)))

    more = answer.quotes[1 : 1 + MAX_MORE_SOURCES] if answer.answered else []
    if more:
        blocks.append({"type": "divider"})
        blocks.append(_section("*More sources*"))
        for quote in more:
            blocks.extend(_quote_blocks(quote, strong=False, max_chars=400))

    actions = _actions(answer, share=share, feedback=feedback)
    if actions is not None:
        blocks.append(actions)
    return blocks


def fallback_text(answer: Answer) -> str:
    """The message's plain `text` (notifications, screen readers), escaped."""
    if not answer.answered or not answer.quotes or not answer.answer:
        return ABSTAIN_TEXT
    citation = answer.quotes[0].citation
    company = f"{citation.company}, " if citation.company else ""
    return fit_literal(f"{answer.answer} — {company}{citation.title} ({citation.year})", FALLBACK_LIMIT)
