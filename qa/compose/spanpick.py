"""Which span of the chosen quote to highlight: every figure, date, code, name and table cell of the
quote (and "none") is an option; a small logistic model over generic features picks one. Trained by
`make train` on questions whose top quote holds the answer; the rule extractor's pick is a feature."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.compose.candidate import Candidate, map_span
from qa.compose.extract import Span, codes, column_year, dates, names, numbers, parse_number, row_cells
from qa.compose.question import QuestionInfo
from qa.lexical import tokenize

MODEL_PATH = Path(__file__).with_name("model") / "span.json"
_YEARISH = re.compile(r"^(?:FY)?(?:19|20)\d\d$")

SPAN_FEATURES: tuple[str, ...] = (
    "none", "rule_pick", "is_number", "is_date", "is_code", "is_name", "is_cell", "cell_asked_year", "cell_latest",
    "unit_fit", "is_percent", "has_unit", "near_terms", "term_overlap", "position", "digits", "yearish",
    "in_question", "long", "q_number", "q_percent", "q_date", "q_entity", "q_other", "q_defn_list_yes",
    "x_number_qnum", "x_date_qdate", "x_name_qentity", "x_percent_qpercent", "x_code_qentity", "x_none_qdefn",
)


@dataclass(frozen=True)
class SpanOption:
    span: Span | None  # in the quote text; None: highlight nothing
    kind: str  # none | number | date | code | name | cell
    unit: str = ""
    column: str | None = None


def options(c: Candidate) -> list[SpanOption]:
    qt = c.quote_text
    out: list[SpanOption] = [SpanOption(None, "none")]
    seen: set[tuple[int, int]] = set()

    def add(opt: SpanOption) -> None:
        if opt.span is not None and (opt.span.start, opt.span.end) not in seen:
            seen.add((opt.span.start, opt.span.end))
            out.append(opt)

    if c.chunk.kind == "table_row" and c.chunk.header:
        for cell in row_cells(c.unit.text, c.chunk.header):
            s = map_span(c.unit.text, qt, cell.span.start, cell.span.end)
            if s is not None:
                add(SpanOption(s, "cell", column=cell.column))
    for s, unit in numbers(qt):
        add(SpanOption(s, "number", unit=unit))
    for s in dates(qt):
        add(SpanOption(s, "date"))
    for s in codes(qt):
        add(SpanOption(s, "code"))
    for n in names(c.unit.text):
        s = map_span(c.unit.text, qt, n.start, n.end)
        if s is not None:
            add(SpanOption(s, "name"))
    return out[:40]


def option_features(info: QuestionInfo, c: Candidate, opt: SpanOption) -> list[float]:
    qt = c.quote_text
    low = qt.lower()
    qtype = info.qtype
    f = dict.fromkeys(SPAN_FEATURES, 0.0)
    f["q_number"] = float(info.wants_number)
    f["q_percent"] = float(qtype == "percent")
    f["q_date"] = float(qtype == "date")
    f["q_entity"] = float(qtype == "entity")
    f["q_other"] = float(qtype == "other")
    f["q_defn_list_yes"] = float(qtype in ("definition", "list", "yes_no"))
    if opt.span is None:
        f["none"] = 1.0
        f["rule_pick"] = float(c.answer is None)
        f["x_none_qdefn"] = f["q_defn_list_yes"]
        return [f[k] for k in SPAN_FEATURES]
    s = opt.span
    text = s.text
    f["rule_pick"] = float(c.answer is not None and (c.answer.start, c.answer.end) == (s.start, s.end))
    f[f"is_{opt.kind}"] = 1.0
    if opt.kind == "cell" and opt.column is not None:
        years = [str(y) for y in info.years]
        year = column_year(opt.column)
        f["cell_asked_year"] = float(year is not None and year in years)
        header_years = [y for h in (c.chunk.header or []) if (y := column_year(h)) is not None]
        f["cell_latest"] = float(bool(header_years) and year == max(header_years))
    unit = opt.unit or ""
    if opt.kind in ("number", "cell"):
        tail = low[s.end : s.end + 12]
        f["is_percent"] = float("%" in text or tail.lstrip().startswith(("%", "percent")))
        f["has_unit"] = float(bool(unit))
        f["unit_fit"] = float(bool(unit) and unit in info.units)
    term_pos = [m.start() for t in info.terms if len(t) > 2 for m in re.finditer(re.escape(t[:6]), low)]
    if term_pos:
        dist = min(abs(s.start - p) for p in term_pos)
        f["near_terms"] = 1.0 / (1.0 + dist / 40.0)
    window = set(tokenize(qt[max(0, s.start - 40) : s.end + 40]))
    f["term_overlap"] = len(window & set(info.terms)) / max(1, len(info.terms))
    f["position"] = s.start / max(1, len(qt))
    digits = sum(ch.isdigit() for ch in text)
    f["digits"] = min(digits, 12) / 12
    f["yearish"] = float(bool(_YEARISH.match(text.strip())))
    f["in_question"] = float(bool(set(tokenize(text)) & info.tokens) and opt.kind != "cell")
    f["long"] = float(len(text.split()) > 6)
    f["x_number_qnum"] = float(opt.kind in ("number", "cell") and info.wants_number)
    f["x_date_qdate"] = float(opt.kind == "date" and qtype == "date")
    f["x_name_qentity"] = float(opt.kind == "name" and qtype == "entity")
    f["x_percent_qpercent"] = f["is_percent"] * f["q_percent"]
    f["x_code_qentity"] = float(opt.kind == "code" and qtype == "entity")
    return [f[k] for k in SPAN_FEATURES]


class SpanPicker:
    """`pick(info, candidate)`: re-chooses the candidate's answer span with the fitted model."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.w = np.array([weights.get(k, 0.0) for k in SPAN_FEATURES])
        self.bias = weights.get("bias", 0.0)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SpanPicker | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if tuple(data["features"]) != SPAN_FEATURES:
                return None
            return cls({str(k): float(v) for k, v in data["weights"].items()})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def pick(self, info: QuestionInfo, c: Candidate) -> None:
        opts = options(c)
        X = np.array([option_features(info, c, o) for o in opts])
        scores = X @ self.w + self.bias
        best = opts[int(np.argmax(scores))]
        if best.span is None:
            c.answer = None
            return
        if c.answer is None or (c.answer.start, c.answer.end) != (best.span.start, best.span.end):
            c.answer = best.span
            c.value = parse_number(best.span.text)
            if best.kind == "cell" and best.column != c.column:
                c.column, c.note = best.column, None
