"""User feedback on answers, appended to a JSONL file with a size cap and rotation.

Every adapter (HTTP API, Slack bot, web widget) records feedback through `FeedbackStore.record`,
so the team can learn which answers failed. One JSON object per line; when the file would grow
past `max_bytes` it is rotated (`feedback.jsonl` -> `feedback.jsonl.1` -> ... `.N`) and only
`backups` old files are kept.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

logger = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 2000
MAX_QUESTION_CHARS = 2000
MAX_EXTRA_VALUE_CHARS = 500

FeedbackSource = Literal["api", "slack", "widget"]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FeedbackEntry(BaseModel):
    """One piece of feedback on one answer."""

    question: str
    answer_id: str
    helpful: bool
    comment: str | None = None
    source: FeedbackSource = "api"
    ts: str = Field(default_factory=_now_iso)  # UTC, ISO 8601
    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator("comment")
    @classmethod
    def _cap_comment(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return value[:MAX_COMMENT_CHARS]

    @field_validator("question")
    @classmethod
    def _cap_question(cls, value: str) -> str:
        return value[:MAX_QUESTION_CHARS]

    @field_validator("extra")
    @classmethod
    def _cap_extra(cls, value: dict[str, str]) -> dict[str, str]:
        return {k[:100]: v[:MAX_EXTRA_VALUE_CHARS] for k, v in list(value.items())[:20]}


class FeedbackStore:
    """Appends `FeedbackEntry` lines to `path`, rotating when the size cap would be exceeded.

    Thread-safe (one lock per store) and safe enough across processes: each line is written with
    a single `write` on an `O_APPEND` descriptor, so concurrent writers never interleave inside a
    line. Rotation across processes is best effort (a rename race can at worst put a few lines in
    the newer file).
    """

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if backups < 0:
            raise ValueError("backups must be >= 0")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()

    def record(self, entry: FeedbackEntry) -> None:
        line = (entry.model_dump_json() + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                size = 0
            if size > 0 and size + len(line) > self.max_bytes:
                self._rotate()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        logger.info("feedback recorded answer_id=%s helpful=%s source=%s", entry.answer_id[:64],
                    entry.helpful, entry.source)

    def files(self) -> list[Path]:
        """The current file and its backups that exist, newest first."""
        candidates = [self.path] + [self._backup(i) for i in range(1, self.backups + 1)]
        return [p for p in candidates if p.exists()]

    def _backup(self, index: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{index}")

    def _rotate(self) -> None:
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        self._backup(self.backups).unlink(missing_ok=True)
        for i in range(self.backups - 1, 0, -1):
            src = self._backup(i)
            if src.exists():
                os.replace(src, self._backup(i + 1))
        if self.path.exists():
            os.replace(self.path, self._backup(1))
