"""Compare PDF text libraries on a folder of PDFs: seconds per page (text extraction / words with positions).

    .venv/bin/python bench/compare_pdf_libs.py ../shared/corpus [--every 3]
    .venv/bin/python bench/compare_pdf_libs.py ../shared/corpus --facts eval/corpus/table_facts.jsonl

Slow libraries are timed on every N-th page (`--every`); the figure is seconds per page timed.
Used once to choose the ingest library (see bench/README.md); not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


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
    ap.add_argument("--facts", type=Path, default=None, help="table_facts.jsonl: also score table facts")
    args = ap.parse_args()
    if args.facts is not None:
        table_facts(args.folder, args.facts)
        return
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



# ---------------------------------------------------------------------- table facts per library
def _page_texts(lib: str, path: Path, pages: list[int]) -> dict[int, str]:
    """The text of the given pages (1-based) as the library extracts it."""
    out: dict[int, str] = {}
    if lib.startswith("pypdf"):
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        for p in pages:
            out[p] = reader.pages[p - 1].extract_text(extraction_mode="layout" if "layout" in lib else "plain")
    elif lib == "pdfminer.six":
        from pdfminer.high_level import extract_text

        for p in pages:
            out[p] = extract_text(str(path), page_numbers=[p - 1])
    elif lib == "pypdfium2":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        for p in pages:
            out[p] = pdf[p - 1].get_textpage().get_text_range()
    return out


def _line_has(text: str, row: str, value: str) -> bool:
    from bench_ingest import norm_label, norm_value

    want = norm_label(row)
    for line in text.splitlines():
        if norm_label(line).startswith(want) or want in norm_label(line):
            cells = [norm_value(c) for c in re.split(r"\s+|\t", line)]
            if norm_value(value) in cells or norm_value(value) in norm_value(line):
                return True
    return False


def _plumber_found(path: Path, fact: dict[str, Any], settings: dict[str, Any] | None = None) -> bool:
    import pdfplumber
    from bench_ingest import label_matches, norm_value

    with pdfplumber.open(str(path)) as pdf:
        tables = pdf.pages[int(fact["page"]) - 1].extract_tables(settings or {})
    for table in tables:
        year_cols = [
            {i for i, c in enumerate(r) if c and re.search(rf"(?<!\d){fact['year']}(?!\d)", c)} for r in table
        ]
        for k, r in enumerate(table):
            label = " ".join((r[0] or "").split())
            if not label_matches(label, fact["row"]):
                continue
            cols = set().union(*year_cols[:k]) if k else set()
            if any(i < len(r) and norm_value(r[i] or "") == norm_value(str(fact["value"])) for i in cols):
                return True
    return False


def table_facts(folder: Path, facts_path: Path) -> None:
    """Per library: facts whose row label and value come out on one line of that page (text libraries:
    no columns), and for pdfplumber's table finder: the value in the column under the year."""
    facts = [json.loads(ln) for ln in facts_path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    by_report: dict[str, list[dict[str, Any]]] = {}
    for f in facts:
        if (folder / f"{f['report']}.pdf").is_file():
            by_report.setdefault(f["report"], []).append(f)
    print("\n| library | facts on one line with their row label | of |")
    print("| --- | ---: | ---: |")
    for lib in ("pypdf", "pypdf layout", "pdfminer.six", "pypdfium2"):
        found = total = 0
        for rid, fs in by_report.items():
            texts = _page_texts(lib, folder / f"{rid}.pdf", sorted({int(f["page"]) for f in fs}))
            for f in fs:
                total += 1
                found += _line_has(texts[int(f["page"])], f["row"], str(f["value"]))
        print(f"| {lib} | {found} | {total} |", flush=True)
    text_strategy = {"vertical_strategy": "text", "horizontal_strategy": "text"}
    for name, settings in (("ruling lines", None), ("text alignment", text_strategy)):
        found = total = 0
        for rid, fs in by_report.items():
            for f in fs:
                total += 1
                found += _plumber_found(folder / f"{rid}.pdf", f, settings)
        print(f"| pdfplumber extract_tables, {name} (value in the year's column) | {found} | {total} |", flush=True)


if __name__ == "__main__":
    main()
