"""What kind of span a question asks for: a figure, a date, a name, a phrase of common words (`the local
management`, `a data privacy officer`), or none (a list, a definition, a yes/no is answered by the whole quote).
Probabilities from the question's embedding and its analysed type (`kind_inputs`), by a softmax regression that
`make train` fits on the hand-written questions' gold answers; the ranker and span picker read them as features
("wildlife charity behind the ads" asks for a name although no question word says so)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.compose.question import QuestionInfo

KINDS: tuple[str, ...] = ("number", "date", "name", "phrase", "none")
NONE = KINDS.index("none")
NAME, PHRASE = KINDS.index("name"), KINDS.index("phrase")
KIND_MODEL = "answerkind.json"  # its file in the model folder
_FIGURE_OPTIONS = frozenset({"number", "range", "word_number"})
_NAME_OPTIONS = frozenset({"name", "word", "code", "grade"})
_WORDED_OPTIONS = frozenset({"name", "word", "cell", "row"})  # of these, one with common words is a phrase
# the question types `question.analyse` tells apart, in the order of the model's inputs
QUESTION_TYPES: tuple[str, ...] = (
    "numeric", "percent", "count", "money", "date", "entity", "yes_no", "list", "definition", "other")


def kind_inputs(qvec: np.ndarray, info: QuestionInfo) -> np.ndarray:
    """The model's input: the question's embedding, its analysed type (one-hot) and whether it asks a figure."""
    q = np.asarray(qvec, dtype=np.float64).reshape(-1)
    return np.concatenate([q, [float(info.qtype == t) for t in QUESTION_TYPES], [float(info.wants_number)]])


def figure_like(text: str) -> bool:
    """Mostly digits (`7,122.60`, `26%`, `No.81`): a figure, not a name with a number in it."""
    core = text.replace(" ", "")
    return any(ch.isdigit() for ch in core) and len(core) <= 30 and sum(ch.isdigit() for ch in core) * 3 >= len(core)


# the words that join the content words of a name or a phrase (`Institute of Talent Management`)
_FUNCTION_WORDS = frozenset("of and for the in on to with at by from or as a an its their our".split())
_WORD = re.compile(r"[^\W\d_][\w'’&-]*")


def phrase_like(text: str) -> bool:
    """A phrase of common words rather than a proper name: it holds a lower-case content word (`local
    management`, `Major drafting member`, `IT remarketing provider`; not `Corporate Governance Committee`)."""
    return any(w.islower() and len(w) >= 3 and w not in _FUNCTION_WORDS for w in _WORD.findall(text))


def option_kind(kind: str, text: str | None) -> int:
    """The KINDS index of a span option (`spanoptions` kinds; a table cell or a text row's value by its text)."""
    if kind == "none" or text is None:
        return NONE
    if kind in ("date", "freq"):  # how often is a time, as a date is: `quarterly` answers no "what is … called"
        return KINDS.index("date")
    if kind in _FIGURE_OPTIONS or (kind in ("cell", "row") and figure_like(text)):
        return KINDS.index("number")
    if kind == "phrase" or (kind in _WORDED_OPTIONS and phrase_like(text)):
        return PHRASE
    if kind in _NAME_OPTIONS or kind in ("cell", "row"):
        return NAME
    return NONE


def coarse(kinds: tuple[float, ...] | list[float]) -> tuple[float, ...]:
    """Kind probabilities with a phrase counted as a name (figure, date, name, none): what the ranker reads,
    which tells quotes apart by the figures, dates and names they offer."""
    k = list(kinds)
    return (k[0], k[1], k[NAME] + k[PHRASE], k[NONE])


@dataclass(frozen=True)
class AnswerKindModel:
    weights: np.ndarray  # (len(KINDS), dim)
    bias: np.ndarray  # (len(KINDS),)

    def probs(self, x: np.ndarray) -> tuple[float, ...]:
        """Kind probabilities for `kind_inputs(...)`; a model fitted on the embedding alone (an older file)
        reads its first part."""
        z = self.weights @ np.asarray(x, dtype=np.float64).reshape(-1)[: self.weights.shape[1]] + self.bias
        e = np.exp(z - z.max())
        return tuple(float(x) for x in e / e.sum())

    def to_json(self, **meta: Any) -> dict[str, Any]:
        return {"kinds": list(KINDS), **meta, "bias": [round(float(x), 6) for x in self.bias],
                "weights": [[round(float(x), 6) for x in row] for row in self.weights]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerKindModel:
        if tuple(data["kinds"]) != KINDS:
            raise ValueError("the answer-kind model was trained on other kinds; run `make train`")
        weights = np.array(data["weights"], dtype=np.float64)
        bias = np.array(data["bias"], dtype=np.float64)
        if weights.ndim != 2 or weights.shape[0] != len(KINDS) or bias.shape != (len(KINDS),):
            raise ValueError("malformed answer-kind model")
        return cls(weights, bias)

    @classmethod
    def load(cls, path: Path) -> AnswerKindModel | None:
        """The fitted model; None when it is missing or unreadable."""
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
