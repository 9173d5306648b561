"""Evaluating against a folder of reports with its own manifest and its own index (`esgqa eval --corpus`).

The folder is only read (it may be read-only): the manifest's `source` fields are file names
relative to it. The index lives apart from the bundled one, in `var/corpus-index/<name>-<hash>/`
(the hash keys the folder and the manifest's paths): `seeds/reports.json` there is a copy of the
manifest and `index/` the usual builds. It is built with the usual `IndexBuilder` when missing or
stale (a report changed, the model or the chunker changed) and loaded by `QAService.load` with a
copy of the settings whose `root` is the folder and whose `seeds_dir`/`index_dir` point there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.errors import IngestError, ManifestError, QAError
from qa.evaluation.dataset import EvalSetError

if TYPE_CHECKING:
    from qa.embedding import Embedder
    from qa.reports import ReportRegistry
    from qa.service import QAService

logger = logging.getLogger(__name__)

MANIFEST_NAME = "reports.json"
INDEX_HOME = Path("var") / "corpus-index"  # under the settings' root (the repository)


class CorpusError(EvalSetError):
    """`--corpus`/`--manifest` name no folder or manifest, or the manifest does not fit the folder."""

    code = "corpus_error"


@dataclass(frozen=True)
class Corpus:
    """A folder of reports, its manifest, and where its index lives."""

    dir: Path
    manifest: Path  # the manifest as given (its copy is `settings.manifest_path`)
    home: Path  # var/corpus-index/<name>-<hash>/
    settings: Settings  # root=dir, seeds_dir=home/seeds, index_dir=home/index

    def describe(self) -> dict[str, str]:
        """What a run records about its corpus (metrics.json)."""
        return {"corpus": str(self.dir), "corpus_manifest": str(self.manifest), "corpus_index": str(self.home)}


def resolve_manifest(corpus_dir: Path, manifest: Path | None) -> Path:
    """The manifest to use: `manifest`, else `corpus_dir/reports.json`."""
    if manifest is not None:
        if not manifest.is_file():
            raise CorpusError(f"{manifest}: manifest not found (--manifest).")
        return manifest.resolve()
    default = corpus_dir / MANIFEST_NAME
    if not default.is_file():
        raise CorpusError(f"{corpus_dir} holds no {MANIFEST_NAME}; give its manifest with --manifest FILE.")
    return default.resolve()


def corpus_home(corpus_dir: Path, manifest: Path, index_home: Path) -> Path:
    """`index_home/<folder name>-<hash of the folder and manifest paths>`: one index per corpus, kept
    (and updated incrementally) across manifest edits."""
    key = hashlib.sha256(f"{corpus_dir.resolve()}\n{manifest.resolve()}".encode()).hexdigest()[:12]
    name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in corpus_dir.resolve().name) or "corpus"
    return index_home / f"{name}-{key}"


def open_corpus(
    base: Settings, corpus_dir: Path, manifest: Path | None = None, index_home: Path | None = None
) -> Corpus:
    """Resolve the folder, its manifest and its index home; nothing is written."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: no such folder of reports (--corpus).")
    corpus_dir = corpus_dir.resolve()
    manifest_path = resolve_manifest(corpus_dir, manifest)
    home = corpus_home(corpus_dir, manifest_path, (index_home or base.root / INDEX_HOME).resolve())
    settings = base.model_copy(update={"root": corpus_dir, "seeds_dir": home / "seeds", "index_dir": home / "index"})
    return Corpus(dir=corpus_dir, manifest=manifest_path, home=home, settings=settings)


def _copy_manifest(src: Path, dst: Path) -> None:
    """Copy the manifest next to the corpus index (atomically, and only when it differs)."""
    data = src.read_bytes()
    if dst.is_file() and dst.read_bytes() == data:
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".reports.", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_registry(corpus: Corpus) -> ReportRegistry:
    """The corpus's reports, every file checked against its sha256 (the manifest copied first)."""
    from qa.reports import ReportRegistry

    try:
        _copy_manifest(corpus.manifest, corpus.settings.manifest_path)
        return ReportRegistry(corpus.settings.manifest_path, corpus.settings.root).load()
    except ManifestError as exc:
        raise CorpusError(f"corpus {corpus.dir} with manifest {corpus.manifest}: {exc}") from exc
    except OSError as exc:
        raise CorpusError(f"cannot prepare the corpus index in {corpus.home}: {exc}") from exc


def ensure_index(corpus: Corpus, embedder: Embedder, progress: bool = False) -> bool:
    """Build the corpus index when it is missing or stale; True when it was (re)built."""
    from qa.chunking.parallel import ChunkerSpec
    from qa.store import IndexBuilder, load_index

    s = corpus.settings
    registry = load_registry(corpus)
    try:
        index = load_index(s, registry.reports, embedder.fingerprint)
        logger.info("corpus index %s is up to date (%d chunks)", index.build_id, len(index.chunks))
        return False
    except QAError as exc:  # missing, stale or corrupt: say why, without the `esgqa index` hint
        logger.warning("building the corpus index in %s (%s)", s.index_dir, str(exc).split(". ")[0])
    try:
        summary = IndexBuilder(s, embedder, ChunkerSpec.from_settings(s), progress=progress).build(registry)
    except IngestError as exc:
        raise CorpusError(f"corpus {corpus.dir}: {exc}") from exc
    logger.warning("built corpus index %s: %d reports, %d chunks in %.1f s",
                   summary.build_id, summary.reports, summary.chunks, summary.seconds)
    return True


def load_corpus_service(
    corpus: Corpus, embedder: Embedder | None = None, progress: bool = False
) -> QAService:
    """A `QAService` over the corpus (its index built first when missing or stale). Without
    `embedder`, the real model is loaded (torch threads set as `QAService.load` does)."""
    from qa.embedding import make_embedder
    from qa.service import QAService
    from qa.tokens import ensure_tiktoken_cache

    s = corpus.settings
    ensure_tiktoken_cache(s.tiktoken_cache_dir)
    if embedder is None:
        ensure_index(corpus, make_embedder(s), progress=progress)  # loaded only to build, on every core
        embedder = make_embedder(s, threads=s.torch_threads).load()  # answers as QAService.load does
    else:
        ensure_index(corpus, embedder, progress=progress)
    return QAService.load(s, embedder=embedder)
