"""Candidate generation: quotable units of the retrieved chunks, two adjacent sentences, footnotes that
explain a marked term, and a list intro extended with its list. Each candidate gets its signals
(term coverage, label match, extraction, type and year fit); ranking is the ranker's job."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.compose.candidate import MAX_PAIR_WORDS, MAX_QUOTE_WORDS, Candidate, quote_text
from qa.compose.extract import column_year, row_cells
from qa.compose.question import QuestionInfo
from qa.compose.signals import TermSignals, token_set
from qa.compose.span import SpanExtractor
from qa.lexical import tokenize
from qa.models import Chunk, Hit, Unit
from qa.store import LoadedIndex
from qa.text import collapse_ws

# a footnote reference: superscript digits after a word, or 1-2 plain digits after a closing quote
_FOOTNOTE_REF = re.compile(r"[A-Za-z)\"”’]([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})|[\"”’] ?(\d{1,2})\b")
_FOOTNOTE_START = re.compile(r"\s*([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3}) ?[^\s⁰¹²³⁴⁵⁶⁷⁸⁹]")
_TO_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_LEAD_SENTENCES = 3  # the sentences before a quote that may name what it is about
_LIST_INTRO = re.compile(r":\s*$|\b(following|include|includes)\b", re.I)


def names_columns(row_text: str, header: list[str] | None) -> bool:
    """A table row that names columns, not values (the header row repeated, or a run of years
    `2020 2021 2022 2023`): it answers no question, however well its label matches."""
    cells = [c.span.text.strip() for c in row_cells(row_text, header)]
    if len(cells) < 2:
        return False
    if header and cells == [h for h in header if h][: len(cells)]:
        return True
    years = [column_year(c) for c in cells]
    return len(cells) >= 3 and all(years) and len(set(years)) >= 3


@dataclass(frozen=True)
class _HitContext:
    hit: Hit
    max_hit: float
    chunk_dense: float
    chunk_bm25: float


class CandidateGenerator:
    """`generate(info, hits, qvec) -> candidates`; `footnotes(...)`, `extend_list(...)` for the chosen ones."""

    def __init__(
        self,
        index: LoadedIndex,
        signals: TermSignals,
        extractor: SpanExtractor,
        candidate_chunks: int = 16,
        source_text: Callable[[str], str | None] | None = None,
    ) -> None:
        self.index = index
        self.signals = signals
        self.extractor = extractor
        self.candidate_chunks = candidate_chunks
        self._source_text = source_text  # a report's source path -> the text citations point into
        self._chunk_pos = {c.id: i for i, c in enumerate(index.chunks)}
        # footnotes: units that start with a superscript mark, by (report, mark)
        self._footnotes: dict[tuple[str, str], list[int]] = {}
        for i, u in enumerate(index.units):
            m = _FOOTNOTE_START.match(u.text)
            if m:
                rid = index.chunks[u.chunk_index].report_id
                self._footnotes.setdefault((rid, m.group(1)), []).append(i)

    def position(self, chunk: Chunk) -> int | None:
        return self._chunk_pos.get(chunk.id)

    # ------------------------------------------------------------------ candidates
    def generate(self, info: QuestionInfo, hits: Sequence[Hit], qvec: np.ndarray) -> list[Candidate]:
        idx = self.index
        out: list[Candidate] = []
        top = list(hits[: self.candidate_chunks])
        if not top:
            return out
        max_hit = max(h.score for h in top) or 1.0
        max_bm25 = max((h.bm25 or 0.0) for h in top) or 1.0
        q32 = qvec.astype(np.float32)
        for h in top:
            ci = self._chunk_pos[h.chunk.id]
            unit_ids = idx.units_by_chunk[ci]
            if not unit_ids:
                continue
            sims = np.asarray(idx.unit_vectors[unit_ids]) @ q32
            chunk_dense = float(h.dense) if h.dense is not None else float(np.asarray(idx.chunk_vectors[ci]) @ q32)
            base = _HitContext(h, max_hit, chunk_dense, (h.bm25 or 0.0) / max_bm25)
            first = len(out)
            for u_i, sim in zip(unit_ids, sims, strict=True):
                cand = self.candidate(info, idx.units[u_i], u_i, float(sim), hit=h, max_hit=max_hit,
                                      chunk_dense=chunk_dense, chunk_bm25=base.chunk_bm25)
                if cand is not None:
                    out.append(cand)
            if h.chunk.kind == "text" and info.qtype != "list":
                out.extend(self._pairs(info, ci, sims, q32, base))
            if h.chunk.kind == "text":
                self._lead_coverage(info, ci, out[first:])
        return out

    def _lead_coverage(self, info: QuestionInfo, pos: int, cands: Sequence[Candidate]) -> None:
        """How much of the question a text quote covers with the sentences that lead up to it in its
        paragraph ("It has served 930,000 users" after the sentence that names the app)."""
        idx = self.index
        unit_ids = idx.units_by_chunk[pos]
        order = {u: j for j, u in enumerate(unit_ids)}
        section = idx.chunks[pos].section
        for c in cands:
            j = order.get(c.unit_index)
            if j is None:
                continue
            lead = " ".join(idx.units[u].text for u in unit_ids[max(0, j - _LEAD_SENTENCES) : j])
            cov = self.signals.coverage(info, c.quote_text, lead, section)[0] if lead else c.coverage
            c.extra["lead_coverage"] = cov
            c.extra["lead_gain"] = max(0.0, cov - c.coverage)

    def candidate(
        self, info: QuestionInfo, unit: Unit, u_i: int, sim: float, *, hit: Hit, max_hit: float,
        chunk_dense: float = 0.0, chunk_bm25: float = 0.0, origin: str = "unit",
    ) -> Candidate | None:
        chunk = hit.chunk
        qt = quote_text(unit.text)
        if len(qt.split()) < 2 or (chunk.kind == "table_row" and names_columns(unit.text, chunk.header)):
            return None
        context = f"{chunk.section.split(' > ')[-1]} {chunk.context}" if chunk.kind in ("table_row", "kpi") else ""
        coverage, body = self.signals.coverage(info, qt, context, chunk.section)
        c = Candidate(
            unit_index=u_i, unit=unit, chunk=chunk, hit_rank=hit.rank, hit_score=hit.score / max_hit,
            dense=sim, coverage=coverage, quote_text=qt, chunk_dense=chunk_dense, chunk_bm25=chunk_bm25,
            body_coverage=body, origin=origin,
        )
        self.extractor.extract(info, c)
        c.label_precision = self.signals.label_precision(info, c)
        c.label_match = self.signals.label_match(info, c, c.label_precision)
        c.phrase = self.signals.phrase_match(info, qt)
        c.extra["negation_mismatch"] = self.signals.negation_mismatch(info, c)
        return c

    def _pairs(self, info: QuestionInfo, pos: int, sims: np.ndarray, q32: np.ndarray, base: _HitContext) -> list[Candidate]:
        """Two adjacent sentences quoted together, for answers one sentence sets up and the next gives.
        The chunk's last sentence pairs with the next chunk's first when only whitespace lies between."""
        idx = self.index
        chunk = idx.chunks[pos]
        unit_ids = idx.units_by_chunk[pos]
        pairs = [(unit_ids[j], unit_ids[j + 1], float(max(sims[j], sims[j + 1]))) for j in range(len(unit_ids) - 1)]
        source: str | None = None
        if pos + 1 < len(idx.chunks) and idx.chunks[pos + 1].kind == "text":
            last = idx.units[unit_ids[-1]]
            source = self.next_chunk_source(chunk, pos, last, last.end)
            if source is not None:
                first = idx.units_by_chunk[pos + 1][0]
                sim_next = float(np.asarray(idx.unit_vectors[first]) @ q32)
                pairs.append((unit_ids[-1], first, max(float(sims[-1]), sim_next)))
        out: list[Candidate] = []
        for ia, ib, sim in pairs:
            a, b = idx.units[ia], idx.units[ib]
            if a.kind != "text" or b.kind != "text" or b.start < a.end:
                continue
            if len(a.text.split()) + len(b.text.split()) > MAX_PAIR_WORDS:
                continue
            if b.end <= chunk.end:
                raw = chunk.text[a.start - chunk.start : b.end - chunk.start]
            elif source is not None:
                raw = source[a.start : b.end]
            else:
                continue
            merged = Unit(chunk_index=a.chunk_index, start=a.start, end=b.end, text=raw, kind=a.kind)
            cand = self.candidate(info, merged, ia, sim, hit=base.hit, max_hit=base.max_hit, chunk_dense=base.chunk_dense,
                                  chunk_bm25=base.chunk_bm25, origin="pair")
            if cand is not None:
                out.append(cand)
        return out

    # ------------------------------------------------------------------ footnotes
    def footnotes(self, info: QuestionInfo, cited: Sequence[Candidate], qvec: np.ndarray) -> list[Candidate]:
        """A term marked with a footnote (`red-line issues²⁹`) is explained in that footnote
        (`²⁹ … red-line issues include: …`): the footnotes that the given candidates cite."""
        out: list[Candidate] = []
        q32 = qvec.astype(np.float32)
        for c in cited:
            for m in _FOOTNOTE_REF.finditer(c.quote_text):
                mark = (m.group(1) or m.group(2) or "").translate(_TO_SUPERSCRIPT)
                if not mark:
                    continue
                for u_i in self._footnotes.get((c.chunk.report_id, mark), []):
                    unit = self.index.units[u_i]
                    if unit.start == c.unit.start:
                        continue
                    chunk = self.index.chunks[unit.chunk_index]
                    sim = float(np.asarray(self.index.unit_vectors[u_i]) @ q32)
                    hit = Hit(chunk=chunk, score=c.hit_score, rank=c.hit_rank)
                    fc = self.candidate(info, unit, u_i, sim, hit=hit, max_hit=1.0, chunk_dense=c.chunk_dense,
                                        chunk_bm25=c.chunk_bm25, origin="footnote")
                    if fc is None:
                        continue
                    # the footnote explains the words its mark follows ("base year⁷" -> "⁷ Base year: 2021.")
                    marked = set(tokenize(" ".join(c.quote_text[: m.start() + 1].split()[-2:]))) & set(info.terms)
                    fc.explains = bool(marked & token_set(unit.text))
                    fc.extra["cited_by_coverage"] = c.coverage
                    if (fc.coverage >= 0.5 * c.coverage or fc.explains) and (info.qtype != "date" or fc.answer is not None):
                        out.append(fc)
        return out

    # ------------------------------------------------------------------ lists
    def extend_list(self, c: Candidate) -> None:
        """A unit that introduces a list (`… include:`) is quoted with the items that follow it."""
        if not _LIST_INTRO.search(c.quote_text):
            return
        pos = self._chunk_pos.get(c.chunk.id)
        if pos is None:
            return
        ids = self.index.units_by_chunk[pos]
        following = [self.index.units[i] for i in ids if self.index.units[i].start >= c.unit.end]
        source: str | None = None
        if not following:
            # the list opens the next chunks (often a table, a row a chunk): follow them while only
            # whitespace lies between
            nxt, end = pos, c.unit.end
            while (text := self.next_chunk_source(c.chunk, nxt, c.unit, end)) is not None:
                source, nxt = text, nxt + 1
                following.extend(self.index.units[i] for i in self.index.units_by_chunk[nxt])
                end = following[-1].end
                if sum(len(u.text.split()) for u in following) >= MAX_QUOTE_WORDS:
                    break
        end = c.unit.end
        words = len(c.quote_text.split())
        for u in following:
            w = len(u.text.split())
            if words + w > MAX_QUOTE_WORDS:
                break
            end, words = u.end, words + w
        if end > c.unit.end:
            raw = source[c.unit.start : end] if source is not None else c.chunk.text[c.unit.start - c.chunk.start : end - c.chunk.start]
            c.unit = c.unit.model_copy(update={"end": end, "text": raw})
            c.quote_text = quote_text(raw)

    def next_chunk_source(self, chunk: Chunk, pos: int, unit: Unit, after: int) -> str | None:
        """The source text, when chunk `pos + 1` continues a quote of `chunk` (starting with `unit`) that
        ends at `after`: same report, section and page, and nothing but whitespace between (so the joined
        quote stays verbatim)."""
        if self._source_text is None or pos + 1 >= len(self.index.chunks):
            return None
        nxt = self.index.chunks[pos + 1]
        if (nxt.report_id, nxt.section, nxt.page) != (chunk.report_id, chunk.section, chunk.page):
            return None
        if nxt.kind in ("navigation", "index") or not self.index.units_by_chunk[pos + 1]:
            return None
        text = self._source_text(chunk.source)
        if text is None or nxt.start > len(text) or text[after : nxt.start].strip():
            return None
        if collapse_ws(text[unit.start : unit.end]) != collapse_ws(unit.text):
            return None  # the source changed under the index: quote nothing from it
        return text
