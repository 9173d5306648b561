"""Issue 15, the server-side findings: slow clients (finding 3), time budgets, gzip (finding 9).

Each test runs `qa.api.server.serve` (the real uvicorn set-up) in a process on a loopback port, over
the fake service of tests/api_fakes.py, so it takes seconds; the budget is also checked on the real
service (tests/test_budget.py).
"""

from __future__ import annotations

import gzip
import json
import resource
import socket
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.api_fakes import DELAYED, served


def _error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    error = r.json()["error"]
    assert error["code"] == code and error["message"] and error["request_id"], error


# ------------------------------------------------------------------ finding 3: slow clients


def _raise_own_fd_limit(wanted: int) -> int:
    """Raises this process's soft descriptor limit towards `wanted` (within the hard limit); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return max(soft, target)


def _half_open(port: int, n: int) -> list[socket.socket]:
    """`n` connections that start a request and never finish its headers (fewer if connects fail)."""
    socks: list[socket.socket] = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
            s.send(b"GET /v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        except OSError:
            s.close()
            break
        socks.append(s)
    return socks


def _closed_by_server(socks: list[socket.socket]) -> int:
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            closed += s.recv(4096) == b""
        except BlockingIOError:
            pass  # still open
        except OSError:
            closed += 1  # reset
    return closed


def _ask_latencies(base: str, n: int) -> list[float]:
    """`n` asks on one keep-alive client: seconds each (inf when one does not answer within 3 s)."""
    out = []
    with httpx.Client(base_url=base, timeout=3) as client:
        for i in range(n):
            t0 = time.perf_counter()
            try:
                r = client.post("/v1/ask", json={"question": f"GHG emissions {2000 + i}"})
            except httpx.TransportError:
                out.append(float("inf"))
                continue
            out.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
    return out


def _healthz_seconds(base: str) -> float:
    """One `/healthz` on a fresh connection; inf when it does not answer within 3 s."""
    t0 = time.perf_counter()
    try:
        r = httpx.get(base + "/healthz", timeout=3)
    except httpx.TransportError:
        return float("inf")
    assert r.status_code == 200
    return time.perf_counter() - t0


def _accept_error_lines(log: str) -> int:
    return sum(1 for line in log.splitlines()
               if "accept" in line and ("out of system resource" in line or "Too many open files" in line))


def test_finding3_half_open_flood_leaves_health_and_asks_unharmed(tmp_path: Path) -> None:
    """2,000 connections that never finish their headers, against a worker limited to 512 descriptors
    (before: the descriptors ran out, nothing was accepted any more, the accept error was logged
    thousands of times a second)."""
    n = min(2000, _raise_own_fd_limit(2300) - 300)
    assert n >= 600, "the test process may not open enough sockets"
    server_fds = 512 if n >= 1000 else n // 2
    with served(tmp_path, DELAYED, fd_limit=server_fds, ESGQA_FAKE_ASK_DELAY_S="0.02") as server:
        quiet = statistics.median(_ask_latencies(server.base, 15))
        socks = _half_open(server.port, n)
        try:
            assert len(socks) == n, f"only {len(socks)} of {n} connections could be opened"
            time.sleep(0.5)
            health = [_healthz_seconds(server.base) for _ in range(5)]
            loaded = statistics.median(_ask_latencies(server.base, 15))
            closed = _closed_by_server(socks)
        finally:
            for s in socks:
                s.close()
        time.sleep(0.2)
        log = server.log()
    assert max(health) < 1.0, f"/healthz took {health} s under the flood"
    assert loaded <= 2 * quiet, f"ask p50 {loaded * 1000:.1f} ms under the flood, {quiet * 1000:.1f} ms quiet"
    assert closed >= n - server_fds, f"the server closed only {closed} of the {n} silent connections"
    assert _accept_error_lines(log) <= 3, log[-2000:]
    assert "Traceback" not in log


def _read_until_closed(s: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    s.settimeout(timeout)
    t0 = time.monotonic()
    data = b""
    try:
        while chunk := s.recv(4096):
            data += chunk
    except TimeoutError:
        return data, float("inf")
    except ConnectionResetError:
        pass
    return data, time.monotonic() - t0


def _read_response(s: socket.socket) -> bytes:
    """One whole response (headers and its Content-Length of body) from a keep-alive connection."""
    s.settimeout(5)

    def more() -> bytes:
        chunk = s.recv(4096)
        assert chunk, "the server closed the connection"
        return chunk

    data = b""
    while b"\r\n\r\n" not in data:
        data += more()
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += more()
    return head + b"\r\n\r\n" + body


def _json_body(raw: bytes) -> dict[str, object]:
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), raw
    return json.loads(body)  # type: ignore[no-any-return]


def test_finding3_unfinished_headers_and_slow_bodies_are_timed_out(tmp_path: Path) -> None:
    env = {"ESGQA_HEADER_TIMEOUT_S": "1", "ESGQA_BODY_TIMEOUT_S": "1", "ESGQA_FAKE_ASK_DELAY_S": "1.3"}
    with served(tmp_path, DELAYED, **env) as server:
        addr = ("127.0.0.1", server.port)
        opened = time.monotonic()
        silent = socket.create_connection(addr)
        partial = socket.create_connection(addr)
        partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        slow_body = socket.create_connection(addr)
        slow_body.sendall(b"POST /v1/feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 200\r\n\r\n{\"helpful\": ")
        keep_alive = socket.create_connection(addr)
        keep_alive.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = _read_response(keep_alive)
        with ThreadPoolExecutor(1) as pool:  # an answer slower than both deadlines is not cut
            slow_answer = pool.submit(httpx.post, server.base + "/v1/ask", json={"question": "GHG emissions"},
                                      timeout=10)
            time.sleep(1.5)  # idle between keep-alive requests longer than the header deadline: still open
            keep_alive.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            second = _read_response(keep_alive)
            results = [_read_until_closed(s, 3) for s in (silent, partial, slow_body)]  # closed at ~1 s
            all_closed = time.monotonic() - opened
            answer = slow_answer.result()
        for s in (silent, partial, slow_body, keep_alive):
            s.close()
        log = server.log()
    (silent_data, silent_s), (partial_data, partial_s), (body_data, body_s) = results
    assert all_closed < 3.5, [r[1] for r in results]
    assert silent_s < 3 and silent_data == b"", (silent_s, silent_data)
    assert partial_s < 3 and _json_body(partial_data)["error"]["code"] == "request_timeout"  # type: ignore[index]
    assert body_s < 3 and _json_body(body_data)["error"]["code"] == "request_timeout"  # type: ignore[index]
    assert first.startswith(b"HTTP/1.1 200") and second.startswith(b"HTTP/1.1 200"), (first, second)
    assert answer.status_code == 200, answer.text
    assert "Traceback" not in log


def test_finding3_requests_over_the_concurrency_limit_get_503_and_probes_answer(tmp_path: Path) -> None:
    env = {"ESGQA_FAKE_ASK_DELAY_S": "1.0", "ESGQA_MAX_CONCURRENT_REQUESTS": "2", "ESGQA_API_THREADS": "8"}
    with served(tmp_path, DELAYED, **env) as server:
        def ask(i: int) -> httpx.Response:
            time.sleep(0.05 * (i >= 2))  # the first two are in progress when the others arrive
            return httpx.post(server.base + "/v1/ask", json={"question": "GHG emissions"}, timeout=10)

        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(ask, i) for i in range(6)]
            time.sleep(0.3)
            health = _healthz_seconds(server.base)
            responses = [f.result() for f in futures]
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) >= 2 and statuses.count(503) >= 3 and set(statuses) <= {200, 503}, statuses
    for r in responses:
        if r.status_code == 503:
            _error(r, 503, "overloaded")
            assert r.headers["retry-after"] == "1"
    assert health < 0.5


# ------------------------------------------------------------------ time budget


def test_answer_budget_stops_a_slow_answer_with_a_clear_503(tmp_path: Path) -> None:
    env = {"ESGQA_FAKE_ASK_DELAY_S": "1.0", "ESGQA_ANSWER_BUDGET_MS": "200"}
    with served(tmp_path, DELAYED, **env) as server:
        t0 = time.perf_counter()
        r = httpx.post(server.base + "/v1/ask", json={"question": "GHG emissions"}, timeout=10)
        elapsed = time.perf_counter() - t0
        log = server.log()
    _error(r, 503, "over_time_budget")
    assert "200 ms" in r.json()["error"]["message"] and r.headers["retry-after"]
    assert elapsed < 1.5
    assert "Traceback" not in log


# ------------------------------------------------------------------ gzip (finding 9)


def test_gzip_for_json_and_the_widget_not_for_small_bodies(tmp_path: Path) -> None:
    with served(tmp_path) as server, httpx.Client(base_url=server.base, timeout=10) as client:
        gz = {"Accept-Encoding": "gzip"}
        r = client.post("/v1/search", json={"query": "GHG emissions", "k": 2}, headers=gz)
        assert r.status_code == 200 and r.json()["hits"]  # httpx decodes the body
        openapi = client.get("/openapi.json", headers=gz)
        widget = client.get("/widget.js", headers=gz)
        plain = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
        small = client.get("/healthz", headers=gz)
        with httpx.stream("GET", server.base + "/widget.js", headers=gz) as raw:
            compressed = b"".join(raw.iter_raw())
    for response in (openapi, widget):
        assert response.status_code == 200 and response.headers.get("content-encoding") == "gzip", response.headers
    assert "content-encoding" not in plain.headers and plain.content == widget.content
    assert gzip.decompress(compressed) == plain.content and len(compressed) < len(plain.content) / 2
    assert "content-encoding" not in small.headers


# ------------------------------------------------------------------ the pieces, without a server


def test_connection_cap_and_accept_batch_fit_the_descriptor_limit() -> None:
    from qa.api.connections import accept_batch, connection_cap

    for limit in (256, 512, 1024, 4096, 65536, 1 << 20):
        cap = connection_cap(1_000_000, limit)
        assert 0 < cap < limit and cap + 4 * accept_batch(limit) <= limit - 32, limit
    assert connection_cap(100, 65536) == 100 and accept_batch(65536) == 2048


def test_accept_error_lines_are_rate_limited_without_tracebacks() -> None:
    import logging

    from qa.api.logs import AcceptErrorFilter

    log_filter = AcceptErrorFilter(interval_s=10)

    def record(at: float, message: str = "socket.accept() out of system resource\nsocket: <fd=7>") -> logging.LogRecord:
        exc = OSError(24, "Too many open files")
        rec = logging.LogRecord("asyncio", logging.ERROR, __file__, 1, message, None, (OSError, exc, None))
        rec.created = at
        return rec

    passed = [r for r in (record(100 + i / 1000) for i in range(5000)) if log_filter.filter(r)]
    assert len(passed) == 1 and passed[0].exc_info is None
    assert passed[0].getMessage() == "socket.accept() out of system resource: [Errno 24] Too many open files"
    later = record(111)
    assert log_filter.filter(later) and "4999 more" in later.getMessage()
    other = record(111.5, "Task exception was never retrieved")
    assert log_filter.filter(other) and other.exc_info is not None  # other asyncio errors are untouched


def test_connections_get_tcp_nodelay_even_from_a_proto_0_listener() -> None:
    """The listening socket uvicorn binds for several workers has proto 0, so asyncio never set
    TCP_NODELAY: keep-alive requests then waited ~40 ms each (Nagle meeting delayed ACKs)."""
    from qa.api.connections import _no_delay

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn's bind_socket
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    conn, _ = listener.accept()
    try:
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0

        class Transport:
            def get_extra_info(self, name: str) -> object:
                return conn if name == "socket" else None

        _no_delay(Transport())  # type: ignore[arg-type]
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        for s in (conn, client, listener):
            s.close()


def test_keep_alive_requests_to_several_workers_are_not_delayed(tmp_path: Path) -> None:
    """Two workers (as `make run`), one keep-alive client: /healthz answered in milliseconds, not the
    ~44 ms each that Nagle's algorithm cost before TCP_NODELAY was set on every connection."""
    with served(tmp_path, workers=2) as server, httpx.Client(base_url=server.base, timeout=5) as client:
        client.get("/healthz")
        times = []
        for _ in range(15):
            t0 = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            times.append((time.perf_counter() - t0) * 1000)
        assert statistics.median(times) < 25, times
