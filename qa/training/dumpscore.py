"""`python -m qa.training.dumpscore DUMP MARKER`: score the held-out answers of a `python -m qa.training --dump`
whose question id contains MARKER (`-t10-`), per company: A@1 over the answerable questions, span@1 over the
figure, date, name and table questions (answered), table A@1, false abstention, and the unanswerable questions
refused. A set moved into training for one run is scored this way leave-one-company-out: each company's rows
come from models trained without that company."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from qa.training.dataset import SPAN_TYPES


def read_dump(path: Path) -> list[dict[str, Any]]:
    """The rows of a `python -m qa.training --dump` file (OSError or ValueError when it cannot be read)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _answered(row: dict[str, Any]) -> bool:
    return row["confidence"] is None or row["confidence"] >= row["threshold"]


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f}" if den else "–"


def score_rows(rows: list[dict[str, Any]]) -> dict[str, str]:
    ans = [r for r in rows if r["answers"]]
    una = [r for r in rows if not r["answers"]]
    spans = [r for r in ans if r["type"] in SPAN_TYPES]
    tables = [r for r in ans if r["type"] == "table"]
    return {
        "n": str(len(rows)),
        "A@1": _pct(sum(r["correct"] for r in ans), len(ans)),
        "span@1": _pct(sum(bool(r["span_ok"]) and _answered(r) for r in spans), len(spans)),
        "table A@1": _pct(sum(r["correct"] for r in tables), len(tables)),
        "false_abst": _pct(sum(not _answered(r) for r in ans), len(ans)),
        "unanswerable refused": f"{sum(not _answered(r) for r in una)} of {len(una)}",
    }


def table(rows: list[dict[str, Any]]) -> str:
    """A markdown table: one line per company, then all rows together."""
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[r["company"]].append(r)
    lines = [(company, score_rows(rs)) for company, rs in sorted(by.items())] + [("**all**", score_rows(rows))]
    head = ["company", *lines[-1][1]]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join([name, *cells.values()]) + " |" for name, cells in lines]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        sys.stderr.write("usage: python -m qa.training.dumpscore DUMP.jsonl MARKER\n")
        return 2
    try:
        rows = read_dump(Path(args[0]))
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"{args[0]}: cannot read the dump ({exc})\n")
        return 2
    picked = [r for r in rows if args[1] in str(r.get("id", ""))]
    if not picked:
        sys.stderr.write(f"no question id in {args[0]} contains {args[1]!r}\n")
        return 1
    sys.stdout.write(table(picked) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
