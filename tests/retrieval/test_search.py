"""Hybrid candidate search with milvus-lite and the packaged embedder: RRF, filters, floor, batching, both paths."""

from __future__ import annotations

import pytest

from kb.embedders import Embedder
from kb.records import RubricRecord
from kb.search.engine import CollectionRequest, SearchEngine, rrf_fuse
from kb.search.filters import SearchFilter
from kb.settings import RetrievalSettings, Settings
from kb.store import KnowledgeBase
from kb.vectors import Collection
from tests.retrieval.conftest import QUERIES, STANDALONE

MMS = "picture messages will not send from my phone"


def _search(
    kb: KnowledgeBase,
    texts: list[str],
    collection: Collection,
    filters: SearchFilter | None = None,
    limit: int = 10,
    **cfg: object,
):
    search = SearchEngine(kb.index, kb.sync.check_embedder, RetrievalSettings(**cfg))
    try:
        result = search.search(
            texts,
            kb.embedder.embed(texts),
            [CollectionRequest(collection, filters or SearchFilter(), limit)],
            kb_version=kb.version(),
        )
        return result[collection]
    finally:
        search.close()


def test_rrf_sums_reciprocal_ranks_from_one() -> None:
    scores = rrf_fuse([["a", "b"], ["b", "c"]], rrf_k=60)
    assert scores == pytest.approx({"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 62})


@pytest.mark.parametrize("exact_max_rows", [200_000, 0])
@pytest.mark.parametrize("collection", list(Collection))
def test_fused_scores_match_milvus_hybrid_rrf(
    small_kb: KnowledgeBase, collection: Collection, exact_max_rows: int
) -> None:
    ours = _search(small_kb, [MMS], collection, limit=5, exact_max_rows=exact_max_rows)[0]
    theirs = small_kb.index.hybrid_search(collection, small_kb.embedder.embed([MMS]), [MMS], limit=5)[0]
    assert [c.id for c in ours] == [h.id for h in theirs]
    assert [c.fused for c in ours] == pytest.approx([h.score for h in theirs], rel=1e-5)
    top = ours[0]
    assert top.dense_rank is not None and top.bm25_rank is not None  # found by both sub-requests
    assert top.fused == pytest.approx(1 / (60 + top.dense_rank) + 1 / (60 + top.bm25_rank))


def test_in_process_bm25_ranks_like_milvus(small_kb: KnowledgeBase) -> None:
    texts = ["MMS APN settings", "roaming charges abroad", "bill charged twice this month", "identity account"]
    search = SearchEngine(small_kb.index, small_kb.sync.check_embedder, RetrievalSettings())
    try:
        for collection in Collection:
            copy = search.exact_index(collection, small_kb.version())
            assert copy is not None and len(copy) == small_kb.index.count(collection)
            ours = copy.search_bm25(texts, limit=10, mask=None)
            theirs = [[h.id for h in hits] for hits in small_kb.index.sparse_search(collection, texts, limit=10)]
            assert ours == theirs
    finally:
        search.close()


def test_exact_copy_and_milvus_hnsw_give_the_same_candidates(small_kb: KnowledgeBase) -> None:
    texts = [MMS, "data not working abroad", "identity check before account change"]
    filters = SearchFilter(statuses=["approved", "draft"], standalone_only=True)
    exact = _search(small_kb, texts, Collection.RUBRICS, filters)
    remote = _search(small_kb, texts, Collection.RUBRICS, filters, exact_max_rows=0)
    assert [[c.id for c in row] for row in exact] == [[c.id for c in row] for row in remote]
    for ours, theirs in zip(exact, remote, strict=True):
        assert [c.similarity for c in ours] == pytest.approx([c.similarity for c in theirs], abs=1e-5)


@pytest.mark.parametrize("exact_max_rows", [200_000, 0])
def test_typed_filters(small_kb: KnowledgeBase, exact_max_rows: int) -> None:
    def ids(collection: Collection, **f: object) -> set[str]:
        return {
            c.id
            for c in _search(small_kb, [MMS], collection, SearchFilter(**f), limit=50, exact_max_rows=exact_max_rows)[0]
        }

    standalone = {r.id for r in STANDALONE}
    assert ids(Collection.RUBRICS, standalone_only=True) == standalone
    assert ids(Collection.RUBRICS, statuses=["approved", "draft"], standalone_only=True) == standalone - {"s-retired"}
    assert ids(Collection.RUBRICS, kinds=["tool_call"], standalone_only=True) == {"s-apn-reset", "s-apn-reset-dup"}
    assert ids(Collection.RUBRICS, statuses=["draft"], standalone_only=True) == {"s-apn-reset-dup"}
    assert ids(Collection.QUERIES, tags_any=["roaming", "billing"]) == {"q-roam", "q-bill"}
    assert ids(Collection.QUERIES, exclude_ids=["q-mms", "q-bill"]) == {q.id for q in QUERIES} - {"q-mms", "q-bill"}


@pytest.mark.parametrize("exact_max_rows", [200_000, 0])
def test_similarity_floor_applies_to_the_dense_sub_request(small_kb: KnowledgeBase, exact_max_rows: int) -> None:
    loose = _search(small_kb, [MMS], Collection.QUERIES, exact_max_rows=exact_max_rows)[0]
    assert len(loose) == len(QUERIES) and any(c.similarity < 0.3 for c in loose)
    floor = sorted(c.similarity for c in loose)[-2] - 1e-4  # keeps the two MMS queries on the dense side
    strict = _search(small_kb, [MMS], Collection.QUERIES, min_dense_similarity=floor, exact_max_rows=exact_max_rows)[0]
    assert all(c.dense_rank is None or c.similarity >= floor for c in strict)
    assert sum(c.dense_rank is not None for c in strict) == 2
    assert all(c.similarity >= floor for c in strict if c.bm25_rank is None)
    # nothing shares a term with this text and nothing is that similar: no candidates at all
    assert (
        _search(small_kb, ["zzzz qqqq"], Collection.QUERIES, min_dense_similarity=0.95, exact_max_rows=exact_max_rows)[
            0
        ]
        == []
    )


def test_many_questions_in_one_call_equal_one_at_a_time(small_kb: KnowledgeBase) -> None:
    texts = [MMS, "roaming abroad no data", "bill charged twice", "no signal calls fail"]
    batched = _search(small_kb, texts, Collection.QUERIES, limit=3)
    single = [_search(small_kb, [t], Collection.QUERIES, limit=3)[0] for t in texts]
    assert [[(c.id, c.fused) for c in row] for row in batched] == [[(c.id, c.fused) for c in row] for row in single]
    assert batched[0][0].id in {"q-mms", "q-mms-dup"}
    assert [row[0].id for row in batched[1:]] == ["q-roam", "q-bill", "q-signal"]


def test_exact_copy_follows_writes(small_kb: KnowledgeBase) -> None:
    search = SearchEngine(small_kb.index, small_kb.sync.check_embedder, RetrievalSettings())
    try:

        def top(text: str) -> str:
            req = [CollectionRequest(Collection.RUBRICS, SearchFilter(standalone_only=True), 3)]
            return search.search([text], small_kb.embedder.embed([text]), req, kb_version=small_kb.version())[
                Collection.RUBRICS
            ][0][0].id

        assert top("eSIM transfer to a new handset") != "s-esim"
        small_kb.apply(
            [
                RubricRecord(
                    id="s-esim", text="The agent transfers the eSIM profile to the new handset.", kind="principle"
                )
            ]
        )
        assert top("eSIM transfer to a new handset") == "s-esim"
    finally:
        search.close()


def test_an_unbuilt_collection_gives_no_candidates(settings: Settings, embedder: Embedder) -> None:
    with KnowledgeBase(settings, embedder=embedder) as kb:
        assert _search(kb, [MMS, "x"], Collection.QUERIES) == [[], []]
