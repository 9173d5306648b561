"""The Slack bot end to end: signed requests into the real FastAPI app with the bot's router, Slack's
Web API and response URLs played by a real HTTP server on loopback (`slack_fakes.FakeSlack`).

The service is a fake with canned answers whose quotes are real report text; `test_slack_real.py`
runs the same paths over the real index.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qa.config import REPO_ROOT, Settings
from qa.errors import BadQuestion
from qa.feedback import SqliteFeedbackStore, open_feedback_store
from qa.models import Answer, Citation, Quote
from qa.slack import render_answer_blocks, slack_router
from qa.slack.bot import SlackBot
from qa.slack.mrkdwn import to_plain
from tests.slack_fakes import FakeService, FakeSlack, signed_headers

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
REPORT_2022 = REPO_ROOT / "seeds" / "xiaomi-esg-2022.txt"


# ---- canned answers over real report text ---------------------------------------------------


def _quote(line_start: str, value: str | None, *, section: str, context: str | None = None,
           score: float = 0.9) -> Quote:
    """A quote of the 2022 report's line that starts with `line_start`, `value` highlighted."""
    source = REPORT_2022.read_text(encoding="utf-8")
    start = source.index(line_start)
    end = source.index("\n", start)
    text = source[start:end]
    highlight = None
    if value is not None:
        h = text.index(value)
        highlight = [h, h + len(value)]
    citation = Citation(report_id="xiaomi-esg-2022", company="Xiaomi Corporation", title="Xiaomi ESG Report 2022",
                        year=2022, section=section, page=None, source="seeds/xiaomi-esg-2022.txt", start=start, end=end)
    return Quote(text=text, highlight=highlight, score=score, kind="table_row", context=context,
                 citation=citation)


SECTION = "Appendix > Environmental KPIs"


def scope1_answer(question: str, year: str = "2021", value: str = "9,096.95") -> Answer:
    main = _quote("Direct GHG Emissions (Scope 1)", value, section=SECTION, context="columns: 2022 | 2021 | 2020")
    other = _quote("2021\t9,096,95", None, section="1. Addressing Climate Change > GHG emissions", score=0.7)
    return Answer(
        question=question, resolved_question=f"What were Scope 1 emissions in {year}?", answered=True,
        answer=value, confidence=0.86, quotes=[main, other],
        notes=["The GHG table on page 24 prints 9,096,95 for 2021 (a typo for 9,096.95)."],
        answer_id=f"ans-scope1-{year}",
    )


def follow_up_answer(question: str) -> Answer:
    return scope1_answer(question, year="2020", value="8,402.12").model_copy(update={"answer_id": "ans-2020"})


def hostile_answer(question: str) -> Answer:
    text = "Notice to <!channel> & <https://evil.example|click here>: *all* staff ~must~ `read` this"
    citation = Citation(report_id="xiaomi-esg-2022", company="<!here> & Co", title="Xiaomi ESG Report 2022", year=2022,
                        section="A & B <Governance>", page=7, source="seeds/xiaomi-esg-2022.txt", start=0, end=10)
    return Answer(question=question, answered=True, answer="all", confidence=0.5,
                  quotes=[Quote(text=text, highlight=[text.index("all"), text.index("all") + 3], score=0.5,
                                citation=citation)], answer_id="ans-hostile")


def abstain_answer(question: str) -> Answer:
    near = _quote("Total GHG Emissions (Scope 1 and Scope 2)", None, section=SECTION, score=0.2)
    return Answer(question=question, answered=False, answer=None, confidence=0.12, quotes=[near],
                  answer_id="ans-abstain")


def refuse(question: str) -> Answer:
    raise BadQuestion("The question is empty after removing punctuation; ask it in words.")


CANNED = {
    "and in 2020": follow_up_answer,
    "scope 1": scope1_answer,
    "announcement": hostile_answer,
    "???": refuse,
    "": abstain_answer,
}


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture()
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(bot_user_id=BOT_USER)
    yield fake
    fake.close()


class Harness:
    def __init__(self, tmp_path: Path, fake: FakeSlack, service: Any, *, bot_user_id: str = BOT_USER) -> None:
        self.fake = fake
        self.service = service
        self.settings = Settings(slack_signing_secret=SECRET, slack_bot_token=TOKEN, slack_api_url=fake.api_url,
                                 slack_bot_user_id=bot_user_id, feedback_path=tmp_path / "feedback.jsonl")
        self.store = open_feedback_store(self.settings)
        self.bot = SlackBot(self.settings, lambda: service, self.store)
        router = slack_router(self.settings, lambda: service, self.store, bot=self.bot)
        assert router is not None
        app = FastAPI()
        app.include_router(router)
        self.client = TestClient(app)

    def post_json(self, payload: dict[str, Any], **header_overrides: str) -> Any:
        body = json.dumps(payload)
        headers = signed_headers(SECRET, body)
        headers.update(header_overrides)
        return self.client.post("/slack/events", content=body, headers=headers)

    def post_form(self, fields: dict[str, str]) -> Any:
        body = urlencode(fields)
        headers = signed_headers(SECRET, body, content_type="application/x-www-form-urlencoded")
        return self.client.post("/slack/events", content=body, headers=headers)

    def command(self, text: str, hook: str = "cmd") -> Any:
        return self.post_form({
            "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C1", "channel_name": "ir",
            "user_id": "U1", "user_name": "ana", "command": "/esg", "text": text, "api_app_id": "A1",
            "response_url": self.fake.response_url(hook), "trigger_id": "1.2.3",
        })

    def event(self, event: dict[str, Any], event_id: str, **headers: str) -> Any:
        return self.post_json({
            "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()), "event": event,
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        }, **headers)

    def click(self, action_id: str, value: str, *, message: dict[str, Any] | None, hook: str,
              ephemeral: bool = False) -> Any:
        payload = {
            "type": "block_actions", "team": {"id": "T1", "domain": "acme"}, "user": {"id": "U1", "name": "ana"},
            "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": (message or {}).get("ts", "0"), "channel_id": "C1",
                          "is_ephemeral": ephemeral},
            "channel": {"id": "C1", "name": "ir"}, "response_url": self.fake.response_url(hook),
            "actions": [{"action_id": action_id, "block_id": "esgqa_actions", "value": value, "type": "button",
                         "action_ts": str(time.time())}],
        }
        if message is not None:
            payload["message"] = message
        return self.post_form({"payload": json.dumps(payload)})


@pytest.fixture()
def harness(tmp_path: Path, fake_slack: FakeSlack) -> Iterator[Harness]:
    h = Harness(tmp_path, fake_slack, FakeService(CANNED))
    yield h
    h.client.close()
    h.bot.close()


# ---- helpers ------------------------------------------------------------------------------


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    texts: list[str] = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                texts.append(element["text"])
    return texts


def button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {blocks}")


def mention(text: str, ts: str, thread_ts: str | None = None, channel: str = "C1", **extra: Any) -> dict[str, Any]:
    event = {"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": channel,
             "event_ts": ts, **extra}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def dm(text: str, ts: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "channel_type": "im", "user": "U1", "text": text, "ts": ts, "channel": "D1",
            "event_ts": ts, **extra}


# ---- switching the bot on and off ---------------------------------------------------------


def test_bot_is_off_without_secret_or_token(tmp_path: Path) -> None:
    store = SqliteFeedbackStore(tmp_path / "f.sqlite3")
    for secret, token in [("", ""), (SECRET, ""), ("", TOKEN)]:
        settings = Settings(slack_signing_secret=secret, slack_bot_token=token)
        assert slack_router(settings, lambda: None, store) is None  # type: ignore[arg-type, return-value]
    app = FastAPI()
    assert TestClient(app).post("/slack/events", content="{}").status_code == 404


def test_nothing_is_sent_to_slack_at_start_up(harness: Harness) -> None:
    assert harness.fake.requests == []


def test_url_verification_challenge(harness: Harness) -> None:
    response = harness.post_json({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}


# ---- slash command ------------------------------------------------------------------------


def test_slash_command_acks_then_answers_privately_with_share_button(harness: Harness) -> None:
    response = harness.command("What were Scope 1 emissions in 2021?", hook="cmd1")
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert "Searching the reports" in response.json()["text"]

    [posted] = harness.fake.wait_for("/hooks/cmd1")
    message = posted.params
    assert message["response_type"] == "ephemeral"
    texts = mrkdwn_texts(message["blocks"])
    quote = next(t for t in texts if t.startswith("> "))
    assert quote == "> Direct GHG Emissions (Scope 1) (Metric Tons CO ₂ e) | 7,122.60 | *9,096.95* | 8,402.12"
    assert any("*Xiaomi ESG Report 2022* (2022) · Appendix &gt; Environmental KPIs" in t for t in texts)
    cites = [t for t in texts if t.startswith(":page_facing_up:")]
    assert len(cites) == 2 and all(t.startswith(":page_facing_up: Xiaomi Corporation · *Xiaomi") for t in cites)
    assert any("Exact figure found" in t for t in texts)
    assert any("What were Scope 1 emissions in 2021?" in t for t in texts)  # the question is echoed
    assert any(t.startswith(":warning:") and "9,096,95" in t for t in texts)  # the note is called out
    assert "*More sources*" in texts
    assert harness.service.calls == [("What were Scope 1 emissions in 2021?", [])]

    share = button(message["blocks"], "esgqa_share")
    harness.click("esgqa_share", share["value"], message=None, hook="share1", ephemeral=True)
    shared, deleted = harness.fake.wait_for("/hooks/share1", count=2)
    assert shared.params["response_type"] == "in_channel"
    assert "<@U1> asked" in mrkdwn_texts(shared.params["blocks"])[0]
    assert "*9,096.95*" in "\n".join(mrkdwn_texts(shared.params["blocks"]))
    assert deleted.params["delete_original"] is True
    assert len(harness.service.calls) == 1  # shared from the cache, not asked again


def test_slash_command_is_acknowledged_before_the_answer_is_ready(harness: Harness) -> None:
    harness.service.gate = threading.Event()
    try:
        response = harness.command("What were Scope 1 emissions in 2021?", hook="slow")
        assert response.status_code == 200
        assert harness.service.started.wait(10)  # the answering has started ...
        assert harness.fake.calls("/hooks/slow") == []  # ... and is still blocked, after the ack came back
    finally:
        harness.service.gate.set()
    harness.fake.wait_for("/hooks/slow")


def test_empty_slash_command_gets_usage(harness: Harness) -> None:
    response = harness.command("   ")
    assert "/esg What were Scope 1" in response.json()["text"]
    assert harness.bot.wait_idle()
    assert harness.service.calls == []


# ---- mentions, DMs and threads ------------------------------------------------------------


def test_mention_is_answered_in_its_thread(harness: Harness) -> None:
    response = harness.event(mention("<@UBOT> What were Scope 1 emissions in 2021?", "100.1"), "Ev1")
    assert response.status_code == 200
    [posted] = harness.fake.wait_for("/api/chat.postMessage")
    assert posted.headers["authorization"] == f"Bearer {TOKEN}"
    assert posted.params["channel"] == "C1"
    assert posted.params["thread_ts"] == "100.1"
    text = "\n".join(mrkdwn_texts(posted.params["blocks"]))
    assert "*9,096.95*" in text and "Xiaomi ESG Report 2022" in text
    assert "esgqa_share" not in json.dumps(posted.params["blocks"])  # already public
    assert posted.params["metadata"]["event_payload"]["answer"] == "9,096.95"
    assert harness.service.calls[0][0] == "What were Scope 1 emissions in 2021?"  # mention stripped


def test_follow_up_in_thread_uses_the_threads_history(harness: Harness) -> None:
    harness.event(mention("<@UBOT> What were Scope 1 emissions in 2021?", "200.1"), "Ev1")
    harness.fake.wait_for("/api/chat.postMessage")
    harness.event(mention("<@UBOT> and in 2020?", "200.5", thread_ts="200.1"), "Ev2")
    first, second = harness.fake.wait_for("/api/chat.postMessage", count=2)

    question, history = harness.service.calls[1]
    assert question == "and in 2020?"
    assert [(t.question, t.answer, t.resolved_question) for t in history] == [
        ("What were Scope 1 emissions in 2021?", "9,096.95", "What were Scope 1 emissions in 2021?")]
    assert second.params["thread_ts"] == "200.1"
    text = "\n".join(mrkdwn_texts(second.params["blocks"]))
    assert "Understood as: _What were Scope 1 emissions in 2020?_" in text
    assert "*8,402.12*" in text


def test_follow_up_after_a_restart_rebuilds_history_from_the_thread(tmp_path: Path, fake_slack: FakeSlack) -> None:
    fake_slack.replies[("C1", "300.1")] = [
        {"type": "message", "user": "U1", "text": "<@UBOT> What were Scope 1 emissions in 2021?", "ts": "300.1"},
        {"type": "message", "bot_id": "BBOT", "user": BOT_USER, "text": "9,096.95", "ts": "300.2",
         "metadata": {"event_type": "esgqa_answer", "event_payload": {
             "question": "What were Scope 1 emissions in 2021?", "answer": "9,096.95",
             "resolved_question": "What were Scope 1 emissions in 2021?", "answer_id": "x"}}},
    ]
    h = Harness(tmp_path, fake_slack, FakeService(CANNED))  # a fresh process: empty memory
    try:
        h.event(mention("<@UBOT> and in 2020?", "300.5", thread_ts="300.1"), "Ev9")
        [posted] = fake_slack.wait_for("/api/chat.postMessage")
        [replies] = fake_slack.calls("/api/conversations.replies")
        assert replies.params["channel"] == "C1" and replies.params["ts"] == "300.1"
        _, history = h.service.calls[0]
        assert [(t.question, t.answer) for t in history] == [("What were Scope 1 emissions in 2021?", "9,096.95")]
        assert posted.params["thread_ts"] == "300.1"
    finally:
        h.client.close()
        h.bot.close()


def test_direct_message_is_answered_in_a_thread(harness: Harness) -> None:
    harness.event(dm("What were Scope 1 emissions in 2021?", "400.1"), "Ev1")
    [posted] = harness.fake.wait_for("/api/chat.postMessage")
    assert posted.params["channel"] == "D1"
    assert posted.params["thread_ts"] == "400.1"


def test_channel_message_without_a_mention_is_not_answered(harness: Harness) -> None:
    event = {**dm("What were Scope 1 emissions in 2021?", "401.1"), "channel_type": "channel", "channel": "C1"}
    assert harness.event(event, "Ev1").status_code == 200
    assert harness.bot.wait_idle()
    assert harness.fake.posts() == [] and harness.service.calls == []


def test_abstention_says_so_and_marks_passages_as_not_an_answer(harness: Harness) -> None:
    harness.event(mention("<@UBOT> What is the CEO's favourite colour?", "500.1"), "Ev1")
    [posted] = harness.fake.wait_for("/api/chat.postMessage")
    texts = mrkdwn_texts(posted.params["blocks"])
    assert texts[0] == ":mag: *The reports don't say this.*"
    assert any("not an answer" in t for t in texts)
    quotes = [t for t in texts if t.startswith("> ")]
    assert quotes and not any("*" in t for t in quotes)  # nothing is presented as the answer
    assert posted.params["text"] == "The reports don't say this."


def test_report_text_is_escaped_and_cannot_ping_or_link(harness: Harness) -> None:
    harness.event(mention("<@UBOT> the announcement?", "600.1"), "Ev1")
    [posted] = harness.fake.wait_for("/api/chat.postMessage")
    blocks_json = json.dumps(posted.params["blocks"])
    assert "<!channel>" not in blocks_json and "<https://evil" not in blocks_json
    quote = next(t for t in mrkdwn_texts(posted.params["blocks"]) if t.startswith("> "))
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt;" in quote
    assert "*all*" in quote  # the answer is bold ...
    assert "<!date^00000000^{_}|*>all<!date^00000000^{_}|*>" not in quote  # (the answer is not disarmed)
    assert "<!date^00000000^{_}|~>must<!date^00000000^{_}|~>" in quote  # ... the report's own marks are
    assert "A &amp; B &lt;Governance&gt; · p. 7" in "\n".join(mrkdwn_texts(posted.params["blocks"]))
    assert ":page_facing_up: &lt;!here&gt; &amp; Co · *Xiaomi" in "\n".join(mrkdwn_texts(posted.params["blocks"]))


def test_service_refusal_is_explained_in_the_thread(harness: Harness) -> None:
    harness.event(mention("<@UBOT> ???", "700.1"), "Ev1")
    [posted] = harness.fake.wait_for("/api/chat.postMessage")
    assert posted.params["thread_ts"] == "700.1"
    assert "I can't answer that" in posted.params["text"]
    assert "blocks" not in posted.params or not posted.params["blocks"]


# ---- feedback buttons ---------------------------------------------------------------------


def test_feedback_buttons_record_to_the_feedback_store(harness: Harness) -> None:
    harness.event(mention("<@UBOT> What were Scope 1 emissions in 2021?", "800.1"), "Ev1")
    [posted] = harness.fake.wait_for("/api/chat.postMessage")
    message = {"type": "message", "ts": "1700000000.000001", "thread_ts": "800.1", "bot_id": "BBOT",
               "blocks": posted.params["blocks"]}
    helpful = button(posted.params["blocks"], "esgqa_helpful")
    assert harness.click("esgqa_helpful", helpful["value"], message=message, hook="fb1").status_code == 200
    [thanks] = harness.fake.wait_for("/api/chat.postEphemeral")
    assert thanks.params["user"] == "U1" and thanks.params["thread_ts"] == "800.1"
    assert "feedback was recorded" in thanks.params["text"]

    # a second click on the same button is thanked but recorded once; "Not helpful" is recorded too
    harness.click("esgqa_helpful", helpful["value"], message=message, hook="fb2")
    not_helpful = button(posted.params["blocks"], "esgqa_not_helpful")
    harness.click("esgqa_not_helpful", not_helpful["value"], message=None, hook="fb3", ephemeral=True)
    [private_thanks] = harness.fake.wait_for("/hooks/fb3")
    assert private_thanks.params["response_type"] == "ephemeral"
    assert harness.bot.wait_idle()

    lines = [e.model_dump() for e in harness.store.export()]
    assert [(e["answer_id"], e["helpful"], e["source"]) for e in lines] == [
        ("ans-scope1-2021", True, "slack"), ("ans-scope1-2021", False, "slack")]
    assert lines[0]["question"] == "What were Scope 1 emissions in 2021?"
    assert lines[0]["extra"] == {"user_id": "U1", "channel_id": "C1", "team_id": "T1"}
    assert lines[0]["client"] == "slack:T1:U1"  # the per-client quota's key: the Slack user


def test_a_slack_user_over_the_feedback_quota_is_told_and_nothing_is_lost(harness: Harness, tmp_path: Path) -> None:
    from qa.feedback import FeedbackPolicy

    harness.bot.feedback = store = SqliteFeedbackStore(tmp_path / "quota.sqlite3", FeedbackPolicy(per_client_hour=1))
    harness.event(mention("<@UBOT> What were Scope 1 emissions in 2021?", "810.1"), "Ev1")
    [posted] = harness.fake.wait_for("/api/chat.postMessage")
    message = {"type": "message", "ts": "1700000000.000002", "thread_ts": "810.1", "bot_id": "BBOT",
               "blocks": posted.params["blocks"]}
    harness.click("esgqa_helpful", button(posted.params["blocks"], "esgqa_helpful")["value"], message=message,
                  hook="q1")
    assert harness.bot.wait_idle()
    harness.click("esgqa_not_helpful", button(posted.params["blocks"], "esgqa_not_helpful")["value"],
                  message=message, hook="q2")
    assert harness.bot.wait_idle()
    first, second = harness.fake.wait_for("/api/chat.postEphemeral", count=2)
    assert "feedback was recorded" in first.params["text"]
    assert "not recorded" in second.params["text"] and "try again later" in second.params["text"]
    assert [(e.helpful, e.client) for e in store.export()] == [(True, "slack:T1:U1")]
    # the refused vote was not marked as seen: once the quota allows it, the same click records it
    store.policy = FeedbackPolicy(per_client_hour=0)
    harness.click("esgqa_not_helpful", button(posted.params["blocks"], "esgqa_not_helpful")["value"],
                  message=message, hook="q3")
    assert harness.bot.wait_idle()
    assert [e.helpful for e in store.export()] == [True, False]


# ---- security -----------------------------------------------------------------------------


def _assert_nothing_happened(harness: Harness) -> None:
    assert harness.bot.wait_idle()
    assert harness.fake.posts() == []
    assert harness.service.calls == []


def test_forged_signature_is_refused(harness: Harness) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "Ev1", "team_id": "T1",
                       "event": mention("<@UBOT> What were Scope 1 emissions in 2021?", "900.1")})
    headers = signed_headers("not-the-secret", body)
    assert harness.client.post("/slack/events", content=body, headers=headers).status_code == 401
    unsigned = {"Content-Type": "application/json"}
    assert harness.client.post("/slack/events", content=body, headers=unsigned).status_code == 401
    # a valid signature over a different body (tampered in transit)
    good = signed_headers(SECRET, body)
    tampered = body.replace("2021", "2020")
    assert harness.client.post("/slack/events", content=tampered, headers=good).status_code == 401
    _assert_nothing_happened(harness)


def test_stale_timestamp_is_refused(harness: Harness) -> None:
    body = urlencode({"command": "/esg", "text": "What were Scope 1 emissions in 2021?", "team_id": "T1",
                      "user_id": "U1", "channel_id": "C1", "response_url": harness.fake.response_url("old")})
    headers = signed_headers(SECRET, body, timestamp=int(time.time()) - 6 * 60,
                             content_type="application/x-www-form-urlencoded")
    assert harness.client.post("/slack/events", content=body, headers=headers).status_code == 401
    _assert_nothing_happened(harness)


def test_retried_event_is_acknowledged_but_not_answered_twice(harness: Harness) -> None:
    event = mention("<@UBOT> What were Scope 1 emissions in 2021?", "1000.1")
    assert harness.event(event, "EvR").status_code == 200
    harness.fake.wait_for("/api/chat.postMessage")
    for n, reason in [("1", "http_timeout"), ("2", "http_error")]:
        retry = harness.event(event, "EvR", **{"X-Slack-Retry-Num": n, "X-Slack-Retry-Reason": reason})
        assert retry.status_code == 200
    # the same delivery again without a retry header is a duplicate too
    assert harness.event(event, "EvR").status_code == 200
    assert harness.bot.wait_idle()
    assert len(harness.fake.calls("/api/chat.postMessage")) == 1
    assert len(harness.service.calls) == 1


def test_retry_after_a_timeout_is_not_answered_even_by_another_process(harness: Harness) -> None:
    # a timeout means the first delivery arrived (here: at another worker); only ack
    event = mention("<@UBOT> What were Scope 1 emissions in 2021?", "1100.1")
    response = harness.event(event, "EvT", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert response.status_code == 200
    _assert_nothing_happened(harness)


def test_retry_of_a_delivery_that_never_arrived_is_answered_once(harness: Harness) -> None:
    event = mention("<@UBOT> What were Scope 1 emissions in 2021?", "1200.1")
    headers = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "connection_failed"}
    harness.event(event, "EvC", **headers)
    harness.event(event, "EvC", **{**headers, "X-Slack-Retry-Num": "2"})
    harness.fake.wait_for("/api/chat.postMessage")
    assert harness.bot.wait_idle()
    assert len(harness.fake.calls("/api/chat.postMessage")) == 1


@pytest.mark.parametrize("extra", [
    {"user": BOT_USER},  # the bot's own message (its user id)
    {"bot_id": "BOTHER", "subtype": "bot_message", "user": None},  # another bot
    {"bot_id": "BBOT"},  # a bot message that also names a user
    {"subtype": "message_changed"},  # an edit
])
def test_bot_and_system_messages_are_ignored(harness: Harness, extra: dict[str, Any]) -> None:
    event = {k: v for k, v in {**dm("What were Scope 1 emissions in 2021?", "1300.1"), **extra}.items()
             if v is not None}
    assert harness.event(event, "EvB").status_code == 200
    mention_event = {k: v for k, v in {**mention("<@UBOT> What were Scope 1 emissions?", "1300.2"),
                                      **extra}.items() if v is not None}
    assert harness.event(mention_event, "EvB2").status_code == 200
    _assert_nothing_happened(harness)


def test_own_user_is_learned_with_auth_test_when_not_configured(tmp_path: Path, fake_slack: FakeSlack) -> None:
    h = Harness(tmp_path, fake_slack, FakeService(CANNED), bot_user_id="")
    try:
        assert fake_slack.requests == []  # nothing at start-up
        h.event({**dm("What were Scope 1 emissions in 2021?", "1400.1"), "user": BOT_USER}, "EvS")
        assert h.bot.wait_idle()
        assert h.service.calls == [] and fake_slack.posts() == []
        h.event(mention(f"<@{BOT_USER}> What were Scope 1 emissions in 2021?", "1400.2"), "EvS2")
        fake_slack.wait_for("/api/chat.postMessage")
        assert len(fake_slack.calls("/api/auth.test")) == 1  # once, then cached
        assert h.service.calls[0][0] == "What were Scope 1 emissions in 2021?"
    finally:
        h.client.close()
        h.bot.close()


# ---- rendering ----------------------------------------------------------------------------


def test_render_keeps_every_section_within_slacks_limit_and_the_answer_visible() -> None:
    answer = scope1_answer("q").model_copy(update={"resolved_question": None})
    long_text = ("word & <tag> *x* " * 600) + "THE ANSWER 42.0 t" + (" tail _y_" * 600)
    h = long_text.index("42.0 t")
    quote = answer.quotes[0].model_copy(update={"text": long_text, "highlight": [h, h + 6]})
    answer = answer.model_copy(update={"quotes": [quote] * 5, "notes": ["n & <m>" * 800] * 8})
    blocks = render_answer_blocks(answer, share=True)
    assert len(blocks) <= 50
    for block in blocks:
        if "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                assert len(element["text"]) <= 3000
            if element.get("type") == "button":
                assert len(element["value"]) <= 2000
    assert "*42.0 t*" in mrkdwn_texts(blocks)[0]
    assert sum(1 for b in blocks if b["type"] == "section" and b["text"]["text"].startswith(":warning:")) == 5
    more = [t for t in mrkdwn_texts(blocks)[mrkdwn_texts(blocks).index("*More sources*"):] if t.startswith("> ")]
    assert len(more) == 3


@pytest.mark.parametrize(("text", "value", "expected"), [
    ("Emissions3 about 12tCO2e", "12", "> Emissions3 about *12*\u200btCO2e"),  # glued on the right only
    ("Total3 31,347.06 t", "3", "> Total\u200b*3* 31,347.06 t"),  # glued on the left only
    ("Total (5%) of", "5%", "> Total (*5%*) of"),  # punctuation is a boundary already
    ("a\tb\t7.5\tc", "7.5", "> a | b | *7.5* | c"),  # table cells
])
def test_render_bold_answer_gets_word_boundaries(text: str, value: str, expected: str) -> None:
    answer = scope1_answer("q").model_copy(update={"resolved_question": None})
    start = text.index(value)
    quote = answer.quotes[0].model_copy(update={"text": text, "highlight": [start, start + len(value)]})
    assert mrkdwn_texts(render_answer_blocks(answer.model_copy(update={"quotes": [quote]})))[0] == expected


@pytest.mark.parametrize(("raw", "plain"), [
    ("<@UBOT> What &amp; why &lt;3?", "What & why <3?"),
    ("<@UBOT|esgqa> see <https://x.example|the site> and <#C1|ir> with <@U2>", "see the site and #ir with @U2"),
    ("  scope   1\n2021  ", "scope 1 2021"),
])
def test_incoming_slack_text_becomes_the_plain_question(raw: str, plain: str) -> None:
    assert to_plain(raw, BOT_USER) == plain


# ---- mounted in the real API app ----------------------------------------------------------


def test_bot_is_mounted_in_the_api_app_and_exempt_from_api_keys(tmp_path: Path, fake_slack: FakeSlack) -> None:
    from qa.api.app import create_app

    service = FakeService(CANNED)
    settings = Settings(slack_signing_secret=SECRET, slack_bot_token=TOKEN, slack_api_url=fake_slack.api_url,
                        slack_bot_user_id=BOT_USER, feedback_path=tmp_path / "feedback.jsonl", api_keys="k1")
    app = create_app(settings, lambda _settings: service, handle_sighup=False)
    with TestClient(app) as client:
        deadline = time.monotonic() + 20
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the fake service never became ready"
            time.sleep(0.02)
        body = urlencode({"command": "/esg", "text": "What were Scope 1 emissions in 2021?", "team_id": "T1",
                          "user_id": "U1", "channel_id": "C1", "response_url": fake_slack.response_url("api")})
        headers = signed_headers(SECRET, body, content_type="application/x-www-form-urlencoded")
        response = client.post("/slack/events", content=body, headers=headers)  # no X-API-Key: Slack can't send one
        assert response.status_code == 200, response.text
        [posted] = fake_slack.wait_for("/hooks/api")
        assert "*9,096.95*" in "\n".join(mrkdwn_texts(posted.params["blocks"]))
        forged = client.post("/slack/events", content=body, headers={**headers, "X-Slack-Signature": "v0=00"})
        assert forged.status_code == 401

    off = create_app(Settings(feedback_path=tmp_path / "f2.jsonl"), lambda _settings: service,
                     handle_sighup=False)
    with TestClient(off) as client:
        assert client.post("/slack/events", content=body, headers=headers).status_code == 404


def test_app_manifest_subscribes_to_what_the_bot_handles() -> None:
    import yaml

    manifest = yaml.safe_load((REPO_ROOT / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes >= {"app_mentions:read", "chat:write", "commands", "im:history", "im:read", "im:write",
                      "channels:history", "groups:history"}
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/esg"
    urls = [settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"], command["url"]]
    assert all(url == "https://YOUR-HOST/slack/events" for url in urls)
    assert settings["interactivity"]["is_enabled"] is True


@pytest.mark.parametrize(("answered", "value", "confidence", "words"), [
    (True, "9,096.95", 0.9, "Exact figure found (confidence 0.90)"),
    (True, "ISO 14064", 0.8, "Exact figure found"),
    (True, "the Board", 0.8, "Answer found"),
    (True, "9,096.95", 0.5, "Likely answer"),
    (True, "9,096.95", 0.2, "Low confidence"),
    (False, None, 0.9, "Closest passage — not an answer"),
])
def test_confidence_in_words(answered: bool, value: str | None, confidence: float, words: str) -> None:
    from qa.slack.render import confidence_words

    answer = scope1_answer("q").model_copy(update={"answered": answered, "answer": value, "confidence": confidence})
    assert words in confidence_words(answer, abstain_threshold=0.35)


def test_answer_without_highlight_is_found_in_the_quote() -> None:
    answer = scope1_answer("q").model_copy(update={"resolved_question": None})
    quote = answer.quotes[0].model_copy(update={"highlight": None})
    text = mrkdwn_texts(render_answer_blocks(answer.model_copy(update={"quotes": [quote]})))[0]
    assert "| *9,096.95* |" in text
    missing = answer.model_copy(update={"quotes": [quote], "answer": "not in the quote"})
    assert "*" not in mrkdwn_texts(render_answer_blocks(missing))[0]
