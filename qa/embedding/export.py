"""Exporting the local sentence-transformers model to ONNX (fp32) and quantising it (int8), offline.

Run by `esgqa setup-cache` (`make setup`); the only part of the ONNX backends that imports torch.
Files: `<onnx_dir>/<weights sha256[:16]>-v<EXPORT_VERSION>/model-fp32.onnx` and `model-int8.onnx`,
each written to a temporary name and renamed into place, so a second run reuses them and an
interrupted one leaves nothing half-written.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

EXPORT_VERSION = 1  # bump when the export or quantisation recipe changes: new files, new directory
_OPSET = 17


def onnx_file(onnx_dir: Path, weights_sha: str, quantization: str) -> Path:
    return onnx_dir / f"{weights_sha[:16]}-v{EXPORT_VERSION}" / f"model-{quantization}.onnx"


def _atomic_target(final: Path) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.stem}.", suffix=".onnx")
    os.close(fd)
    return Path(tmp)


def _export_fp32(model_path: str, final: Path) -> None:
    import torch
    from transformers import AutoModel

    # eager attention: the traced graph then takes any batch size, sequence length and padding mask
    model = AutoModel.from_pretrained(model_path, attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones(2, 16, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    tmp = _atomic_target(final)
    try:
        torch.onnx.export(
            LastHidden(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(tmp), dynamo=False,
            input_names=names, output_names=["last_hidden_state"], opset_version=_OPSET,
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]},
        )
        tmp.chmod(0o644)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _quantize_int8(src: Path, final: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # per-channel int8 weights of the MatMuls only (the embeddings' Gather stays fp32): cosine to fp32
    # ~0.99 on varied texts, where per-tensor weights of every op give ~0.86-0.97
    tmp = _atomic_target(final)
    try:
        logging.disable(logging.WARNING)  # the quantiser logs advice on the root logger
        quantize_dynamic(str(src), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])
        tmp.chmod(0o644)
        os.replace(tmp, final)
    finally:
        logging.disable(logging.NOTSET)
        tmp.unlink(missing_ok=True)


def ensure_onnx_models(model_path: str, onnx_dir: Path) -> dict[str, Path]:
    """Export (fp32) and quantise (int8) when missing; the paths by quantisation."""
    import warnings

    from qa.embedding.base import weights_sha256

    sha = weights_sha256(model_path)
    fp32, int8 = onnx_file(onnx_dir, sha, "fp32"), onnx_file(onnx_dir, sha, "int8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's and quantiser's advice, not problems
        if not fp32.is_file():
            log.info("exporting %s to %s", model_path, fp32)
            _export_fp32(model_path, fp32)
        if not int8.is_file():
            log.info("quantising %s to %s", fp32, int8)
            _quantize_int8(fp32, int8)
    return {"fp32": fp32, "int8": int8}
