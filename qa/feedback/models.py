"""What feedback is (`FeedbackEntry`), what a store keeps of it (`StoredFeedback`), and the
interface every store implements (`FeedbackStore`; SQLite today, PostgreSQL for the scale-out)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, field_validator

from qa.inputs import clean_text

MAX_COMMENT_CHARS = 2000
MAX_QUESTION_CHARS = 2000
MAX_ANSWER_ID_CHARS = 128
MAX_EXTRA_VALUE_CHARS = 500
MAX_CLIENT_CHARS = 200

FeedbackSource = Literal["api", "slack", "widget"]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _required(value: Any, limit: int) -> Any:
    if not isinstance(value, str):
        return value  # pydantic's own type error
    value = clean_text(value)[:limit]
    if not value:
        raise ValueError("is empty (after removing whitespace and control characters)")
    return value


class FeedbackEntry(BaseModel):
    """One piece of feedback on one answer, cleaned by the input policy (`qa.inputs.clean_text`):
    lone surrogates, NUL and control characters never reach the store, a blank question or answer
    id is refused (ValueError), a blank comment is None. Over-long texts are cut to the caps."""

    question: str
    answer_id: str
    helpful: bool
    comment: str | None = None
    source: FeedbackSource = "api"
    ts: str = Field(default_factory=now_iso)  # UTC, ISO 8601
    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator("question", mode="before")
    @classmethod
    def _question(cls, value: Any) -> Any:
        return _required(value, MAX_QUESTION_CHARS)

    @field_validator("answer_id", mode="before")
    @classmethod
    def _answer_id(cls, value: Any) -> Any:
        return _required(value, MAX_ANSWER_ID_CHARS)

    @field_validator("comment", mode="before")
    @classmethod
    def _comment(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return clean_text(value)[:MAX_COMMENT_CHARS] or None

    @field_validator("extra")
    @classmethod
    def _extra(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned = ((clean_text(k)[:100], clean_text(v)[:MAX_EXTRA_VALUE_CHARS]) for k, v in list(value.items())[:20])
        return {k: v for k, v in cleaned if k}


class StoredFeedback(FeedbackEntry):
    """An entry as the store keeps it: its id (increasing, never reused) and who sent it."""

    id: int
    client: str


@dataclass(frozen=True)
class FeedbackPolicy:
    """Per-client quotas (0: no limit) and the store's total size cap (new entries are refused
    past it; stored ones are never deleted)."""

    per_client_hour: int = 100
    per_client_day: int = 1000
    max_entries: int = 1_000_000
    max_bytes: int = 1024**3


@dataclass
class FeedbackStats:
    entries: int
    bytes: int
    max_entries: int
    max_bytes: int
    first_ts: str | None
    last_ts: str | None
    by_source: dict[str, tuple[int, int]] = field(default_factory=dict)  # source -> (entries, helpful)
    last_day: int = 0
    top_clients_day: list[tuple[str, int]] = field(default_factory=list)

    @property
    def used(self) -> float:
        """The fill level, 0..1: the larger of entries and bytes against their caps."""
        ratios = [self.entries / self.max_entries if self.max_entries > 0 else 0.0,
                  self.bytes / self.max_bytes if self.max_bytes > 0 else 0.0]
        return max(ratios)


class FeedbackStore(Protocol):
    """Append-only feedback. `record` returns only once the entry is durable, or raises a
    `FeedbackRefused` (quota, store full, store unavailable) having stored nothing; nothing stored
    is ever removed or changed."""

    def record(self, entry: FeedbackEntry, client: str) -> StoredFeedback: ...

    def count(self, since: datetime | None = None, client: str | None = None) -> int: ...

    def export(self, since: datetime | None = None) -> Iterator[StoredFeedback]: ...

    def stats(self) -> FeedbackStats: ...

    def close(self) -> None: ...
