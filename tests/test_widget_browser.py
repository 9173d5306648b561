"""The chat widget in headless Chromium against the real service (real model, real index).

The service is started as a subprocess on a free loopback port (`uvicorn --factory
qa.api.app:create_app`) and stopped at the end. Screenshots of every state land in
tests/artifacts/widget/. Set ESGQA_WIDGET_TEST_URL to drive an already running service instead.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts" / "widget"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
READY_TIMEOUT_S = 120
ANSWER_TIMEOUT_MS = 60_000
INJECTION = "<img src=x onerror=alert(1)>"

if not CHROMIUM.exists():
    pytest.skip(
        "!!! BROWSER TESTS SKIPPED: /usr/bin/chromium is missing; run `make browser-deps` "
        "(apt-get install chromium) to test the widget in a real browser !!!",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="!!! BROWSER TESTS SKIPPED: playwright missing !!!"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


class EmbedSite:
    """A third-party web site on another loopback port: pages registered by the tests, each with its own
    headers. (Loopback, so Chromium's local-network-access checks let it reach the service.)"""

    def __init__(self, port: int) -> None:
        self.pages: dict[str, tuple[bytes, dict[str, str]]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body, headers = site.pages.get(self.path, (b"not found", {}))
                self.send_response(200 if self.path in site.pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.origin = f"http://127.0.0.1:{port}"

    def add(self, path: str, html: str, headers: dict[str, str]) -> str:
        self.pages[path] = (html.encode(), headers)
        return self.origin + path


@pytest.fixture(scope="module")
def embed_site() -> Iterator[EmbedSite]:
    site = EmbedSite(int(os.environ.get("ESGQA_WIDGET_EMBED_PORT") or _free_port()))
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture(scope="module")
def feedback_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("widget") / "feedback.jsonl"


@pytest.fixture(scope="module")
def base_url(embed_site: EmbedSite, feedback_file: Path) -> Iterator[str]:
    if os.environ.get("ESGQA_WIDGET_TEST_URL"):
        yield os.environ["ESGQA_WIDGET_TEST_URL"].rstrip("/")
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "ESGQA_CORS_ORIGINS": embed_site.origin,
        "ESGQA_API_KEYS": "",
        "ESGQA_FEEDBACK_PATH": str(feedback_file),
    }
    log_path = ARTIFACTS / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "qa.api.app:create_app",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not _ready(url):
                if proc.poll() is not None:
                    pytest.fail(f"service exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    pytest.fail(f"service not ready in {READY_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watched:
    """A page plus what it did that it should not have: CSP violations, dialogs, page errors."""

    page: Any
    csp: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    asks: list[dict[str, Any]] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.csp == [], f"CSP violations: {self.csp}"
        assert self.dialogs == [], f"a dialog opened (script ran): {self.dialogs}"
        assert self.errors == [], f"page errors: {self.errors}"


def _watch(page: Any) -> Watched:
    w = Watched(page)

    def on_console(msg: Any) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            w.csp.append(msg.text)

    def on_dialog(dialog: Any) -> None:
        w.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_request(req: Any) -> None:
        if req.method == "POST" and req.url.endswith("/v1/ask"):
            w.asks.append(json.loads(req.post_data or "{}"))

    page.on("console", on_console)
    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: w.errors.append(str(exc)))
    page.on("request", on_request)
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return w


@pytest.fixture()
def make_page(browser: Any, base_url: str) -> Iterator[Any]:
    contexts: list[Any] = []
    watched: list[Watched] = []

    def make(viewport: tuple[int, int] = (1280, 860)) -> Watched:
        ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        contexts.append(ctx)
        w = _watch(ctx.new_page())
        watched.append(w)
        return w

    yield make
    for w in watched:
        if not w.page.is_closed():
            w.csp.extend(w.page.evaluate("window.__csp || []"))
    for ctx in contexts:
        ctx.close()
    for w in watched:
        w.assert_clean()


def _open_demo(w: Watched, base_url: str) -> Any:
    page = w.page
    resp = page.goto(base_url + "/")
    assert resp is not None and resp.status == 200
    page.wait_for_selector(".esgqa-panel", state="visible")
    return page


def _ask(page: Any, question: str) -> Any:
    """Type a question, press Enter, and return the reply bubble once it has arrived."""
    replies = page.locator(".esgqa-log > .esgqa-msg:not(.esgqa-user):not(.esgqa-loading)")
    before = replies.count()
    page.fill("#esgqa-input", question)
    page.press("#esgqa-input", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('.esgqa-log > .esgqa-msg:not(.esgqa-user):not(.esgqa-loading)').length > n"
        " && !document.querySelector('.esgqa-loading')",
        arg=before,
        timeout=ANSWER_TIMEOUT_MS,
    )
    return replies.nth(before)


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name))


def test_answer_with_highlight_citation_and_follow_up(
    make_page: Any, base_url: str, feedback_file: Path
) -> None:
    w = make_page()
    page = _open_demo(w, base_url)
    assert page.get_attribute(".esgqa-panel", "role") == "dialog"
    _shot(page, "01-demo-open.png")

    first = "What was the total water consumption in 2021?"
    reply = _ask(page, first)
    assert reply.locator(".esgqa-abstain").count() == 0, reply.inner_text()
    mark = reply.locator(".esgqa-quote mark").first
    mark_text = mark.inner_text().strip()
    quote_text = reply.locator(".esgqa-quote blockquote").first.text_content()
    assert mark_text and mark_text in quote_text
    assert mark_text == reply.locator(".esgqa-answer strong").inner_text().strip()
    assert "463,663" in reply.inner_text()  # the 2021 column of the 2022 report's KPI table
    cite = reply.locator(".esgqa-cite").first.inner_text()
    assert "Xiaomi ESG Report 20" in cite
    assert reply.locator(".esgqa-hint").inner_text() in {"Exact figure found", "Likely answer"}
    assert page.locator(".esgqa-user").first.inner_text() == first
    _shot(page, "02-answer-highlight.png")

    reply.locator(".esgqa-copy").first.click()
    page.wait_for_function("() => document.querySelector('.esgqa-copy').textContent === 'Copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert quote_text.strip() in copied and cite in copied

    helpful = reply.get_by_role("button", name="Helpful", exact=True)
    helpful.click()
    page.wait_for_function("() => document.querySelector('.esgqa-thanks').textContent !== ''")
    assert reply.locator(".esgqa-thanks").inner_text() == "Thanks for the feedback."
    assert helpful.get_attribute("aria-pressed") == "true"
    if not os.environ.get("ESGQA_WIDGET_TEST_URL"):  # our own service: the vote reached its log
        from qa.feedback import SqliteFeedbackStore

        [entry] = [e.model_dump() for e in SqliteFeedbackStore(feedback_file.with_suffix(".sqlite3")).export()]
        assert entry["helpful"] is True and entry["question"] == first and entry["source"] == "widget"

    follow = _ask(page, "and in 2022?")
    searched = follow.locator(".esgqa-searched").inner_text()
    assert searched.startswith("Searched: ")
    assert "2022" in searched and "water" in searched.lower(), searched
    assert len(w.asks) == 2 and w.asks[0]["history"] == []
    [turn] = w.asks[1]["history"]
    assert turn["question"] == first and turn["answer"] == mark_text
    assert follow.locator(".esgqa-quote").count() >= 1
    if follow.locator(".esgqa-more").count():
        follow.locator(".esgqa-more > summary").click()
        more = follow.locator(".esgqa-more .esgqa-quote")
        assert more.first.is_visible() and more.first.locator(".esgqa-cite").inner_text()
        assert (
            follow.locator(".esgqa-more .esgqa-flag").count() == 0
        )  # other sources of an answer, not "not an answer"
    _shot(page, "03-follow-up-searched.png")
    w.assert_clean()


def test_notes_about_differing_figures_are_shown(make_page: Any, base_url: str) -> None:
    w = make_page()
    page = _open_demo(w, base_url)
    page.get_by_role("button", name="What were Xiaomi's total GHG emissions in 2020?").click()
    page.wait_for_selector(".esgqa-bot:not(.esgqa-loading) .esgqa-quote", timeout=ANSWER_TIMEOUT_MS)
    reply = page.locator(".esgqa-bot").last
    text = reply.inner_text()
    assert "31,347.06" in text  # the 2020 report's own figure
    notes = reply.locator(".esgqa-note")
    if notes.count():  # the service found the restated figure: the note must be visible
        assert notes.first.is_visible() and notes.first.inner_text().startswith("Note:")
    _shot(page, "04-notes.png")
    w.assert_clean()


def test_abstention_shows_closest_passages_as_not_an_answer(make_page: Any, base_url: str) -> None:
    w = make_page()
    page = _open_demo(w, base_url)
    reply = _ask(page, "What was Xiaomi's MSCI ESG rating in 2019?")
    assert reply.locator(".esgqa-abstain").inner_text() == "The reports don't say this."
    assert reply.locator(".esgqa-hint").count() == 0
    assert reply.locator("mark").count() == 0
    quotes = reply.locator(".esgqa-quote")
    if quotes.count():
        assert (
            quotes.first.locator(".esgqa-flag").inner_text().lower() == "closest passage \u2014 not an answer"
        )
        assert quotes.count() == reply.locator(".esgqa-quote.esgqa-closest .esgqa-flag").count()  # all marked
    _shot(page, "05-abstention.png")
    w.assert_clean()


def _no_img_in_widget(page: Any) -> None:
    assert page.locator(".esgqa-root img").count() == 0


def test_injection_is_shown_literally(make_page: Any, base_url: str) -> None:
    w = make_page()
    page = _open_demo(w, base_url)
    _ask(page, INJECTION)
    assert page.locator(".esgqa-user").last.text_content() == INJECTION
    _no_img_in_widget(page)
    _shot(page, "06-injection-literal.png")
    w.assert_clean()


def _embed_page(
    w: Watched, site: EmbedSite, base_url: str, api: str, csp: str | None, attrs: str = ""
) -> Any:
    """A third-party page on another origin that embeds the widget with the one documented tag."""
    html = (
        "<!doctype html><html><head><meta charset=utf-8><title>Investor relations</title></head>"
        "<body><h1>Investor relations</h1>"
        f'<script src="{base_url}/widget.js" data-api="{api}" {attrs} defer></script></body></html>'
    )
    url = site.add(f"/ir-{len(site.pages)}.html", html, {"Content-Security-Policy": csp} if csp else {})
    w.page.goto(url)
    w.page.wait_for_selector(".esgqa-launcher", state="visible")
    return w.page


def test_embedded_on_another_site_under_its_own_csp(
    make_page: Any, embed_site: EmbedSite, base_url: str
) -> None:
    w = make_page()
    csp = (
        f"default-src 'none'; script-src {base_url}; style-src {base_url}; connect-src {base_url}; "
        "img-src 'none'"
    )
    page = _embed_page(w, embed_site, base_url, base_url, csp, attrs='data-report-ids="xiaomi-esg-2022"')
    assert page.locator(".esgqa-panel").is_hidden()
    page.click(".esgqa-launcher")
    assert page.locator(".esgqa-panel").is_visible()
    # the stylesheet came from the service's origin and applies
    assert page.evaluate("getComputedStyle(document.querySelector('.esgqa-panel')).position") == "fixed"
    reply = _ask(page, "What was the total water consumption in 2021?")
    assert reply.locator(".esgqa-quote mark").count() == 1, reply.inner_text()
    assert w.asks[0]["filters"] == {"report_ids": ["xiaomi-esg-2022"]}
    cites = reply.locator(".esgqa-cite").all_text_contents()  # incl. those folded under "More sources"
    assert cites and all(c.startswith("Xiaomi Corporation \u00b7 Xiaomi ESG Report 2022") for c in cites), cites
    _shot(page, "07-embedded-third-party.png")
    w.assert_clean()


def test_data_companies_is_sent_as_a_filter(make_page: Any, embed_site: EmbedSite, base_url: str) -> None:
    w = make_page()
    page = _embed_page(w, embed_site, base_url, base_url, None, attrs='data-companies="xiaomi, Xiaomi Corporation"')
    page.click(".esgqa-launcher")
    reply = _ask(page, "What was the total water consumption in 2021?")
    assert w.asks[0]["filters"] == {"companies": ["xiaomi", "Xiaomi Corporation"]}
    cites = reply.locator(".esgqa-cite").all_text_contents()
    assert cites and all(c.startswith("Xiaomi Corporation \u00b7 ") for c in cites), cites
    w.assert_clean()

    w = make_page()
    page = _embed_page(w, embed_site, base_url, base_url, None, attrs='data-companies="Nobody AG"')
    page.click(".esgqa-launcher")
    page.fill("#esgqa-input", "What was the total water consumption in 2021?")
    page.press("#esgqa-input", "Enter")
    page.wait_for_selector(".esgqa-error", timeout=ANSWER_TIMEOUT_MS)
    assert "Unknown company 'Nobody AG'" in page.locator(".esgqa-error").last.inner_text()
    w.assert_clean()


def test_injection_on_a_page_without_csp_runs_nothing(
    make_page: Any, embed_site: EmbedSite, base_url: str
) -> None:
    # No CSP here: if the widget ever parsed data as HTML, the onerror handler would open a dialog.
    w = make_page()
    page = _embed_page(w, embed_site, base_url, base_url, csp=None)
    page.click(".esgqa-launcher")
    _ask(page, INJECTION)
    page.wait_for_timeout(300)
    assert page.locator(".esgqa-user").last.text_content() == INJECTION
    _no_img_in_widget(page)
    w.assert_clean()


def test_rate_limit_and_unreachable_api_messages(
    make_page: Any, embed_site: EmbedSite, base_url: str
) -> None:
    w = make_page()
    page = _open_demo(w, base_url)
    held: list[Any] = []
    page.route("**/v1/ask", lambda route: held.append(route))  # held: the widget shows its loading state
    page.fill("#esgqa-input", "What was the total water consumption in 2021?")
    page.press("#esgqa-input", "Enter")
    page.wait_for_function("() => document.querySelector('.esgqa-loading') !== null")
    page.wait_for_timeout(200)
    assert page.locator(".esgqa-loading").inner_text().startswith("Searching the reports")
    assert page.locator(".esgqa-send").is_disabled()
    assert page.get_attribute(".esgqa-log", "aria-busy") == "true"
    _shot(page, "08a-loading.png")
    while not held:
        page.wait_for_timeout(50)
    held[0].fulfill(
        status=429,
        headers={"Retry-After": "7"},
        content_type="application/json",
        body=json.dumps({"error": {"code": "rate_limited", "message": "Too many requests"}}),
    )
    page.wait_for_selector(".esgqa-error")
    reply = page.locator(".esgqa-error").last
    assert reply.get_attribute("role") == "alert"
    assert reply.inner_text() == "Too many questions, try again in 7 s."
    assert (
        page.input_value("#esgqa-input") == "What was the total water consumption in 2021?"
    )  # kept to retry
    _shot(page, "08b-rate-limited.png")
    page.unroute("**/v1/ask")

    page.route("**/v1/ask", lambda route: route.abort("connectionrefused"))
    reply = _ask(page, "What was the total water consumption in 2021?")
    assert reply.inner_text().startswith("Can't reach the answer service")
    page.unroute("**/v1/ask")
    w.assert_clean()

    # data-api pointing at a port nobody listens on
    w2 = make_page()
    closed = f"http://127.0.0.1:{_free_port()}"
    page2 = _embed_page(w2, embed_site, base_url, closed, csp=None)
    page2.click(".esgqa-launcher")
    reply = _ask(page2, "What was the total water consumption in 2021?")
    assert (
        reply.inner_text()
        == f"Can't reach the answer service at {closed}. Check your connection and try again."
    )
    _shot(page2, "09-unreachable.png")


def test_keyboard_and_aria(make_page: Any, base_url: str) -> None:
    w = make_page()
    page = _open_demo(w, base_url)
    launcher = page.locator(".esgqa-launcher")
    assert launcher.get_attribute("aria-expanded") == "true"
    log = page.locator(".esgqa-log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    title_id = page.get_attribute(".esgqa-panel", "aria-labelledby")
    assert page.locator(f"#{title_id}").inner_text().strip()
    assert page.get_by_label("Your question").count() == 1
    assert page.get_by_role("button", name="Close").count() == 1

    page.focus("#esgqa-input")
    page.keyboard.press("Escape")
    assert page.locator(".esgqa-panel").is_hidden()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('esgqa-launcher')")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # focus visible

    page.keyboard.press("Enter")
    assert page.locator(".esgqa-panel").is_visible()
    assert page.evaluate("document.activeElement.id") == "esgqa-input"
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert page.input_value("#esgqa-input") == "first line\nsecond line"
    assert w.asks == []  # Shift+Enter did not send
    page.keyboard.press("Enter")
    page.wait_for_selector(".esgqa-bot:not(.esgqa-loading), .esgqa-error", timeout=ANSWER_TIMEOUT_MS)
    assert w.asks and w.asks[0]["question"] == "first line\nsecond line"
    assert page.evaluate("document.activeElement.id") == "esgqa-input"  # ready for the next question
    w.assert_clean()


def test_phone_width_360(make_page: Any, base_url: str) -> None:
    w = make_page(viewport=(360, 740))
    page = _open_demo(w, base_url)
    reply = _ask(page, "What were Xiaomi's total GHG emissions in 2020?")
    assert reply.locator(".esgqa-quote").count() >= 1
    box = page.locator(".esgqa-panel").bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= 360 and box["y"] + box["height"] <= 740
    assert box["width"] >= 340  # full width on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(
        "(() => { const l = document.querySelector('.esgqa-log'); return l.scrollWidth <= l.clientWidth; })()"
    )
    for sel in ("#esgqa-input", ".esgqa-send", ".esgqa-close"):
        b = page.locator(sel).bounding_box()
        assert b is not None and b["x"] >= 0 and b["x"] + b["width"] <= 360, sel
    _shot(page, "10-phone-360.png")
    w.assert_clean()
