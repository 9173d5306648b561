"""Connection limits for uvicorn: read deadlines and a cap on open connections (issue 15, finding 3).

uvicorn's h11 protocol never times out a connection that does not finish its request headers (its
keep-alive timer only runs after a response), so a few thousand silent sockets used to exhaust the
worker's file descriptors; from then on nothing was accepted, `/healthz` included. `GuardedH11Protocol`:

- header deadline: from the connection's opening (or the first byte of a keep-alive request) until the
  request's headers are complete. Past it the connection is closed, with a 408 if any bytes came.
- body deadline: from the headers until the body is complete; a 408 (no response started yet), closed.
- a cap on open connections per worker, kept below the file-descriptor limit: a connection over the
  cap closes the one that has waited longest without a request in progress (still sending its headers,
  or idle between keep-alive requests); when every connection is busy with a request, the new one gets
  a 503. Clients that send their request at once are served however many silent sockets are open.

Requests that are being answered are never cut: their time is bounded by the answer budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import resource
import socket
import weakref
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from .errors import error_bytes

logger = logging.getLogger(__name__)

# File descriptors: a quarter of the limit (at least 64) is kept out of the connection cap. Half of that
# is for the process's own files (index, model, logs, feedback store, thread pool); the other half for
# the connections the event loop has accepted before the cap has seen them: a connection reaches the
# protocol two loop turns after its accept() and an evicted one is closed a turn later, so up to four
# turns' batches (`accept_batch`: an eighth of the reserve each) are in flight.
FD_RESERVE_MIN = 64
FD_RESERVE_SHARE = 4
MAX_ACCEPT_BATCH = 2048  # uvicorn's listen backlog, asyncio's batch
FD_LIMIT_WANTED = 65536


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    max_connections: int = 1000


def fd_limit() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def raise_fd_limit(wanted: int = FD_LIMIT_WANTED) -> int:
    """Raises the soft descriptor limit towards `wanted`, within the hard limit; returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:
            logger.warning("could not raise the file-descriptor limit from %d to %d: %s", soft, target, exc)
    return fd_limit()


def _reserve(limit: int) -> int:
    return max(FD_RESERVE_MIN, limit // FD_RESERVE_SHARE)


def connection_cap(max_connections: int, limit: int | None = None) -> int:
    """`max_connections`, lowered so that open connections never use up the file descriptors."""
    limit = fd_limit() if limit is None else limit
    return max(1, min(max_connections, limit - _reserve(limit)))


def accept_batch(limit: int | None = None) -> int:
    """How many connections the loop accepts per tick: they must fit in the descriptors kept out of the cap."""
    limit = fd_limit() if limit is None else limit
    return max(8, min(MAX_ACCEPT_BATCH, _reserve(limit) // 8))


class BoundedAcceptLoop(asyncio.SelectorEventLoop):
    """asyncio's loop, accepting at most `accept_batch()` connections per tick (uvicorn `loop=` setting).

    asyncio accepts as many connections per tick as the listen backlog (2048), all before any of them
    reaches the protocol (and the cap): a burst could use up the descriptors even below the cap. Once
    they are used up, asyncio 3.11 logs the failed accept and schedules a retry once per remaining
    turn of that loop (thousands of tracebacks a second). The listen backlog itself stays 2048: a
    smaller one would make the kernel drop connection attempts (1 s retries) under any burst.
    """

    def __init__(self) -> None:
        super().__init__()
        self.accept_batch = accept_batch()

    def _accept_connection(self, protocol_factory: Any, sock: Any, sslcontext: Any = None, server: Any = None,
                           backlog: int = 100, *args: Any) -> None:
        super()._accept_connection(  # type: ignore[misc]
            protocol_factory, sock, sslcontext, server, min(backlog, self.accept_batch), *args)


class ServerConfig(uvicorn.Config):
    """uvicorn's Config with the guarded protocol and its limits (pickled to spawned workers with it)."""

    def __init__(self, app: Any, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(app, http=GuardedH11Protocol, loop=f"{__name__}:BoundedAcceptLoop", **kwargs)
        self.connection_limits = limits


class _Pool:
    """One server's connections that have no request in progress, longest-waiting first."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.waiting: dict[GuardedH11Protocol, None] = {}


_pools: weakref.WeakKeyDictionary[ServerState, _Pool] = weakref.WeakKeyDictionary()


def _pool(state: ServerState, limits: ConnectionLimits) -> _Pool:
    pool = _pools.get(state)
    if pool is None:
        pool = _pools[state] = _Pool(connection_cap(limits.max_connections))
        logger.info("at most %d open connections (ESGQA_MAX_CONNECTIONS %d, within the file limit); "
                    "header deadline %.1f s, body deadline %.1f s", pool.cap, limits.max_connections,
                    limits.header_timeout_s, limits.body_timeout_s)
    return pool


def raw_response(status: int, code: str, message: str, extra_headers: str = "") -> bytes:
    """A complete HTTP/1.1 error response with the API's JSON error body; the connection then closes."""
    body = error_bytes(status, code, message)
    head = (f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n{extra_headers}connection: close\r\n\r\n")
    return head.encode("latin-1") + body


HEADER_TIMEOUT = raw_response(408, "request_timeout", "The request headers did not arrive in time.")
BODY_TIMEOUT = raw_response(408, "request_timeout", "The request body did not arrive in time.")
TOO_MANY = raw_response(503, "too_many_connections", "Too many open connections; retry shortly.",
                        "retry-after: 1\r\n")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header/body deadlines and the connection cap (see the module)."""

    def __init__(self, config: uvicorn.Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits: ConnectionLimits = getattr(config, "connection_limits", None) or ConnectionLimits()
        self.pool = _pool(server_state, self.limits)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_kind = ""
        self._partial = False  # bytes of a request whose headers are not complete yet

    # ----------------------------------------------------------------- state
    def _between_requests(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self, kind: str) -> None:
        self._disarm()
        seconds = self.limits.header_timeout_s if kind == "header" else self.limits.body_timeout_s
        if seconds > 0:
            self._timer = self.loop.call_later(seconds, self._expired)
            self._timer_kind = kind

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_kind = ""

    def _drop(self, response: bytes | None) -> None:
        """Closes the connection (after `response`, when given)."""
        self._disarm()
        self.pool.waiting.pop(self, None)
        if self.transport is None or self.transport.is_closing():
            return
        if response is not None:
            self.transport.write(response)
        self.transport.close()

    def _expired(self) -> None:
        kind = self._timer_kind
        self._timer = None
        self._timer_kind = ""
        if kind == "header":
            self._drop(HEADER_TIMEOUT if self._partial else None)
        elif self.cycle is not None and not self.cycle.response_complete and self.cycle.more_body:
            self._drop(None if self.cycle.response_started else BODY_TIMEOUT)

    # ----------------------------------------------------------------- uvicorn's protocol
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _no_delay(transport)
        self._arm("header")
        self.pool.waiting[self] = None
        if len(self.connections) > self.pool.cap:
            victim = next((p for p in self.pool.waiting if p is not self), None)
            if victim is not None:
                victim._drop(None)
            else:
                self._drop(TOO_MANY)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.pool.waiting.pop(self, None)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if data and self._between_requests() and not self.transport.is_closing():
            self._partial = True
            if self._timer is None:  # the first byte of a keep-alive request: its headers' deadline
                self._arm("header")

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        cycle = self.cycle
        if cycle is not None and cycle is not before:  # a request's headers are complete
            self.pool.waiting.pop(self, None)
            self._partial = False
            self._disarm()
        if cycle is not None and not cycle.response_complete and cycle.more_body:
            if self._timer_kind != "body":
                self._arm("body")
        elif self._timer_kind == "body":
            self._disarm()

    def handle_websocket_upgrade(self, event: Any) -> None:
        self._drop_guard()
        super().handle_websocket_upgrade(event)

    def _drop_guard(self) -> None:
        """The connection leaves this protocol (a WebSocket upgrade): no deadline, not a waiter."""
        self._disarm()
        self.pool.waiting.pop(self, None)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._timer_kind == "body":
            self._disarm()
        if self._between_requests() and not self.transport.is_closing():
            self.pool.waiting.pop(self, None)
            self.pool.waiting[self] = None  # idle keep-alive: the newest waiter


def _no_delay(transport: asyncio.BaseTransport) -> None:
    """TCP_NODELAY on every connection. asyncio sets it only for sockets whose `proto` is TCP, and the
    listening socket uvicorn binds for several workers has `proto` 0: without it, a keep-alive client
    waited ~40 ms per request (Nagle's algorithm meeting the client's delayed ACK)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
