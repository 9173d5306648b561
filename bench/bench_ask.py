"""`QAService.ask` latency benchmark (`make bench`), one process, warm.

Loads the service from the live index (`QAService.load(Settings())`), asks `--warmup` questions
that are not timed, then asks every question of the eval set `--passes` times (default 2) and
reports p50/p95/p99/mean of the wall time of `ask`, broken down with `answer.timings_ms`
(embed / retrieve / compose), per pass and overall, against the targets p50 ≤ 30 ms, p95 ≤ 60 ms.

    python bench/bench_ask.py
    python bench/bench_ask.py --passes 3 --questions eval/questions.jsonl
    python bench/bench_ask.py --torch-threads 1 --backend torch,onnx,onnx-int8 --mmap both

`--backend` (one, several, or `all`): the embedding backend; a backend other than the live index's gets
its own index of the bundled reports in `var/bench-index/<backend>/` (built when missing or stale).
Several backends (or `--mmap both`): each run in a fresh process, then one side-by-side table
(bench-ask-backends-<stamp>): query-encode p50, ask p50/p95, RSS after load and after the asks.

Results: eval/results/bench-ask-<UTC stamp>.json and .md (the Markdown is also printed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common
from common import md_table, ratio, summary_ms

TARGETS = {"p50": 30.0, "p95": 60.0}
BACKENDS = ("torch", "onnx", "onnx-int8")
PARTS = ("embed", "retrieve", "compose", "total")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(svc: Any, items: list[Any], passes: int, warmup: int) -> dict[str, Any]:
    from qa.errors import QAError

    for it in items[:warmup]:
        svc.ask(it.question)
    rows: list[dict[str, Any]] = []
    for p in range(1, passes + 1):
        log(f"pass {p}/{passes}: {len(items)} questions")
        for it in items:
            t0 = time.perf_counter()
            try:
                ans = svc.ask(it.question)
                err = None
            except QAError as exc:
                ans, err = None, f"{type(exc).__name__}: {exc}"
            wall = (time.perf_counter() - t0) * 1000
            t = dict(ans.timings_ms) if ans is not None and ans.timings_ms else {}
            rows.append({"pass": p, "id": it.id, "type": it.type, "wall_ms": round(wall, 3),
                         "answered": bool(ans and ans.answered), "error": err,
                         **{f"{k}_ms": t.get(k) for k in PARTS}})
    return {"rows": rows}


def stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"wall": summary_ms([r["wall_ms"] for r in rows])}
    for k in PARTS:
        vals = [r[f"{k}_ms"] for r in rows if r.get(f"{k}_ms") is not None]
        out[k] = summary_ms(vals)
    return out


def markdown(rep: dict[str, Any]) -> str:
    parts = [common.header_md("`ask` latency benchmark", rep)]
    a = rep["overall"]
    rows = []
    for label, key in (("wall time of `ask`", "wall"), ("  embed (timings_ms)", "embed"),
                       ("  retrieve (timings_ms)", "retrieve"), ("  compose (timings_ms)", "compose"),
                       ("  total (timings_ms)", "total")):
        s = a[key]
        rows.append([label, s["n"], s["p50"], s["p95"], s["p99"], s["mean"], s["max"]])
    parts += [f"## Overall ({rep['passes']} passes x {rep['questions']} eval questions after {rep['warmup']} "
              f"warm-up asks, one process, torch threads {rep['torch_threads']})", "",
              md_table(["", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms", "max ms"], rows), ""]
    per = []
    for p, s in rep["per_pass"].items():
        per.append([p, s["wall"]["p50"], s["wall"]["p95"], s["wall"]["p99"], s["wall"]["mean"]])
    parts += ["## Per pass (wall time)", "", md_table(["pass", "p50 ms", "p95 ms", "p99 ms", "mean ms"], per), ""]
    by_type = [[t, s["wall"]["n"], s["wall"]["p50"], s["wall"]["p95"], s["retrieve"]["p50"], s["compose"]["p50"]]
               for t, s in rep["by_type"].items()]
    parts += ["## By question type (both passes)", "",
              md_table(["type", "n", "p50 ms", "p95 ms", "retrieve p50", "compose p50"], by_type), ""]
    t = rep["targets"]
    parts += ["## Targets", "", md_table(["metric", "target ms", "measured ms", "status"],
                                          [[k, v["target"], v["measured"], v["status"]] for k, v in t.items()]), ""]
    slow = [[r["id"], r["type"], r["pass"], r["wall_ms"], r["embed_ms"], r["retrieve_ms"], r["compose_ms"]]
            for r in rep["slowest"]]
    parts += ["## Slowest asks", "",
              md_table(["id", "type", "pass", "wall ms", "embed", "retrieve", "compose"], slow), ""]
    parts += [f"Share of p50 (timings_ms): embed {rep['shares_p50']['embed']}, retrieve "
              f"{rep['shares_p50']['retrieve']}, compose {rep['shares_p50']['compose']}; "
              f"errors: {rep['errors']}; answered: {rep['answered']} of {len(rep['rows'])}.  ",
              f"Wall time of the whole run: {rep.get('wall_seconds')} s."]
    return "\n".join(parts)


def side_by_side(args: argparse.Namespace, backends: list[str | None]) -> None:
    """Each backend (and mmap setting) in a fresh process, then one table: latency, query encode, RSS."""
    t_start = time.perf_counter()
    rep = common.new_report("ask-backends")
    rep["args"] = {k: str(v) for k, v in vars(args).items()}
    mmaps = ["off", "on"] if args.mmap == "both" else [args.mmap]
    runs = []
    for b in backends:
        for m in mmaps:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "r.json"
                cmd = [sys.executable, __file__, "--questions", str(args.questions), "--passes", str(args.passes),
                       "--warmup", str(args.warmup), "--result-json", str(out)]
                cmd += ["--backend", b] if b else []
                cmd += ["--mmap", m] if m else []
                cmd += ["--torch-threads", str(args.torch_threads)] if args.torch_threads else []
                log(f"backend {b or 'configured'}, mmap {m or 'configured'}")
                env = {**os.environ, "PYTHONPATH": str(common.ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
                done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=False)
                if done.returncode != 0 or not out.is_file():
                    runs.append({"backend": b, "mmap": m, "error": f"exit {done.returncode}"})
                    continue
                r = json.loads(out.read_text())
                runs.append({"backend": r["backend"], "mmap": r["mmap_index"], "build_id": r["build_id"],
                             "wall": r["overall"]["wall"], "embed": r["overall"]["embed"],
                             "query_encode": r["query_encode"], "rss_after_load": r["rss_mib_after_load"],
                             "rss_after_run": r["rss_mib_after_run"], "vm_hwm": r["vm_hwm_mib"],
                             "torch_imported": r["torch_imported"], "errors": r["errors"]})
    rep["runs"] = runs
    common.finish_report(rep, t_start)
    base = next((r for r in runs if "error" not in r), None)
    rows = []
    for r in runs:
        if "error" in r:
            rows.append([r["backend"], r["mmap"], r["error"]] + [None] * 8)
            continue
        rows.append([r["backend"], "on" if r["mmap"] else "off", r["query_encode"]["p50"],
                     ratio(base["query_encode"]["p50"], r["query_encode"]["p50"]) if base else None,
                     r["wall"]["p50"], r["wall"]["p95"], r["rss_after_load"], r["rss_after_run"], r["vm_hwm"],
                     "yes" if r["torch_imported"] else "no", r["errors"]])
    md = "\n".join([
        common.header_md("`ask` latency and serving RSS per embedding backend", rep),
        f"Each row: a fresh process (`QAService.load` + `import qa.api.app`, as a serving worker), "
        f"{args.passes} passes over {args.questions} after {args.warmup} warm-up asks.", "",
        md_table(["backend", "mmap", "query encode p50 ms", "x faster than first", "ask p50 ms", "ask p95 ms",
                  "RSS after load MiB", "RSS after asks MiB", "peak RSS MiB", "torch imported", "errors"], rows),
        "", f"Wall time of the whole run: {rep.get('wall_seconds')} s.",
    ])
    json_path, md_path = common.write_results("ask-backends", rep, md)
    print(md)
    print(f"\nwrote {json_path.relative_to(common.ROOT)} and {md_path.relative_to(common.ROOT)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=Path, default=common.QUESTIONS)
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="torch.set_num_threads after loading (default: torch's default); ONNX: its threads")
    ap.add_argument("--backend", default=None,
                    help="embedding backend(s): torch, onnx, onnx-int8, comma-separated or 'all' (default: the "
                         "configured one); several: each in its own process, then one side-by-side table")
    ap.add_argument("--mmap", choices=["on", "off", "both"], default=None,
                    help="ESGQA_MMAP_INDEX for the run (both: each backend twice, for the RSS table)")
    ap.add_argument("--result-json", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    common.offline()
    backends = list(BACKENDS) if args.backend == "all" else [b for b in (args.backend or "").split(",") if b]
    if len(backends) > 1 or args.mmap == "both":
        side_by_side(args, backends or [None])
        return
    t_start = time.perf_counter()
    rep = common.new_report("ask")
    rep["args"] = {k: str(v) for k, v in vars(args).items()}
    items = common.load_questions(args.questions)

    from qa.errors import QAError
    from qa.service import QAService

    mmap = None if args.mmap is None else args.mmap == "on"
    settings = common.backend_settings(backends[0] if backends else None, mmap)
    if args.torch_threads:
        settings = settings.model_copy(update={"torch_threads": args.torch_threads})
    log(f"loading QAService ({settings.embed_backend}, {settings.index_dir}, mmap {settings.mmap_index})")
    try:
        import qa.api.app  # noqa: F401  (what a serving worker imports too, for its RSS)

        svc = QAService.load(settings)
    except QAError as exc:
        print(f"cannot load the service: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
    rep["build_id"] = svc.build_id
    rep["backend"] = settings.embed_backend
    rep["mmap_index"] = settings.mmap_index
    if settings.embed_backend == "torch":
        rep["torch_threads"] = common.set_torch_threads(args.torch_threads)
    else:  # never import torch here: it is what the ONNX backends leave out
        rep["torch_threads"] = settings.torch_threads
    rep["rss_mib_after_load"] = common.rss_mib()
    rep["torch_imported"] = "torch" in sys.modules
    encode_ms = []
    for it in items:
        t0 = time.perf_counter()
        svc.embedder.encode([it.question])
        encode_ms.append((time.perf_counter() - t0) * 1000)
    rep["query_encode"] = summary_ms(encode_ms)
    rows = run(svc, items, args.passes, args.warmup)["rows"]
    rep["rss_mib_after_run"] = common.rss_mib()
    rep.update({"questions": len(items), "passes": args.passes, "warmup": args.warmup})
    rep["overall"] = stats(rows)
    rep["per_pass"] = {str(p): stats([r for r in rows if r["pass"] == p]) for p in range(1, args.passes + 1)}
    types = sorted({r["type"] for r in rows})
    rep["by_type"] = {t: stats([r for r in rows if r["type"] == t]) for t in types}
    o = rep["overall"]
    tot = o["total"]["p50"]
    rep["shares_p50"] = {k: (f"{100 * o[k]['p50'] / tot:.0f}%" if tot and o[k]["p50"] is not None else None)
                         for k in ("embed", "retrieve", "compose")}
    rep["targets"] = {
        f"{k} (wall)": {"target": v, "measured": o["wall"][k],
                        "status": "met" if o["wall"][k] is not None and o["wall"][k] <= v else "NOT met"}
        for k, v in TARGETS.items()
    }
    rep["ratio_p95_p50"] = ratio(o["wall"]["p95"], o["wall"]["p50"])
    rep["slowest"] = sorted(rows, key=lambda r: -r["wall_ms"])[:10]
    rep["errors"] = sum(1 for r in rows if r["error"])
    rep["answered"] = sum(1 for r in rows if r["answered"])
    rep["rows"] = rows
    rep["rss_mib_after_run"] = common.rss_mib()
    rep["vm_hwm_mib"] = round(common.proc_status().get("VmHWM", 0) / 1024, 1)
    common.finish_report(rep, t_start)
    if args.result_json is not None:
        args.result_json.write_text(json.dumps(rep, default=str))
    md = markdown(rep)
    json_path, md_path = common.write_results("ask", rep, md)
    print(md)
    print(f"\nwrote {json_path.relative_to(common.ROOT)} and {md_path.relative_to(common.ROOT)}")


if __name__ == "__main__":
    main()
