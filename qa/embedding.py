"""Embedders: the sentence-transformers model (real) and a hashing fake for fast unit tests."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str
    dim: int

    @property
    def fingerprint(self) -> str: ...

    def encode(
        self, texts: list[str], batch_size: int = 64, progress: Callable[[int], None] | None = None
    ) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from a local directory; normalised float32 vectors."""

    def __init__(self, model_path: str, name: str = "all-MiniLM-L6-v2") -> None:
        self.model_path = model_path
        self.name = name
        self.dim = 384
        self._model: Any = None
        self._fingerprint: str | None = None
        self.calls = 0  # texts encoded so far (for tests and progress)

    def load(self) -> SentenceTransformerEmbedder:
        if self._model is None:
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(max(1, torch.get_num_threads()))
            self._model = SentenceTransformer(self.model_path, device="cpu")
            self.dim = int(self._model.get_embedding_dimension() or 384)
        return self

    @property
    def fingerprint(self) -> str:
        """sha256 of the weights file: a changed model invalidates every index built with it."""
        if self._fingerprint is None:
            path = Path(self.model_path)
            weights = sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin"))
            digest = hashlib.sha256()
            for w in weights:
                with w.open("rb") as fh:
                    while block := fh.read(1 << 22):
                        digest.update(block)
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def encode(
        self, texts: list[str], batch_size: int = 64, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        self.load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            batch = texts[i : i + batch_size]
            vecs = self._model.encode(
                batch, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
            out[i : i + len(batch)] = vecs
            self.calls += len(batch)
            if progress is not None:
                progress(len(batch))
        return out


class HashingEmbedder:
    """A deterministic bag-of-words embedder: no model, for unit tests of the plumbing only."""

    def __init__(self, dim: int = 384) -> None:
        self.name = "hashing-fake"
        self.dim = dim
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
