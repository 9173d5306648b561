"""Runs an eval set through a service (or any ask/search callables) and writes the run's artifacts.

`evaluate_service` evaluates an already-loaded service in-process and writes nothing (for training
scripts: one fold, one call); `run_eval` is the entry point of `esgqa eval` and also writes the
run directory; `run_ablation` runs the same set under several
named configurations (`EvalConfig`: a name, an `ask` callable and a `search` callable) and returns
one comparison table. `default_ablation_configs` builds the usual ones from a service: the three
search modes plus any named service-keyword variants the service's `ask` accepts.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.evaluation.dataset import EvalItem, EvalSetError, Prediction
from qa.evaluation.metrics import (
    RETRIEVAL_DEPTH,
    EvalMetrics,
    QuestionResult,
    check_gate,
    compare,
    compute_metrics,
)
from qa.models import Answer, Hit, ReportInfo, SearchMode

logger = logging.getLogger(__name__)

AskFn = Callable[[str], Answer]
SearchFn = Callable[[str, int], list[Hit]]
MODES: tuple[SearchMode, ...] = ("dense", "bm25", "hybrid")
METRICS_FILE = "metrics.json"


@dataclass(frozen=True)
class EvalConfig:
    """One way of answering: `ask(question) -> Answer`, `search(question, k) -> list[Hit]`."""

    name: str
    ask: AskFn
    search: SearchFn | None = None
    info: Mapping[str, Any] = field(default_factory=dict)


def _accepts(fn: Callable[..., Any], names: Sequence[str]) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return True
    return all(n in params for n in names)


def service_config(
    service: Any, mode: SearchMode | None = "hybrid", name: str | None = None, **ask_kwargs: Any
) -> EvalConfig:
    """An `EvalConfig` calling `service.ask(question, mode=mode, **ask_kwargs)` and
    `service.search(question, k=k, mode=mode)`. `mode=None` leaves the service's default."""
    kwargs = dict(ask_kwargs)
    if mode is not None:
        if _accepts(service.ask, ["mode"]):
            kwargs["mode"] = mode
        else:
            logger.warning("service.ask takes no 'mode'; answers use the service's default mode")
    if kwargs and not _accepts(service.ask, list(kwargs)):
        raise TypeError(f"service.ask does not accept {sorted(kwargs)}")

    def ask(question: str) -> Answer:
        return service.ask(question, **kwargs)

    def search(question: str, k: int) -> list[Hit]:
        if mode is None:
            return service.search(question, k=k)
        return service.search(question, k=k, mode=mode)

    info: dict[str, Any] = {"mode": mode, **{k: v for k, v in ask_kwargs.items()}}
    build_id = getattr(service, "build_id", None)
    if build_id is not None:
        info["build_id"] = str(build_id)
    return EvalConfig(name=name or (mode or "default"), ask=ask, search=search, info=info)


def default_ablation_configs(
    service: Any,
    modes: Sequence[SearchMode] = MODES,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
    variant_mode: SearchMode = "hybrid",
) -> list[EvalConfig]:
    """One config per search mode, then one per named variant of service keywords
    (e.g. ``{"no-year-awareness": {"year_awareness": False}}``), run in `variant_mode`.
    Variants whose keywords the service's `ask` does not accept are skipped with a warning."""
    configs = [service_config(service, m) for m in modes]
    for name, kwargs in (variants or {}).items():
        if not _accepts(service.ask, list(kwargs)):
            logger.warning("skipping ablation variant %s: service.ask does not accept %s", name, sorted(kwargs))
            continue
        configs.append(service_config(service, variant_mode, name=name, **kwargs))
    return configs


# ---------------------------------------------------------------- predicting


def _progress(items: Sequence[EvalItem], enabled: bool, desc: str) -> Any:
    if not enabled:
        return items
    import sys

    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="q", file=sys.stderr, leave=False)


def predict(items: Sequence[EvalItem], config: EvalConfig, progress: bool = True) -> list[Prediction]:
    """Ask every question (timing `ask` alone), then retrieve the top passages of answerable ones."""
    predictions = []
    for item in _progress(items, progress, f"eval {config.name}"):
        error: str | None = None
        answer: Answer | None = None
        t0 = time.perf_counter()
        try:
            answer = config.ask(item.question)
        except QAError as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.warning("question %s refused: %s", item.id, error)
        latency_ms = (time.perf_counter() - t0) * 1000.0
        texts: list[str] = []
        ids: list[str] = []
        done = False
        if item.answerable and config.search is not None:
            try:
                hits = config.search(item.question, RETRIEVAL_DEPTH)
                texts = [h.chunk.text for h in hits[:RETRIEVAL_DEPTH]]
                ids = [h.chunk.id for h in hits[:RETRIEVAL_DEPTH]]
                done = True
            except QAError as exc:
                logger.warning("search for %s failed: %s", item.id, exc)
                done = True  # counts as retrieving nothing
        predictions.append(
            Prediction(id=item.id, answer=answer, latency_ms=latency_ms, error=error,
                       retrieved=texts, retrieved_ids=ids, retrieval_done=done)
        )
    return predictions


def evaluate(
    items: Sequence[EvalItem],
    config: EvalConfig,
    root: Path,
    progress: bool = True,
    extra: Mapping[str, Any] | None = None,
    reports: Sequence[ReportInfo] = (),
) -> tuple[EvalMetrics, list[Prediction], list[QuestionResult]]:
    """Predict and score, without writing anything. `root`: where citation sources are read;
    `reports`: the manifest's reports (companies of questions and quotes)."""
    if not items:
        raise EvalSetError("no questions to evaluate (check the files, --split and --limit).")
    predictions = predict(items, config, progress=progress)
    info = {"config": config.name, **dict(config.info), **dict(extra or {})}
    metrics, results = compute_metrics(items, predictions, reports, Path(root), extra=info)
    return metrics, predictions, results


def service_reports(service: Any) -> list[ReportInfo]:
    """The reports a service answers from (`service.reports()`), or none when it cannot say."""
    reports = getattr(service, "reports", None)
    if not callable(reports):
        return []
    return [r for r in reports() if isinstance(r, ReportInfo)]


def service_root(service: Any) -> Path | None:
    """The root that a service's citation sources are relative to (`service.settings.root`)."""
    root = getattr(getattr(service, "settings", None), "root", None)
    return Path(root) if root is not None else None


@dataclass
class EvalResult:
    """The outcome of `evaluate_service`: metrics plus what they were computed from."""

    metrics: EvalMetrics
    items: list[EvalItem]
    predictions: list[Prediction]
    results: list[QuestionResult]

    def as_dict(self) -> dict[str, Any]:
        return self.metrics.as_dict()


def evaluate_service(
    service: Any,
    items: Sequence[EvalItem],
    *,
    mode: SearchMode | None = "hybrid",
    root: Path | None = None,
    reports: Sequence[ReportInfo] | None = None,
    retrieval: bool = True,
    progress: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> EvalResult:
    """Evaluate an already-loaded service (e.g. a `QAService` with a candidate ranker) on `items`,
    in-process, writing nothing. `root` (where citation sources are read) and `reports` (the
    manifest's, for companies) default to the service's own; `retrieval=False` skips R@k."""
    cfg = service_config(service, mode)
    if not retrieval:
        cfg = EvalConfig(name=cfg.name, ask=cfg.ask, search=None, info=cfg.info)
    src_root = root or service_root(service)
    if src_root is None:
        raise ValueError("evaluate_service needs root= for a service without settings.root")
    reps = service_reports(service) if reports is None else list(reports)
    metrics, predictions, results = evaluate(items, cfg, src_root, progress=progress, extra=extra, reports=reps)
    return EvalResult(metrics=metrics, items=list(items), predictions=predictions, results=results)


# ---------------------------------------------------------------- runs on disk


def timestamp(now: datetime | None = None) -> str:
    """UTC run stamp such as 20261122T051500Z."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def _new_run_dir(out_dir: Path, stamp: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    candidate, n = out_dir / stamp, 1
    while candidate.exists():
        candidate = out_dir / f"{stamp}-{n}"
        n += 1
    candidate.mkdir()
    return candidate


_RUN_NAME = re.compile(r"(\d{8}T\d{6}Z)(?:-(\d+))?")


def previous_run(out_dir: Path, exclude: Path | None = None) -> Path | None:
    """The newest run directory under `out_dir` (by name, i.e. by timestamp) holding metrics.json."""
    if not out_dir.is_dir():
        return None
    runs = []
    for d in out_dir.iterdir():
        m = _RUN_NAME.fullmatch(d.name)
        if m is None or not (d / METRICS_FILE).is_file():
            continue
        if exclude is not None and d.resolve() == exclude.resolve():
            continue
        runs.append(((m.group(1), int(m.group(2) or 0)), d))
    return max(runs)[1] if runs else None


def load_baseline(path: Path) -> dict[str, Any]:
    """A baseline metrics object: a metrics.json file or a run directory holding one."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise EvalSetError(f"{path}: baseline metrics file not found.") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise EvalSetError(f"{path}: cannot read baseline metrics ({exc}).") from exc
    if not isinstance(data, dict):
        raise EvalSetError(f"{path}: baseline metrics must be a JSON object.")
    return data


@dataclass
class EvalRun:
    """The outcome of `run_eval`."""

    run_dir: Path
    metrics: EvalMetrics
    items: list[EvalItem]
    predictions: list[Prediction]
    results: list[QuestionResult]
    baseline: dict[str, Any] | None = None
    baseline_source: str | None = None
    comparison: list[dict[str, Any]] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    gate_problems: list[str] = field(default_factory=list)

    @property
    def artifacts(self) -> list[Path]:
        return sorted(p for p in self.run_dir.iterdir() if p.is_file())

    def metrics_dict(self) -> dict[str, Any]:
        """The object written to metrics.json."""
        data = self.metrics.as_dict()
        data["baseline"] = self.baseline_source
        data["regressions"] = self.regressions
        data["gate_problems"] = self.gate_problems
        return data


def run_eval(
    service: Any,
    items: Sequence[EvalItem],
    *,
    mode: SearchMode | None = "hybrid",
    root: Path,
    out_dir: Path,
    baseline_path: Path | None = None,
    predictions_out: Path | None = None,
    progress: bool = True,
    config: EvalConfig | None = None,
    max_drop_points: float = 2.0,
    reports: Sequence[ReportInfo] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> EvalRun:
    """Evaluate `service` (or `config`, when given) on `items` and write `out_dir/<timestamp>/`:
    metrics.json, report.md, predictions.jsonl and the PNG plots. Citation sources are read under
    `root`; `reports` (default: the service's) attribute questions and quotes to companies.
    Compares against `baseline_path` or else the newest earlier run in `out_dir`; drops >
    `max_drop_points` are regressions."""
    from qa.evaluation.report import write_artifacts, write_predictions

    cfg = config or service_config(service, mode)
    started = datetime.now(UTC)
    info = {"started": started.isoformat(timespec="seconds"), "n_items": len(items), **dict(extra or {})}
    reps = service_reports(service) if reports is None else list(reports)
    metrics, predictions, results = evaluate(items, cfg, Path(root), progress=progress, extra=info, reports=reps)

    out_dir = Path(out_dir)
    baseline: dict[str, Any] | None = None
    baseline_source: str | None = None
    if baseline_path is not None:
        baseline = load_baseline(baseline_path)
        baseline_source = str(baseline_path)
    else:
        prev = previous_run(out_dir)
        if prev is not None:
            try:
                baseline = load_baseline(prev)
                baseline_source = str(prev / METRICS_FILE)
            except EvalSetError as exc:
                logger.warning("ignoring previous run %s: %s", prev, exc)

    run_dir = _new_run_dir(out_dir, timestamp(started))
    run = EvalRun(run_dir=run_dir, metrics=metrics, items=list(items), predictions=predictions,
                  results=results, baseline=baseline, baseline_source=baseline_source)
    if baseline is not None:
        run.comparison = compare(metrics, baseline, max_drop_points)
        run.regressions = [
            f"{r['metric']}: {r['current']} vs {r['baseline']} ({r['delta_points']:+.2f} points)"
            for r in run.comparison if r["regression"]
        ]
    run.gate_problems = check_gate(metrics, baseline, max_drop_points)
    write_artifacts(run)
    if predictions_out is not None:
        write_predictions(Path(predictions_out), predictions)
    logger.info("eval run written to %s", run_dir)
    return run


# ---------------------------------------------------------------- ablation


@dataclass
class AblationResult:
    rows: list[tuple[str, EvalMetrics]]
    table: str  # Markdown
    out_path: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: m.as_dict() for name, m in self.rows}


ABLATION_COLUMNS = ("A@1", "A@1strict", "A@3", "span@1", "both@3", "abstain", "false_abst", "verbatim",
                    "R@1", "R@5", "R@20", "MRR", "latency_p50_ms", "latency_p95_ms")


def ablation_table(rows: Sequence[tuple[str, EvalMetrics]]) -> str:
    """One Markdown table: a row per configuration, a column per metric."""
    from qa.evaluation.report import fmt

    head = "| config | " + " | ".join(ABLATION_COLUMNS) + " |"
    sep = "|---|" + "---:|" * len(ABLATION_COLUMNS)
    lines = [head, sep]
    for name, m in rows:
        d = m.overall.as_dict()
        lines.append(f"| {name} | " + " | ".join(fmt(d.get(c)) for c in ABLATION_COLUMNS) + " |")
    return "\n".join(lines)


def run_ablation(
    configs: Sequence[EvalConfig],
    items: Sequence[EvalItem],
    *,
    root: Path,
    out_dir: Path | None = None,
    progress: bool = True,
    reports: Sequence[ReportInfo] = (),
) -> AblationResult:
    """Evaluate every configuration on the same items; with `out_dir`, also write
    `out_dir/<timestamp>-ablation/ablation.{md,json}`."""
    rows = [(cfg.name, evaluate(items, cfg, Path(root), progress=progress, reports=reports)[0]) for cfg in configs]
    result = AblationResult(rows=rows, table=ablation_table(rows))
    if out_dir is not None:
        run_dir = _new_run_dir(Path(out_dir), timestamp() + "-ablation")
        (run_dir / "ablation.md").write_text(
            f"# Ablation ({len(items)} questions)\n\n{result.table}\n", encoding="utf-8")
        (run_dir / "ablation.json").write_text(
            json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        result.out_path = run_dir
    return result
