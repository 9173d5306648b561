"""Issue 15, finding 8: one client wiped all feedback (1,300 maximum-size entries in 125 s, within the
rate limit, rotated every earlier entry out of existence). Against the real app (lifespan, middleware,
routes): the flooder is refused after its quota, the store's cap refuses instead of deleting, and
every entry accepted before is still there and exportable."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.config import Settings
from tests.api_fakes import FakeLoader

KEY_A, KEY_B = "flood-key-a", "quiet-key-b"
FLOOD = 1300
MAX_QUESTION = ("Scope 1 émissions 2021 ✓ " * 80)[:1999] + "?"  # 2,000 characters: the largest accepted


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"api_keys": f"{KEY_A},{KEY_B}", "cors_origins": "", "rate_limit_per_minute": 0,
                              "feedback_path": tmp_path / "feedback.sqlite3", "log_json": False}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """Starts the app (lifespan and all middleware) with settings overrides; in-process ASGI, since
    1,300 loopback round trips to a uvicorn thread cost ~45 ms each on the test machine."""
    with contextlib.ExitStack() as stack:

        def start(**overrides: Any) -> TestClient:
            app = create_app(_settings(tmp_path, **overrides), FakeLoader(), handle_sighup=False)
            return stack.enter_context(TestClient(app))

        yield start


def _feedback(http: httpx.Client, key: str, i: int, big: bool = True) -> httpx.Response:
    body = {"question": MAX_QUESTION if big else f"question {i}", "answer_id": f"{key}-{i:05d}",
            "helpful": i % 2 == 0, "comment": ("not helpful at all " * 112)[:2000] if big else None}
    return http.post("/v1/feedback", json=body, headers={"X-API-Key": key})


def _exported(tmp_path: Path) -> list[Any]:
    from qa.feedback import SqliteFeedbackStore  # here: the assertions above are what main's code fails

    return list(SqliteFeedbackStore(tmp_path / "feedback.sqlite3").export())


def _error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["message"] and error["request_id"], error
    assert "Traceback" not in r.text and "/" not in error["message"]  # no paths


def test_finding8_a_flooding_client_gets_429_after_its_quota_and_wipes_nothing(serve: Any, tmp_path: Path) -> None:
    http = serve()  # the default quotas: 100 entries per client per hour, 1,000 per day
    before = [_feedback(http, KEY_B, i, big=False) for i in range(20)]
    assert [r.status_code for r in before] == [202] * 20
    t0 = time.perf_counter()
    flood = [_feedback(http, KEY_A, i) for i in range(FLOOD)]
    elapsed = time.perf_counter() - t0
    statuses = [r.status_code for r in flood]
    assert statuses == [202] * 100 + [429] * (FLOOD - 100), statuses[95:110]
    _error(flood[-1], 429, "feedback_quota_exceeded")
    assert 3000 < int(flood[-1].headers["Retry-After"]) <= 3601
    # another client still records, while the flooder is refused
    assert _feedback(http, KEY_B, 20, big=False).status_code == 202
    assert _feedback(http, KEY_A, FLOOD).status_code == 429
    stored = _exported(tmp_path)
    ids = [e.answer_id for e in stored]
    assert ids == [f"{KEY_B}-{i:05d}" for i in range(20)] + [f"{KEY_A}-{i:05d}" for i in range(100)] + [f"{KEY_B}-00020"]
    assert stored[0].question == "question 0" and stored[20].question == MAX_QUESTION
    metrics = http.get("/metrics").text
    assert re.search(r'esgqa_feedback_total\{result="quota"\} 1201\.0', metrics), metrics
    assert re.search(r'esgqa_feedback_total\{result="recorded"\} 121\.0', metrics)
    assert elapsed < 60


def test_finding8_a_full_store_refuses_new_feedback_and_keeps_the_old(serve: Any, tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    # no per-client quota: only the store's own cap stands between the flood and the disk
    http = serve(feedback_per_client_hour=0, feedback_per_client_day=0, feedback_max_bytes=300_000)
    before = [_feedback(http, KEY_B, i, big=False) for i in range(10)]
    assert [r.status_code for r in before] == [202] * 10
    with caplog.at_level("ERROR", logger="qa.feedback"):
        flood = [_feedback(http, KEY_A, i) for i in range(FLOOD)]
    accepted = sum(r.status_code == 202 for r in flood)
    assert 10 < accepted < 100 and [r.status_code for r in flood[accepted:]] == [507] * (FLOOD - accepted)
    _error(flood[-1], 507, "feedback_store_full")
    assert _feedback(http, KEY_B, 10).status_code == 507  # full is full, for everyone
    assert any("FEEDBACK STORE FULL" in r.getMessage() for r in caplog.records)
    assert sum("FEEDBACK STORE FULL" in r.getMessage() for r in caplog.records) <= 2  # loud, not a log flood
    ids = [e.answer_id for e in _exported(tmp_path)]
    assert ids == [f"{KEY_B}-{i:05d}" for i in range(10)] + [f"{KEY_A}-{i:05d}" for i in range(accepted)]
    full = FLOOD - accepted + 1  # the flood's refusals and the other client's
    assert re.search(rf'esgqa_feedback_total\{{result="full"\}} {full}\.0', http.get("/metrics").text)


def test_feedback_that_cannot_be_stored_is_a_clear_503_and_the_rest_keeps_serving(serve: Any,
                                                                                    tmp_path: Path) -> None:
    (tmp_path / "feedback.sqlite3").mkdir()  # the store's path is unusable
    http = serve()
    _error(_feedback(http, KEY_A, 1), 503, "feedback_unavailable")
    assert http.get("/healthz").status_code == 200


def test_without_api_keys_the_client_address_is_the_quota_key(serve: Any, tmp_path: Path) -> None:
    http = serve(api_keys="", feedback_per_client_hour=3)
    statuses = [http.post("/v1/feedback", json={"question": "q", "answer_id": f"a{i}", "helpful": True}).status_code
                for i in range(5)]
    assert statuses == [202, 202, 202, 429, 429]
    assert {e.client for e in _exported(tmp_path)} == {"ip:testclient"}  # TestClient's client address
