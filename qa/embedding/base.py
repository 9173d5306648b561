"""What every embedder shares: the protocol, the weights' fingerprint, length-sorted batching."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

# `ESGQA_EMBED_BACKEND`: the torch model (sentence-transformers), or the same weights exported to ONNX
# and run by ONNX Runtime, in fp32 or with int8 dynamic quantisation.
BACKENDS = ("torch", "onnx", "onnx-int8")


class Embedder(Protocol):
    name: str
    dim: int
    backend: str  # torch | onnx | onnx-int8 | hashing
    quantization: str  # fp32 | int8 | none

    @property
    def fingerprint(self) -> str: ...

    def encode(
        self, texts: list[str], batch_size: int = 64, progress: Callable[[int], None] | None = None
    ) -> np.ndarray: ...


@lru_cache(maxsize=8)
def weights_sha256(model_path: str) -> str:
    """sha256 of the model's weights file(s): a changed model invalidates every index built with it."""
    path = Path(model_path)
    weights = sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin"))
    digest = hashlib.sha256()
    for w in weights:
        with w.open("rb") as fh:
            while block := fh.read(1 << 22):
                digest.update(block)
    return digest.hexdigest()


def make_fingerprint(weights_sha: str, backend: str) -> str:
    """The torch backend's fingerprint is the weights' sha256 alone (as before backends existed, so its
    indexes stay valid); another backend appends itself: `<sha256>+onnx-int8`."""
    return weights_sha if backend == "torch" else f"{weights_sha}+{backend}"


def describe_fingerprint(fingerprint: object) -> str:
    """`torch`, `onnx`, `onnx-int8`, `hashing-384`...: the backend part of a fingerprint, for messages."""
    if not isinstance(fingerprint, str) or not fingerprint:
        return "an unknown embedder"
    if "+" in fingerprint:
        return fingerprint.rsplit("+", 1)[1]
    if len(fingerprint) == 64 and all(ch in "0123456789abcdef" for ch in fingerprint):
        return "torch"
    return fingerprint


def length_sorted_batches(texts: list[str], batch_size: int) -> Iterator[np.ndarray]:
    """Indices of `texts` in batches of similar length (longest first, over the whole list), so a batch
    pads to little more than its own texts; the caller writes each batch's rows back by index."""
    order = sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))
    size = max(1, batch_size)
    for start in range(0, len(order), size):
        yield np.asarray(order[start : start + size], dtype=np.int64)


def encode_sorted(
    texts: list[str],
    dim: int,
    batch_size: int,
    encode_batch: Callable[[list[str]], np.ndarray],
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """`encode_batch` over length-sorted batches; rows come back in the input order."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for idx in length_sorted_batches(texts, batch_size):
        out[idx] = encode_batch([texts[i] for i in idx])
        if progress is not None:
            progress(len(idx))
    return out
