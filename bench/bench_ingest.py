"""Ingest benchmark on a folder of PDF reports: speed, chunks, table rows, and table facts reconstructed.

    .venv/bin/python bench/bench_ingest.py [../shared/corpus] [--facts eval/corpus/table_facts.jsonl]

Per report: pages, seconds per page for ingest alone and for ingest + chunking (the real model's
tokenizer counts tokens), chunks, table-row units. The table-fact score: the share of hand-picked
(report, row, year) -> value facts for which some `table_row` unit of that report has a label
matching the row (normalised, prefix or containment either way) and, in the column whose header names
that year, exactly the value as printed. Facts whose report is not in the folder are skipped.
Report ids are the file stems (`indus-2023.pdf` -> `indus-2023`).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import common

_MARKS = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹*]+")
_NON_WORD = re.compile(r"[^a-z0-9%]+")


def norm_label(text: str) -> str:
    text = text.lower().replace("₂", "2").replace("²", "2").replace("³", "3")
    text = _MARKS.sub(" ", text)
    text = re.sub(r"(?<=[a-z)])\d{1,2}\b", " ", text)  # a footnote mark printed as a plain digit
    return " ".join(_NON_WORD.sub(" ", text).split())


_VALUE_MARK = re.compile(r"[(⁽]?[⁰¹²³⁴⁵⁶⁷⁸⁹*]+[)⁾]?$")


def norm_value(text: str) -> str:
    """A cell without its footnote mark (`1.745¹)` -> `1.745`) and spaces."""
    return _VALUE_MARK.sub("", text.strip()).replace(" ", "").replace("−", "-").replace("–", "-")


def label_matches(label: str, row: str) -> bool:
    a, b = norm_label(label), norm_label(row)
    if not a or not b:
        return False
    return a.startswith(b) or b.startswith(a) and len(a) >= 0.5 * len(b) or b in a


def year_columns(header: list[str], year: str) -> list[int]:
    return [i for i, h in enumerate(header) if re.search(rf"(?<!\d){year}(?!\d)", h)]


def row_values(unit_text: str, header: list[str]) -> list[str]:
    """The cells of a table-row unit by column position (the composer's own reader, `row_cells`)."""
    from qa.compose.extract import row_cells

    names = [str(i) for i in range(max(len(header), unit_text.count("\t")) + 1)]
    out = [""] * len(names)
    for c in row_cells(unit_text, names):
        out[int(c.column)] = c.span.text
    return out


def fact_found(fact: dict[str, Any], rows: list[tuple[str, list[str], str]]) -> tuple[bool, str]:
    """(found, why-not) for one fact against (label, header, unit text) rows of its report."""
    want = norm_value(str(fact["value"]))
    labelled = [(lab, hdr, txt) for lab, hdr, txt in rows if label_matches(lab, fact["row"])]
    if not labelled:
        return False, "no row with that label"
    with_year = [(lab, hdr, txt) for lab, hdr, txt in labelled if year_columns(hdr, str(fact["year"]))]
    if not with_year:
        return False, "row found, but no column header names the year"
    for _lab, hdr, txt in with_year:
        vals = row_values(txt, hdr)
        for i in year_columns(hdr, str(fact["year"])):
            if i < len(vals) and norm_value(vals[i]) == want:
                return True, ""
    return False, "row and year column found, but not that value under it"


def main() -> None:
    common.offline()
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path, nargs="?", default=common.ROOT.parent / "shared" / "corpus")
    ap.add_argument("--facts", type=Path, default=common.ROOT / "eval" / "corpus" / "table_facts.jsonl")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--show-misses", type=int, default=15)
    args = ap.parse_args()
    sys.path.insert(0, str(common.ROOT))
    from qa.chunking.chunker import Chunker
    from qa.config import Settings
    from qa.ingest import load_document
    from qa.models import ReportInfo
    from qa.tokens import TokenCounter

    s = Settings()
    counter = TokenCounter(s.resolved_model_path(), s.tiktoken_cache_dir).load()
    chunker = Chunker(counter.model, counter.cl100k, s.chunk_max_tokens, s.chunk_target_tokens)
    pdfs = sorted(args.folder.glob("*.pdf"))
    if not pdfs:
        raise SystemExit(f"no PDFs in {args.folder}")
    report: dict[str, Any] = {"command": common.command_line(), "started": common.utc_stamp(),
                              "stamp": common.utc_stamp(), "git": common.git_head(), "machine": common.machine()}
    per: list[dict[str, Any]] = []
    table_rows: dict[str, list[tuple[str, list[str], str]]] = {}
    for pdf in pdfs:
        rid = pdf.stem
        t0 = time.perf_counter()
        doc = load_document(pdf)
        t1 = time.perf_counter()
        info = ReportInfo(id=rid, company=rid, title=rid, year=2023, years_covered=[2023], source=str(pdf),
                          original_name=pdf.name, sha256="0" * 64)
        chunks, units = chunker.split(info, doc)
        t2 = time.perf_counter()
        pages = len(doc.pages)
        rows = []
        for u in units:
            c = chunks[u.chunk_index]
            if u.kind == "table_row" and c.header:
                label = u.text.split("\t", 1)[0]
                rows.append((" ".join(label.split()), c.header, u.text))
        table_rows[rid] = rows
        per.append({"report": rid, "pages": pages, "ingest_s_per_page": (t1 - t0) / pages,
                    "ingest_chunk_s_per_page": (t2 - t0) / pages, "chunks": len(chunks),
                    "table_rows": len(rows), "headings": len(doc.headings), "noise_spans": len(doc.noise)})
        print(f"{rid}: {pages} pages, {(t1 - t0) / pages:.3f} s/page ingest, {(t2 - t0) / pages:.3f} s/page "
              f"with chunking, {len(chunks)} chunks, {len(rows)} table rows", flush=True)
    report["reports"] = per
    med_ingest = statistics.median(r["ingest_s_per_page"] for r in per)
    med_total = statistics.median(r["ingest_chunk_s_per_page"] for r in per)
    report["median_ingest_s_per_page"] = med_ingest
    report["median_ingest_chunk_s_per_page"] = med_total
    md = [common.header_md("Ingest benchmark", report)]
    md.append(common.md_table(
        ["report", "pages", "ingest s/page", "ingest+chunking s/page", "chunks", "table rows", "headings"],
        [[r["report"], r["pages"], r["ingest_s_per_page"], r["ingest_chunk_s_per_page"], r["chunks"],
          r["table_rows"], r["headings"]] for r in per]))
    md.append(f"\nMedian over reports: ingest {med_ingest:.3f} s/page, ingest + chunking {med_total:.3f} s/page "
              "(target ≤ 0.5).\n")
    if args.facts.is_file():
        facts = [json.loads(ln) for ln in args.facts.read_text(encoding="utf-8").splitlines() if ln.strip()]
        facts = [f for f in facts if f.get("report") in table_rows]
        by_report: dict[str, list[bool]] = defaultdict(list)
        misses: list[str] = []
        for f in facts:
            ok, why = fact_found(f, table_rows[f["report"]])
            by_report[f["report"]].append(ok)
            if not ok:
                misses.append(f"- {f['report']} p.{f.get('page')} `{f['row']}` {f['year']} = `{f['value']}`: {why}")
        found = sum(sum(v) for v in by_report.values())
        report["table_facts"] = {"facts": len(facts), "found": found,
                                 "per_report": {k: [sum(v), len(v)] for k, v in by_report.items()}}
        md.append(f"## Table facts: {found} / {len(facts)} ({found / max(len(facts), 1):.1%}) reconstructed\n")
        md.append(common.md_table(["report", "found", "facts"],
                                  [[k, sum(v), len(v)] for k, v in sorted(by_report.items())]))
        if misses:
            md.append("\nMisses:\n" + "\n".join(misses[: args.show_misses if args.show_misses >= 0 else None]))
    else:
        md.append(f"(no table facts: {args.facts} does not exist)")
    report["load_average_end"] = common.load_average()
    text = "\n".join(md) + "\n"
    print(text)
    if not args.no_write:
        paths = common.write_results("ingest", report, text)
        print(f"wrote {paths[0]} and {paths[1]}")


if __name__ == "__main__":
    main()
