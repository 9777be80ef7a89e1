"""What retrieval hands to synthesis: similar queries (with their rubrics) and standalone rubrics, scored."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kb import QueryView, RubricView


class QueryNeighbour(BaseModel, frozen=True):
    """A similar query from `query_rubrics`, with the rubrics linked to it."""

    query: QueryView
    score: float = Field(description="Final rank score after reranking (higher is better).")
    fused: float = Field(description="RRF score of the dense and BM25 ranks.")
    similarity: float | None = Field(None, description="Cosine similarity of the full texts (bi-encoder).")
    rubrics: list[RubricView] = Field(default_factory=list, description="Linked rubrics in the expert's order.")
    dense_rank: int | None = Field(None, description="1-based rank in the dense sub-request; None = not found by it.")
    bm25_rank: int | None = Field(None, description="1-based rank in the BM25 sub-request; None = not found by it.")


class RubricNeighbour(BaseModel, frozen=True):
    """A standalone rubric from `rubrics`."""

    rubric: RubricView
    score: float
    fused: float
    similarity: float | None = None
    dense_rank: int | None = Field(None, description="1-based rank in the dense sub-request; None = not found by it.")
    bm25_rank: int | None = Field(None, description="1-based rank in the BM25 sub-request; None = not found by it.")


class Neighbours(BaseModel, frozen=True):
    """The result of `retrieval.retrieve(question)`."""

    question: str
    queries: list[QueryNeighbour] = Field(default_factory=list)
    rubrics: list[RubricNeighbour] = Field(default_factory=list)
    reranker: str = Field(description="Which reranker ordered them (mmr, cross-encoder:<model>, llm:<model>).")
    kb_version: int = Field(description="KB version the neighbours were read at (part of cache keys).")
    rerank_fallback: str | None = Field(
        None, description="Set when the configured reranker failed: what failed and which order was used instead."
    )

    def all_rubric_ids(self) -> list[str]:
        """Every KB rubric id in the neighbours, in order, once."""
        ids = [r.id for q in self.queries for r in q.rubrics] + [r.rubric.id for r in self.rubrics]
        return list(dict.fromkeys(ids))
