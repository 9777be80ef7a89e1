"""The one search engine: a dense and a BM25 sub-request per collection, fused by RRF.

Each sub-request is one call for many questions. Collections up to `exact_max_rows` rows are answered by an
in-process copy (`ExactIndex`: exact dense matrix product, numpy BM25 postings); larger ones by Milvus (HNSW
and the BM25 sparse index, both requests concurrently). Ranks are fused here by reciprocal rank fusion,
Σ 1/(rrf_k + rank) with 1-based ranks (the same numbers Milvus' `RRFRanker` gives), so scores never mix
scales and every hit keeps its per-sub-request ranks. The similarity floor drops dense hits below it before
fusion; a BM25 hit is kept on its shared terms alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from kb.search.exact_index import ExactIndex
from kb.search.filters import SearchFilter
from kb.settings import RetrievalSettings
from kb.vectors import Collection, VectorHit, VectorIndex

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """One fused hit of one collection, with the stored dense vector of its full text."""

    id: str
    fused: float  # RRF score
    similarity: float  # cosine of the question and the stored vector
    vector: np.ndarray
    dense_rank: int | None  # 1-based; None = not found by the dense sub-request
    bm25_rank: int | None  # 1-based; None = not found by the BM25 sub-request


@dataclass(frozen=True)
class CollectionRequest:
    """What to fetch from one collection for a group of questions."""

    collection: Collection
    filters: SearchFilter
    limit: int


def rrf_fuse(ranked: Sequence[Sequence[str]], rrf_k: int) -> dict[str, float]:
    """Reciprocal rank fusion of ranked id lists (best first): id → Σ 1/(rrf_k + rank), rank from 1."""
    scores: dict[str, float] = {}
    for ids in ranked:
        for rank, id_ in enumerate(ids, start=1):
            scores[id_] = scores.get(id_, 0.0) + 1.0 / (rrf_k + rank)
    return scores


class SearchEngine:
    """Hybrid candidate search over one `VectorIndex`; holds the exact in-process copies and a small thread pool.

    `KnowledgeBase.search` (fused order) and `retrieval.Retriever` (reranked) both run on the one engine a
    `KnowledgeBase` owns, so they share filters, the similarity floor, the status defaults and the exact path.

    Args:
        index: the open vector index.
        check_embedder: raises when a collection was built with another embedding model.
        settings: thresholds, RRF constant, exact-path size.
    """

    def __init__(
        self, index: VectorIndex, check_embedder: Callable[[Collection], None], settings: RetrievalSettings
    ) -> None:
        self._index = index
        self._check_embedder = check_embedder
        self._settings = settings
        self._exact: dict[Collection, ExactIndex | None] = {}
        self._exact_keys: dict[Collection, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="retrieval-search")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def exact_index(self, collection: Collection, kb_version: int) -> ExactIndex | None:
        """The collection's exact dense copy, (re)loaded when stale; None when it is too large or absent."""
        key = (self._index.generation(collection), kb_version)
        with self._lock:
            if self._exact_keys.get(collection) == key:
                return self._exact[collection]
            exact: ExactIndex | None = None
            rows = self._index.count(collection)
            if 0 < rows <= self._settings.exact_max_rows:
                exact = ExactIndex.load(self._index, collection, key)
            self._exact[collection], self._exact_keys[collection] = exact, key
            return exact

    def search(
        self, texts: Sequence[str], vectors: np.ndarray, requests: Sequence[CollectionRequest], *, kb_version: int
    ) -> dict[Collection, list[list[Candidate]]]:
        """Fused candidates per collection and question (best first, at most `limit` each)."""
        out: dict[Collection, list[list[Candidate]]] = {}
        live = []
        for request in requests:
            if not self._index.exists(request.collection):
                out[request.collection] = [[] for _ in texts]
                continue
            self._check_embedder(request.collection)
            live.append(request)
        exact = {r.collection: self.exact_index(r.collection, kb_version) for r in live}
        sparse: dict[Collection, Future[list[list[VectorHit]]]] = {
            r.collection: self._pool.submit(
                self._index.sparse_search,
                r.collection,
                texts,
                limit=r.limit,
                filter_expr=r.filters.expression(r.collection),
            )
            for r in live
            if exact[r.collection] is None
        }
        dense_futures: dict[Collection, Future[list[list[VectorHit]]]] = {
            r.collection: self._pool.submit(
                self._index.dense_search,
                r.collection,
                vectors,
                limit=r.limit,
                filter_expr=r.filters.expression(r.collection),
                ef=max(self._settings.hnsw_ef, r.limit),
            )
            for r in live
            if exact[r.collection] is None
        }
        floor = self._settings.min_dense_similarity
        floor = None if floor <= -1.0 else floor
        for request in live:
            copy = exact[request.collection]
            if copy is not None:
                mask = copy.mask(request.filters)
                dense = copy.search(vectors, limit=request.limit, mask=mask, floor=floor)
                bm25 = copy.search_bm25(texts, limit=request.limit, mask=mask)
            else:
                dense = [
                    [(h.id, h.score) for h in hits if floor is None or h.score >= floor]
                    for hits in dense_futures[request.collection].result()
                ]
                bm25 = [[h.id for h in hits] for hits in sparse[request.collection].result()]
            out[request.collection] = self._fuse(request, vectors, dense, bm25, copy)
        return out

    def _fuse(
        self,
        request: CollectionRequest,
        vectors: np.ndarray,
        dense: list[list[tuple[str, float]]],
        bm25: list[list[str]],
        copy: ExactIndex | None,
    ) -> list[list[Candidate]]:
        fused_lists: list[list[tuple[str, float]]] = []
        ranks: list[tuple[dict[str, int], dict[str, int]]] = []
        for dense_hits, sparse_hits in zip(dense, bm25, strict=True):
            dense_ids, sparse_ids = [i for i, _ in dense_hits], sparse_hits
            scores = rrf_fuse([dense_ids, sparse_ids], self._settings.rrf_k)
            ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: request.limit]
            fused_lists.append(ordered)
            ranks.append(({i: r for r, i in enumerate(dense_ids, 1)}, {i: r for r, i in enumerate(sparse_ids, 1)}))
        needed = list(dict.fromkeys(i for hits in fused_lists for i, _ in hits))
        stored = copy.vectors(needed) if copy is not None else self._index.vectors(request.collection, needed)
        out: list[list[Candidate]] = []
        for qi, hits in enumerate(fused_lists):
            dense_rank, bm25_rank = ranks[qi]
            row: list[Candidate] = []
            for id_, score in hits:
                vector = stored.get(id_)
                if vector is None:  # deleted between the search and the fetch
                    continue
                row.append(
                    Candidate(
                        id=id_,
                        fused=score,
                        similarity=float(vector @ vectors[qi]),
                        vector=vector,
                        dense_rank=dense_rank.get(id_),
                        bm25_rank=bm25_rank.get(id_),
                    )
                )
            out.append(row)
        return out
