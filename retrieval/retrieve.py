"""`Retriever`: question(s) → `Neighbours` (similar queries with their rubrics, standalone rubrics), with usage counts.

Per batch: one embedding pass, one dense and one BM25 sub-request per collection (see `kb.search.engine`), one SQL
read for all the rows, then the reranker per question and collection. Retrieved rubric ids are counted into
the usage statistics in batches (`usage_flush_every` calls, and at `flush_usage` / `close`); off with
`record_usage=False` (benches, leave-out evaluation).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

import numpy as np

from kb import (
    Candidate,
    Collection,
    CollectionRequest,
    KnowledgeBase,
    QueryView,
    RubricView,
    Scope,
    SearchFilter,
    SearchHit,
    Settings,
    UsageDelta,
)
from retrieval.neighbours import Neighbours, QueryNeighbour, RubricNeighbour
from retrieval.rerankers import Ranking, Reranker, RerankItem, load_reranker

logger = logging.getLogger(__name__)


@dataclass
class _Ranked:
    """One collection's ranking for one question, as candidates with their reranker scores."""

    ranking: Ranking
    kept: list[tuple[Candidate, float]]


class Retriever:
    """Retrieval over one open `KnowledgeBase`; hold one for many calls (it keeps the exact dense copies warm).

    Args:
        kb: the open knowledge base.
        settings: defaults to `kb.settings`; `settings.retrieval` drives k, candidates, filters and the reranker.
        reranker: overrides the configured one (tests, benches).
        record_usage: overrides `retrieval.record_usage`.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        settings: Settings | None = None,
        reranker: Reranker | None = None,
        record_usage: bool | None = None,
    ) -> None:
        self._kb = kb
        self._settings = settings or kb.settings
        self._cfg = self._settings.retrieval
        self._reranker = reranker or load_reranker(self._settings)
        self._record = self._cfg.record_usage if record_usage is None else record_usage
        self._retrieved: Counter[str] = Counter()
        self._events = 0

    @property
    def reranker(self) -> Reranker:
        return self._reranker

    def filters(self, given: SearchFilter | None = None) -> SearchFilter:
        """`given` with the retrieval defaults: statuses `retrieval.statuses` when it names none, and
        `standalone_only` when `retrieval.standalone_only` is on."""
        return (given or SearchFilter()).with_defaults(self._cfg)

    def retrieve(self, question: str, *, filters: SearchFilter | None = None) -> Neighbours:
        """Neighbours of one question."""
        return self.retrieve_many([question], filters=filters)[0]

    def search(self, text: str, *, scope: Scope = Scope.BOTH, filters: SearchFilter | None = None) -> list[SearchHit]:
        """The neighbours `retrieve` finds for `text`, as flat hits in reranked order (`telerubric search`).

        Queries first (at most `k_queries`), then standalone rubrics (at most `k_rubrics`), each with its reranker
        score, cosine similarity and dense / BM25 ranks; `scope` keeps one collection.
        """
        neighbours = self.retrieve(text, filters=filters)
        hits: list[SearchHit] = []
        if scope is not Scope.RUBRICS:
            hits += [
                SearchHit(
                    collection=Scope.QUERIES,
                    id=q.query.id,
                    score=q.score,
                    text=q.query.text,
                    tags=q.query.tags,
                    source=q.query.source,
                    similarity=q.similarity,
                    dense_rank=q.dense_rank,
                    bm25_rank=q.bm25_rank,
                )
                for q in neighbours.queries
            ]
        if scope is not Scope.QUERIES:
            hits += [
                SearchHit(
                    collection=Scope.RUBRICS,
                    id=r.rubric.id,
                    score=r.score,
                    text=r.rubric.text,
                    tags=r.rubric.tags,
                    source=r.rubric.source,
                    kind=r.rubric.kind,
                    status=r.rubric.status,
                    similarity=r.similarity,
                    dense_rank=r.dense_rank,
                    bm25_rank=r.bm25_rank,
                )
                for r in neighbours.rubrics
            ]
        return hits

    def retrieve_many(
        self, questions: Sequence[str], *, filters: SearchFilter | Sequence[SearchFilter] | None = None
    ) -> list[Neighbours]:
        """Neighbours of many questions in batched requests.

        Args:
            filters: one filter for all questions, or one per question (questions sharing a filter are batched
                together; a leave-one-out run passes a different `exclude_ids` per question).

        Raises:
            ValueError: a filter list whose length differs from the questions'.
        """
        if not questions:
            return []
        per_question = _per_question(filters, len(questions))
        kb_version = self._kb.version()
        vectors = self._kb.embedder.embed(list(questions))
        effective = [self.filters(f) for f in per_question]
        groups: dict[str, list[int]] = {}
        for i, f in enumerate(effective):
            groups.setdefault(f.model_dump_json(), []).append(i)
        found: list[dict[Collection, list[Candidate]]] = [{} for _ in questions]
        for members in groups.values():
            shared = effective[members[0]]
            requests = [CollectionRequest(c, shared, self._cfg.candidates) for c in Collection]
            result = self._kb.search_engine.search(
                [questions[i] for i in members], vectors[members], requests, kb_version=kb_version
            )
            for collection, lists in result.items():
                for i, candidates in zip(members, lists, strict=True):
                    found[i][collection] = candidates
        rankings, query_views, rubric_views = self._rank_all(questions, vectors, found)
        out = [
            self._assemble(questions[i], rankings[i], effective[i], query_views, rubric_views, kb_version)
            for i in range(len(questions))
        ]
        self._count(out)
        return out

    def _rank_all(
        self, questions: Sequence[str], vectors: np.ndarray, found: list[dict[Collection, list[Candidate]]]
    ) -> tuple[list[dict[Collection, _Ranked]], dict[str, QueryView], dict[str, RubricView]]:
        """Rerank every question's candidates. A text-free reranker (MMR) ranks a few spare candidates instead of
        reading all texts, and only the rows it keeps are read from SQL (rows missing there are dropped)."""
        k = {Collection.QUERIES: self._cfg.k_queries, Collection.RUBRICS: self._cfg.k_rubrics}
        needs_text = self._reranker.needs_text
        spare = 0 if needs_text else 3
        texts: dict[Collection, dict[str, str]] = dict.fromkeys(Collection, {})
        if needs_text:
            texts = self._texts({c: {x.id for f in found for x in f.get(c, [])} for c in Collection})
        rankings: list[dict[Collection, _Ranked]] = []
        for question, vector, by_collection in zip(questions, vectors, found, strict=True):
            ranked: dict[Collection, _Ranked] = {}
            for collection in Collection:
                candidates = by_collection.get(collection, [])
                if needs_text:
                    candidates = [c for c in candidates if c.id in texts[collection]]
                items = [
                    RerankItem(id=c.id, text=texts[collection].get(c.id, ""), vector=c.vector, fused=c.fused)
                    for c in candidates
                ]
                ranking = (
                    self._reranker.rerank(question, vector, items, k[collection] + spare)
                    if items
                    else Ranking(order=(), reranker=self._reranker.name)
                )
                ranked[collection] = _Ranked(ranking, [(candidates[i], s) for i, s in ranking.order])
            rankings.append(ranked)
        query_ids = {c.id for r in rankings for c, _ in r[Collection.QUERIES].kept}
        query_views = self._kb.queries(list(query_ids))
        rubric_ids = {c.id for r in rankings for c, _ in r[Collection.RUBRICS].kept}
        rubric_ids.update(x for q in query_views.values() for x in q.rubric_ids)
        rubric_views = self._kb.rubrics(list(rubric_ids))
        views: dict[Collection, dict[str, QueryView] | dict[str, RubricView]] = {
            Collection.QUERIES: query_views,
            Collection.RUBRICS: rubric_views,
        }
        for ranked in rankings:
            for collection, r in ranked.items():
                r.kept = [(c, s) for c, s in r.kept if c.id in views[collection]][: k[collection]]
        return rankings, query_views, rubric_views

    def _texts(self, ids: dict[Collection, set[str]]) -> dict[Collection, dict[str, str]]:
        return {
            Collection.QUERIES: {i: v.text for i, v in self._kb.queries(list(ids[Collection.QUERIES])).items()},
            Collection.RUBRICS: {i: v.text for i, v in self._kb.rubrics(list(ids[Collection.RUBRICS])).items()},
        }

    def _assemble(
        self,
        question: str,
        ranked: dict[Collection, _Ranked],
        filters: SearchFilter,
        query_views: dict[str, QueryView],
        rubric_views: dict[str, RubricView],
        kb_version: int,
    ) -> Neighbours:
        q_rank, r_rank = ranked[Collection.QUERIES], ranked[Collection.RUBRICS]
        queries = []
        for cand, score in q_rank.kept:
            view = query_views[cand.id]
            linked = [
                rubric_views[r] for r in view.rubric_ids if r in rubric_views and _linked_ok(rubric_views[r], filters)
            ]
            queries.append(
                QueryNeighbour(
                    query=view,
                    score=score,
                    fused=cand.fused,
                    similarity=cand.similarity,
                    rubrics=linked,
                    dense_rank=cand.dense_rank,
                    bm25_rank=cand.bm25_rank,
                )
            )
        rubrics = [
            RubricNeighbour(
                rubric=rubric_views[c.id],
                score=score,
                fused=c.fused,
                similarity=c.similarity,
                dense_rank=c.dense_rank,
                bm25_rank=c.bm25_rank,
            )
            for c, score in r_rank.kept
        ]
        fallbacks = list(dict.fromkeys(r.ranking.fallback for r in (q_rank, r_rank) if r.ranking.fallback))
        label = q_rank.ranking.reranker if q_rank.kept else r_rank.ranking.reranker
        return Neighbours(
            question=question,
            queries=queries,
            rubrics=rubrics,
            reranker=label,
            kb_version=kb_version,
            rerank_fallback="; ".join(fallbacks) or None,
        )

    # usage statistics -----------------------------------------------------------------------------------------------
    def _count(self, results: Sequence[Neighbours]) -> None:
        if not self._record:
            return
        for neighbours in results:
            self._retrieved.update(neighbours.all_rubric_ids())
            self._events += 1
        if self._events >= self._cfg.usage_flush_every:
            self.flush_usage()

    def flush_usage(self) -> None:
        """Write the usage counts accumulated so far (one transaction)."""
        if not self._events:
            return
        delta = UsageDelta(retrieval_events=self._events, retrieved=dict(self._retrieved))
        self._retrieved, self._events = Counter(), 0
        self._kb.record_usage(delta)
        logger.debug("recorded hits of %d retrievals (%d rubrics)", delta.retrieval_events, len(delta.retrieved))

    def close(self) -> None:
        """Flush pending usage counts (the KB and its search engine stay open)."""
        self.flush_usage()

    def __enter__(self) -> Retriever:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def retrieve(kb: KnowledgeBase, question: str, *, filters: SearchFilter | None = None) -> Neighbours:
    """One-off `Retriever(kb).retrieve(question)`; hold a `Retriever` for repeated calls."""
    with Retriever(kb) as retriever:
        return retriever.retrieve(question, filters=filters)


def retrieve_many(
    kb: KnowledgeBase, questions: Sequence[str], *, filters: SearchFilter | Sequence[SearchFilter] | None = None
) -> list[Neighbours]:
    """One-off `Retriever(kb).retrieve_many(questions)`."""
    with Retriever(kb) as retriever:
        return retriever.retrieve_many(questions, filters=filters)


def _per_question(filters: SearchFilter | Sequence[SearchFilter] | None, n: int) -> list[SearchFilter | None]:
    if filters is None or isinstance(filters, SearchFilter):
        return [filters] * n
    if len(filters) != n:
        raise ValueError(f"got {len(filters)} filters for {n} questions; give one filter or one per question")
    return list(filters)


def _linked_ok(rubric: RubricView, filters: SearchFilter) -> bool:
    """A query's linked rubric passes the rubric-level filters (status, kind, exclusions), not tags or source."""
    return (
        (not filters.statuses or rubric.status in filters.statuses)
        and (not filters.kinds or rubric.kind in filters.kinds)
        and rubric.id not in filters.exclude_ids
    )
