"""Writes the artifacts of an eval run: metrics.json, report.md, predictions.jsonl and PNG plots."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.evaluation.dataset import EvalItem, Prediction
from qa.evaluation.metrics import EvalMetrics, MetricSet, QuestionResult

if TYPE_CHECKING:
    from qa.evaluation.runner import EvalRun

logger = logging.getLogger(__name__)

PLOT_FILES = ("accuracy_by_type.png", "latency_hist.png", "reliability.png")
SUMMARY_COLUMNS = ("n", "A@1", "A@1strict", "A@3", "A@1_answered", "span@1", "both@3", "abstain", "false_abst",
                   "verbatim", "wrong_company", "R@1", "R@5", "R@20", "MRR", "latency_p50_ms", "latency_p95_ms")
GROUP_COLUMNS = ("n", "A@1", "A@1strict", "A@3", "span@1", "both@3", "abstain", "false_abst", "verbatim",
                 "R@5", "MRR", "latency_p50_ms")
COMPANY_COLUMNS = ("n", "A@1", "A@3", "span@1", "table_A@1", "false_abst", "abstain", "ECE", "wrong_company")
MAX_QUOTE_CHARS = 400


def fmt(value: Any) -> str:
    """A table cell: '-' for missing values, at most two decimals."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _md_escape(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def metrics_table(rows: Sequence[tuple[str, MetricSet]], columns: Sequence[str], label: str) -> str:
    lines = [f"| {label} | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for name, m in rows:
        d = m.as_dict()
        lines.append(f"| {_md_escape(name)} | " + " | ".join(fmt(d.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def reliability_table(metrics: EvalMetrics) -> str:
    lines = ["| confidence | n | mean confidence | accuracy % |", "|---|---:|---:|---:|"]
    for b in metrics.reliability:
        lines.append(f"| {b.lo:.1f}-{b.hi:.1f} | {b.n} | {fmt(b.mean_confidence)} | {fmt(b.accuracy)} |")
    return "\n".join(lines)


def comparison_table(comparison: Sequence[dict[str, Any]]) -> str:
    lines = ["| metric | current | baseline | delta (points) | |", "|---|---:|---:|---:|---|"]
    for r in comparison:
        mark = "**REGRESSION**" if r["regression"] else ""
        lines.append(f"| {r['metric']} | {fmt(r['current'])} | {fmt(r['baseline'])} | "
                     f"{r['delta_points']:+.2f} | {mark} |")
    return "\n".join(lines)


def _failure_entry(item: EvalItem, pred: Prediction, res: QuestionResult) -> str:
    expected = " / ".join(item.answers) if item.answers else "(unanswerable: should abstain)"
    lines = [f"### {item.id} ({item.type}, {item.report_key})", "",
             f"- question: {_md_escape(item.question)}",
             f"- expected: {_md_escape(expected)}"]
    why = []
    if item.answerable and not res.a1:
        why.append("quotes[0] does not hold a gold answer" + (" (A@3 holds)" if res.a3 else ""))
    if item.answerable and not res.answered:
        why.append("false abstention")
    if not item.answerable and res.answered:
        why.append("answered an unanswerable question")
    if res.span1 is False and res.answered:
        why.append("the extracted answer holds no gold answer (span@1)")
    if res.wrong_company:
        why.append(f"quotes[0] comes from {res.quote_company}, not {res.company}")
    if res.both3 is False:
        why.append("first three quotes miss a report's value (both@3)")
    why.extend(res.verbatim_failures)
    if res.error:
        why.append(f"service error: {res.error}")
    lines.append(f"- why: {'; '.join(why) or '-'}")
    ans = pred.answer
    if ans is None:
        lines.append("- returned: nothing")
    else:
        lines.append(f"- returned: answered={ans.answered}, answer={_md_escape(ans.answer or '') or '-'}, "
                     f"confidence={ans.confidence:.2f}")
        if ans.quotes:
            q = ans.quotes[0]
            text = _md_escape(q.text)
            if len(text) > MAX_QUOTE_CHARS:
                text = text[:MAX_QUOTE_CHARS] + " …"
            c = q.citation
            lines.append(f"- quote[0]: > {text}")
            lines.append(f"- citation: {c.report_id} · {_md_escape(c.section)} · page {c.page} · "
                         f"{c.source} [{c.start}:{c.end}]")
    if item.evidence:
        lines.append(f"- gold evidence: {_md_escape(item.evidence[0])[:MAX_QUOTE_CHARS]}")
    return "\n".join(lines)


def render_report(run: EvalRun) -> str:
    m = run.metrics
    info = ", ".join(f"{k}={v}" for k, v in m.extra.items() if k not in ("n_items",))
    out = [f"# Eval run {run.run_dir.name}", "", f"{info}", ""]
    if run.regressions:
        out += ["## Regressions (drop > 2 points)", ""] + [f"- **REGRESSION** {r}" for r in run.regressions] + [""]
    if run.gate_problems:
        out += ["## Gate problems", ""] + [f"- {p}" for p in run.gate_problems] + [""]
    out += ["## Summary", "", metrics_table([("all", m.overall)], SUMMARY_COLUMNS, "set"), "",
            "Rates are percentages of their questions (A@k, R@k: answerable; span@1: answerable numeric, "
            "table, date, entity and cross_report; abstain: unanswerable; both@3: cross_report; verbatim: "
            "quotes); wrong_company counts answered questions whose quotes[0] is another company's; MRR is "
            "0-1; latency of `ask` in ms.", ""]
    if run.baseline is not None:
        out += [f"## Compared with {run.baseline_source}", "", comparison_table(run.comparison), ""]
    else:
        out += ["## Compared with", "", "No earlier run or baseline.", ""]
    out += ["## By question type", "", metrics_table(list(m.by_type.items()), GROUP_COLUMNS, "type"), "",
            "## By report", "", metrics_table(list(m.by_report.items()), GROUP_COLUMNS, "report"), "",
            "## By company", "", metrics_table(list(m.by_company.items()), COMPANY_COLUMNS, "company"), "",
            "A question's company is its line's `company`, else its report's in the manifest; ECE is "
            "the company's own calibration error (0-1).", "",
            "## Reliability (confidence vs accuracy)", "",
            "Correct: the question is answerable and quotes[0] holds a gold answer (confidence is the "
            f"probability that the top quote answers). ECE = {fmt(m.ece)}.", "", reliability_table(m), "",
            "## Plots", "", *[f"![{p}]({p})" for p in PLOT_FILES], ""]
    preds = {p.id: p for p in run.predictions}
    failed = [(it, preds[it.id], r) for it, r in zip(run.items, run.results, strict=True) if r.failed]
    out += [f"## Failures ({len(failed)} of {len(run.results)})", ""]
    for it, p, r in failed:
        out += [_failure_entry(it, p, r), ""]
    return "\n".join(out)


# ---------------------------------------------------------------- plots


def write_plots(run_dir: Path, metrics: EvalMetrics, results: Sequence[QuestionResult]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    # per-type accuracy bars
    fig, ax = plt.subplots(figsize=(8, 4))
    types = list(metrics.by_type)
    a1 = [metrics.by_type[t].a1 or 0.0 for t in types]
    a3 = [metrics.by_type[t].a3 or 0.0 for t in types]
    span = [metrics.by_type[t].span1 or 0.0 for t in types]
    abst = [metrics.by_type[t].abstain or 0.0 for t in types]
    xs = range(len(types))
    width = 0.2
    ax.bar([x - 1.5 * width for x in xs], a1, width, label="A@1")
    ax.bar([x - 0.5 * width for x in xs], a3, width, label="A@3")
    ax.bar([x + 0.5 * width for x in xs], span, width, label="span@1")
    ax.bar([x + 1.5 * width for x in xs], abst, width, label="abstain")
    ax.set_xticks(list(xs), types, rotation=30, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_title("Accuracy by question type")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    paths.append(run_dir / PLOT_FILES[0])
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)

    # latency histogram
    fig, ax = plt.subplots(figsize=(6, 4))
    lat = [r.latency_ms for r in results]
    ax.hist(lat, bins=min(30, max(5, len(lat) // 2)))
    for value, name in ((metrics.overall.latency_p50_ms, "p50"), (metrics.overall.latency_p95_ms, "p95")):
        if value is not None:
            ax.axvline(value, linestyle="--", color="k")
            ax.text(value, ax.get_ylim()[1] * 0.9, f" {name}")
    ax.set_xlabel("ask latency (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    fig.tight_layout()
    paths.append(run_dir / PLOT_FILES[1])
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)

    # reliability diagram
    fig, ax = plt.subplots(figsize=(5, 5))
    centers = [(b.lo + b.hi) / 2 for b in metrics.reliability]
    accs = [(b.accuracy or 0.0) / 100 for b in metrics.reliability]
    ax.bar(centers, accs, width=0.18, edgecolor="k", label="observed accuracy")
    for c, b in zip(centers, metrics.reliability, strict=True):
        ax.text(c, 0.02, f"n={b.n}", ha="center", fontsize=8)
    ax.plot([0, 1], [0, 1], linestyle="--", color="gray", label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability (ECE {fmt(metrics.ece)})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    paths.append(run_dir / PLOT_FILES[2])
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)
    return paths


# ---------------------------------------------------------------- files


def write_predictions(path: Path, predictions: Sequence[Prediction]) -> None:
    """One JSON line per question: the answer object plus `id` and `latency_ms`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for p in predictions:
            fh.write(p.to_json_line() + "\n")


def write_artifacts(run: EvalRun) -> None:
    run.run_dir.mkdir(parents=True, exist_ok=True)
    (run.run_dir / "metrics.json").write_text(
        json.dumps(run.metrics_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_predictions(run.run_dir / "predictions.jsonl", run.predictions)
    write_plots(run.run_dir, run.metrics, run.results)
    (run.run_dir / "report.md").write_text(render_report(run), encoding="utf-8")
