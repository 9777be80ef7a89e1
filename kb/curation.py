"""Reads for curating the KB: a paged, filtered, sorted rubric listing, the values its filters offer, and queries
with their linked rubrics. Filters, sorting and paging run in SQL, so a page costs the same at 20,000 rubrics as at
200 (see bench/ui_browse.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Text, cast, func, or_, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.tables import Query, QueryRubricLink, Rubric, UsageCounters
from kb.views import QueryView, RubricView, queries_by_ids


class RubricSort(StrEnum):
    """What the rubric listing is ordered by (ties broken by id, so pages never overlap)."""

    UPDATED = "updated_at"
    CREATED = "created_at"
    RETRIEVED = "retrieved"
    USED = "used"
    MET = "met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"
    VERDICTS = "verdicts"  # met + not met
    ID = "id"


class RubricFilter(BaseModel):
    """Which rubrics a listing holds, in which order, and which page of them. Empty lists filter nothing."""

    kinds: list[str] = Field(default_factory=list, description="hard_rule | principle | tool_call")
    statuses: list[str] = Field(default_factory=list, description="draft | approved | retired")
    sources: list[str] = Field(default_factory=list)
    importances: list[str] = Field(default_factory=list, description="essential | important | optional | pitfall")
    tags_any: list[str] = Field(default_factory=list, description="Keep rubrics carrying any of these tags.")
    themes: list[str] = Field(default_factory=list, description="Keep rubrics with one of these themes.")
    text_contains: str | None = Field(None, description="Case-insensitive substring of the text or the id.")
    sort: RubricSort = RubricSort.UPDATED
    descending: bool = True
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=1000)


class RubricRow(BaseModel, frozen=True):
    """One line of the rubric listing: the fields a table shows and the usage counters."""

    id: str
    text: str
    kind: str
    importance: str
    weight: float
    theme: str | None = None
    tags: list[str] = Field(default_factory=list)
    status: str
    source: str
    standalone: bool = False
    version: int
    updated_at: datetime = Field(description="UTC.")
    updated_by: str
    retrieved: int = 0
    used: int = 0
    met: int = 0
    not_met: int = 0
    not_applicable: int = 0


class RubricPage(BaseModel, frozen=True):
    """One page of a listing and the number of rubrics the filter matches in all."""

    rows: list[RubricRow]
    total: int = Field(description="Rubrics matching the filter (all pages).")
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total


class RubricFacets(BaseModel, frozen=True):
    """The values each filter can take, with how many rubrics carry each."""

    kinds: dict[str, int] = Field(default_factory=dict)
    statuses: dict[str, int] = Field(default_factory=dict)
    sources: dict[str, int] = Field(default_factory=dict)
    importances: dict[str, int] = Field(default_factory=dict)
    themes: dict[str, int] = Field(default_factory=dict)
    tags: dict[str, int] = Field(default_factory=dict)
    total: int = 0


class QueryFilter(BaseModel):
    text_contains: str | None = Field(None, description="Case-insensitive substring of the text or the id.")
    sources: list[str] = Field(default_factory=list)
    tags_any: list[str] = Field(default_factory=list)
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=1000)


class QueryRow(BaseModel, frozen=True):
    id: str
    text: str
    tags: list[str] = Field(default_factory=list)
    source: str
    rubrics: int | None = Field(None, description="Linked rubrics; None = not counted.")


class QueryPage(BaseModel, frozen=True):
    rows: list[QueryRow]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total


class QueryDetail(BaseModel, frozen=True):
    """A query with its linked rubrics in the expert's order (ids missing from SQL are left out)."""

    query: QueryView
    rubrics: list[RubricView] = Field(default_factory=list)


def aware(stamp: datetime) -> datetime:
    """A stored timestamp as an aware UTC instant (SQLite hands them back naive)."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _tags_any(column: Any, tags: Sequence[str]) -> Any:
    """Rows whose JSON tag list holds any of `tags`: a LIKE on the stored JSON text (`"mms"` with its quotes), which
    works unchanged on SQLite and PostgreSQL; tags are slugs, and LIKE wildcards in them are escaped."""
    as_text = cast(column, Text)
    return or_(*(as_text.contains(json.dumps(tag), autoescape=True) for tag in tags))


def _contains(columns: Sequence[Any], needle: str) -> Any:
    pattern = needle.strip().lower()
    return or_(*(func.lower(c).contains(pattern, autoescape=True) for c in columns))


def _rubric_conditions(f: RubricFilter) -> list[Any]:
    where: list[Any] = []
    for column, values in (
        (Rubric.kind, f.kinds),
        (Rubric.status, f.statuses),
        (Rubric.source, f.sources),
        (Rubric.importance, f.importances),
        (Rubric.theme, f.themes),
    ):
        if values:
            where.append(col(column).in_(list(values)))
    if f.tags_any:
        where.append(_tags_any(Rubric.tags, f.tags_any))
    if f.text_contains and f.text_contains.strip():
        where.append(_contains([Rubric.text, Rubric.id], f.text_contains))
    return where


def _sort_key(sort: RubricSort) -> Any:
    if sort is RubricSort.ID:
        return None
    if sort in (RubricSort.UPDATED, RubricSort.CREATED):
        return getattr(Rubric, sort.value)
    if sort is RubricSort.VERDICTS:
        return func.coalesce(UsageCounters.met, 0) + func.coalesce(UsageCounters.not_met, 0)
    return func.coalesce(getattr(UsageCounters, sort.value), 0)


def list_rubrics(engine: Engine, f: RubricFilter) -> RubricPage:
    """One page of rubrics matching `f`, sorted in SQL, with the total count of matches."""
    where = _rubric_conditions(f)
    key = _sort_key(f.sort)
    order: list[Any] = []
    if key is not None:
        order.append(key.desc() if f.descending else key.asc())
    order.append(col(Rubric.id).desc() if f.descending and key is None else col(Rubric.id).asc())
    # The page's ids first, sorting only (key, id) pairs: a deep OFFSET then moves narrow rows, not whole rubrics.
    page_ids = (
        select(Rubric.id)
        .outerjoin(UsageCounters, col(UsageCounters.rubric_id) == col(Rubric.id))
        .where(*where)
        .order_by(*order)
        .offset(f.offset)
        .limit(f.limit)
    )
    columns = (
        Rubric.id,
        Rubric.text,
        Rubric.kind,
        Rubric.importance,
        Rubric.weight,
        Rubric.theme,
        Rubric.tags,
        Rubric.status,
        Rubric.source,
        Rubric.standalone,
        Rubric.version,
        Rubric.updated_at,
        Rubric.updated_by,
        UsageCounters.retrieved,
        UsageCounters.used,
        UsageCounters.met,
        UsageCounters.not_met,
        UsageCounters.not_applicable,
    )
    counted = select(func.count()).select_from(Rubric).where(*where)
    with Session(engine) as session:
        total = int(session.exec(counted).one())
        ids = list(session.exec(page_ids).all())
        found = session.exec(
            select(*columns)
            .outerjoin(UsageCounters, col(UsageCounters.rubric_id) == col(Rubric.id))
            .where(col(Rubric.id).in_(ids))
        ).all()
    by_id = {r[0]: r for r in found}
    rows = [
        RubricRow(
            id=r[0],
            text=r[1],
            kind=r[2],
            importance=r[3],
            weight=r[4],
            theme=r[5],
            tags=list(r[6] or []),
            status=r[7],
            source=r[8],
            standalone=bool(r[9]),
            version=r[10],
            updated_at=aware(r[11]),
            updated_by=r[12],
            retrieved=r[13] or 0,
            used=r[14] or 0,
            met=r[15] or 0,
            not_met=r[16] or 0,
            not_applicable=r[17] or 0,
        )
        for r in (by_id[i] for i in ids if i in by_id)
    ]
    return RubricPage(rows=rows, total=total, offset=f.offset, limit=f.limit)


def rubric_facets(engine: Engine) -> RubricFacets:
    """Distinct kinds, statuses, sources, importances, themes and tags with their counts (tags unnested in SQL on
    SQLite and PostgreSQL)."""
    with Session(engine) as session:

        def grouped(column: Any) -> dict[str, int]:
            rows = session.exec(select(column, func.count()).where(col(column).is_not(None)).group_by(column)).all()
            return {str(k): int(n) for k, n in sorted(rows, key=lambda kv: (-kv[1], str(kv[0])))}

        total = int(session.exec(select(func.count()).select_from(Rubric)).one())
        return RubricFacets(
            kinds=grouped(Rubric.kind),
            statuses=grouped(Rubric.status),
            sources=grouped(Rubric.source),
            importances=grouped(Rubric.importance),
            themes=grouped(Rubric.theme),
            tags=_tag_counts(session),
            total=total,
        )


def _tag_counts(session: Session) -> dict[str, int]:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        sql = "SELECT j.value, count(*) FROM rubric, json_each(rubric.tags) AS j GROUP BY j.value"
    elif dialect == "postgresql":
        sql = "SELECT t, count(*) FROM rubric, json_array_elements_text(rubric.tags) AS t GROUP BY t"
    else:  # any other SQL: count in Python
        counts: Counter[str] = Counter(t for tags in session.exec(select(Rubric.tags)) for t in tags or [])
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    rows = session.execute(text(sql)).all()
    return {str(k): int(n) for k, n in sorted(rows, key=lambda kv: (-kv[1], str(kv[0])))}


def list_queries(engine: Engine, f: QueryFilter) -> QueryPage:
    """One page of queries (by id) with how many rubrics each links, and the total count of matches."""
    where: list[Any] = []
    if f.sources:
        where.append(col(Query.source).in_(list(f.sources)))
    if f.tags_any:
        where.append(_tags_any(Query.tags, f.tags_any))
    if f.text_contains and f.text_contains.strip():
        where.append(_contains([Query.text, Query.id], f.text_contains))
    links = select(QueryRubricLink.query_id, func.count().label("n")).group_by(col(QueryRubricLink.query_id)).subquery()
    stmt = (
        select(Query.id, Query.text, Query.tags, Query.source, links.c.n)
        .outerjoin(links, links.c.query_id == col(Query.id))
        .where(*where)
        .order_by(col(Query.id))
        .offset(f.offset)
        .limit(f.limit)
    )
    with Session(engine) as session:
        total = int(session.exec(select(func.count()).select_from(Query).where(*where)).one())
        rows = [
            QueryRow(id=r[0], text=r[1], tags=list(r[2] or []), source=r[3], rubrics=int(r[4] or 0))
            for r in session.exec(stmt).all()
        ]
    return QueryPage(rows=rows, total=total, offset=f.offset, limit=f.limit)


def query_detail(engine: Engine, query_id: str) -> QueryDetail | None:
    """The query with its linked rubrics in link order; None when there is no such query."""
    found = queries_by_ids(engine, [query_id]).get(query_id)
    if found is None:
        return None
    with Session(engine) as session:
        rows = {r.id: r for r in session.exec(select(Rubric).where(col(Rubric.id).in_(found.rubric_ids)))}
    return QueryDetail(query=found, rubrics=[RubricView.of(rows[i]) for i in found.rubric_ids if i in rows])


def queries_linking(engine: Engine, rubric_id: str, *, limit: int = 100) -> list[QueryRow]:
    """Queries that link this rubric (by query id, at most `limit`)."""
    stmt = (
        select(Query.id, Query.text, Query.tags, Query.source)
        .join(QueryRubricLink, col(QueryRubricLink.query_id) == col(Query.id))
        .where(col(QueryRubricLink.rubric_id) == rubric_id)
        .order_by(col(Query.id))
        .limit(limit)
    )
    with Session(engine) as session:
        return [QueryRow(id=r[0], text=r[1], tags=list(r[2] or []), source=r[3]) for r in session.exec(stmt).all()]
