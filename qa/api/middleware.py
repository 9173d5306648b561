"""Pure-ASGI middleware: request ids, metrics and access logs, body size cap, API key, rate limit,
concurrency limit.

Order, outermost first (see `app.create_app`): RequestContext -> GZip -> CORS -> ConcurrencyLimit ->
BodyLimit -> Guard -> app.
Every rejection here is the same JSON error body the route handlers produce.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import time
import uuid
from collections.abc import Collection

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .context import reset_request_id, set_request_id
from .errors import GENERIC_500, error_bytes, error_payload
from .logs import truncate
from .metrics import Metrics
from .ratelimit import RateLimiter

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("qa.api.access")

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PROTECTED_PREFIX = "/v1/"


async def send_error(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    body = error_bytes(status, code, message)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def route_label(scope: Scope, known_paths: Collection[str]) -> str:
    """The route template for metrics (bounded cardinality: unknown paths share one label)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return scope["path"] if scope.get("path") in known_paths else "<unmatched>"


METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
STATUSES = frozenset({200, 202, 204, 304, 400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429, 500, 503, 507})


def method_label(method: object) -> str:
    """The HTTP method for metrics and logs, from a closed set (any other string: "other")."""
    return method if isinstance(method, str) and method in METHODS else "other"


def status_label(status: int) -> str:
    """The status code when it is one the service answers with, else its class ("5xx")."""
    return str(status) if status in STATUSES else f"{max(1, min(5, status // 100))}xx"


class RequestContextMiddleware:
    """Request id (accepted from `X-Request-ID` or generated), metrics, access log, last-resort 500."""

    def __init__(self, app: ASGIApp, metrics: Metrics, known_paths: Collection[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.known_paths = known_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request_id)
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        t0 = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            status = 500
            if not started:
                await send_error(send_with_id, 500, "internal_error", GENERIC_500)
        finally:
            elapsed = time.perf_counter() - t0
            self.metrics.in_flight.dec()
            route = route_label(scope, self.known_paths)
            method = method_label(scope.get("method"))
            self.metrics.requests.labels(route=route, method=method, status=status_label(status)).inc()
            self.metrics.latency.labels(route=route).observe(elapsed)
            level = logging.INFO if str(scope.get("path", "")).startswith(PROTECTED_PREFIX) else logging.DEBUG
            access_logger.log(level, "%s %s %d %.1fms", method, truncate(str(scope.get("path", ""))), status,
                              elapsed * 1000)
            reset_request_id(token)


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """413 for bodies over `max_bytes`: by `Content-Length`, and by counting what actually arrives."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        too_large = f"The request body is over {self.max_bytes} bytes."
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not (length.strip().isascii() and length.strip().isdigit()):
                await send_error(send, 400, "bad_request", "Invalid Content-Length header.")
                return
            if int(length) > self.max_bytes:
                await send_error(send, 413, "payload_too_large", too_large)
                return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's reaction to the aborted read (often a 400) is replaced below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await send_error(send, 413, "payload_too_large", too_large)


class GuardMiddleware:
    """API key and per-client rate limit for `/v1/*` (health, metrics, docs, widget and Slack are exempt)."""

    def __init__(self, app: ASGIApp, api_keys: Collection[str], limiter: RateLimiter) -> None:
        self.app = app
        self.api_keys = tuple(k.encode() for k in api_keys)
        self.limiter = limiter

    def _valid(self, key: str) -> bool:
        given = key.encode()
        found = False
        for candidate in self.api_keys:  # no early exit: constant time over the key list
            found |= hmac.compare_digest(given, candidate)
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(PROTECTED_PREFIX) or scope.get("method") == "OPTIONS":
            await self.app(scope, receive, send)
            return
        key = Headers(scope=scope).get("x-api-key", "")
        valid = bool(key) and bool(self.api_keys) and self._valid(key)
        if valid:
            client = "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
        else:
            client = "ip:" + (scope.get("client") or ("unknown", 0))[0]
        scope.setdefault("state", {})["client"] = client  # the same key for per-client feedback quotas
        wait = self.limiter.acquire(client)
        if wait > 0:
            await send_error(
                send, 429, "rate_limited", "Too many requests; slow down and retry after the given seconds.",
                {"Retry-After": RateLimiter.retry_after(wait)},
            )
            return
        if self.api_keys and not valid:
            message = "Invalid API key." if key else "Missing API key: send it in the X-API-Key header."
            await send_error(send, 401, "unauthorized", message, {"WWW-Authenticate": "ApiKey"})
            return
        await self.app(scope, receive, send)


PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


class ConcurrencyLimitMiddleware:
    """At most `max_requests` requests in progress in this worker; the next ones get a 503 at once
    (instead of queueing behind them). The probes are exempt: they must answer under any load."""

    def __init__(self, app: ASGIApp, max_requests: int) -> None:
        self.app = app
        self.max_requests = max_requests
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_requests <= 0 or scope.get("path") in PROBES:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.max_requests:
            await send_error(send, 503, "overloaded",
                             f"The server is answering {self.max_requests} requests; retry in a moment.",
                             {"Retry-After": "1"})
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1


class JSONCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, with refused preflights answered in the JSON error format."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        reason = bytes(response.body).decode("utf-8", "replace")
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        return JSONResponse(error_payload("cors_refused", reason), status_code=response.status_code, headers=headers)


def cors_middleware_kwargs(origins: list[str]) -> dict[str, object]:
    return {
        "allow_origins": origins,
        "allow_methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": ["Content-Type", "X-API-Key", "X-Request-ID"],
        "expose_headers": ["X-Request-ID", "Retry-After"],
        "max_age": 600,
    }


