"""Reading report files (plain text or PDF) into one text with known page spans.

`load_document(path)` is the entry point; `read_source_text(path)` is the text citations point into.
"""

from __future__ import annotations

from pathlib import Path

from qa.errors import IngestError
from qa.ingest.document import Document, HeadingSpan, LineBox, NoiseSpan, PageSpan
from qa.ingest.textfile import footer_pages, load_text

__all__ = [
    "Document", "HeadingSpan", "LineBox", "NoiseSpan", "PageSpan",
    "footer_pages", "load_document", "read_source_text",
]


def load_document(path: Path) -> Document:
    """Read a `.txt` or `.pdf` report. Raises IngestError for anything unreadable."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from qa.ingest.pdf import load_pdf  # local: pypdfium2 is loaded only for PDFs

        return load_pdf(path)
    if suffix in (".txt", ".text", ".md"):
        return load_text(path)
    raise IngestError(f"{path.name}: unsupported file type {suffix!r}; give a .txt or .pdf report.")


def read_source_text(path: Path) -> str:
    """The text that citation offsets point into."""
    return load_document(path).text
