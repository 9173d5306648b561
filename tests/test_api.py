"""The HTTP adapter over a fake service: errors, limits, auth, CORS, metrics, reload.

Fast (no model). The same endpoints against the real model and index are in tests/test_api_real.py;
server processes (SIGHUP, several workers) in tests/test_api_server.py.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.api.logs import JsonFormatter
from qa.api.ratelimit import RateLimiter
from qa.config import Settings
from tests.api_fakes import FakeLoader, corrupt

KEY = "k-test-0123456789"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_keys": "",
        "cors_origins": "",
        "rate_limit_per_minute": 0,  # off unless a test turns it on
        "rate_limit_burst": 60,
        "feedback_path": tmp_path / "feedback.jsonl",
        "log_json": False,
    }
    values.update(overrides)
    return Settings(**values)


def wait_ready(client: TestClient, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get("/readyz")
        if r.status_code == 200:
            return r.json()  # type: ignore[no-any-return]
        time.sleep(0.01)
    raise AssertionError(f"not ready: {r.json()}")


ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[ClientFactory]:
    clients: list[TestClient] = []

    def factory(loader: FakeLoader | None = None, ready: bool = True, **overrides: Any) -> TestClient:
        app = create_app(make_settings(tmp_path, **overrides), loader or FakeLoader())
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        if ready:
            wait_ready(client)
        return client

    yield factory
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


def assert_error(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    assert "Traceback" not in r.text
    return body["error"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- happy paths


def test_ask_returns_the_answer_contract(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "  What were total GHG emissions?  ", "top_k": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == "What were total GHG emissions?"  # trimmed before the service sees it
    assert body["answered"] is True and body["answer"] == "1,234 t"
    assert body["answer_id"].startswith("build-a-")
    assert body["quotes"][0]["citation"]["report_id"] == "acme-2020"
    assert len(body["quotes"]) == 2
    assert len(r.headers["x-request-id"]) == 32


def test_ask_sets_an_answer_id_when_the_service_does_not(make_client: ClientFactory) -> None:
    loader = FakeLoader()
    client = make_client(loader)
    service = loader.services[0]
    original = service.ask
    service.ask = lambda *a, **k: original(*a, **k).model_copy(update={"answer_id": None})  # type: ignore[method-assign]
    ids = {client.post("/v1/ask", json={"question": "water"}).json()["answer_id"] for _ in range(3)}
    assert len(ids) == 3 and all(len(i) == 32 for i in ids)


def test_ask_passes_filters_and_history(client: TestClient) -> None:
    body = {"question": "water withdrawal", "filters": {"report_ids": ["acme-2022"], "years": [2022]},
            "history": [{"question": "GHG?", "answer": "1,234 t"}]}
    r = client.post("/v1/ask", json=body)
    assert r.status_code == 200
    assert {q["citation"]["report_id"] for q in r.json()["quotes"]} == {"acme-2022"}


def test_request_id_is_echoed(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "water"}, headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = client.get("/nope", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces" and len(r.headers["x-request-id"]) == 32


def test_search_returns_ranked_hits_with_citations(client: TestClient) -> None:
    r = client.post("/v1/search", json={"query": "water withdrawal", "k": 5, "mode": "bm25"})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "water withdrawal"
    assert [h["rank"] for h in body["hits"]] == [1, 2]
    top = body["hits"][0]
    assert top["text"] == "Water withdrawal 99 m3 88 m3" and top["kind"] == "table_row"
    assert top["context"] == "Water | 2022 | 2021"
    assert top["citation"] == {"report_id": "acme-2022", "company": "Acme", "title": "Acme ESG Report 2022", "year": 2022,
                               "section": "2. Water", "page": 3, "source": "seeds/acme-2022.txt",
                               "start": 10, "end": 40, "page_label": None}


def test_reports_lists_reports_with_chunk_counts(client: TestClient) -> None:
    r = client.get("/v1/reports")
    assert r.status_code == 200
    assert [(x["id"], x["chunk_count"], x["years_covered"]) for x in r.json()] == [
        ("acme-2020", 1, [2019, 2020]), ("acme-2022", 1, [2021, 2022])]
    assert {(x["company"], tuple(x["aliases"])) for x in r.json()} == {("Acme", ())}


def test_feedback_is_recorded_in_the_store(client: TestClient, tmp_path: Path) -> None:
    r = client.post("/v1/feedback", json={"question": "GHG?", "answer_id": "a1", "helpful": False,
                                          "comment": "wrong year"})
    assert r.status_code == 202 and r.json() == {"status": "recorded"}
    client.post("/v1/feedback", json={"question": "Q2", "answer_id": "a2", "helpful": True, "source": "widget"})
    from qa.feedback import SqliteFeedbackStore

    lines = [e.model_dump() for e in SqliteFeedbackStore(tmp_path / "feedback.sqlite3").export()]
    assert [(x["answer_id"], x["helpful"], x["source"], x["comment"]) for x in lines] == [
        ("a1", False, "api", "wrong year"), ("a2", True, "widget", None)]
    assert lines[0]["ts"].endswith("Z")


def test_health_ready_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["build_id"] == "build-a"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/ask", "/v1/search", "/v1/reports", "/v1/feedback", "/v1/admin/reload", "/healthz", "/readyz",
            "/metrics"} <= set(paths)


# ---------------------------------------------------------------- error statuses


@pytest.mark.parametrize(
    "body",
    [
        {"question": ""},
        {"question": "   \n\t "},
        {"question": 42},
        {"question": None},
        {},
        {"question": "ok", "top_k": 0},
        {"question": "ok", "top_k": 21},
        {"question": "ok", "top_k": "many"},
        {"question": "ok", "mode": "magic"},
        {"question": "ok", "filters": {"report_ids": "acme-2020"}},
        {"question": "ok", "filters": {"unknown_field": 1}},
        {"question": "ok", "history": "not a list"},
        [1, 2, 3],
    ],
)
def test_ask_invalid_bodies_are_422(client: TestClient, body: Any) -> None:
    err = assert_error(client.post("/v1/ask", json=body), 422, "invalid_request")
    assert "pydantic" not in err["message"].lower()


def test_invalid_json_is_422(client: TestClient) -> None:
    r = client.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert "not valid JSON" in assert_error(r, 422, "invalid_request")["message"]


def test_question_over_1000_chars_is_413_and_1000_is_fine(client: TestClient) -> None:
    assert client.post("/v1/ask", json={"question": "x" * 1000}).status_code == 200
    err = assert_error(client.post("/v1/ask", json={"question": "x" * 1001}), 413, "question_too_long")
    assert "1001" in err["message"]
    assert_error(client.post("/v1/search", json={"query": "y" * 1001}), 413, "question_too_long")


def test_body_over_64_kib_is_413_by_content_length(client: TestClient) -> None:
    body = json.dumps({"question": "GHG", "history": [{"question": "q" * 70_000}]})
    assert_error(client.post("/v1/ask", content=body, headers={"content-type": "application/json"}), 413,
                 "payload_too_large")


def test_body_over_64_kib_is_413_when_streamed_without_length(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "GHG", "history": [{"question": "'
        for _ in range(20):
            yield b"q" * 4096
        yield b'"}]}'

    r = client.post("/v1/ask", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_error(r, 413, "payload_too_large")
    # a streamed body under the cap still works
    small = iter([b'{"question": ', b'"GHG emissions"}'])
    assert client.post("/v1/ask", content=small, headers={"content-type": "application/json"}).status_code == 200


def test_unknown_report_is_404(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "GHG", "filters": {"report_ids": ["acme-2020", "nope-1999"]}})
    err = assert_error(r, 404, "unknown_report")
    assert "nope-1999" in err["message"] and "acme-2022" in err["message"]
    assert_error(client.post("/v1/search", json={"query": "x", "filters": {"report_ids": ["zzz"]}}), 404)


def test_unknown_company_is_404(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "GHG", "filters": {"companies": ["acme", "Nope AG"]}})
    err = assert_error(r, 404, "unknown_company")
    assert "'Nope AG'" in err["message"] and "Acme" in err["message"]
    assert_error(client.post("/v1/search", json={"query": "x", "filters": {"companies": ["zzz"]}}), 404)
    assert client.post("/v1/ask", json={"question": "GHG", "filters": {"companies": ["ACME"]}}).status_code == 200


def test_unknown_route_and_wrong_method_are_json(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/v1/ask"), 405, "method_not_allowed")
    assert_error(client.delete("/healthz"), 405, "method_not_allowed")


def test_service_crash_is_a_generic_500_with_request_id(make_client: ClientFactory,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    loader = FakeLoader()
    client = make_client(loader)
    loader.services[0].fail_on = "boom"
    r = client.post("/v1/ask", json={"question": "boom"}, headers={"X-Request-ID": "req-500"})
    err = assert_error(r, 500, "internal_error")
    assert err["request_id"] == "req-500" and r.headers["x-request-id"] == "req-500"
    assert "passwd" not in r.text and "RuntimeError" not in r.text
    assert any("unhandled error" in rec.getMessage() and rec.exc_info for rec in caplog.records)
    assert client.post("/v1/ask", json={"question": "GHG"}).status_code == 200  # still serving


def test_not_ready_is_503_while_loading(make_client: ClientFactory) -> None:
    loader = FakeLoader()
    loader.gate = threading.Event()
    client = make_client(loader, ready=False)
    err = assert_error(client.get("/readyz"), 503, "not_ready")
    assert err["state"] == "loading" and "loading" in err["message"]
    r = client.post("/v1/ask", json={"question": "GHG"})
    assert_error(r, 503, "not_ready")
    assert r.headers["retry-after"]
    assert client.get("/healthz").status_code == 200
    loader.gate.set()
    assert wait_ready(client)["build_id"] == "build-a"


def test_failed_first_load_is_503_with_reason_and_reload_recovers(make_client: ClientFactory) -> None:
    loader = FakeLoader()
    loader.fail_next = corrupt()
    client = make_client(loader, ready=False, api_keys=KEY)
    deadline = time.monotonic() + 5
    while client.get("/readyz").json()["error"].get("state") != "failed" and time.monotonic() < deadline:
        time.sleep(0.01)
    err = assert_error(client.get("/readyz"), 503, "not_ready")
    assert err["state"] == "failed" and "CorruptIndex" in err["message"] and "truncated" in err["message"]
    assert_error(client.post("/v1/ask", json={"question": "GHG"}, headers={"X-API-Key": KEY}), 503)
    r = client.post("/v1/admin/reload", headers={"X-API-Key": KEY})
    assert r.status_code == 200 and r.json()["build_id"] == "build-a" and r.json()["previous_build_id"] is None
    assert client.get("/readyz").status_code == 200


# ---------------------------------------------------------------- security


def test_api_key_protects_v1_only(make_client: ClientFactory) -> None:
    client = make_client(api_keys=f"other-key, {KEY}")
    assert_error(client.post("/v1/ask", json={"question": "GHG"}), 401, "unauthorized")
    assert_error(client.post("/v1/ask", json={"question": "GHG"}, headers={"X-API-Key": "wrong"}), 401)
    assert_error(client.get("/v1/reports", headers={"X-API-Key": KEY + "x"}), 401)
    assert client.post("/v1/ask", json={"question": "GHG"}, headers={"X-API-Key": KEY}).status_code == 200
    assert client.get("/v1/reports", headers={"X-API-Key": "other-key"}).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"):
        assert client.get(path).status_code == 200, path


def test_api_key_is_checked_before_validation(make_client: ClientFactory) -> None:
    client = make_client(api_keys=KEY)
    assert_error(client.post("/v1/ask", json={"question": ""}), 401)


def test_cors_allows_only_configured_origins(make_client: ClientFactory) -> None:
    client = make_client(cors_origins="https://widget.example, https://b.example", api_keys=KEY)
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-api-key"}
    ok = client.options("/v1/ask", headers={"Origin": "https://widget.example", **preflight})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://widget.example"
    bad = client.options("/v1/ask", headers={"Origin": "https://evil.example", **preflight})
    assert_error(bad, 400, "cors_refused")
    assert "access-control-allow-origin" not in bad.headers
    r = client.post("/v1/ask", json={"question": "GHG"},
                    headers={"Origin": "https://b.example", "X-API-Key": KEY})
    assert r.headers["access-control-allow-origin"] == "https://b.example"
    assert "x-request-id" in r.headers["access-control-expose-headers"].lower()
    r = client.post("/v1/ask", json={"question": "GHG"},
                    headers={"Origin": "https://evil.example", "X-API-Key": KEY})
    assert "access-control-allow-origin" not in r.headers
    # errors are readable cross-origin too (the widget shows them)
    r = client.post("/v1/ask", json={"question": "GHG"}, headers={"Origin": "https://b.example"})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == "https://b.example"


def test_no_cors_headers_without_configured_origins(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "GHG"}, headers={"Origin": "https://widget.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_rate_limit_is_per_client_with_retry_after(make_client: ClientFactory) -> None:
    client = make_client(api_keys="key-one,key-two", rate_limit_per_minute=6, rate_limit_burst=3)
    one = {"X-API-Key": "key-one"}
    statuses = [client.post("/v1/ask", json={"question": "GHG"}, headers=one).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    r = client.get("/v1/reports", headers=one)
    err = assert_error(r, 429, "rate_limited")
    assert 1 <= int(r.headers["retry-after"]) <= 10 and err["message"]
    assert client.get("/v1/reports", headers={"X-API-Key": "key-two"}).status_code == 200  # its own bucket
    assert client.get("/healthz").status_code == 200  # probes are not limited
    assert client.get("/metrics").status_code == 200


def test_rate_limiter_refills_over_time() -> None:
    now = [100.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.acquire("a"), limiter.acquire("a")] == [0.0, 0.0]
    assert limiter.acquire("a") == pytest.approx(1.0)
    assert limiter.acquire("b") == 0.0
    now[0] += 0.5
    assert limiter.acquire("a") == pytest.approx(0.5)
    now[0] += 1.0
    assert limiter.acquire("a") == 0.0
    assert RateLimiter.retry_after(0.2) == "1"
    assert RateLimiter(per_minute=0, burst=1).acquire("a") == 0.0


def test_rate_limiter_memory_is_bounded() -> None:
    limiter = RateLimiter(per_minute=60, burst=1, max_clients=100)
    for i in range(1000):
        limiter.acquire(f"ip:{i}")
    assert len(limiter._buckets) == 100


def test_logs_have_questions_truncated_and_no_keys(make_client: ClientFactory,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(api_keys=KEY)
    caplog.set_level(logging.INFO)
    question = "GHG emissions " + "z" * 500
    client.post("/v1/ask", json={"question": question}, headers={"X-API-Key": KEY, "X-Request-ID": "log-1"})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "GHG emissions zzz" in text and "z" * 300 not in text
    assert KEY not in text
    assert any(r.name == "qa.api.access" and "/v1/ask 200" in r.getMessage() for r in caplog.records)


def test_json_log_formatter_includes_request_id() -> None:
    record = logging.makeLogRecord({"name": "qa.api", "levelname": "INFO", "msg": "ask %s", "args": ("q",),
                                    "request_id": "rid-1"})
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "ask q" and line["request_id"] == "rid-1" and line["level"] == "INFO"


# ---------------------------------------------------------------- metrics


def test_metrics_count_routes_statuses_outcomes_and_build(client: TestClient) -> None:
    client.post("/v1/ask", json={"question": "GHG emissions"})
    client.post("/v1/ask", json={"question": "water"})
    client.post("/v1/ask", json={"question": ""})
    client.get("/v1/unknown/path/1")
    text = client.get("/metrics").text
    assert 'esgqa_http_requests_total{method="POST",route="/v1/ask",status="200"} 2.0' in text
    assert 'esgqa_http_requests_total{method="POST",route="/v1/ask",status="422"} 1.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert 'esgqa_answers_total{outcome="answered"} 1.0' in text
    assert 'esgqa_answers_total{outcome="abstained"} 1.0' in text
    assert 'esgqa_index_build_info{build_id="build-a"' in text
    assert 'esgqa_http_request_duration_seconds_bucket{le="0.05",route="/v1/ask"}' in text
    assert "esgqa_ready 1.0" in text


# ---------------------------------------------------------------- reload


def test_reload_to_a_good_index_then_a_corrupt_one_keeps_serving(make_client: ClientFactory) -> None:
    loader = FakeLoader()
    client = make_client(loader, api_keys=KEY)
    auth = {"X-API-Key": KEY}
    r = client.post("/v1/admin/reload", headers=auth)
    assert r.status_code == 200
    assert (r.json()["build_id"], r.json()["previous_build_id"]) == ("build-b", "build-a")
    assert client.get("/readyz").json()["build_id"] == "build-b"
    loader.fail_next = corrupt()
    err = assert_error(client.post("/v1/admin/reload", headers=auth), 409, "reload_failed")
    assert "truncated" in err["message"] and err["still_serving"] == "build-b"
    ready = client.get("/readyz").json()
    assert ready["build_id"] == "build-b" and "CorruptIndex" in ready["last_reload_error"]
    answer = client.post("/v1/ask", json={"question": "GHG"}, headers=auth).json()
    assert answer["answer_id"].startswith("build-b-")
    text = client.get("/metrics").text
    assert 'esgqa_reloads_total{result="ok"} 2.0' in text and 'esgqa_reloads_total{result="failed"} 1.0' in text
    assert 'build_id="build-b"' in text and 'build_id="build-a"' not in text


def test_reload_requires_a_key_or_loopback(make_client: ClientFactory) -> None:
    keyed = make_client(api_keys=KEY)
    assert_error(keyed.post("/v1/admin/reload"), 401)
    open_client = make_client()  # no keys configured: TestClient's peer is "testclient", not loopback
    assert_error(open_client.post("/v1/admin/reload"), 403, "forbidden")


def test_concurrent_reload_is_refused_not_queued(make_client: ClientFactory) -> None:
    loader = FakeLoader(load_delay=0.3)
    client = make_client(loader, api_keys=KEY)
    with ThreadPoolExecutor(2) as pool:
        rs = list(pool.map(lambda _: client.post("/v1/admin/reload", headers={"X-API-Key": KEY}), range(2)))
    assert sorted(r.status_code for r in rs) == [200, 409]
    assert any(r.status_code == 409 and r.json()["error"]["code"] == "reload_in_progress" for r in rs)


def test_requests_during_a_reload_all_succeed(make_client: ClientFactory) -> None:
    loader = FakeLoader(load_delay=0.4, ask_delay=0.02)
    client = make_client(loader, api_keys=KEY)
    auth = {"X-API-Key": KEY}
    stop = threading.Event()
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def hammer() -> None:
        while not stop.is_set():
            r = client.post("/v1/ask", json={"question": "GHG emissions"}, headers=auth)
            with lock:
                results.append((r.status_code, r.json().get("answer_id", "")))

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    reload = client.post("/v1/admin/reload", headers=auth)
    time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join()
    assert reload.status_code == 200 and reload.json()["build_id"] == "build-b"
    assert results and all(status == 200 for status, _ in results), {s for s, _ in results}
    builds = {aid.rsplit("-", 1)[0] for _, aid in results}
    assert builds == {"build-a", "build-b"}  # served throughout, by the old then the new service


# ---------------------------------------------------------------- real HTTP


def test_over_real_http_with_loopback_reload(tmp_path: Path) -> None:
    import httpx

    from tests.api_fakes import running_server

    app = create_app(make_settings(tmp_path), FakeLoader())
    with running_server(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        deadline = time.monotonic() + 10
        while http.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        r = http.post("/v1/ask", json={"question": "GHG emissions"})
        assert r.status_code == 200 and r.json()["answered"] is True
        assert_error(http.post("/v1/ask", json={"question": "q" * 1001}), 413)
        assert_error(http.post("/v1/ask", content=b"x" * 70_000, headers={"content-type": "application/json"}),
                     413, "payload_too_large")
        r = http.post("/v1/admin/reload")  # no keys configured, but the peer is 127.0.0.1
        assert r.status_code == 200 and r.json()["build_id"] == "build-b"


# ---------------------------------------------------------------- optional adapters


def test_widget_routes_are_served_without_a_key(make_client: ClientFactory) -> None:
    client = make_client(api_keys=KEY)
    for path in ("/", "/widget.js", "/widget.css"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "x-request-id" in r.headers


def test_slack_events_is_404_json_without_slack_settings(client: TestClient) -> None:
    assert_error(client.post("/slack/events", json={"type": "url_verification"}), 404, "not_found")


def test_slack_events_is_mounted_with_slack_settings_and_needs_no_api_key(make_client: ClientFactory) -> None:
    client = make_client(api_keys=KEY, slack_signing_secret="s3cret", slack_bot_token="xoxb-test")
    r = client.post("/slack/events", json={"type": "url_verification", "challenge": "c"})
    assert r.status_code == 401  # Slack's own signature check refuses it; our API-key guard did not
    assert "Missing API key" not in r.text
