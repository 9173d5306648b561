"""The eval metrics of GUIDE.md, as pure functions over `EvalItem`, `Prediction` and the manifest's
reports. Text matching ("holds", normalisation, span@1 matching) lives in `qa.evaluation.matching`.

Definitions (every rate is a percentage 0-100; `None` when its denominator is 0):

- **holds(quote)**: a gold answer occurs in the quote as a whole token sequence; for `yes_no`,
  `list` and `definition` questions the quote may instead cover >= 60% of the words (word tokens,
  counted with multiplicity) of one gold evidence string.
- **A@1**: answerable questions whose `quotes[0]` holds a gold answer (whether or not the service
  answered: abstentions may still show the nearest passages). **A@1strict**: the same with
  `quotes[0]` at most 80 words (whitespace-separated). **A@3**: any of the first three quotes holds.
  **A@1_answered**: answered (`answered: true`) *and* `quotes[0]` holds.
- **both@3** (cross_report questions only): the gold `evidence` holds one string per report. For
  each evidence string, the gold answers that occur in it (token match) are that report's values;
  at least one of them must be held by one of the first three quotes. An evidence string that
  contains no gold answer is satisfied by a quote among the first three covering >= 60% of its
  words. A cross_report question without evidence needs every gold answer held.
- **abstain**: unanswerable questions (`answers: []`) answered with `answered: false`.
  **false_abst**: answerable questions answered with `answered: false`. Unanswerable questions are
  excluded from A@k and R@k. A question the service refused with a `QAError` counts as not
  answered with no quotes.
- **verbatim**: quotes (of every answer, abstentions included) whose whitespace-collapsed
  `source_text[start:end]` equals the whitespace-collapsed quote text, where `source_text` is the
  text citations point into of `root / citation.source` (`qa.ingest.read_source_text`: the file
  itself for text reports, the extracted text for PDFs); `verbatim_text` is the looser check that the collapsed text occurs
  anywhere in that source. 100% when there are no quotes.
- **R@k / MRR**: answerable questions where a retrieved passage among the top k (of
  `search(question, k=20)`) holds a gold answer by the same `holds` rule; MRR is the mean of
  1/rank (0 when none of the 20 holds), reported on a 0-1 scale.
- **span@1** (numeric, table, date, entity and cross_report questions that have gold answers): the
  highlighted span (`quotes[0].text[highlight]`, the extracted `answer`) holds a gold answer, or is most of
  one; an answer with nothing highlighted (its `answer` is then the whole quote) is a miss, as in
  `qa.training.loco`: a quote that holds the figure is scored by A@1, its highlight by span@1. Its tokens are
  all tokens of that gold answer, cover >= 50% of them and include its numbers ("7,122.60" for
  "7,122.60 t"; not "t"). An abstention (no `answer`) is a miss. **table_A@1**: A@1 over table questions.
- **wrong_company**: answered questions (`answered: true`) whose `quotes[0]` comes from another
  company than the question's (a count; the target is 0). A question's company is its line's
  `company`, else its report's in the manifest (see `qa.evaluation.companies`). Every metric is
  also reported per company (`by_company`), with that company's ECE; questions on companies the
  manifest lacks share the row "(not in the corpus)".
- **latency**: p50/p95 (linear interpolation) of the wall time of `ask`, in ms.
- **reliability**: a question is *correct* when it is answerable and quotes[0] holds a gold
  answer (confidence means "the top quote answers the question"; an unanswerable question is
  never correct, so its confidence should be low). Questions are bucketed by `confidence` into
  [0,0.2), [0.2,0.4), [0.4,0.6), [0.6,0.8), [0.8,1.0]; each bucket reports its accuracy;
  `ece` is the expected calibration error (bucket-size-weighted |accuracy - mean confidence|).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.evaluation.companies import UNKNOWN_COMPANY, CompanyIndex
from qa.evaluation.dataset import EvalItem, Prediction
from qa.evaluation.matching import SPAN_TYPES, holds_every_report, span_holds, word_count
from qa.evaluation.matching import contains_answer as contains_answer  # re-exported
from qa.evaluation.matching import evidence_coverage as evidence_coverage  # re-exported
from qa.evaluation.matching import holds as holds  # re-exported
from qa.evaluation.matching import normalize as normalize  # re-exported
from qa.models import Quote, ReportInfo
from qa.text import collapse_ws

logger = logging.getLogger(__name__)

STRICT_MAX_WORDS = 80
RETRIEVAL_KS = (1, 5, 20)
RETRIEVAL_DEPTH = 20
CONFIDENCE_BUCKETS: tuple[tuple[float, float], ...] = ((0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0))

# ---------------------------------------------------------------- verbatim


@dataclass(frozen=True)
class VerbatimCheck:
    ok: bool  # offsets point at the quote text
    text_found: bool  # the quote text occurs somewhere in the source
    reason: str | None = None


class SourceCache:
    """Reads report sources (paths relative to `root`, the corpus root) once each, as the text that
    citation offsets point into."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._text: dict[str, str | None] = {}
        self._collapsed: dict[str, str] = {}

    def text(self, source: str) -> str | None:
        if source not in self._text:
            path = Path(source)
            if not path.is_absolute():
                path = self.root / path
            from qa.ingest import read_source_text  # local: ingest imports the PDF libraries

            try:
                self._text[source] = read_source_text(path)
            except (QAError, OSError, UnicodeDecodeError) as exc:
                logger.warning("cannot read source %s: %s", path, exc)
                self._text[source] = None
        return self._text[source]

    def collapsed(self, source: str) -> str:
        if source not in self._collapsed:
            self._collapsed[source] = collapse_ws(self.text(source) or "")
        return self._collapsed[source]


def check_verbatim(quote: Quote, sources: SourceCache) -> VerbatimCheck:
    """Whether the quote is a word-for-word span of its cited source at its cited offsets."""
    c = quote.citation
    source_text = sources.text(c.source)
    if source_text is None:
        return VerbatimCheck(False, False, f"source {c.source!r} not readable under {sources.root}")
    want = collapse_ws(quote.text)
    found = bool(want) and want in sources.collapsed(c.source)
    if not 0 <= c.start <= c.end <= len(source_text):
        return VerbatimCheck(False, found, f"offsets [{c.start}, {c.end}) outside the source")
    got = collapse_ws(source_text[c.start : c.end])
    if not want or got != want:
        return VerbatimCheck(False, found, f"source[{c.start}:{c.end}] differs from the quote text")
    return VerbatimCheck(True, True)


# ---------------------------------------------------------------- per question


@dataclass(frozen=True)
class QuestionResult:
    """How one prediction scored; aggregated into `MetricSet`s."""

    id: str
    type: str
    report: str
    answerable: bool
    answered: bool
    confidence: float
    latency_ms: float
    n_quotes: int
    hold_index: int | None  # index of the first quote among the first three that holds
    a1: bool
    a1_strict: bool
    a3: bool
    a1_answered: bool
    both3: bool | None  # None unless cross_report and answerable
    verbatim_ok: int
    verbatim_text_ok: int
    verbatim_failures: tuple[str, ...]
    retrieval_rank: int | None  # 1-based rank of the first retrieved passage that holds
    retrieval_done: bool
    correct: bool  # for the reliability table
    error: str | None = None
    company: str = UNKNOWN_COMPANY  # the company the question is about
    company_row: str = UNKNOWN_COMPANY  # its by_company row (companies the manifest lacks share one)
    span1: bool | None = None  # None unless an answerable question of a SPAN_TYPES type
    quote_company: str | None = None  # the company quotes[0] comes from (None: no quote / unknown)
    wrong_company: bool = False  # answered, and quotes[0] comes from another company

    @property
    def failed(self) -> bool:
        """Worth listing in the report: a wrong answer or span, a wrong abstention, a non-verbatim
        quote, or a quote of another company."""
        bad_verbatim = self.verbatim_ok < self.n_quotes
        if not self.answerable:
            return self.answered or bad_verbatim
        return (not self.a1 or not self.answered or bad_verbatim or self.both3 is False
                or self.span1 is False or self.wrong_company)


def highlighted(quote: Quote) -> str | None:
    """The highlighted text of a quote; None when nothing is highlighted."""
    hl = quote.highlight
    return quote.text[hl[0] : hl[1]] if hl else None


def score(
    item: EvalItem, prediction: Prediction, sources: SourceCache, companies: CompanyIndex | None = None
) -> QuestionResult:
    """Score one prediction against its eval item. `companies` (the manifest's reports) attributes
    the question and its top quote to companies; without it only an eval line's `company` is known."""
    companies = companies or CompanyIndex([])
    answer = prediction.answer
    quotes = list(answer.quotes) if answer is not None else []
    answered = bool(answer is not None and answer.answered)
    confidence = float(answer.confidence) if answer is not None else 0.0
    texts = [q.text for q in quotes]
    answerable = item.answerable

    hold_index: int | None = None
    if answerable:
        for i, t in enumerate(texts[:3]):
            if holds(t, item):
                hold_index = i
                break
    a1 = hold_index == 0
    a1_strict = a1 and word_count(texts[0]) <= STRICT_MAX_WORDS
    a3 = hold_index is not None
    both3: bool | None = None
    if item.type == "cross_report" and answerable:
        both3 = holds_every_report(texts[:3], item)

    checks = [check_verbatim(q, sources) for q in quotes]
    failures = tuple(f"quote {i}: {c.reason}" for i, c in enumerate(checks) if not c.ok)

    rank: int | None = None
    if answerable and prediction.retrieval_done:
        for i, t in enumerate(prediction.retrieved[:RETRIEVAL_DEPTH], start=1):
            if holds(t, item):
                rank = i
                break

    span1: bool | None = None
    if answerable and item.type in SPAN_TYPES:
        span1 = answered and span_holds(highlighted(quotes[0]) if quotes else None, item.answers)

    company = companies.of_item(item)
    quote_company = companies.of_quote(quotes[0]) if quotes else None
    wrong_company = (answered and company != UNKNOWN_COMPANY and quote_company is not None
                     and quote_company != company)

    a1_answered = answered and a1
    correct = answerable and a1  # confidence reads as P(quotes[0] answers the question)
    return QuestionResult(
        id=item.id,
        type=item.type,
        report=item.report_key,
        answerable=answerable,
        answered=answered,
        confidence=confidence,
        latency_ms=prediction.latency_ms,
        n_quotes=len(quotes),
        hold_index=hold_index,
        a1=a1,
        a1_strict=a1_strict,
        a3=a3,
        a1_answered=a1_answered,
        both3=both3,
        verbatim_ok=sum(c.ok for c in checks),
        verbatim_text_ok=sum(c.text_found for c in checks),
        verbatim_failures=failures,
        retrieval_rank=rank,
        retrieval_done=prediction.retrieval_done,
        correct=correct,
        error=prediction.error,
        company=company,
        company_row=companies.row_of(company),
        span1=span1,
        quote_company=quote_company,
        wrong_company=wrong_company,
    )


# ---------------------------------------------------------------- aggregates


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _pct(num: int, den: int) -> float | None:
    return None if den == 0 else round(100.0 * num / den, 2)


# metric name -> True when higher is better (used for regressions)
METRIC_DIRECTION: dict[str, bool] = {
    "A@1": True,
    "A@1strict": True,
    "A@3": True,
    "A@1_answered": True,
    "span@1": True,
    "table_A@1": True,
    "both@3": True,
    "abstain": True,
    "false_abst": False,
    "verbatim": True,
    "R@1": True,
    "R@5": True,
    "R@20": True,
    "MRR": True,
}
GATED_METRICS = ("A@1", "span@1", "abstain")  # may not drop more than max_drop_points below the baseline
MRR_SCALE = 100.0  # MRR (0-1) is compared in points after scaling by this


@dataclass(frozen=True)
class MetricSet:
    """The metrics over one group of questions (all, one type, one report, one company)."""

    n: int
    n_answerable: int
    n_unanswerable: int
    n_cross_report: int
    a1: float | None
    a1_strict: float | None
    a3: float | None
    a1_answered: float | None
    both3: float | None
    abstain: float | None
    false_abst: float | None
    verbatim: float | None
    verbatim_text: float | None
    n_quotes: int
    r1: float | None
    r5: float | None
    r20: float | None
    mrr: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    span1: float | None = None
    n_span: int = 0  # questions span@1 is computed over
    table_a1: float | None = None
    wrong_company: int = 0  # a count, not a rate
    ece: float | None = None  # expected calibration error of the group (0-1)

    def as_dict(self) -> dict[str, Any]:
        """JSON keys as named in GUIDE.md."""
        return {
            "n": self.n,
            "n_answerable": self.n_answerable,
            "n_unanswerable": self.n_unanswerable,
            "n_cross_report": self.n_cross_report,
            "n_span": self.n_span,
            "A@1": self.a1,
            "A@1strict": self.a1_strict,
            "A@3": self.a3,
            "A@1_answered": self.a1_answered,
            "span@1": self.span1,
            "table_A@1": self.table_a1,
            "both@3": self.both3,
            "abstain": self.abstain,
            "false_abst": self.false_abst,
            "verbatim": self.verbatim,
            "verbatim_text": self.verbatim_text,
            "n_quotes": self.n_quotes,
            "R@1": self.r1,
            "R@5": self.r5,
            "R@20": self.r20,
            "MRR": self.mrr,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p95_ms": self.latency_p95_ms,
            "wrong_company": self.wrong_company,
            "ECE": self.ece,
        }


def aggregate(results: Sequence[QuestionResult]) -> MetricSet:
    """Metrics over a group of scored questions."""
    ans = [r for r in results if r.answerable]
    unans = [r for r in results if not r.answerable]
    cross = [r for r in ans if r.both3 is not None]
    retr = [r for r in ans if r.retrieval_done]
    n_quotes = sum(r.n_quotes for r in results)
    lat = [r.latency_ms for r in results]

    def r_at(k: int) -> float | None:
        return _pct(sum(1 for r in retr if r.retrieval_rank is not None and r.retrieval_rank <= k), len(retr))

    spans = [r for r in ans if r.span1 is not None]
    tables = [r for r in ans if r.type == "table"]
    p50, p95 = percentile(lat, 50), percentile(lat, 95)
    return MetricSet(
        n=len(results),
        n_answerable=len(ans),
        n_unanswerable=len(unans),
        n_cross_report=len(cross),
        a1=_pct(sum(r.a1 for r in ans), len(ans)),
        a1_strict=_pct(sum(r.a1_strict for r in ans), len(ans)),
        a3=_pct(sum(r.a3 for r in ans), len(ans)),
        a1_answered=_pct(sum(r.a1_answered for r in ans), len(ans)),
        both3=_pct(sum(bool(r.both3) for r in cross), len(cross)),
        abstain=_pct(sum(not r.answered for r in unans), len(unans)),
        false_abst=_pct(sum(not r.answered for r in ans), len(ans)),
        verbatim=100.0 if n_quotes == 0 else _pct(sum(r.verbatim_ok for r in results), n_quotes),
        verbatim_text=100.0 if n_quotes == 0 else _pct(sum(r.verbatim_text_ok for r in results), n_quotes),
        n_quotes=n_quotes,
        r1=r_at(1),
        r5=r_at(5),
        r20=r_at(20),
        mrr=None if not retr else round(sum(1.0 / r.retrieval_rank for r in retr if r.retrieval_rank) / len(retr), 4),
        latency_p50_ms=None if p50 is None else round(p50, 2),
        latency_p95_ms=None if p95 is None else round(p95, 2),
        span1=_pct(sum(bool(r.span1) for r in spans), len(spans)),
        n_span=len(spans),
        table_a1=_pct(sum(r.a1 for r in tables), len(tables)),
        wrong_company=sum(r.wrong_company for r in results),
        ece=reliability(results)[1],
    )


@dataclass(frozen=True)
class ReliabilityBucket:
    lo: float
    hi: float
    n: int
    mean_confidence: float | None
    accuracy: float | None  # percentage of correct questions


def reliability(results: Sequence[QuestionResult]) -> tuple[list[ReliabilityBucket], float | None]:
    """Confidence buckets vs observed accuracy, and the expected calibration error (0-1)."""
    buckets: list[ReliabilityBucket] = []
    ece = 0.0
    for i, (lo, hi) in enumerate(CONFIDENCE_BUCKETS):
        last = i == len(CONFIDENCE_BUCKETS) - 1
        members = [r for r in results if lo <= r.confidence < hi or (last and r.confidence == hi)]
        if members:
            conf = sum(r.confidence for r in members) / len(members)
            acc = sum(r.correct for r in members) / len(members)
            ece += len(members) / len(results) * abs(acc - conf)
            buckets.append(ReliabilityBucket(lo, hi, len(members), round(conf, 4), round(100 * acc, 2)))
        else:
            buckets.append(ReliabilityBucket(lo, hi, 0, None, None))
    return buckets, (round(ece, 4) if results else None)


@dataclass(frozen=True)
class EvalMetrics:
    """Everything `metrics.json` holds."""

    overall: MetricSet
    by_type: dict[str, MetricSet]
    by_report: dict[str, MetricSet]
    reliability: list[ReliabilityBucket]
    ece: float | None
    extra: dict[str, Any] = field(default_factory=dict)  # mode, build id, timestamps, ...
    by_company: dict[str, MetricSet] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.extra,
            "overall": self.overall.as_dict(),
            "by_type": {k: v.as_dict() for k, v in self.by_type.items()},
            "by_report": {k: v.as_dict() for k, v in self.by_report.items()},
            "by_company": {k: v.as_dict() for k, v in self.by_company.items()},
            "reliability": {"buckets": [asdict(b) for b in self.reliability], "ece": self.ece},
        }


def _grouped(results: Iterable[QuestionResult], key: Callable[[QuestionResult], str]) -> dict[str, MetricSet]:
    groups: dict[str, list[QuestionResult]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return {k: aggregate(groups[k]) for k in sorted(groups)}


def summarize(results: Sequence[QuestionResult], extra: Mapping[str, Any] | None = None) -> EvalMetrics:
    buckets, ece = reliability(results)
    return EvalMetrics(
        overall=aggregate(results),
        by_type=_grouped(results, lambda r: r.type),
        by_report=_grouped(results, lambda r: r.report),
        reliability=buckets,
        ece=ece,
        extra=dict(extra or {}),
        by_company=_grouped(results, lambda r: r.company_row),
    )


def score_all(
    items: Sequence[EvalItem],
    predictions: Sequence[Prediction],
    sources: SourceCache,
    reports: Sequence[ReportInfo] = (),
) -> list[QuestionResult]:
    """Score predictions, matched to items by id (every item needs a prediction); `reports` (the
    manifest's) attribute questions and quotes to companies."""
    by_id = {p.id: p for p in predictions}
    missing = [it.id for it in items if it.id not in by_id]
    if missing:
        raise ValueError(f"no prediction for {len(missing)} question(s): {', '.join(missing[:5])}")
    companies = CompanyIndex(reports)
    unknown = sorted({it.report for it in items if it.report and it.report != "both"
                      and reports and not companies.is_known_report(it.report)})
    if unknown:
        logger.warning("eval lines name reports the manifest does not list: %s", ", ".join(unknown[:10]))
    return [score(it, by_id[it.id], sources, companies) for it in items]


def compute_metrics(
    items: Sequence[EvalItem],
    predictions: Sequence[Prediction],
    reports: Sequence[ReportInfo],
    root: Path,
    extra: Mapping[str, Any] | None = None,
    sources: SourceCache | None = None,
) -> tuple[EvalMetrics, list[QuestionResult]]:
    """The pure metric function: predictions + eval items + the manifest's reports (sources read
    under the corpus `root` for the verbatim check) -> metrics and per-question results."""
    results = score_all(items, predictions, sources or SourceCache(root), reports)
    return summarize(results, extra=extra), results


# ---------------------------------------------------------------- comparisons


def overall_of(metrics: EvalMetrics | Mapping[str, Any]) -> dict[str, Any]:
    """The overall metric dict of an `EvalMetrics`, a `metrics.json` object or a bare overall dict."""
    if isinstance(metrics, EvalMetrics):
        return metrics.overall.as_dict()
    if "overall" in metrics and isinstance(metrics["overall"], Mapping):
        return dict(metrics["overall"])
    return dict(metrics)


def _points(name: str, value: float) -> float:
    return value * MRR_SCALE if name == "MRR" else value


def compare(
    metrics: EvalMetrics | Mapping[str, Any],
    baseline: EvalMetrics | Mapping[str, Any],
    max_drop_points: float = 2.0,
) -> list[dict[str, Any]]:
    """Per-metric deltas (points) of `metrics` vs `baseline`; `regression` marks a drop > max."""
    cur, base = overall_of(metrics), overall_of(baseline)
    rows = []
    for name, higher_better in METRIC_DIRECTION.items():
        c, b = cur.get(name), base.get(name)
        if c is None or b is None:
            continue
        delta = _points(name, float(c)) - _points(name, float(b))
        worse = -delta if higher_better else delta
        rows.append({"metric": name, "current": c, "baseline": b, "delta_points": round(delta, 2),
                     "regression": worse > max_drop_points})
    return rows


def regressions(
    metrics: EvalMetrics | Mapping[str, Any],
    baseline: EvalMetrics | Mapping[str, Any],
    max_drop_points: float = 2.0,
) -> list[str]:
    """Human-readable list of the metrics that regressed by more than `max_drop_points`."""
    return [
        f"{r['metric']}: {r['current']} vs {r['baseline']} ({r['delta_points']:+.2f} points)"
        for r in compare(metrics, baseline, max_drop_points)
        if r["regression"]
    ]


def check_gate(
    metrics: EvalMetrics | Mapping[str, Any],
    baseline: EvalMetrics | Mapping[str, Any] | None,
    max_drop_points: float = 2.0,
) -> list[str]:
    """Problems that should fail a release: A@1, span@1 or abstain more than `max_drop_points` below
    the baseline (a metric the baseline lacks is not gated), or verbatim below 100%. An empty list
    means the gate passes."""
    cur = overall_of(metrics)
    problems: list[str] = []
    verbatim = cur.get("verbatim")
    if verbatim is None or float(verbatim) < 100.0:
        problems.append(f"verbatim is {verbatim}%, must be 100%")
    if baseline is not None:
        base = overall_of(baseline)
        for name in GATED_METRICS:
            c, b = cur.get(name), base.get(name)
            if c is None or b is None:
                continue
            if float(b) - float(c) > max_drop_points:
                problems.append(
                    f"{name} dropped {float(b) - float(c):.2f} points ({b} -> {c}), more than {max_drop_points}"
                )
    return problems
