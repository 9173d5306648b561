"""Small text helpers shared by every stage. (Answer matching lives in qa.evaluation.metrics.)"""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")


def collapse_ws(text: str) -> str:
    """Collapse every whitespace run to one space and strip the ends: the verbatim comparison form."""
    return _WS.sub(" ", text).strip()
