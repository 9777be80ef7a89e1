"""`Retriever` end to end on milvus-lite: neighbours with linked rubrics, defaults, batching, hits, fallbacks."""

from __future__ import annotations

import pytest

from kb.llm import LLMClient, ScriptedTransport
from kb.search.filters import SearchFilter
from kb.settings import LLMSettings
from kb.store import KnowledgeBase
from retrieval import MMRReranker, Neighbours, Retriever, retrieve, retrieve_many
from retrieval.rerankers.llm import LLMReranker

MMS = "Picture messages won't send from my phone, plain texts are fine."


def test_neighbours_carry_linked_rubrics_scores_and_provenance(small_kb: KnowledgeBase) -> None:
    with Retriever(small_kb) as retriever:
        n = retriever.retrieve(MMS)
    assert n.reranker == "mmr" and n.kb_version == small_kb.version() and n.rerank_fallback is None
    top = n.queries[0]
    assert top.query.id in {"q-mms", "q-mms-dup"} and top.similarity is not None and top.similarity > 0.5
    assert top.dense_rank == 1 and top.fused > 0 and top.query.provenance is not None
    mms = next(q for q in n.queries if q.query.id == "q-mms")
    assert [r.id for r in mms.rubrics] == ["r-mms-apn", "r-mms-wifi"]  # linked order kept, retired one dropped
    assert len(n.queries) == 5 and len(n.rubrics) <= 10
    standalone = {r.rubric.id for r in n.rubrics}
    assert "s-retired" not in standalone and "s-apn-reset-dup" in standalone  # draft is in, retired never
    assert all(r.rubric.standalone for r in n.rubrics)  # dataset rubrics come through their queries
    assert n.rubrics[0].rubric.id in {"s-apn-reset", "s-apn-reset-dup"}
    assert all(a.score >= b.score for a, b in zip(n.rubrics, n.rubrics[1:], strict=False))
    assert "r-mms-old" not in n.all_rubric_ids()


def test_near_duplicate_query_is_demoted_by_mmr(small_kb: KnowledgeBase) -> None:
    settings = small_kb.settings.model_copy(
        update={"retrieval": small_kb.settings.retrieval.model_copy(update={"k_queries": 3})}
    )
    with Retriever(small_kb, settings=settings, reranker=MMRReranker(1.0), record_usage=False) as r:
        plain = [q.query.id for q in r.retrieve(MMS).queries]
    with Retriever(small_kb, settings=settings, reranker=MMRReranker(0.5), record_usage=False) as r:
        diverse = [q.query.id for q in r.retrieve(MMS).queries]
    assert set(plain[:2]) == {"q-mms", "q-mms-dup"}
    assert diverse[0] == plain[0] and diverse[1] not in {"q-mms", "q-mms-dup"}


def test_filters_reach_both_collections_and_linked_rubrics(small_kb: KnowledgeBase) -> None:
    with Retriever(small_kb, record_usage=False) as retriever:
        n = retriever.retrieve(MMS, filters=SearchFilter(kinds=["tool_call"], exclude_ids=["q-mms-dup"]))
        roaming = retriever.retrieve(MMS, filters=SearchFilter(tags_any=["roaming"]))
    assert "q-mms-dup" not in {q.query.id for q in n.queries}
    assert {r.rubric.kind for r in n.rubrics} == {"tool_call"}
    assert all(r.kind == "tool_call" for q in n.queries for r in q.rubrics)
    assert [q.query.id for q in roaming.queries] == ["q-roam"]
    assert {r.rubric.id for r in roaming.rubrics} == {"s-roaming-cost"}


def test_retrieve_many_equals_one_at_a_time_and_takes_per_question_filters(small_kb: KnowledgeBase) -> None:
    questions = [MMS, "Data does not work abroad", "I was billed twice"]
    with Retriever(small_kb, record_usage=False) as retriever:
        many = retriever.retrieve_many(questions)
        single = [retriever.retrieve(q) for q in questions]
        left_out = retriever.retrieve_many(
            questions, filters=[SearchFilter(exclude_ids=[q]) for q in ("q-mms", "q-roam", "q-bill")]
        )
        with pytest.raises(ValueError, match="one per question"):
            retriever.retrieve_many(questions, filters=[SearchFilter()])
    assert [m.model_dump() for m in many] == [s.model_dump() for s in single]
    assert [n.queries[0].query.id for n in many] in (["q-mms", "q-roam", "q-bill"], ["q-mms-dup", "q-roam", "q-bill"])
    for excluded, n in zip(("q-mms", "q-roam", "q-bill"), left_out, strict=True):
        assert excluded not in {q.query.id for q in n.queries} and len(n.queries) == 4


def test_hit_statistics_are_batched_and_switchable(small_kb: KnowledgeBase) -> None:
    settings = small_kb.settings.model_copy(
        update={"retrieval": small_kb.settings.retrieval.model_copy(update={"usage_flush_every": 3})}
    )
    with Retriever(small_kb, settings=settings) as retriever:
        first = retriever.retrieve(MMS)
        ids = first.all_rubric_ids()
        retriever.retrieve(MMS)
        assert small_kb.usage_of(ids)[ids[0]].retrieved == 0  # not flushed yet
        retriever.retrieve_many([MMS])  # third call: flush
        stats = small_kb.usage_of(ids)
        assert all(stats[i].retrieved == 3 and stats[i].retrieval_events == 3 for i in ids)
        retriever.retrieve("I was billed twice")
    after = small_kb.usage_of(ids)  # close flushed the fourth
    assert after[ids[0]].retrieval_events == 4
    with Retriever(small_kb, record_usage=False) as retriever:
        retriever.retrieve_many([MMS, MMS])
    assert small_kb.usage_of(ids)[ids[0]].retrieval_events == 4


def test_module_functions(small_kb: KnowledgeBase) -> None:
    one = retrieve(small_kb, MMS)
    many = retrieve_many(small_kb, [MMS, "No signal since this morning"])
    assert isinstance(one, Neighbours) and len(many) == 2 and many[1].queries[0].query.id == "q-signal"
    assert small_kb.usage_of(["r-mms-apn"])["r-mms-apn"].retrieval_events == 3
    assert retrieve_many(small_kb, []) == []


def test_llm_rerank_failure_falls_back_and_says_so(small_kb: KnowledgeBase) -> None:
    client = LLMClient(LLMSettings(max_retries=0), ScriptedTransport(TimeoutError(), '{"order": [2, 1]}'))
    reranker = LLMReranker(client, MMRReranker(0.7), candidates=4)
    with Retriever(small_kb, reranker=reranker, record_usage=False) as retriever:
        n = retriever.retrieve(MMS)
    assert n.rerank_fallback is not None and "timeout" in n.rerank_fallback and n.reranker == "mmr"
    assert len(n.queries) == 5 and len(n.rubrics) > 0  # the rubric list was reranked by the LLM (second reply)


def test_empty_kb_gives_empty_neighbours(kb: KnowledgeBase) -> None:
    with Retriever(kb) as retriever:
        n = retriever.retrieve(MMS)
    assert n.queries == [] and n.rubrics == [] and n.reranker == "mmr"
