"""User feedback on answers: an append-only store with per-client quotas and a size cap.

Every adapter (HTTP API and widget, Slack bot) records through a `FeedbackStore`; `esgqa feedback
export|stats` reads it. SQLite by default (`qa.feedback.sqlite`).
"""

from __future__ import annotations

from collections.abc import Callable

from qa.config import Settings

from .errors import FeedbackQuotaExceeded, FeedbackRefused, FeedbackStoreFull, FeedbackUnavailable
from .models import FeedbackEntry, FeedbackPolicy, FeedbackStats, FeedbackStore, StoredFeedback
from .sqlite import SqliteFeedbackStore, store_paths


def policy_from(settings: Settings) -> FeedbackPolicy:
    return FeedbackPolicy(
        per_client_hour=settings.feedback_per_client_hour,
        per_client_day=settings.feedback_per_client_day,
        max_entries=settings.feedback_max_entries,
        max_bytes=settings.feedback_max_bytes,
    )


def open_feedback_store(
    settings: Settings, observer: Callable[[str, float | None], None] | None = None
) -> SqliteFeedbackStore:
    """The store ESGQA_FEEDBACK_PATH names (opened on first use; see `store_paths` for `.jsonl`)."""
    db, old = store_paths(settings.feedback_path)
    return SqliteFeedbackStore(db, policy_from(settings), legacy_path=old, observer=observer)


__all__ = [
    "FeedbackEntry", "FeedbackPolicy", "FeedbackQuotaExceeded", "FeedbackRefused", "FeedbackStats", "FeedbackStore",
    "FeedbackStoreFull", "FeedbackUnavailable", "SqliteFeedbackStore", "StoredFeedback", "open_feedback_store",
    "policy_from", "store_paths",
]
