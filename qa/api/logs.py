"""Logging for the server: request ids on every line, plain text or JSON (`ESGQA_LOG_JSON=1`).

`log_config(settings)` is a `logging.config.dictConfig` dict handed to uvicorn, which applies it
in every worker process.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from qa.config import Settings

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, plus any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


class AcceptErrorFilter(logging.Filter):
    """At most one "accept() out of resources" line per `interval_s` (asyncio logs one per failed
    accept, with a traceback: thousands a second once the descriptors are used up), with the count of
    the lines left out, and without the traceback."""

    def __init__(self, interval_s: float = 10.0) -> None:
        super().__init__()
        self.interval_s = interval_s
        self.last = float("-inf")
        self.suppressed = 0

    @staticmethod
    def is_accept_error(record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return "accept" in message and ("out of system resource" in message or "Too many open files" in message)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.is_accept_error(record):
            return True
        now = record.created
        if now - self.last < self.interval_s:
            self.suppressed += 1
            return False
        self.last = now
        exc = record.exc_info[1] if record.exc_info else None
        note = f" ({self.suppressed} more since the last such line, left out)" if self.suppressed else ""
        first = record.getMessage().splitlines()[0]
        record.msg = f"{first}: {exc}{note}" if exc else f"{first}{note}"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        self.suppressed = 0
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_config(settings: Settings) -> dict[str, Any]:
    formatter: dict[str, Any] = (
        {"()": "qa.api.logs.JsonFormatter"} if settings.log_json else {"format": TEXT_FORMAT}
    )
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "qa.api.context.RequestIdFilter"},
            # asyncio logs each failed accept() (descriptors used up) with a traceback: at most one per 10 s
            "accept_errors": {"()": "qa.api.logs.AcceptErrorFilter"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
            "asyncio": {"handlers": [], "filters": ["accept_errors"], "propagate": True},
        },
    }


def truncate(text: str, limit: int = 200) -> str:
    """A question for the log: one line, at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
