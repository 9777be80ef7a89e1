"""The SQL engine: creation, schema version check, and the small key-value `Meta` facts."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from kb import tables
from kb.errors import SchemaTooNew
from kb.tables import Meta

KB_VERSION_KEY = "kb_version"
SCHEMA_VERSION_KEY = "schema_version"


def open_engine(url: str) -> Engine:
    """Create the engine and tables; refuse a database written by a newer schema."""
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"timeout": 30} if is_sqlite else {})
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        found = get_meta(session, SCHEMA_VERSION_KEY)
        if found is None:
            set_meta(session, SCHEMA_VERSION_KEY, str(tables.SCHEMA_VERSION))
            session.commit()
        elif int(found) > tables.SCHEMA_VERSION:
            raise SchemaTooNew(
                f"the database at {engine.url.render_as_string(hide_password=True)} has schema version {found}, "
                f"this telerubric knows up to {tables.SCHEMA_VERSION}; upgrade telerubric"
            )
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API types
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def get_meta(session: Session, key: str) -> str | None:
    row = session.get(Meta, key)
    return row.value if row else None


def set_meta(session: Session, key: str, value: str) -> None:
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value
        session.add(row)


def kb_version(session: Session) -> int:
    """A counter bumped by every committed change of rubrics or queries (part of cache keys)."""
    return int(get_meta(session, KB_VERSION_KEY) or 0)


def bump_kb_version(session: Session) -> int:
    version = kb_version(session) + 1
    set_meta(session, KB_VERSION_KEY, str(version))
    return version
