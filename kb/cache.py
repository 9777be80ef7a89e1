"""A small SQL-backed cache of model JSON, keyed by hashes of named, versioned inputs."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.sql import upsert
from kb.tables import CachedResult, utcnow


def cache_get(engine: Engine, key: str) -> str | None:
    with Session(engine) as session:
        row = session.get(CachedResult, key)
        return row.value if row else None


def cache_put(engine: Engine, key: str, namespace: str, value: str, kb_version: int) -> None:
    """Store (or replace) one entry in one statement, so workers caching the same key at once do not collide.
    Callers never cache errors."""
    values = {"key": key, "namespace": namespace, "value": value, "kb_version": kb_version, "created_at": utcnow()}
    with Session(engine) as session:
        upsert(session, CachedResult, values, replace=["value", "kb_version"])
        session.commit()
