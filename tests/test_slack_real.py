"""The Slack bot over the real service (`QAService.load(Settings())`, the real model and index).

Slow: needs the index built by `esgqa index` (`python -m qa.cli index`). Slack's side is the same
loopback fake as in test_slack.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.config import Settings
from qa.models import Turn
from tests.slack_fakes import FakeSlack
from tests.test_slack import Harness, mention, mrkdwn_texts

pytestmark = pytest.mark.slow

BOLD = re.compile(r"(?<![^\s\u200b(|])\*([^*\n]+)\*")


@pytest.fixture(scope="module")
def real_service() -> Any:
    pytest.importorskip("qa.service", reason="qa.service is not written yet")
    settings = Settings()
    if not (settings.index_dir / "CURRENT").exists():
        pytest.skip("no index: run `python -m qa.cli index` first")
    from qa.service import QAService

    return QAService.load(settings)


@pytest.fixture()
def real(tmp_path: Path, real_service: Any) -> Iterator[Harness]:
    fake = FakeSlack()
    h = Harness(tmp_path, fake, real_service)
    yield h
    h.client.close()
    h.bot.close()
    fake.close()


def _quote_and_bold(blocks: list[dict[str, Any]]) -> tuple[str, list[str]]:
    quote = next(t for t in mrkdwn_texts(blocks) if t.startswith("> "))
    return quote, BOLD.findall(quote)


TABLE_QUESTION = "What were Scope 1 emissions in 2021?"
UNANSWERABLE = [
    "What is the name of the office cat at Xiaomi's headquarters?",
    "What was Xiaomi's revenue from selling cars on Mars in 2021?",
]


# ---- the bot shows exactly what the service answered ----------------------------------------


def test_thread_answer_shows_the_services_answer_quote_and_citation(real: Harness, real_service: Any) -> None:
    expected = real_service.ask(TABLE_QUESTION)
    real.event(mention(f"<@UBOT> {TABLE_QUESTION}", "10.1"), "EvReal1")
    [posted] = real.fake.wait_for("/api/chat.postMessage", timeout=120)
    assert posted.params["thread_ts"] == "10.1"
    blocks = posted.params["blocks"]
    text = "\n".join(mrkdwn_texts(blocks))
    top = expected.quotes[0]
    assert f"*{top.citation.title}* ({top.citation.year})" in text
    if expected.answered and top.highlight:
        _, bold = _quote_and_bold(blocks)
        assert bold == [top.text[top.highlight[0]:top.highlight[1]].strip()]
        assert posted.params["metadata"]["event_payload"]["answer"] == expected.answer

    # the follow-up in the same thread reaches the service with the thread's history
    real.event(mention("<@UBOT> and in 2020?", "10.5", thread_ts="10.1"), "EvReal2")
    _, second = real.fake.wait_for("/api/chat.postMessage", count=2, timeout=120)
    assert second.params["thread_ts"] == "10.1"
    follow_up = real_service.ask("and in 2020?", history=[Turn(question=TABLE_QUESTION, answer=expected.answer,
                                                                resolved_question=expected.resolved_question)])
    assert "2020" in (follow_up.resolved_question or "") and "Scope 1" in (follow_up.resolved_question or "")
    assert f"Understood as: _{follow_up.resolved_question}_" in "\n".join(mrkdwn_texts(second.params["blocks"]))


def test_slash_command_over_the_real_service(real: Harness) -> None:
    response = real.command(TABLE_QUESTION, hook="real-cmd")
    assert response.status_code == 200
    [posted] = real.fake.wait_for("/hooks/real-cmd", timeout=120)
    assert posted.params["response_type"] == "ephemeral"
    assert any(t.startswith("> ") for t in mrkdwn_texts(posted.params["blocks"]))


# ---- what an investor-relations user must get (these depend on the answer quality) -----------


def test_table_question_gets_the_scope_1_figure_in_bold(real: Harness) -> None:
    real.event(mention(f"<@UBOT> {TABLE_QUESTION}", "30.1"), "EvReal4")
    [posted] = real.fake.wait_for("/api/chat.postMessage", timeout=120)
    quote, bold = _quote_and_bold(posted.params["blocks"])
    assert bold and "9,096.95" in bold[0], quote  # Direct GHG Emissions (Scope 1), 2021 column, 2022 report
    assert "Xiaomi ESG Report 2022" in "\n".join(mrkdwn_texts(posted.params["blocks"]))


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_question_gets_the_abstention(real: Harness, question: str) -> None:
    real.event(mention(f"<@UBOT> {question}", "20.1"), "EvReal3")
    [posted] = real.fake.wait_for("/api/chat.postMessage", timeout=120)
    texts = mrkdwn_texts(posted.params["blocks"])
    assert texts[0] == ":mag: *The reports don't say this.*", texts
    assert posted.params["text"] == "The reports don't say this."
    for quote in (t for t in texts if t.startswith("> ")):
        assert not BOLD.findall(quote), quote  # nearest passages carry no "answer"
