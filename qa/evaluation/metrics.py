"""The eval metrics of GUIDE.md, as pure functions over `EvalItem` and `Prediction`.

Normalisation (`normalize`): Unicode NFKC, lower-case, commas between digits removed, whitespace
collapsed. Text is then split into tokens (`tokenize`): numbers (`31347.06`, `2.5`), words (runs of
letters/digits/underscore) and single punctuation characters. A text *holds* a gold answer when the
answer's tokens occur in it as a contiguous token sequence, so "12" never matches inside "125",
"1.25" or "12.5", and "1,406,874" matches "1406874" but not "14068745".

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
  file `root / citation.source`; `verbatim_text` is the looser check that the collapsed text occurs
  anywhere in that source. 100% when there are no quotes.
- **R@k / MRR**: answerable questions where a retrieved passage among the top k (of
  `search(question, k=20)`) holds a gold answer by the same `holds` rule; MRR is the mean of
  1/rank (0 when none of the 20 holds), reported on a 0-1 scale.
- **latency**: p50/p95 (linear interpolation) of the wall time of `ask`, in ms.
- **reliability**: a question is *correct* when it is answerable and quotes[0] holds a gold
  answer (confidence means "the top quote answers the question"; an unanswerable question is
  never correct, so its confidence should be low). Questions are bucketed by `confidence` into
  [0,0.2), [0.2,0.4), [0.4,0.6), [0.6,0.8), [0.8,1.0]; each bucket reports its accuracy;
  `ece` is the expected calibration error (bucket-size-weighted |accuracy - mean confidence|).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qa.evaluation.dataset import EvalItem, Prediction
from qa.models import Quote
from qa.text import collapse_ws

EVIDENCE_TYPES = frozenset({"yes_no", "list", "definition"})
EVIDENCE_COVERAGE = 0.60
STRICT_MAX_WORDS = 80
RETRIEVAL_KS = (1, 5, 20)
RETRIEVAL_DEPTH = 20
CONFIDENCE_BUCKETS: tuple[tuple[float, float], ...] = ((0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0))

_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d)")
_TOKEN = re.compile(r"\d+(?:\.\d+)*|\w+|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


# ---------------------------------------------------------------- text matching


def normalize(text: str) -> str:
    """NFKC, lower-case, drop commas between digits, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGIT_COMMA.sub("", text)
    return " ".join(text.split())


def tokenize(text: str) -> list[str]:
    """Tokens of the normalised text: numbers, words, single punctuation marks."""
    return _TOKEN.findall(normalize(text))


def _contains_seq(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    if n == 0 or n > len(haystack):
        return False
    first = needle[0]
    for i in range(len(haystack) - n + 1):
        if haystack[i] == first and list(haystack[i : i + n]) == list(needle):
            return True
    return False


def contains_answer(text: str, answer: str) -> bool:
    """True when `answer` occurs in `text` as a whole token sequence (after normalisation)."""
    return _contains_seq(tokenize(text), tokenize(answer))


def evidence_coverage(text: str, evidence: str) -> float:
    """Share of the evidence's words (with multiplicity) that also occur in `text`."""
    ev = Counter(_WORD.findall(normalize(evidence)))
    total = sum(ev.values())
    if total == 0:
        return 0.0
    got = Counter(_WORD.findall(normalize(text)))
    return sum((ev & got).values()) / total


def holds(text: str, item: EvalItem) -> bool:
    """Whether a quote (or passage) text holds a gold answer of `item` (see module docstring)."""
    tokens = tokenize(text)
    if any(_contains_seq(tokens, tokenize(a)) for a in item.answers):
        return True
    if item.type in EVIDENCE_TYPES and item.answers:
        return any(evidence_coverage(text, ev) >= EVIDENCE_COVERAGE for ev in item.evidence)
    return False


def word_count(text: str) -> int:
    return len(text.split())


def holds_every_report(quote_texts: Sequence[str], item: EvalItem) -> bool:
    """both@3 for one cross_report question, given its first three quote texts."""
    if not item.answers:
        return False
    quote_tokens = [tokenize(t) for t in quote_texts]

    def held(answer: str) -> bool:
        a = tokenize(answer)
        return any(_contains_seq(q, a) for q in quote_tokens)

    if not item.evidence:
        return all(held(a) for a in item.answers)
    for ev in item.evidence:
        values = [a for a in item.answers if contains_answer(ev, a)]
        if values:
            if not any(held(a) for a in values):
                return False
        elif not any(evidence_coverage(t, ev) >= EVIDENCE_COVERAGE for t in quote_texts):
            return False
    return True


# ---------------------------------------------------------------- verbatim


@dataclass(frozen=True)
class VerbatimCheck:
    ok: bool  # offsets point at the quote text
    text_found: bool  # the quote text occurs somewhere in the source
    reason: str | None = None


class SourceCache:
    """Reads report sources (repo-relative paths resolved against `root`) once each."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._text: dict[str, str | None] = {}
        self._collapsed: dict[str, str] = {}

    def text(self, source: str) -> str | None:
        if source not in self._text:
            path = Path(source)
            if not path.is_absolute():
                path = self.root / path
            try:
                self._text[source] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
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

    @property
    def failed(self) -> bool:
        """Worth listing in the report: a wrong answer, a wrong abstention or a non-verbatim quote."""
        bad_verbatim = self.verbatim_ok < self.n_quotes
        if not self.answerable:
            return self.answered or bad_verbatim
        return not self.a1 or not self.answered or bad_verbatim or self.both3 is False


def score(item: EvalItem, prediction: Prediction, sources: SourceCache) -> QuestionResult:
    """Score one prediction against its eval item."""
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
    "both@3": True,
    "abstain": True,
    "false_abst": False,
    "verbatim": True,
    "R@1": True,
    "R@5": True,
    "R@20": True,
    "MRR": True,
}
MRR_SCALE = 100.0  # MRR (0-1) is compared in points after scaling by this


@dataclass(frozen=True)
class MetricSet:
    """The metrics over one group of questions (all, one type, one report)."""

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

    def as_dict(self) -> dict[str, Any]:
        """JSON keys as named in GUIDE.md."""
        return {
            "n": self.n,
            "n_answerable": self.n_answerable,
            "n_unanswerable": self.n_unanswerable,
            "n_cross_report": self.n_cross_report,
            "A@1": self.a1,
            "A@1strict": self.a1_strict,
            "A@3": self.a3,
            "A@1_answered": self.a1_answered,
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

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.extra,
            "overall": self.overall.as_dict(),
            "by_type": {k: v.as_dict() for k, v in self.by_type.items()},
            "by_report": {k: v.as_dict() for k, v in self.by_report.items()},
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
    )


def score_all(
    items: Sequence[EvalItem], predictions: Sequence[Prediction], sources: SourceCache
) -> list[QuestionResult]:
    """Score predictions, matched to items by id (every item needs a prediction)."""
    by_id = {p.id: p for p in predictions}
    missing = [it.id for it in items if it.id not in by_id]
    if missing:
        raise ValueError(f"no prediction for {len(missing)} question(s): {', '.join(missing[:5])}")
    return [score(it, by_id[it.id], sources) for it in items]


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
    """Problems that should fail a release: A@1 or abstain more than `max_drop_points` below the
    baseline, or verbatim below 100%. An empty list means the gate passes."""
    cur = overall_of(metrics)
    problems: list[str] = []
    verbatim = cur.get("verbatim")
    if verbatim is None or float(verbatim) < 100.0:
        problems.append(f"verbatim is {verbatim}%, must be 100%")
    if baseline is not None:
        base = overall_of(baseline)
        for name in ("A@1", "abstain"):
            c, b = cur.get(name), base.get(name)
            if c is None or b is None:
                continue
            if float(b) - float(c) > max_drop_points:
                problems.append(
                    f"{name} dropped {float(b) - float(c):.2f} points ({b} -> {c}), more than {max_drop_points}"
                )
    return problems
