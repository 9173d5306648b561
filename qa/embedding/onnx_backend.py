"""all-MiniLM-L6-v2 exported to ONNX, run by ONNX Runtime: tokenizers + onnxruntime + numpy, no torch.

It computes what sentence-transformers computes: the model's word pieces (truncated to the model's
`max_seq_length`, 256), the transformer's last hidden state, the mean over the attention mask, L2
normalisation. The ONNX files are made offline by `esgqa setup-cache` (`qa.embedding.export`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qa.embedding.base import encode_sorted, make_fingerprint, weights_sha256
from qa.embedding.export import onnx_file
from qa.errors import QAError


class ModelNotExported(QAError):
    """The ONNX model file is missing: `esgqa setup-cache` (`make setup`) makes it."""

    code = "model_not_exported"
    status = 503


def max_seq_length(model_path: str) -> int:
    """The sentence-transformers window of the model (sentence_bert_config.json), else 256."""
    try:
        cfg = json.loads((Path(model_path) / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(cfg.get("max_seq_length") or 256)
    except (OSError, ValueError, TypeError):
        return 256


class OnnxEmbedder:
    """`backend`: "onnx" (fp32) or "onnx-int8" (int8 dynamic quantisation of the MatMul weights)."""

    # length-sorted batches of 16: as fast as 64 with ONNX Runtime on CPU, and a quarter of the activations
    default_batch = 16

    def __init__(
        self, model_path: str, onnx_dir: Path, backend: str = "onnx", name: str = "all-MiniLM-L6-v2", threads: int = 0
    ) -> None:
        if backend not in ("onnx", "onnx-int8"):
            raise ValueError(f"unknown ONNX backend {backend!r}")
        self.model_path = model_path
        self.onnx_dir = onnx_dir
        self.backend = backend
        self.quantization = "int8" if backend == "onnx-int8" else "fp32"
        self.name = name
        self.dim = 384
        self.threads = threads  # 0: one per CPU
        self.calls = 0
        self._session: Any = None
        self._tokenizer: Any = None
        self._inputs: list[str] = []

    @property
    def path(self) -> Path:
        return onnx_file(self.onnx_dir, weights_sha256(self.model_path), self.quantization)

    def load(self) -> OnnxEmbedder:
        if self._session is not None:
            return self
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = self.path
        if not path.is_file():
            raise ModelNotExported(
                f"The ONNX model for ESGQA_EMBED_BACKEND={self.backend} has not been exported. "
                "Run `make setup` (or `esgqa setup-cache`), or set ESGQA_EMBED_BACKEND=torch."
            )
        tok = Tokenizer.from_file(str(Path(self.model_path) / "tokenizer.json"))
        tok.enable_truncation(max_length=max_seq_length(self.model_path))
        tok.enable_padding(pad_id=tok.token_to_id("[PAD]") or 0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads if self.threads > 0 else (os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in session.get_inputs()]
        self.dim = int(session.get_outputs()[0].shape[-1] or 384)
        self._tokenizer, self._session = tok, session
        return self

    @property
    def fingerprint(self) -> str:
        return make_fingerprint(weights_sha256(self.model_path), self.backend)

    def _batch(self, batch: list[str]) -> np.ndarray:
        enc = self._tokenizer.encode_batch(batch)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {"input_ids": np.array([e.ids for e in enc], dtype=np.int64), "attention_mask": mask,
                 "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        self.calls += len(batch)
        out: np.ndarray = (pooled / norms).astype(np.float32)
        return out

    def encode(
        self, texts: list[str], batch_size: int = 64, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        self.load()
        if len(texts) == 1:  # a query: no sorting, no copies
            return self._batch(texts)
        return encode_sorted(texts, self.dim, batch_size, self._batch, progress)
