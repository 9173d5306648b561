"""The ONNX backends against the torch model they were exported from; serving them without torch;
length-sorted batching keeps the input order; an index from another backend is stale, never queried."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.config import REPO_ROOT, Settings
from qa.embedding import HashingEmbedder, OnnxEmbedder, SentenceTransformerEmbedder, describe_fingerprint
from qa.embedding.base import encode_sorted, length_sorted_batches
from qa.embedding.export import ensure_onnx_models
from qa.errors import StaleIndex

# int8 (per-channel MatMul weights) against fp32 torch, measured on these texts: min 0.974, mean 0.992
# (fp32 ONNX: min > 0.9999). Some margin: the int8 kernels differ between CPUs (AVX2, VNNI).
INT8_MIN_COSINE = 0.96
INT8_MEAN_COSINE = 0.985


def varied_texts() -> list[str]:
    """~50 texts: report passages of 1 to 600 words (several past the 256-word-piece window), table
    rows, numbers, non-ASCII, odd whitespace, an empty string."""
    words = (REPO_ROOT / "seeds" / "xiaomi-esg-2022.txt").read_text(encoding="utf-8").split()
    texts = []
    for i, n in enumerate([1, 2, 3, 5, 8, 12, 16, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 180, 200, 230,
                           260, 300, 350, 400, 600]):
        start = (i * 977) % (len(words) - n)
        texts.append(" ".join(words[start : start + n]))
    texts += [
        "", " ", "What were Scope 2 emissions in 2021?", "total energy consumption",
        "Hazardous Waste (Metric Tons)\t1.10\t1.43\t2.50", "31,347.06 t", "ISO 14001:2015",
        "Ünïcode café — naïve coöperation", "小米集团 环境 社会 治理", "emoji 🌱 and symbols ≤ ≥ ± € £",
        "  leading and trailing whitespace  ", "line\nbreaks\n\nand\ttabs", "UPPER CASE HEADING",
        "a" * 3000, "word " * 700, "1 2 3 4 5 6 7 8 9 10 " * 40, "Board diversity: 3 of 9 directors are women.",
        "The Group's greenhouse gas emissions intensity fell by 12.3% year on year.",
        "Water withdrawal by source (megalitres): surface 12; groundwater 0.4; third-party 1,204.",
        "employee training hours per person", "anti-corruption whistleblowing policy",
        "Scope 3 category 11: use of sold products", "renewable electricity share 2023 target",
        "https://www.example.com/esg/report-2023.pdf", "e-mail: esg@example.com",
    ]
    return texts


@pytest.fixture(scope="module")
def onnx_files(settings: Settings) -> dict[str, Path]:
    return ensure_onnx_models(settings.resolved_model_path(), settings.onnx_dir)  # `make setup` made them


@pytest.fixture(scope="module")
def torch_vectors(settings: Settings) -> np.ndarray:
    emb = SentenceTransformerEmbedder(settings.resolved_model_path()).load()
    return emb.encode(varied_texts(), batch_size=16)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))


@pytest.mark.slow
def test_onnx_fp32_matches_torch(settings: Settings, onnx_files: dict[str, Path], torch_vectors: np.ndarray) -> None:
    texts = varied_texts()
    assert len(texts) >= 50
    emb = OnnxEmbedder(settings.resolved_model_path(), settings.onnx_dir, "onnx", threads=1)
    vecs = emb.encode(texts, batch_size=16)
    assert vecs.shape == torch_vectors.shape and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    cos = _cosines(vecs, torch_vectors)
    assert cos.min() >= 0.999, (cos.min(), texts[int(cos.argmin())][:80])
    # the window: a text past 256 word pieces is cut exactly where sentence-transformers cuts it
    long = "word " * 700
    assert np.allclose(emb.encode([long])[0], emb.encode([long + " tail never read"])[0], atol=1e-6)


@pytest.mark.slow
def test_onnx_int8_stays_close_to_torch(
    settings: Settings, onnx_files: dict[str, Path], torch_vectors: np.ndarray
) -> None:
    emb = OnnxEmbedder(settings.resolved_model_path(), settings.onnx_dir, "onnx-int8", threads=1)
    cos = _cosines(emb.encode(varied_texts(), batch_size=16), torch_vectors)
    assert cos.min() >= INT8_MIN_COSINE and cos.mean() >= INT8_MEAN_COSINE, (cos.min(), cos.mean())
    assert emb.fingerprint.endswith("+onnx-int8") and emb.quantization == "int8"


def test_onnx_serving_does_not_import_torch(settings: Settings, onnx_files: dict[str, Path]) -> None:
    code = (
        "import sys, json\n"
        "from qa.config import Settings\n"
        "from qa.embedding import make_embedder\n"
        "import qa.service, qa.api.app, qa.retrieval, qa.store\n"
        "emb = make_embedder(Settings(embed_backend='onnx-int8'), threads=1).load()\n"
        "v = emb.encode(['total energy consumption', 'water'])\n"
        "print(json.dumps({'shape': list(v.shape), 'mods': sorted(m for m in sys.modules\n"
        "    if m.split('.')[0] in ('torch', 'sentence_transformers', 'transformers'))}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                         check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["shape"] == [2, 384]
    assert result["mods"] == []


def test_length_sorted_batches_return_input_order() -> None:
    texts = ["a b c d e f", "x", "", "one two three", "a much longer text than all the others here", "y z"]
    batches = list(length_sorted_batches(texts, 2))
    assert sorted(int(i) for b in batches for i in b) == list(range(len(texts)))
    assert [len(texts[int(i)]) for b in batches for i in b] == sorted((len(t) for t in texts), reverse=True)
    emb = HashingEmbedder()
    seen: list[int] = []
    out = encode_sorted(texts, emb.dim, 2, lambda batch: emb.encode(batch), progress=seen.append)
    assert np.array_equal(out, emb.encode(texts)) and sum(seen) == len(texts)


@pytest.mark.slow
def test_onnx_batches_match_single_texts(settings: Settings, onnx_files: dict[str, Path]) -> None:
    texts = varied_texts()[:30]
    emb = OnnxEmbedder(settings.resolved_model_path(), settings.onnx_dir, "onnx", threads=1)
    batched = emb.encode(texts, batch_size=7)
    single = np.vstack([emb.encode([t]) for t in texts])
    assert np.allclose(batched, single, atol=1e-5)


class _Backend(HashingEmbedder):
    """The hashing vectors under a real-looking fingerprint: `<weights sha>` (+ backend)."""

    def __init__(self, backend: str) -> None:
        super().__init__()
        self.backend = backend
        self.quantization = "int8" if backend.endswith("int8") else "fp32"

    @property
    def fingerprint(self) -> str:
        sha = "ab" * 32
        return sha if self.backend == "torch" else f"{sha}+{self.backend}"


def test_index_from_another_backend_is_stale_and_not_reused(tmp_path: Path) -> None:
    from qa.store import load_index
    from tests.test_index import REPORT_A, _add, _builder, _settings

    s = _settings(tmp_path)
    reg = _add(s, "alpha-2021", REPORT_A, 2021, [2021])
    torch_like, onnx_like = _Backend("torch"), _Backend("onnx-int8")
    first = _builder(s, torch_like).build(reg)
    manifest = json.loads((first.path / "manifest.json").read_text())
    assert manifest["embed_backend"] == "torch" and manifest["embed_quantization"] == "fp32"
    with pytest.raises(StaleIndex) as exc:
        load_index(s, reg.reports, onnx_like.fingerprint)
    msg = str(exc.value)
    assert "torch" in msg and "onnx-int8" in msg and "ESGQA_EMBED_BACKEND" in msg and "esgqa index" in msg
    second = _builder(s, onnx_like).build(reg)
    assert second.reused == 0 and second.embedded == first.embedded  # no vector crosses backends
    assert load_index(s, reg.reports, onnx_like.fingerprint).build_id == second.build_id
    third = _builder(s, torch_like).build(reg)
    assert third.embedded == 0  # the torch build's vectors are reused by torch
    assert describe_fingerprint("ab" * 32) == "torch" and describe_fingerprint(onnx_like.fingerprint) == "onnx-int8"
