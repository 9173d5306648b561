"""Compare PDF text libraries on a folder of PDFs: seconds per page (text extraction / words with positions).

    .venv/bin/python bench/compare_pdf_libs.py ../shared/corpus [--every 3]

Slow libraries are timed on every N-th page (`--every`); the figure is seconds per page timed.
Used once to choose the ingest library (see bench/README.md); not part of `make test`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path


def _pypdf(layout: bool) -> Callable[[Path, int], int]:
    def run(path: Path, every: int) -> int:
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        n = 0
        for i, page in enumerate(reader.pages):
            if i % every == 0:
                page.extract_text(extraction_mode="layout" if layout else "plain")
                n += 1
        return n

    return run


def _plumber_words(path: Path, every: int) -> int:
    import pdfplumber

    n = 0
    with pdfplumber.open(str(path)) as pdf:
        for i, page in enumerate(pdf.pages):
            if i % every == 0:
                page.extract_words(extra_attrs=["size", "fontname"])
                n += 1
    return n


def _plumber_tables(path: Path, every: int) -> int:
    import pdfplumber

    n = 0
    with pdfplumber.open(str(path)) as pdf:
        for i, page in enumerate(pdf.pages):
            if i % every == 0:
                page.extract_tables({"vertical_strategy": "text", "horizontal_strategy": "text"})
                n += 1
    return n


def _pdfminer(path: Path, every: int) -> int:
    from pdfminer.high_level import extract_text
    from pypdf import PdfReader

    pages = len(PdfReader(str(path)).pages)
    wanted = [i for i in range(pages) if i % every == 0]
    extract_text(str(path), page_numbers=wanted)
    return len(wanted)


def _pdfium_text(path: Path, every: int) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    for i in range(len(pdf)):
        pdf[i].get_textpage().get_text_range()
    return len(pdf)


def _ours(path: Path, every: int) -> int:
    from qa.ingest import load_document

    return len(load_document(path).pages)


LIBS: dict[str, tuple[Callable[[Path, int], int], bool]] = {
    "pypdf extract_text": (_pypdf(False), False),
    "pypdf layout mode": (_pypdf(True), True),
    "pdfminer.six extract_text": (_pdfminer, True),
    "pdfplumber words (+size, font)": (_plumber_words, True),
    "pdfplumber extract_tables (text strategy)": (_plumber_tables, True),
    "pypdfium2 text": (_pdfium_text, False),
    "esgqa ingest (pypdfium2 chars)": (_ours, False),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--every", type=int, default=3, help="time slow libraries on every N-th page")
    ap.add_argument("--only", default="", help="comma-separated substrings of library names")
    args = ap.parse_args()
    pdfs = sorted(args.folder.glob("*.pdf"))
    print("| library | pages timed | s/page (median over reports) | s/page (all pages) |")
    print("| --- | ---: | ---: | ---: |")
    for name, (fn, slow) in LIBS.items():
        if args.only and not any(s in name for s in args.only.split(",")):
            continue
        per: list[float] = []
        total_t, total_n = 0.0, 0
        for pdf in pdfs:
            t0 = time.perf_counter()
            n = fn(pdf, args.every if slow else 1)
            dt = time.perf_counter() - t0
            per.append(dt / max(n, 1))
            total_t += dt
            total_n += n
        per.sort()
        median = per[len(per) // 2] if len(per) % 2 else (per[len(per) // 2 - 1] + per[len(per) // 2]) / 2
        print(f"| {name} | {total_n} | {median:.3f} | {total_t / max(total_n, 1):.3f} |", flush=True)


if __name__ == "__main__":
    main()
