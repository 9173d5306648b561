"""Fitting: the LambdaRank ranker and the logistic confidence model with its one threshold."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.compose.confidence import ConfidenceModel
from qa.training.bag import Bag, fit_lambdarank_bag
from qa.training.dataset import QuestionRecord

RANKER_PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "n_estimators": 250,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "label_gain": [0, 1, 3],
    "lambdarank_truncation_level": 10,
    "random_state": 7,  # the first of RANKER_SEEDS
    "deterministic": True,
    "force_row_wise": True,
    "n_jobs": 2,
    "verbose": -1,
}
RANKER_SEEDS: tuple[int, ...] = (7, 8, 9, 10, 11)  # the bag: one booster per seed, scores averaged
CONFIDENCE_FEATURES: tuple[str, ...] = (
    "dense", "coverage", "low_coverage", "type_mismatch", "key_missing", "unknown_frac", "unknown_proper", "type_fit",
    "year_uncovered", "year_miss", "label_mismatch", "cell_empty", "hit_score", "label_precision", "no_extract",
    "company_unknown", "rank_score", "rank_margin", "span_clause", "span_margin", "unknown_head",
    "header_year_absent", "unit_clash", "target_unasked", "missing_share", "missing_max",
)


def fit_ranker(records: Sequence[QuestionRecord], gen_weight: float = 0.5, seeds: Sequence[int] = RANKER_SEEDS) -> Bag:
    """LambdaRank over the questions that have at least one right candidate, one booster per seed."""
    use = [r for r in records if len(r.rel) and r.rel.max() > 0 and r.source != "span"]
    X = np.vstack([r.X for r in use])
    y = np.concatenate([r.rel for r in use])
    groups = [len(r.rel) for r in use]
    # one weight per group: hand-written questions count more than generated ones
    weights = np.array([1.0 if r.source == "gold" else gen_weight for r in use])
    return fit_lambdarank_bag(RANKER_PARAMS, X, y, groups, np.repeat(weights, groups), seeds)


@dataclass(frozen=True)
class Outcome:
    """One composed answer, scored: the inputs of the confidence fit and of the metrics."""

    features: dict[str, float]
    answerable: bool
    correct: bool  # quotes[0] holds a gold answer
    correct3: bool
    span_ok: bool  # the extracted answer holds one (span types only)
    span_type: bool
    qtype: str
    company: str
    wrong_company: bool
    qid: str = ""
    quote: str = ""  # the top quote's text ("" when none)
    span: str | None = None  # its highlighted answer


# Rare but decisive signals keep their prior weights (a few held-out answers cannot estimate them):
# a question whose key words no report uses, a name or head noun no report knows, a year no report covers,
# an empty cell.
FIXED_CONFIDENCE: dict[str, float] = {
    "unknown_frac": -4.0, "unknown_proper": -3.0, "unknown_head": -3.0, "year_uncovered": -6.0, "cell_empty": -4.0,
}


def fit_confidence(outcomes: Sequence[Outcome], max_false_abst: float = 0.04, l2: float = 1.0) -> ConfidenceModel:
    """Logistic regression of "quotes[0] answers" on the evidence features (held-out outcomes only),
    with FIXED_CONFIDENCE as an offset; the threshold is the highest that keeps false abstention on
    answerable questions within the target. Every company weighs the same in both (a company with many
    questions does not set the threshold for the others)."""
    from scipy.optimize import minimize

    per_company = Counter(o.company for o in outcomes)
    sw = np.array([len(outcomes) / (len(per_company) * per_company[o.company]) for o in outcomes])

    free = [f for f in CONFIDENCE_FEATURES if f not in FIXED_CONFIDENCE]
    X = np.array([[o.features.get(f, 0.0) for f in free] for o in outcomes]).reshape(len(outcomes), len(free))
    offset = np.array([sum(w * o.features.get(f, 0.0) for f, w in FIXED_CONFIDENCE.items()) for o in outcomes])
    y = np.array([o.correct and o.answerable for o in outcomes], dtype=float)
    Xb = np.column_stack([np.ones(len(y)), X])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = Xb @ w + offset
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        eps = 1e-12
        value = -np.sum(sw * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))) + 0.5 * l2 * np.sum(w[1:] ** 2)
        grad = Xb.T @ (sw * (p - y))
        grad[1:] += l2 * w[1:]
        return float(value), grad

    res = minimize(loss, np.zeros(Xb.shape[1]), jac=True, method="L-BFGS-B")
    weights = {"bias": float(res.x[0])}
    weights.update({f: float(w) for f, w in zip(free, res.x[1:], strict=True)})
    weights.update(FIXED_CONFIDENCE)
    probe = ConfidenceModel(weights)
    conf = np.array([probe.confidence(o.features) for o in outcomes])
    ans = np.array([o.answerable for o in outcomes])
    order = np.argsort(conf[ans])
    ans_conf, ans_w = conf[ans][order], sw[ans][order]
    # the highest threshold whose (company-weighted) share of answerable questions below it stays within the target
    below = np.concatenate([[0.0], np.cumsum(ans_w)])[:-1] / max(float(ans_w.sum()), 1e-12)
    k = int(np.searchsorted(below, max_false_abst, side="right")) - 1
    threshold = float(ans_conf[max(k, 0)]) - 1e-9 if len(ans_conf) else 0.5
    return ConfidenceModel(weights, (1.0, 0.0), threshold)


def ece(conf: Sequence[float], correct: Sequence[bool], bins: int = 5) -> float:
    conf_a, corr = np.asarray(conf, dtype=float), np.asarray(correct, dtype=float)
    total = 0.0
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        m = (conf_a >= lo) & ((conf_a < hi) if i < bins - 1 else (conf_a <= hi))
        if m.any():
            total += m.sum() * abs(corr[m].mean() - conf_a[m].mean())
    return float(total / max(1, len(conf_a)))
