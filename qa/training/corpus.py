"""The multi-company development corpus as a service (its own index, built when missing or stale)."""

from __future__ import annotations

from pathlib import Path

from qa.config import Settings
from qa.embedding import Embedder
from qa.evaluation.corpus import load_corpus_service as _load
from qa.evaluation.corpus import open_corpus
from qa.service import QAService


def load_corpus_service(corpus: Path, manifest: Path, embedder: Embedder | None = None) -> QAService:
    return _load(open_corpus(Settings(ranker="rules"), corpus, manifest), embedder=embedder, progress=True)
