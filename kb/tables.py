"""SQLModel tables: the source of truth. Milvus holds a derived index of these rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

# 2: rubric.condition; the environment and tau2task tables. 3: kb_version and the retrieval count are `counter`
# rows (they were Meta strings), so an older telerubric cannot miscount in a database this one wrote.
SCHEMA_VERSION = 3


def utcnow() -> datetime:
    return datetime.now(UTC)


class Rubric(SQLModel, table=True):
    """One rubric, current version. Every change leaves a `Revision`."""

    id: str = Field(primary_key=True, max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = Field(index=True, max_length=16)
    importance: str = Field(max_length=16)
    weight: float
    theme: str | None = None
    tips: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    check: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    condition: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(index=True, max_length=16)
    source: str = Field(index=True, max_length=64)
    standalone: bool = Field(default=False, description="Ingested as a standalone rubric (not only via a query).")
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 1
    content_hash: str = Field(max_length=64)
    index_hash: str = Field(max_length=64, description="Hash of what the vector index holds for this row.")
    indexed_hash: str | None = Field(default=None, max_length=64, description="index_hash last written to Milvus.")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    created_by: str = "system"
    updated_by: str = "system"


class Query(SQLModel, table=True):
    """One request an agent may receive, linked to its rubrics."""

    id: str = Field(primary_key=True, max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = Field(index=True, max_length=64)
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 1
    content_hash: str = Field(max_length=64)
    index_hash: str = Field(max_length=64)
    indexed_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class QueryRubricLink(SQLModel, table=True):
    """A query–rubric pair; `position` keeps the order the expert gave."""

    __table_args__ = (Index("ix_link_rubric", "rubric_id"),)

    query_id: str = Field(primary_key=True, foreign_key="query.id", max_length=200)
    rubric_id: str = Field(primary_key=True, foreign_key="rubric.id", max_length=200)
    position: int = 0


class Environment(SQLModel, table=True):
    """A base environment tasks start from (e.g. τ²'s agent and user DBs), stored once, keyed by its content hash."""

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=32, description="What the documents are, e.g. tau2.")
    documents: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Tau2TaskRow(SQLModel, table=True):
    """A τ² task's initial state beside its query; with the query's linked checks and the environment it is all a
    trajectory's replay needs."""

    __tablename__ = "tau2task"
    __table_args__ = (Index("ix_tau2task_task_id", "task_id", unique=True),)

    query_id: str = Field(primary_key=True, foreign_key="query.id", max_length=200)
    task_id: str = Field(sa_column=Column(Text, nullable=False), description="Upstream ids run past 200 characters.")
    environment_id: str | None = Field(default=None, foreign_key="environment.id", max_length=64)
    initial_state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64)


class Revision(SQLModel, table=True):
    """An audit row for every change of a rubric or query: who, when, before and after."""

    __table_args__ = (Index("ix_revision_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=16, description="rubric | query")
    entity_id: str = Field(max_length=200)
    version: int
    action: str = Field(max_length=16, description="create | update | status")
    changed_by: str = "system"
    changed_at: datetime = Field(default_factory=utcnow)
    reason: str | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class UsageCounters(SQLModel, table=True):
    """Usage counters per rubric (retrieved, used, verdicts): what pruning and the UI read."""

    __tablename__ = "rubricstats"  # the table's name since schema 1

    rubric_id: str = Field(primary_key=True, foreign_key="rubric.id", max_length=200)
    retrieved: int = 0
    used: int = 0
    met: int = 0
    not_met: int = 0
    not_applicable: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class UsageSnapshot(SQLModel, table=True):
    """Append-only copies of a rubric's usage counters over time (the usage-over-time chart). A snapshot copies only
    the rubrics whose counters changed since the previous one; new in schema 3, created on open by `create_all`."""

    __tablename__ = "usagesnapshot"
    __table_args__ = (Index("ix_usagesnapshot_rubric", "rubric_id", "taken_at"),)

    id: int | None = Field(default=None, primary_key=True)
    rubric_id: str = Field(max_length=200)
    taken_at: datetime = Field(default_factory=utcnow)
    retrieved: int = 0
    used: int = 0
    met: int = 0
    not_met: int = 0
    not_applicable: int = 0


class Meta(SQLModel, table=True):
    """Key-value facts about the KB: schema version, KB version, embedder of each collection."""

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(sa_column=Column(Text, nullable=False))


class KBCounter(SQLModel, table=True):
    """KB-wide integers that many processes add to (kb_version, retrieval events): always `value = value + n`
    in SQL, never read-modify-write in Python, so concurrent writers lose nothing."""

    __tablename__ = "counter"

    name: str = Field(primary_key=True, max_length=64)
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class CachedResult(SQLModel, table=True):
    """A cached, versioned result (e.g. a synthesised rubric set) keyed by a hash of all that shapes it."""

    key: str = Field(primary_key=True, max_length=64)
    namespace: str = Field(index=True, max_length=64, description="What is cached, e.g. rubric_set.")
    value: str = Field(sa_column=Column(Text, nullable=False), description="Model JSON, never pickles.")
    kb_version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
