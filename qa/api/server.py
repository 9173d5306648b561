"""`esgqa serve`: uvicorn running `qa.api.app:create_app` (factory), one or more worker processes.

Workers are separate processes started by uvicorn with `spawn` (never a fork after torch is
loaded): each builds its own app and loads the model and index after it starts. SIGHUP reloads
the index: with one worker the app handles it; with several, the supervisor forwards it to every
worker, which reloads in place (uvicorn's default would restart the processes).
"""

from __future__ import annotations

import json
import logging
import os
import signal
from typing import Any

from qa.config import Settings

from .logs import log_config

logger = logging.getLogger(__name__)

APP = "qa.api.app:create_app"


def _env_name(name: str, field: Any) -> str:
    alias = getattr(field, "validation_alias", None)
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[-1]) if str(choices[-1]).startswith("ESGQA_") else str(choices[0])
    return "ESGQA_" + name.upper()


def export_settings(settings: Settings) -> None:
    """Puts every setting that differs from the environment's into `os.environ`.

    The worker processes build their app with `create_app()` (no arguments), i.e. `Settings()`
    from the environment; this makes them see the same settings as the caller.
    """
    base = Settings()
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if value == getattr(base, name):
            continue
        env = _env_name(name, field)
        if value is None:
            os.environ.pop(env, None)
        elif isinstance(value, bool):
            os.environ[env] = "true" if value else "false"
        elif isinstance(value, str | int | float | os.PathLike):
            os.environ[env] = str(value)
        else:
            os.environ[env] = json.dumps(value)


def _multiprocess_class() -> Any:
    from uvicorn.supervisors.multiprocess import Multiprocess

    class ReloadingMultiprocess(Multiprocess):
        """uvicorn's supervisor, but SIGHUP means "reload the index in every worker"."""

        def handle_hup(self) -> None:
            logger.info("Received SIGHUP, forwarding it to %d worker(s) to reload the index", len(self.processes))
            for process in self.processes:
                if process.pid is not None and process.process.is_alive():
                    os.kill(process.pid, signal.SIGHUP)

    return ReloadingMultiprocess


def serve(settings: Settings, host: str, port: int, workers: int = 1, app: str = APP) -> None:
    """Runs the API until SIGINT/SIGTERM (blocking). `app`: the factory's import string (tests swap it)."""
    import uvicorn

    # One BLAS/OpenMP thread per inference call; parallelism comes from concurrent requests (the
    # app's inference threads, and workers). Measured on 2 cores: with torch's default team the
    # query embedding, called from the server's worker threads, took ~470 ms instead of ~7 ms.
    # Set before torch is imported here or in the (spawned) workers; an explicit value wins.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(max(1, settings.torch_threads)))  # ESGQA_TORCH_THREADS; 0 counts as 1
    export_settings(settings)
    from .connections import ConnectionLimits, ServerConfig, raise_fd_limit

    raise_fd_limit()  # the workers inherit it
    limits = ConnectionLimits(header_timeout_s=settings.header_timeout_s, body_timeout_s=settings.body_timeout_s,
                              max_connections=settings.max_connections)
    config = ServerConfig(
        app,
        limits=limits,
        factory=True,
        host=host,
        port=port,
        workers=max(1, workers),
        log_config=log_config(settings),
        log_level=settings.log_level.lower(),
        access_log=False,  # the app logs each request with its request id
        # X-Forwarded-For only from ESGQA_TRUSTED_PROXIES; with none, never (uvicorn would trust 127.0.0.1)
        proxy_headers=bool(settings.trusted_proxy_list),
        forwarded_allow_ips=settings.trusted_proxy_list or None,
        timeout_graceful_shutdown=30,
        timeout_keep_alive=10,
    )
    if config.workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise SystemExit(3)
        return
    sock = config.bind_socket()
    _multiprocess_class()(config, sockets=[sock]).run()


def main() -> None:  # `python -m qa.api.server` (the same as `esgqa serve`)
    import argparse

    settings = Settings()
    parser = argparse.ArgumentParser(description="Serve the esgqa HTTP API.")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument("--workers", type=int, default=settings.workers)
    args = parser.parse_args()
    serve(settings, args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
