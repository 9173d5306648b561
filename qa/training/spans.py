"""Fitting the span picker: for questions whose candidate quote holds a gold answer, which of the
quote's span options (or none) the highlight should be; LambdaRank over each quote's options."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.compose.answerkind import KINDS, option_kind
from qa.compose.candidate import Candidate
from qa.compose.spanfeatures import SPAN_FEATURES, model_input
from qa.compose.spanpick import option_matrix
from qa.service import QAService
from qa.training.bag import Bag, fit_lambdarank_bag
from qa.training.dataset import SPAN_TYPES, QuestionRecord, span_holds

SPAN_PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "n_estimators": 800,
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "lambdarank_truncation_level": 5,
    "random_state": 11,  # the first of SPAN_SEEDS
    "deterministic": True,
    "force_row_wise": True,
    "n_jobs": 2,
    "verbose": -1,
    # a share offered for a share asked never makes a span worse, a plain figure for it (or a share for an amount asked)
    # never better
    "monotone_constraints": [{"percent_fit": 1, "percent_clash": -1, "percent_unasked": -1}.get(f, 0) for f in SPAN_FEATURES],
}

SPAN_SEEDS: tuple[int, ...] = (11, 12, 13, 14, 15)  # the bag: one booster per seed, scores averaged
_K_COLS = [SPAN_FEATURES.index(f"k_{k}") for k in KINDS]
_KIND_P = SPAN_FEATURES.index("kind_p")


@dataclass
class SpanRows:
    X: np.ndarray  # one row per option, SPAN_FEATURES order
    y: np.ndarray  # 1: the option holds a gold answer (or is "none" for a question with no span)
    groups: list[int]  # options per candidate quote
    weights: list[float]  # per group: hand-written questions count more than generated ones
    kind_of: np.ndarray  # per option: its `answerkind.KINDS` index

    @staticmethod
    def empty() -> SpanRows:
        return SpanRows(np.zeros((0, len(SPAN_FEATURES))), np.zeros(0, np.int32), [], [], np.zeros(0, np.int32))

    def with_kinds(self, kinds: tuple[float, ...]) -> SpanRows:
        """These rows (one question's) with the answer-kind features of `kinds` filled in."""
        if not len(self.y):
            return self
        X = self.X.copy()
        p = np.array(kinds, dtype=np.float64)
        X[:, _K_COLS] = p
        X[:, _KIND_P] = p[self.kind_of]
        return SpanRows(X, self.y, self.groups, self.weights, self.kind_of)

    @staticmethod
    def concat(parts: Sequence[SpanRows]) -> SpanRows:
        parts = [p for p in parts if len(p.y)]
        if not parts:
            return SpanRows.empty()
        return SpanRows(np.vstack([p.X for p in parts]), np.concatenate([p.y for p in parts]),
                        [g for p in parts for g in p.groups], [w for p in parts for w in p.weights],
                        np.concatenate([p.kind_of for p in parts]))


def record_span_rows(svc: QAService, rec: QuestionRecord, per_question: int = 3, gen_weight: float = 0.5) -> SpanRows:
    """One question's option features and labels (`candidate_span_rows`), its candidates generated anew."""
    if not rec.item.answers:
        return SpanRows.empty()
    cands: list[Candidate] = svc.composer.generator.generate(rec.info, rec.hits, rec.qvec)
    return candidate_span_rows(rec, cands, per_question, gen_weight)


def candidate_span_rows(
    rec: QuestionRecord, cands: Sequence[Candidate], per_question: int = 3, gen_weight: float = 0.5,
) -> SpanRows:
    """One question's option features and labels, from up to `per_question` of its candidates that hold a gold
    answer (`rec.rel` > 0, the candidates being the record's own); a candidate none of whose options is right (or
    all) teaches nothing and is left out. The answer-kind features are left 0: `with_kinds` fills them with a
    model that has not seen the question."""
    if not rec.item.answers:
        return SpanRows.empty()
    if len(cands) != len(rec.rel):
        raise ValueError("span rows need the candidates the record was built from")
    Xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    ks: list[np.ndarray] = []
    for c in [c for c, r in zip(cands, rec.rel, strict=True) if r > 0][:per_question]:
        opts, X = option_matrix(rec.info, c)
        if rec.item.type in SPAN_TYPES:
            y = np.array([o.span is not None and span_holds(o.span.text, rec.item) for o in opts], dtype=np.int32)
        else:
            y = np.array([o.span is None for o in opts], dtype=np.int32)
        if y.any() and not y.all():
            Xs.append(X)
            ys.append(y)
            ks.append(np.array([option_kind(o.kind, o.span.text if o.span else None) for o in opts], dtype=np.int32))
    if not Xs:
        return SpanRows.empty()
    weight = 1.0 if rec.source == "gold" else gen_weight
    return SpanRows(np.vstack(Xs), np.concatenate(ys), [len(y) for y in ys], [weight] * len(ys), np.concatenate(ks))


def span_rows(svc: QAService, records: Sequence[QuestionRecord]) -> SpanRows:
    return SpanRows.concat([record_span_rows(svc, r) for r in records])


def fit_span_picker(
    rows: SpanRows, seeds: Sequence[int] = SPAN_SEEDS, params: dict[str, Any] = SPAN_PARAMS,
) -> Bag:
    """LambdaRank boosters over the options of each quote, one per seed (their mean is served)."""
    weights = np.repeat(np.array(rows.weights), rows.groups)
    return fit_lambdarank_bag(params, model_input(rows.X), rows.y, rows.groups, weights, seeds)
