"""Read models of KB rows that other packages receive (never the SQL rows themselves)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.records import MachineCheck
from kb.tables import Query, QueryRubricLink, Rubric

_CHECK = TypeAdapter(MachineCheck)


class RubricView(BaseModel, frozen=True):
    """A rubric as retrieval, synthesis, the judge and the UI see it."""

    id: str
    text: str
    kind: str = Field(description="hard_rule | principle | tool_call")
    importance: str
    weight: float
    theme: str | None = None
    tips: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    check: MachineCheck | None = None
    condition: str | None = Field(None, description="When the rubric applies; None = always.")
    status: str
    source: str
    standalone: bool = False
    version: int = 1
    provenance: dict[str, Any] = Field(default_factory=dict, description="file, line, dataset_id, section, …")

    @classmethod
    def of(cls, row: Rubric) -> RubricView:
        return cls(
            id=row.id,
            text=row.text,
            kind=row.kind,
            importance=row.importance,
            weight=row.weight,
            theme=row.theme,
            tips=list(row.tips),
            tags=list(row.tags),
            check=_CHECK.validate_python(row.check) if row.check else None,
            condition=row.condition,
            status=row.status,
            source=row.source,
            standalone=row.standalone,
            version=row.version,
            provenance=dict(row.provenance),
        )


class QueryView(BaseModel, frozen=True):
    id: str
    text: str
    tags: list[str] = Field(default_factory=list)
    source: str
    provenance: dict[str, Any] = Field(default_factory=dict)
    rubric_ids: list[str] = Field(default_factory=list, description="Linked rubrics in the expert's order.")


def rubrics_by_ids(engine: Engine, ids: Sequence[str]) -> dict[str, RubricView]:
    out: dict[str, RubricView] = {}
    with Session(engine) as session:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            out.update((r.id, RubricView.of(r)) for r in session.exec(select(Rubric).where(col(Rubric.id).in_(chunk))))
    return out


def queries_by_ids(engine: Engine, ids: Sequence[str]) -> dict[str, QueryView]:
    """Queries with their linked rubric ids in position order."""
    out: dict[str, QueryView] = {}
    with Session(engine) as session:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            links: dict[str, list[str]] = {}
            stmt = (
                select(QueryRubricLink)
                .where(col(QueryRubricLink.query_id).in_(chunk))
                .order_by(col(QueryRubricLink.query_id), col(QueryRubricLink.position))
            )
            for link in session.exec(stmt):
                links.setdefault(link.query_id, []).append(link.rubric_id)
            for q in session.exec(select(Query).where(col(Query.id).in_(chunk))):
                out[q.id] = QueryView(
                    id=q.id,
                    text=q.text,
                    tags=list(q.tags),
                    source=q.source,
                    provenance=dict(q.provenance),
                    rubric_ids=links.get(q.id, []),
                )
    return out


def find_query_ids(engine: Engine, *, dataset_id: str | None = None, text: str | None = None) -> list[str]:
    """Ids of the queries with this dataset id (provenance) and/or exactly this text, in id order."""
    if dataset_id is None and text is None:
        return []
    stmt = select(Query.id)
    if dataset_id is not None:
        stmt = stmt.where(col(Query.provenance)["dataset_id"].as_string() == dataset_id)
    if text is not None:
        stmt = stmt.where(col(Query.text) == text)
    with Session(engine) as session:
        return sorted(session.exec(stmt))


def list_query_ids(engine: Engine, *, source: str | None = None, limit: int = 100) -> list[str]:
    """Up to `limit` query ids (of one source), in id order."""
    stmt = select(Query.id).order_by(col(Query.id)).limit(limit)
    if source is not None:
        stmt = stmt.where(col(Query.source) == source)
    with Session(engine) as session:
        return list(session.exec(stmt))
