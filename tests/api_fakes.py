"""A tiny deterministic stand-in for `qa.service.QAService`, for fast API tests.

Real behaviour (the model and the index) is tested in tests/test_api_real.py; this fake only lets
the adapter's own logic (errors, limits, auth, reload) be tested in milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.budget import Deadline, check
from qa.config import Settings
from qa.errors import CorruptIndex, UnknownReport
from qa.models import Answer, Chunk, Citation, Filters, Hit, Quote, ReportInfo, SearchMode, Turn

REPORTS = [
    ReportInfo(id="acme-2020", company="Acme", title="Acme ESG Report 2020", year=2020, years_covered=[2019, 2020],
               source="seeds/acme-2020.txt", original_name="a.txt", sha256="0" * 64),
    ReportInfo(id="acme-2022", company="Acme", title="Acme ESG Report 2022", year=2022, years_covered=[2021, 2022],
               source="seeds/acme-2022.txt", original_name="b.txt", sha256="1" * 64),
]

CHUNKS = [
    Chunk(id="c1", report_id="acme-2020", source="seeds/acme-2020.txt", start=0, end=33, section="1. Energy",
          page=None, kind="text", text="Total GHG emissions were 1,234 t."),
    Chunk(id="c2", report_id="acme-2022", source="seeds/acme-2022.txt", start=10, end=40, section="2. Water",
          page=3, kind="table_row", text="Water withdrawal 99 m3 88 m3", context="Water | 2022 | 2021"),
]


@dataclass
class FakeService:
    build_id: str = "build-a"
    ask_delay: float = 0.0
    calls: list[str] = field(default_factory=list)
    fail_on: str | None = None  # a question that raises RuntimeError (to test the 500 path)

    def reports(self) -> list[ReportInfo]:
        return list(REPORTS)

    def chunk_counts(self) -> dict[str, int]:
        return {"acme-2020": 1, "acme-2022": 1}

    def _hits(self, query: str, k: int, filters: Filters | None) -> list[Hit]:
        chunks = CHUNKS
        if filters and filters.report_ids:
            unknown = set(filters.report_ids) - {r.id for r in REPORTS}
            if unknown:
                raise UnknownReport(f"unknown report {sorted(unknown)}")
            chunks = [c for c in chunks if c.report_id in filters.report_ids]
        words = set(query.lower().split())
        scored = sorted(chunks, key=lambda c: -len(words & set(c.text.lower().split())))
        return [Hit(chunk=c, score=1.0 / (i + 1), rank=i + 1) for i, c in enumerate(scored[:k])]

    def ask(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
            top_k: int = 5, deadline: Deadline | None = None) -> Answer:
        self.calls.append(question)
        check(deadline, "embedding")
        if self.ask_delay:
            time.sleep(self.ask_delay)
        check(deadline, "composition")
        if self.fail_on is not None and question == self.fail_on:
            raise RuntimeError("secret internal detail /etc/passwd")
        hits = self._hits(question, top_k, filters)
        answered = "ghg" in question.lower() or "emission" in question.lower()
        quotes = [
            Quote(text=h.chunk.text, score=h.score, kind=h.chunk.kind, context=h.chunk.context or None,
                  highlight=[25, 30] if answered and i == 0 else None,
                  citation=Citation(report_id=h.chunk.report_id, title="t", year=2020, section=h.chunk.section,
                                    page=h.chunk.page, source=h.chunk.source, start=h.chunk.start,
                                    end=h.chunk.end))
            for i, h in enumerate(hits)
        ]
        return Answer(question=question, answered=answered, answer="1,234 t" if answered else None,
                      confidence=0.9 if answered else 0.1, quotes=quotes, timings_ms={"total": 0.1},
                      answer_id=f"{self.build_id}-{len(self.calls)}")

    def search(self, query: str, k: int = 10, mode: SearchMode = "hybrid",
               filters: Filters | None = None) -> list[Hit]:
        return self._hits(query, k, filters)


class FakeLoader:
    """`service_loader` for `create_app`: hands out builds in turn, or fails when told to."""

    def __init__(self, builds: list[str] | None = None, load_delay: float = 0.0, ask_delay: float = 0.0) -> None:
        self.builds = list(builds or ["build-a", "build-b", "build-c", "build-d"])
        self.load_delay = load_delay
        self.ask_delay = ask_delay
        self.fail_next: Exception | None = None
        self.loads = 0
        self.services: list[FakeService] = []
        self.gate: threading.Event | None = None  # when set, loads wait for it
        self.hook: Callable[[Settings], None] | None = None

    def __call__(self, settings: Settings) -> FakeService:
        if self.gate is not None:
            self.gate.wait(10)
        if self.load_delay:
            time.sleep(self.load_delay)
        if self.hook is not None:
            self.hook(settings)
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        service = FakeService(build_id=self.builds[self.loads % len(self.builds)], ask_delay=self.ask_delay)
        self.loads += 1
        self.services.append(service)
        return service


def corrupt() -> Exception:
    return CorruptIndex("index/builds/x/dense.faiss is truncated; run `esgqa index` again")


def fake_app_factory():  # type: ignore[no-untyped-def]
    """`uvicorn --factory tests.api_fakes:fake_app_factory`: the real app over a fake service (for
    tests that need a real server process: SIGHUP, several workers)."""
    from qa.api.app import create_app

    return create_app(Settings(), FakeLoader())


def delayed_fake_app_factory():  # type: ignore[no-untyped-def]
    """`fake_app_factory` whose answers take `ESGQA_FAKE_ASK_DELAY_S` seconds (steady latencies for
    timing tests: the sleep, not the shared CPU, dominates)."""
    import os

    from qa.api.app import create_app

    return create_app(Settings(), FakeLoader(ask_delay=float(os.environ.get("ESGQA_FAKE_ASK_DELAY_S", "0.02"))))


FAKE = "tests.api_fakes:fake_app_factory"
DELAYED = "tests.api_fakes:delayed_fake_app_factory"  # answers take ESGQA_FAKE_ASK_DELAY_S
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def served(tmp_path: Path, app: str = FAKE, fd_limit: int | None = None, ready_timeout: float = 60.0,
           workers: int = 1, settings: str = "", **env_extra: str) -> Iterator[Server]:
    """`qa.api.server.serve` (the real uvicorn set-up) in a process on a free loopback port, serving
    `app` (an app factory's import string; default: the real app over the fake service), optionally
    with a lower file-descriptor limit; stopped (SIGTERM) afterwards. `settings`: keyword arguments
    given to `Settings(...)` in the serving process (not the environment: they reach spawned workers
    only through `serve`)."""
    port = free_port()
    code = ("from qa.api.server import serve; from qa.config import Settings; "
            f"serve(Settings({settings}), '127.0.0.1', {port}, {workers}, app={app!r})")
    env = {**os.environ, "ESGQA_FEEDBACK_PATH": str(tmp_path / "fb.jsonl"), "ESGQA_API_KEYS": "",
           "ESGQA_RATE_LIMIT_PER_MINUTE": "0", "ESGQA_TRUSTED_PROXIES": "", **env_extra}
    env.pop("FORWARDED_ALLOW_IPS", None)  # uvicorn's own proxy setting: the tests set ESGQA_TRUSTED_PROXIES

    def limit_fds() -> None:
        if fd_limit is not None:  # soft and hard: serve() raises the soft limit to the hard one
            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

    log_path = tmp_path / f"server-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, stdout=log, stderr=log,
                                preexec_fn=limit_fds)
    server = Server(proc, f"http://127.0.0.1:{port}", port, log_path)
    try:
        wait_ready(proc, server.base, log_path, ready_timeout)
        yield server
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 20 s."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(proc: Any, base: str, log_path: Any, timeout: float = 60.0) -> None:
    """Wait until a server process started by a test answers `/readyz` with 200 (its log on failure)."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, log_path.read_text()
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "server not ready"
        time.sleep(0.1)


@contextlib.contextmanager
def running_server(app: Any) -> Iterator[str]:
    """Serves `app` with uvicorn on a free loopback port in a thread; yields the base URL."""
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
