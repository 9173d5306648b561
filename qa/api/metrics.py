"""Prometheus metrics, one registry per app (so tests and reloads never collide).

With several workers each process has its own registry: `/metrics` shows the worker that
answered (label `pid`); scrape each worker or run one worker per container.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "esgqa_http_requests",
            "HTTP requests by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "esgqa_http_request_duration_seconds",
            "Time from request start to the end of the response, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge("esgqa_http_requests_in_flight", "Requests being handled.", registry=self.registry)
        self.answers = Counter(
            "esgqa_answers", "Answers from /v1/ask by outcome.", ["outcome"], registry=self.registry
        )
        self.reloads = Counter(
            "esgqa_reloads", "Service (re)loads by result.", ["result"], registry=self.registry
        )
        self.feedback = Counter(
            "esgqa_feedback", "Feedback entries by result: recorded, or refused (quota, full, unavailable).",
            ["result"], registry=self.registry,
        )
        self.feedback_used = Gauge(
            "esgqa_feedback_store_used_ratio",
            "Fill level of the feedback store against its cap (0..1); at 1 new feedback is refused.",
            registry=self.registry,
        )
        self.ready = Gauge("esgqa_ready", "1 when a service is loaded and serving.", registry=self.registry)
        self.index_info = Gauge(
            "esgqa_index_build_info",
            "The index build being served (value 1; the build id is the label).",
            ["build_id", "pid"],
            registry=self.registry,
        )
        for outcome in ("answered", "abstained"):
            self.answers.labels(outcome=outcome)
        for result in ("ok", "failed"):
            self.reloads.labels(result=result)
        for result in ("recorded", "quota", "full", "unavailable"):
            self.feedback.labels(result=result)

    def feedback_result(self, result: str, used: float | None) -> None:
        """The feedback store's observer."""
        self.feedback.labels(result=result).inc()
        if used is not None:
            self.feedback_used.set(used)

    def set_build(self, build_id: str | None) -> None:
        self.index_info.clear()
        self.ready.set(1 if build_id is not None else 0)
        if build_id is not None:
            self.index_info.labels(build_id=build_id, pid=str(os.getpid())).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
