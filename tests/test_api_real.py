"""The HTTP API over the real service (`QAService.load(Settings())`, the real model and index).

Slow: needs the index built by `esgqa index` (`python -m qa.cli index`).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.config import Settings
from tests.api_fakes import running_server
from tests.test_api import assert_error, make_settings, wait_ready

pytestmark = pytest.mark.slow

KEY = "real-key-123"
AUTH = {"X-API-Key": KEY}
REPORT_IDS = {"xiaomi-esg-2020", "xiaomi-esg-2022"}


def real_index() -> Path:
    pytest.importorskip("qa.service", reason="qa.service is not written yet")
    index = Settings().index_dir
    if not (index / "CURRENT").exists():
        pytest.skip("no index: run `python -m qa.cli index` first")
    return index


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    index = real_index()
    tmp = tmp_path_factory.mktemp("api-real")
    app = create_app(make_settings(tmp, index_dir=index, api_keys=KEY, cors_origins="https://w.example"))
    with TestClient(app, raise_server_exceptions=False) as client:
        wait_ready(client, timeout=300)
        yield client


def test_ask_happy_path(real: TestClient) -> None:
    r = real.post("/v1/ask", json={"question": "What were the total GHG emissions in 2020?"}, headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["answer_id"] and body["quotes"]
    top = body["quotes"][0]
    assert top["citation"]["report_id"] in REPORT_IDS
    source = (Settings().root / top["citation"]["source"]).read_text(encoding="utf-8")
    span = source[top["citation"]["start"]:top["citation"]["end"]]
    assert " ".join(span.split()) == " ".join(top["text"].split())  # verbatim, as the contract says
    assert set(body["timings_ms"]) >= {"total"}


def test_ask_with_filters_and_top_k(real: TestClient) -> None:
    r = real.post("/v1/ask", json={"question": "How much water did Xiaomi use?", "top_k": 3,
                                   "filters": {"report_ids": ["xiaomi-esg-2022"]}}, headers=AUTH)
    assert r.status_code == 200, r.text
    quotes = r.json()["quotes"]
    assert 1 <= len(quotes) <= 3 and {q["citation"]["report_id"] for q in quotes} == {"xiaomi-esg-2022"}


def test_search_happy_path(real: TestClient) -> None:
    r = real.post("/v1/search", json={"query": "greenhouse gas emissions", "k": 5, "mode": "hybrid"}, headers=AUTH)
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert 1 <= len(hits) <= 5
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert all(h["citation"]["report_id"] in REPORT_IDS and h["text"] for h in hits)
    assert all(h["citation"]["title"] != h["citation"]["report_id"] for h in hits)  # titles from the manifest
    for mode in ("dense", "bm25"):
        assert real.post("/v1/search", json={"query": "water", "mode": mode}, headers=AUTH).status_code == 200


def test_reports_happy_path(real: TestClient) -> None:
    r = real.get("/v1/reports", headers=AUTH)
    assert r.status_code == 200
    reports = {x["id"]: x for x in r.json()}
    assert set(reports) == REPORT_IDS
    assert reports["xiaomi-esg-2020"]["year"] == 2020
    assert all(x["chunk_count"] is None or x["chunk_count"] > 10 for x in reports.values())


def test_feedback_happy_path(real: TestClient) -> None:
    r = real.post("/v1/feedback", json={"question": "q", "answer_id": "a", "helpful": True}, headers=AUTH)
    assert r.status_code == 202


def test_probes_and_metrics(real: TestClient) -> None:
    assert real.get("/healthz").status_code == 200
    ready = real.get("/readyz").json()
    build = real.app.state.holder.get().build_id  # type: ignore[attr-defined]
    assert ready["build_id"] == build
    real.post("/v1/ask", json={"question": "What is the capital of France?"}, headers=AUTH)
    text = real.get("/metrics").text
    assert f'esgqa_index_build_info{{build_id="{build}"' in text
    assert 'esgqa_http_requests_total{method="POST",route="/v1/ask",status="200"}' in text


def test_errors_with_the_real_service(real: TestClient) -> None:
    assert_error(real.post("/v1/ask", json={"question": "GHG", "filters": {"report_ids": ["acme"]}},
                           headers=AUTH), 404, "unknown_report")
    assert_error(real.post("/v1/ask", json={"question": "x" * 1001}, headers=AUTH), 413)
    assert_error(real.post("/v1/ask", json={"question": " "}, headers=AUTH), 422)
    assert_error(real.post("/v1/ask", json={"question": "GHG", "top_k": 50}, headers=AUTH), 422)
    assert_error(real.post("/v1/ask", json={"question": "GHG"}), 401)


def test_cors_with_the_real_service(real: TestClient) -> None:
    r = real.post("/v1/ask", json={"question": "GHG emissions"}, headers={**AUTH, "Origin": "https://w.example"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://w.example"


# ---------------------------------------------------------------- reload over a copy of the index


def copy_index(src: Path, dst: Path) -> tuple[Path, str]:
    build = (src / "CURRENT").read_text().strip()
    (dst / "builds").mkdir(parents=True)
    shutil.copytree(src / "builds" / build, dst / "builds" / build)
    shutil.copy2(src / "CURRENT", dst / "CURRENT")
    return dst, build


def new_build(index: Path, from_build: str, new_id: str, corrupt: bool = False) -> str:
    """What `esgqa index` does, by hand: a new build directory, then CURRENT points at it. A corrupt
    build has its FAISS file truncated (the files of a running build are never touched: they may be
    memory-mapped)."""
    target = index / "builds" / new_id
    shutil.copytree(index / "builds" / from_build, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["build_id"] = new_id
    (target / "manifest.json").write_text(json.dumps(manifest))
    if corrupt:
        data = (target / "chunks.faiss").read_bytes()
        (target / "chunks.faiss").write_bytes(data[: len(data) // 3])
    (index / "CURRENT").write_text(new_id + "\n")
    return new_id


def test_reload_good_then_corrupt_keeps_serving_over_real_http(tmp_path: Path) -> None:
    index, build_a = copy_index(real_index(), tmp_path / "index")
    app = create_app(make_settings(tmp_path, index_dir=index, api_keys=KEY))
    with running_server(app) as base, httpx.Client(base_url=base, timeout=120, headers=AUTH) as http:
        deadline = time.monotonic() + 300
        while http.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        old_id = http.get("/readyz").json()["build_id"]
        question = {"question": "What were the total GHG emissions in 2020?"}
        first = http.post("/v1/ask", json=question).json()

        # a good new build, swapped in while requests are in flight: every one succeeds
        build_b = new_build(index, build_a, "b-" + build_a)
        statuses: list[int] = []
        stop = threading.Event()

        def hammer() -> None:
            with httpx.Client(base_url=base, timeout=120, headers=AUTH) as c:
                while not stop.is_set():
                    statuses.append(c.post("/v1/ask", json=question).status_code)

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        r = http.post("/v1/admin/reload")
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        assert r.status_code == 200, r.text
        assert (r.json()["build_id"], r.json()["previous_build_id"]) == (build_b, old_id)
        assert http.get("/readyz").json()["build_id"] == build_b
        assert len(statuses) > 4 and set(statuses) == {200}, statuses

        # a corrupt build: the reload fails with the reason and the old service keeps answering
        new_build(index, build_a, "c-" + build_a, corrupt=True)
        err = assert_error(http.post("/v1/admin/reload"), 409, "reload_failed")
        assert err["still_serving"] == build_b and "corrupt" in err["message"].lower()
        again = http.post("/v1/ask", json=question)
        assert again.status_code == 200
        assert again.json()["quotes"][0]["text"] == first["quotes"][0]["text"]
        ready = http.get("/readyz").json()
        assert ready["build_id"] == build_b and ready["last_reload_error"]
        assert 'esgqa_reloads_total{result="failed"} 1.0' in http.get("/metrics").text

        # CURRENT back on a good build: the next reload succeeds
        (index / "CURRENT").write_text(build_a + "\n")
        r = http.post("/v1/admin/reload")
        assert r.status_code == 200 and r.json()["build_id"] == old_id
        assert http.get("/readyz").json()["last_reload_error"] is None
