"""Placeholder: replaced by the eval harness's corpus loader on merge."""

from __future__ import annotations

from pathlib import Path

from qa.service import QAService


def load_corpus_service(corpus: Path, manifest: Path, exclude_companies: set[str] | None = None) -> QAService:
    raise NotImplementedError
