"""all-MiniLM-L6-v2 run by sentence-transformers on torch (the reference the ONNX backends match)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from qa.embedding.base import encode_sorted, make_fingerprint, weights_sha256


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from a local directory; normalised float32 vectors."""

    backend = "torch"
    quantization = "fp32"
    default_batch = 64

    def __init__(self, model_path: str, name: str = "all-MiniLM-L6-v2", threads: int = 0) -> None:
        self.model_path = model_path
        self.name = name
        self.dim = 384
        self.threads = threads  # 0: torch's default
        self._model: Any = None
        self.calls = 0  # texts encoded so far (for tests and progress)

    def load(self) -> SentenceTransformerEmbedder:
        if self._model is None:
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads if self.threads > 0 else max(1, torch.get_num_threads()))
            self._model = SentenceTransformer(self.model_path, device="cpu")
            self.dim = int(self._model.get_embedding_dimension() or 384)
        return self

    @property
    def fingerprint(self) -> str:
        return make_fingerprint(weights_sha256(self.model_path), self.backend)

    def _batch(self, batch: list[str]) -> np.ndarray:
        vecs: np.ndarray = self._model.encode(
            batch, batch_size=len(batch), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        self.calls += len(batch)
        return vecs

    def encode(
        self, texts: list[str], batch_size: int = 64, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        self.load()
        return encode_sorted(texts, self.dim, batch_size, self._batch, progress)
