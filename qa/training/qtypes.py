"""`python -m qa.training.qtypes [--save F.json] [--against F.json]`: the type `question.analyse` gives every training
question (the files `eval/training-sets.json` lists) against its gold type, as a confusion table: a figure's or a
table's question fits a figure type (numeric, percent, count, money), any other its own type; cross-report and
unanswerable questions have no gold type. With `--against`, an earlier `--save` of the same questions: how many types
moved, how many of them to their gold type and how many away from it, and each that moved. A question-typing rule is
judged this way in seconds, before a training run."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from qa.compose.question import analyse, name_words
from qa.config import REPO_ROOT
from qa.training.run import bundled_training_sets, corpus_training_sets

FIGURE_TYPES = frozenset({"numeric", "percent", "count", "money"})
_NO_GOLD = frozenset({"cross_report", "unanswerable"})


def fits(qtype: str, gold: str) -> bool | None:
    """Does the analysed type fit the gold type (None: the gold type says nothing about it)?"""
    if gold in _NO_GOLD:
        return None
    if gold in ("table", "numeric"):
        return qtype in FIGURE_TYPES
    return qtype == gold


def bundled_company(manifest: Path = REPO_ROOT / "seeds" / "reports.json") -> str:
    """The bundled reports' company (their questions do not name it in a field)."""
    reports = json.loads(manifest.read_text(encoding="utf-8"))["reports"]
    return str(reports[0]["company"]) if reports else ""


def analysed(paths: Iterable[Path], default_company: str) -> dict[str, tuple[str, str, str]]:
    """Question id -> (analysed type, gold type, question) for every question of `paths`."""
    out: dict[str, tuple[str, str, str]] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            company = q.get("company") or default_company
            out[q["id"]] = (analyse(q["question"], name_words([company])).qtype, q["type"], q["question"])
    return out


def confusion(types: dict[str, tuple[str, str, str]]) -> str:
    """A markdown table of gold type against analysed type, with how many fit."""
    counts = Counter((gold, qtype) for qtype, gold, _q in types.values())
    golds = sorted({g for g, _t in counts})
    qtypes = sorted({t for _g, t in counts})
    lines = ["| gold \\ analysed | " + " | ".join(qtypes) + " | fit |", "|---|" + "---:|" * (len(qtypes) + 1)]
    for g in golds:
        n = sum(v for (gg, _t), v in counts.items() if gg == g)
        fit = sum(v for (gg, t), v in counts.items() if gg == g and fits(t, g))
        share = "–" if g in _NO_GOLD else f"{100 * fit / n:.1f}%"
        lines.append(f"| {g} | " + " | ".join(str(counts.get((g, t), "")) for t in qtypes) + f" | {share} |")
    return "\n".join(lines)


def moved(before: dict[str, list[str]], now: dict[str, tuple[str, str, str]]) -> str:
    """The types that moved since `before` (a `--save` of the same questions), and whether to the gold type."""
    changed = [(k, before[k][0], v) for k, v in now.items() if k in before and before[k][0] != v[0]]
    to_gold = sum(1 for _k, _old, (t, g, _q) in changed if fits(t, g))
    away = sum(1 for _k, old, (_t, g, _q) in changed if fits(old, g))
    lines = [f"{len(changed)} types moved: {to_gold} to the gold type, {away} away from it"]
    lines += [f"- {k}: {old} -> {t} (gold {g}) | {q}" for k, old, (t, g, q) in changed]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qa.training.qtypes", description=__doc__.split("\n\n")[0])
    ap.add_argument("--save", type=Path, help="write every question's analysed and gold type here (JSON)")
    ap.add_argument("--against", type=Path, help="an earlier --save: list the types that moved")
    try:
        args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # argparse's usage error: its message is already written
        return int(exc.code or 0)
    try:
        before = json.loads(args.against.read_text(encoding="utf-8")) if args.against else None
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"{args.against}: cannot read the earlier --save ({exc})\n")
        return 2
    if before is not None and not isinstance(before, dict):
        sys.stderr.write(f"{args.against}: not a --save of this command\n")
        return 2
    try:
        types = analysed([*bundled_training_sets(), *corpus_training_sets()], bundled_company())
    except (OSError, ValueError, KeyError) as exc:
        sys.stderr.write(f"cannot read the training question files: {exc}\n")
        return 2
    sys.stdout.write(confusion(types) + "\n")
    if before is not None:
        sys.stdout.write("\n" + moved(before, types) + "\n")
    if args.save:
        args.save.write_text(json.dumps(types, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
