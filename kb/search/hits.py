"""Search results: typed hits with their text from SQL."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.search.engine import Candidate
from kb.search.filters import Scope
from kb.tables import Query, Rubric
from kb.vectors import Collection


class SearchHit(BaseModel):
    """One search result (the `--json` output of `telerubric search` is a list of these)."""

    collection: Scope = Field(description="queries | rubrics")
    id: str
    score: float = Field(description="Rank score: RRF of the dense and BM25 ranks, or the reranker's (higher first).")
    text: str
    tags: list[str]
    source: str
    kind: str | None = Field(None, description="Rubrics only.")
    status: str | None = Field(None, description="Rubrics only.")
    similarity: float | None = Field(None, description="Cosine similarity of the question and the stored text.")
    dense_rank: int | None = Field(None, description="1-based rank in the dense sub-request; None = not found by it.")
    bm25_rank: int | None = Field(None, description="1-based rank in the BM25 sub-request; None = not found by it.")


def hydrate(engine: Engine, collection: Collection, found: Sequence[Candidate]) -> list[SearchHit]:
    """Attach SQL text and fields to fused candidates, in their order; ids missing from SQL are dropped."""
    table = Query if collection is Collection.QUERIES else Rubric
    with Session(engine) as session:
        rows = {r.id: r for r in session.exec(select(table).where(col(table.id).in_([c.id for c in found])))}
    out = []
    for cand in found:
        row = rows.get(cand.id)
        if row is None:
            continue
        out.append(
            SearchHit(
                collection=Scope.QUERIES if collection is Collection.QUERIES else Scope.RUBRICS,
                id=row.id,
                score=cand.fused,
                text=row.text,
                tags=list(row.tags),
                source=row.source,
                kind=getattr(row, "kind", None),
                status=getattr(row, "status", None),
                similarity=cand.similarity,
                dense_rank=cand.dense_rank,
                bm25_rank=cand.bm25_rank,
            )
        )
    return out
