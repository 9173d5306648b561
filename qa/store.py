"""The persistent index: one directory per build under `index/builds/`, `index/CURRENT` names the live one.

A build is written to a temporary directory and renamed into place, then `CURRENT` is replaced
atomically, so a crash mid-build never leaves a half index and the previous build stays usable.
Loading checks the manifest against the current reports, model and chunker settings, and every
file's sha256, and refuses a stale or corrupt index with a message that says to run `esgqa index`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.chunking.chunker import CHUNKER_VERSION, Chunker
from qa.chunking.parallel import ChunkerSpec, chunk_reports, worker_count
from qa.config import Settings
from qa.embedding import Embedder, describe_fingerprint
from qa.errors import CorruptIndex, IndexNotFound, StaleIndex
from qa.lexical import BM25Index
from qa.models import Chunk, ReportInfo, Unit
from qa.reports import ReportRegistry
from qa.text import collapse_ws

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_KEEP_BUILDS = 3
_RUN_HINT = "Run `esgqa index` (or `make index`) to rebuild it."


def chunk_embed_text(chunk: Chunk, report: ReportInfo) -> str:
    """What the model sees for a chunk: report, section and table context, then the verbatim text."""
    parts = [f"{report.title}.", f"{chunk.section}." if chunk.section else "", f"{chunk.context}." if chunk.context else ""]
    return " ".join(p for p in parts if p) + "\n" + collapse_ws(chunk.text)


def unit_embed_text(unit: Unit, chunk: Chunk) -> str:
    leaf = chunk.section.split(" > ")[-1] if chunk.section else ""
    ctx = chunk.context if chunk.kind == "table_row" else leaf
    return (f"{ctx}: " if ctx else "") + collapse_ws(unit.text)


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class BuildSummary:
    build_id: str
    path: Path
    reports: int
    chunks: int
    units: int
    embedded: int
    reused: int
    seconds: float
    per_report: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class LoadedIndex:
    build_id: str
    path: Path
    manifest: dict[str, Any]
    reports: list[ReportInfo]
    chunks: list[Chunk]
    units: list[Unit]
    faiss_index: Any
    chunk_vectors: np.ndarray
    unit_vectors: np.ndarray
    bm25: BM25Index
    units_by_chunk: list[list[int]] = field(default_factory=list)

    def stored_text(self, source: str) -> str | None:
        """The text of report file `source` as the build read it (None for a build made before the texts were
        kept, or a report it does not hold). The file's checksum was verified when the build was loaded."""
        name = self.manifest.get("source_texts", {}).get(source)
        if not isinstance(name, str):
            return None
        if name not in self.manifest.get("files", {}):
            return None
        try:
            with (self.path / name).open(encoding="utf-8", errors="surrogatepass", newline="") as fh:
                return fh.read()
        except OSError as exc:
            log.error("index build %s: stored text %s unreadable: %s", self.build_id, name, exc)
            return None


def _faiss_index(dim: int, index_type: str) -> Any:
    import faiss

    if index_type == "hnsw":
        idx = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        idx.hnsw.efConstruction = 80
        idx.hnsw.efSearch = 128
        return idx
    return faiss.IndexFlatIP(dim)


class IndexBuilder:
    """Builds a new index build from the registry's reports."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        chunker: Chunker | ChunkerSpec,
        progress: bool = False,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.chunker = chunker
        self.progress = progress

    def build(self, registry: ReportRegistry, fail_after_write: Callable[[], None] | None = None) -> BuildSummary:
        t0 = time.perf_counter()
        root = self.settings.index_dir
        builds = root / "builds"
        builds.mkdir(parents=True, exist_ok=True)
        chunks: list[Chunk] = []
        units: list[Unit] = []
        per_report: dict[str, dict[str, int]] = {}
        texts: list[str] = []
        reports = registry.reports
        jobs = [(r, registry.path_of(r)) for r in reports]
        workers = worker_count(self.settings.ingest_workers, len(jobs))
        split = chunk_reports(jobs, self.chunker, workers)
        for report, (r_chunks, r_units, text) in self._bar(
            zip(reports, split, strict=True),
            desc="chunking reports", unit="report", total=len(reports),
        ):
            texts.append(text)
            offset = len(chunks)
            chunks.extend(r_chunks)
            units.extend(u.model_copy(update={"chunk_index": u.chunk_index + offset}) for u in r_units)
            per_report[report.id] = {"chunks": len(r_chunks), "units": len(r_units)}
        by_id = {r.id: r for r in reports}
        chunk_texts = [chunk_embed_text(c, by_id[c.report_id]) for c in chunks]
        unit_texts = [unit_embed_text(u, chunks[u.chunk_index]) for u in units]
        cache = self._cache({_key(t) for t in chunk_texts} | {_key(t) for t in unit_texts})
        chunk_vecs, c_new = self._embed(chunk_texts, cache, "embedding chunks")
        unit_vecs, u_new = self._embed(unit_texts, cache, "embedding units")

        build_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=builds))
        try:
            self._write(tmp, build_id, reports, chunks, units, chunk_vecs, unit_vecs, chunk_texts, unit_texts, texts)
            if fail_after_write is not None:
                fail_after_write()  # tests: simulate a crash before the build goes live
            final = builds / build_id
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _write_atomic(root / "CURRENT", build_id + "\n")
        self._prune(builds, keep=build_id)
        return BuildSummary(
            build_id=build_id,
            path=final,
            reports=len(reports),
            chunks=len(chunks),
            units=len(units),
            embedded=c_new + u_new,
            reused=len(chunk_texts) + len(unit_texts) - c_new - u_new,
            seconds=time.perf_counter() - t0,
            per_report=per_report,
        )

    # -------------------------------------------------------------- helpers
    def _bar(self, items: Any, **kw: Any) -> Any:
        if not self.progress:
            return items
        from tqdm import tqdm

        return tqdm(items, **kw)

    def _cache(self, needed: set[str]) -> dict[str, np.ndarray]:
        """Vectors for `needed` embed-text hashes from every intact build made with the same model,
        newest first (a corrupt live build does not cost a full re-embedding)."""
        out: dict[str, np.ndarray] = {}
        for build in reversed(build_dirs(self.settings.index_dir)):
            if len(out) == len(needed):
                break
            try:
                manifest = verify_build(build)
                if manifest.get("model_fingerprint") != self.embedder.fingerprint:
                    continue
                keys = json.loads((build / "embed_keys.json").read_text())
                for name, vec_file in (("chunks", "chunk_vectors.npy"), ("units", "unit_vectors.npy")):
                    vecs = np.load(build / vec_file)
                    for k, v in zip(keys[name], vecs, strict=True):
                        if k in needed and k not in out:
                            out[k] = np.array(v)
            except (CorruptIndex, OSError, ValueError, KeyError, TypeError) as exc:
                log.info("index build %s: embeddings not reused (%s)", build.name, exc)
        return out

    def _embed(self, texts: list[str], cache: dict[str, np.ndarray], desc: str) -> tuple[np.ndarray, int]:
        keys = [_key(t) for t in texts]
        out = np.zeros((len(texts), self.embedder.dim), dtype=np.float32)
        todo = [i for i, k in enumerate(keys) if k not in cache]
        for i, k in enumerate(keys):
            if k in cache:
                out[i] = cache[k]
        if todo:
            bar: Any = None
            if self.progress:
                from tqdm import tqdm

                bar = tqdm(total=len(todo), desc=desc, unit="text")
            vecs = self.embedder.encode(
                [texts[i] for i in todo],
                batch_size=self.settings.embed_batch_size or getattr(self.embedder, "default_batch", 64),
                progress=(bar.update if bar is not None else None),
            )
            if bar is not None:
                bar.close()
            out[todo] = vecs
        return out, len(todo)

    def _write(
        self,
        tmp: Path,
        build_id: str,
        reports: list[ReportInfo],
        chunks: list[Chunk],
        units: list[Unit],
        chunk_vecs: np.ndarray,
        unit_vecs: np.ndarray,
        chunk_texts: list[str],
        unit_texts: list[str],
        source_texts: list[str],
    ) -> None:
        import faiss

        # each report's text as it was read (the text citations point into), so that quotes are joined and
        # shown without reading the report file again; checked like every other file of the build
        (tmp / "texts").mkdir()
        stored = {r.source: f"texts/{i}.txt" for i, r in enumerate(reports)}
        for r, text in zip(reports, source_texts, strict=True):
            (tmp / stored[r.source]).write_text(text, encoding="utf-8", errors="surrogatepass", newline="")
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(c.model_dump_json() + "\n")
        with (tmp / "units.jsonl").open("w", encoding="utf-8") as fh:
            for u in units:
                fh.write(u.model_dump_json(exclude={"text"}) + "\n")
        np.save(tmp / "chunk_vectors.npy", chunk_vecs)
        np.save(tmp / "unit_vectors.npy", unit_vecs)
        (tmp / "embed_keys.json").write_text(
            json.dumps({"chunks": [_key(t) for t in chunk_texts], "units": [_key(t) for t in unit_texts]})
        )
        idx = _faiss_index(self.embedder.dim, self.settings.index_type)
        if len(chunks):
            idx.add(chunk_vecs)
        faiss.write_index(idx, str(tmp / "chunks.faiss"))
        BM25Index().build([bm25_text(c) for c in chunks]).save(tmp / "bm25")
        written = [p for p in sorted(tmp.rglob("*")) if p.is_file()]
        files = {str(p.relative_to(tmp)): _sha256(p) for p in written}
        sizes = {str(p.relative_to(tmp)): p.stat().st_size for p in written}
        manifest = {
            "format": FORMAT_VERSION,
            "build_id": build_id,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "model_name": self.embedder.name,
            "model_fingerprint": self.embedder.fingerprint,
            "embed_backend": getattr(self.embedder, "backend", "unknown"),
            "embed_quantization": getattr(self.embedder, "quantization", "unknown"),
            "dim": self.embedder.dim,
            "chunker_version": CHUNKER_VERSION,
            "chunk_max_tokens": self.settings.chunk_max_tokens,
            "chunk_target_tokens": self.settings.chunk_target_tokens,
            "index_type": self.settings.index_type,
            "reports": [
                {"id": r.id, "sha256": r.sha256, "source": r.source, "chunks": sum(1 for c in chunks if c.report_id == r.id)}
                for r in reports
            ],
            "report_info": [r.model_dump() for r in reports],
            "chunk_count": len(chunks),
            "unit_count": len(units),
            "source_texts": stored,
            "files": files,
            "sizes": sizes,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))

    def _prune(self, builds: Path, keep: str) -> None:
        """Keeps `keep` and the newest intact builds (_KEEP_BUILDS in all); corrupt builds go first."""
        intact: list[Path] = []
        corrupt: list[Path] = []
        for d in reversed(build_dirs(builds.parent)):
            if d.name == keep:
                continue
            try:
                verify_build(d)
                intact.append(d)
            except CorruptIndex:
                corrupt.append(d)
        for old in (intact + corrupt)[_KEEP_BUILDS - 1 :]:
            log.info("pruning index build %s (%s)", old.name, "corrupt" if old in corrupt else "old")
            shutil.rmtree(old, ignore_errors=True)
        for stale_tmp in builds.glob(".build-*"):
            if time.time() - stale_tmp.stat().st_mtime > 3600:
                shutil.rmtree(stale_tmp, ignore_errors=True)


def bm25_text(chunk: Chunk) -> str:
    """BM25 sees the section leaf and table context too: a row's label alone rarely names its table."""
    leaf = chunk.section.split(" > ")[-1] if chunk.section else ""
    return f"{leaf} {chunk.context} {chunk.text}"


def _write_atomic(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def current_build_dir(index_dir: Path) -> Path:
    """The live build's directory. Errors name no paths (they reach API clients); the log has them."""
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        log.error("no index: %s does not exist", pointer)
        raise IndexNotFound(f"No index found. {_RUN_HINT}")
    build_id = pointer.read_text().strip()
    path = index_dir / "builds" / build_id
    if not build_id or not path.is_dir():
        log.error("the build %r named in %s is missing (%s)", build_id, pointer, path)
        raise IndexNotFound(f"The index build named by CURRENT ({build_id[:80]!r}) is missing. {_RUN_HINT}")
    return path


def check_manifest(
    manifest: dict[str, Any], settings: Settings, reports: list[ReportInfo], model_fingerprint: str | None
) -> None:
    """Raise StaleIndex when the build no longer matches the reports, the model or the chunker."""
    problems: list[str] = []
    if manifest.get("format") != FORMAT_VERSION:
        problems.append(f"index format {manifest.get('format')} (expected {FORMAT_VERSION})")
    if manifest.get("chunker_version") != CHUNKER_VERSION:
        problems.append(f"chunker version {manifest.get('chunker_version')} (now {CHUNKER_VERSION})")
    if manifest.get("chunk_max_tokens") != settings.chunk_max_tokens or manifest.get(
        "chunk_target_tokens"
    ) != settings.chunk_target_tokens:
        problems.append("chunk size settings changed")
    built_fp = manifest.get("model_fingerprint")
    if model_fingerprint is not None and built_fp != model_fingerprint:
        built_by, now_by = describe_fingerprint(built_fp), describe_fingerprint(model_fingerprint)
        same_weights = str(built_fp).split("+")[0] == model_fingerprint.split("+")[0]
        if same_weights:
            problems.append(
                f"its vectors come from the embedding model on the {built_by} backend and the settings ask "
                f"for {now_by} (ESGQA_EMBED_BACKEND)"
            )
        else:
            problems.append(f"the embedding model's weights differ (index: {built_by}, now: {now_by})")
    built = {r["id"]: r["sha256"] for r in manifest.get("reports", [])}
    now = {r.id: r.sha256 for r in reports}
    for rid in sorted(set(built) | set(now)):
        if rid not in built:
            problems.append(f"report {rid} is not indexed")
        elif rid not in now:
            problems.append(f"report {rid} was removed from the manifest")
        elif built[rid] != now[rid]:
            problems.append(f"report {rid} changed")
    if problems:
        raise StaleIndex("The index is stale: " + "; ".join(problems) + f". {_RUN_HINT}")


_REQUIRED_FILES = ("chunks.jsonl", "units.jsonl", "chunk_vectors.npy", "unit_vectors.npy", "embed_keys.json", "chunks.faiss")


def verify_build(path: Path) -> dict[str, Any]:
    """The build's manifest, after checking every file it lists (size, then sha256) and that it lists
    every file the loader reads. Nothing is opened or memory-mapped before this passes, so a truncated
    or altered file is a `CorruptIndex`, never a crash on a mapped page."""
    build = path.name
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.error("index build %s: manifest %s unreadable: %s", build, path / "manifest.json", exc)
        raise CorruptIndex(f"The manifest of index build {build} is unreadable. {_RUN_HINT}") from exc
    files = manifest.get("files") if isinstance(manifest, dict) else None
    sizes = manifest.get("sizes", {}) if isinstance(manifest, dict) else {}
    if not isinstance(files, dict) or not isinstance(sizes, dict) or not all(n in files for n in _REQUIRED_FILES):
        log.error("index build %s: manifest %s is malformed", build, path / "manifest.json")
        raise CorruptIndex(f"The manifest of index build {build} is malformed. {_RUN_HINT}")
    for name, digest in files.items():
        f = path / name
        if not f.is_file():
            log.error("index build %s: file %s is missing", build, f)
            raise CorruptIndex(f"The index file {name} is missing from build {build}. {_RUN_HINT}")
        size = f.stat().st_size
        if name in sizes and sizes[name] != size:
            log.error("index build %s: file %s has %d bytes, the manifest says %s", build, f, size, sizes[name])
            raise CorruptIndex(f"The index file {name} of build {build} is corrupt (size mismatch). {_RUN_HINT}")
        if _sha256(f) != digest:
            log.error("index build %s: file %s fails its sha256 check", build, f)
            raise CorruptIndex(f"The index file {name} of build {build} is corrupt (checksum mismatch). {_RUN_HINT}")
    return manifest


def build_dirs(index_dir: Path) -> list[Path]:
    """Finished build directories, oldest first (by mtime, then id)."""
    builds = index_dir / "builds"
    if not builds.is_dir():
        return []
    return sorted(
        (d for d in builds.iterdir() if d.is_dir() and not d.name.startswith(".")),
        key=lambda d: (d.stat().st_mtime, d.name),
    )


def _newest_usable_build(
    settings: Settings, reports: list[ReportInfo] | None, model_fingerprint: str | None, exclude: str
) -> tuple[Path, dict[str, Any]] | None:
    """The newest build other than `exclude` whose files are intact and that is not stale."""
    for d in reversed(build_dirs(settings.index_dir)):
        if d.name == exclude:
            continue
        try:
            manifest = verify_build(d)
            if reports is not None:
                check_manifest(manifest, settings, reports, model_fingerprint)
        except (CorruptIndex, StaleIndex) as exc:
            log.info("index build %s is not usable as a fallback: %s", d.name, exc)
            continue
        return d, manifest
    return None


_MAPPABLE = ("chunks.faiss", "chunk_vectors.npy", "unit_vectors.npy")


def _use_mmap(settings: Settings, path: Path) -> bool:
    """`ESGQA_MMAP_INDEX`: true, false, or "auto" (map only a build whose vector files reach
    `ESGQA_MMAP_MIN_MB`: there sharing one copy between workers matters more than the SIGBUS risk)."""
    if settings.mmap_index == "auto":
        size = sum((path / name).stat().st_size for name in _MAPPABLE if (path / name).is_file())
        return size >= settings.mmap_min_mb * 2**20
    return bool(settings.mmap_index)


def load_index(
    settings: Settings,
    reports: list[ReportInfo] | None,
    model_fingerprint: str | None,
    build_dir: Path | None = None,
) -> LoadedIndex:
    """Load and verify the live build (or `build_dir`). `reports=None` skips the staleness check."""
    import faiss

    path = build_dir or current_build_dir(settings.index_dir)
    try:
        manifest = verify_build(path)
        if reports is not None:
            check_manifest(manifest, settings, reports, model_fingerprint)
    except CorruptIndex:
        if build_dir is not None or not settings.index_fallback:
            raise
        found = _newest_usable_build(settings, reports, model_fingerprint, exclude=path.name)
        if found is None:
            raise
        log.warning("index build %s named by CURRENT is corrupt; loading the newest intact build %s instead",
                    path.name, found[0].name)
        path, manifest = found
    try:
        chunks = [Chunk.model_validate_json(line) for line in (path / "chunks.jsonl").read_text("utf-8").splitlines()]
        units: list[Unit] = []
        for line in (path / "units.jsonl").read_text("utf-8").splitlines():
            data = json.loads(line)
            c = chunks[data["chunk_index"]]
            data["text"] = c.text[data["start"] - c.start : data["end"] - c.start]
            units.append(Unit.model_validate(data))
        mapped = _use_mmap(settings, path)
        flag = faiss.IO_FLAG_MMAP if mapped else 0
        try:
            fidx = faiss.read_index(str(path / "chunks.faiss"), flag)
        except RuntimeError:
            fidx = faiss.read_index(str(path / "chunks.faiss"))
        chunk_vecs = np.load(path / "chunk_vectors.npy", mmap_mode="r" if mapped else None)
        unit_vecs = np.load(path / "unit_vectors.npy", mmap_mode="r" if mapped else None)
        bm25 = BM25Index.load(path / "bm25", size=len(chunks))
        report_info = [ReportInfo.model_validate(r) for r in manifest["report_info"]]
    except (OSError, ValueError, KeyError, IndexError, RuntimeError) as exc:
        log.error("index build %s at %s could not be read: %s", path.name, path, exc)
        raise CorruptIndex(
            f"The index build {path.name} could not be read ({type(exc).__name__}). {_RUN_HINT}"
        ) from exc
    if fidx.ntotal != len(chunks) or len(unit_vecs) != len(units) or len(chunk_vecs) != len(chunks):
        log.error("index build %s at %s: vector and chunk counts differ", path.name, path)
        raise CorruptIndex(f"The index build {path.name} is inconsistent (vector and chunk counts differ). {_RUN_HINT}")
    by_chunk: list[list[int]] = [[] for _ in chunks]
    for i, u in enumerate(units):
        by_chunk[u.chunk_index].append(i)
    return LoadedIndex(
        build_id=manifest["build_id"],
        path=path,
        manifest=manifest,
        reports=report_info,
        chunks=chunks,
        units=units,
        faiss_index=fidx,
        chunk_vectors=chunk_vecs,
        unit_vectors=unit_vecs,
        bm25=bm25,
        units_by_chunk=by_chunk,
    )
