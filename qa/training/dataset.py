"""Candidate features and relevance labels for a set of questions, from the service's own retrieval."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa.compose.candidate import Candidate
from qa.compose.features import FEATURES, KIND_COLUMNS, feature_matrix, kind_columns, quote_kinds
from qa.compose.question import QuestionInfo
from qa.evaluation.dataset import EvalItem
from qa.evaluation.metrics import contains_answer, holds
from qa.models import Filters, Hit
from qa.service import QAService

SPAN_TYPES = frozenset({"numeric", "table", "date", "entity", "cross_report"})


def span_holds(answer: str | None, item: EvalItem) -> bool:
    """The extracted answer holds a gold answer, or is most of one (`7,122.60` for `7,122.60 t`)."""
    if not answer:
        return False
    if any(contains_answer(answer, a) for a in item.answers):
        return True
    toks = set(re.findall(r"\w+", answer.lower().replace(",", "")))
    for a in item.answers:
        gold = re.findall(r"\w+", a.lower().replace(",", ""))
        if toks and gold and toks <= set(gold) and len(toks & set(gold)) * 2 >= len(gold):
            return True
    return False


def relevance(c: Candidate, item: EvalItem) -> int:
    """2: the quote holds a gold answer and so does the extracted span (where a span is scored);
    1: the quote holds one; 0: it does not."""
    if not holds(c.quote_text, item):
        return 0
    if item.type in SPAN_TYPES:
        return 2 if c.answer is not None and span_holds(c.answer.text, item) else 1
    return 2


@dataclass
class QuestionRecord:
    item: EvalItem
    company: str
    source: str  # "gold" (hand-written), "gen" (generated) or "span" (generated, for the span picker only)
    info: QuestionInfo
    hits: list[Hit]
    qvec: np.ndarray
    X: np.ndarray  # one row per candidate, FEATURES order (answer-kind columns 0: see `with_kinds`)
    rel: np.ndarray  # relevance per candidate
    offers: np.ndarray  # per candidate: does its quote offer a figure, a date, a name (`quote_kinds`)

    def with_kinds(self, kinds: tuple[float, ...]) -> QuestionRecord:
        """This record with the answer-kind columns of its candidates filled in from `kinds`."""
        X = self.X.copy()
        if len(X):
            X[:, list(KIND_COLUMNS)] = [kind_columns(kinds, offers) for offers in self.offers]
        return replace(self, X=X)


def company_filters(svc: QAService, company: str) -> Filters | None:
    ids = [r.id for r in svc.index.reports if r.company == company]
    return Filters(report_ids=ids) if ids else None


# what `collect` hands each record and its candidates to (work on the candidates beside the ranker's)
CandidateSink = Callable[[QuestionRecord, list[Candidate]], object]


def collect(
    svc: QAService, items: Sequence[tuple[EvalItem, str]], source: str, with_candidates: CandidateSink | None = None,
) -> list[QuestionRecord]:
    """Retrieve and generate candidates for each (question, company) once; features and labels. Each record
    and its candidates go to `with_candidates` too, in order (for work on the candidates beside the ranker's,
    without generating them again)."""
    composer = svc.composer
    out: list[QuestionRecord] = []
    held = [(item, company, f) for item, company in items if (f := company_filters(svc, company)) is not None]
    # (a company the corpus does not hold is answered by the service without ranking: no record)
    qvecs = svc.retriever.embed_queries([item.question for item, _c, _f in held]) if held else np.zeros((0, 0))
    for (item, company, filters), qvec in zip(held, qvecs, strict=True):
        info = svc.analyse(item.question)
        scores = svc.retriever.scores(item.question, "hybrid", qvec)
        hits = svc._with_every_report(svc.retriever.rank(scores, 20, filters), scores, filters)
        cands = composer.generator.generate(info, hits, qvec)
        X = feature_matrix(info, cands) if cands else np.zeros((0, len(FEATURES)))
        rel = np.array([relevance(c, item) for c in cands], dtype=np.int32) if item.answers else np.zeros(len(cands), np.int32)
        offers = np.array([quote_kinds(c) for c in cands], dtype=bool).reshape(len(cands), 3)
        out.append(QuestionRecord(item, company, source, info, hits, qvec, X, rel, offers))
        if with_candidates is not None:
            with_candidates(out[-1], cands)
    return out
