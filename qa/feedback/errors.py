"""Why a feedback store refused an entry. Nothing was stored; nothing stored was removed.

Messages are for the client: no paths, no other client's data."""

from __future__ import annotations

from qa.errors import QAError


class FeedbackRefused(QAError):
    code = "feedback_refused"
    status = 503

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FeedbackQuotaExceeded(FeedbackRefused):
    """This client sent its quota of entries in the window (per hour or per day)."""

    code = "feedback_quota_exceeded"
    status = 429


class FeedbackStoreFull(FeedbackRefused):
    """The store reached its size cap (entries or bytes), or the disk is full."""

    code = "feedback_store_full"
    status = 507


class FeedbackUnavailable(FeedbackRefused):
    """The store cannot be opened or written (I/O error, locked for too long, corrupt)."""

    code = "feedback_unavailable"
    status = 503
