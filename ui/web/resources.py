"""What the page holds open for the life of its process: the settings, one `KnowledgeBase` per store, one embedder
per model, one `Retriever` and one `RewardModel` per KB.

Streamlit runs each browser session in its own thread of one process, so all sessions share these. An embedded KB
admits one process: the page's process is it (or it reaches a `telerubric kb serve` / Milvus URI).
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass, field

from judge import RewardModel
from kb import Embedder, KnowledgeBase, Settings, load_embedder, load_settings
from retrieval import Retriever


def page_settings() -> Settings:
    """Settings from the environment and the TOML file, as the CLI reads them; the page's own searches and tries
    never count into the usage statistics pruning reads (only real rewards should)."""
    cfg = load_settings()
    retrieval = cfg.retrieval.model_copy(update={"record_usage": False})
    judge = cfg.judge.model_copy(update={"record_usage": False})
    return cfg.model_copy(update={"retrieval": retrieval, "judge": judge})


def store_key(cfg: Settings) -> str:
    """One KB per SQL database, vector store and collection prefix."""
    return "|".join([cfg.resolved_sql_url, cfg.resolved_milvus_uri, cfg.collection_prefix])


@dataclass
class _Open:
    kb: KnowledgeBase
    retriever: Retriever | None = None
    reward_model: RewardModel | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOCK = threading.Lock()
_STORES: dict[str, _Open] = {}
_EMBEDDERS: dict[str, Embedder] = {}


def _embedder(cfg: Settings) -> Embedder:
    key = cfg.embedder.model_dump_json()
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = load_embedder(cfg.embedder)
    return _EMBEDDERS[key]


def _open(cfg: Settings) -> _Open:
    key = store_key(cfg)
    with _LOCK:
        found = _STORES.get(key)
        if found is None:
            found = _STORES[key] = _Open(KnowledgeBase(cfg, embedder=_embedder(cfg)))
        return found


def knowledge_base(cfg: Settings) -> KnowledgeBase:
    """The open KB for these settings (opened on first use; raises `KBLocked` when another process holds it)."""
    return _open(cfg).kb


def retriever(cfg: Settings) -> Retriever:
    held = _open(cfg)
    with held.lock:
        if held.retriever is None:
            held.retriever = Retriever(held.kb, settings=cfg, record_usage=False)
        return held.retriever


def reward_model(cfg: Settings) -> RewardModel:
    """One reward model per KB: its LLM client and event loop live as long as the page."""
    held = _open(cfg)
    with held.lock:
        if held.reward_model is None:
            held.reward_model = RewardModel(cfg, kb=held.kb)
        return held.reward_model


def close_all() -> None:
    """Close every reward model and KB this process opened (at exit; tests call it between pages)."""
    with _LOCK:
        for held in _STORES.values():
            if held.reward_model is not None:
                held.reward_model.close()
            held.kb.close()
        _STORES.clear()


atexit.register(close_all)
