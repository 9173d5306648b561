"""Retrieval benchmark (`make bench`): index build, memory, query latency, recall, approximate index.

Sections (all by default; pick with `--sections build,rss,latency,recall,ann`):

- build   : both reports indexed into a temporary index directory with a cold embedding cache
            (`Settings(index_dir=tmp)`): seconds (chunking / embedding / writing), chunks/s, texts
            embedded/s, size on disk. The live index under `index/` is not touched.
- rss     : resident memory of a fresh interpreter (`python -c`) after `QAService.load(Settings())`,
            next to the memory of a fresh interpreter that only imports torch, sentence-transformers
            and faiss.
- latency : p50/p95 per mode (dense, bm25, hybrid) over `--queries` eval questions (cycled), one
            process, warm: `QAService.search(q, k=20, mode)` (query embedding included) and
            `Retriever.search(q, k=20, mode, qvec=...)` with a pre-computed query vector. Modes are
            interleaved per query so that CPU noise from other processes hits them alike.
- recall  : R@1/R@5/R@20 and MRR per mode on the answerable eval questions (a retrieved chunk's
            text holds a gold answer, by `qa.evaluation.metrics.holds`), for dev, test and all.
- ann     : recall@10 of faiss IndexHNSWFlat (M=32, efSearch 64/128/256) against exact IndexFlatIP,
            on the real chunk vectors (real question vectors as queries) and on a synthetic corpus of
            random unit vectors (dim 384, `--synthetic-n`, default 1,000,000; `--quick`: 100,000),
            with build time and single-query latency p50/p95. Random vectors are a worst case for HNSW.

    python bench/bench_retrieval.py                 # everything, 1M synthetic vectors (slow: HNSW build)
    python bench/bench_retrieval.py --quick         # 100k synthetic vectors
    python bench/bench_retrieval.py --sections latency,recall

Results: eval/results/bench-retrieval-<UTC stamp>.json and .md (the Markdown is also printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common
from common import md_table, mib, ratio, stopwatch, summary_ms

MODES = ("dense", "bm25", "hybrid")
SPLITS = ("dev", "test", "all")
K = 20
TARGETS = {"hybrid_R@20": 98.0, "hybrid_R@5": 90.0, "retrieval_p50_ms": 20.0}

RSS_SNIPPET = r"""
import json, sys, time
t0 = time.perf_counter()
from qa.config import Settings
from qa.service import QAService
settings = Settings(index_dir=sys.argv[1]) if sys.argv[1] else Settings()
svc = QAService.load(settings, check_stale=sys.argv[2] != "1")
load_s = time.perf_counter() - t0
st = {}
for line in open("/proc/self/status"):
    k, _, v = line.partition(":")
    if k in ("VmRSS", "VmHWM"):
        st[k] = int(v.split()[0])
print("RESULT " + json.dumps({"load_s": load_s, "build_id": svc.build_id, "chunks": len(svc.index.chunks),
                              "units": len(svc.index.units), **st}))
"""

BASELINE_SNIPPET = r"""
import json
import torch, sentence_transformers, faiss, numpy
st = {}
for line in open("/proc/self/status"):
    k, _, v = line.partition(":")
    if k in ("VmRSS", "VmHWM"):
        st[k] = int(v.split()[0])
print("RESULT " + json.dumps(st))
"""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- rss (fresh interpreters)


def _fresh_python(snippet: str, *argv: str, timeout: float = 600) -> dict[str, Any]:
    env = {**os.environ, **common.OFFLINE_ENV}
    proc = subprocess.run([sys.executable, "-c", snippet, *argv], capture_output=True, text=True, env=env,
                          cwd=str(common.ROOT), timeout=timeout, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            data: dict[str, Any] = json.loads(line[len("RESULT "):])
            return data
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}


def bench_rss(index_dir: Path | None, allow_stale: bool) -> dict[str, Any]:
    log("rss: fresh interpreter importing torch/sentence-transformers/faiss")
    base = _fresh_python(BASELINE_SNIPPET)
    log("rss: fresh interpreter running QAService.load(Settings())")
    loaded = _fresh_python(RSS_SNIPPET, str(index_dir or ""), "1" if allow_stale else "0")
    out: dict[str, Any] = {"imports_only": base, "after_load": loaded}
    if "VmRSS" in loaded:
        out["rss_mib"] = round(loaded["VmRSS"] / 1024, 1)
        out["peak_rss_mib"] = round(loaded["VmHWM"] / 1024, 1)
        out["load_s"] = round(loaded["load_s"], 2)
    if "VmRSS" in base:
        out["imports_rss_mib"] = round(base["VmRSS"] / 1024, 1)
    return out


# ---------------------------------------------------------------- build (temporary index dir)


def bench_build(keep: bool) -> dict[str, Any]:
    from qa.chunking.chunker import Chunker
    from qa.config import Settings
    from qa.embedding import make_embedder
    from qa.reports import ReportRegistry
    from qa.store import IndexBuilder
    from qa.tokens import TokenCounter

    tmp = Path(tempfile.mkdtemp(prefix="esgqa-bench-index-"))
    settings = Settings(index_dir=tmp / "index")
    log(f"build: into {settings.index_dir} (cold embedding cache)")
    try:
        reg = ReportRegistry(settings.manifest_path, settings.root).load()
        with stopwatch() as t_model:
            embedder = make_embedder(settings).load()  # ESGQA_EMBED_BACKEND
            embedder.encode(["warm-up"])  # first encode pays one-off costs; not part of indexing
        counter = TokenCounter(settings.resolved_model_path(), settings.tiktoken_cache_dir).load()
        chunker = Chunker(counter.model, counter.cl100k, settings.chunk_max_tokens, settings.chunk_target_tokens)

        spent = {"chunking": 0.0, "embedding": 0.0}

        def timed(fn: Any, key: str) -> Any:
            def wrapper(*a: Any, **kw: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return fn(*a, **kw)
                finally:
                    spent[key] += time.perf_counter() - t0

            return wrapper

        chunker.split = timed(chunker.split, "chunking")  # type: ignore[method-assign]
        embedder.encode = timed(embedder.encode, "embedding")  # type: ignore[method-assign]
        calls_before = embedder.calls
        summary = IndexBuilder(settings, embedder, chunker, progress=False).build(reg)
        size = common.dir_size(summary.path)
        other = summary.seconds - spent["chunking"] - spent["embedding"]
        texts = summary.chunks + summary.units
        return {
            "index_dir": str(settings.index_dir),
            "kept": keep,
            "reports": summary.reports,
            "per_report": summary.per_report,
            "chunks": summary.chunks,
            "units": summary.units,
            "texts_embedded": summary.embedded,
            "texts_reused": summary.reused,
            "cold_cache": summary.reused == 0 and embedder.calls - calls_before == texts,
            "model_load_s": round(t_model["s"], 2),
            "build_s": round(summary.seconds, 2),
            "chunking_s": round(spent["chunking"], 2),
            "embedding_s": round(spent["embedding"], 2),
            "other_s": round(other, 2),
            "chunks_per_s": round(summary.chunks / summary.seconds, 1),
            "texts_embedded_per_s": round(summary.embedded / spent["embedding"], 1) if spent["embedding"] else None,
            "size_du_mib": mib(size["du_bytes"]),
            "size_apparent_mib": mib(size["apparent_bytes"]),
            "files_bytes": size["files"],
        }
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- latency and recall (one warm service)


def load_service(index_dir: Path | None, allow_stale: bool) -> Any:
    from qa.config import Settings
    from qa.service import QAService

    settings = Settings(index_dir=index_dir) if index_dir else Settings()
    log(f"loading QAService ({settings.index_dir}{', staleness not checked' if allow_stale else ''})")
    return QAService.load(settings, check_stale=not allow_stale)


def bench_latency(svc: Any, questions: list[str], n_queries: int, warmup: int) -> dict[str, Any]:
    import numpy as np

    qs = common.cycle(questions, n_queries)
    log(f"latency: {warmup} warm-up queries per mode, then {len(qs)} queries x {len(MODES)} modes x 2 paths")
    for q in questions[:warmup]:
        qv = svc.retriever.embed_query(q)
        for mode in MODES:
            svc.search(q, k=K, mode=mode)
            svc.retriever.search(q, k=K, mode=mode, qvec=qv)
    embed_ms: list[float] = []
    qvecs: list[np.ndarray] = []
    for q in qs:
        t0 = time.perf_counter()
        qvecs.append(svc.retriever.embed_query(q))
        embed_ms.append((time.perf_counter() - t0) * 1000)
    full: dict[str, list[float]] = {m: [] for m in MODES}
    only: dict[str, list[float]] = {m: [] for m in MODES}
    for i, (q, qv) in enumerate(zip(qs, qvecs, strict=True)):
        order = MODES[i % 3:] + MODES[: i % 3]  # rotate so no mode always runs first
        for mode in order:
            t0 = time.perf_counter()
            svc.search(q, k=K, mode=mode)
            t1 = time.perf_counter()
            svc.retriever.search(q, k=K, mode=mode, qvec=qv)
            t2 = time.perf_counter()
            full[mode].append((t1 - t0) * 1000)
            only[mode].append((t2 - t1) * 1000)
    out: dict[str, Any] = {
        "queries": len(qs),
        "distinct_queries": len(set(qs)),
        "warmup": warmup,
        "k": K,
        "fusion": svc.settings.fusion,
        "dense_weight": svc.settings.dense_weight,
        "index_type": svc.settings.index_type,
        "chunks": len(svc.index.chunks),
        "query_embedding_ms": summary_ms(embed_ms),
        "search_ms": {m: summary_ms(full[m]) for m in MODES},
        "retrieval_only_ms": {m: summary_ms(only[m]) for m in MODES},
    }
    s, r = out["search_ms"], out["retrieval_only_ms"]
    out["ratios_p50"] = {
        "search hybrid/bm25": ratio(s["hybrid"]["p50"], s["bm25"]["p50"]),
        "search hybrid/dense": ratio(s["hybrid"]["p50"], s["dense"]["p50"]),
        "retrieval-only hybrid/bm25": ratio(r["hybrid"]["p50"], r["bm25"]["p50"]),
        "retrieval-only dense/bm25": ratio(r["dense"]["p50"], r["bm25"]["p50"]),
    }
    return out


def bench_recall(svc: Any, items: list[Any]) -> dict[str, Any]:
    from qa.evaluation.metrics import holds

    answerable = [it for it in items if it.answerable]
    log(f"recall: {len(answerable)} answerable questions x {len(MODES)} modes")
    ranks: dict[str, list[tuple[str | None, int | None]]] = {m: [] for m in MODES}
    misses: dict[str, list[str]] = {m: [] for m in MODES}
    for it in answerable:
        for mode in MODES:
            hits = svc.search(it.question, k=K, mode=mode)
            rank = next((i for i, h in enumerate(hits[:K], start=1) if holds(h.chunk.text, it)), None)
            ranks[mode].append((it.split, rank))
            if rank is None:
                misses[mode].append(it.id)

    def agg(rows: list[tuple[str | None, int | None]]) -> dict[str, Any]:
        n = len(rows)
        if n == 0:
            return {"n": 0}
        got = [r for _, r in rows]
        out: dict[str, Any] = {"n": n}
        for k in (1, 5, 20):
            out[f"R@{k}"] = round(100.0 * sum(1 for r in got if r is not None and r <= k) / n, 2)
        out["MRR"] = round(sum(1.0 / r for r in got if r) / n, 4)
        return out

    table: dict[str, dict[str, Any]] = {}
    for mode in MODES:
        table[mode] = {
            "dev": agg([x for x in ranks[mode] if x[0] == "dev"]),
            "test": agg([x for x in ranks[mode] if x[0] == "test"]),
            "all": agg(ranks[mode]),
        }
    return {"n_answerable": len(answerable), "k": K, "by_mode": table, "missed_at_20": misses}


# ---------------------------------------------------------------- approximate index


def _unit_rows(rng: Any, n: int, dim: int, block: int = 100_000) -> Any:
    import numpy as np

    x = np.empty((n, dim), dtype=np.float32)
    for s in range(0, n, block):
        b = rng.standard_normal((min(block, n - s), dim), dtype=np.float32)
        b /= np.linalg.norm(b, axis=1, keepdims=True)
        x[s : s + len(b)] = b
    return x


def _recall_at(found: Any, truth: Any, k: int) -> float:
    hit = sum(len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth, strict=True))
    return round(100.0 * hit / (len(truth) * k), 2)


def _single_query_ms(index: Any, queries: Any, k: int) -> list[float]:
    out = []
    for i in range(len(queries)):
        q = queries[i : i + 1]
        t0 = time.perf_counter()
        index.search(q, k)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def ann_compare(name: str, base: Any, queries: Any, ef_construction: int, ef_searches: list[int],
                k: int = 10, m: int = 32) -> dict[str, Any]:
    import faiss

    dim = base.shape[1]
    n = base.shape[0]
    res: dict[str, Any] = {"corpus": name, "n": n, "dim": dim, "queries": len(queries), "k": k, "M": m,
                           "efConstruction": ef_construction, "rows": []}
    flat = faiss.IndexFlatIP(dim)
    with stopwatch() as t:
        flat.add(base)
    res["flat_build_s"] = round(t["s"], 2)
    with stopwatch() as t:
        _, truth = flat.search(queries, k)
    res["flat_batch_search_s"] = round(t["s"], 3)
    flat_ms = _single_query_ms(flat, queries, k)
    res["rows"].append({"index": "IndexFlatIP (exact)", "efSearch": None, "recall@10": 100.0,
                        "latency_ms": summary_ms(flat_ms)})
    hnsw = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = ef_construction
    log(f"ann[{name}]: building HNSW M={m} efConstruction={ef_construction} over {n:,} vectors")
    block = 100_000
    t0 = time.perf_counter()
    with stopwatch() as t:
        for s in range(0, n, block):
            hnsw.add(base[s : s + block])
            if n > block:
                log(f"ann[{name}]: {min(n, s + block):,}/{n:,} added ({time.perf_counter() - t0:.0f} s)")
    res["hnsw_build_s"] = round(t["s"], 2)
    res["hnsw_vectors_per_s"] = round(n / t["s"], 1) if t["s"] else None
    for ef in ef_searches:
        hnsw.hnsw.efSearch = ef
        _, found = hnsw.search(queries, k)
        lat = _single_query_ms(hnsw, queries, k)
        res["rows"].append({"index": f"IndexHNSWFlat M={m}", "efSearch": ef,
                            "recall@10": _recall_at(found, truth, k), "latency_ms": summary_ms(lat)})
    res["rss_mib_after"] = common.rss_mib()
    del flat, hnsw
    return res


def bench_ann(svc: Any | None, items: list[Any], n_synth: int, n_queries: int, ef_construction: int,
              ef_searches: list[int], seed: int) -> dict[str, Any]:
    import faiss
    import numpy as np

    faiss.omp_set_num_threads(2)
    out: dict[str, Any] = {"omp_threads": 2, "seed": seed}
    if svc is not None:
        base = np.ascontiguousarray(np.asarray(svc.index.chunk_vectors, dtype=np.float32))
        qs = sorted({it.question for it in items})
        queries = np.ascontiguousarray(svc.embedder.encode(qs), dtype=np.float32)
        log(f"ann[real]: {len(base)} chunk vectors, {len(queries)} question vectors")
        out["real"] = ann_compare("real chunk vectors", base, queries, ef_construction, ef_searches)
    rng = np.random.default_rng(seed)
    log(f"ann[synthetic]: generating {n_synth:,} random unit vectors (dim 384)")
    base = _unit_rows(rng, n_synth, 384)
    queries = _unit_rows(rng, n_queries, 384)
    out["synthetic"] = ann_compare("synthetic random unit vectors", base, queries, ef_construction, ef_searches)
    return out


# ---------------------------------------------------------------- markdown


def markdown(rep: dict[str, Any]) -> str:
    parts = [common.header_md("Retrieval benchmark", rep)]
    b = rep.get("build")
    if b:
        parts += ["## Index build (both reports, temporary index dir, cold embedding cache)", "", md_table(
            ["reports", "chunks", "units", "texts embedded", "build s", "chunking s", "embedding s", "write+other s",
             "chunks/s", "texts embedded/s", "size on disk (du) MiB", "model load s"],
            [[b["reports"], b["chunks"], b["units"], b["texts_embedded"], b["build_s"], b["chunking_s"],
              b["embedding_s"], b["other_s"], b["chunks_per_s"], b["texts_embedded_per_s"], b["size_du_mib"],
              b["model_load_s"]]]), ""]
    r = rep.get("rss")
    if r:
        parts += ["## Resident memory (fresh interpreter)", "", md_table(
            ["process", "VmRSS MiB", "VmHWM (peak) MiB", "seconds"],
            [["after `QAService.load(Settings())`", r.get("rss_mib"), r.get("peak_rss_mib"), r.get("load_s")],
             ["imports only (torch, sentence-transformers, faiss)", r.get("imports_rss_mib"),
              round(r["imports_only"]["VmHWM"] / 1024, 1) if "VmHWM" in r["imports_only"] else None, None]]), ""]
        for key in ("after_load", "imports_only"):
            if "error" in r[key]:
                parts += [f"**{key} failed:** {r[key]['error']}", ""]
    lat = rep.get("latency")
    if lat:
        rows = []
        for m in MODES:
            s, o = lat["search_ms"][m], lat["retrieval_only_ms"][m]
            rows.append([m, s["p50"], s["p95"], o["p50"], o["p95"], s["mean"]])
        e = lat["query_embedding_ms"]
        rows.append(["(query embedding alone)", None, None, e["p50"], e["p95"], e["mean"]])
        target = TARGETS["retrieval_p50_ms"]
        hs, ho = lat["search_ms"]["hybrid"]["p50"], lat["retrieval_only_ms"]["hybrid"]["p50"]
        parts += [f"## Query latency, ms ({lat['queries']} queries, {lat['distinct_queries']} distinct, k={lat['k']},"
                  f" warm, one process; fusion={lat['fusion']}, {lat['chunks']} chunks, {lat['index_type']} index, "
                  f"torch threads {rep.get('torch_threads')})", "",
                  md_table(["mode", "search p50", "search p95", "retrieval-only p50", "retrieval-only p95",
                            "search mean"], rows), "",
                  "search = `QAService.search(q, k=20, mode)` incl. query embedding; retrieval-only = "
                  "`Retriever.search(..., qvec=precomputed)`.  ",
                  "Ratios of p50: " + ", ".join(f"{k} = {v}" for k, v in lat["ratios_p50"].items()) + "  ",
                  f"Target retrieval p50 ≤ {target:g} ms (hybrid): with embedding {hs} ms → "
                  f"{'met' if hs is not None and hs <= target else 'NOT met'}; retrieval-only {ho} ms → "
                  f"{'met' if ho is not None and ho <= target else 'NOT met'}.", ""]
    rc = rep.get("recall")
    if rc:
        rows = []
        for m in MODES:
            for sp in SPLITS:
                a = rc["by_mode"][m][sp]
                rows.append([m, sp, a.get("n"), a.get("R@1"), a.get("R@5"), a.get("R@20"), a.get("MRR")])
        h = rc["by_mode"]["hybrid"]["all"]
        ok20 = h.get("R@20") is not None and h["R@20"] >= TARGETS["hybrid_R@20"]
        ok5 = h.get("R@5") is not None and h["R@5"] >= TARGETS["hybrid_R@5"]
        parts += [f"## Retrieval recall on the eval set ({rc['n_answerable']} answerable questions; "
                  "a hit = a retrieved chunk's text holds a gold answer)", "",
                  md_table(["mode", "split", "n", "R@1 %", "R@5 %", "R@20 %", "MRR"], rows), "",
                  f"Targets (hybrid, all): R@20 ≥ {TARGETS['hybrid_R@20']:g}% → {'met' if ok20 else 'NOT met'}; "
                  f"R@5 ≥ {TARGETS['hybrid_R@5']:g}% → {'met' if ok5 else 'NOT met'}.  ",
                  "Missed at 20 (hybrid): " + (", ".join(rc["missed_at_20"]["hybrid"]) or "none"), ""]
    ann = rep.get("ann")
    if ann:
        rows = []
        for key in ("real", "synthetic"):
            a = ann.get(key)
            if not a:
                continue
            for row in a["rows"]:
                lat_ms = row["latency_ms"]
                build = a["flat_build_s"] if row["efSearch"] is None else a["hnsw_build_s"]
                rows.append([a["corpus"], f"{a['n']:,}", row["index"], row["efSearch"], row["recall@10"],
                             lat_ms["p50"], lat_ms["p95"], build])
        parts += ["## Approximate index: HNSW vs exact (recall@10, single-query latency ms, "
                  f"{ann['omp_threads']} OpenMP threads)", "",
                  md_table(["corpus", "vectors", "index", "efSearch", "recall@10 %", "p50 ms", "p95 ms", "build s"],
                           rows), ""]
        for key in ("real", "synthetic"):
            a = ann.get(key)
            if a:
                parts.append(f"- {a['corpus']}: dim {a['dim']}, {a['queries']} queries, M={a['M']}, "
                             f"efConstruction={a['efConstruction']}, HNSW build {a['hnsw_build_s']} s "
                             f"({a['hnsw_vectors_per_s']} vectors/s), exact batch search of all queries "
                             f"{a['flat_batch_search_s']} s, process RSS after {a['rss_mib_after']} MiB")
        parts += ["- Random unit vectors in 384 dimensions have no cluster structure: a worst case for HNSW "
                  "(real embeddings reach higher recall at the same efSearch).", ""]
    la = {k: rep[k]["load_average_before_after"] for k in ("rss", "build", "latency", "recall", "ann")
          if isinstance(rep.get(k), dict) and "load_average_before_after" in rep[k]}
    if la:
        parts.append("Load average (1/5/15 min) before/after each section: "
                     + "; ".join(f"{k} {v[0]} → {v[1]}" for k, v in la.items()) + ".  ")
    if rep.get("staleness_checked") is False:
        parts.append("**The index was loaded with `--allow-stale`: its manifest was not checked against the "
                     "current reports and chunker.**  ")
    parts.append(f"Wall time of the whole run: {rep.get('wall_seconds')} s.")
    return "\n".join(parts)


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sections", default="build,rss,latency,recall,ann",
                    help="comma-separated subset of build,rss,latency,recall,ann")
    ap.add_argument("--queries", type=int, default=200, help="latency queries (eval questions, cycled)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--synthetic-n", type=int, default=1_000_000, help="random unit vectors for the ANN test")
    ap.add_argument("--quick", action="store_true", help="100,000 synthetic vectors instead of 1,000,000")
    ap.add_argument("--ann-queries", type=int, default=200)
    ap.add_argument("--ef-construction", type=int, default=80, help="HNSW efConstruction (the index's setting: 80)")
    ap.add_argument("--ef-search", default="64,128,256")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-build", action="store_true", help="keep the temporary index directory")
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="torch.set_num_threads for the query-time part (default: torch's default)")
    ap.add_argument("--index-dir", type=Path, default=None,
                    help="index directory the service loads (default: Settings().index_dir, the live index)")
    ap.add_argument("--allow-stale", action="store_true",
                    help="load the index even when its manifest no longer matches the reports/chunker (timing only)")
    args = ap.parse_args()
    common.offline()
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    unknown = sections - {"build", "rss", "latency", "recall", "ann"}
    if unknown:
        ap.error(f"unknown sections: {', '.join(sorted(unknown))}")
    n_synth = 100_000 if args.quick else args.synthetic_n

    t_start = time.perf_counter()
    rep = common.new_report("retrieval")
    rep["args"] = {**vars(args), "synthetic_n_used": n_synth}
    items = common.load_questions()
    questions = [it.question for it in items]

    from qa.errors import QAError

    # fresh interpreters first, before this process loads torch (no fork after torch either way)
    if "rss" in sections:
        la0 = common.load_average()
        rep["rss"] = bench_rss(args.index_dir, args.allow_stale)
        rep["rss"]["load_average_before_after"] = [la0, common.load_average()]
    if "build" in sections:
        la0 = common.load_average()
        rep["build"] = bench_build(args.keep_build)
        rep["build"]["load_average_before_after"] = [la0, common.load_average()]
    svc = None
    if sections & {"latency", "recall", "ann"}:
        try:
            svc = load_service(args.index_dir, args.allow_stale)
            rep["build_id"] = svc.build_id
            rep["index_dir"] = str(svc.index.path)
            rep["staleness_checked"] = not args.allow_stale
            rep["torch_threads"] = common.set_torch_threads(args.torch_threads)
        except QAError as exc:
            rep["service_error"] = f"{type(exc).__name__}: {exc}"
            log(f"cannot load the service: {exc}")
    if svc is not None and "latency" in sections:
        la0 = common.load_average()
        rep["latency"] = bench_latency(svc, questions, args.queries, args.warmup)
        rep["latency"]["load_average_before_after"] = [la0, common.load_average()]
    if svc is not None and "recall" in sections:
        la0 = common.load_average()
        rep["recall"] = bench_recall(svc, items)
        rep["recall"]["load_average_before_after"] = [la0, common.load_average()]
    if "ann" in sections:
        efs = [int(x) for x in args.ef_search.split(",") if x.strip()]
        la0 = common.load_average()
        rep["ann"] = bench_ann(svc, items, n_synth, args.ann_queries, args.ef_construction, efs, args.seed)
        rep["ann"]["load_average_before_after"] = [la0, common.load_average()]
    common.finish_report(rep, t_start)
    md = markdown(rep)
    if "service_error" in rep:
        md += f"\n\n**Service not loaded:** {rep['service_error']}\n"
    json_path, md_path = common.write_results("retrieval", rep, md)
    print(md)
    print(f"\nwrote {json_path.relative_to(common.ROOT)} and {md_path.relative_to(common.ROOT)}")
    if "service_error" in rep:
        sys.exit(1)


if __name__ == "__main__":
    main()
