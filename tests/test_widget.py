"""The web router on its own: what it serves, with which headers, and what the files contain.

Fast (no model, no browser). The widget's behaviour in a real browser against the real service is
in tests/test_widget_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qa.config import Settings
from qa.web import DEMO_CSP, STATIC_DIR, web_router

WIDGET_BUDGET_BYTES = 20_000


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(web_router(Settings(max_question_chars=321)))
    return TestClient(app)


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/widget.js", "text/javascript"),
        ("/widget.css", "text/css"),
        ("/", "text/html"),
        ("/demo.css", "text/css"),
    ],
)
def test_assets_have_type_cache_and_nosniff(client: TestClient, path: str, media_type: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"]
    assert r.headers["etag"].startswith('"')
    assert len(r.content) > 100


@pytest.mark.parametrize("path", ["/widget.js", "/widget.css"])
def test_widget_files_are_embeddable_and_revalidate(client: TestClient, path: str) -> None:
    first = client.get(path)
    assert "max-age=" in first.headers["cache-control"]
    assert first.headers["cross-origin-resource-policy"] == "cross-origin"
    again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    stale = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and stale.content == first.content
    assert client.head(path).status_code == 200


def test_demo_page_sets_strict_csp(client: TestClient) -> None:
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert csp == DEMO_CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    for name in ("script-src", "style-src", "connect-src"):
        assert directives[name] == "'self'"
    assert "unsafe" not in csp
    assert r.headers["cache-control"] == "no-cache"


class _Inline(HTMLParser):
    """Collects everything on a page that a `script-src 'self'; style-src 'self'` policy would block."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.ask_buttons: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "style":
            self.problems.append("<style> block")
        if tag == "script":
            self.scripts.append(a)
            self._in_script = True
            if not a.get("src"):
                self.problems.append("script without src")
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"{name}= attribute on <{tag}>")
        if "data-esgqa-ask" in a:
            self.ask_buttons.append(a["data-esgqa-ask"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script text")


def test_demo_page_has_no_inline_code_and_embeds_the_widget(client: TestClient) -> None:
    parser = _Inline()
    parser.feed(client.get("/").text)
    assert parser.problems == []
    [widget] = [s for s in parser.scripts if (s.get("src") or "").endswith("/widget.js")]
    assert "defer" in widget
    assert widget["data-open"] == "true"
    assert widget["data-max-length"] == "321"  # from Settings, not the placeholder
    assert len(parser.ask_buttons) >= 3 and all(q.strip() for q in parser.ask_buttons)


def test_widget_is_small_and_self_contained() -> None:
    js = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    css = (STATIC_DIR / "widget.css").read_text(encoding="utf-8")
    assert len(js.encode()) < WIDGET_BUDGET_BYTES
    assert len(css.encode()) < WIDGET_BUDGET_BYTES
    # Data is only ever rendered as text: no HTML parsing sinks, no eval.
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js, sink
    # Nothing is fetched from elsewhere: no CDN, no fonts, no imports.
    code = re.sub(r"/\*.*?\*/", "", js, flags=re.S)
    assert not re.search(r"https?://", code)
    assert "@import" not in css and "@font-face" not in css and not re.search(r"url\(\s*['\"]?https?:", css)
    # Every rule is scoped to the widget so the host page is left alone.
    selectors = re.findall(r"(?:^|})\s*([^{}@]+?)\s*\{", re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    for sel in selectors:
        if re.fullmatch(r"[\d.%\s,a-z-]+", sel):  # keyframe steps
            continue
        for part in sel.split(","):
            assert "esgqa-" in part, f"unscoped CSS selector: {part.strip()}"
