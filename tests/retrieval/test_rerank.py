"""Rerankers: bi-encoder MMR (diversity), a tiny locally generated cross-encoder, and the listwise LLM path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kb.embedders import Embedder
from kb.errors import ModelFileError
from kb.llm import LLMClient, ScriptedTransport
from kb.settings import LLMSettings, Settings, load_settings
from retrieval.rerankers import MMRReranker, RerankItem, load_reranker
from retrieval.rerankers.cross_encoder import CrossEncoderReranker
from retrieval.rerankers.llm import LLMReranker

QUESTION = "I can't send MMS picture messages"
TEXTS = [
    "The agent has the user reset the APN settings so MMS can be sent.",  # most relevant
    "The agent has the user reset APN settings so that MMS messages can be sent.",  # near-duplicate of 0
    "The agent asks the user to turn off Wi-Fi calling, since MMS picture messages can't be sent over Wi-Fi calling.",
    "The agent explains each charge on the customer's bill.",
]


def _items(embedder: Embedder) -> tuple[np.ndarray, list[RerankItem]]:
    vectors = embedder.embed([QUESTION, *TEXTS])
    items = [
        RerankItem(id=f"i{n}", text=t, vector=v, fused=1 / (61 + n))
        for n, (t, v) in enumerate(zip(TEXTS, vectors[1:], strict=True))
    ]
    return vectors[0], items


def test_mmr_demotes_a_near_duplicate(embedder: Embedder) -> None:
    q, items = _items(embedder)
    relevance = [float(i.vector @ q) for i in items]
    assert min(relevance[:2]) > relevance[2] and float(items[0].vector @ items[1].vector) > 0.9  # the premise
    by_relevance = [i for i, _ in MMRReranker(1.0).rerank(QUESTION, q, items, 3).order]
    top, duplicate = by_relevance[:2]
    assert {top, duplicate} == {0, 1}
    diverse = MMRReranker(0.7).rerank(QUESTION, q, items, 3)
    assert [i for i, _ in diverse.order] == [top, 2, duplicate]  # the duplicate fell behind the Wi-Fi rubric
    assert diverse.reranker == "mmr" and diverse.fallback is None
    assert diverse.order[0][1] == pytest.approx(0.7 * relevance[top])


def test_mmr_edges() -> None:
    assert MMRReranker().rerank("q", np.ones(2) / np.sqrt(2), [], 5).order == ()
    with pytest.raises(ValueError, match="lambda"):
        MMRReranker(1.5)


def test_tiny_cross_encoder_orders_by_its_scores(tiny_cross_encoder: Path, embedder: Embedder) -> None:
    from sentence_transformers import CrossEncoder

    q, items = _items(embedder)
    reranker = load_reranker(
        load_settings(retrieval={"reranker": "cross-encoder", "reranker_model": str(tiny_cross_encoder)})
    )
    assert isinstance(reranker, CrossEncoderReranker) and reranker.name == f"cross-encoder:{tiny_cross_encoder.name}"
    ranking = reranker.rerank(QUESTION, q, items, 3)
    expected = CrossEncoder(str(tiny_cross_encoder), device="cpu").predict([(QUESTION, t) for t in TEXTS])
    assert [i for i, _ in ranking.order] == list(np.argsort(-np.asarray(expected))[:3])
    assert [s for _, s in ranking.order] == pytest.approx(sorted(expected, reverse=True)[:3], rel=1e-4)


def test_cross_encoder_needs_a_model() -> None:
    with pytest.raises(ValueError, match="reranker_model"):
        load_reranker(load_settings(retrieval={"reranker": "cross-encoder"}))
    with pytest.raises(ModelFileError, match="local model path"):
        CrossEncoderReranker("/nonexistent/cross-encoder")
    with pytest.raises(ValueError, match="not one of"):
        load_reranker(load_settings(retrieval={"reranker": "colbert"}))


def _llm(*replies: object) -> tuple[LLMReranker, ScriptedTransport]:
    transport = ScriptedTransport(*replies)  # type: ignore[arg-type]
    client = LLMClient(LLMSettings(max_retries=0), transport)
    return LLMReranker(client, MMRReranker(1.0), candidates=3), transport


def test_llm_reorders_the_shortlist(embedder: Embedder) -> None:
    q, items = _items(embedder)
    reranker, transport = _llm(json.dumps({"order": [3, 3, 9, 1]}))  # repeats and out-of-range numbers are dropped
    ranking = reranker.rerank(QUESTION, q, items, 4)
    shortlist = [i for i, _ in MMRReranker(1.0).rerank(QUESTION, q, items, 3).order]
    assert [i for i, _ in ranking.order] == [shortlist[2], shortlist[0], shortlist[1], 3]
    assert ranking.reranker == "llm:qwen2.5-coder-1.5b-instruct-q4_k_m" and ranking.fallback is None
    user = transport.requests[0].messages[1].content
    assert QUESTION in user and "1. " in user and "4. " not in user  # only the shortlist is sent
    assert [s for _, s in ranking.order] == sorted((s for _, s in ranking.order), reverse=True)


@pytest.mark.parametrize(
    "reply,why", [(TimeoutError(), "timeout"), ('{"order": [7, 8]}', "named no item"), ("not json", "parse")]
)
def test_llm_failure_falls_back_to_the_bi_encoder_order(embedder: Embedder, reply: object, why: str) -> None:
    q, items = _items(embedder)
    replies = (reply, reply) if why == "parse" else (reply,)  # a parse failure is re-asked once
    reranker, _ = _llm(*replies)
    ranking = reranker.rerank(QUESTION, q, items, 2)
    assert ranking.order == MMRReranker(1.0).rerank(QUESTION, q, items, 2).order
    assert ranking.reranker == "mmr" and why in ranking.fallback and "retrieval.rerank.listwise@1" in ranking.fallback


def test_llm_reranker_from_settings_uses_the_prompt_file() -> None:
    reranker = load_reranker(Settings(llm=LLMSettings(base_url="http://127.0.0.1:9/v1"), retrieval={"reranker": "llm"}))
    assert isinstance(reranker, LLMReranker) and reranker.prompt_ref == "retrieval.rerank.listwise@1"


def test_real_smollm2_listwise_rerank_has_the_right_structure(smollm2_llm: LLMSettings, embedder: Embedder) -> None:
    q, items = _items(embedder)
    reranker = LLMReranker(LLMClient.from_settings(Settings(llm=smollm2_llm)), MMRReranker(0.7), candidates=4)
    ranking = reranker.rerank(QUESTION, q, items, 4)
    positions = [i for i, _ in ranking.order]
    assert sorted(positions) == [0, 1, 2, 3]  # a permutation of the input, whatever the model said
    if ranking.fallback is None:
        assert ranking.reranker == f"llm:{smollm2_llm.model}"
    else:
        assert ranking.reranker == "mmr" and "failed" in ranking.fallback
