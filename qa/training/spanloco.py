"""`python -m qa.training.spanloco`: the span picker alone, leave-one-company-out, in seconds per try.

Every training question's span rows (the options of the candidate quotes that hold a gold answer, as `make train`
builds them) and each record's answer-kind probabilities from models without each company are built once (about
2.5 minutes) and cached; then, per company, a picker fitted on the other companies' rows answers the company's
first right quote of each hand-written figure, date, name or table question, and the share whose best option (not
"none") holds a gold answer is reported. It measures the picker on its own: the whole pipeline's span@1 also needs
the right top quote and keeps the rule extractor's year-column cells, so its gains are smaller. `--drop` zeroes
features (as `spanfeatures.UNMODELLED` does), `--seeds` and `--seed-offset` choose the bag.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.compose.spanfeatures import SPAN_FEATURES, model_input
from qa.training.dataset import SPAN_TYPES
from qa.training.harness import bag_seeds, cached, common_options, dropped_features, offline
from qa.training.spans import SPAN_PARAMS, SPAN_SEEDS, SpanRows, fit_span_picker


@dataclass(frozen=True)
class SpanData:
    """What every try shares: per record its company, whether it is hand-written and a span question, its span
    rows, and per held-out company the record's answer-kind probabilities from a model without that company."""

    companies: list[str]
    company: list[str]
    scored: list[bool]  # hand-written and of a span type: answered in its company's fold
    parts: list[SpanRows]
    kinds: dict[str, list[tuple[float, ...]]]


def build(corpus: Path, manifest: Path, per_report: int) -> SpanData:
    from qa.training.answerkind import KindFits
    from qa.training.run import bundled_training_sets, corpus_training_sets, load_records

    parts: list[SpanRows] = []
    _services, records, _bundled = load_records(bundled_training_sets(), corpus_training_sets(), corpus, manifest,
                                                per_report, parts)
    fits = KindFits(records)
    companies = sorted({r.company for r in records if r.source == "gold"})
    return SpanData(
        companies=companies,
        company=[r.company for r in records],
        scored=[r.source == "gold" and r.item.type in SPAN_TYPES for r in records],
        parts=parts,
        kinds={c: [fits.probs(r, {c}) for r in records] for c in companies},
    )


def first_quote_accuracy(
    data: SpanData, params: dict[str, Any], seeds: Sequence[int], drop: Sequence[str] = (),
) -> dict[str, tuple[int, int]]:
    """Per company: (right, scored) over its span questions with a right quote, each answered by a bag fitted on
    the other companies' rows (with the `drop` features zeroed besides the model's own unmodelled ones)."""
    cols = [SPAN_FEATURES.index(f) for f in drop]

    def dropped(rows: SpanRows) -> SpanRows:
        X = rows.X.copy()
        X[:, cols] = 0.0
        return SpanRows(X, rows.y, rows.groups, rows.weights, rows.kind_of)

    result: dict[str, tuple[int, int]] = {}
    for company in data.companies:
        train = SpanRows.concat([p.with_kinds(data.kinds[company][i]) for i, p in enumerate(data.parts)
                                 if data.company[i] != company])
        if not len(train.y):
            continue
        bag = fit_span_picker(dropped(train), seeds, params)  # the model's unmodelled features zeroed there
        right = n = 0
        for i, p in enumerate(data.parts):
            if data.company[i] != company or not data.scored[i] or not len(p.y):
                continue
            q = dropped(p.with_kinds(data.kinds[company][i]))
            g = q.groups[0]
            if g < 2:
                continue
            scores = np.mean([b.predict(model_input(q.X[:g])) for b in bag.boosters], axis=0)
            right += int(q.y[1 + int(np.argmax(scores[1:]))])  # option 0 is "none"
            n += 1
        result[company] = (right, n)
    return result


def main(argv: list[str] | None = None) -> int:
    offline()
    from qa.training import spanloco as this  # by its name, not `__main__` (`harness.cached`)

    ap = argparse.ArgumentParser(prog="python -m qa.training.spanloco", description=__doc__.split("\n\n")[0])
    common_options(ap, "span rows", "SPAN_SEEDS")
    ap.add_argument("--leaves", type=int, default=None)
    ap.add_argument("--trees", type=int, default=None)
    args = ap.parse_args(argv)
    drop = dropped_features(args.drop, SPAN_FEATURES, "span")
    if drop is None:
        return 2
    data = cached(args.cache, lambda: this.build(args.corpus, args.manifest, args.per_report))
    params = {**SPAN_PARAMS, **({"num_leaves": args.leaves} if args.leaves else {}),
              **({"n_estimators": args.trees} if args.trees else {})}
    seeds = bag_seeds(SPAN_SEEDS, args)
    result = first_quote_accuracy(data, params, seeds, drop)
    lines = ["| company | right | scored | span accuracy, first right quote |", "|---|---:|---:|---:|"]
    lines += [f"| {c} | {r} | {n} | {100 * r / n:.1f} |" for c, (r, n) in result.items() if n]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
