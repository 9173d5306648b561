"""Which span of the chosen quote to highlight: a LightGBM LambdaRank model (trained by `make train`,
evaluated with numpy by `trees`) ranks the quote's span options (`spanoptions`); the rule extractor's
pick is one of its features, and so are the answer kinds the question asks for (`answerkind`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.compose.answerkind import KIND_MODEL, NONE, AnswerKindModel
from qa.compose.candidate import Candidate
from qa.compose.extract import column_year, empty_cell, parse_number
from qa.compose.question import QuestionInfo, generic_words
from qa.compose.spanfeatures import SPAN_FEATURES, feature_rows, header_terms, model_input
from qa.compose.spanoptions import SpanOption, options
from qa.compose.trees import TreeEnsemble
from qa.lexical import named_by, tokenize

MODEL_DIR = Path(__file__).with_name("model")


# the kinds of span a question of an explicit type can be answered by ("when …" by a date, "how many …"
# by a figure); questions of other types may be answered by any kind
_KINDS_FOR: dict[str, frozenset[str]] = {
    "date": frozenset({"none", "date", "cell"}),
    "percent": frozenset({"none", "number", "range", "word_number", "cell"}),
    "count": frozenset({"none", "number", "range", "word_number", "freq", "cell"}),
    "numeric": frozenset({"none", "number", "range", "word_number", "freq", "cell"}),
}
# questions that ask for a span (a date, a figure, a name): when the quote offers one, one is highlighted
_MUST_PICK = frozenset({"date", "percent", "count", "numeric", "entity"})


# the features that say a year other than an asked one labels an option (for the confidence's `span_year_other`)
_YEAR_OTHER = (SPAN_FEATURES.index("year_label_other"), SPAN_FEATURES.index("year_after_other"))
# the answer-kind model's probability of "none" (the whole quote answers) below which a span is asked for
SPAN_ASKED_BELOW = 0.25


def _asks_span(info: QuestionInfo) -> bool:
    """The question asks for a span: by its wording, or by the answer-kind model (a figure, a date or a
    name at least three times as likely as the whole quote answering: "which board committee oversees …")."""
    return info.qtype in _MUST_PICK or (len(info.kinds) > NONE and info.kinds[NONE] < SPAN_ASKED_BELOW)


def option_matrix(info: QuestionInfo, c: Candidate) -> tuple[list[SpanOption], np.ndarray]:
    """The quote's span options that fit the question's type, and their features."""
    kinds = _KINDS_FOR.get(info.qtype)
    opts = [o for o in options(c, info.words) if kinds is None or o.kind in kinds]
    X = np.array(feature_rows(info, c, opts, info.kinds), dtype=np.float64)
    return opts, X.reshape(len(opts), len(SPAN_FEATURES))


@dataclass(frozen=True)
class ScoredOptions:
    """A quote's span options, their features and the model's scores, for the quote text they were read from."""

    quote_text: str
    opts: list[SpanOption]
    X: np.ndarray
    scores: np.ndarray


def _named_columns(info: QuestionInfo, c: Candidate, opts: list[SpanOption], kept: int) -> list[int]:
    """The cells whose column header the question names by a key term or a generic word other than a year
    ("… Austria 2020" under `2019 | 2020 | Germany | Austria`; "how many … in total in 2022" under `Male 2022 |
    Female 2022 | Total 2022`), when the kept cell's header is not one of them; else none. A term the row's label
    also holds names the row, not a column, and a column of another year than an asked one (`Target year 2025` for
    a question about 2023) is not the one asked for."""
    qt = c.quote_text
    label = set(tokenize(qt[: qt.index("\t")] if "\t" in qt else qt))
    terms = (set(info.terms) | generic_words(info)) - label
    asked = {str(y) for y in info.years}

    def named(o: SpanOption) -> bool:
        if o.kind != "cell" or o.column is None:
            return False
        year = column_year(o.column)
        return (year is None or not asked or year in asked) and bool(named_by(header_terms(o.column), terms))

    cells = [k for k, o in enumerate(opts) if named(o)]
    return [] if kept in cells else cells


class SpanPicker:
    """`pick(info, candidate)`: re-chooses the candidate's answer span with the fitted model."""

    def __init__(self, model: TreeEnsemble, keep_rule_cells: bool = True) -> None:
        if model.n_features != len(SPAN_FEATURES):
            raise ValueError("the span model was trained on other features; run `make train`")
        self._model = model
        # a table cell the rule extractor read off the asked (or latest) year's column is kept: the
        # header logic is exact where it applies; the model chooses everywhere else (`pick`)
        self.keep_rule_cells = keep_rule_cells

    @classmethod
    def from_booster(cls, booster: Any) -> SpanPicker:
        return cls(TreeEnsemble.from_model_text(booster.model_to_string()))

    @classmethod
    def load(cls, model_dir: Path = MODEL_DIR) -> SpanPicker | None:
        """The fitted picker; None (the rule extractor's span stands) when it, or the answer-kind model it
        was trained with, is missing or stale."""
        try:
            manifest = json.loads((model_dir / "span.json").read_text(encoding="utf-8"))
            if tuple(manifest["features"]) != SPAN_FEATURES or AnswerKindModel.load(model_dir / KIND_MODEL) is None:
                return None
            return cls(TreeEnsemble.from_model_text((model_dir / "span.txt").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def score(self, info: QuestionInfo, c: Candidate) -> ScoredOptions:
        """The quote's span options that fit the question, their features and their scores."""
        opts, X = option_matrix(info, c)
        return ScoredOptions(c.quote_text, opts, X, self._model.predict(model_input(X)))

    def lead(self, info: QuestionInfo, c: Candidate, keep: dict[int, ScoredOptions] | None = None) -> float:
        """How far the quote's best span leads highlighting nothing, by the model (0 when the question asks for
        no span or the quote offers none): a quote that holds a span fitting the question stands out. The scored
        options are kept in `keep` (by the candidate's id) for `pick` to reuse."""
        if not _asks_span(info):
            return 0.0
        s = self.score(info, c)
        if keep is not None:
            keep[id(c)] = s
        if len(s.opts) < 2:
            return 0.0
        return float(np.clip(np.max(s.scores[1:]) - s.scores[0], -5.0, 5.0))

    def pick(self, info: QuestionInfo, c: Candidate, scored: ScoredOptions | None = None) -> None:
        """Sets the candidate's span, and in `extra` the evidence for confidence: how well the chosen
        span's own clause matches the question, how far the model prefers it to highlighting nothing and to the
        next span, and whether another year than an asked one labels it.
        The answer-kind features come from `info.kinds` (set by the composer); `scored`, the same quote's
        options already scored by `lead`, is reused unless the quote has changed since (a list extended)."""
        s = scored if scored is not None and scored.quote_text == c.quote_text else self.score(info, c)
        opts, X, scores = s.opts, s.X, s.scores
        rule = c.answer
        kept = None
        # the rule extractor's cell of the asked (or latest) year's column stands when it holds a figure, and an
        # asked year's empty cell (`-`, `k.A.`) too: the report gives no figure for that year, and another
        # year's figure beside it would answer a question it does not ask (the confidence's `cell_empty` cue)
        if self.keep_rule_cells and c.column is not None and rule is not None and (
            any(ch.isdigit() for ch in rule.text) or (bool(info.years) and empty_cell(rule.text))
        ):
            kept = next((k for k, o in enumerate(opts) if o.span is not None and (o.span.start, o.span.end) == (rule.start, rule.end)), None)
        named = _named_columns(info, c, opts, kept) if kept is not None else []
        if named:  # the question names another column besides its year: the model chooses among those cells
            kept = None
            i = max(named, key=lambda k: scores[k])
        elif kept is not None:
            i = kept
        elif _asks_span(info) and len(opts) > 1:
            i = 1 + int(np.argmax(scores[1:]))  # option 0 is "none"
        else:
            i = int(np.argmax(scores))
        best = opts[i]
        c.extra["span_clause"] = float(X[i, SPAN_FEATURES.index("clause_match")])
        c.extra["span_margin"] = float(np.clip(scores[i] - scores[0], -5.0, 5.0))  # option 0 is "none"
        # how far the model prefers it to the next span, and whether a year other than an asked one labels it
        others = [scores[k] for k in range(1, len(opts)) if k != i]
        c.extra["span_gap"] = float(np.clip(scores[i] - max(others), -5.0, 5.0)) if others else 5.0
        c.extra["span_year_other"] = float(max(X[i, _YEAR_OTHER[0]], X[i, _YEAR_OTHER[1]]))
        if kept is not None:
            return
        if best.span is None:
            c.answer = None
            return
        if c.answer is None or (c.answer.start, c.answer.end) != (best.span.start, best.span.end):
            c.answer = best.span
            c.value = parse_number(best.span.text)
            if best.kind == "cell" and best.column != c.column:
                c.column, c.note = best.column, None
