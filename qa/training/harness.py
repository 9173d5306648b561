"""What the one-model harnesses (`spanloco`, `rankloco`) share: their common options, a feature list checked
against the model's features, and the cached rows built once."""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def offline() -> None:
    """No model, tokenizer or data file is ever downloaded: the harnesses load the local weights only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def bag_seeds(seeds: Sequence[int], args: argparse.Namespace) -> list[int]:
    """The first `--seeds` of a model's seeds, each moved by `--seed-offset`."""
    return [s + args.seed_offset for s in seeds[: args.seeds]]


def common_options(ap: argparse.ArgumentParser, what: str, seeds: str) -> None:
    """--cache, --corpus, --manifest, --per-report, --seeds, --seed-offset and --drop."""
    from qa.training.run import CORPUS_MANIFEST, REPO_ROOT

    ap.add_argument("--cache", type=Path, required=True,
                    help=f"the {what}, built and written here when the file is missing (a pickle this tool wrote: "
                         "read only files you made)")
    ap.add_argument("--corpus", type=Path, default=REPO_ROOT.parent / "shared" / "corpus")
    ap.add_argument("--manifest", type=Path, default=CORPUS_MANIFEST)
    ap.add_argument("--per-report", type=int, default=160)
    ap.add_argument("--seeds", type=int, default=3, help=f"boosters per bag (the first of {seeds})")
    ap.add_argument("--seed-offset", type=int, default=0, help="added to each seed: another bag of the same size")
    ap.add_argument("--drop", default="", help="comma-separated features to zero")


def dropped_features(text: str, features: Sequence[str], kind: str) -> list[str] | None:
    """The comma-separated feature names of `text`; None (with the error written) when one is not a feature."""
    drop = [f for f in text.split(",") if f]
    unknown = [f for f in drop if f not in features]
    if unknown:
        sys.stderr.write(f"error: unknown {kind} features: {', '.join(unknown)}\n")
        return None
    return drop


def cached(path: Path, build: Callable[[], T]) -> T:
    """The rows pickled at `path`, or `build()`'s, written there. `build` must come from the module by its name,
    not `__main__`, so that a cache written by `python -m` reads back from anywhere."""
    if path.is_file():
        with path.open("rb") as fh:
            data: T = pickle.load(fh)  # noqa: S301 - a cache this tool wrote
            return data
    data = build()
    with path.open("wb") as fh:
        pickle.dump(data, fh)
    return data
