"""Retriever: dense (FAISS), BM25 and hybrid search over chunks, with filters and year awareness."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from qa.companies import CompanyDirectory, CorpusWords
from qa.compose.extract import header_years
from qa.config import Settings
from qa.embedding import Embedder
from qa.errors import UnknownReport
from qa.lexical import expand
from qa.models import Filters, Hit, SearchMode
from qa.store import LoadedIndex

log = logging.getLogger(__name__)

NOISE_KINDS = frozenset({"navigation", "index"})
# a question after a page of the report (a content index's reference): "on which (report) page", "… report pages",
# "… page reference"; `question.analyse` types it as a figure
PAGE_ASKED = re.compile(r"\b(?:which|what) (?:\w+ ){0,2}pages?\b|\bpages?\s*\??$|\bpage (?:numbers?|references?)\b",
                        re.IGNORECASE)
# a question after a page or a content index ("GRI index … page reference"): the index rows, noise for every other
# question, hold its answer
_ASKS_INDEX = re.compile(rf"{PAGE_ASKED.pattern}|\bindex\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(?:FY\s?|fy\s?)?((?:19|20)\d\d)(?:'s|’s)?(?!\d)")


def years_in(text: str) -> list[int]:
    """Years a question names: `in 2021`, `FY2022`, `2020's`."""
    return sorted({int(m.group(1)) for m in _YEAR.finditer(text)})


@dataclass(frozen=True)
class QueryScores:
    """One query's scores over every chunk, computed once and ranked under any filter."""

    query: str
    dense: np.ndarray | None
    bm25: np.ndarray | None
    boost: np.ndarray | None  # year awareness
    asks_index: bool = False  # the query asks after a page or a content index: index chunks may answer it


class Retriever:
    """`search(query, k, filters, mode) -> list[Hit]` over a loaded index."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._report_years = {r.id: set(r.years_covered) for r in index.reports}
        self.words = CorpusWords(lambda: ((c.report_id, c.text) for c in index.chunks))
        self.companies = CompanyDirectory(index.reports, self.words.is_ordinary)
        chunks = index.chunks
        kinds = np.array([c.kind for c in chunks])
        self._noise = np.isin(kinds, list(NOISE_KINDS))
        self._noise_but_index = self._noise & (kinds != "index")  # what a question after a page or an index skips
        self._chunk_report = np.array([c.report_id for c in chunks])
        # per-chunk facts the year boost needs, computed once
        report_year = {r.id: r.year for r in index.reports}
        self._chunk_year = np.array([report_year.get(c.report_id, 0) for c in chunks], dtype=np.int32)
        self._chunk_covers = [self._report_years.get(c.report_id, set()) for c in chunks]
        self._chunk_header_years = [header_years(c.header) for c in chunks]
        self._mentions: dict[int, np.ndarray] = {}  # year -> chunks whose text names it (filled lazily)

    def embed_query(self, query: str) -> np.ndarray:
        vec: np.ndarray = self.embedder.encode([query])[0]
        return vec

    def embed_queries(self, queries: list[str]) -> np.ndarray:
        """`embed_query` of each, in length-sorted batches (for training runs: on the bundled set's questions the
        vectors are exactly those of one question at a time)."""
        vecs: np.ndarray = self.embedder.encode(queries)
        return vecs

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        mode: SearchMode = "hybrid",
        qvec: np.ndarray | None = None,
        year_awareness: bool = True,
    ) -> list[Hit]:
        return self.rank(self.scores(query, mode, qvec, year_awareness), k, filters)

    def scores(
        self, query: str, mode: SearchMode = "hybrid", qvec: np.ndarray | None = None, year_awareness: bool = True
    ) -> QueryScores:
        dense = bm25 = None
        if mode in ("dense", "hybrid"):
            if qvec is None:
                qvec = self.embed_query(query)
            dense = self._dense_scores(qvec)
        if mode in ("bm25", "hybrid"):
            bm25 = self.index.bm25.scores(expand(query))
        boost = self._year_boost(query) if year_awareness else None
        return QueryScores(query, dense, bm25, boost, asks_index=bool(_ASKS_INDEX.search(query)))

    def rank(self, scores: QueryScores, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The top k chunks under `filters` (fusion is normalised over the allowed chunks)."""
        allowed = self._allowed(filters or Filters(), index_rows=scores.asks_index)
        if len(self.index.chunks) == 0 or not allowed.any():
            return []
        dense, bm25 = scores.dense, scores.bm25
        fused = self._fuse(dense, bm25, allowed)
        if scores.boost is not None:
            fused = fused + scores.boost
        fused = np.where(allowed, fused, -np.inf)
        top = np.argsort(-fused, kind="stable")[: max(k, 1)]
        hits: list[Hit] = []
        for rank, i in enumerate(top, start=1):
            if not np.isfinite(fused[i]):
                break
            hits.append(
                Hit(
                    chunk=self.index.chunks[int(i)],
                    score=float(fused[i]),
                    dense=float(dense[i]) if dense is not None else None,
                    bm25=float(bm25[i]) if bm25 is not None else None,
                    rank=rank,
                )
            )
        return hits

    # ------------------------------------------------------------------ parts
    def _allowed(self, filters: Filters, index_rows: bool = False) -> np.ndarray:
        """The chunks `filters` let through; noise only when they include it, or a content index's rows when
        `index_rows` (the query asks after a page or an index)."""
        chunks = self.index.chunks
        mask = np.ones(len(chunks), dtype=bool)
        if not filters.include_noise:
            mask &= ~(self._noise_but_index if index_rows else self._noise)
        if filters.report_ids:
            known = set(self._report_years)
            unknown = [r for r in filters.report_ids if r not in known]
            if unknown:
                raise UnknownReport(
                    f"Unknown report id {unknown[0]!r}. Known reports: {', '.join(sorted(known))}."
                )
            mask &= self._of_reports(filters.report_ids)
        if filters.companies:
            mask &= self._of_reports(self.companies.report_ids(self.companies.resolve(filters.companies)))
        if filters.years:
            ys = set(filters.years)
            mask &= self._of_reports([rid for rid, covered in self._report_years.items() if covered & ys])
        if filters.section_prefix:
            prefix = filters.section_prefix.lower()
            mask &= np.array([c.section.lower().startswith(prefix) for c in chunks])
        return mask

    def _of_reports(self, report_ids: Iterable[str]) -> np.ndarray:
        """Which chunks belong to one of `report_ids`."""
        wanted = list(dict.fromkeys(report_ids))
        if not wanted:
            return np.zeros(len(self._chunk_report), dtype=bool)
        return np.isin(self._chunk_report, wanted)

    def _dense_scores(self, qvec: np.ndarray) -> np.ndarray:
        idx = self.index.faiss_index
        n = idx.ntotal
        q = np.ascontiguousarray(qvec.reshape(1, -1), dtype=np.float32)
        scores = np.full(n, -1.0, dtype=np.float32)
        k = n if self.settings.index_type == "flat" else min(n, 400)
        d, ids = idx.search(q, k)
        valid = ids[0] >= 0
        scores[ids[0][valid]] = d[0][valid]
        return scores

    def _fuse(self, dense: np.ndarray | None, bm25: np.ndarray | None, allowed: np.ndarray) -> np.ndarray:
        if dense is not None and bm25 is None:
            return dense.astype(np.float64)
        if bm25 is not None and dense is None:
            return bm25.astype(np.float64)
        assert dense is not None and bm25 is not None
        if self.settings.fusion == "rrf":
            out = np.zeros(len(dense))
            for arr in (dense, bm25):
                order = np.argsort(-np.where(allowed, arr, -np.inf), kind="stable")
                ranks = np.empty(len(arr))
                ranks[order] = np.arange(1, len(arr) + 1)
                out += 1.0 / (self.settings.rrf_k + ranks)
            return out * 30.0
        d = dense.astype(np.float64)
        lo, hi = float(d[allowed].min()), float(d[allowed].max())
        dn = (d - lo) / (hi - lo) if hi > lo else np.zeros_like(d)
        b = bm25.astype(np.float64)
        bmax = float(b[allowed].max())
        bn = b / bmax if bmax > 0 else np.zeros_like(b)
        w = self.settings.dense_weight
        return w * dn + (1 - w) * bn

    def _year_boost(self, query: str) -> np.ndarray:
        years = years_in(query)
        n = len(self.index.chunks)
        if not years:
            return np.zeros(n)
        ys = set(years)
        about_year = np.isin(self._chunk_year, years)
        covers = np.array([bool(c & ys) for c in self._chunk_covers], dtype=bool)
        header = np.array([bool(h & ys) for h in self._chunk_header_years], dtype=bool)
        mentions = np.zeros(n, dtype=bool)
        for y in years:
            mentions |= self._mentioned(y)
        return 0.04 * about_year + 0.015 * (~about_year & covers) + 0.03 * header + 0.02 * mentions

    def _mentioned(self, year: int) -> np.ndarray:
        if year not in self._mentions:
            if len(self._mentions) > 256:
                self._mentions.clear()
            self._mentions[year] = np.array([str(year) in c.text for c in self.index.chunks], dtype=bool)
        return self._mentions[year]
