"""Rerankers behind one protocol: bi-encoder MMR (default), cross-encoder, listwise LLM; `load_reranker` picks one."""

from __future__ import annotations

from kb import Settings
from retrieval.rerankers.base import Ranking, Reranker, RerankerKind, RerankItem
from retrieval.rerankers.mmr import MMRReranker

__all__ = ["MMRReranker", "Ranking", "RerankItem", "Reranker", "RerankerKind", "load_reranker"]


def load_reranker(settings: Settings) -> Reranker:
    """The reranker `settings.retrieval.reranker` names; heavy backends are imported only when chosen.

    Raises:
        ValueError: an unknown reranker name, or cross-encoder without `reranker_model`.
        ModelFileError: the cross-encoder's packages or files are missing.
    """
    cfg = settings.retrieval
    try:
        kind = RerankerKind(cfg.reranker)
    except ValueError:
        raise ValueError(f"retrieval.reranker: {cfg.reranker!r} is not one of mmr, cross-encoder, llm") from None
    mmr = MMRReranker(cfg.mmr_lambda)
    if kind is RerankerKind.MMR:
        return mmr
    if kind is RerankerKind.CROSS_ENCODER:
        if not cfg.reranker_model:
            raise ValueError(
                "retrieval.reranker_model: set a model name or local path for reranker=cross-encoder "
                "(no cross-encoder weights ship offline)"
            )
        from retrieval.rerankers.cross_encoder import CrossEncoderReranker

        return CrossEncoderReranker(cfg.reranker_model)
    from kb import LLMClient
    from retrieval.rerankers.llm import LLMReranker

    return LLMReranker(
        LLMClient.from_settings(settings), mmr, candidates=cfg.llm_candidates, item_chars=cfg.llm_item_chars
    )
