"""Which span of the chosen quote to highlight: a LightGBM LambdaRank model (trained by `make train`,
evaluated with numpy by `trees`) ranks the quote's span options (`spanoptions`); the rule extractor's
pick is one of its features."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from qa.compose.candidate import Candidate
from qa.compose.extract import parse_number
from qa.compose.question import QuestionInfo
from qa.compose.spanoptions import SPAN_FEATURES, option_features, options
from qa.compose.trees import TreeEnsemble

MODEL_DIR = Path(__file__).with_name("model")


def option_matrix(info: QuestionInfo, c: Candidate) -> tuple[list[Any], np.ndarray]:
    opts = options(c, info.words)
    X = np.array([option_features(info, c, o, len(opts)) for o in opts], dtype=np.float64)
    return opts, X.reshape(len(opts), len(SPAN_FEATURES))


class SpanPicker:
    """`pick(info, candidate)`: re-chooses the candidate's answer span with the fitted model."""

    def __init__(self, model: TreeEnsemble) -> None:
        if model.n_features != len(SPAN_FEATURES):
            raise ValueError("the span model was trained on other features; run `make train`")
        self._model = model

    @classmethod
    def from_booster(cls, booster: Any) -> SpanPicker:
        return cls(TreeEnsemble.from_model_text(booster.model_to_string()))

    @classmethod
    def load(cls, model_dir: Path = MODEL_DIR) -> SpanPicker | None:
        """The fitted picker; None (the rule extractor's span stands) when it is missing or stale."""
        try:
            manifest = json.loads((model_dir / "span.json").read_text(encoding="utf-8"))
            if tuple(manifest["features"]) != SPAN_FEATURES:
                return None
            return cls(TreeEnsemble.from_model_text((model_dir / "span.txt").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def pick(self, info: QuestionInfo, c: Candidate) -> None:
        opts, X = option_matrix(info, c)
        best = opts[int(np.argmax(self._model.predict(X)))]
        if best.span is None:
            c.answer = None
            return
        if c.answer is None or (c.answer.start, c.answer.end) != (best.span.start, best.span.end):
            c.answer = best.span
            c.value = parse_number(best.span.text)
            if best.kind == "cell" and best.column != c.column:
                c.column, c.note = best.column, None
