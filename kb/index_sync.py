"""Keeping Milvus in step with SQL: index pending rows, rebuild from scratch, and doctor (compare, repair)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field
from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.embedders import Embedder
from kb.errors import EmbedderMismatch
from kb.progress import NoProgress, Progress
from kb.sql import get_meta, set_meta
from kb.tables import Query, Rubric
from kb.vectors import Collection, IndexRow, VectorIndex

logger = logging.getLogger(__name__)

BATCH = 256
FLUSH_AFTER_ROWS = 1000  # a bulk sync seals its segment (indexed search); small edits stay in the growing one
TABLES: dict[Collection, type[Query] | type[Rubric]] = {Collection.QUERIES: Query, Collection.RUBRICS: Rubric}


def embedder_key(collection: Collection) -> str:
    return f"collection.{collection.value}.embedder"


def to_index_row(row: Query | Rubric) -> IndexRow:
    if isinstance(row, Rubric):
        return IndexRow(
            id=row.id,
            text=row.text,
            index_hash=row.index_hash,
            tags=tuple(row.tags),
            source=row.source,
            kind=row.kind,
            status=row.status,
            standalone=row.standalone,
        )
    return IndexRow(id=row.id, text=row.text, index_hash=row.index_hash, tags=tuple(row.tags), source=row.source)


@dataclass
class IndexSync:
    """Writes SQL rows into the collections with the given embedder."""

    engine: Engine
    index: VectorIndex
    embedder: Embedder
    progress: Progress = field(default_factory=NoProgress)

    def check_embedder(self, collection: Collection) -> None:
        """Refuse to mix models: the collection must have been built by this embedder."""
        with Session(self.engine) as session:
            built_with = get_meta(session, embedder_key(collection))
        if built_with is not None and built_with != self.embedder.model_id:
            raise EmbedderMismatch(
                f"collection {collection.value} was built with {built_with}, the configured embedder is "
                f"{self.embedder.model_id}; run `telerubric kb rebuild` (or configure {built_with})"
            )

    def ensure_collections(self) -> None:
        with Session(self.engine) as session:
            for collection in Collection:
                self.check_embedder(collection)
                if not self.index.exists(collection):
                    self.index.create(collection, self.embedder.dimension)
                set_meta(session, embedder_key(collection), self.embedder.model_id)
            session.commit()

    def pending_count(self) -> int:
        with Session(self.engine) as session:
            return sum(len(session.exec(self._pending(table)).all()) for table in TABLES.values())

    @staticmethod
    def _pending(table: type[Query] | type[Rubric]):  # noqa: ANN205 - a SQLModel select
        return select(table.id).where(or_(col(table.indexed_hash).is_(None), table.indexed_hash != table.index_hash))

    def sync_pending(self) -> int:
        """Index every row whose indexed hash lags its content; commit per batch, so a kill loses at most one."""
        self.ensure_collections()
        done = 0
        with Session(self.engine) as session:
            work = {c: list(session.exec(self._pending(t)).all()) for c, t in TABLES.items()}
        total = sum(len(ids) for ids in work.values())
        if not total:
            return 0
        self.progress.start(total, "indexing")
        for collection, ids in work.items():
            for start in range(0, len(ids), BATCH):
                done += self.index_ids(collection, ids[start : start + BATCH])
                self.progress.advance(min(BATCH, len(ids) - start))
            if len(ids) >= FLUSH_AFTER_ROWS:
                self.index.flush(collection)
        self.progress.close()
        logger.info("indexed %d rows", done)
        return done

    def index_ids(self, collection: Collection, ids: Sequence[str]) -> int:
        table = TABLES[collection]
        with Session(self.engine) as session:
            rows = list(session.exec(select(table).where(col(table.id).in_(list(ids)))).all())
            if not rows:
                return 0
            vectors = self.embedder.embed([r.text for r in rows])
            self.index.upsert(collection, [to_index_row(r) for r in rows], vectors)
            marks = [{"id": r.id, "indexed_hash": r.index_hash} for r in rows]  # the hash that was indexed
            session.execute(update(table), marks)  # one bulk UPDATE by primary key
            session.commit()
            return len(rows)

    def rebuild(self) -> int:
        """Drop both collections and index every SQL row again (e.g. after changing the embedder)."""
        with Session(self.engine) as session:
            for collection, table in TABLES.items():
                self.index.drop(collection)
                set_meta(session, embedder_key(collection), self.embedder.model_id)
                session.execute(table.__table__.update().values(indexed_hash=None))  # type: ignore[attr-defined]
            session.commit()
        return self.sync_pending()


class CollectionDrift(BaseModel):
    """How one collection differs from SQL."""

    collection: str
    sql_rows: int
    index_rows: int
    missing: list[str] = Field(default_factory=list, description="In SQL, not in the index.")
    extra: list[str] = Field(default_factory=list, description="In the index, not in SQL.")
    stale: list[str] = Field(default_factory=list, description="In both, but the index holds older content.")
    embedder: str | None = Field(None, description="Model that built the collection.")

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale)


class DoctorReport(BaseModel):
    collections: list[CollectionDrift]
    repaired: bool = False

    @property
    def clean(self) -> bool:
        return all(c.clean for c in self.collections)


def diagnose(engine: Engine, index: VectorIndex) -> DoctorReport:
    """Compare SQL with each collection by id and content hash."""
    drifts = []
    with Session(engine) as session:
        for collection, table in TABLES.items():
            sql = {rid: h for rid, h in session.exec(select(table.id, table.index_hash)).all()}
            held = index.hashes(collection) if index.exists(collection) else {}
            drifts.append(
                CollectionDrift(
                    collection=collection.value,
                    sql_rows=len(sql),
                    index_rows=len(held),
                    missing=sorted(set(sql) - set(held)),
                    extra=sorted(set(held) - set(sql)),
                    stale=sorted(i for i in set(sql) & set(held) if sql[i] != held[i]),
                    embedder=get_meta(session, embedder_key(collection)),
                )
            )
    return DoctorReport(collections=drifts)


def repair(sync: IndexSync, report: DoctorReport) -> DoctorReport:
    """Fix what `diagnose` found: re-index missing and stale rows, delete extra ones; then diagnose again."""
    sync.ensure_collections()
    for drift in report.collections:
        collection = Collection(drift.collection)
        if drift.extra:
            sync.index.delete(collection, drift.extra)
        todo = drift.missing + drift.stale
        for start in range(0, len(todo), BATCH):
            sync.index_ids(collection, todo[start : start + BATCH])
    fixed = diagnose(sync.engine, sync.index)
    fixed.repaired = True
    return fixed
