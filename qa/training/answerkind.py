"""Fitting the answer-kind model (`qa.compose.answerkind`): a softmax regression from a hand-written
question's embedding and analysed type (`kind_inputs`) to the kind of its gold answer, and the fits that
leave companies out, so that every question's kind features come from a model that never saw that
question's company."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from scipy.optimize import minimize

from qa.compose.answerkind import (
    KINDS,
    NAME,
    NONE,
    PHRASE,
    AnswerKindModel,
    figure_like,
    kind_inputs,
    phrase_like,
)
from qa.compose.extract import dates
from qa.compose.spanoptions import number_word, says_how_often
from qa.evaluation.dataset import EvalItem
from qa.training.dataset import QuestionRecord

L2 = 1e-4  # on the mean cross-entropy; chosen on the kinds' own leave-one-company-out accuracy (1e-5 to 1e-2 tried)
_WHOLE_QUOTE = frozenset({"list", "definition", "yes_no"})


def gold_kind(item: EvalItem) -> int | None:
    """The KINDS index of a question's gold answer (its shortest form); None for an unanswerable one."""
    if not item.answers:
        return None
    if item.type in _WHOLE_QUOTE:
        return NONE
    core = min(item.answers, key=len)
    if item.type == "date":
        return KINDS.index("date")
    if figure_like(core) or number_word(core):
        return KINDS.index("number")
    if dates(core) or says_how_often(core):
        return KINDS.index("date")
    return PHRASE if phrase_like(core) else NAME


def fit_answer_kinds(X: np.ndarray, y: np.ndarray, l2: float = L2) -> AnswerKindModel:
    """Multinomial logistic regression (L-BFGS) of `y` (KINDS indices) on the rows of `X`."""
    n, d = X.shape
    k = len(KINDS)
    Y = np.zeros((n, k))
    Y[np.arange(n), y] = 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = theta[: k * d].reshape(k, d), theta[k * d :]
        Z = X @ W.T + b
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        ce = -float(np.sum(Y * np.log(P + 1e-12))) / n + l2 * float(np.sum(W * W))
        G = (P - Y) / n
        grad = np.concatenate([(G.T @ X + 2 * l2 * W).ravel(), G.sum(axis=0)])
        return ce, grad

    res = minimize(loss, np.zeros(k * d + k), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return AnswerKindModel(res.x[: k * d].reshape(k, d), res.x[k * d :])


class KindFits:
    """Answer-kind models fitted on the hand-written questions of every company but some (cached)."""

    def __init__(self, records: Sequence[QuestionRecord]) -> None:
        labelled = [(r, k) for r in records if r.source == "gold" and (k := gold_kind(r.item)) is not None]
        self._X = np.array([kind_inputs(r.qvec, r.info) for r, _ in labelled])
        self._y = np.array([k for _, k in labelled], dtype=np.int64)
        self._company = np.array([r.company for r, _ in labelled])
        self._cache: dict[frozenset[str], AnswerKindModel] = {}

    @property
    def n(self) -> int:
        return len(self._y)

    def model(self, without: Iterable[str] = ()) -> AnswerKindModel:
        key = frozenset(without)
        if key not in self._cache:
            keep = ~np.isin(self._company, list(key))
            self._cache[key] = fit_answer_kinds(self._X[keep], self._y[keep])
        return self._cache[key]

    def probs(self, rec: QuestionRecord, without: Iterable[str] = ()) -> tuple[float, ...]:
        """`rec`'s kind probabilities from a model that saw neither its company nor `without`."""
        return self.model({rec.company, *without}).probs(kind_inputs(rec.qvec, rec.info))

    def label_counts(self) -> dict[str, int]:
        return {k: int(np.sum(self._y == i)) for i, k in enumerate(KINDS)}


def kind_accuracy(kinds: KindFits, records: Sequence[QuestionRecord], companies: Sequence[str]) -> dict[str, float]:
    """Per company, the share of its hand-written answerable questions whose kind a model fitted without
    that company predicts (argmax), in percent."""
    out: dict[str, float] = {}
    for company in companies:
        held = [(r, k) for r in records if r.source == "gold" and r.company == company
                and (k := gold_kind(r.item)) is not None]
        if held:
            model = kinds.model({company})
            hits = [int(np.argmax(model.probs(kind_inputs(r.qvec, r.info)))) == k for r, k in held]
            out[company] = round(100 * float(np.mean(hits)), 1)
    return out
