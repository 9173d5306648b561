"""The composer: from retrieved chunks to an Answer made only of verbatim, cited quotes.

Stages, one module each: question analysis (`question`) → candidates with their signals (`generate`,
`signals`, `span`) → ranking (`ranker`: learned, or the rule baseline) → quote selection and
cross-report reconciliation (`reconcile`) → confidence and the abstention decision (`confidence`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa.budget import Deadline, check
from qa.compose.answerkind import AnswerKindModel, kind_inputs
from qa.compose.candidate import Candidate
from qa.compose.confidence import ConfidenceModel, Evidence, load_confidence_model
from qa.compose.generate import CandidateGenerator
from qa.compose.question import QuestionInfo
from qa.compose.ranker import Ranker, RuleRanker
from qa.compose.reconcile import Reconciler
from qa.compose.signals import TermSignals, chunk_tokens, idf_table
from qa.compose.span import SpanExtractor
from qa.compose.spanpick import ScoredOptions, SpanPicker
from qa.models import Answer, Citation, Hit, Quote
from qa.store import LoadedIndex

__all__ = ["Composed", "Composer", "ComposerOptions", "idf_table"]

_FOOTNOTE_TYPES = ("definition", "list", "date", "yes_no")
SPAN_RERANK = 0.5


@dataclass
class ComposerOptions:
    candidate_chunks: int = 16
    abstain_threshold: float | None = None  # on the confidence; None: the fitted model's threshold
    # the top quotes re-ordered by ranker score + this weight × the span picker's lead (`SpanPicker.lead`)
    span_rerank: float = SPAN_RERANK
    span_rerank_top: int = 3


@dataclass(frozen=True)
class Composed:
    answer: Answer
    features: dict[str, float]  # the confidence model's inputs for this answer


def company_vocabulary(index: LoadedIndex) -> dict[str, frozenset[str]]:
    """Every BM25 token each company's reports use (with section and table context)."""
    company = {r.id: r.company for r in index.reports}
    vocab: dict[str, set[str]] = {}
    for c in index.chunks:
        vocab.setdefault(company.get(c.report_id, ""), set()).update(chunk_tokens(c))
    return {k: frozenset(v) for k, v in vocab.items()}


def rerank_by_lead(cands: list[Candidate], lead: Callable[[Candidate], float], weight: float, top: int) -> None:
    """The `top` quotes re-ordered, in place, by their ranker score plus `weight` × the lead of their best span
    (`SpanPicker.lead`): of two close quotes, the one whose figure, date or name fits the question comes first."""
    if weight <= 0 or len(cands) < 2:
        return
    head = cands[:top]
    leads = {id(c): lead(c) for c in head}
    head.sort(key=lambda c: -(c.score + weight * leads[id(c)]))
    cands[:top] = head


class Composer:
    """`compose(question, info, hits, qvec) -> Composed`. Safe to call concurrently."""

    def __init__(
        self,
        index: LoadedIndex,
        idf: dict[str, float],
        options: ComposerOptions | None = None,
        source_text: Callable[[str], str | None] | None = None,
        ranker: Ranker | None = None,
        confidence: ConfidenceModel | None = None,
        ignore_words: frozenset[str] = frozenset(),
        span_picker: SpanPicker | None = None,
        answer_kinds: AnswerKindModel | None = None,
    ) -> None:
        self.options = options or ComposerOptions()
        self.reports = {r.id: r for r in index.reports}
        self.signals = TermSignals(idf)
        self.extractor = SpanExtractor(self.reports)
        self.generator = CandidateGenerator(index, self.signals, self.extractor, self.options.candidate_chunks, source_text)
        self.reconciler = Reconciler(self.reports, self.extractor)
        self.evidence = Evidence(self.signals, self.extractor, self.reports, company_vocabulary(index))
        self.ranker: Ranker = ranker or RuleRanker()
        self.confidence = confidence or load_confidence_model("confidence-rules.json")
        self.ignore_words = ignore_words  # company names: never "unknown proper names"
        self.span_picker = span_picker  # None: the rule extractor's span stands
        self.answer_kinds = answer_kinds  # None: the ranker's and picker's answer-kind features stay 0

    # ------------------------------------------------------------------ ranking
    def ranked(
        self, info: QuestionInfo, hits: Sequence[Hit], qvec: np.ndarray, year_awareness: bool = True,
        deadline: Deadline | None = None,
    ) -> list[Candidate]:
        """Every candidate, scored by the ranker, best first (footnotes of the best ones included)."""
        cands = self.generator.generate(info, hits, qvec)
        check(deadline, "ranking")
        if not year_awareness:
            for c in cands:
                c.year_fit = 0.0
        self._score(info, cands)
        if cands and (info.qtype in _FOOTNOTE_TYPES or (info.qtype in ("entity", "other") and not info.wants_number)):
            notes = self.generator.footnotes(info, cands[:3], qvec)
            if notes:
                seen = {c.unit_index for c in notes}
                cands = notes + [c for c in cands if c.unit_index not in seen or c.origin != "unit"]
                self._score(info, cands, lift_footnotes=True)
        return cands

    def _score(self, info: QuestionInfo, cands: list[Candidate], lift_footnotes: bool = False) -> None:
        scores = self.ranker.score(info, cands)
        for c, s in zip(cands, scores, strict=True):
            c.score = float(s)
        if lift_footnotes:
            # a footnote that explains the question's words its mark follows ("base year⁷" → "⁷ Base year:
            # 2021") goes just above the unit that cites it (found by its coverage among the top three);
            # with the rule ranker every cited footnote does. No ceiling: it may pass a better unit.
            rules = isinstance(self.ranker, RuleRanker)
            units = sorted((c for c in cands if c.origin != "footnote"), key=lambda c: -c.score)
            for c in cands:
                if c.origin == "footnote" and (rules or c.explains):
                    cited = c.extra.get("cited_by_coverage", 0.0)
                    ref = next((u for u in units[:3] if u.coverage == cited), units[0] if units else None)
                    if ref is not None:
                        c.score = max(c.score, ref.score + (0.1 if c.explains else 0.05) - 1e-6)
        cands.sort(key=lambda c: -c.score)

    # ------------------------------------------------------------------ public
    def compose(
        self,
        question: str,
        info: QuestionInfo,
        hits: Sequence[Hit],
        qvec: np.ndarray,
        top_k: int = 5,
        year_awareness: bool = True,
        deadline: Deadline | None = None,
    ) -> Composed:
        """`deadline`: checked between stages; past it, `OverBudget` is raised (the answer is unchanged
        when it is not reached)."""
        if self.answer_kinds is not None and not info.kinds:
            info = replace(info, kinds=self.answer_kinds.probs(kind_inputs(qvec, info)))
        cands = self.ranked(info, hits, qvec, year_awareness, deadline)
        check(deadline, "quote selection")
        scored: dict[int, ScoredOptions] = {}  # the top quotes' span options, scored once for both uses
        if self.span_picker is not None:
            picker = self.span_picker
            rerank_by_lead(cands, lambda c: picker.lead(info, c, scored), self.options.span_rerank,
                           self.options.span_rerank_top)
        if not cands:
            return Composed(Answer(
                question=question, answered=False, answer=None, confidence=0.0, quotes=[],
                notes=["Nothing in the reports matches this question."],
            ), {})
        rec = self.reconciler
        chosen = rec.diverse(cands, top_k)
        notes: list[str] = []
        chosen, cross_note = rec.cross_report(info, chosen, cands)
        chosen = rec.cover_years(info, chosen, cands, top_k)
        if cross_note:
            notes.append(cross_note)
        best = chosen[0]
        if info.qtype == "list":
            self.generator.extend_list(best)
        if self.span_picker is not None:
            self.span_picker.pick(info, best, scored.get(id(best)))
        if best.note:
            notes.insert(0, best.note)
        feats = self.evidence.features(info, best, [c.score for c in cands], self.ignore_words)
        confidence = self.confidence.confidence(feats)
        if not info.terms:
            # no key term to look up: no word at all ("?????", "what is it?"), or only a year or words the analyser
            # cannot read ("小米2021年的范围一排放是多少？" gives the one token `2021`): nothing a quote could answer
            confidence = 0.0
        threshold = self.options.abstain_threshold
        answered = confidence >= (self.confidence.threshold if threshold is None else threshold)
        quotes = [self._quote(c, with_highlight=(i == 0 and answered)) for i, c in enumerate(chosen)]
        if not answered:
            notes = ["The reports don't appear to answer this; the closest passages are shown, not an answer."]
        return Composed(Answer(
            question=question,
            answered=answered,
            answer=(best.answer.text if best.answer else quotes[0].text) if answered else None,
            confidence=round(confidence, 3),
            quotes=quotes,
            notes=notes,
        ), feats)

    def _quote(self, c: Candidate, with_highlight: bool) -> Quote:
        report = self.reports[c.chunk.report_id]
        highlight = [c.answer.start, c.answer.end] if (with_highlight and c.answer is not None) else None
        return Quote(
            text=c.quote_text,
            highlight=highlight,
            score=round(float(c.score), 4),
            kind=c.chunk.kind,
            context=c.chunk.context or None,
            citation=Citation(
                report_id=report.id, title=report.title, year=report.year, section=c.chunk.section,
                page=c.chunk.page, page_label=c.chunk.page_label, source=c.chunk.source,
                start=c.unit.start, end=c.unit.end,
            ),
        )
