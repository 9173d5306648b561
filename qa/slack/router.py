"""`POST /slack/events`: Slack's events, slash commands and interactivity on one URL."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.fastapi import SlackRequestHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from qa.config import Settings
from qa.feedback import FeedbackStore
from qa.slack.bot import AskService, SlackBot

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class ThreadedSlackRequestHandler(SlackRequestHandler):
    """Bolt's FastAPI adapter, with the (synchronous) dispatch moved off the event loop.

    `App.dispatch` verifies the signature, authorizes, and waits for the listener's `ack()`;
    run inline it would block every other request of the server meanwhile.
    """

    async def handle(self, req: Request, addition_context_properties: dict[str, object] | None = None) -> Response:
        if req.method != "POST":
            return await super().handle(req, addition_context_properties)
        body = await req.body()
        bolt_request = to_bolt_request(req, body, addition_context_properties)
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
    handler = ThreadedSlackRequestHandler(bot.app)
    router = APIRouter(tags=["slack"])

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    logger.info("slack bot on at %s", EVENTS_PATH)
    return router
