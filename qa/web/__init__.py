"""The embeddable chat widget and its demo page.

`web_router(settings)` serves three things: `GET /` (a demo page that opens the widget, under a
strict Content-Security-Policy), `GET /widget.js` and `GET /widget.css` (what a page embeds with
`<script src="https://HOST/widget.js" data-api="https://HOST" defer></script>`). Files are read once,
when the router is built; answers carry an ETag so browsers revalidate cheaply.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response

from qa.config import Settings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"

# No inline script or style anywhere on the demo page; the widget works under this policy.
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
# The widget is embedded by other sites: short cache, revalidated with the ETag.
ASSET_CACHE = "public, max-age=300, must-revalidate"


@dataclass(frozen=True)
class StaticAsset:
    """One file served from memory with its content type, cache policy and ETag."""

    body: bytes
    media_type: str
    cache_control: str
    extra_headers: tuple[tuple[str, str], ...] = ()

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'

    def response(self, request: Request) -> Response:
        headers = {
            "Cache-Control": self.cache_control,
            "ETag": self.etag,
            "X-Content-Type-Options": "nosniff",
            **dict(self.extra_headers),
        }
        if self.etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        return Response(content=self.body, media_type=self.media_type, headers=headers)


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}


def _demo_page(settings: Settings) -> bytes:
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return html.replace("{{MAX_CHARS}}", str(settings.max_question_chars)).encode("utf-8")


def web_router(settings: Settings) -> APIRouter:
    """Routes for the demo page and the widget's script and stylesheet."""
    cross_site = (("Cross-Origin-Resource-Policy", "cross-origin"),)
    assets = {
        "/": StaticAsset(
            _demo_page(settings),
            "text/html; charset=utf-8",
            "no-cache",
            (
                ("Content-Security-Policy", DEMO_CSP),
                ("Referrer-Policy", "no-referrer"),
            ),
        ),
        "/widget.js": StaticAsset(
            (STATIC_DIR / "widget.js").read_bytes(), "text/javascript; charset=utf-8", ASSET_CACHE, cross_site
        ),
        "/widget.css": StaticAsset(
            (STATIC_DIR / "widget.css").read_bytes(), "text/css; charset=utf-8", ASSET_CACHE, cross_site
        ),
        "/demo.css": StaticAsset(
            (STATIC_DIR / "demo.css").read_bytes(), "text/css; charset=utf-8", ASSET_CACHE
        ),
    }
    router = APIRouter(include_in_schema=False)

    def add(path: str, asset: StaticAsset) -> None:
        async def serve(request: Request) -> Response:
            return asset.response(request)

        router.add_api_route(path, serve, methods=["GET", "HEAD"], name="web" + path.replace("/", ":"))

    for path, asset in assets.items():
        add(path, asset)
    logger.debug("web router: %d assets, widget.js %d bytes", len(assets), len(assets["/widget.js"].body))
    return router


__all__ = ["DEMO_CSP", "STATIC_DIR", "StaticAsset", "web_router"]
