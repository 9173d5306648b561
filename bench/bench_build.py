"""Index build benchmark (`make bench-build`): every embedding backend side by side, in one run.

    .venv/bin/python bench/bench_build.py [--corpus ../shared/corpus] [--backends torch,onnx,onnx-int8]
    .venv/bin/python bench/bench_build.py --curve 1,2,4,6,8 --curve-backends onnx,torch

Sets: the bundled reports (seeds/), and the folder of PDF reports `--corpus` with its manifest
`--manifest` (default eval/corpus/reports.json; the set is skipped, with a line saying so, when the
folder is absent). Each build runs in a fresh interpreter (`--child`) into a temporary index
directory (cold embedding cache, index/ untouched) and reports: seconds (chunking = reading +
chunking in the worker processes; embedding; writing), pages/s, chunks/s and texts/s over the whole
build, texts/s of the embedding alone, and the peak RSS (VmHWM) of the building process and of its
largest chunking worker. Ratios are against the first backend (torch) of the same run.

`--curve`: builds of the first 1, 2, 4, 6, 8 reports of [bundled reports, then the corpus's in
manifest order] (6 = the two bundled + four PDFs), for each of `--curve-backends`: how build time
and peak RSS grow with the corpus.

Results: eval/results/bench-build-<UTC stamp>.json and .md (the Markdown is also printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import common
from common import md_table, ratio

BACKENDS = ("torch", "onnx", "onnx-int8")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the child: one build


def count_pages(path: Path) -> int:
    if path.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        try:
            return len(pdf)
        finally:
            pdf.close()
    from qa.ingest import load_document

    return len(load_document(path).pages)


class ChildPeaks:
    """The peak RSS (VmHWM) of this process's child processes (the chunking workers), sampled from /proc
    while they run. (`RUSAGE_CHILDREN` would count a spawned child's pre-exec copy of this process.)"""

    def __init__(self, every_s: float = 0.1) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every_s,), daemon=True)

    def _children(self) -> set[int]:
        pids: set[int] = set()
        for task in Path("/proc/self/task").iterdir():
            try:
                pids.update(int(p) for p in (task / "children").read_text().split())
            except (OSError, ValueError):
                continue
        return pids

    def _run(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            for pid in self._children():
                hwm = common.proc_status(pid).get("VmHWM", 0)
                self.peaks[pid] = max(self.peaks.get(pid, 0), hwm)

    def __enter__(self) -> ChildPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def max_mib(self) -> float:
        return round(max(self.peaks.values(), default=0) / 1024, 1)


def child(args: argparse.Namespace) -> None:
    """Build `--reports` of the manifest with `--backend` into `--index-dir`; print one JSON line."""
    common.offline()
    from qa.chunking.parallel import ChunkerSpec
    from qa.config import Settings
    from qa.embedding import make_embedder
    from qa.reports import ReportRegistry
    from qa.store import IndexBuilder

    root = Path(args.root)
    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
    wanted = [r for r in manifest["reports"] if r["id"] in args.reports.split(",")]
    order = {rid: i for i, rid in enumerate(args.reports.split(","))}
    wanted.sort(key=lambda r: order[r["id"]])
    for r in wanted:  # absolute sources: one manifest can mix the bundled reports and a corpus folder
        r["source"] = str((root / r["source"]) if not Path(r["source"]).is_absolute() else Path(r["source"]))
    work = Path(args.index_dir)
    seeds = work / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    (seeds / "reports.json").write_text(json.dumps({"version": 1, "reports": wanted}), encoding="utf-8")
    s = Settings(root=root, seeds_dir=seeds, index_dir=work / "index", embed_backend=args.backend)
    reg = ReportRegistry(s.manifest_path, s.root).load()
    pages = sum(count_pages(reg.path_of(r)) for r in reg.reports)
    t0 = time.perf_counter()
    embedder = make_embedder(s).load()
    load_s = time.perf_counter() - t0
    embedder.encode(["warm-up"])
    spent = {"embed": 0.0}
    inner = embedder.encode

    def timed(texts: list[str], *a: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return inner(texts, *a, **kw)
        finally:
            spent["embed"] += time.perf_counter() - t

    embedder.encode = timed  # type: ignore[method-assign]
    rss_before = common.proc_status().get("VmRSS", 0)
    with ChildPeaks() as workers:
        summary = IndexBuilder(s, embedder, ChunkerSpec.from_settings(s), progress=False).build(reg)
    status = common.proc_status()
    texts = summary.chunks + summary.units
    print(json.dumps({
        "backend": args.backend, "reports": len(reg.reports), "pages": pages, "chunks": summary.chunks,
        "units": summary.units, "texts": texts, "embedded": summary.embedded, "model_load_s": round(load_s, 2),
        "build_s": round(summary.seconds, 2), "embed_s": round(spent["embed"], 2),
        "other_s": round(summary.seconds - spent["embed"], 2),
        "pages_per_s": round(pages / summary.seconds, 2), "chunks_per_s": round(summary.chunks / summary.seconds, 2),
        "texts_per_s": round(texts / summary.seconds, 2),
        "embed_texts_per_s": round(summary.embedded / spent["embed"], 2) if spent["embed"] else None,
        "rss_before_build_mib": round(rss_before / 1024, 1),
        "peak_rss_mib": round(status.get("VmHWM", 0) / 1024, 1),
        "worker_peak_rss_mib": workers.max_mib,
        "workers_seen": len([p for p in workers.peaks if workers.peaks[p] > 0]),
        "ingest_workers": s.ingest_workers,
    }))


# ---------------------------------------------------------------- the parent: sets, backends, curve


def run_child(backend: str, manifest: Path, root: Path, reports: list[str], keep: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as scratch:
        tmp = str(keep) if keep is not None else scratch
        if keep is not None and keep.exists():
            shutil.rmtree(keep)
        cmd = [sys.executable, __file__, "--child", "--backend", backend, "--manifest", str(manifest),
               "--root", str(root), "--reports", ",".join(reports), "--index-dir", tmp]
        env = {**os.environ, "PYTHONPATH": str(common.ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if out.returncode != 0:
            tail = "\n".join(out.stderr.strip().splitlines()[-5:])
            return {"backend": backend, "error": f"exit {out.returncode}: {tail}"}
        res: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        res["process_s"] = round(time.perf_counter() - t0, 2)
        return res


def combined_manifest(corpus_manifest: Path | None, corpus_dir: Path | None) -> tuple[Path, list[str], list[str]]:
    """One manifest with the bundled reports and the corpus's (absolute sources): path, bundled ids, corpus ids."""
    bundled = json.loads((common.ROOT / "seeds" / "reports.json").read_text(encoding="utf-8"))["reports"]
    for r in bundled:
        r["source"] = str(common.ROOT / r["source"])
    extra: list[dict[str, Any]] = []
    if corpus_manifest is not None and corpus_dir is not None:
        extra = json.loads(corpus_manifest.read_text(encoding="utf-8"))["reports"]
        for r in extra:
            r["source"] = str(corpus_dir.resolve() / r["source"])
        extra = [r for r in extra if Path(r["source"]).is_file()]
    fd, name = tempfile.mkstemp(prefix="bench-build-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"version": 1, "reports": bundled + extra}, fh)
    return Path(name), [r["id"] for r in bundled], [r["id"] for r in extra]


def table(rows: list[dict[str, Any]]) -> str:
    base = next((r for r in rows if "error" not in r), None)
    out = []
    for r in rows:
        if "error" in r:
            out.append([r["backend"], r["error"]] + [None] * 9)
            continue
        out.append([r["backend"], r["reports"], r["pages"], r["texts"], r["build_s"], r["pages_per_s"],
                    r["chunks_per_s"], r["texts_per_s"], r["embed_texts_per_s"],
                    ratio(r["texts_per_s"], base["texts_per_s"] if base else None), r["peak_rss_mib"]])
    return md_table(["backend", "reports", "pages", "texts", "build s", "pages/s", "chunks/s", "texts/s",
                     "embed texts/s", "x first", "peak RSS MiB"], out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=common.ROOT.parent / "shared" / "corpus")
    ap.add_argument("--manifest", type=Path, default=common.ROOT / "eval" / "corpus" / "reports.json")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--sets", default="bundled,corpus", help="bundled, corpus (comma-separated; '' for none)")
    ap.add_argument("--curve", default="", help="report counts for the cost curve, e.g. 1,2,4,6,8")
    ap.add_argument("--curve-backends", default="onnx")
    ap.add_argument("--keep", type=Path, default=None,
                    help="keep each set's builds in KEEP/<set>-<backend>/ (index/ and seeds/) instead of a temp dir")
    # the child
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--backend", default="torch", help=argparse.SUPPRESS)
    ap.add_argument("--root", default=str(common.ROOT), help=argparse.SUPPRESS)
    ap.add_argument("--reports", default="", help=argparse.SUPPRESS)
    ap.add_argument("--index-dir", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    common.offline()
    t_start = time.perf_counter()
    rep = common.new_report("build")
    rep["args"] = {k: str(v) for k, v in vars(args).items() if k not in ("child", "backend", "root", "reports", "index_dir")}
    backends = [b for b in args.backends.split(",") if b]
    have_corpus = args.corpus.is_dir() and args.manifest.is_file()
    manifest, bundled, extra = combined_manifest(args.manifest if have_corpus else None,
                                                 args.corpus if have_corpus else None)
    parts = [common.header_md("Index build benchmark (each backend side by side)", rep)]
    try:
        sets = {"bundled": bundled, "corpus": extra}
        rep["sets"] = {}
        for name in [x for x in args.sets.split(",") if x]:
            ids = sets.get(name, [])
            if not ids:
                msg = f"set {name!r} skipped: no reports ({args.corpus} absent?)"
                log(msg)
                parts += [f"_{msg}_", ""]
                continue
            rows = []
            for b in backends:
                log(f"{name}: {len(ids)} reports, backend {b}")
                keep = args.keep / f"{name}-{b}" if args.keep is not None else None
                rows.append(run_child(b, manifest, common.ROOT, ids, keep))
                log(f"  -> {rows[-1]}")
            rep["sets"][name] = rows
            title = "bundled reports (seeds/)" if name == "bundled" else f"{args.corpus} ({len(ids)} reports)"
            parts += [f"## {title}", "", table(rows), ""]
        counts = [int(n) for n in args.curve.split(",") if n.strip()]
        if counts:
            order = bundled + extra
            rep["curve"] = []
            rows_md = []
            for b in [x for x in args.curve_backends.split(",") if x]:
                for n in counts:
                    if n > len(order):
                        log(f"curve: {n} reports skipped (only {len(order)})")
                        continue
                    log(f"curve: first {n} reports, backend {b}")
                    r = run_child(b, manifest, common.ROOT, order[:n])
                    r["n"] = n
                    rep["curve"].append(r)
                    log(f"  -> {r}")
                    if "error" not in r:
                        rows_md.append([b, n, r["pages"], r["texts"], r["build_s"], r["texts_per_s"],
                                        r["peak_rss_mib"], r["worker_peak_rss_mib"]])
            parts += ["## Cost curve (the first n of: bundled reports, then the corpus's in manifest order)", "",
                      md_table(["backend", "reports", "pages", "texts", "build s", "texts/s", "peak RSS MiB",
                                "chunking worker peak MiB"], rows_md), ""]
    finally:
        manifest.unlink(missing_ok=True)
    common.finish_report(rep, t_start)
    parts.append(f"Wall time of the whole run: {rep.get('wall_seconds')} s.")
    md = "\n".join(parts)
    json_path, md_path = common.write_results("build", rep, md)
    print(md)
    print(f"\nwrote {json_path.relative_to(common.ROOT)} and {md_path.relative_to(common.ROOT)}")


if __name__ == "__main__":
    main()
