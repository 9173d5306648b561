"""Load test of the HTTP API on loopback (`make bench-api`).

Starts `esgqa serve` (the same `qa.api.server.serve`) on a free loopback port, measures the cold
start (seconds until `/readyz` is 200), then drives `POST /v1/ask` with a real HTTP client (httpx,
one keep-alive connection per virtual user) at each concurrency level for a fixed time, with
questions drawn from the eval set. Reports throughput, p50/p95/p99 latency, errors and the
server's resident memory before and after; `--soak SECONDS` adds a long run that samples memory.

Targets (2-core machine) are reported next to the measurements, not asserted.

    python bench/bench_api.py                      # 1, 8, 32 users x 30 s
    python bench/bench_api.py --seconds 10 --soak 300
    python bench/bench_api.py --url http://127.0.0.1:8000   # an already running server
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "eval" / "results"
FALLBACK_QUESTIONS = [
    "What were the total GHG emissions in 2020?",
    "How much water did Xiaomi consume in 2022?",
    "What is Xiaomi's Scope 2 emissions figure?",
    "How many employees did Xiaomi have?",
    "What percentage of employees are women?",
    "How much hazardous waste was generated?",
    "What was the total energy consumption?",
    "Does Xiaomi have an ESG committee?",
    "What is the capital of France?",
    "How many patents does Xiaomi hold?",
]
# issue 14: >= 120 answers/s and p99 <= 150 ms at 8 users with the workers `make run` starts (2)
TARGETS = {"p50_ms_c1": 40.0, "rps_c8": 120.0, "p99_ms_c8": 150.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_questions(path: Path) -> list[str]:
    if path.exists():
        qs = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if qs:
            return qs
    print(f"(no questions in {path}; using {len(FALLBACK_QUESTIONS)} built-in ones)")
    return list(FALLBACK_QUESTIONS)


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` plus its descendants (the uvicorn workers), in KiB; 0 if gone."""
    try:
        import psutil  # optional

        proc = psutil.Process(pid)
        return int(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) // 1024)
    except ImportError:
        pass
    except Exception:
        return 0
    pids = _descendants(pid)
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


@dataclass
class LevelResult:
    concurrency: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    answered: int
    rss_before_mib: float
    rss_after_mib: float
    error_samples: list[str] = field(default_factory=list)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def run_level(base: str, questions: list[str], concurrency: int, seconds: float, pid: int | None,
              headers: dict[str, str], seed: int = 0) -> LevelResult:
    latencies: list[float] = []
    errors: list[str] = []
    answered = [0]
    lock = threading.Lock()
    start_barrier = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def user(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        mine: list[float] = []
        my_errors: list[str] = []
        my_answered = 0
        with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
            start_barrier.wait()
            while time.perf_counter() < deadline[0]:
                q = rng.choice(questions)
                t0 = time.perf_counter()
                try:
                    r = client.post("/v1/ask", json={"question": q})
                    dt = time.perf_counter() - t0
                    if r.status_code == 200:
                        mine.append(dt)
                        my_answered += bool(r.json().get("answered"))
                    else:
                        my_errors.append(f"{r.status_code} {r.text[:120]}")
                except httpx.HTTPError as exc:
                    my_errors.append(f"{type(exc).__name__}: {exc}")
        with lock:
            latencies.extend(mine)
            errors.extend(my_errors)
            answered[0] += my_answered

    rss_before = rss_kib(pid) / 1024 if pid else float("nan")
    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(concurrency)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start_barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    rss_after = rss_kib(pid) / 1024 if pid else float("nan")
    lat = sorted(x * 1000 for x in latencies)
    return LevelResult(
        concurrency=concurrency, seconds=round(elapsed, 2), requests=len(lat) + len(errors), errors=len(errors),
        rps=round(len(lat) / elapsed, 2), p50_ms=round(percentile(lat, 50), 2), p95_ms=round(percentile(lat, 95), 2),
        p99_ms=round(percentile(lat, 99), 2), mean_ms=round(statistics.fmean(lat), 2) if lat else float("nan"),
        max_ms=round(lat[-1], 2) if lat else float("nan"), answered=answered[0],
        rss_before_mib=round(rss_before, 1), rss_after_mib=round(rss_after, 1), error_samples=errors[:5],
    )


def soak(base: str, questions: list[str], seconds: float, concurrency: int, pid: int | None,
         headers: dict[str, str], sample_every: float = 10.0) -> dict[str, Any]:
    """Runs `concurrency` users for `seconds`, sampling the server's RSS; growth = last - first sample
    after a warm-up tenth of the run."""
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sampler() -> None:
        t0 = time.perf_counter()
        while not stop.wait(sample_every):
            if pid:
                samples.append((round(time.perf_counter() - t0, 1), round(rss_kib(pid) / 1024, 1)))

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    level = run_level(base, questions, concurrency, seconds, pid, headers, seed=99)
    stop.set()
    th.join()
    warm = [s for s in samples if s[0] >= seconds / 10] or samples
    growth = round(warm[-1][1] - warm[0][1], 1) if len(warm) >= 2 else float("nan")
    return {"level": asdict(level), "rss_samples_mib": samples, "rss_growth_mib_after_warmup": growth}


def start_server(port: int, workers: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
        # the benchmark is one client on loopback: the per-client rate limit would measure itself
        "ESGQA_RATE_LIMIT_PER_MINUTE": os.environ.get("BENCH_RATE_LIMIT", "0"),
        "ESGQA_API_KEYS": "",
        "ESGQA_FEEDBACK_PATH": str(log_path.with_suffix(".feedback.sqlite3")),
    }
    code = (
        "from qa.api.server import serve; from qa.config import Settings; "
        f"serve(Settings(), '127.0.0.1', {port}, {workers})"
    )
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log, stderr=log)


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [c for c, p in parents.items() if p in frontier and c not in found]
        found += frontier
    return found


def process_memory(pid: int) -> list[dict[str, Any]]:
    """RSS, PSS (shared pages split between the processes that map them) and USS (private) of the
    server and each of its processes, in MiB (from /proc/PID/smaps_rollup): what a second worker
    really adds is its PSS, not its RSS."""
    out = []
    for p in _descendants(pid):
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_text().replace("\0", " ")
            fields = {k: int(v.split()[0]) for k, _, v in
                      (line.partition(":") for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:])}
        except (OSError, ValueError, IndexError):
            continue
        kind = "worker" if "spawn_main" in cmd else "resource tracker" if "resource_tracker" in cmd else "supervisor"
        out.append({"pid": p, "kind": kind, "rss_mib": round(fields.get("Rss", 0) / 1024, 1),
                    "pss_mib": round(fields.get("Pss", 0) / 1024, 1),
                    "uss_mib": round((fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)) / 1024, 1)})
    return out


def wait_ready(base: str, proc: subprocess.Popen[bytes] | None, timeout: float) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before it was ready")
        try:
            r = httpx.get(base + "/readyz", timeout=2)
            if r.status_code == 200:
                return time.perf_counter() - t0, r.json()
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"not ready after {timeout}s")


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# API benchmark {report['timestamp']}",
        "",
        f"Command: `{report['command']}`  ",
        f"Machine: {report['machine']}; server workers: {report['workers']}; build: `{report['build_id']}`  ",
        f"Cold start (`esgqa serve` to `/readyz` 200): **{report['cold_start_s']} s**",
        "",
        "| users | s | requests | errors | answers/s | p50 ms | p95 ms | p99 ms | max ms | RSS before MiB | RSS after MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lv in report["levels"]:
        lines.append(
            f"| {lv['concurrency']} | {lv['seconds']} | {lv['requests']} | {lv['errors']} | {lv['rps']} | "
            f"{lv['p50_ms']} | {lv['p95_ms']} | {lv['p99_ms']} | {lv['max_ms']} | {lv['rss_before_mib']} | "
            f"{lv['rss_after_mib']} |"
        )
    if report.get("memory"):
        lines += ["", "Memory per process after the run (MiB; PSS splits shared pages, USS is private):", "",
                  "| process | pid | RSS | PSS | USS |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {m['kind']} | {m['pid']} | {m['rss_mib']} | {m['pss_mib']} | {m['uss_mib']} |"
                  for m in report["memory"]]
    lines += ["", "Targets (measured, not asserted):", ""]
    for name, check in report["targets"].items():
        lines.append(f"- {name}: {check}")
    if report.get("soak"):
        s = report["soak"]
        lines += ["", f"Soak: {s['level']['seconds']} s at {s['level']['concurrency']} users, "
                      f"{s['level']['requests']} requests, {s['level']['errors']} errors, p99 {s['level']['p99_ms']} ms; "
                      f"RSS growth after warm-up: **{s['rss_growth_mib_after_warmup']} MiB** "
                      f"(samples: {s['rss_samples_mib']})"]
    return "\n".join(lines) + "\n"


def target_checks(levels: list[dict[str, Any]], soak_result: dict[str, Any] | None) -> dict[str, str]:
    by_c = {lv["concurrency"]: lv for lv in levels}
    out: dict[str, str] = {}
    if 1 in by_c:
        v = by_c[1]["p50_ms"]
        out["p50 <= 40 ms at 1 user"] = f"{v} ms -> {'met' if v <= TARGETS['p50_ms_c1'] else 'NOT met'}"
    if 8 in by_c:
        rps, p99 = by_c[8]["rps"], by_c[8]["p99_ms"]
        out[">= 120 answers/s at 8 users"] = f"{rps}/s -> {'met' if rps >= TARGETS['rps_c8'] else 'NOT met'}"
        out["p99 <= 150 ms at 8 users"] = f"{p99} ms -> {'met' if p99 <= TARGETS['p99_ms_c8'] else 'NOT met'}"
    total_errors = sum(lv["errors"] for lv in levels)
    out["zero errors"] = f"{total_errors} -> {'met' if total_errors == 0 else 'NOT met'}"
    if soak_result:
        g = soak_result["rss_growth_mib_after_warmup"]
        out["no memory growth over the soak"] = f"{g} MiB -> {'met' if g == g and g < 20 else 'check'}"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 30)))
    parser.add_argument("--concurrency", default=os.environ.get("BENCH_CONCURRENCY", "1,8,32"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 1)))
    parser.add_argument("--soak", type=float, default=float(os.environ.get("BENCH_SOAK", 0)),
                        help="seconds of an extra run at --soak-concurrency users, sampling memory (e.g. 300)")
    parser.add_argument("--soak-concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of unrecorded load first")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--url", help="benchmark this running server instead of starting one")
    parser.add_argument("--api-key", default=os.environ.get("BENCH_API_KEY", ""))
    parser.add_argument("--ready-timeout", type=float, default=600)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    questions = load_questions(args.questions)
    levels_wanted = [int(c) for c in str(args.concurrency).split(",") if c.strip()]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    args.out.mkdir(parents=True, exist_ok=True)
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    proc = None
    if args.url:
        base, pid = args.url.rstrip("/"), None
        cold, ready = wait_ready(base, None, args.ready_timeout)
        cold = float("nan")
    else:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = args.out / f"bench-api-{stamp}.server.log"
        t0 = time.perf_counter()
        proc = start_server(port, args.workers, log_path)
        pid = proc.pid
        _, ready = wait_ready(base, proc, args.ready_timeout)
        cold = time.perf_counter() - t0
        print(f"cold start: {cold:.2f} s (build {ready.get('build_id')}); server log: {log_path}")
    try:
        if args.warmup > 0:
            run_level(base, questions, 2, args.warmup, None, headers, seed=7)
        levels = []
        for c in levels_wanted:
            result = run_level(base, questions, c, args.seconds, pid, headers, seed=c)
            print(f"users={c:>3} req={result.requests:>6} err={result.errors} rps={result.rps:>7} "
                  f"p50={result.p50_ms}ms p95={result.p95_ms}ms p99={result.p99_ms}ms "
                  f"rss={result.rss_before_mib}->{result.rss_after_mib} MiB")
            levels.append(asdict(result))
        soak_result = None
        if args.soak > 0:
            soak_result = soak(base, questions, args.soak, args.soak_concurrency, pid, headers)
            print(f"soak: growth {soak_result['rss_growth_mib_after_warmup']} MiB, "
                  f"errors {soak_result['level']['errors']}")
        memory = process_memory(pid) if pid else []
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()

    report = {
        "timestamp": stamp,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "workers": args.workers,
        "build_id": ready.get("build_id"),
        "cold_start_s": round(cold, 2),
        "questions": len(questions),
        "seconds_per_level": args.seconds,
        "levels": levels,
        "soak": soak_result,
        "memory": memory,
    }
    report["targets"] = target_checks(levels, soak_result)
    out_json = args.out / f"bench-api-{stamp}.json"
    out_md = args.out / f"bench-api-{stamp}.md"
    out_json.write_text(json.dumps(report, indent=2) + "\n")
    out_md.write_text(markdown(report))
    print(markdown(report))
    print(f"wrote {out_json} and {out_md}")


if __name__ == "__main__":
    main()
