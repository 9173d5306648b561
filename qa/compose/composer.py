"""The composer: from retrieved chunks to an Answer made only of verbatim, cited quotes.

1. Candidate units (sentences, list items, table rows, label/value pairs) are taken from the top
   chunks and scored against the question: embedding similarity (pre-computed unit vectors),
   IDF-weighted coverage of the question's key terms, the chunk's retrieval score, the named year,
   and whether the unit holds the kind of thing asked for (a figure with a fitting unit, a date…).
2. The best unit is quotes[0]; the answer is extracted inside it (the table cell under the asked
   year, the figure nearest the matched terms, a date, a standard's code) and highlighted.
3. Other quotes come from other chunks, preferring other sections and reports. When both reports
   give a figure for the same year, both are quoted, the report about that year first, and a note
   says when the values differ.
4. Confidence combines those signals; below the threshold the service abstains and shows the
   closest passages instead.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.compose.extract import Span, codes, dates, names, numbers, parse_number, row_cells
from qa.compose.question import QuestionInfo
from qa.lexical import tokenize
from qa.models import Answer, Chunk, Citation, Hit, Quote, ReportInfo, Unit
from qa.store import LoadedIndex
from qa.text import collapse_ws

_MAX_QUOTE_WORDS = 80
_MAX_PAIR_WORDS = 120  # a quote longer than 80 words only when the answer truly needs the second sentence
# Logistic weights over `Composer.features`; refitted on the dev split by bench/fit_confidence.py
# and stored in confidence.json next to this module (these are the fallback).
DEFAULT_CONFIDENCE: dict[str, float] = {
    "bias": -2.0, "dense": 2.5, "coverage": 2.5, "key_missing": -1.2, "unknown_frac": -4.0, "unknown_proper": -3.0,
    "type_fit": 0.8, "year_uncovered": -6.0, "year_miss": -2.0, "hit_score": 0.5, "label_precision": 0.3,
    "no_extract": -0.8, "label_mismatch": -1.5, "cell_empty": -4.0, "low_coverage": -2.0, "type_mismatch": -1.0,
}
# Rare but decisive signals keep these prior weights when the model is refitted on dev.
FIXED_FEATURES = (
    "year_uncovered", "unknown_proper", "unknown_frac", "year_miss", "label_mismatch", "cell_empty", "type_mismatch",
)
_QWORDS = frozenset(
    ["what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was", "were", "does", "do", "did", "has", "have", "had", "can", "could", "will", "would", "should", "list", "name", "give", "show", "tell", "xiaomi", "xiaomi's", "in", "by", "for", "of", "the", "a", "an", "and", "or"]
)


@dataclass(frozen=True)
class ConfidenceModel:
    weights: dict[str, float]
    decision_logit: float  # answer when the logit reaches this, abstain below
    platt: tuple[float, float]  # confidence = sigmoid(a * logit + b)


def load_confidence_model(path: Path | None = None) -> ConfidenceModel:
    """The model fitted on the dev split (confidence.json next to this module), or the defaults."""
    path = path or Path(__file__).with_name("confidence.json")
    try:
        data = json.loads(path.read_text())
        return ConfidenceModel(
            weights={str(k): float(v) for k, v in data["weights"].items()},
            decision_logit=float(data["decision_logit"]),
            platt=(float(data["platt"][0]), float(data["platt"][1])),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return ConfidenceModel(dict(DEFAULT_CONFIDENCE), 0.0, (1.0, 0.0))
_DEFINES = re.compile(
    r"\b(refers? to|is defined as|defined as|means|is a|are a|encompass(?:es)?|is the|consists? of|concept of)\b|\S\s?=\s?\S", re.I
)


# a footnote reference: superscript digits after a word, or 1-2 plain digits after a closing quote
_FOOTNOTE_REF = re.compile(r"[A-Za-z)\"”’]([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})|[\"”’] ?(\d{1,2})\b")
_TO_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_INTRODUCES = re.compile(r"(:\s*$|\b(include|includes|including|the following|as follows|such as|namely)\b)", re.I)


_LIST_AFTER = re.compile(r"^[^.;]{0,40}?(\b(include|includes|including|such as|namely|comprises?|consists? of|are|were)\b|:)")
_LIST_BEFORE = re.compile(r"\bfollowing\b[^.;:]{0,40}$")


def _introduces(head: str, text: str) -> bool:
    """Does the text introduce a list of the question's head noun (`issues including`, `following … certifications`)?"""
    low = text.lower()
    for m in re.finditer(rf"\b{re.escape(head)}\w*", low):
        if _LIST_AFTER.search(low[m.end() : m.end() + 60]) or _LIST_BEFORE.search(low[max(0, m.start() - 60) : m.start()]):
            return True
    return False


def _label(c: Candidate) -> str:
    """A table row's label (its first cell) or a label/value pair's label."""
    return c.unit.text.split("\t", 1)[0] if c.chunk.kind == "table_row" else _kpi_label(c.unit.text)


def _kpi_label(text: str) -> str:
    """The label of a label/value pair: the words after its figure (`0.367 t` / `Hazardous Waste`), or
    before it (`Total GHG Emissions3` / `31,347.06 t`); a caption above the figure is not the label."""
    nums = numbers(text)
    if not nums:
        return text
    span = nums[0][0]
    after = text[span.end :]
    return after if re.search(r"[A-Za-z]{3}", after) else text[: span.start]


def _digits(text: str) -> str:
    m = re.search(r"\d[\d,. ]*", text)
    return m.group(0).strip().rstrip(".").replace(" ", "") if m else ""


@dataclass
class Candidate:
    unit_index: int
    unit: Unit
    chunk: Chunk
    hit_rank: int
    hit_score: float
    dense: float
    coverage: float
    type_fit: float
    year_fit: float
    score: float = 0.0
    answer: Span | None = None  # inside quote text
    quote_text: str = ""
    note: str | None = None
    value: float | None = None
    column: str | None = None


@dataclass
class ComposerOptions:
    candidate_chunks: int = 16
    abstain_threshold: float | None = None  # on the calibrated confidence; None: use decision_logit
    decision_logit: float = 0.0
    platt: tuple[float, float] = (1.0, 0.0)
    w_dense: float = 0.9
    w_cover: float = 1.1
    w_rank: float = 0.35
    w_type: float = 0.45
    w_year: float = 0.35
    w_label: float = 0.5
    w_phrase: float = 0.3
    pair_cost: float = 0.25  # two adjacent sentences as one quote (see Composer._pairs)
    confidence_weights: dict[str, float] | None = None


@dataclass(frozen=True)
class Composed:
    answer: Answer
    features: dict[str, float]  # the confidence model's inputs for this answer


def quote_text(raw: str) -> str:
    """A unit as shown: line breaks (and the blank lines of hard-wrapped text) become single spaces."""
    return re.sub(r"[ \t]*\n\s*", " ", raw).strip()


class Composer:
    """`compose(question, info, hits, qvec) -> Answer`."""

    def __init__(
        self,
        index: LoadedIndex,
        idf: dict[str, float],
        options: ComposerOptions | None = None,
        source_text: Callable[[str], str | None] | None = None,
    ) -> None:
        self.index = index
        self._source_text = source_text  # a report's source path -> the text citations point into
        self.idf = idf
        self.options = options or ComposerOptions()
        self.reports: dict[str, ReportInfo] = {r.id: r for r in index.reports}
        self._latest = max((r.year for r in index.reports), default=0)
        self._chunk_pos = {c.id: i for i, c in enumerate(index.chunks)}
        # footnotes: units that start with a superscript mark, by (report, mark)
        self._footnotes: dict[tuple[str, str], list[int]] = {}
        for i, u in enumerate(index.units):
            m = re.match(r"\s*([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3}) ?[^\s⁰¹²³⁴⁵⁶⁷⁸⁹]", u.text)
            if m:
                rid = index.chunks[u.chunk_index].report_id
                self._footnotes.setdefault((rid, m.group(1)), []).append(i)

    # ------------------------------------------------------------------ public
    def compose(
        self,
        question: str,
        info: QuestionInfo,
        hits: Sequence[Hit],
        qvec: np.ndarray,
        top_k: int = 5,
        year_awareness: bool = True,
    ) -> Composed:
        """The answer, and the confidence model's inputs (for fitting it). Safe to call concurrently."""
        cands = self._candidates(info, hits, qvec, year_awareness)
        if not cands:
            return Composed(Answer(
                question=question, answered=False, answer=None, confidence=0.0, quotes=[],
                notes=["Nothing in the reports matches this question."],
            ), {})
        cands.sort(key=lambda c: -c.score)
        if info.qtype in ("definition", "list", "date", "yes_no") or (info.qtype in ("entity", "other") and not info.wants_number):
            cands = self._with_footnotes(info, cands, qvec)
        chosen = self._diverse(cands, top_k)
        notes: list[str] = []
        chosen, cross_note = self._cross_report(info, chosen, cands)
        chosen = self._cover_years(info, chosen, cands, top_k)
        if cross_note:
            notes.append(cross_note)
        best = chosen[0]
        if info.qtype == "list":
            self._extend_list(best)
        if best.note:
            notes.insert(0, best.note)
        feats = self.features(info, best)
        z = self._logit(feats)
        confidence = self._calibrated(z)
        if self.options.abstain_threshold is not None:
            answered = confidence >= self.options.abstain_threshold
        else:
            answered = z >= self.options.decision_logit
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

    # ------------------------------------------------------------------ candidates
    def _candidates(
        self, info: QuestionInfo, hits: Sequence[Hit], qvec: np.ndarray, year_awareness: bool = True
    ) -> list[Candidate]:
        idx = self.index
        chunk_pos = self._chunk_pos
        out: list[Candidate] = []
        top = list(hits[: self.options.candidate_chunks])
        if not top:
            return out
        max_hit = max(h.score for h in top) or 1.0
        for h in top:
            ci = chunk_pos[h.chunk.id]
            unit_ids = idx.units_by_chunk[ci]
            if not unit_ids:
                continue
            vecs = np.asarray(idx.unit_vectors[unit_ids])
            sims = vecs @ qvec.astype(np.float32)
            for u_i, sim in zip(unit_ids, sims, strict=True):
                unit = idx.units[u_i]
                cand = self._score(info, unit, u_i, h, float(sim), max_hit, year_awareness)
                if cand is not None:
                    out.append(cand)
            if h.chunk.kind == "text" and info.qtype != "list":
                out.extend(self._pairs(info, h, ci, sims, max_hit, year_awareness, qvec))
        return out

    def _pairs(
        self, info: QuestionInfo, hit: Hit, pos: int, sims: np.ndarray, max_hit: float, year_awareness: bool,
        qvec: np.ndarray,
    ) -> list[Candidate]:
        """Two adjacent sentences quoted together, for answers one sentence sets up and the next gives
        (`…installed a smart energy management system. With the above measures, the park saves 1,406,874 kWh`).
        The pair costs a little, so it wins only when the second sentence adds what the question asks for.
        The chunk's last sentence pairs with the next chunk's first when only whitespace lies between."""
        idx = self.index
        chunk = hit.chunk
        unit_ids = idx.units_by_chunk[pos]
        pairs = [(unit_ids[j], unit_ids[j + 1], float(max(sims[j], sims[j + 1]))) for j in range(len(unit_ids) - 1)]
        source: str | None = None
        if pos + 1 < len(idx.chunks) and idx.chunks[pos + 1].kind == "text":
            last = idx.units[unit_ids[-1]]
            source = self._next_chunk_source(chunk, pos, last, last.end)
            if source is not None:
                first = idx.units_by_chunk[pos + 1][0]
                sim_next = float(np.asarray(idx.unit_vectors[first]) @ qvec.astype(np.float32))
                pairs.append((unit_ids[-1], first, max(float(sims[-1]), sim_next)))
        out: list[Candidate] = []
        for ia, ib, sim in pairs:
            a, b = idx.units[ia], idx.units[ib]
            if a.kind != "text" or b.kind != "text" or b.start < a.end:
                continue
            if len(a.text.split()) + len(b.text.split()) > _MAX_PAIR_WORDS:
                continue  # over 80 words a pair also pays the length penalty of `_score`
            if b.end <= chunk.end:
                raw = chunk.text[a.start - chunk.start : b.end - chunk.start]
            elif source is not None:
                raw = source[a.start : b.end]
            else:
                continue
            merged = Unit(chunk_index=a.chunk_index, start=a.start, end=b.end, text=raw, kind=a.kind)
            cand = self._score(info, merged, ia, hit, sim, max_hit, year_awareness)
            if cand is not None:
                cand.score -= self.options.pair_cost
                out.append(cand)
        return out

    def _score(
        self, info: QuestionInfo, unit: Unit, u_i: int, hit: Hit, sim: float, max_hit: float, year_awareness: bool
    ) -> Candidate | None:
        chunk = hit.chunk
        qt = quote_text(unit.text)
        words = len(qt.split())
        if words < 2:
            return None
        context = f"{chunk.section.split(' > ')[-1]} {chunk.context}" if chunk.kind == "table_row" else ""
        coverage = self._coverage(info, qt, context, chunk.section)
        cand = Candidate(
            unit_index=u_i, unit=unit, chunk=chunk, hit_rank=hit.rank, hit_score=hit.score / max_hit,
            dense=sim, coverage=coverage, type_fit=0.0, year_fit=0.0, quote_text=qt,
        )
        self._extract(info, cand)
        o = self.options
        length_pen = 0.0
        if words > _MAX_QUOTE_WORDS:
            length_pen = min(0.3, (words - _MAX_QUOTE_WORDS) / 200)
        if words < 4 and chunk.kind not in ("kpi", "table_row"):
            length_pen += 0.25
        cand.score = (
            o.w_label * self._label_match(info, cand)
            + o.w_dense * sim
            + o.w_cover * coverage
            + o.w_rank * cand.hit_score
            + o.w_type * cand.type_fit
            + (o.w_year * cand.year_fit if year_awareness else 0.0)
            + o.w_phrase * self._phrase_match(info, qt)
            - length_pen
        )
        return cand

    @staticmethod
    def _phrase_match(info: QuestionInfo, text: str) -> float:
        """Share of the question's quoted phrases ('Above 4° C', "answer rate") the unit contains verbatim."""
        if not info.phrases:
            return 0.0
        low = " ".join(text.lower().split())
        return sum(p in low for p in info.phrases) / len(info.phrases)

    def _term_weight(self, info: QuestionInfo, term: str) -> float:
        """A key term's IDF, or its best synonym's when that is rarer; 0 for words the reports never use."""
        return max([self.idf.get(term, 0.0), *(self.idf.get(a, 0.0) for a in info.alts.get(term, ()))])

    def _coverage(self, info: QuestionInfo, text: str, context: str, section: str) -> float:
        """IDF-weighted share of the question's key terms found in the unit (or, less, in its context)."""
        if not info.terms:
            return 0.0
        body = set(tokenize(text))
        ctx = set(tokenize(context)) | set(tokenize(section.split(" > ")[-1] if section else ""))
        total = 0.0
        got = 0.0
        for t in info.terms:
            alts = info.alts.get(t, frozenset())
            w = self._term_weight(info, t)
            if w <= 0.0:
                continue  # a term the reports never use tells nothing about this unit
            total += w
            if t in body or alts & body:
                got += w
            elif t in ctx or alts & ctx:
                got += 0.7 * w
        return got / total if total else 0.0

    def _reporting_years(self, info: QuestionInfo) -> list[int]:
        """Years the question asks figures for; far-future years (2030, 2040) are targets, not reporting years."""
        return [y for y in info.years if y <= self._latest + 2]

    def _label_precision(self, info: QuestionInfo, c: Candidate) -> float:
        """For a table row or label/value pair: how much of its label the question asks about."""
        if c.chunk.kind not in ("table_row", "kpi"):
            return 0.0
        label = re.sub(r"[\(\[][^)\]]*[\)\]]", " ", _label(c))  # units such as (Metric Tons CO2e)
        q = info.tokens | info.synonym_tokens
        toks = set()
        for t in tokenize(label):
            if re.fullmatch(r"[a-z]+\d+", t) and t not in q:
                continue  # a footnote mark glued to a word (Emissions3)
            if t[0].isdigit() and (t not in q or len(t) > 4):
                continue  # the row's own figures
            toks.add(t)
        if not toks:
            return 0.0
        precision = len(toks & q) / len(toks)
        if "non" in toks and "non" not in q:
            precision *= 0.3  # `Non-hazardous Waste` is the opposite of what "hazardous waste" asks for
        return precision

    def _label_match(self, info: QuestionInfo, c: Candidate) -> float:
        """Harmonic mean of the label's precision and its recall: the IDF-weighted share of the question's
        key terms that a table row's label (or its table title and group) names. A bare `Water` row of a
        targets table names less of "reclaimed water use" than `Reclaimed Water Consumption`."""
        precision = self._label_precision(info, c)
        if c.chunk.kind != "table_row" or precision <= 0.0 or not info.terms:
            return precision  # a label/value pair's text holds its value and group heading: precision only
        toks = set(tokenize(_label(c))) | set(tokenize(c.chunk.table_title or "")) | set(tokenize(c.chunk.context.split("| columns")[0]))
        total = got = 0.0
        for t in info.terms:
            alts = info.alts.get(t, frozenset())
            w = self._term_weight(info, t)
            total += w
            if t in toks or alts & toks:
                got += w
        recall = got / total if total else 0.0
        return 0.0 if recall <= 0.0 else 2 * precision * recall / (precision + recall)

    # ------------------------------------------------------------------ extraction
    def _extract(self, info: QuestionInfo, c: Candidate) -> None:
        qt = c.quote_text
        report = self.reports.get(c.chunk.report_id)
        years = self._reporting_years(info)
        # year fit: the report about that year, or a table column for it
        if years and report is not None:
            if report.year in years:
                c.year_fit = 1.0
            elif set(report.years_covered) & set(years) and c.chunk.kind in ("table_row", "kpi"):
                c.year_fit = 0.5  # a later report's tables restate earlier years; its prose is about its own year
            if any(str(y) in qt for y in years):
                c.year_fit = max(c.year_fit, 0.8)
        elif report is not None and info.wants_number and report.year == self._latest:
            c.year_fit = 0.4  # no year named: the latest report that answers is preferred
        targets = [y for y in info.years if y not in years]
        if targets and any(str(y) in qt for y in targets):
            c.year_fit = max(c.year_fit, 0.8)  # a target year the question names ("the 2030 target")
        if c.chunk.kind == "table_row" and c.chunk.header:
            self._extract_cell(info, c, report)
            return
        if info.qtype == "date":
            ds = dates(qt)
            if ds and not years and report is not None and re.search(r"\b(target|goal|aim|commit\w*|pledge)", info.text, re.I):
                # a target's year lies after the report ("net zero by 2040"), not the year it was set
                ds = sorted(ds, key=lambda d: not any(y > report.year for y in map(int, re.findall(r"(?:19|20)\d\d", d.text))))
            if ds:
                c.answer = ds[0] if not years else next((d for d in ds if any(str(y) in d.text for y in years)), ds[0])
                # a day beats a month, a month beats a bare year
                specific = max(len(re.findall(r"\d+|[A-Z][a-z]+", d.text)) for d in ds)
                c.type_fit = {1: 0.5, 2: 0.8}.get(specific, 1.0)
            return
        if info.wants_number:
            nums = [n for n in numbers(qt) if re.sub(r"[,\s]", "", _digits(n[0].text)) not in info.numbers]
            if not nums:
                c.type_fit = -0.6
                return
            best = self._pick_number(info, qt, nums)
            c.answer = best[0]
            c.value = parse_number(best[0].text)
            unit = best[1]
            if info.qtype == "percent":
                c.type_fit = 1.0 if unit == "%" else 0.2
            elif info.units:
                c.type_fit = 1.0 if unit in info.units else (0.0 if unit == "%" else 0.5)
            elif unit == "%":
                c.type_fit = 0.3 if info.qtype in ("numeric", "count") else 0.6
            else:
                raw = _digits(best[0].text)
                c.type_fit = 0.5 if len(raw.replace(".", "")) == 1 else 0.9
            return
        if info.qtype == "entity":
            cs = codes(qt)
            if cs and re.search(r"\b(standard|certification|certified|iso|guideline|framework)\b", info.text, re.I):
                c.answer = cs[0]
                c.type_fit = 0.8
            else:
                # a name the question does not already contain (`LEED Platinum® Certificate`, `TrustArc`)
                known = info.words
                # on the raw unit text, where paragraph breaks still show (a name never runs over one)
                found = [
                    m for n in names(c.unit.text, known)
                    if (m := _map_span(c.unit.text, qt, n.start, n.end)) is not None
                ]
                if found:
                    head = info.head or ""

                    def rank(n: Span) -> tuple[bool, int]:
                        # a name of the kind asked for (`… Committee` for "which committee") first
                        words = set(n.text.lower().split())
                        return (bool(head) and any(w.startswith(head) for w in words), len(words - known))

                    c.answer = max(found, key=rank)
                    c.type_fit = 0.7
        # definitions, lists, yes/no and other entities: the unit itself settles it
        if c.answer is None:
            c.type_fit = max(c.type_fit, 0.3 if len(qt.split()) >= 6 else 0.0)
            if info.qtype == "list":
                enumerates = qt.count(",") >= 2 or ";" in qt or c.unit.kind == "list_item" or bool(_INTRODUCES.search(qt))
                c.type_fit = 1.0 if enumerates else -0.2
                if enumerates and info.head and _introduces(info.head, qt):
                    c.type_fit = 1.4  # "new ESG issues including …", "the following … certifications:"
            elif info.qtype == "definition" and _DEFINES.search(qt):
                c.type_fit = 0.8

    def _pick_number(self, info: QuestionInfo, qt: str, nums: list[tuple[Span, str]]) -> tuple[Span, str]:
        """The figure whose unit fits the question and that sits nearest the question's key terms."""
        low = qt.lower()
        term_pos = [m.start() for t in info.terms if len(t) > 2 for m in re.finditer(re.escape(t[:6]), low)]

        def rank(item: tuple[Span, str]) -> float:
            span, unit = item
            s = 0.0
            if info.units and unit in info.units:
                s += 2.0
            if info.qtype == "percent":
                s += 2.0 if unit == "%" else -1.0
            elif info.qtype == "count" and unit == "%":
                s -= 1.0
            if term_pos:
                dist = min(abs(span.start - p) for p in term_pos)
                s += 1.0 / (1.0 + dist / 40.0)
            return s

        return max(nums, key=rank)

    def _extract_cell(self, info: QuestionInfo, c: Candidate, report: ReportInfo | None) -> None:
        header = c.chunk.header or []
        qt = c.quote_text
        cells = row_cells(c.unit.text, header)
        if cells and header and [x.span.text for x in cells] == [h for h in header if h][: len(cells)]:
            c.type_fit = -0.6  # the table's own header row names columns; it answers nothing
            return
        if not cells:
            c.type_fit = -0.3 if info.wants_number else 0.0
            return
        year_cols = [h for h in header if re.fullmatch(r"(?:FY)?(19|20)\d\d", h)]
        target: str | None = None
        if not year_cols:
            # a text header (e.g. `Above 4° C scenario | Below 2° C scenario`): the column the question names
            overlaps = [(len(set(tokenize(h)) & info.tokens), h) for h in header]
            best_overlap = max(overlaps, default=(0, ""))
            if best_overlap[0] > 0 and sum(1 for o, _ in overlaps if o == best_overlap[0]) == 1:
                target = best_overlap[1]
            else:
                c.type_fit = 0.3
                return
        if year_cols:
            asked = [str(y) for y in info.years if str(y) in year_cols]
            if asked:
                target = asked[0]
                c.year_fit = max(c.year_fit, 1.0)
            elif info.years:
                c.year_fit = min(c.year_fit, 0.0)
                c.type_fit = -0.5  # the table has no column for the asked year
            else:
                target = max(year_cols)
        cell = next((x for x in cells if x.column == target), None) if target else cells[0]
        if cell is None and target:
            c.type_fit = -0.3 if info.wants_number else 0.0
        if cell is None:
            return
        # map offsets in the raw row text to the quote text (line breaks collapsed)
        span = _map_span(c.unit.text, qt, cell.span.start, cell.span.end)
        if span is None:
            return
        c.answer = span
        c.column = cell.column
        c.value = parse_number(span.text)
        has_digit = any(ch.isdigit() for ch in span.text)
        figure_like = has_digit and len(span.text) <= 30 and sum(ch.isdigit() for ch in span.text) * 3 >= len(
            span.text.replace(" ", "")
        )
        if info.wants_number:
            c.type_fit = 1.0 if figure_like else (0.2 if has_digit else -0.2)  # prose cells are not figures
        elif info.qtype in ("definition", "list", "yes_no"):
            c.type_fit = -0.3  # a table cell rarely defines, enumerates or settles anything
        else:
            c.type_fit = 0.6 if has_digit else 0.2
        if target and year_cols:
            title = c.chunk.table_title or "the table"
            cols = " | ".join(header)
            which = f"the {target} column" if info.years else f"the {target} column (the latest year in the table)"
            c.note = f"Figure for {target}: {which} of '{title}' (columns {cols})."

    # ------------------------------------------------------------------ selection
    def _diverse(self, cands: list[Candidate], top_k: int) -> list[Candidate]:
        chosen: list[Candidate] = [cands[0]]
        used_chunks = {cands[0].chunk.id}
        used_sections = {(cands[0].chunk.report_id, cands[0].chunk.section)}
        for c in cands[1:]:
            if len(chosen) >= top_k:
                break
            if c.chunk.id in used_chunks:
                continue
            if len(chosen) < 2 and (c.chunk.report_id, c.chunk.section) in used_sections:
                # prefer another section for the second quote when one scores close
                alt = next(
                    (x for x in cands if x.chunk.id not in used_chunks and (x.chunk.report_id, x.chunk.section) not in used_sections
                     and x.score >= c.score - 0.1),
                    None,
                )
                if alt is not None:
                    c = alt
            chosen.append(c)
            used_chunks.add(c.chunk.id)
            used_sections.add((c.chunk.report_id, c.chunk.section))
        return chosen

    def _cross_report(self, info: QuestionInfo, chosen: list[Candidate], cands: list[Candidate]) -> tuple[list[Candidate], str | None]:
        """Both reports' figures for a year both cover: the report about that year first, a note if they differ."""
        best = chosen[0]
        if not (info.wants_number and best.value is not None):
            return chosen, None
        others = [
            c for c in cands
            if c.chunk.report_id != best.chunk.report_id and c.value is not None and c.score >= best.score - 0.5
            and c.coverage >= 0.8 * best.coverage and c.type_fit >= 0.9
            and (c.chunk.kind not in ("kpi", "table_row") or self._label_precision(info, c) >= 0.5)
        ]
        if not others:
            return chosen, None
        years = info.years
        if years:
            y = years[0]

            def gives_year(c: Candidate) -> bool:
                report = self.reports[c.chunk.report_id]
                return y in report.years_covered and (self._about_year(c, y) or (c.column is None and report.year == y))

            if not gives_year(best):
                return chosen, None  # quotes[0] is about another year: no same-year pair to compare
            others = [c for c in others if gives_year(c)]
            if not others:
                return chosen, None
        elif best.column is not None:
            return chosen, None  # no year named: the latest figure answers; other reports stay as sources
        other = max(others, key=lambda c: c.score)
        rest = [c for c in chosen if c.chunk.id != other.chunk.id]
        pair = [best, other]
        if years:
            pair.sort(key=lambda c: 0 if self.reports[c.chunk.report_id].year == years[0] else 1)
        ordered = pair + [c for c in rest if c is not best]
        note = None
        a, b = pair[0], pair[1]
        if a.value is not None and b.value is not None and not math.isclose(a.value, b.value, rel_tol=0.005):
            ra, rb = self.reports[a.chunk.report_id], self.reports[b.chunk.report_id]
            ya = f" for {years[0]}" if years else ""
            note = (
                f"The reports differ{ya}: {ra.title} gives {a.answer.text if a.answer else a.value}, "
                f"{rb.title} gives {b.answer.text if b.answer else b.value}"
                + (" (a later report may restate earlier figures on a wider scope)." if rb.year != ra.year else ".")
            )
        return ordered[: max(len(chosen), 2)], note

    def _about_year(self, c: Candidate, year: int) -> bool:
        """Does the unit give something for `year`: its table column, or the year named (not as a range's end)?"""
        if c.column is not None:
            return c.column == str(year)
        return bool(re.search(rf"(?<![–\-]\s)(?<![–\-])\b{year}\b(?!\s?[–\-]\s?\d)", c.quote_text))

    def _cover_years(self, info: QuestionInfo, chosen: list[Candidate], cands: list[Candidate], top_k: int) -> list[Candidate]:
        """A question naming several years ("between 2020 and 2022") gets a quote for each among the first three."""
        years = self._reporting_years(info)
        if len(years) < 2:
            return chosen
        best = chosen[0]
        for y in years:
            if any(self._about_year(c, y) for c in chosen[:3]):
                continue
            used = {c.chunk.id for c in chosen}
            pick = next(
                (c for c in cands
                 if c.chunk.id not in used and self._about_year(c, y) and c.coverage >= 0.6 * best.coverage
                 and (not info.wants_number or (c.value is not None and c.type_fit >= 0.9))),
                None,
            )
            if pick is None:
                continue
            # replace the first of quotes 2-3 that gives none of the asked years
            slot = next((i for i in (1, 2) if i < len(chosen) and not any(self._about_year(chosen[i], x) for x in years)), None)
            if slot is None:
                chosen = (chosen + [pick])[:top_k]
            else:
                chosen = chosen[:slot] + [pick] + chosen[slot:]
                chosen = chosen[:top_k]
        return chosen

    def _with_footnotes(self, info: QuestionInfo, cands: list[Candidate], qvec: np.ndarray) -> list[Candidate]:
        """A term marked with a footnote (`red-line issues²⁹`, `"answer rate" 22`) is defined in that
        footnote (`²⁹Xiaomi's red-line issues include: …`): the footnote becomes a candidate too."""
        extra: list[Candidate] = []
        for rank, c in enumerate(cands[:3]):
            # a footnote goes just above the unit that cites it, never above a better unit
            ceiling = cands[rank - 1].score - 1e-6 if rank else math.inf
            for m in _FOOTNOTE_REF.finditer(c.quote_text):
                mark = (m.group(1) or m.group(2) or "").translate(_TO_SUPERSCRIPT)
                if not mark:
                    continue
                for u_i in self._footnotes.get((c.chunk.report_id, mark), []):
                    unit = self.index.units[u_i]
                    if unit.start == c.unit.start:
                        continue
                    chunk = self.index.chunks[unit.chunk_index]
                    sim = float(np.asarray(self.index.unit_vectors[u_i]) @ qvec.astype(np.float32))
                    hit = Hit(chunk=chunk, score=c.hit_score, rank=c.hit_rank)
                    fc = self._score(info, unit, u_i, hit, sim, 1.0, True)
                    # the footnote explains the words its mark follows ("base year⁷" -> "⁷ Base year: 2021.")
                    marked = set(tokenize(" ".join(c.quote_text[: m.start() + 1].split()[-2:]))) & set(info.terms)
                    explains = bool(marked & set(tokenize(unit.text)))
                    if (
                        fc is not None
                        and (fc.coverage >= 0.5 * c.coverage or explains)
                        and (info.qtype != "date" or fc.answer is not None)
                    ):
                        fc.score = max(fc.score, min(c.score + (0.1 if explains else 0.05), ceiling))
                        extra.append(fc)
        if not extra:
            return cands
        seen = {x.unit_index for x in extra}
        return sorted(extra + [c for c in cands if c.unit_index not in seen], key=lambda c: -c.score)

    def _extend_list(self, c: Candidate) -> None:
        """A unit that introduces a list (`… include:`) is quoted with the items that follow it."""
        if not re.search(r":\s*$|\b(following|include|includes)\b", c.quote_text, re.I):
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
            while (text := self._next_chunk_source(c.chunk, nxt, c.unit, end)) is not None:
                source, nxt = text, nxt + 1
                following.extend(self.index.units[i] for i in self.index.units_by_chunk[nxt])
                end = following[-1].end
                if sum(len(u.text.split()) for u in following) >= _MAX_QUOTE_WORDS:
                    break
        end = c.unit.end
        words = len(c.quote_text.split())
        for u in following:
            w = len(u.text.split())
            if words + w > _MAX_QUOTE_WORDS:
                break
            end, words = u.end, words + w
        if end > c.unit.end:
            if source is not None:
                raw = source[c.unit.start : end]
            else:
                raw = c.chunk.text[c.unit.start - c.chunk.start : end - c.chunk.start]
            c.unit = c.unit.model_copy(update={"end": end, "text": raw})
            c.quote_text = quote_text(raw)

    def _next_chunk_source(self, chunk: Chunk, pos: int, unit: Unit, after: int) -> str | None:
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

    # ------------------------------------------------------------------ confidence
    def features(self, info: QuestionInfo, best: Candidate) -> dict[str, float]:
        """Evidence that quotes[0] answers the question (the confidence model's inputs)."""
        known = [t for t in info.terms if self._term_weight(info, t) > 0]
        unknown_frac = (len(info.terms) - len(known)) / len(info.terms) if info.terms else 1.0
        body = set(tokenize(best.quote_text)) | set(tokenize(f"{best.chunk.section} {best.chunk.context}"))
        key_missing = 0.0
        if known:
            key = max(known, key=lambda t: self.idf.get(t, 0.0))
            if key not in body and not (info.alts.get(key, frozenset()) & body):
                key_missing = 1.0
        proper = [w for w in re.findall(r"\b([A-Z][A-Za-z]+|[A-Z]{2,}[a-z]?)\b", info.text) if w.lower() not in _QWORDS]
        unknown_proper = 0.0
        for w in proper:
            toks = tokenize(w)
            if toks and all(self.idf.get(t, 0.0) == 0.0 and not info.alts.get(t) for t in toks):
                unknown_proper = 1.0
        label_precision = self._label_precision(info, best)
        year_uncovered = 0.0
        years = self._reporting_years(info)
        if (
            years
            and not any(set(years) & set(r.years_covered) for r in self.reports.values())
            and not any(str(y) in best.quote_text for y in years)
        ):
            year_uncovered = 1.0  # a year no report covers, and the quote does not mention it either
        return {
            "dense": best.dense,
            "coverage": best.coverage,
            # most of the question's key terms absent: the quote is likely about something else
            "low_coverage": max(0.0, 0.5 - best.coverage) / 0.5,
            # a figure asked for, and the quote holds none of the asked kind (no % for a percentage)
            "type_mismatch": 1.0 if info.wants_number and best.type_fit <= 0.2 else 0.0,
            "key_missing": key_missing,
            "unknown_frac": unknown_frac,
            "unknown_proper": unknown_proper,
            "type_fit": max(best.type_fit, -0.6),
            "year_uncovered": year_uncovered,
            "year_miss": 1.0 if years and best.year_fit < 0.8 else 0.0,
            "label_mismatch": 1.0 if best.chunk.kind in ("table_row", "kpi") and label_precision < 0.4 else 0.0,
            "cell_empty": 1.0 if best.column is not None and best.answer is not None and not any(
                ch.isalnum() for ch in best.answer.text) else 0.0,
            "hit_score": best.hit_score,
            "label_precision": label_precision,
            "no_extract": 1.0 if info.wants_number and best.answer is None else 0.0,
        }

    def _logit(self, f: dict[str, float]) -> float:
        """The answerability score: a logistic model over the features (fitted on the dev split)."""
        w = self.options.confidence_weights or DEFAULT_CONFIDENCE
        return w.get("bias", 0.0) + sum(w.get(k, 0.0) * v for k, v in f.items())

    def _calibrated(self, z: float) -> float:
        """P(the answer is right), Platt-scaled on the dev split."""
        a, b = self.options.platt
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, a * z + b))))

    # ------------------------------------------------------------------ output
    def _quote(self, c: Candidate, with_highlight: bool) -> Quote:
        report = self.reports[c.chunk.report_id]
        highlight = [c.answer.start, c.answer.end] if (with_highlight and c.answer is not None) else None
        ctx = c.chunk.context or None
        return Quote(
            text=c.quote_text,
            highlight=highlight,
            score=round(float(c.score), 4),
            kind=c.chunk.kind,
            context=ctx,
            citation=Citation(
                report_id=report.id, title=report.title, year=report.year, section=c.chunk.section,
                page=c.chunk.page, source=c.chunk.source, start=c.unit.start, end=c.unit.end,
            ),
        )


def _map_span(raw: str, shown: str, start: int, end: int) -> Span | None:
    """Map [start, end) in the raw unit text to the same characters in `quote_text(raw)`."""
    target = raw[start:end]
    prefix = quote_text(raw[:start] + "\x00")[:-1] if start else ""
    guess = len(prefix)
    for off in (guess, guess - 1, guess + 1):
        if off >= 0 and shown[off : off + len(target)] == target:
            return Span(off, off + len(target), target)
    pos = shown.find(target)
    return Span(pos, pos + len(target), target) if pos >= 0 else None


def idf_table(chunks: list[Chunk]) -> dict[str, float]:
    """Inverse document frequency of every token over the chunk texts (with their context)."""
    df: dict[str, int] = {}
    for c in chunks:
        for t in set(tokenize(f"{c.section} {c.context} {c.text}")):
            df[t] = df.get(t, 0) + 1
    n = len(chunks) or 1
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

