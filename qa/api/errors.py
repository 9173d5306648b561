"""Every error leaves the API as JSON: `{"error": {"code": "...", "message": "..."}}`."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from qa.errors import QAError

from .context import current_request_id

logger = logging.getLogger(__name__)

GENERIC_500 = "Internal server error. Quote the request id when reporting it."

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "not_ready",
    507: "insufficient_storage",
}


class APIError(Exception):
    """An error raised by the adapter itself (auth, limits, reload), rendered as JSON."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_payload(code: str, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return {"error": body}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_payload(code, message, **extra), status_code=status, headers=dict(headers or {}))


def error_bytes(status: int, code: str, message: str) -> bytes:
    """The same body, pre-rendered, for pure-ASGI middleware that answers without Starlette."""
    return json.dumps(error_payload(code, message), separators=(",", ":")).encode("utf-8")


def _loc(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def validation_message(errors: Sequence[Any]) -> str:
    """A readable one-liner from pydantic's error list (no input echo, no internals)."""
    messages = []
    for err in list(errors)[:5]:
        if not isinstance(err, Mapping):
            continue
        if err.get("type") == "json_invalid":
            messages.append("the body is not valid JSON")
            continue
        msg = str(err.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        messages.append(f"{_loc(err.get('loc', ()))}: {msg}")
    if len(errors) > 5:
        messages.append(f"... and {len(errors) - 5} more")
    return "; ".join(messages) or "invalid request"


async def _qa_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QAError)
    status = int(getattr(exc, "status", 500))
    headers = {"Retry-After": "5"} if status == 503 else None
    if status >= 500 and status != 503:
        logger.error("service error %s: %s", exc.code, exc)
        return error_response(status, exc.code, GENERIC_500)
    message = str(exc) or exc.code.replace("_", " ")
    return error_response(status, exc.code, message, headers=headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers)


def _short(text: str, limit: int = 80) -> str:
    """A client-chosen string (path, method) quoted in a message: capped, never echoed whole."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route {_short(request.method, 16)} {_short(request.url.path)}. See /docs for the API."
    elif exc.status_code == 405:
        detail = f"Method {_short(request.method, 16)} is not allowed on {_short(request.url.path)}."
    return error_response(exc.status_code, code, detail, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "invalid_request", validation_message(exc.errors()))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QAError, _qa_error)
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
