"""An in-process copy of one collection (dense vectors, BM25 postings, filter fields), kept in step with Milvus.

Below `RetrievalSettings.exact_max_rows` both sub-requests are answered here instead of by Milvus: the dense one
exactly (a matrix product), the BM25 one from numpy postings. That avoids milvus-lite's ~10 ms floor per request
and its ~75 ms HNSW / ~140 ms BM25 requests at 100k rows. The copy is rebuilt when this process writes to the
collection (`VectorIndex.generation`) or the KB version moves (another process applied records).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from kb.search.bm25 import BM25Postings
from kb.search.filters import SearchFilter
from kb.vectors import Collection, VectorIndex

logger = logging.getLogger(__name__)


@dataclass
class ExactIndex:
    """Dense vectors (unit rows, float32), BM25 postings and the typed fields `SearchFilter` reads."""

    collection: Collection
    ids: list[str]
    matrix: np.ndarray
    tags: list[frozenset[str]]
    source: np.ndarray
    kind: np.ndarray
    status: np.ndarray
    standalone: np.ndarray
    bm25: BM25Postings
    key: tuple[int, int] = (0, 0)
    row_of: dict[str, int] = field(init=False)
    _masks: dict[str, np.ndarray] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.row_of = {id_: i for i, id_ in enumerate(self.ids)}

    @classmethod
    def load(cls, index: VectorIndex, collection: Collection, key: tuple[int, int]) -> ExactIndex:
        """Read every row (with its vector and text) from Milvus."""
        ids: list[str] = []
        texts: list[str] = []
        vectors: list[list[float]] = []
        tags: list[frozenset[str]] = []
        scalars: dict[str, list[object]] = {"source": [], "kind": [], "status": [], "standalone": []}
        for batch in index.scan(collection, with_vectors=True, with_text=True):
            for row in batch:
                ids.append(str(row["id"]))
                texts.append(str(row["text"]))
                vectors.append(row["dense"])
                tags.append(frozenset(row.get("tags") or ()))
                for name, values in scalars.items():
                    values.append(row.get(name, False if name == "standalone" else ""))
        matrix = np.asarray(vectors, dtype=np.float32) if vectors else np.zeros((0, 0), dtype=np.float32)
        logger.info("exact in-process copy of %s: %d rows", collection.value, len(ids))
        return cls(
            collection=collection,
            ids=ids,
            matrix=matrix,
            tags=tags,
            source=np.asarray(scalars["source"], dtype=object),
            kind=np.asarray(scalars["kind"], dtype=object),
            status=np.asarray(scalars["status"], dtype=object),
            standalone=np.asarray(scalars["standalone"], dtype=bool),
            bm25=BM25Postings(texts),
            key=key,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def mask(self, filters: SearchFilter) -> np.ndarray | None:
        """Rows that pass `filters` (None = all), with the semantics of `SearchFilter.expression`."""
        if not filters.expression(self.collection):
            return None
        cache_key = filters.model_dump_json()
        cached = self._masks.get(cache_key)
        if cached is not None:
            return cached
        keep = np.ones(len(self.ids), dtype=bool)
        if filters.tags_any:
            wanted = set(filters.tags_any)
            keep &= np.fromiter((not wanted.isdisjoint(t) for t in self.tags), dtype=bool, count=len(self.tags))
        if filters.sources:
            keep &= np.isin(self.source, filters.sources)
        if filters.exclude_ids:
            rows = [self.row_of[i] for i in filters.exclude_ids if i in self.row_of]
            keep[rows] = False
        if self.collection is Collection.RUBRICS:
            if filters.kinds:
                keep &= np.isin(self.kind, filters.kinds)
            if filters.statuses:
                keep &= np.isin(self.status, filters.statuses)
            if filters.standalone_only:
                keep &= self.standalone
        if len(self._masks) > 64:  # leave-one-out runs make one filter per question
            self._masks.clear()
        self._masks[cache_key] = keep
        return keep

    def search(
        self, vectors: np.ndarray, *, limit: int, mask: np.ndarray | None, floor: float | None
    ) -> list[list[tuple[str, float]]]:
        """Top `limit` rows by cosine per query vector, best first, dropping those below `floor`."""
        if len(self.ids) == 0 or limit <= 0:
            return [[] for _ in range(len(vectors))]
        sims = vectors.astype(np.float32, copy=False) @ self.matrix.T
        if mask is not None:
            sims[:, ~mask] = -np.inf
        n = min(limit, sims.shape[1])
        top = (
            np.argpartition(-sims, n - 1, axis=1)[:, :n]
            if n < sims.shape[1]
            else np.tile(np.arange(sims.shape[1]), (len(sims), 1))
        )
        out: list[list[tuple[str, float]]] = []
        for qi, rows in enumerate(top):
            scores = sims[qi, rows]
            order = np.argsort(-scores, kind="stable")
            hits = []
            for r, s in zip(rows[order], scores[order], strict=True):
                if not np.isfinite(s) or (floor is not None and s < floor):
                    break
                hits.append((self.ids[int(r)], float(s)))
            out.append(hits)
        return out

    def search_bm25(self, texts: Sequence[str], *, limit: int, mask: np.ndarray | None) -> list[list[str]]:
        """Top `limit` row ids by BM25 per text, best first; rows sharing no term are never hits."""
        out = []
        for text in texts:
            scores = self.bm25.scores(text)
            if mask is not None:
                scores[~mask] = 0.0
            hit = np.flatnonzero(scores > 0)
            if len(hit) > limit:
                hit = hit[np.argpartition(-scores[hit], limit - 1)[:limit]]
            out.append([self.ids[int(r)] for r in hit[np.lexsort((hit, -scores[hit]))]])
        return out

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {i: self.matrix[self.row_of[i]] for i in ids if i in self.row_of}
