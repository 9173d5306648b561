"""Test doubles for the Slack bot tests: Slack's side played over real HTTP, and signed requests.

- `FakeSlack`: a real HTTP server on a free loopback port playing Slack's Web API
  (`chat.postMessage`, `chat.postEphemeral`, `conversations.replies`, `auth.test`) and the
  `response_url` endpoints (`/hooks/<name>`); it records every request it gets.
- `signed_headers`: Slack's v0 request signature (HMAC-SHA256 of `v0:{ts}:{body}`).
- `FakeService`: canned `Answer`s (quotes are real report text), recording each `ask` call.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from qa.models import Answer, Filters, Turn


@dataclass
class Recorded:
    method: str
    path: str  # without the query string, e.g. /api/chat.postMessage or /hooks/cmd1
    headers: dict[str, str]
    params: dict[str, Any]  # JSON body, form fields or query parameters


@dataclass
class FakeSlack:
    """Slack's Web API and response URLs on 127.0.0.1, recording what the bot sends."""

    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"
    replies: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                params: dict[str, Any] = {k: v[0] for k, v in parse_qs(url.query).items()}
                ctype = self.headers.get("Content-Type") or ""
                if raw and "json" in ctype:
                    params.update(json.loads(raw))
                elif raw:
                    params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
                record = Recorded(self.command, url.path, {k.lower(): v for k, v in self.headers.items()}, params)
                status, body, out_type = fake._reply(record)
                data = body.encode()
                # recorded before the reply is sent: once the client has its answer (and may make its next
                # request), this request is on the list, so the requests' order is the client's
                with fake._cond:
                    fake.requests.append(record)
                    fake._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Type", out_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-slack", daemon=True)
        self._thread.start()

    # ---- addresses ----
    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/hooks/{name}"

    # ---- Slack's behaviour ----
    def _reply(self, record: Recorded) -> tuple[int, str, str]:
        if record.path.startswith("/hooks/"):
            return 200, "ok", "text/plain"
        method = record.path.removeprefix("/api/")
        if method == "auth.test":
            body: dict[str, Any] = {"ok": True, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                                    "team_id": "T1", "user": "esgqa"}
        elif method == "chat.postMessage":
            body = {"ok": True, "channel": record.params.get("channel"), "ts": f"1700000000.{next(self._ts):06d}"}
        elif method == "chat.postEphemeral":
            body = {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        elif method == "conversations.replies":
            key = (str(record.params.get("channel")), str(record.params.get("ts")))
            body = {"ok": True, "messages": self.replies.get(key, []), "has_more": False}
        else:
            body = {"ok": False, "error": "unknown_method"}
        return 200, json.dumps(body), "application/json; charset=utf-8"

    # ---- inspection ----
    def calls(self, path: str) -> list[Recorded]:
        with self._cond:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 20.0) -> list[Recorded]:
        """The first `count` requests to `path`, waiting for them up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [r for r in self.requests if r.path == path]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} request(s) to {path}, got {len(found)}: "
                                         f"{[r.path for r in self.requests]}")
                self._cond.wait(left)

    def posts(self) -> list[Recorded]:
        """Everything the bot sent to a channel or a response URL (not reads like auth.test)."""
        with self._cond:
            return [r for r in self.requests
                    if r.path.startswith("/hooks/") or r.path in ("/api/chat.postMessage", "/api/chat.postEphemeral")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def signature(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return "v0=" + digest


def signed_headers(secret: str, body: str, *, timestamp: int | None = None,
                   content_type: str = "application/json") -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(secret, ts, body),
    }


class FakeService:
    """`ask` returns the first canned answer whose key occurs in the question; records each call.

    `gate`, when set, makes `ask` wait for it (to prove that Slack gets its ack before the answer).
    """

    def __init__(self, answers: dict[str, Callable[[str], Answer]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, list[Turn]]] = []
        self.gate: threading.Event | None = None
        self.started = threading.Event()
        self._lock = threading.Lock()

    def ask(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
            top_k: int = 5) -> Answer:
        with self._lock:
            self.calls.append((question, list(history or [])))
        self.started.set()
        if self.gate is not None and not self.gate.wait(20):
            raise TimeoutError("gate never opened")
        for key, make in self.answers.items():
            if key.lower() in question.lower():
                return make(question)
        return self.answers[""](question)
