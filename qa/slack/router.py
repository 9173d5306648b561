"""`POST /slack/events`: Slack's events, slash commands and interactivity on one URL."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from slack_bolt import App
from slack_bolt.adapter.fastapi import SlackRequestHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from qa.api.errors import error_response
from qa.config import Settings
from qa.feedback import FeedbackStore
from qa.slack.bot import AskService, SlackBot
from qa.slack.verify import ReplayGuard, SlackRequestError, parse_body, verify_signature

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class ThreadedSlackRequestHandler(SlackRequestHandler):
    """Bolt's FastAPI adapter, hardened, with the (synchronous) dispatch moved off the event loop.

    Before bolt sees a request: the signature is verified on the raw body (401), then the body is
    parsed (400), then a replay of a signed request already answered is acknowledged (200, empty)
    and not dispatched again; see `qa.slack.verify`. Refusals carry the API's error body.
    `App.dispatch` (authorize, wait for the listener's `ack()`) runs on a thread: inline it would
    block every other request of the server meanwhile.
    """

    def __init__(self, app: App, signing_secret: str, replays: ReplayGuard | None = None) -> None:
        super().__init__(app)
        self.signing_secret = signing_secret
        self.replays = replays if replays is not None else ReplayGuard()

    async def handle(self, req: Request, addition_context_properties: dict[str, object] | None = None) -> Response:
        if req.method != "POST":
            return await super().handle(req, addition_context_properties)
        body = await req.body()
        signature = req.headers.get("x-slack-signature") or ""
        try:
            timestamp = verify_signature(self.signing_secret, body, req.headers.get("x-slack-request-timestamp"),
                                         signature)
            parsed = parse_body(body, req.headers.get("content-type"))
            bolt_request = to_bolt_request(req, body, addition_context_properties)
        except SlackRequestError as exc:
            logger.info("slack request refused (%s): %s", exc.status, exc.message)
            return error_response(exc.status, exc.code, exc.message)
        except Exception:  # bolt's own parsing: the checks above should leave nothing for it to refuse
            logger.info("slack request refused (400): bolt could not parse the body")
            return error_response(400, "bad_request", "The body is not a Slack request.")
        if bolt_request.body != parsed:
            logger.info("slack request refused (400): the body is ambiguous")
            return error_response(400, "bad_request", "The body is not a Slack request.")
        if not self.replays.first_time(timestamp, signature):
            logger.info("slack request replayed (timestamp %s): acknowledged, not answered again", timestamp)
            return Response(status_code=200)
        bolt_response = await run_in_threadpool(self.app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)


def slack_router(
    settings: Settings,
    get_service: Callable[[], AskService],
    feedback: FeedbackStore,
    *,
    bot: SlackBot | None = None,
) -> APIRouter | None:
    """The Slack bot's router, or None (bot off, `/slack/events` 404) without a secret and a token.

    `bot` lets a caller (tests, a shutdown hook) keep a handle on the `SlackBot` it serves.
    """
    if not settings.slack_signing_secret or not settings.slack_bot_token:
        logger.info("slack bot off: SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are not both set")
        return None
    if bot is None:
        bot = SlackBot(settings, get_service, feedback)
    handler = ThreadedSlackRequestHandler(bot.app, settings.slack_signing_secret, bot.seen_requests)
    router = APIRouter(tags=["slack"])

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    logger.info("slack bot on at %s", EVENTS_PATH)
    return router
