"""Shared fixtures: settings, the real model's token counter, the real service (one per session), a PDF maker.

Everything expensive is session-scoped and built lazily, so fast tests never load the model or the index.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.config import Settings  # noqa: E402


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The project's default settings (real seeds/ and index/)."""
    return Settings()


@pytest.fixture(scope="session")
def token_counter(settings: Settings) -> Any:
    """The embedding model's own tokenizer (plus cl100k), loaded once."""
    from qa.tokens import TokenCounter

    return TokenCounter(settings.resolved_model_path(), settings.tiktoken_cache_dir).load()


@pytest.fixture(scope="session")
def real_service(settings: Settings) -> Any:
    """`QAService.load(Settings())`: the real model and the live index in index/ (built by `esgqa index`)."""
    from qa.service import QAService

    return QAService.load(settings)


def _make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF with one page per entry; each entry's lines are drawn top-down in Helvetica."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        y = 800.0
        for line in lines:
            c.setFont("Helvetica", 11)
            c.drawString(72, y, line)
            y -= 16
        c.showPage()
    c.save()
    return path


@pytest.fixture(scope="session")
def make_pdf() -> Callable[[Path, list[list[str]]], Path]:
    """`make_pdf(path, [[lines of page 1], [lines of page 2], ...]) -> path`."""
    return _make_pdf
