"""The SQL engine: creation, schema version check and upgrade, the small key-value `Meta` facts, and the
KB-wide counters (incremented in SQL, so concurrent processes lose nothing)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, event, inspect, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlmodel import Session, SQLModel, col, create_engine, select

from kb import tables
from kb.errors import SchemaTooNew
from kb.tables import KBCounter, Meta

KB_VERSION_KEY = "kb_version"
SCHEMA_VERSION_KEY = "schema_version"
RETRIEVAL_EVENTS = "retrieval_events"
# Each counter, and the Meta key where schema 1 and 2 kept it as a string (moved into `counter` on upgrade).
COUNTERS: dict[str, str] = {KB_VERSION_KEY: KB_VERSION_KEY, RETRIEVAL_EVENTS: "hits.retrieval_events"}
SCHEMA_LOCK_KEY = 0x7E1E_2B1C  # PostgreSQL advisory lock taken while creating or upgrading the schema
SCHEMA_ATTEMPTS = 5


def open_engine(url: str) -> Engine:
    """Create the engine and the tables, upgrade an older schema in place, refuse a newer one.

    Processes that open one fresh database at once (reward workers starting together) must not race: PostgreSQL
    serialises them on an advisory lock held to commit; on SQLite the loser of a `CREATE TABLE` race retries.
    """
    is_sqlite = url.startswith("sqlite")
    # A server may drop idle connections (restarts, proxies, idle timeouts): check each one out with a ping.
    engine = create_engine(url, connect_args={"timeout": 30} if is_sqlite else {}, pool_pre_ping=not is_sqlite)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        for attempt in range(SCHEMA_ATTEMPTS):
            try:
                _prepare_schema(engine)
                break
            except (IntegrityError, OperationalError, ProgrammingError):  # another process created it first
                if attempt == SCHEMA_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _prepare_schema(engine: Engine) -> None:
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        SQLModel.metadata.create_all(session.connection())
        found = get_meta(session, SCHEMA_VERSION_KEY)
        if found is not None and int(found) > tables.SCHEMA_VERSION:
            raise SchemaTooNew(
                f"the database at {engine.url.render_as_string(hide_password=True)} has schema version {found}, "
                f"this telerubric knows up to {tables.SCHEMA_VERSION}; upgrade telerubric"
            )
        if found is not None and int(found) < tables.SCHEMA_VERSION:
            _migrate(engine, session, int(found))
        _seed_counters(session)
        if found != str(tables.SCHEMA_VERSION):
            set_meta(session, SCHEMA_VERSION_KEY, str(tables.SCHEMA_VERSION))
        session.commit()


def _migrate(engine: Engine, session: Session, found: int) -> None:
    """Bring an older schema up to date in place (`create_all` has already added the new tables; the caller
    commits, and moves the counters out of Meta in `_seed_counters`)."""
    has_condition = any(c["name"] == "condition" for c in inspect(session.connection()).get_columns("rubric"))
    if found < 2 and not has_condition:  # 2 added rubric.condition (nullable: existing rubrics have none)
        column = engine.dialect.identifier_preparer.quote("condition")
        session.execute(text(f"ALTER TABLE rubric ADD COLUMN {column} TEXT"))


def _seed_counters(session: Session) -> None:
    """Give every counter its row, starting from the value an older schema kept in Meta (then removed there).
    Writes only when a row is missing, so opening an up-to-date database stays read-only."""
    present = set(session.exec(select(KBCounter.name)))
    for name, legacy_key in COUNTERS.items():
        if name in present:
            continue
        legacy = get_meta(session, legacy_key)
        upsert(session, KBCounter, {"name": name, "value": int(legacy or 0)}, replace=[])
        if legacy is not None:
            session.execute(delete(Meta).where(col(Meta.key) == legacy_key))


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API types
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def get_meta(session: Session, key: str) -> str | None:
    """The stored value, read from the database (never a stale copy held by the session)."""
    return session.exec(select(Meta.value).where(col(Meta.key) == key)).one_or_none()


def set_meta(session: Session, key: str, value: str) -> None:
    """Insert or replace in one statement: two processes setting a new key at once do not collide."""
    upsert(session, Meta, {"key": key, "value": value}, replace=["value"])


def upsert(session: Session, table: type[Any], values: dict[str, Any], *, replace: Sequence[str]) -> None:
    """INSERT the row, or if its primary key exists set the `replace` columns (none: keep the row as it is).

    One atomic statement on SQLite and PostgreSQL (`ON CONFLICT`), so concurrent writers of one key never fail
    on the primary key; other dialects get a read-then-write fallback. Column defaults of the SQLModel class are
    not applied: pass every NOT NULL column."""
    dialect = session.get_bind().dialect.name
    if dialect in {"postgresql", "sqlite"}:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        stmt = dialect_insert(table).values(**values)
        keys = [c.name for c in table.__table__.primary_key.columns]
        changes = {c: stmt.excluded[c] for c in replace}
        session.execute(
            stmt.on_conflict_do_update(index_elements=keys, set_=changes) if changes else stmt.on_conflict_do_nothing()
        )
        return
    key = tuple(values[c.name] for c in table.__table__.primary_key.columns)
    row = session.get(table, key if len(key) > 1 else key[0])
    if row is None:
        session.add(table(**values))
    else:
        for column in replace:
            setattr(row, column, values[column])
        session.add(row)
    session.flush()


def read_counter(session: Session, name: str) -> int:
    return int(session.exec(select(KBCounter.value).where(col(KBCounter.name) == name)).one_or_none() or 0)


def add_to_counter(session: Session, name: str, n: int) -> None:
    """`value = value + n` in one UPDATE: concurrent writers serialise on the row and none is lost."""
    result = session.execute(update(KBCounter).where(col(KBCounter.name) == name).values(value=KBCounter.value + n))
    if not result.rowcount:  # the row went missing behind the store's back: recreate it, then add
        upsert(session, KBCounter, {"name": name, "value": 0}, replace=[])
        session.execute(update(KBCounter).where(col(KBCounter.name) == name).values(value=KBCounter.value + n))


def kb_version(session: Session) -> int:
    """A counter bumped by every committed change of rubrics or queries (part of cache keys)."""
    return read_counter(session, KB_VERSION_KEY)


def bump_kb_version(session: Session) -> int:
    """Add one and return the new version; the row stays locked to commit, so two writers get distinct versions."""
    add_to_counter(session, KB_VERSION_KEY, 1)
    if not event.contains(session, "after_commit", _count_commit):
        event.listen(session, "after_commit", _count_commit, once=True)
    return read_counter(session, KB_VERSION_KEY)


_commits_here = 0  # KB-version changes this process committed (caches in this process re-read the version)


def _count_commit(_session: Session) -> None:
    global _commits_here  # noqa: PLW0603 (one process-wide counter, read without a lock)
    _commits_here += 1


def kb_changes_committed_here() -> int:
    """How many KB-version changes this process has committed so far."""
    return _commits_here
