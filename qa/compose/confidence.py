"""Confidence: the probability that quotes[0] answers the question, from evidence about the best
candidate and the ranker's scores; the service abstains below one threshold on it."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.compose.candidate import Candidate
from qa.compose.cues import (
    asks_target,
    header_year_absent,
    prose_about_another_year,
    states_target,
    unit_clash,
    variant_clash,
)
from qa.compose.extract import empty_cell, header_years
from qa.compose.question import QuestionInfo
from qa.compose.signals import TermSignals, token_set
from qa.compose.span import SpanExtractor
from qa.lexical import tokenize
from qa.models import ReportInfo

MODEL_DIR = Path(__file__).with_name("model")
_QWORDS = frozenset(
    "what which who whom whose when where why how is are was were does do did has have had can could will would "
    "should list name give show tell in by for of the a an and or".split()
)
_PROPER = re.compile(r"\b([A-Z][A-Za-z]+|[A-Z]{2,}[a-z]?)\b")
# prior weights (the first composer's), used when no fitted model is present
DEFAULT_WEIGHTS: dict[str, float] = {
    "bias": -2.0, "dense": 2.5, "coverage": 2.5, "key_missing": -1.2, "unknown_frac": -4.0, "unknown_proper": -3.0,
    "unknown_head": -3.0, "type_fit": 0.8, "year_uncovered": -6.0, "year_miss": -2.0, "hit_score": 0.5, "label_precision": 0.3,
    "no_extract": -0.8, "label_mismatch": -1.5, "cell_empty": -4.0, "low_coverage": -2.0, "type_mismatch": -1.0,
}


@dataclass(frozen=True)
class ConfidenceModel:
    """confidence = sigmoid(a * (bias + w·features) + b); answer when confidence >= threshold."""

    weights: dict[str, float]
    platt: tuple[float, float] = (1.0, 0.0)
    threshold: float = 0.5
    info: dict[str, object] = field(default_factory=dict)

    def logit(self, f: dict[str, float]) -> float:
        w = self.weights
        return w.get("bias", 0.0) + sum(w.get(k, 0.0) * v for k, v in f.items())

    def confidence(self, f: dict[str, float]) -> float:
        a, b = self.platt
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, a * self.logit(f) + b))))


def load_confidence_model(name: str = "confidence.json", model_dir: Path = MODEL_DIR) -> ConfidenceModel:
    """A fitted model (`threshold` on the confidence, or the older `decision_logit`), else the priors."""
    try:
        data = json.loads((model_dir / name).read_text(encoding="utf-8"))
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        platt = (float(data["platt"][0]), float(data["platt"][1])) if "platt" in data else (1.0, 0.0)
        if "threshold" in data:
            threshold = float(data["threshold"])
        else:  # answer when the logit reaches decision_logit: the same as a threshold on the confidence
            z = float(data["decision_logit"])
            threshold = 1.0 / (1.0 + math.exp(-(platt[0] * z + platt[1])))
        return ConfidenceModel(weights, platt, threshold, {k: v for k, v in data.items() if k not in ("weights",)})
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return ConfidenceModel(dict(DEFAULT_WEIGHTS), (1.0, 0.0), 0.5)


class Evidence:
    """`features(info, best, scores) -> dict`: what speaks for and against quotes[0] answering."""

    def __init__(
        self, signals: TermSignals, extractor: SpanExtractor, reports: dict[str, ReportInfo],
        company_vocabulary: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self.signals = signals
        self.extractor = extractor
        self.reports = reports
        self.vocabulary = company_vocabulary or {}  # company -> every token its reports use

    def features(
        self, info: QuestionInfo, best: Candidate, scores: Sequence[float] = (), ignore: frozenset[str] = frozenset()
    ) -> dict[str, float]:
        idf = self.signals.idf
        tw = self.signals.term_weight
        weights = {t: w for t in info.terms if (w := tw(info, t)) > 0}  # the known terms and their weights
        known = list(weights)
        total = sum(weights.values())
        unknown_frac = (len(info.terms) - len(known)) / len(info.terms) if info.terms else 1.0
        body = token_set(best.quote_text) | token_set(f"{best.chunk.section} {best.chunk.context}")
        # the question's terms the quote (with its context) lacks: their share of the weight, and the
        # weight of the rarest one relative to the question's rarest term ("Europe" in "turnover in Europe")
        missing = [t for t in known if t not in body and not (info.alts.get(t, frozenset()) & body)]
        top_w = max(weights.values(), default=0.0)
        missing_share = sum(weights[t] for t in missing) / total if known else 0.0
        missing_max = max((weights[t] for t in missing), default=0.0) / top_w if top_w else 0.0
        key_missing = float(bool(known) and max(known, key=lambda t: idf.get(t, 0.0)) in missing)
        proper = [w for w in _PROPER.findall(info.text) if w.lower() not in _QWORDS and w.lower() not in ignore]
        unknown_proper = 0.0
        for w in proper:
            toks = tokenize(w)
            if toks and all(idf.get(t, 0.0) == 0.0 and not info.alts.get(t) for t in toks):
                unknown_proper = 1.0
        # the thing asked about ("the name of the office cat") is a word no report uses; not judged for a
        # yes/no question, whose guessed head is often a verb or an adjective ("… available around the clock?")
        head = info.head or ""  # already a BM25 token
        unknown_head = float(info.qtype != "yes_no" and bool(head) and idf.get(head, 0.0) == 0.0
                             and not info.alts.get(head))
        report = self.reports.get(best.chunk.report_id)
        years = self.extractor.reporting_years(info, report)
        company = report.company if report else None
        covered = {y for r in self.reports.values() if r.company == company for y in r.years_covered}
        # the year is given when the company's reports cover it, the quote names it, or the quoted table
        # row has a column for it
        year_uncovered = 1.0 if years and not set(years) & (covered | header_years(best.chunk.header)) and not any(
            str(y) in best.quote_text for y in years) else 0.0
        # key terms the answering company's own reports never use (another company's may)
        vocab = self.vocabulary.get(company or "", frozenset())
        absent = sum(w for t, w in weights.items() if t not in vocab and not (info.alts.get(t, frozenset()) & vocab))
        company_unknown = absent / total if (total and vocab) else 0.0
        year_miss = bool(years) and best.year_fit < 0.8
        ordered = sorted(scores, reverse=True)
        margin = ordered[0] - ordered[1] if len(ordered) > 1 else 1.0
        return {
            "dense": best.dense,
            "coverage": best.coverage,
            "lead_coverage": best.lead_coverage,
            "low_coverage": max(0.0, 0.5 - best.coverage) / 0.5,
            "type_mismatch": 1.0 if info.wants_number and best.type_fit <= 0.2 else 0.0,
            "key_missing": key_missing,
            "unknown_frac": unknown_frac,
            "unknown_proper": unknown_proper,
            "unknown_head": unknown_head,
            "type_fit": max(best.type_fit, -0.6),
            "year_uncovered": year_uncovered,
            "year_miss": float(year_miss),
            "prose_year_miss": prose_about_another_year(best, year_miss),
            "label_mismatch": 1.0 if best.chunk.kind in ("table_row", "kpi") and best.label_precision < 0.4 else 0.0,
            "cell_empty": 1.0 if best.column is not None and best.answer is not None and empty_cell(
                best.answer.text) else 0.0,
            "hit_score": best.hit_score,
            "label_precision": best.label_precision,
            "no_extract": 1.0 if info.wants_number and best.answer is None else 0.0,
            "company_unknown": company_unknown,
            "rank_score": ordered[0] if ordered else 0.0,
            "rank_margin": min(margin, 5.0),
            # set by the span picker: the highlighted span's own clause names the question's terms
            "span_clause": best.extra.get("span_clause", 0.0),
            "span_margin": best.extra.get("span_margin", 0.0),
            "span_gap": best.extra.get("span_gap", 0.0),
            "span_year_other": best.extra.get("span_year_other", 0.0),
            # a table row without a column for the asked year; units of another kind; a target, not asked
            "header_year_absent": header_year_absent(info, best),
            "unit_clash": unit_clash(info, best.quote_text),
            "missing_share": missing_share,
            "missing_max": missing_max,
            "target_unasked": float(states_target(best.quote_text) and not asks_target(info)),
            # another variant quoted than the asked one (`market-based` for `location-based`, `Scope 1` for `Scope 3`)
            "variant_clash": variant_clash(info.text, best.quote_text),
        }
