"""Applying validated records to SQL in one transaction: add, version, link, and leave a Revision for each change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from kb.errors import InputProblem, InputRejected
from kb.records import QueryRecord, RubricRecord, content_hash
from kb.sql import bump_kb_version
from kb.tables import Query, QueryRubricLink, Revision, Rubric, UsageCounters, utcnow
from kb.tau2_store import state_digest, stored_digest, write_states
from kb.tau2_tasks import Tau2TaskState


@dataclass
class ApplyCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ApplyReport:
    """What one application of records changed."""

    rubrics: ApplyCounts = field(default_factory=ApplyCounts)
    queries: ApplyCounts = field(default_factory=ApplyCounts)
    kb_version: int | None = None  # None: nothing changed

    @property
    def changed(self) -> bool:
        return self.kb_version is not None


def _rubric_snapshot(r: Rubric) -> dict[str, Any]:
    return {key: getattr(r, key) for key in RUBRIC_SNAPSHOT}


def _query_snapshot(q: Query, rubric_ids: Sequence[str]) -> dict[str, Any]:
    return {"text": q.text, "tags": q.tags, "source": q.source, "rubric_ids": list(rubric_ids)}


def _chunks(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def collect_rubrics(records: Sequence[QueryRecord | RubricRecord]) -> tuple[dict[str, RubricRecord], set[str]]:
    """All rubrics in the records by id (identical repeats collapse), and the ids given standalone."""
    rubrics: dict[str, RubricRecord] = {}
    standalone: set[str] = set()
    for record in records:
        items = record.rubrics if isinstance(record, QueryRecord) else [record]
        for rubric in items:
            rubrics.setdefault(rubric.rubric_id, rubric)
        if isinstance(record, RubricRecord):
            standalone.add(record.rubric_id)
    return rubrics, standalone


def rubric_values(record: RubricRecord, standalone: bool, digest: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "text": record.text,
        "kind": record.kind.value,
        "importance": record.importance.value,
        "weight": record.effective_weight,
        "theme": record.theme,
        "tips": record.tips,
        "tags": record.tags,
        "check": record.check.model_dump(mode="json") if record.check else None,
        "condition": record.condition,
        "status": record.status.value,
        "source": record.source,
        "standalone": standalone,
        "provenance": record.provenance.model_dump(mode="json", exclude_none=True),
        "content_hash": digest,
    }
    values["index_hash"] = content_hash(
        [values["text"], values["kind"], values["status"], sorted(values["tags"]), values["source"], standalone]
    )
    return values


def apply_records(session: Session, records: Sequence[QueryRecord | RubricRecord], *, actor: str) -> ApplyReport:
    """Write records into the session (the caller commits). Idempotent: equal content changes nothing.

    New rows go in as bulk inserts (tens of thousands per dataset); changed rows are updated one by one.
    """
    _refuse_nul(records)
    report = ApplyReport()
    now = utcnow()
    new_rubrics: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []
    rubric_records, standalone_ids = collect_rubrics(records)
    existing = _load(session, Rubric, list(rubric_records))
    for rid, record in rubric_records.items():
        old = existing.get(rid)
        standalone = rid in standalone_ids or bool(old and old.standalone)
        digest = content_hash([record.content(), standalone])
        if old is not None and old.content_hash == digest:
            report.rubrics.unchanged += 1
            continue
        values = rubric_values(record, standalone, digest)
        if old is None:
            report.rubrics.added += 1
            new_rubrics.append(
                {
                    "id": rid,
                    **values,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "created_by": actor,
                    "updated_by": actor,
                }
            )
            revisions.append(
                _revision("rubric", rid, 1, "create", actor, now, None, _snapshot(values, RUBRIC_SNAPSHOT))
            )
            continue
        report.rubrics.updated += 1
        before = _rubric_snapshot(old)
        for key, value in values.items():
            setattr(old, key, value)
        old.version += 1
        old.updated_at, old.updated_by = now, actor
        session.add(old)
        revisions.append(_revision("rubric", rid, old.version, "update", actor, now, before, _rubric_snapshot(old)))
    if new_rubrics:
        session.execute(insert(Rubric), new_rubrics)
        session.execute(insert(UsageCounters), [{"rubric_id": r["id"], "updated_at": now} for r in new_rubrics])
    session.flush()

    queries = [r for r in records if isinstance(r, QueryRecord)]
    old_queries = _load(session, Query, [q.query_id for q in queries])
    new_queries: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    tau2_states: list[tuple[str, Tau2TaskState | None]] = []
    for record in queries:
        qid = record.query_id
        rubric_ids = list(dict.fromkeys(r.rubric_id for r in record.rubrics))
        identity: list[Any] = [record.text, record.tags, record.source, rubric_ids]
        if record.tau2 is not None:  # only τ² queries carry it, so other queries keep their digests
            identity.append(record.tau2.content())
        digest = content_hash(identity)
        old = old_queries.get(qid)
        if old is not None and old.content_hash == digest:
            report.queries.unchanged += 1
            continue
        values = {
            "text": record.text,
            "tags": record.tags,
            "source": record.source,
            "provenance": record.provenance.model_dump(mode="json", exclude_none=True),
            "content_hash": digest,
            "updated_at": now,
        }
        values["index_hash"] = content_hash([record.text, sorted(record.tags), record.source])
        after = {"text": record.text, "tags": record.tags, "source": record.source, "rubric_ids": rubric_ids}
        if record.tau2 is not None:
            after["tau2_state"] = state_digest(record.tau2)
        tau2_states.append((qid, record.tau2))
        links.extend({"query_id": qid, "rubric_id": rid, "position": i} for i, rid in enumerate(rubric_ids))
        if old is None:
            report.queries.added += 1
            new_queries.append({"id": qid, **values, "version": 1, "created_at": now})
            revisions.append(_revision("query", qid, 1, "create", actor, now, None, after))
            continue
        report.queries.updated += 1
        before = _query_snapshot(old, _linked_ids(session, qid))
        if (old_state := stored_digest(session, qid)) is not None:
            before["tau2_state"] = old_state
        session.execute(delete(QueryRubricLink).where(QueryRubricLink.query_id == qid))
        for key, value in values.items():
            setattr(old, key, value)
        old.version += 1
        session.add(old)
        revisions.append(_revision("query", qid, old.version, "update", actor, now, before, after))
    session.flush()
    if new_queries:
        session.execute(insert(Query), new_queries)
    if links:
        session.execute(insert(QueryRubricLink), links)
    write_states(session, tau2_states)
    if revisions:
        session.execute(insert(Revision), revisions)
    if report.rubrics.added or report.rubrics.updated or report.queries.added or report.queries.updated:
        report.kb_version = bump_kb_version(session)
    return report


def _refuse_nul(records: Sequence[QueryRecord | RubricRecord]) -> None:
    """PostgreSQL text columns cannot hold a NUL character (SQLite would store it): refuse it on every backend
    alike, with the record's address, before anything is written. (JSON columns store it escaped.)"""
    problems: list[InputProblem] = []
    for record in records:
        items = [record, *record.rubrics] if isinstance(record, QueryRecord) else [record]
        for item in items:
            for name in type(item).model_fields:
                value = getattr(item, name)
                if isinstance(value, str) and "\x00" in value:
                    where = item.provenance
                    message = "contains a NUL character (0x00); remove it"
                    problems.append(InputProblem(where.file or "<records>", where.line, name, message))
    if problems:
        raise InputRejected(problems)


RUBRIC_SNAPSHOT = (
    "text",
    "kind",
    "importance",
    "weight",
    "theme",
    "tips",
    "tags",
    "check",
    "condition",
    "status",
    "source",
    "standalone",
)


def _snapshot(values: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: values[k] for k in keys}


def _revision(
    entity: str,
    entity_id: str,
    version: int,
    action: str,
    actor: str,
    when: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> dict[str, Any]:
    return {
        "entity": entity,
        "entity_id": entity_id,
        "version": version,
        "action": action,
        "changed_by": actor,
        "changed_at": when,
        "before": before,
        "after": after,
        "reason": None,
    }


def _linked_ids(session: Session, query_id: str) -> list[str]:
    links = session.exec(
        select(QueryRubricLink).where(QueryRubricLink.query_id == query_id).order_by(col(QueryRubricLink.position))
    )
    return [link.rubric_id for link in links]


def _load(session: Session, table: type[Rubric] | type[Query], ids: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for chunk in _chunks(list(ids)):
        for row in session.exec(select(table).where(col(table.id).in_(chunk))):
            out[row.id] = row
    return out
