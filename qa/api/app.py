"""The FastAPI app factory (`uvicorn --factory qa.api.app:create_app`).

The service loads in the lifespan, in a worker thread, so `/healthz` answers at once and `/readyz`
says 503 with the reason until the model and index are in. `POST /v1/admin/reload` and SIGHUP load
the newest valid index build and swap it in; if that fails the old service keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.middleware.gzip import GZipMiddleware

from qa.config import Settings
from qa.feedback import open_feedback_store

from .errors import install_error_handlers
from .holder import ReloadFailed, ReloadInProgress, ServiceHolder
from .metrics import Metrics
from .middleware import (
    BodyLimitMiddleware,
    ConcurrencyLimitMiddleware,
    GuardMiddleware,
    JSONCORSMiddleware,
    RequestContextMiddleware,
    cors_middleware_kwargs,
)
from .ratelimit import RateLimiter
from .routes import probes, v1
from .runtime import AppRuntime, default_threads

logger = logging.getLogger(__name__)

ServiceLoader = Callable[[Settings], Any]
GZIP_MIN_BYTES = 1024  # smaller bodies (errors, probes) are not worth the CPU


def _load_real_service(settings: Settings) -> Any:
    from qa.service import QAService  # type: ignore[import-not-found,unused-ignore]  # heavy imports only when a service is actually loaded

    return QAService.load(settings)


def _optional_router(module: str, factory_name: str) -> Callable[..., Any] | None:
    """`module.factory_name` if the module exists; a missing optional adapter is not an error."""
    import importlib

    try:
        mod = importlib.import_module(module)
        factory: Callable[..., Any] = getattr(mod, factory_name)
    except ImportError as exc:
        if exc.name != module:  # the adapter exists but one of *its* imports is broken: say so
            raise
        logger.info("%s is not available; its routes are disabled", module)
        return None
    except AttributeError:
        logger.warning("%s has no %s; its routes are disabled", module, factory_name)
        return None
    return factory


def _sighup_handler(app: FastAPI, rt: AppRuntime) -> Callable[[], None] | None:
    """Installs SIGHUP -> reload on the running loop (main thread only); returns the remover."""
    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return None
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    async def reload() -> None:
        try:
            result = await rt.reload("SIGHUP")
            logger.info("SIGHUP reload done: build %s (was %s)", result.build_id, result.previous_build_id)
        except (ReloadFailed, ReloadInProgress) as exc:
            logger.error("SIGHUP reload did not happen: %s", exc)

    def on_hup() -> None:
        task = loop.create_task(reload())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    try:
        loop.add_signal_handler(signal.SIGHUP, on_hup)
    except (NotImplementedError, RuntimeError, ValueError):
        return None

    def remove() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    return remove


def create_app(
    settings: Settings | None = None,
    service_loader: ServiceLoader | None = None,
    *,
    handle_sighup: bool = True,
) -> FastAPI:
    """Builds the app. No arguments: `Settings()` from the environment and the real `QAService`."""
    settings = settings or Settings()
    metrics = Metrics()
    holder = ServiceHolder(
        settings,
        service_loader or _load_real_service,
        on_change=lambda h: metrics.set_build(h.build_id),
    )
    feedback = open_feedback_store(settings, observer=metrics.feedback_result)
    rt = AppRuntime(settings=settings, holder=holder, metrics=metrics, feedback=feedback,
                    threads=default_threads(settings))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt.start()
        metrics.set_build(None)

        async def first_load() -> None:
            with contextlib.suppress(ReloadFailed, ReloadInProgress):  # logged; /readyz shows the reason
                await rt.reload("startup")

        loading = asyncio.create_task(first_load())
        remove_hup = _sighup_handler(app, rt) if handle_sighup else None
        try:
            yield
        finally:
            if remove_hup is not None:
                remove_hup()
            if not loading.done():
                loading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await loading
            feedback.close()

    app = FastAPI(
        title="esgqa",
        version="0.1.0",
        summary="Answers questions over corporate ESG reports with verbatim quotes and citations.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    app.state.holder = holder
    app.state.feedback = feedback
    install_error_handlers(app)
    app.include_router(v1)
    app.include_router(probes)

    web_router = _optional_router("qa.web", "web_router")
    if web_router is not None:
        app.include_router(web_router(settings))
    slack_router = _optional_router("qa.slack", "slack_router")
    if slack_router is not None:
        router = slack_router(settings, get_service=holder.get, feedback=feedback)
        if router is not None:
            app.include_router(router)
        else:
            logger.info("Slack is not configured (SLACK_SIGNING_SECRET/SLACK_BOT_TOKEN); /slack/events is off")

    known_paths = frozenset(r.path for r in app.routes if isinstance(r, APIRoute) and "{" not in r.path) | {
        "/docs", "/openapi.json", "/redoc",
    }
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    # add_middleware: the last added runs first.
    # Order: context -> gzip -> CORS -> concurrency limit -> body limit -> guard -> app
    app.add_middleware(GuardMiddleware, api_keys=settings.api_key_set, limiter=limiter)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ConcurrencyLimitMiddleware, max_requests=settings.max_concurrent_requests)
    app.add_middleware(JSONCORSMiddleware, **cors_middleware_kwargs(settings.cors_origin_list))  # type: ignore[arg-type]
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=6)  # JSON answers, the widget's files
    app.add_middleware(RequestContextMiddleware, metrics=metrics, known_paths=known_paths)
    return app
