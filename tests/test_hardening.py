"""Issue 15 (hardening): each finding as the request that broke it, against the real app over HTTP.

The service is the fake of tests/api_fakes.py, made as strict as the real pipeline where a finding
needs it (the tokenizer encodes every text it gets as UTF-8: a lone surrogate raises there).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.api.app import create_app
from qa.config import Settings
from qa.models import Answer, Filters, Turn
from tests.api_fakes import FakeLoader, FakeService, running_server, served


class StrictService(FakeService):
    """Encodes the question and every history field as UTF-8, as the tokenizer does."""

    def ask(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
            top_k: int = 5) -> Answer:
        for text in [question] + [f or "" for t in history or [] for f in (t.question, t.answer, t.resolved_question)]:
            text.encode("utf-8")
        return super().ask(question, history, filters, top_k)


class StrictLoader(FakeLoader):
    def __call__(self, settings: Settings) -> FakeService:
        service = StrictService(build_id="build-a")
        self.services.append(service)
        return service


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"api_keys": "", "cors_origins": "", "rate_limit_per_minute": 0,
                              "feedback_path": tmp_path / "feedback.jsonl", "log_json": False}
    values.update(overrides)
    return Settings(**values)


def _wait_ready(http: httpx.Client) -> None:
    deadline = time.monotonic() + 10
    while http.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "not ready"
        time.sleep(0.01)


@pytest.fixture
def http(tmp_path: Path) -> Iterator[httpx.Client]:
    with running_server(create_app(_settings(tmp_path), StrictLoader())) as base, \
            httpx.Client(base_url=base, timeout=10) as client:
        _wait_ready(client)
        yield client


def _post(http: httpx.Client, path: str, payload: Any) -> httpx.Response:
    """`payload` as JSON with \\u escapes (so lone surrogates go over the wire as JSON allows)."""
    body = json.dumps(payload, ensure_ascii=True)
    return http.post(path, content=body, headers={"content-type": "application/json"})


def _assert_error(r: httpx.Response, statuses: tuple[int, ...]) -> dict[str, Any]:
    assert r.status_code in statuses, r.text
    error = r.json()["error"]
    assert set(error) >= {"code", "message", "request_id"}
    return error  # type: ignore[no-any-return]


# Finding 1: a lone surrogate in a history field reached the tokenizer -> 500.
def test_finding1_lone_surrogate_in_history_is_cleaned_not_500(http: httpx.Client) -> None:
    payload = {"question": "and in 2021?",
               "history": [{"question": "x", "resolved_question": "water \ud800 2020?"}]}
    r = _post(http, "/v1/ask", payload)
    assert r.status_code == 200, r.text
    for field in ("question", "answer", "resolved_question"):
        turn = {"question": "x", field: "a \ud800\x00\x07 b"}
        r = _post(http, "/v1/ask", {"question": "emissions?", "history": [turn]})
        assert r.status_code == 200, (field, r.text)


# Finding 2: a 53 KB history field was accepted, composed for seconds and echoed back.
def test_finding2_oversized_history_is_refused_quickly_without_echo(http: httpx.Client) -> None:
    marker = "waterwithdrawal"
    big = (marker + " ") * (53_000 // (len(marker) + 1))
    t0 = time.perf_counter()
    r = _post(http, "/v1/ask", {"question": "and in 2021?", "history": [{"question": "x", "resolved_question": big}]})
    elapsed = time.perf_counter() - t0
    error = _assert_error(r, (413, 422))
    assert elapsed < 1.0
    assert marker not in r.text and len(r.content) < 1000, error
    # many small turns: over the total size, and over the turn count
    turns = [{"question": "q" * 900, "answer": "a" * 900} for _ in range(10)]
    _assert_error(_post(http, "/v1/ask", {"question": "emissions?", "history": turns}), (413, 422))
    turns = [{"question": "q"} for _ in range(21)]
    _assert_error(_post(http, "/v1/ask", {"question": "emissions?", "history": turns}), (413, 422))
    # within the limits: answered
    r = _post(http, "/v1/ask", {"question": "emissions?", "history": [{"question": "q" * 1000}] * 5})
    assert r.status_code == 200, r.text


# Finding 9 (part): whitespace-only or NUL feedback fields were stored as "".
def test_finding9_blank_or_nul_feedback_fields_are_422(http: httpx.Client, tmp_path: Path) -> None:
    for field in ("question", "answer_id"):
        for blank in ("   ", "\x00", "\x00 \t\x01"):
            payload = {"question": "q?", "answer_id": "a1", "helpful": True, field: blank}
            _assert_error(_post(http, "/v1/feedback", payload), (422,))
    r = _post(http, "/v1/feedback", {"question": "q \ud800?", "answer_id": "a1", "helpful": True, "comment": "\x00 "})
    assert r.status_code == 202, r.text
    from qa.feedback import SqliteFeedbackStore

    [stored] = SqliteFeedbackStore(tmp_path / "feedback.sqlite3").export()
    assert stored.question == "q \ufffd?" and not stored.comment


# Finding 4: any HTTP method string became a metric label value (/metrics grew without bound).
def test_finding4_random_methods_add_no_metric_label_values(http: httpx.Client) -> None:
    import random
    import re
    import string

    def series(text: str) -> set[str]:
        return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}

    rng = random.Random(15)
    paths = ["/healthz", "/v1/ask", "/nope"]
    for path in paths:
        http.request("FIRST", path)
    http.get("/metrics")
    before = series(http.get("/metrics").text)
    for _ in range(60):
        method = "".join(rng.choices(string.ascii_uppercase, k=12))
        r = http.request(method, rng.choice(paths))
        assert r.status_code < 500
    text = http.get("/metrics").text
    assert series(text) == before, series(text) - before
    methods = set(re.findall(r'method="([^"]*)"', text))
    assert methods <= {"GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "other"}, methods
    statuses = set(re.findall(r'status="([^"]*)"', text))
    assert all(re.fullmatch(r"\d{3}|\dxx", s) for s in statuses), statuses


# Finding 9 (rest): HEAD /healthz was 405; a 404 echoed the whole request path.
def test_finding9_head_probes_and_404_without_long_echo(http: httpx.Client) -> None:
    for path in ("/healthz", "/readyz"):
        r = http.head(path)
        assert r.status_code == 200, (path, r.status_code)
    long_path = "/" + "x" * 20_000
    r = http.get(long_path)
    error = _assert_error(r, (404,))
    assert len(r.content) < 500 and "x" * 200 not in error["message"]
    r = http.request("FOO" * 50, "/healthz")
    assert r.status_code in (404, 405) and len(r.content) < 500


def _served_with_rotating_xff(base: str, n: int) -> int:
    served = 0
    with httpx.Client(base_url=base, timeout=10) as client:
        for i in range(n):
            r = client.get("/v1/reports", headers={"X-Forwarded-For": f"203.0.113.{i % 250 + 1}"})
            assert r.status_code in (200, 429), r.text
            served += r.status_code == 200
    return served


# Finding 5: X-Forwarded-For was trusted from 127.0.0.1, so rotating it dodged the rate limit.
def test_finding5_forwarded_for_does_not_dodge_the_rate_limit(tmp_path: Path) -> None:
    limits = {"ESGQA_RATE_LIMIT_PER_MINUTE": "6", "ESGQA_RATE_LIMIT_BURST": "3"}
    with served(tmp_path, **limits) as server:
        assert _served_with_rotating_xff(server.base, 12) <= 4
    # a configured proxy is believed: each forwarded client has its own bucket
    with served(tmp_path, ESGQA_TRUSTED_PROXIES="127.0.0.1", **limits) as server:
        assert _served_with_rotating_xff(server.base, 12) == 12


def test_service_history_is_cleaned_and_fitted_not_refused() -> None:
    """QAService (every adapter, e.g. a long Slack thread) cuts the history to the limits: the newest
    turns that fit, each field at most the question limit, all of it cleaned."""
    from qa.inputs import fit_history

    turns = [Turn(question=f"q{i} \ud800", answer="a" * 5000, resolved_question=None) for i in range(30)]
    fitted = fit_history(turns, max_chars=1000, max_turns=20, max_total=8000)
    assert fitted and fitted[-1].question == "q29 \ufffd"
    assert all(len(t.answer or "") <= 1000 for t in fitted)
    assert sum(len(t.question) + len(t.answer or "") for t in fitted) <= 8000
    assert fit_history([], 1000, 20, 8000) == []
