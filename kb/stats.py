"""Counts of what the knowledge base holds, per collection, kind, status and source."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kb.sql import SCHEMA_VERSION_KEY, get_meta, kb_version
from kb.tables import Query, QueryRubricLink, Revision, Rubric
from kb.vectors import Collection, VectorIndex


class CollectionStats(BaseModel):
    sql_rows: int = Field(description="Rows in SQL (the source of truth).")
    index_rows: int = Field(description="Rows in the Milvus collection.")
    embedder: str | None = Field(None, description="Model that built the collection.")


class KBStats(BaseModel):
    """The `telerubric kb stats --json` document."""

    schema_version: int
    kb_version: int
    collections: dict[str, CollectionStats]
    rubrics_by_kind: dict[str, int]
    rubrics_by_status: dict[str, int]
    rubrics_by_source: dict[str, int]
    queries_by_source: dict[str, int]
    links: int
    revisions: int


def _group(session: Session, column) -> dict[str, int]:  # noqa: ANN001 - a SQLAlchemy column
    return {str(k): int(n) for k, n in session.exec(select(column, func.count()).group_by(column)).all()}


def collect_stats(engine: Engine, index: VectorIndex) -> KBStats:
    with Session(engine) as session:
        count = lambda table: int(session.exec(select(func.count()).select_from(table)).one())  # noqa: E731
        collections = {
            Collection.QUERIES.value: CollectionStats(
                sql_rows=count(Query),
                index_rows=index.count(Collection.QUERIES),
                embedder=get_meta(session, "collection.query_rubrics.embedder"),
            ),
            Collection.RUBRICS.value: CollectionStats(
                sql_rows=count(Rubric),
                index_rows=index.count(Collection.RUBRICS),
                embedder=get_meta(session, "collection.rubrics.embedder"),
            ),
        }
        return KBStats(
            schema_version=int(get_meta(session, SCHEMA_VERSION_KEY) or 0),
            kb_version=kb_version(session),
            collections=collections,
            rubrics_by_kind=_group(session, Rubric.kind),
            rubrics_by_status=_group(session, Rubric.status),
            rubrics_by_source=_group(session, Rubric.source),
            queries_by_source=_group(session, Query.source),
            links=count(QueryRubricLink),
            revisions=count(Revision),
        )
