"""Resolving elliptical follow-ups ("and in 2021?", "what about water?") against earlier turns."""

from __future__ import annotations

import re

from qa.models import Turn
from qa.retrieval import years_in

_YEAR = re.compile(r"(?:FY\s?)?(?:19|20)\d\d(?:'s|’s)?")
_FOLLOW = re.compile(
    r"^\s*(?:and|what about|how about|and what about|what of|same for|and for|how about in|and in|what about in)\b",
    re.IGNORECASE,
)
_PROVENANCE = re.compile(r"\b(which|what) (report|document|page|section|source)\b|\bwhere (does it|is that|did you)\b", re.I)
# Topics a follow-up may swap in for the previous question's topic.
_TOPICS = [
    "scope 1", "scope 2", "scope 3", "ghg emissions", "greenhouse gas emissions", "emissions", "energy",
    "electricity", "water", "hazardous waste", "non-hazardous waste", "waste", "packaging", "employees", "workforce",
    "female employees", "male employees", "turnover", "training", "injuries", "patents", "donations", "suppliers",
]


def _strip_follow(q: str) -> str:
    q = _FOLLOW.sub("", q).strip()
    return q.strip(" ?.!,")


def _topic(text: str) -> str | None:
    low = text.lower()
    for t in _TOPICS:
        if re.search(rf"\b{re.escape(t)}\b", low):
            return t
    return None


def resolve(question: str, history: list[Turn] | None) -> str:
    """A standalone question: the follow-up resolved against the previous turn, or unchanged."""
    q = question.strip()
    if not history:
        return q
    prev_turn = history[-1]
    prev = (prev_turn.resolved_question or prev_turn.question).strip()
    if not prev:
        return q
    if _PROVENANCE.search(q) and len(q.split()) <= 8:
        return prev
    words = q.split()
    elliptical = bool(_FOLLOW.match(q)) or len(words) <= 4
    if not elliptical:
        return q
    rest = _strip_follow(q)
    new_years = years_in(rest)
    rest_wo_years = _YEAR.sub("", rest)
    rest_wo_years = re.sub(r"\b(in|for|during|of|the|year)\b", " ", rest_wo_years, flags=re.I).strip(" ?.,")
    if new_years and not rest_wo_years:
        # "and in 2021?": same question, other year
        if years_in(prev):
            return _YEAR.sub(str(new_years[0]), prev, count=1)
        return f"{prev.rstrip(' ?')} in {new_years[0]}?"
    if rest:
        prev_topic = _topic(prev)
        new_topic = _topic(rest)
        if prev_topic and new_topic:
            swapped = re.sub(rf"\b{re.escape(prev_topic)}\b", new_topic, prev, count=1, flags=re.I)
            if new_years:
                swapped = _YEAR.sub(str(new_years[0]), swapped, count=1) if years_in(swapped) else f"{swapped.rstrip(' ?')} in {new_years[0]}?"
            return swapped
        if rest.lower() in prev.lower():
            return prev
        return f"{rest} ({prev.rstrip(' ?')})"
    return prev
