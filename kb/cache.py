"""A small SQL-backed cache of model JSON, keyed by hashes of named, versioned inputs."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.tables import CachedResult


def cache_get(engine: Engine, key: str) -> str | None:
    with Session(engine) as session:
        row = session.get(CachedResult, key)
        return row.value if row else None


def cache_put(engine: Engine, key: str, namespace: str, value: str, kb_version: int) -> None:
    """Store (or replace) one entry. Callers never cache errors."""
    with Session(engine) as session:
        row = session.get(CachedResult, key) or CachedResult(
            key=key, namespace=namespace, value=value, kb_version=kb_version
        )
        row.value, row.kb_version = value, kb_version
        session.add(row)
        session.commit()
