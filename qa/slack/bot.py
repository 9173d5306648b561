"""The Slack bot: a slack_bolt `App` whose listeners translate Slack requests into `ask` calls.

Surfaces:
- `/esg <question>`: acknowledged at once; the answer goes to the command's `response_url`
  (ephemeral, with a "Share in channel" button).
- `@bot <question>` in a channel and any message in a DM with the bot: answered in the message's
  thread; follow-ups in that thread carry the thread's earlier questions and answers as history.
- Buttons: Helpful / Not helpful (feedback store) and Share in channel.

The router verifies every request's signature on the raw body (v0, refusing timestamps outside 5
minutes), refuses malformed bodies and replays before bolt parses anything (`qa.slack.verify`);
bolt verifies again, and acknowledges before the answering starts (listeners run on a small pool).
Nothing here calls Slack at start-up: authorization is a local function; the bot's own user id
comes from settings or, once, from `auth.test` on the first request.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from qa.config import Settings
from qa.errors import BadQuestion, QAError, UnknownReport
from qa.feedback import FeedbackEntry, FeedbackQuotaExceeded, FeedbackRefused, FeedbackStore
from qa.inputs import clean_text
from qa.models import Answer, Filters, Turn
from qa.slack.memory import AnswerCache, SeenIds, ThreadKey, ThreadMemory
from qa.slack.mrkdwn import fit_literal, to_plain
from qa.slack.render import (
    ACTION_HELPFUL,
    ACTION_NOT_HELPFUL,
    ACTION_SHARE,
    fallback_text,
    parse_button_value,
    render_answer_blocks,
)
from qa.slack.verify import ReplayGuard

logger = logging.getLogger(__name__)

METADATA_EVENT = "esgqa_answer"
SEARCHING_TEXT = ":mag: Searching the reports…"
USAGE_TEXT = "Ask a question about the ESG reports, e.g. `/esg What were Scope 1 emissions in 2021?`"
THANKS_TEXT = "Thanks — your feedback was recorded."
QUOTA_TEXT = ":hourglass: You have sent a lot of feedback recently; it was not recorded. Please try again later."
IDENTITY_RETRY_S = 60.0
MAX_HISTORY_TURNS = 10
USER_SUBTYPES = frozenset({"thread_broadcast", "file_share"})  # still a person asking


class TrackedExecutor(ThreadPoolExecutor):
    """A thread pool that knows how many of its tasks are pending, and can wait until none is."""

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._pending += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._done()
            raise
        future.add_done_callback(lambda _future: self._done())
        return future

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    @property
    def pending(self) -> int:
        with self._idle:
            return self._pending

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)


class AskService(Protocol):
    """What the bot needs from `qa.service.QAService`."""

    def ask(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
            top_k: int = 5) -> Answer: ...


class BotIdentity:
    """The bot's user id and bot id: from settings, else one lazy `auth.test` (cached)."""

    def __init__(self, token: str, user_id: str = "") -> None:
        self._token = token
        self._user_id: str | None = user_id or None
        self._bot_id: str | None = None
        self._resolved = bool(user_id)
        self._failed_at: float | None = None
        self._lock = threading.Lock()

    def resolve(self, client: WebClient) -> tuple[str | None, str | None]:
        with self._lock:
            if self._resolved:
                return self._user_id, self._bot_id
            if self._failed_at is not None and time.monotonic() - self._failed_at < IDENTITY_RETRY_S:
                return None, None
            try:
                response = client.auth_test(token=self._token)
            except Exception as exc:  # any failure: answer anyway, retry later
                logger.warning("slack auth.test failed (%s); bot user id unknown for now", type(exc).__name__)
                self._failed_at = time.monotonic()
                return None, None
            self._user_id = response.get("user_id")
            self._bot_id = response.get("bot_id")
            self._resolved = True
            logger.info("slack bot identity user_id=%s bot_id=%s", self._user_id, self._bot_id)
            return self._user_id, self._bot_id


def _header(req: BoltRequest, name: str) -> str | None:
    values = req.headers.get(name)
    return values[0] if values else None


def user_message(exc: Exception) -> str:
    """What the asker sees when a question could not be answered."""
    if isinstance(exc, BadQuestion | UnknownReport):
        return f":warning: I can't answer that: {fit_literal(str(exc) or exc.code, 500)}"
    if isinstance(exc, QAError) and exc.status == 503:
        return ":hourglass: The reports index is not ready yet. Please try again in a minute."
    return ":x: Something went wrong while searching the reports. The error has been logged."


class SlackBot:
    """Owns the bolt `App`, the thread memory and the de-duplication state of one process."""

    def __init__(
        self,
        settings: Settings,
        get_service: Callable[[], AskService],
        feedback: FeedbackStore,
        *,
        workers: int = 4,
    ) -> None:
        """`workers` threads answer questions; bolt's listeners (which only acknowledge and hand
        over) get their own pool, so a slash command is acknowledged even while all are busy."""
        self.settings = settings
        self.get_service = get_service
        self.feedback = feedback
        self.memory = ThreadMemory()
        self.answers = AnswerCache()
        self.seen_events = SeenIds()
        self.seen_messages = SeenIds()
        self.seen_votes = SeenIds()
        self.seen_requests = ReplayGuard()  # signed (timestamp, signature) pairs: replays
        self.identity = BotIdentity(settings.slack_bot_token, settings.slack_bot_user_id)
        self.listener_pool = TrackedExecutor(max_workers=8, thread_name_prefix="esgqa-slack-ack")
        self.answer_pool = TrackedExecutor(max_workers=workers, thread_name_prefix="esgqa-slack-answer")
        self.app = self._build_app()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no listener or answer is in progress (tests, graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while True:
            # a listener submits its answer before it finishes, so both read 0 only when all is done
            if self.listener_pool.pending == 0 and self.answer_pool.pending == 0:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.listener_pool.wait_idle(min(left, 0.05))
            self.answer_pool.wait_idle(min(left, 0.05))

    def close(self) -> None:
        self.listener_pool.shutdown(wait=False, cancel_futures=True)
        self.answer_pool.shutdown(wait=False, cancel_futures=True)

    # ---- bolt wiring ------------------------------------------------------------------------

    def _build_app(self) -> App:
        app = App(
            name="esgqa",
            signing_secret=self.settings.slack_signing_secret,
            authorize=self._authorize_function(),
            client=WebClient(base_url=self.settings.slack_api_url, timeout=15),
            listener_executor=self.listener_pool,
            process_before_response=False,
            logger=logging.getLogger("qa.slack.bolt"),
        )
        app.middleware(self._retry_middleware())
        app.command(self._command_pattern())(self.on_command)
        app.event("app_mention")(self.on_app_mention)
        app.event("message")(self.on_message)
        app.action(ACTION_HELPFUL)(self.on_helpful)
        app.action(ACTION_NOT_HELPFUL)(self.on_not_helpful)
        app.action(ACTION_SHARE)(self.on_share)
        return app

    @staticmethod
    def _command_pattern() -> re.Pattern[str]:
        return re.compile(r"^/\S+$")  # /esg, or whatever the workspace renamed it to

    def _authorize_function(self) -> Callable[..., AuthorizeResult]:
        token = self.settings.slack_bot_token
        identity = self.identity

        def authorize(enterprise_id: str | None, team_id: str | None, client: WebClient) -> AuthorizeResult:
            user_id, bot_id = identity.resolve(client)
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token,
                                   bot_user_id=user_id, bot_id=bot_id)

        return authorize

    def _retry_middleware(self) -> Callable[..., BoltResponse | None]:
        seen_events = self.seen_events

        def skip_retries(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
            retry_num = _header(req, "x-slack-retry-num")
            if retry_num is None:
                return next()
            reason = _header(req, "x-slack-retry-reason") or ""
            event_id = req.body.get("event_id") if isinstance(req.body, dict) else None
            if (event_id and event_id in seen_events) or reason == "http_timeout":
                # the first delivery reached us and is being answered: acknowledge, do nothing
                logger.info("slack retry %s (%s) of event %s acknowledged, not answered again",
                            retry_num, reason, event_id)
                return BoltResponse(status=200, body="")
            return next()  # the first delivery never arrived: answer this one (once)

        return skip_retries

    # ---- answering --------------------------------------------------------------------------

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        """One answer from the service, with an id (generated when the service gave none)."""
        answer = self.get_service().ask(question, history=history or None)
        if not answer.answer_id:
            answer = answer.model_copy(update={"answer_id": uuid.uuid4().hex})
        self.answers.put(answer)
        return answer

    def blocks(self, answer: Answer, **kwargs: Any) -> list[dict[str, Any]]:
        return render_answer_blocks(answer, **kwargs)

    def thread_history(self, client: WebClient, channel: str, thread_ts: str) -> list[Turn]:
        """Earlier turns of a thread: from memory, else rebuilt from the answers' message metadata."""
        key: ThreadKey = (channel, thread_ts)
        turns = self.memory.get(key)
        if turns is not None:
            return turns
        try:
            response = client.conversations_replies(channel=channel, ts=thread_ts,
                                                     include_all_metadata=True, limit=100)
        except SlackApiError as exc:
            logger.warning("slack conversations.replies failed: %s", exc.response.get("error"))
            return []
        turns = []
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") != METADATA_EVENT:
                continue
            payload = metadata.get("event_payload") or {}
            question = str(payload.get("question") or "")
            if not question:
                continue
            turns.append(Turn(question=question, answer=payload.get("answer") or None,
                              resolved_question=payload.get("resolved_question") or None))
        turns = turns[-MAX_HISTORY_TURNS:]
        self.memory.put(key, turns)
        return turns

    # ---- listeners: messages ----------------------------------------------------------------

    def on_app_mention(self, event: dict[str, Any], body: dict[str, Any], client: WebClient,
                       context: Any) -> None:
        self._accept_message(event, body, client, context.bot_user_id)

    def on_message(self, event: dict[str, Any], body: dict[str, Any], client: WebClient, context: Any) -> None:
        if event.get("channel_type") != "im":
            return  # in channels only mentions are answered (app_mention)
        self._accept_message(event, body, client, context.bot_user_id)

    def _accept_message(self, event: dict[str, Any], body: dict[str, Any], client: WebClient,
                        bot_user_id: str | None) -> None:
        """Filter and de-duplicate (on the listener thread), then answer on the answer pool."""
        subtype = event.get("subtype")
        if event.get("bot_id") or (subtype and subtype not in USER_SUBTYPES) or not event.get("user"):
            return  # other bots (and this one), edits, deletions, joins: never answered
        if bot_user_id and event.get("user") == bot_user_id:
            return
        channel, ts = str(event.get("channel") or ""), str(event.get("ts") or "")
        event_id = body.get("event_id")
        if event_id and not self.seen_events.first_time(event_id):
            logger.info("slack event %s already handled", event_id)
            return
        if not channel or not ts or not self.seen_messages.first_time((channel, ts)):
            return  # the same message can arrive as app_mention and message.im
        thread_ts = str(event.get("thread_ts") or ts)
        question = to_plain(str(event.get("text") or ""), bot_user_id)
        in_thread = bool(event.get("thread_ts")) and event.get("thread_ts") != ts
        self.answer_pool.submit(self._answer_in_thread, client, channel, thread_ts, question, in_thread)

    def _answer_in_thread(self, client: WebClient, channel: str, thread_ts: str, question: str,
                          follow_up: bool) -> None:
        if not question:
            self._post(client, channel, thread_ts, text=USAGE_TEXT)
            return
        try:
            history = self.thread_history(client, channel, thread_ts) if follow_up else []
            answer = self.ask(question, history)
        except Exception as exc:
            self._log_failure(exc)
            self._post(client, channel, thread_ts, text=user_message(exc))
            return
        self.memory.append((channel, thread_ts), Turn(question=question, answer=answer.answer,
                                                      resolved_question=answer.resolved_question))
        self._post(client, channel, thread_ts, text=fallback_text(answer), blocks=self.blocks(answer),
                   metadata=self._metadata(question, answer))

    @staticmethod
    def _metadata(question: str, answer: Answer) -> dict[str, Any]:
        return {
            "event_type": METADATA_EVENT,
            "event_payload": {
                "question": question[:1000],
                "answer": (answer.answer or "")[:500],
                "resolved_question": (answer.resolved_question or "")[:1000],
                "answer_id": answer.answer_id or "",
            },
        }

    @staticmethod
    def _post(client: WebClient, channel: str, thread_ts: str, *, text: str,
              blocks: list[dict[str, Any]] | None = None, metadata: dict[str, Any] | None = None) -> None:
        try:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks,
                                    metadata=metadata, unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            logger.error("slack chat.postMessage failed: %s", exc.response.get("error"))

    @staticmethod
    def _log_failure(exc: Exception) -> None:
        if isinstance(exc, QAError):
            logger.info("slack question refused: %s (%s)", exc.code, exc)
        else:
            logger.exception("slack question failed")

    @staticmethod
    def _respond(respond: Callable[..., Any], **message: Any) -> None:
        try:
            respond(**message)
        except Exception:
            logger.exception("slack response_url post failed")

    # ---- listeners: slash command -----------------------------------------------------------

    def on_command(self, ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any]) -> None:
        question = to_plain(str(command.get("text") or ""), None)
        if not question:
            ack(text=USAGE_TEXT, response_type="ephemeral")
            return
        ack(text=SEARCHING_TEXT, response_type="ephemeral")
        self.answer_pool.submit(self._answer_command, question, respond)

    def _answer_command(self, question: str, respond: Callable[..., Any]) -> None:
        try:
            answer = self.ask(question)
        except Exception as exc:
            self._log_failure(exc)
            self._respond(respond, text=user_message(exc), response_type="ephemeral", replace_original=False)
            return
        self._respond(respond, text=fallback_text(answer),
                      blocks=self.blocks(answer, show_question=True, share=True),
                      response_type="ephemeral", replace_original=False)

    # ---- listeners: buttons -----------------------------------------------------------------

    def on_helpful(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any],
                   client: WebClient, respond: Callable[..., Any]) -> None:
        ack()
        self.answer_pool.submit(self._record_vote, body, action, client, respond, True)

    def on_not_helpful(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any],
                       client: WebClient, respond: Callable[..., Any]) -> None:
        ack()
        self.answer_pool.submit(self._record_vote, body, action, client, respond, False)

    def _record_vote(self, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                     respond: Callable[..., Any], helpful: bool) -> None:
        answer_id, question = parse_button_value(str(action.get("value") or ""))
        if not answer_id:
            logger.warning("slack feedback button without an answer id ignored")
            return
        user = str((body.get("user") or {}).get("id") or "")
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        team = str((body.get("team") or {}).get("id") or "")
        vote = (answer_id, user, helpful)
        if self.seen_votes.first_time(vote):  # a double click counts once
            extra = {k: v for k, v in {"user_id": user, "channel_id": channel, "team_id": team}.items() if v}
            try:
                self.feedback.record(FeedbackEntry(question=clean_text(question) or "(unknown)", answer_id=answer_id,
                                                   helpful=helpful, source="slack", extra=extra),
                                     client=f"slack:{team or '-'}:{user or '-'}")
            except Exception as exc:  # refused (quota, full, unavailable) or unreadable: nothing stored
                self.seen_votes.forget(vote)  # a later click may try again
                if not isinstance(exc, FeedbackRefused):
                    logger.exception("slack feedback could not be recorded")
                self._ephemeral(body, client, respond, QUOTA_TEXT if isinstance(exc, FeedbackQuotaExceeded)
                                else ":x: Sorry, your feedback could not be recorded.")
                return
        self._ephemeral(body, client, respond, THANKS_TEXT)

    def _ephemeral(self, body: dict[str, Any], client: WebClient, respond: Callable[..., Any], text: str) -> None:
        """An ephemeral note to the clicking user, in the thread of the clicked message."""
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        user = (body.get("user") or {}).get("id")
        if container.get("is_ephemeral") or not channel or not user or not message:
            self._respond(respond, text=text, response_type="ephemeral", replace_original=False)
            return
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text,
                                      thread_ts=message.get("thread_ts") or message.get("ts"))
        except SlackApiError as exc:
            logger.warning("slack chat.postEphemeral failed: %s", exc.response.get("error"))

    def on_share(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any],
                 respond: Callable[..., Any]) -> None:
        ack()
        self.answer_pool.submit(self._share, body, action, respond)

    def _share(self, body: dict[str, Any], action: dict[str, Any], respond: Callable[..., Any]) -> None:
        answer_id, question = parse_button_value(str(action.get("value") or ""))
        answer = self.answers.get(answer_id) if answer_id else None
        if answer is None:  # answered by another process, or aged out: ask again
            if not question:
                return
            try:
                answer = self.ask(question)
            except Exception as exc:
                self._log_failure(exc)
                self._respond(respond, text=user_message(exc), response_type="ephemeral", replace_original=False)
                return
        user = str((body.get("user") or {}).get("id") or "")
        self._respond(respond, text=fallback_text(answer), blocks=self.blocks(answer, asked_by=user or None),
                      response_type="in_channel", replace_original=False)
        self._respond(respond, delete_original=True)  # the private copy is no longer needed
