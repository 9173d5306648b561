"""`python -m qa.training.refit DUMP [--apart COMPANY ...]`: refit the confidence model leave-one-company-out on
the held-out answers of a `python -m qa.training --dump` and print, per company, the false abstention, the
unanswerable questions refused and the ECE, then their mean over the companies not set `--apart` (the bundled
company, whose row the training report keeps out of its mean). Each company's confidence is fitted on the other
companies' answers, as `make train` fits it, so on the dump's own features the figures are the report's; a
confidence cue or fitting change can be tried here in seconds (add its feature to the rows and to
`fit.CONFIDENCE_FEATURES`) before a training run."""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.training.dumpscore import read_dump
from qa.training.fit import Outcome, ece, fit_confidence


def outcomes(rows: Sequence[dict[str, Any]]) -> list[Outcome]:
    """The dump's rows as the outcomes the confidence is fitted on (rows without features are left out)."""
    return [
        Outcome(features=dict(r["features"]), answerable=bool(r["answers"]), correct=bool(r["correct"]),
                correct3=False, span_ok=bool(r["span_ok"]), span_type=False, qtype=str(r["type"]),
                company=str(r["company"]), wrong_company=False, qid=str(r.get("id", "")))
        for r in rows if r.get("features")
    ]


def refit(outs: Sequence[Outcome]) -> dict[str, tuple[float, float | None, float]]:
    """Per company: false abstention (% of answerable refused), refused (% of unanswerable; None without
    any) and ECE, with a confidence model fitted on the other companies' outcomes."""
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outs:
        by[o.company].append(o)
    result: dict[str, tuple[float, float | None, float]] = {}
    for company, mine in sorted(by.items()):
        model = fit_confidence([o for o in outs if o.company != company])
        conf = np.array([model.confidence(o.features) for o in mine])
        answerable = np.array([o.answerable for o in mine], dtype=bool)
        right = np.array([o.answerable and o.correct for o in mine], dtype=bool)
        answered = conf >= model.threshold
        false_abst = 100.0 * float((~answered[answerable]).mean()) if answerable.any() else 0.0
        refused = 100.0 * float((~answered[~answerable]).mean()) if (~answerable).any() else None
        result[company] = (false_abst, refused, ece(conf.tolist(), right.tolist()))
    return result


def table(result: dict[str, tuple[float, float | None, float]], apart: Sequence[str] = ()) -> str:
    lines = ["| company | false_abst | abstain | ECE |", "|---|---|---|---|"]
    lines += [f"| {c} | {fa:.1f} | {'–' if ab is None else f'{ab:.1f}'} | {e:.3f} |" for c, (fa, ab, e) in result.items()]
    kept = [v for c, v in result.items() if c not in apart]
    if kept:
        refused = [ab for _, ab, _ in kept if ab is not None]
        lines.append(f"| **mean of {len(kept)}** | {np.mean([fa for fa, _, _ in kept]):.1f} | "
                     f"{np.mean(refused) if refused else float('nan'):.1f} | {np.mean([e for _, _, e in kept]):.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qa.training.refit", description=__doc__.split("\n\n")[0])
    ap.add_argument("dump", type=Path)
    ap.add_argument("--apart", action="append", default=[], help="a company left out of the mean (repeatable)")
    try:
        args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # argparse's usage error: its message is already written
        return int(exc.code or 0)
    try:
        rows = read_dump(args.dump)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"{args.dump}: cannot read the dump ({exc})\n")
        return 2
    outs = outcomes(rows)
    if len({o.company for o in outs}) < 2:
        sys.stderr.write(f"{args.dump}: held-out answers of at least two companies are needed\n")
        return 1
    sys.stdout.write(table(refit(outs), args.apart) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
