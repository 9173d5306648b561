"""`qa.api.server.serve` as a real process on a loopback port: SIGHUP reloads, several workers.

The app is the real one over the fake service (`tests.api_fakes:fake_app_factory`), so this runs in
seconds; the real model behind `serve` is exercised by bench/bench_api.py and tests/test_api_real.py.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api_fakes import served


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[object]:
    """`start(workers, extra="", **env)` -> (process, base URL): `served` processes, stopped at the end."""
    with contextlib.ExitStack() as stack:

        def start(workers: int, extra: str = "", **env_extra: str) -> tuple[subprocess.Popen[bytes], str]:
            server = stack.enter_context(served(tmp_path, workers=workers, settings=extra, **env_extra))
            server.proc.log_path = server.log_path  # type: ignore[attr-defined]
            return server.proc, server.base

        yield start


def builds_by_worker(base: str, tries: int = 40) -> dict[str, str]:
    """pid -> build id, from /metrics of whichever workers answer fresh connections."""
    seen: dict[str, str] = {}
    for _ in range(tries):
        text = httpx.get(base + "/metrics", timeout=5).text
        m = re.search(r'esgqa_index_build_info\{build_id="([^"]+)",pid="(\d+)"\}', text)
        assert m, text
        seen[m.group(2)] = m.group(1)
    return seen


def wait_for(predicate: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.1)


def test_sighup_reloads_a_single_worker(start_server: object) -> None:
    proc, base = start_server(1)  # type: ignore[operator]
    assert httpx.get(base + "/readyz").json()["build_id"] == "build-a"
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: httpx.get(base + "/readyz").json()["build_id"] == "build-b")
    assert proc.poll() is None
    r = httpx.post(base + "/v1/ask", json={"question": "GHG emissions"})
    assert r.status_code == 200 and r.json()["answer_id"].startswith("build-b-")


def test_sighup_reloads_every_worker_in_place(start_server: object) -> None:
    proc, base = start_server(2, extra="max_question_chars=50")  # type: ignore[operator]
    before = builds_by_worker(base)
    assert set(before.values()) == {"build-a"} and len(before) == 2, before
    # settings passed to serve() (not in the environment) reach the spawned workers
    assert httpx.post(base + "/v1/ask", json={"question": "q" * 51}).status_code == 413
    proc.send_signal(signal.SIGHUP)
    time.sleep(1.0)
    after: dict[str, str] = {}
    wait_for(lambda: after.update(builds_by_worker(base, 20)) or set(after.values()) == {"build-b"})
    assert set(after) == set(before), (before, after)  # the same two processes, each reloaded in place


def test_json_logs_carry_request_ids_and_no_keys(start_server: object) -> None:
    key = "very-secret-key-42"
    proc, base = start_server(1, ESGQA_LOG_JSON="true", ESGQA_API_KEYS=key)  # type: ignore[operator]
    r = httpx.post(base + "/v1/ask", json={"question": "GHG emissions " + "w" * 400},
                   headers={"X-API-Key": key, "X-Request-ID": "json-log-1"})
    assert r.status_code == 200
    assert httpx.post(base + "/v1/ask", json={"question": "x"}, headers={"X-API-Key": "wrong-guess"}).status_code == 401
    time.sleep(0.3)
    text = proc.log_path.read_text()  # type: ignore[attr-defined]
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    mine = [rec for rec in records if rec["request_id"] == "json-log-1"]
    assert {rec["logger"] for rec in mine} >= {"qa.api.routes", "qa.api.access"}, records
    asked = next(rec for rec in mine if rec["logger"] == "qa.api.routes")
    assert "GHG emissions www" in asked["message"] and "w" * 300 not in asked["message"]
    assert key not in text and "wrong-guess" not in text
