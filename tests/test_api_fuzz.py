"""Property-based fuzzing of the request bodies: whatever arrives, no 5xx and always the JSON error shape.

The fast run uses the fake service (adapter logic); the slow run sends the same kind of bodies to
the real model and index. Schemathesis (bottom) generates requests from the served /openapi.json and
sends them to the real server process (`qa.api.server.serve`), seeded and bounded.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from qa.api.app import create_app
from qa.config import Settings
from tests.api_fakes import FakeLoader, served
from tests.test_api import make_settings, wait_ready

scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=40)
json_values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                                                             max_size=4), max_leaves=12)
texts = st.text(max_size=60) | st.sampled_from(["", "  ", "GHG emissions 2020", "\x00", "\ud800", "x" * 1001])
filters = st.fixed_dictionaries({}, optional={
    "report_ids": st.lists(st.sampled_from(["xiaomi-esg-2020", "xiaomi-esg-2022", "acme-2020", ""]) | st.text(max_size=5),
                           max_size=3) | json_values,
    "years": st.lists(st.integers(1800, 2300), max_size=3) | json_values,
}) | json_values
turns = st.lists(st.fixed_dictionaries({"question": texts}, optional={"answer": texts | st.none()}), max_size=3)
ask_bodies = st.fixed_dictionaries({}, optional={
    "question": texts | json_values,
    "history": turns | json_values,
    "filters": filters,
    "top_k": st.integers(-3, 25) | json_values,
    "mode": st.sampled_from(["hybrid", "dense", "bm25", "other"]) | json_values,
}) | json_values
search_bodies = st.fixed_dictionaries({}, optional={
    "query": texts | json_values,
    "k": st.integers(-3, 60) | json_values,
    "mode": st.sampled_from(["hybrid", "dense", "bm25", "x"]),
    "filters": filters,
}) | json_values
feedback_bodies = st.fixed_dictionaries({}, optional={
    "question": texts | json_values, "answer_id": texts, "helpful": st.booleans() | json_values,
    "comment": texts | st.none(), "source": st.sampled_from(["api", "widget", "slack"]),
}) | json_values


def post(client: TestClient, path: str, body: Any) -> Any:
    """json.dumps with ASCII escapes, so lone surrogates ("\\ud800") reach the server as JSON allows."""
    return client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})


def check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]


@pytest.fixture(scope="module")
def fake_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with TestClient(create_app(make_settings(tmp), FakeLoader()), raise_server_exceptions=False) as client:
        wait_ready(client)
        yield client


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(body=ask_bodies)
def test_fuzz_ask(fake_client: TestClient, body: Any) -> None:
    check(post(fake_client, "/v1/ask", body))


@FAST
@given(body=search_bodies)
def test_fuzz_search(fake_client: TestClient, body: Any) -> None:
    check(post(fake_client, "/v1/search", body))


@FAST
@given(body=feedback_bodies)
def test_fuzz_feedback(fake_client: TestClient, body: Any) -> None:
    check(post(fake_client, "/v1/feedback", body))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
       path=st.sampled_from(["/v1/ask", "/v1/search", "/v1/feedback"]),
       content_type=st.sampled_from(["application/json", "text/plain", "", "application/x-www-form-urlencoded"]))
def test_fuzz_raw_bytes(fake_client: TestClient, raw: bytes, path: str, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    check(fake_client.post(path, content=raw, headers=headers))


# ---------------------------------------------------------------- the real service


@pytest.fixture(scope="module")
def real_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    pytest.importorskip("qa.service")
    tmp = tmp_path_factory.mktemp("fuzz-real")
    base = Settings()
    if not (base.index_dir / "CURRENT").exists():
        pytest.skip("no index: run `esgqa index` first")
    app = create_app(make_settings(tmp, index_dir=base.index_dir))
    with TestClient(app, raise_server_exceptions=False) as client:
        wait_ready(client, timeout=300)
        yield client


SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.slow
@SLOW
@given(body=ask_bodies)
def test_fuzz_ask_real(real_client: TestClient, body: Any) -> None:
    check(post(real_client, "/v1/ask", body))


@pytest.mark.slow
@SLOW
@given(body=search_bodies)
def test_fuzz_search_real(real_client: TestClient, body: Any) -> None:
    check(post(real_client, "/v1/search", body))


def test_fuzz_bodies_reach_the_service(fake_client: TestClient) -> None:
    """The strategies do produce valid bodies too (a fuzz run that only hits 422 proves little)."""
    statuses = set()
    for body in [{"question": "GHG emissions 2020", "top_k": 3, "filters": {"years": [2020]}},
                 json.loads('{"question": "x", "history": [{"question": "y"}], "mode": "dense"}')]:
        statuses.add(fake_client.post("/v1/ask", json=body).status_code)
    assert statuses == {200}
    # about 2% of the generated bodies are valid: search until one is (a fixed 200 draws missed now and then)
    seen: Counter[int] = Counter()

    def accepted(body: Any) -> bool:
        code = post(fake_client, "/v1/ask", body).status_code
        seen[code] += 1
        return code == 200

    try:
        find(ask_bodies, accepted, settings=settings(max_examples=3000, deadline=None, database=None))
    except NoSuchExample:
        pytest.fail(f"the ask strategy never produced a valid body (statuses: {dict(seen)})")


# ---------------------------------------------------------------- schemathesis over /openapi.json

ST_EXAMPLES = 50  # per operation and generation mode (valid and invalid requests): ~300 requests in all


def _check_case(case: Any, label: str, base: str, counts: Counter[tuple[str, int]], failures: list[str]) -> None:
    response = case.call(base_url=base, timeout=30)
    counts[(label, response.status_code)] += 1
    text = response.text
    problem = ""
    if response.status_code >= 500:
        problem = "server error"
    elif "Traceback" in text or "/site-packages/" in text:
        problem = "internals in the body"
    elif response.status_code >= 400 and case.method != "HEAD":
        try:
            assert set(response.json()) == {"error"}
        except (ValueError, AssertionError):
            problem = "not the JSON error body"
    if problem:
        failures.append(f"{label} -> {response.status_code} ({problem}): {case.as_curl_command()} {text[:300]}")


def _runner(strategy: Any, label: str, base: str, counts: Counter[tuple[str, int]], failures: list[str],
            bounded: Any) -> Any:
    @bounded
    @given(case=strategy)
    def run(case: Any) -> None:
        _check_case(case, label, base, counts, failures)

    return run


def schemathesis_run(base: str, skip: frozenset[str] = frozenset()) -> tuple[Counter[tuple[str, int]], list[str]]:
    """Requests generated by schemathesis from the served /openapi.json, every operation, both
    generation modes, seeded (derandomised), no shrinking: (operation, status) -> count, and the
    failures (a status >= 500, a traceback or an internal path in a body, a non-JSON error)."""
    import schemathesis
    from hypothesis import Phase
    from hypothesis.errors import Unsatisfiable

    schema = schemathesis.openapi.from_url(base + "/openapi.json")
    counts: Counter[tuple[str, int]] = Counter()
    failures: list[str] = []
    bounded = settings(max_examples=ST_EXAMPLES, derandomize=True, database=None, deadline=None,
                       phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in skip:
            continue
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            run = _runner(operation.as_strategy(generation_mode=mode), operation.label, base, counts, failures,
                          bounded)
            try:
                run()
            except Unsatisfiable:
                assert mode == schemathesis.GenerationMode.NEGATIVE  # no parameters: nothing to make invalid
    return counts, failures


def _summary(counts: Counter[tuple[str, int]]) -> str:
    total = sum(counts.values())
    by_status = Counter[int]()
    for (_label, status), n in counts.items():
        by_status[status] += n
    return f"{total} requests, statuses {dict(sorted(by_status.items()))}"


def test_schemathesis_against_the_served_app(tmp_path: Path) -> None:
    """The real server process (`serve()`, the real app) over the fake service: every operation of the
    OpenAPI document, no 5xx, no traceback, every error the JSON error body."""
    with served(tmp_path) as server:
        counts, failures = schemathesis_run(server.base)
        log = server.log()
    print("schemathesis (fake service):", _summary(counts))
    assert not failures, "\n".join(failures[:10])
    assert sum(counts.values()) >= 250
    labels = {label for label, _status in counts}
    assert {"POST /v1/ask", "POST /v1/search", "POST /v1/feedback", "HEAD /healthz"} <= labels, labels
    assert sum(n for (label, status), n in counts.items() if label == "POST /v1/ask" and status == 200) >= 10
    assert "Traceback" not in log


@pytest.mark.slow
def test_schemathesis_against_the_real_service(tmp_path: Path) -> None:
    """The same over the real model and index (reload is left out: each would load the model again)."""
    if not (Settings().index_dir / "CURRENT").exists():
        pytest.skip("no index: run `esgqa index` first")
    with served(tmp_path, app="qa.api.app:create_app", ready_timeout=300) as server:
        counts, failures = schemathesis_run(server.base, skip=frozenset({"POST /v1/admin/reload"}))
        log = server.log()
    print("schemathesis (real service):", _summary(counts))
    assert not failures, "\n".join(failures[:10])
    assert sum(counts.values()) >= 250
    assert "Traceback" not in log


def test_openapi_operation_ids_are_unique_and_raise_no_warning() -> None:
    import warnings

    app = create_app(make_settings(Path("/nonexistent")), FakeLoader())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec = app.openapi()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)), ids
    assert {"get", "head"} <= set(spec["paths"]["/healthz"]) and {"get", "head"} <= set(spec["paths"]["/readyz"])
