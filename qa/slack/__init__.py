"""The Slack bot (slack_bolt over FastAPI): `slack_router` mounts it, `render_answer_blocks` draws answers."""

from qa.slack.render import render_answer_blocks
from qa.slack.router import slack_router

__all__ = ["render_answer_blocks", "slack_router"]
