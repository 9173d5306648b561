"""A deterministic bag-of-words embedder: no model, for unit tests of the plumbing only."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import numpy as np


class HashingEmbedder:
    def __init__(self, dim: int = 384) -> None:
        self.name = "hashing-fake"
        self.dim = dim
        self.backend = "hashing"
        self.quantization = "none"
        self.calls = 0

    def load(self) -> HashingEmbedder:
        return self

    @property
    def fingerprint(self) -> str:
        return f"hashing-{self.dim}"

    def encode(
        self, texts: list[str], batch_size: int = 64, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for tok in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
        self.calls += len(texts)
        if progress is not None:
            progress(len(texts))
        return out
