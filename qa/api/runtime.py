"""What the routes share: settings, the service holder, metrics, feedback store, thread limiter."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.requests import Request

from qa.config import Settings
from qa.feedback import FeedbackStore

from .holder import ReloadFailed, ReloadInProgress, ReloadResult, ServiceHolder
from .metrics import Metrics

logger = logging.getLogger(__name__)
T = TypeVar("T")


def default_threads(settings: Settings) -> int:
    configured = int(getattr(settings, "api_threads", 0) or 0)
    # measured on 2 cores: as many inference threads as cores beats 2x (less GIL and BLAS contention)
    return configured if configured > 0 else min(8, os.cpu_count() or 1)


@dataclass
class AppRuntime:
    settings: Settings
    holder: ServiceHolder
    metrics: Metrics
    feedback: FeedbackStore
    threads: int
    _limiter: anyio.CapacityLimiter | None = field(default=None, repr=False)

    def start(self) -> None:
        """Called in the lifespan (the limiter must be made inside the event loop)."""
        self._limiter = anyio.CapacityLimiter(self.threads)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Runs blocking work (inference, file I/O) in a worker thread, off the event loop."""
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def reload(self, trigger: str) -> ReloadResult:
        """(Re)loads the service in a thread; counts the outcome; raises ReloadFailed/ReloadInProgress."""
        logger.info("reload requested by %s", trigger)
        try:
            # its own thread, not the inference limiter: a reload must not wait behind queued questions
            result = await anyio.to_thread.run_sync(self.holder.load)
        except ReloadInProgress:
            logger.warning("reload by %s skipped: another reload is running", trigger)
            raise
        except ReloadFailed:
            self.metrics.reloads.labels(result="failed").inc()
            raise
        self.metrics.reloads.labels(result="ok").inc()
        return result


def runtime(request: Request) -> AppRuntime:
    rt = request.app.state.runtime
    assert isinstance(rt, AppRuntime)
    return rt
