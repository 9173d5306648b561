"""Generic features of a candidate quote for the answer ranker: nothing here names a company, a
report layout or a question; every feature is a signal any report and any question have."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from qa.compose.answerkind import coarse
from qa.compose.candidate import MAX_QUOTE_WORDS, Candidate
from qa.compose.cues import share_clash
from qa.compose.extract import dates, names, numbers
from qa.compose.question import QuestionInfo
from qa.compose.signals import pair_share, token_run

# the first composer's hand-set weights (a baseline ranker, and one feature of the learned one)
RULE_WEIGHTS = {"label": 0.5, "dense": 0.9, "cover": 1.1, "rank": 0.35, "type": 0.45, "year": 0.35, "phrase": 0.3, "pair": 0.25}


def rule_score(c: Candidate) -> float:
    w = RULE_WEIGHTS
    words = c.words
    pen = min(0.3, (words - MAX_QUOTE_WORDS) / 200) if words > MAX_QUOTE_WORDS else 0.0
    if words < 4 and c.chunk.kind not in ("kpi", "table_row"):
        pen += 0.25
    label = c.label_match * (0.3 if c.extra.get("negation_mismatch") else 1.0)
    return (
        w["label"] * label + w["dense"] * c.dense + w["cover"] * c.coverage + w["rank"] * c.hit_score
        + w["type"] * c.type_fit + w["year"] * c.year_fit + w["phrase"] * c.phrase - pen
        - (w["pair"] if c.origin == "pair" else 0.0)
    )


FEATURES: tuple[str, ...] = (
    "rule_score",
    # retrieval
    "dense", "chunk_dense", "chunk_bm25", "hit_score", "hit_rank_inv",
    # term match
    "coverage", "body_coverage", "label_precision", "label_match", "phrase", "negation_mismatch",
    # answer extraction
    "type_fit", "year_fit", "unit_fit", "has_answer", "has_column", "n_numbers",
    # shape of the quote
    "log_words", "over_max", "short", "kind_text", "kind_table", "kind_kpi", "kind_list",
    "origin_pair", "origin_footnote", "explains",
    # the question
    "q_number", "q_percent", "q_date", "q_entity", "q_list", "q_definition", "q_yes_no", "q_years", "q_terms",
    # relative to the question's other candidates
    "dense_gap", "coverage_gap", "hit_gap", "label_gap", "rule_gap",
    # the kind of span the question asks for (`answerkind`) against what the quote offers
    "kind_avail", "kind_lack",
    # the question's terms named by the sentences leading up to a text quote in its paragraph
    "lead_coverage", "lead_gain", "lead_coverage_gap",
    # a row of shares for a count, or of counts for a share
    "share_clash",
    # more of the candidate's signals relative to the best of the question's other candidates
    "body_coverage_gap", "label_precision_gap", "year_fit_gap", "type_fit_gap", "chunk_bm25_gap", "phrase_gap",
    # the longest run of the question's words the quote says in the same order ("return to work rate")
    "word_run", "word_run_gap",
    # the share of the question's adjacent word pairs the quote has adjacent too
    "word_pairs", "word_pairs_gap",
)
KIND_COLUMNS = (FEATURES.index("kind_avail"), FEATURES.index("kind_lack"))


def question_features(info: QuestionInfo) -> dict[str, float]:
    return {
        "q_number": float(info.wants_number),
        "q_percent": float(info.qtype == "percent"),
        "q_date": float(info.qtype == "date"),
        "q_entity": float(info.qtype == "entity"),
        "q_list": float(info.qtype == "list"),
        "q_definition": float(info.qtype == "definition"),
        "q_yes_no": float(info.qtype == "yes_no"),
        "q_years": float(min(len(info.years), 2)),
        "q_terms": float(min(len(info.terms), 8)),
    }


def candidate_features(c: Candidate, q: dict[str, float]) -> dict[str, float]:
    words = c.words
    kind = c.chunk.kind
    return {
        "rule_score": rule_score(c),
        "dense": c.dense,
        "chunk_dense": c.chunk_dense,
        "chunk_bm25": c.chunk_bm25,
        "hit_score": c.hit_score,
        "hit_rank_inv": 1.0 / max(1, c.hit_rank),
        "coverage": c.coverage,
        "body_coverage": c.body_coverage,
        "label_precision": c.label_precision,
        "label_match": c.label_match,
        "phrase": c.phrase,
        "negation_mismatch": c.extra.get("negation_mismatch", 0.0),
        "type_fit": c.type_fit,
        "year_fit": c.year_fit,
        "unit_fit": c.unit_fit,
        "has_answer": float(c.answer is not None),
        "has_column": float(c.column is not None),
        "n_numbers": float(min(len(numbers(c.quote_text)), 10)),
        "log_words": math.log1p(words),
        "over_max": float(words > MAX_QUOTE_WORDS),
        "short": float(words < 4),
        "kind_text": float(kind == "text"),
        "kind_table": float(kind == "table_row"),
        "kind_kpi": float(kind == "kpi"),
        "kind_list": float(kind == "list_item"),
        "origin_pair": float(c.origin == "pair"),
        "origin_footnote": float(c.origin == "footnote"),
        "explains": float(c.explains),
        "lead_coverage": c.lead_coverage,
        "lead_gain": c.extra.get("lead_gain", 0.0),
        **q,
    }


def quote_kinds(c: Candidate) -> tuple[bool, bool, bool]:
    """Does the quote offer a figure, a date, a name (`answerkind.coarse` order, "none" left out)?"""
    qt = c.quote_text
    return bool(numbers(qt)), bool(dates(qt)), bool(names(c.unit.text))


def kind_columns(kinds: Sequence[float], offers: Sequence[bool]) -> tuple[float, float]:
    """How likely the quote offers the kind of span asked for (a question that asks for none is always
    served), and the likeliest asked kind it lacks; a phrase asked counts as a name (`answerkind.coarse`)."""
    *spans, none = coarse(tuple(kinds))
    avail = none + sum(p for p, has in zip(spans, offers, strict=True) if has)
    lack = max((p for p, has in zip(spans, offers, strict=True) if not has), default=0.0)
    return avail, lack


# (signal, its gap feature): the candidate's value less the best value among the question's candidates
_GAPS: tuple[tuple[str, str], ...] = (
    ("dense", "dense_gap"), ("coverage", "coverage_gap"), ("hit_score", "hit_gap"), ("label_match", "label_gap"),
    ("rule_score", "rule_gap"), ("lead_coverage", "lead_coverage_gap"), ("body_coverage", "body_coverage_gap"),
    ("label_precision", "label_precision_gap"), ("year_fit", "year_fit_gap"), ("type_fit", "type_fit_gap"),
    ("chunk_bm25", "chunk_bm25_gap"), ("phrase", "phrase_gap"), ("word_run", "word_run_gap"), ("word_pairs", "word_pairs_gap"),
)


def feature_matrix(info: QuestionInfo, cands: Sequence[Candidate]) -> np.ndarray:
    """One row per candidate, columns in FEATURES order (relative features over these candidates)."""
    q = question_features(info)
    rows = [candidate_features(c, q) for c in cands]
    for r, c in zip(rows, cands, strict=True):
        r["word_run"] = float(token_run(info.text, c.quote_text))
        r["word_pairs"] = pair_share(info.text, c.quote_text)
    if rows:
        for name, gap in _GAPS:
            top = max(r[name] for r in rows)
            for r in rows:
                r[gap] = r[name] - top
    for r, c in zip(rows, cands, strict=True):
        r["kind_avail"], r["kind_lack"] = kind_columns(info.kinds, quote_kinds(c)) if info.kinds else (0.0, 0.0)
        r["share_clash"] = share_clash(info, c)
    return np.array([[r[f] for f in FEATURES] for r in rows], dtype=np.float64).reshape(len(rows), len(FEATURES))
