"""The answer time budget on the real service (model and index): every stage checks it, a request
past it stops with a clear 503 over HTTP, and within it the answers are exactly what they were."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.api.app import create_app
from qa.budget import Deadline
from qa.config import Settings
from qa.errors import OverBudget
from tests.api_fakes import running_server

pytestmark = pytest.mark.slow

QUESTIONS = ["What were Scope 1 emissions in 2021?", "What was the total water consumption in 2020?",
             "Does Xiaomi have an ISO 14001 certification?"]
STAGES = ["embedding", "retrieval", "composition", "ranking", "quote selection"]


class Recorder:
    """A deadline that records the stages checked, and runs out at `stop_at` (if given)."""

    def __init__(self, stop_at: str | None = None) -> None:
        self.stop_at = stop_at
        self.stages: list[str] = []

    def check(self, stage: str) -> None:
        self.stages.append(stage)
        if stage == self.stop_at:
            raise OverBudget(f"stopped before {stage}")


def _essentials(answer: Any) -> Any:
    return (answer.answered, answer.answer, answer.confidence, answer.notes,
            [(q.text, q.highlight, q.citation.report_id, q.citation.start, q.citation.end) for q in answer.quotes])


def test_every_stage_checks_the_budget_in_order(real_service: Any) -> None:
    recorder = Recorder()
    real_service.ask(QUESTIONS[0], deadline=recorder)
    assert recorder.stages == STAGES
    for stage in STAGES:
        with pytest.raises(OverBudget, match=stage):
            real_service.ask(QUESTIONS[0], deadline=Recorder(stop_at=stage))


def test_an_expired_budget_stops_before_any_work(real_service: Any) -> None:
    expired = Deadline(at=time.monotonic() - 1, budget_ms=5)
    t0 = time.perf_counter()
    with pytest.raises(OverBudget, match="5 ms time budget.*embedding"):
        real_service.ask(QUESTIONS[0], deadline=expired)
    with pytest.raises(OverBudget, match="retrieval"):
        real_service.search(QUESTIONS[0], deadline=expired)
    assert time.perf_counter() - t0 < 0.1


def test_answers_within_the_budget_are_unchanged(real_service: Any) -> None:
    for question in QUESTIONS:
        plain = real_service.ask(question)
        budgeted = real_service.ask(question, deadline=Deadline.start(60_000))
        assert _essentials(budgeted) == _essentials(plain), question


def test_tiny_budget_over_http_is_a_clear_503_and_the_default_answers(real_service: Any, tmp_path: Path) -> None:
    for budget, expected in ((1, 503), (Settings().answer_budget_ms, 200)):
        settings = Settings(api_keys="", rate_limit_per_minute=0, feedback_path=tmp_path / "fb.jsonl",
                            answer_budget_ms=budget)
        with running_server(create_app(settings, lambda _s: real_service, handle_sighup=False)) as base, \
                httpx.Client(base_url=base, timeout=30) as client:
            deadline = time.monotonic() + 30
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            t0 = time.perf_counter()
            r = client.post("/v1/ask", json={"question": QUESTIONS[0]})
            elapsed = time.perf_counter() - t0
        assert r.status_code == expected, r.text
        if expected == 503:
            error = r.json()["error"]
            assert error["code"] == "over_time_budget" and "1 ms time budget" in error["message"]
            assert r.headers["retry-after"] and "Traceback" not in r.text
            assert elapsed < 1.0
