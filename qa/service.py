"""QAService: the one function that answers questions. Every adapter calls it."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from qa.budget import Deadline, check
from qa.compose.answerkind import KIND_MODEL, AnswerKindModel
from qa.compose.composer import Composer, ComposerOptions, idf_table
from qa.compose.confidence import load_confidence_model
from qa.compose.question import QuestionInfo, analyse, lead_name_words, name_words, naming_words
from qa.compose.ranker import MODEL_DIR, load_ranker
from qa.compose.spanpick import SpanPicker
from qa.config import Settings
from qa.conversation import resolve
from qa.embedding import Embedder, make_embedder
from qa.errors import BadQuestion, QAError, QuestionTooLong, UnknownReport
from qa.ingest import read_source_text
from qa.inputs import clean_text, fit_history
from qa.models import Answer, Filters, Hit, ReportInfo, SearchMode, Turn
from qa.reports import ReportRegistry
from qa.retrieval import QueryScores, Retriever
from qa.store import LoadedIndex, load_index

log = logging.getLogger(__name__)

_MAX_HISTORY = 20
_COMPANY_VOTES = 10  # the best-matching company: its share of the scores of the top hits


@dataclass(frozen=True)
class Scope:
    """Which reports a question is answered from, and what the answer says about that."""

    filters: Filters | None
    notes: list[str]
    refusal: str | None = None  # not answered: the note saying why


@dataclass
class QAService:
    settings: Settings
    index: LoadedIndex
    embedder: Embedder
    retriever: Retriever
    composer: Composer
    last_features: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder | None = None, check_stale: bool = True) -> QAService:
        """Load the model and the live index (checked against the reports and the model)."""
        from qa.tokens import ensure_tiktoken_cache

        ensure_tiktoken_cache(settings.tiktoken_cache_dir)
        if embedder is None:
            # one query at a time: 1 thread is ~20 ms (torch), and never oversubscribes a busy machine
            embedder = make_embedder(settings, threads=settings.torch_threads).load()
        reports = ReportRegistry(settings.manifest_path, settings.root).load().reports if check_stale else None
        index = load_index(settings, reports, embedder.fingerprint if check_stale else None)
        if reports is not None:  # companies and aliases as the manifest says now (they do not change the index)
            now = {r.id: r for r in reports}
            index.reports = [now.get(r.id, r) for r in index.reports]
        return cls.from_index(settings, index, embedder)

    @classmethod
    def from_index(cls, settings: Settings, index: LoadedIndex, embedder: Embedder) -> QAService:
        retriever = Retriever(index, embedder, settings)
        ranker = load_ranker(settings.ranker)
        confidence = load_confidence_model("confidence.json" if ranker.name == "learned" else "confidence-rules.json")
        ignore = name_words(n for r in index.reports for n in (r.company, *r.aliases))
        composer = Composer(
            index, idf_table(index.chunks), ComposerOptions(abstain_threshold=settings.abstain_threshold),
            source_text=_source_reader(settings.root, index), ranker=ranker, confidence=confidence, ignore_words=ignore,
            span_picker=SpanPicker.load() if ranker.name == "learned" else None,
            answer_kinds=AnswerKindModel.load(MODEL_DIR / KIND_MODEL) if ranker.name == "learned" else None,
        )
        svc = cls(settings, index, embedder, retriever, composer)
        svc.ask("warm-up: total energy consumption")  # first call pays one-off costs, not the first user
        retriever.words.mentions("warm-up")  # the corpus's words, for names of companies not in it
        return svc

    # ------------------------------------------------------------------ API
    def analyse(self, question: str) -> QuestionInfo:
        """The question's analysis; the words that name a company in it (a mention of a name or alias of the
        corpus, or the first word of one) are never key terms, the rest of a name's words are ("Acme automation
        solutions" keeps "automation" of another company's name "Beta Automation SE")."""
        mentions = [(start, end) for start, end, _c in self.retriever.companies.mentions(question)]
        return analyse(question, naming_words(question, mentions, self._lead_name_words),
                       names=self.composer.ignore_words)

    @cached_property
    def _lead_name_words(self) -> frozenset[str]:
        return lead_name_words(n for r in self.index.reports for n in (r.company, *r.aliases))

    @property
    def build_id(self) -> str:
        return self.index.build_id

    def reports(self) -> list[ReportInfo]:
        return list(self.index.reports)

    def company_of(self, report_id: str) -> str:
        return self.retriever.companies.company_of(report_id) or ""

    def chunk_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {r.id: 0 for r in self.index.reports}
        for c in self.index.chunks:
            counts[c.report_id] = counts.get(c.report_id, 0) + 1
        return counts

    def validate(self, question: str) -> str:
        if isinstance(question, str):
            question = clean_text(question)  # the input policy (qa.inputs): surrogates, NUL, controls
        if not isinstance(question, str) or not question:
            raise BadQuestion("The question is empty. Ask something like 'What were Scope 2 emissions in 2021?'.")
        if len(question) > self.settings.max_question_chars:
            raise QuestionTooLong(
                f"The question is {len(question)} characters long; the limit is {self.settings.max_question_chars}."
            )
        return question

    def _with_every_report(self, hits: list[Hit], scores: QueryScores, filters: Filters | None) -> list[Hit]:
        """Add each other report's best passages, so a figure both reports give is always considered."""
        allowed = set(filters.report_ids) if filters and filters.report_ids else None
        extra: list[Hit] = []
        seen = {h.chunk.id for h in hits[:8]}
        for report in self.index.reports:
            if allowed is not None and report.id not in allowed:
                continue
            base = filters.model_copy(update={"report_ids": [report.id]}) if filters else Filters(report_ids=[report.id])
            for h in self.retriever.rank(scores, 3, base):
                if h.chunk.id not in seen:
                    extra.append(h.model_copy(update={"rank": len(hits) + len(extra) + 1}))
                    seen.add(h.chunk.id)
        rest = [h for h in hits[8:] if h.chunk.id not in seen]
        return hits[:8] + extra + rest

    def _scope(self, question: str, resolved: str, scores: QueryScores, filters: Filters | None) -> Scope:
        """One company's reports: the one the question names, else the best-matching one.

        A question naming a company that is not in the corpus is refused rather than answered from
        another company. With one company among the allowed reports, the filters stay as given.
        """
        directory = self.retriever.companies
        allowed = [r.id for r in self.index.reports]
        unknown = [r for r in (filters.report_ids or []) if r not in allowed] if filters else []
        if unknown:
            raise UnknownReport(f"Unknown report id {unknown[0]!r}. Known reports: {', '.join(sorted(allowed))}.")
        if filters and filters.report_ids:
            allowed = [r for r in allowed if r in set(filters.report_ids)]
        if filters and filters.companies:
            wanted = set(directory.report_ids(directory.resolve(filters.companies)))  # unknown: UnknownCompany
            allowed = [r for r in allowed if r in wanted]
            filters = filters.model_copy(update={"report_ids": allowed, "companies": None})
        if not allowed:
            return Scope(filters, [], "No report matches both the report and the company filters.")
        companies = [c for c in directory.companies if any(directory.company_of(r) == c for r in allowed)]
        named = directory.named_in(question) or directory.named_in(resolved)
        if named:
            candidates = [c for c in named if c in companies]
            if not candidates:
                return Scope(filters, [], f"The question names {directory.listing(named)}, but only the reports of "
                                          f"{directory.listing(companies) or 'no company'} may be searched.")
        else:
            absent = directory.absent_named_in(resolved, self.retriever.words.mentions)
            if absent:
                return Scope(filters, [], f"The reports of {directory.listing(absent)} are not in the corpus, so "
                                          "this is not answered from another company's reports. The corpus holds "
                                          f"the reports of {directory.listing()}.")
            candidates = companies
        if len(companies) <= 1:
            return Scope(filters, [])
        notes: list[str] = []
        chosen = candidates[0]
        if len(candidates) > 1:
            chosen = self._best_company(scores, filters, candidates)
            others = directory.listing(c for c in candidates if c != chosen)
            notes.append(
                f"The question names {directory.listing(candidates)}; answered from {chosen}'s reports only."
                if named else f"Answered from {chosen}'s reports; the corpus also holds the reports of {others}."
            )
        reports = [r for r in allowed if directory.company_of(r) == chosen]
        base = filters or Filters()
        return Scope(base.model_copy(update={"report_ids": reports, "companies": None}), notes)

    def _best_company(self, scores: QueryScores, filters: Filters | None, candidates: list[str]) -> str:
        """The company whose reports hold most of the score of the best hits."""
        directory = self.retriever.companies
        reports = directory.report_ids(candidates)
        if filters and filters.report_ids is not None:
            reports = [r for r in reports if r in set(filters.report_ids)]
        base = (filters or Filters()).model_copy(update={"report_ids": reports, "companies": None})
        votes: dict[str, float] = {}
        for hit in self.retriever.rank(scores, _COMPANY_VOTES, base):
            company = directory.company_of(hit.chunk.report_id) or ""
            votes[company] = votes.get(company, 0.0) + max(hit.score, 0.0)
        if not votes:
            return candidates[0]
        return max(votes, key=lambda c: votes[c])  # ties: the company of the better hit (seen first)

    def search(
        self, query: str, k: int = 10, mode: SearchMode = "hybrid", filters: Filters | None = None,
        deadline: Deadline | None = None,
    ) -> list[Hit]:
        query = self.validate(query)
        check(deadline, "retrieval")  # the request may have queued for a thread past its budget
        return self.retriever.search(query, k=k, filters=filters, mode=mode)

    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        top_k: int = 5,
        mode: SearchMode | None = None,
        year_awareness: bool = True,
        deadline: Deadline | None = None,
    ) -> Answer:
        """`deadline`: checked between stages (and inside composition); past it, `OverBudget` is raised."""
        t0 = time.perf_counter()
        question = self.validate(question)
        check(deadline, "embedding")  # the request may have queued for a thread past its budget
        top_k = max(1, min(int(top_k), 20))
        turns = fit_history(history or [], self.settings.max_question_chars, self.settings.history_max_turns,
                           self.settings.history_max_chars)
        resolved = resolve(question, turns[-_MAX_HISTORY:])
        info = self.analyse(resolved)
        t1 = time.perf_counter()
        qvec = self.retriever.embed_query(resolved)
        t2 = time.perf_counter()
        check(deadline, "retrieval")
        scores = self.retriever.scores(resolved, mode or "hybrid", qvec, year_awareness)
        scope = self._scope(question, resolved, scores, filters)
        if scope.refusal is not None:
            answer = Answer(question=question, answered=False, answer=None, confidence=0.0, quotes=[],
                            notes=[scope.refusal])
            self.last_features = {}
            t3 = t4 = time.perf_counter()
        else:
            filters = scope.filters
            hits = self._with_every_report(self.retriever.rank(scores, max(20, top_k), filters), scores, filters)
            t3 = time.perf_counter()
            check(deadline, "composition")
            composed = self.composer.compose(question, info, hits, qvec, top_k=top_k, year_awareness=year_awareness,
                                             deadline=deadline)
            t4 = time.perf_counter()
            answer = composed.answer
            answer.notes = [*scope.notes, *answer.notes]
            self.last_features = composed.features  # the latest call's confidence inputs (bench/fit_confidence.py)
        for quote in answer.quotes:
            quote.citation.company = self.company_of(quote.citation.report_id)
        answer.resolved_question = resolved
        answer.answer_id = uuid.uuid4().hex
        answer.timings_ms = {
            "embed": round((t2 - t1) * 1000, 2),
            "retrieve": round((t3 - t2) * 1000, 2),
            "compose": round((t4 - t3) * 1000, 2),
            "total": round((t4 - t0) * 1000, 2),
        }
        return answer


def _source_reader(root: Path, index: LoadedIndex | None = None) -> Callable[[str], str | None]:
    """A report's source path -> the text citations point into (read once, on first need): the text the index
    build kept, else the report file read again (a build made before the texts were kept)."""
    cache: dict[str, str | None] = {}
    lock = threading.Lock()

    def read(source: str) -> str | None:
        with lock:
            if source not in cache:
                stored = index.stored_text(source) if index is not None else None
                try:
                    cache[source] = stored if stored is not None else read_source_text(root / source)
                except (QAError, OSError):
                    cache[source] = None
            return cache[source]

    return read
