"""Plain-text rendering of an Answer for terminals (the CLI's default output)."""

from __future__ import annotations

from qa.models import Answer, Quote


def confidence_words(answer: Answer) -> str:
    if not answer.answered:
        return "closest passages, not an answer"
    if answer.confidence >= 0.75:
        return "exact figure found" if answer.answer and any(ch.isdigit() for ch in answer.answer) else "clear answer found"
    return "likely answer"


def citation_line(q: Quote) -> str:
    c = q.citation
    page = f", p. {c.page}" if c.page is not None else ""
    company = f"{c.company}: " if c.company else ""
    return f"{company}{c.title} ({c.year}) — {c.section or 'no section'}{page} [{c.source} {c.start}-{c.end}]"


def mark(q: Quote) -> str:
    if q.highlight is None:
        return q.text
    s, e = q.highlight
    return f"{q.text[:s]}>>{q.text[s:e]}<<{q.text[e:]}"


def render_text(answer: Answer) -> str:
    lines: list[str] = []
    if answer.resolved_question and answer.resolved_question != answer.question:
        lines.append(f"Searched: {answer.resolved_question}")
    if answer.answered:
        lines.append(f"Answer: {answer.answer}   ({confidence_words(answer)}, confidence {answer.confidence:.2f})")
    else:
        lines.append(f"The reports don't say this. ({confidence_words(answer)}, confidence {answer.confidence:.2f})")
    for note in answer.notes:
        lines.append(f"Note: {note}")
    for i, q in enumerate(answer.quotes):
        label = "Quote" if i == 0 and answer.answered else ("Closest" if not answer.answered else f"Source {i + 1}")
        lines.append("")
        lines.append(f"{label}: \"{' '.join(mark(q).split())}\"")
        lines.append(f"   — {citation_line(q)}")
    return "\n".join(lines)
