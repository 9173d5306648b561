"""Embedders: all-MiniLM-L6-v2 on torch or ONNX Runtime (fp32, int8), and a hashing fake for unit tests.

Importing this package imports neither torch nor onnxruntime: each backend loads its runtime in `load()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa.embedding.base import BACKENDS, Embedder, describe_fingerprint, weights_sha256
from qa.embedding.hashing import HashingEmbedder
from qa.embedding.onnx_backend import ModelNotExported, OnnxEmbedder
from qa.embedding.torch_backend import SentenceTransformerEmbedder

if TYPE_CHECKING:
    from qa.config import Settings

__all__ = [
    "BACKENDS", "Embedder", "HashingEmbedder", "ModelNotExported", "OnnxEmbedder",
    "SentenceTransformerEmbedder", "describe_fingerprint", "make_embedder", "weights_sha256",
]


def make_embedder(settings: Settings, threads: int | None = None) -> SentenceTransformerEmbedder | OnnxEmbedder:
    """The embedder `ESGQA_EMBED_BACKEND` names, not loaded yet. `threads`: inference threads per call
    (None or 0: the runtime's default, one per core; serving passes `settings.torch_threads`)."""
    n = 0 if threads is None else threads
    if settings.embed_backend == "torch":
        return SentenceTransformerEmbedder(settings.resolved_model_path(), settings.model_name, threads=n)
    return OnnxEmbedder(settings.resolved_model_path(), settings.onnx_dir, settings.embed_backend,
                        settings.model_name, threads=n)
