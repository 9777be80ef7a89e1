"""Search over the two collections: typed hits with text from SQL."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.tables import Query, Rubric
from kb.vectors import Collection, VectorHit


class Scope(StrEnum):
    QUERIES = "queries"
    RUBRICS = "rubrics"
    BOTH = "both"

    def collections(self) -> list[Collection]:
        return {
            Scope.QUERIES: [Collection.QUERIES],
            Scope.RUBRICS: [Collection.RUBRICS],
            Scope.BOTH: [Collection.QUERIES, Collection.RUBRICS],
        }[self]


class SearchFilter(BaseModel):
    """Typed scalar filters; each becomes a Milvus expression over typed fields (never JSON paths)."""

    tags_any: list[str] = Field(default_factory=list, description="Keep rows carrying any of these tags.")
    sources: list[str] = Field(default_factory=list, description="Keep rows from these sources.")
    kinds: list[str] = Field(default_factory=list, description="Rubrics only: keep these kinds.")
    statuses: list[str] = Field(default_factory=list, description="Rubrics only: keep these statuses.")
    standalone_only: bool = Field(False, description="Rubrics only: keep standalone rubrics.")
    exclude_ids: list[str] = Field(default_factory=list, description="Drop these ids (e.g. leave-one-out).")

    def expression(self, collection: Collection) -> str:
        parts: list[str] = []
        if self.tags_any:
            parts.append(f"array_contains_any(tags, {_str_list(self.tags_any)})")
        if self.sources:
            parts.append(f"source in {_str_list(self.sources)}")
        if self.exclude_ids:
            parts.append(f"id not in {_str_list(self.exclude_ids)}")
        if collection is Collection.RUBRICS:
            if self.kinds:
                parts.append(f"kind in {_str_list(self.kinds)}")
            if self.statuses:
                parts.append(f"status in {_str_list(self.statuses)}")
            if self.standalone_only:
                parts.append("standalone == true")
        return " and ".join(parts)


def _str_list(values: Sequence[str]) -> str:
    escaped = ['"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values]
    return "[" + ", ".join(escaped) + "]"


class SearchHit(BaseModel):
    """One search result (the `--json` output of `telerubric search` is a list of these)."""

    collection: Scope = Field(description="queries | rubrics")
    id: str
    score: float = Field(description="RRF score of the dense and BM25 ranks (higher is better).")
    text: str
    tags: list[str]
    source: str
    kind: str | None = Field(None, description="Rubrics only.")
    status: str | None = Field(None, description="Rubrics only.")


def hydrate(engine: Engine, collection: Collection, hits: Sequence[VectorHit]) -> list[SearchHit]:
    """Attach SQL text and fields to index hits, in hit order; ids missing from SQL are dropped."""
    table = Query if collection is Collection.QUERIES else Rubric
    with Session(engine) as session:
        rows = {r.id: r for r in session.exec(select(table).where(col(table.id).in_([h.id for h in hits])))}
    out = []
    for hit in hits:
        row = rows.get(hit.id)
        if row is None:
            continue
        out.append(
            SearchHit(
                collection=Scope.QUERIES if collection is Collection.QUERIES else Scope.RUBRICS,
                id=row.id,
                score=hit.score,
                text=row.text,
                tags=list(row.tags),
                source=row.source,
                kind=getattr(row, "kind", None),
                status=getattr(row, "status", None),
            )
        )
    return out
