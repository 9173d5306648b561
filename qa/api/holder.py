"""Holds the current `QAService` and swaps it atomically on reload.

Requests call `holder.get()` once and keep the object they got for the whole request, so a reload
(which only rebinds one attribute) never pulls a service out from under an in-flight request; the
old service is freed when its last request finishes.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from qa.config import Settings
from qa.errors import NotReady
from qa.models import Answer, Filters, Hit, ReportInfo, SearchMode, Turn

logger = logging.getLogger(__name__)

State = Literal["loading", "ready", "failed"]


class ServiceLike(Protocol):
    """What the API needs from `qa.service.QAService` (a fake with these members works too)."""

    build_id: str

    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        top_k: int = 5,
    ) -> Answer: ...

    def search(
        self, query: str, k: int = 10, mode: SearchMode = "hybrid", filters: Filters | None = None
    ) -> list[Hit]: ...

    def reports(self) -> list[ReportInfo]: ...


ServiceLoader = Callable[[Settings], Any]


class ReloadInProgress(Exception):
    """Another reload is running; this one was not started."""


class ReloadFailed(Exception):
    """The new service could not be loaded; the old one (if any) keeps serving."""

    def __init__(self, reason: str, still_serving: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.still_serving = still_serving


@dataclass(frozen=True)
class ReloadResult:
    build_id: str
    previous_build_id: str | None
    seconds: float


def build_id_of(service: Any) -> str:
    return str(getattr(service, "build_id", "") or "unknown")


# an absolute path (two or more segments) not inside a word or URL: replaced in public reasons
_PATH = re.compile(r"(?<![\w:/.])/(?:[^\s/'\"]+/)+[^\s'\"),;]*")


def describe(exc: BaseException) -> str:
    """A one-line reason for a failed load, safe to show to any client: no file paths (the log has
    the full error)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = _PATH.sub("<path>", text)
    return f"{type(exc).__name__}: {text[:500]}" if text else type(exc).__name__


class ServiceHolder:
    """The current service plus the readiness state shown by `/readyz`."""

    def __init__(
        self,
        settings: Settings,
        loader: ServiceLoader,
        on_change: Callable[[ServiceHolder], None] | None = None,
    ) -> None:
        self.settings = settings
        self._loader = loader
        self._on_change = on_change
        self._service: Any = None
        self._reload_lock = threading.Lock()
        self.state: State = "loading"
        self.reason: str | None = "loading the model and the index"
        self.last_reload_error: str | None = None
        self.loaded_at: float | None = None

    def get(self) -> ServiceLike:
        """The current service; raises `NotReady` while loading or after a failed first load."""
        service = self._service
        if service is None:
            raise NotReady(
                f"The service is not ready ({self.reason or self.state}). Retry shortly, "
                "or check /readyz and the server log."
            )
        return service  # type: ignore[no-any-return,unused-ignore]

    @property
    def ready(self) -> bool:
        return self._service is not None

    @property
    def build_id(self) -> str | None:
        return build_id_of(self._service) if self._service is not None else None

    def load(self) -> ReloadResult:
        """Loads a fresh service and swaps it in (blocking; call it from a worker thread).

        Used for the first load and for every reload. If loading fails, the old service (if any)
        keeps serving and `ReloadFailed` says why; a second concurrent call raises
        `ReloadInProgress`.
        """
        if not self._reload_lock.acquire(blocking=False):
            raise ReloadInProgress("a reload is already running")
        try:
            previous = self.build_id
            started = time.perf_counter()
            try:
                # nothing serving yet (start-up): a corrupt live build falls back to the newest intact one
                settings = self.settings
                if self._service is None:
                    settings = settings.model_copy(update={"index_fallback": True})
                service = self._loader(settings)
            except Exception as exc:  # any failure: keep serving the old service
                reason = describe(exc)
                logger.error("service load failed (still serving %s): %s", previous or "nothing", exc)
                if self._service is None:
                    self.state = "failed"
                    self.reason = f"load failed: {reason}"
                self.last_reload_error = reason
                raise ReloadFailed(reason, previous) from exc
            self._service = service  # the atomic swap
            self.state = "ready"
            self.reason = None
            self.last_reload_error = None
            self.loaded_at = time.time()
            seconds = time.perf_counter() - started
            logger.info("service loaded build_id=%s previous=%s in %.2fs", build_id_of(service), previous, seconds)
        finally:
            self._reload_lock.release()
        if self._on_change is not None:
            self._on_change(self)
        return ReloadResult(build_id=build_id_of(service), previous_build_id=previous, seconds=seconds)
