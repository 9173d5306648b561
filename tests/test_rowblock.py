"""Two-column tables printed as text lines: the block test and the value of the row a question names."""

from __future__ import annotations

from qa.compose.question import analyse
from qa.compose.rowblock import line_value, row_block

POSITIONS = (
    "Alliance/Organizations Position\n\n"
    "Communications Standards Association Council member\n\n"
    "Artificial Intelligence Industry Alliance Council member\n\n"
    "Global System for Mobile Communications Association\n\n"
    " (GSMA) — Artificial Intelligence Work Group\n\n"
    "Vice president\n\n"
    "MPEG Vice president\n\n"
    "IoT Ecosystem Security Alliance Vice director\n"
)
AWARDS = (
    "Awards Organization\n\n"
    "Quality Technology Award, Second Prize China Association for Quality\n\n"
    "Best Service Award Contact Center Association\n\n"
    "Green Factory Ministry of Industry\n"
)


def _value(question: str, text: str) -> str | None:
    span = line_value(analyse(question), text)
    assert span is None or text[span.start : span.end] == span.text
    return span.text if span is not None else None


def test_a_block_of_short_unpunctuated_lines_under_a_short_header() -> None:
    assert row_block(POSITIONS) is not None and row_block(AWARDS) is not None
    prose = ("Our report covers the year.\n\nWe cut emissions by 5% this year.\n\nWater use fell.\n\n"
             "Waste was sorted and recycled on every campus we run.\n")
    assert row_block(prose) is None  # sentences
    assert row_block("Awards Organization\n\nGreen Factory Ministry\n") is None  # too few lines
    assert row_block("Scope 1\t866\t835\n\na\n\nb\n\nc\n") is None  # a tabbed table is read as one


def test_the_value_after_the_named_label() -> None:
    assert _value("What position does Acme hold in MPEG?", POSITIONS) == "Vice president"
    assert _value("Acme position IoT Ecosystem Security Alliance", POSITIONS) == "Vice director"
    # a value may repeat a label's word; the label ends after the first mention of the question's last term
    assert _value("Which organisation gave Acme the Quality Technology Award (Second Prize)?", AWARDS) == \
        "China Association for Quality"


def test_a_label_that_fills_its_line_takes_the_next_line() -> None:
    assert _value("Acme position in the GSMA artificial intelligence work group", POSITIONS) == "Vice president"


def test_a_value_that_recurs_down_the_block_is_the_value() -> None:
    assert _value("Acme role in the Artificial Intelligence Industry Alliance", POSITIONS) == "Council member"


def test_no_value_when_no_row_or_two_rows_are_named() -> None:
    assert _value("Who founded Acme?", AWARDS) is None
    assert _value("Which council member seats does Acme hold?", POSITIONS) is None  # two rows alike
    assert _value("What position does Acme hold in MPEG?", "MPEG Vice president") is None  # not a block
