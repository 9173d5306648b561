"""`python -m qa.training.rankloco`: the answer ranker alone, leave-one-company-out, in minutes per try.

Every training question's candidate rows (the features and relevance labels `make train` builds from the service's
own retrieval) and each record's answer-kind probabilities from models without each company are built once (about
3 minutes) and cached; then, per company, a ranker bag fitted on the other companies' questions ranks the company's
hand-written answerable questions, and the share whose top candidate holds a gold answer is reported (a proxy of the
pipeline's A@1: it ignores the span picker's re-ordering of the top three, the reconciliation and abstention), with
the share whose candidates hold one at all (what retrieval leaves the ranker). `--drop` zeroes features, `--params`
overrides LightGBM parameters (JSON), `--seeds` and `--seed-offset` choose the bag.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.compose.features import FEATURES, KIND_COLUMNS, kind_columns
from qa.training.fit import RANKER_PARAMS, RANKER_SEEDS, fit_ranker_rows
from qa.training.harness import bag_seeds, cached, common_options, dropped_features, offline


@dataclass(frozen=True)
class RankData:
    """What every try shares: per record its company, source ("gold", "gen", "span"), whether it is answerable,
    its candidate rows and labels and what each candidate offers; per held-out company the record's answer-kind
    probabilities from a model without that company."""

    companies: list[str]
    company: list[str]
    source: list[str]
    answerable: list[bool]
    X: list[np.ndarray]
    rel: list[np.ndarray]
    offers: list[np.ndarray]
    kinds: dict[str, list[tuple[float, ...]]]
    bundled: str = ""  # the bundled reports' company (left out of the mean of the others)

    def rows(self, i: int, company: str, drop: Sequence[int] = ()) -> np.ndarray:
        """Record i's candidate rows with the answer-kind columns of `company`'s fold, `drop` columns zeroed."""
        X = self.X[i].copy()
        if len(X):
            X[:, list(KIND_COLUMNS)] = [kind_columns(self.kinds[company][i], o) for o in self.offers[i]]
            X[:, list(drop)] = 0.0
        return X


def build(corpus: Path, manifest: Path, per_report: int) -> RankData:
    from qa.training.answerkind import KindFits
    from qa.training.run import bundled_training_sets, corpus_training_sets, load_records

    _services, records, bundled = load_records(bundled_training_sets(), corpus_training_sets(), corpus, manifest,
                                                per_report)
    fits = KindFits(records)
    companies = sorted({r.company for r in records if r.source == "gold"})
    return RankData(
        companies=companies,
        company=[r.company for r in records],
        source=[r.source for r in records],
        answerable=[bool(r.item.answers) for r in records],
        X=[r.X for r in records],
        rel=[r.rel for r in records],
        offers=[r.offers for r in records],
        kinds={c: [fits.probs(r, {c}) for r in records] for c in companies},
        bundled=bundled,
    )


def top_quote_accuracy(
    data: RankData, params: dict[str, Any], seeds: Sequence[int], drop: Sequence[str] = (),
) -> dict[str, tuple[int, int, int]]:
    """Per company: (right top candidates, questions whose candidates hold a right one, answerable hand-written
    questions), each ranked by a bag fitted on the other companies' questions that have a right candidate."""
    cols = [FEATURES.index(f) for f in drop]
    result: dict[str, tuple[int, int, int]] = {}
    for company in data.companies:
        use = [i for i in range(len(data.X)) if data.company[i] != company and data.source[i] != "span"
               and len(data.rel[i]) and data.rel[i].max() > 0]
        if not use:
            continue
        bag = fit_ranker_rows([data.rows(i, company, cols) for i in use], [data.rel[i] for i in use],
                              [data.source[i] for i in use], seeds=seeds, params=params)
        right = pooled = n = 0
        for i in range(len(data.X)):
            if data.company[i] != company or data.source[i] != "gold" or not data.answerable[i]:
                continue
            n += 1
            if not len(data.rel[i]) or data.rel[i].max() <= 0:
                continue
            pooled += 1
            scores = np.mean([b.predict(data.rows(i, company, cols)) for b in bag.boosters], axis=0)
            right += int(data.rel[i][int(np.argmax(scores))] > 0)
        result[company] = (right, pooled, n)
    return result


def main(argv: list[str] | None = None) -> int:
    offline()
    from qa.training import rankloco as this  # by its name, not `__main__` (`harness.cached`)

    ap = argparse.ArgumentParser(prog="python -m qa.training.rankloco", description=__doc__.split("\n\n")[0])
    common_options(ap, "candidate rows", "RANKER_SEEDS")
    ap.add_argument("--params", default="{}", help='LightGBM parameters to override, as JSON ({"num_leaves": 31})')
    args = ap.parse_args(argv)
    drop = dropped_features(args.drop, FEATURES, "ranker")
    if drop is None:
        return 2
    try:
        overrides = json.loads(args.params)
    except json.JSONDecodeError as e:
        sys.stderr.write(f"error: --params is not JSON: {e}\n")
        return 2
    if not isinstance(overrides, dict):
        sys.stderr.write("error: --params must be a JSON object\n")
        return 2
    data = cached(args.cache, lambda: this.build(args.corpus, args.manifest, args.per_report))
    seeds = bag_seeds(RANKER_SEEDS, args)
    result = top_quote_accuracy(data, {**RANKER_PARAMS, **overrides}, seeds, drop)
    lines = ["| company | right top candidate | a right candidate at all | answerable | top-1 % | pool % |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {c} | {r} | {p} | {n} | {100 * r / n:.1f} | {100 * p / n:.1f} |"
              for c, (r, p, n) in result.items() if n]
    others = [(100 * r / n, 100 * p / n) for c, (r, p, n) in result.items() if n and c != data.bundled]
    if others:
        label = "mean of the companies but the bundled one" if data.bundled in result else "mean of the companies"
        lines.append(f"| **{label}** | | | | {np.mean([t for t, _ in others]):.2f} | {np.mean([q for _, q in others]):.2f} |")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
