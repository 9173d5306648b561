"""Reading and chunking several reports in parallel processes, with the serial path's exact output.

The workers are spawned (not forked: no copied model or thread state) and each builds its own
`Chunker` from a picklable `ChunkerSpec` after it starts; they only read and chunk, the embedding
stays in the building process. Results come back in the reports' order, so the chunks are the
same, byte for byte, as one process makes them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from qa.chunking.chunker import Chunker
from qa.models import Chunk, ReportInfo, Unit

if TYPE_CHECKING:
    from qa.config import Settings


@dataclass(frozen=True)
class ChunkerSpec:
    """How to make the real chunker (the model's tokenizer and cl100k): picklable, loaded on `make()`."""

    model_path: str
    tiktoken_cache_dir: Path
    max_tokens: int
    target_tokens: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ChunkerSpec:
        return cls(settings.resolved_model_path(), settings.tiktoken_cache_dir, settings.chunk_max_tokens,
                   settings.chunk_target_tokens)

    def make(self) -> Chunker:
        from qa.tokens import TokenCounter

        counter = TokenCounter(self.model_path, self.tiktoken_cache_dir).load()
        return Chunker(counter.model, counter.cl100k, self.max_tokens, self.target_tokens)


class ChunkedReport(NamedTuple):
    """One report's chunks and units, and the text they were cut from (the text citations point into)."""

    chunks: list[Chunk]
    units: list[Unit]
    text: str


def _chunked(chunker: Chunker, report: ReportInfo, path: Path) -> ChunkedReport:
    from qa.ingest import load_document

    doc = load_document(path)
    return ChunkedReport(*chunker.split(report, doc), doc.text)


_worker_chunker: Chunker | None = None  # one per worker process, made by _start


def _start(spec: ChunkerSpec) -> None:
    global _worker_chunker
    _worker_chunker = spec.make()


def _split(report: ReportInfo, path: Path) -> ChunkedReport:
    assert _worker_chunker is not None
    return _chunked(_worker_chunker, report, path)


def worker_count(setting: int, reports: int) -> int:
    """`setting` (ESGQA_INGEST_WORKERS) processes; 0: one per CPU, never more than there are reports."""
    wanted = setting if setting > 0 else (os.cpu_count() or 1)
    return max(1, min(wanted, reports))


def chunk_reports(
    jobs: list[tuple[ReportInfo, Path]], chunker: Chunker | ChunkerSpec, workers: int
) -> Iterator[ChunkedReport]:
    """Each report's chunks, units and text, in the order of `jobs`. A `Chunker` (or one worker) runs here."""
    if isinstance(chunker, Chunker) or workers <= 1 or len(jobs) <= 1:
        local = chunker if isinstance(chunker, Chunker) else chunker.make()
        for report, path in jobs:
            yield _chunked(local, report, path)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_start, initargs=(chunker,)) as pool:
        yield from pool.map(_split, [r for r, _ in jobs], [p for _, p in jobs])
