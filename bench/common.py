"""Shared helpers of the benchmark scripts: timing, percentiles, memory, machine facts, result files.

Imported by `bench_retrieval.py` and `bench_ask.py` (run as `python bench/<script>.py`, so this
directory is on `sys.path`). Nothing here loads a model or an index.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "eval" / "results"
QUESTIONS = ROOT / "eval" / "questions.jsonl"
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def offline() -> None:
    """No network, no tokenizer fork warnings (set before anything imports transformers)."""
    for k, v in OFFLINE_ENV.items():
        os.environ.setdefault(k, v)


# ---------------------------------------------------------------- timing and statistics


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """`with stopwatch() as t: ...` then `t["s"]` holds the elapsed seconds."""
    box = {"s": 0.0}
    t0 = time.perf_counter()
    try:
        yield box
    finally:
        box["s"] = time.perf_counter() - t0


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation (as in qa.evaluation.metrics)."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary_ms(values_ms: Sequence[float]) -> dict[str, float | int | None]:
    """n, p50, p95, p99, mean, min, max of a list of milliseconds (rounded to 0.01 ms)."""

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 3)

    return {
        "n": len(values_ms),
        "p50": r(percentile(values_ms, 50)),
        "p95": r(percentile(values_ms, 95)),
        "p99": r(percentile(values_ms, 99)),
        "mean": r(statistics.fmean(values_ms)) if values_ms else None,
        "min": r(min(values_ms)) if values_ms else None,
        "max": r(max(values_ms)) if values_ms else None,
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else round(a / b, 2)


# ---------------------------------------------------------------- memory and disk


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS, VmHWM, VmSize... of a process from /proc/<pid>/status, in KiB ({} where unavailable)."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            parts = rest.split()
            if key.startswith("Vm") and len(parts) == 2 and parts[1] == "kB":
                out[key] = int(parts[0])
    except OSError:
        pass
    return out


def rss_mib() -> float | None:
    kib = proc_status().get("VmRSS")
    return None if kib is None else round(kib / 1024, 1)


def dir_size(path: Path) -> dict[str, Any]:
    """Apparent bytes (sum of file sizes), allocated bytes (like `du -s`) and per-file sizes."""
    files: dict[str, int] = {}
    apparent = allocated = 0
    for p in sorted(Path(path).rglob("*")):
        if p.is_file():
            st = p.stat()
            files[str(p.relative_to(path))] = st.st_size
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return {"apparent_bytes": apparent, "du_bytes": allocated, "files": files}


def mib(n_bytes: float) -> float:
    return round(n_bytes / (1024 * 1024), 2)


# ---------------------------------------------------------------- machine and run facts


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    """The facts a timing depends on (versions read from package metadata: nothing heavy imported)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    try:
        mem_total_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_total_kib = 0
    return {
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "mem_total_gib": round(mem_total_kib / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": _version("torch"),
        "faiss": _version("faiss-cpu") or _version("faiss"),
        "numpy": _version("numpy"),
        "sentence_transformers": _version("sentence-transformers"),
        "bm25s": _version("bm25s"),
        "load_average_start": load_average(),
    }


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])


def utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def git_head() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=False)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=False)
        head = out.stdout.strip()
        return (head + ("+dirty" if dirty.stdout.strip() else "")) if head else None
    except (OSError, subprocess.SubprocessError):
        return None


# ---------------------------------------------------------------- results


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if v is None:
            return "–"
        if isinstance(v, float):
            return f"{v:,.2f}" if abs(v) < 1e6 else f"{v:,.0f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def header_md(title: str, report: dict[str, Any]) -> str:
    m = report["machine"]
    return "\n".join([
        f"# {title}",
        "",
        f"- Command: `{report['command']}`",
        f"- Started: {report['started']} UTC; git: `{report.get('git')}`; index build: `{report.get('build_id')}`",
        f"- Machine: {m['nproc']} CPUs usable ({m['cpu_model']}), {m['mem_total_gib']} GiB RAM; "
        f"Python {m['python']}, torch {m['torch']}, faiss {m['faiss']}, numpy {m['numpy']}",
        f"- Load average (1/5/15 min) at start: {m['load_average_start']}, at end: {report.get('load_average_end')}"
        " (other processes share these cores: timings are noisy; compare medians)",
        "",
    ])


def write_results(name: str, report: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    """eval/results/bench-<name>-<UTC stamp>.json and .md; returns both paths."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = report.get("stamp") or utc_stamp()
    base = RESULTS / f"bench-{name}-{stamp}"
    json_path, md_path = base.with_suffix(".json"), base.with_suffix(".md")
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    md_path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return json_path, md_path


def new_report(name: str) -> dict[str, Any]:
    stamp = utc_stamp()
    return {
        "benchmark": name,
        "stamp": stamp,
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "command": command_line(),
        "cwd": os.getcwd(),
        "git": git_head(),
        "machine": machine(),
    }


def finish_report(report: dict[str, Any], t_start: float) -> None:
    report["load_average_end"] = load_average()
    report["wall_seconds"] = round(time.perf_counter() - t_start, 1)


def load_questions(path: Path = QUESTIONS) -> list[Any]:
    """Eval items (qa.evaluation.dataset.EvalItem) of the project's eval set."""
    from qa.evaluation.dataset import load_eval_file

    return load_eval_file(path)


def set_torch_threads(n: int | None) -> int | None:
    """Set torch's intra-op threads (None: leave the default); returns the number in effect."""
    import torch

    if n:
        torch.set_num_threads(n)
    return int(torch.get_num_threads())


def cycle(items: Sequence[Any], n: int) -> list[Any]:
    """The first `n` of `items` repeated as often as needed."""
    if not items:
        return []
    return [items[i % len(items)] for i in range(n)]


# ---------------------------------------------------------------- embedding backends


def backend_settings(backend: str | None, mmap: bool | None = None) -> Any:
    """Settings for `backend` (None: the configured one): the live index when it was built with that
    backend, else `var/bench-index/<backend>/` (the bundled reports), built there when missing or stale."""
    from qa.chunking.parallel import ChunkerSpec
    from qa.config import Settings
    from qa.embedding import make_embedder
    from qa.errors import QAError
    from qa.reports import ReportRegistry
    from qa.store import IndexBuilder, load_index

    update: dict[str, Any] = {} if mmap is None else {"mmap_index": mmap}
    s = Settings(**({"embed_backend": backend} if backend else {})).model_copy(update=update)
    reports = ReportRegistry(s.manifest_path, s.root).load().reports
    fingerprint = make_embedder(s).fingerprint
    try:
        load_index(s, reports, fingerprint)
        return s
    except QAError:
        pass
    s = s.model_copy(update={"index_dir": ROOT / "var" / "bench-index" / s.embed_backend})
    try:
        load_index(s, reports, fingerprint)
    except QAError as exc:
        print(f"building the {s.embed_backend} index in {s.index_dir} ({str(exc).split('. ')[0]})",
              file=sys.stderr, flush=True)
        reg = ReportRegistry(s.manifest_path, s.root).load()
        IndexBuilder(s, make_embedder(s).load(), ChunkerSpec.from_settings(s)).build(reg)
    return s
