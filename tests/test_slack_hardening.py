"""The Slack endpoint under hostile input (issue 15, finding 6), over HTTP into the real API app.

The signature is checked on the raw body before anything is parsed: a malformed timestamp is a
401, a signed but malformed body a 400, both with the API's error body, never a 500; a replayed
signed request (same timestamp and signature) is acknowledged and answered once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.config import Settings
from tests.slack_fakes import FakeService, FakeSlack, signature, signed_headers
from tests.test_slack import BOT_USER, CANNED, SECRET, TOKEN

FORM = "application/x-www-form-urlencoded"
COMMAND = urlencode({"command": "/esg", "text": "What were Scope 1 emissions in 2021?", "team_id": "T1",
                     "user_id": "U1", "channel_id": "C1", "response_url": "{hook}"})


class Api:
    def __init__(self, client: TestClient, fake: FakeSlack, service: FakeService) -> None:
        self.client = client
        self.fake = fake
        self.service = service

    def post(self, body: str | bytes, headers: dict[str, str]) -> httpx.Response:
        return self.client.post("/slack/events", content=body, headers=headers)


@pytest.fixture()
def api(tmp_path: Path) -> Iterator[Api]:
    fake = FakeSlack(bot_user_id=BOT_USER)
    service = FakeService(CANNED)
    settings = Settings(slack_signing_secret=SECRET, slack_bot_token=TOKEN, slack_api_url=fake.api_url,
                        slack_bot_user_id=BOT_USER, feedback_path=tmp_path / "feedback.jsonl")
    app = create_app(settings, lambda _settings: service, handle_sighup=False)
    try:
        with TestClient(app) as client:
            deadline = time.monotonic() + 20
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the fake service never became ready"
                time.sleep(0.02)
            yield Api(client, fake, service)
    finally:
        fake.close()


def assert_error(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    body = response.json()
    error = body["error"]
    assert set(error) >= {"code", "message", "request_id"}, body
    assert error["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return error


def assert_nothing_sent(api: Api) -> None:
    time.sleep(0.2)
    assert api.fake.posts() == []
    assert api.service.calls == []


@pytest.mark.parametrize("timestamp", ["abc", "1e10", "", " ", "-1", "99999999999999999999999", "1.5e9"])
def test_malformed_timestamp_is_401_not_500(api: Api, timestamp: str) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "EvTs", "team_id": "T1"})
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": signature(SECRET, timestamp, body)}
    error = assert_error(api.post(body, headers), 401)
    assert error["code"] == "unauthorized"
    assert_nothing_sent(api)


@pytest.mark.parametrize(("body", "content_type"), [
    ("{not json", "application/json"),
    ("[1,2]", "application/json"),
    ("null", "application/json"),
    ("", "application/json"),
    ("payload=notjson", FORM),
    ("payload=%5B1%2C2%5D", FORM),  # payload=[1,2]
    ('{"type": "event_callback"}', FORM),  # JSON sent as a form
    ('{"type": "event_callback"}', "text/plain"),
    ('{"type": "event_callback"}', ""),
])
def test_signed_malformed_body_is_400_not_500(api: Api, body: str, content_type: str) -> None:
    headers = signed_headers(SECRET, body, content_type=content_type)
    if not content_type:
        del headers["Content-Type"]
    error = assert_error(api.post(body, headers), 400)
    assert error["code"] == "bad_request"
    assert_nothing_sent(api)


def test_signed_body_that_is_not_utf8_is_400(api: Api) -> None:
    raw = b'{"type": "\xff"}'
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + raw,
                                                     hashlib.sha256).hexdigest()}
    assert_error(api.post(raw, headers), 400)


@pytest.mark.parametrize("body", ["{not json", "payload=notjson", "null"])
def test_unsigned_malformed_body_is_401(api: Api, body: str) -> None:
    unsigned = api.post(body, {"Content-Type": "application/json"})
    assert_error(unsigned, 401)
    forged = signed_headers("not-the-secret", body)
    assert_error(api.post(body, forged), 401)
    assert_nothing_sent(api)


def test_replayed_slash_command_is_answered_once(api: Api) -> None:
    body = COMMAND.replace("%7Bhook%7D", api.fake.response_url("replay"))
    headers = signed_headers(SECRET, body, content_type=FORM)  # one timestamp, one signature
    responses = [api.post(body, headers) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    api.fake.wait_for("/hooks/replay")
    time.sleep(0.3)  # a second answer, if any, would be on its way by now
    assert len(api.fake.calls("/hooks/replay")) == 1
    assert len(api.service.calls) == 1
    # the same command signed afresh (a new timestamp) is a new request: answered
    fresh = signed_headers(SECRET, body, timestamp=int(headers["X-Slack-Request-Timestamp"]) - 1,
                           content_type=FORM)
    assert api.post(body, fresh).status_code == 200
    api.fake.wait_for("/hooks/replay", count=2)


def test_replayed_button_click_is_handled_once(api: Api) -> None:
    payload = {
        "type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "api_app_id": "A1",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1", "is_ephemeral": True},
        "channel": {"id": "C1"}, "response_url": api.fake.response_url("click"), "trigger_id": "1.2.3",
        "actions": [{"action_id": "esgqa_share", "block_id": "esgqa_actions", "type": "button",
                     "value": json.dumps({"a": "ans-x", "q": "What were Scope 1 emissions in 2021?"}),
                     "action_ts": "1.2"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = signed_headers(SECRET, body, content_type=FORM)
    for _ in range(3):
        assert api.post(body, headers).status_code == 200
    api.fake.wait_for("/hooks/click", count=2)  # one share: the public post and the private delete
    time.sleep(0.3)
    assert len(api.fake.calls("/hooks/click")) == 2
    assert len(api.service.calls) == 1


def test_stale_and_future_timestamps_are_refused() -> None:
    from qa.slack.verify import verify_signature  # here, so the HTTP tests above run on any version

    body = b"{}"
    now = 1_700_000_000
    for ts in (now - 301, now + 301):
        with pytest.raises(Exception, match="window"):
            verify_signature(SECRET, body, str(ts), signature(SECRET, str(ts), body.decode()), now=now)
    assert verify_signature(SECRET, body, str(now - 299), signature(SECRET, str(now - 299), "{}"), now=now) == now - 299


def test_replay_guard_is_bounded_and_forgets_expired_entries() -> None:
    from qa.slack.verify import ReplayGuard

    clock = [1_700_000_000.0]
    guard = ReplayGuard(window_s=300, max_items=3, clock=lambda: clock[0])
    ts = int(clock[0])
    assert guard.first_time(ts, "a")
    assert not guard.first_time(ts, "a")
    for sig in "bcd":
        assert guard.first_time(ts, sig)
    assert len(guard) == 3
    assert not guard.first_time(ts, "d")
    clock[0] += 301  # outside the window: the signature check refuses it; the guard may forget it
    assert guard.first_time(ts + 301, "e")
    assert len(guard) == 1
