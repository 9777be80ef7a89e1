"""A small SQL-backed cache of model JSON, keyed by hashes of named, versioned inputs."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.sql import KB_VERSION_KEY, kb_version, upsert
from kb.tables import CachedResult, KBCounter, utcnow

CHUNK = 500  # keys per lookup statement: well under SQLite's bound-parameter limit
CacheItem = tuple[str, str, str]  # (key, namespace, value)
REPLACED = ("value", "kb_version")  # what storing an existing key changes


def cache_get(engine: Engine, key: str) -> str | None:
    with Session(engine) as session:
        row = session.get(CachedResult, key)
        return row.value if row else None


def cache_get_many(engine: Engine, keys: Iterable[str]) -> dict[str, str]:
    """The stored value of each key that has one (missing keys are absent), read in one session."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, str] = {}
    if not wanted:
        return found
    with Session(engine) as session:
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            query = select(CachedResult.key, CachedResult.value).where(col(CachedResult.key).in_(chunk))
            found.update(session.exec(query).all())
    return found


def cache_put(engine: Engine, key: str, namespace: str, value: str, kb_version: int) -> None:
    """Store (or replace) one entry in one statement, so workers caching the same key at once do not collide.
    Callers never cache errors."""
    values = {"key": key, "namespace": namespace, "value": value, "kb_version": kb_version, "created_at": utcnow()}
    with Session(engine) as session:
        upsert(session, CachedResult, values, replace=["value", "kb_version"])
        session.commit()


def cache_put_many(engine: Engine, items: Iterable[CacheItem]) -> None:
    """Store (or replace) entries under the current KB version: one session, one statement (run once per entry),
    one commit. The statement reads the version itself: a read before the write could go stale, and on SQLite would
    make the write fail at once if another connection committed in between. A key given twice keeps its last
    value, as consecutive `cache_put`s would. Callers never cache errors."""
    last = {key: (namespace, value) for key, namespace, value in items}
    rows = dict(sorted(last.items()))  # one lock order: writers of overlapping keys never deadlock on PostgreSQL
    if not rows:
        return
    now = utcnow()
    with Session(engine) as session:
        dialect = session.get_bind().dialect.name
        if dialect not in {"postgresql", "sqlite"}:  # `kb.sql.upsert`'s read-then-write fallback, row by row
            version = kb_version(session)
            for key, (namespace, value) in rows.items():
                values = {"key": key, "namespace": namespace, "value": value, "kb_version": version, "created_at": now}
                upsert(session, CachedResult, values, replace=REPLACED)
        else:
            params = [{"key": k, "namespace": ns, "value": v, "created_at": now} for k, (ns, v) in rows.items()]
            session.execute(_upsert_statement(dialect), params)
        session.commit()


@cache
def _upsert_statement(dialect: str) -> Any:
    """`kb.sql.upsert` of one entry whose version is read by the statement (`ON CONFLICT`: SQLite, PostgreSQL).
    Built once per dialect: building it cost more than running it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    version = select(KBCounter.value).where(col(KBCounter.name) == KB_VERSION_KEY).scalar_subquery()
    stmt = dialect_insert(CachedResult).values(kb_version=func.coalesce(version, 0))
    return stmt.on_conflict_do_update(index_elements=["key"], set_={c: stmt.excluded[c] for c in REPLACED})
