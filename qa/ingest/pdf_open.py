"""Opening a PDF: encrypted files with an empty user password open; everything else fails with one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.errors import IngestError

# PDFium's error codes (fpdfview.h)
_ERR_FILE, _ERR_FORMAT, _ERR_PASSWORD, _ERR_SECURITY = 2, 3, 4, 5


def _sniff(path: Path, head: bytes) -> str | None:
    """Why a file that claims to be a PDF is not one, from its first bytes (None when it may be one)."""
    if b"%PDF-" in head[:1024]:
        return None
    low = head[:2048].lstrip().lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in low:
        return "is a web page (HTML), not a PDF; download the PDF file itself"
    if low.startswith(b"pk\x03\x04"):
        return "is a ZIP archive (e.g. a Word or Excel file), not a PDF; export it as PDF first"
    if not low:
        return "is empty; download the report again"
    return "is not a PDF (no %PDF header); check that you have the right file"


def open_pdf(path: Path) -> Any:
    """A `pypdfium2.PdfDocument`, or IngestError naming the file and what to do."""
    import pypdfium2 as pdfium

    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise IngestError(f"{path}: cannot read the file ({exc.strerror}).") from exc
    why = _sniff(path, head)
    if why is not None:
        raise IngestError(f"{path.name}: cannot read the PDF: the file {why}.")
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (_ERR_PASSWORD, _ERR_SECURITY):
            raise IngestError(
                f"{path.name}: cannot read the PDF: it is protected by a password; "
                "save an unprotected copy (or ask the publisher for one) and add that."
            ) from exc
        if code == _ERR_FILE:
            raise IngestError(f"{path.name}: cannot read the file; check that it exists and is readable.") from exc
        raise IngestError(
            f"{path.name}: cannot read the PDF: the file is damaged or incomplete (truncated download?); "
            "download it again."
        ) from exc
