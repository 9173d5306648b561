"""Checks on a Slack request before bolt sees it: signature, timestamp window, replays, body shape.

Order (see `router.ThreadedSlackRequestHandler`): the v0 signature is verified on the RAW body
(HMAC-SHA256 over `v0:{timestamp}:{body}`, constant-time compare, timestamp within 5 minutes) ->
401; only then is the body parsed -> 400 when it is not what Slack sends; a signed request seen
before (same timestamp and signature) is acknowledged and not answered again.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

SIGNATURE_WINDOW_S = 5 * 60
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")  # Unix seconds; no sign, exponent, blanks or huge values
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


class SlackRequestError(Exception):
    """A refused Slack request: `status` 401 (signature, timestamp) or 400 (body)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _unauthorized(message: str) -> SlackRequestError:
    return SlackRequestError(401, "unauthorized", message)


def _malformed(message: str) -> SlackRequestError:
    return SlackRequestError(400, "bad_request", message)


def compute_signature(secret: str, timestamp: str, raw_body: bytes) -> str:
    base = b"v0:" + timestamp.encode("ascii") + b":" + raw_body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def verify_signature(secret: str, raw_body: bytes, timestamp: str | None, signature: str | None,
                     *, now: float | None = None, window_s: int = SIGNATURE_WINDOW_S) -> int:
    """The request's timestamp (Unix seconds) when the signature is valid; else `SlackRequestError` 401."""
    if not timestamp or not _TIMESTAMP_RE.fullmatch(timestamp):
        raise _unauthorized("Missing or malformed X-Slack-Request-Timestamp.")
    ts = int(timestamp)
    current = time.time() if now is None else now
    if abs(current - ts) > window_s:
        raise _unauthorized("X-Slack-Request-Timestamp is outside the 5-minute window.")
    if not signature:
        raise _unauthorized("Missing X-Slack-Signature.")
    expected = compute_signature(secret, timestamp, raw_body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        raise _unauthorized("Invalid X-Slack-Signature.")
    return ts


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise _malformed(f"The {what} is not valid JSON.") from None
    if not isinstance(value, dict):
        raise _malformed(f"The {what} must be a JSON object.")
    return value


def parse_body(raw_body: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as Slack sends it: a JSON object (events) or a form (slash commands; interactivity
    as a JSON object in its `payload` field). Anything else: `SlackRequestError` 400."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in (JSON_TYPE, FORM_TYPE):
        raise _malformed(f"Content-Type must be {JSON_TYPE} or {FORM_TYPE}.")
    try:
        text = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("The body is not valid UTF-8.") from None
    if media_type == JSON_TYPE:
        return _json_object(text, "body")
    if text.lstrip().startswith("{"):
        raise _malformed("The form body is not URL-encoded.")
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        return _json_object(fields["payload"], "payload field")
    return fields


class ReplayGuard:
    """Signed requests seen while their timestamp is inside the window: `first_time` is True once.

    An entry expires when its timestamp leaves the window (a replay is refused as stale from then
    on). At most `max_items` are kept; past that the entry closest to expiring is dropped first.
    """

    def __init__(self, window_s: int = SIGNATURE_WINDOW_S, max_items: int = 20000,
                 clock: Callable[[], float] = time.time) -> None:
        self.window_s = window_s
        self.max_items = max_items
        self._clock = clock
        self._expiry: dict[tuple[int, str], float] = {}
        self._heap: list[tuple[float, tuple[int, str]]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)

    def first_time(self, timestamp: int, signature: str) -> bool:
        key = (timestamp, signature)
        now = self._clock()
        with self._lock:
            while self._heap and self._heap[0][0] < now:
                self._expiry.pop(heapq.heappop(self._heap)[1], None)
            if key in self._expiry:
                return False
            while len(self._expiry) >= self.max_items:
                self._expiry.pop(heapq.heappop(self._heap)[1], None)
            expires = float(timestamp + self.window_s)
            self._expiry[key] = expires
            heapq.heappush(self._heap, (expires, key))
            return True
