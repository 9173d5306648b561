"""Fitting the span picker: for questions whose candidate quote holds a gold answer, which of the
quote's spans (or none) the highlight should be."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa.compose.candidate import Candidate
from qa.compose.spanpick import SPAN_FEATURES, option_features, options
from qa.evaluation.metrics import holds
from qa.service import QAService
from qa.training.dataset import SPAN_TYPES, QuestionRecord, span_holds


def span_rows(svc: QAService, records: Sequence[QuestionRecord], per_question: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Option features and labels from up to `per_question` candidates that hold a gold answer."""
    X: list[list[float]] = []
    y: list[int] = []
    for rec in records:
        if not rec.item.answers:
            continue
        cands: list[Candidate] = svc.composer.generator.generate(rec.info, rec.hits, rec.qvec)
        holding = [c for c in cands if holds(c.quote_text, rec.item)][:per_question]
        for c in holding:
            for opt in options(c):
                if rec.item.type in SPAN_TYPES:
                    label = opt.span is not None and span_holds(opt.span.text, rec.item)
                else:
                    label = opt.span is None
                X.append(option_features(rec.info, c, opt))
                y.append(int(label))
    return np.array(X).reshape(len(X), len(SPAN_FEATURES)), np.array(y)


def fit_span_picker(X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=5000).fit(X, y)
    weights = {"bias": float(model.intercept_[0])}
    weights.update({k: float(w) for k, w in zip(SPAN_FEATURES, model.coef_[0], strict=True)})
    return weights
