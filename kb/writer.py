"""Applying validated records to SQL in one transaction: add, version, link, and leave a Revision for each change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from kb.records import QueryRecord, RubricRecord, content_hash
from kb.sql import bump_kb_version
from kb.tables import Query, QueryRubricLink, Revision, Rubric, RubricStats, utcnow


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


def rubric_index_hash(rubric: Rubric) -> str:
    return content_hash([rubric.text, rubric.kind, rubric.status, sorted(rubric.tags), rubric.source,
                         rubric.standalone])


def query_index_hash(query: Query) -> str:
    return content_hash([query.text, sorted(query.tags), query.source])


def _rubric_snapshot(r: Rubric) -> dict[str, Any]:
    return {"text": r.text, "kind": r.kind, "importance": r.importance, "weight": r.weight, "theme": r.theme,
            "tips": r.tips, "tags": r.tags, "check": r.check, "status": r.status, "source": r.source,
            "standalone": r.standalone}


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


def apply_records(session: Session, records: Sequence[QueryRecord | RubricRecord], *, actor: str) -> ApplyReport:
    """Write records into the session (the caller commits). Idempotent: equal content changes nothing."""
    report = ApplyReport()
    rubric_records, standalone_ids = collect_rubrics(records)
    existing = _load(session, Rubric, list(rubric_records))
    now = utcnow()
    for rid, record in rubric_records.items():
        content = record.content()
        old = existing.get(rid)
        standalone = rid in standalone_ids or bool(old and old.standalone)
        digest = content_hash([content, standalone])
        if old is not None and old.content_hash == digest:
            report.rubrics.unchanged += 1
            continue
        before = _rubric_snapshot(old) if old is not None else None
        row = old or Rubric(id=rid, created_by=actor, created_at=now, text="", kind="", importance="", weight=0,
                            status="", source="", content_hash="", index_hash="")
        row.text, row.kind, row.importance = record.text, record.kind.value, record.importance.value
        row.weight, row.theme, row.tips, row.tags = record.effective_weight, record.theme, record.tips, record.tags
        row.check = record.check.model_dump(mode="json") if record.check else None
        row.status, row.source, row.standalone = record.status.value, record.source, standalone
        row.provenance = record.provenance.model_dump(mode="json", exclude_none=True)
        row.content_hash, row.index_hash = digest, rubric_index_hash(row)
        row.updated_at, row.updated_by = now, actor
        if old is not None:
            row.version += 1
            report.rubrics.updated += 1
        else:
            report.rubrics.added += 1
            session.add(RubricStats(rubric_id=rid))
        session.add(row)
        session.add(Revision(entity="rubric", entity_id=rid, version=row.version,
                             action="update" if old else "create", changed_by=actor, changed_at=now,
                             before=before, after=_rubric_snapshot(row)))
    session.flush()
    queries = [r for r in records if isinstance(r, QueryRecord)]
    old_queries = _load(session, Query, [q.query_id for q in queries])
    for record in queries:
        qid = record.query_id
        rubric_ids = list(dict.fromkeys(r.rubric_id for r in record.rubrics))
        digest = content_hash([record.text, record.tags, record.source, rubric_ids])
        old = old_queries.get(qid)
        if old is not None and old.content_hash == digest:
            report.queries.unchanged += 1
            continue
        before = _query_snapshot(old, _linked_ids(session, qid)) if old is not None else None
        row = old or Query(id=qid, text="", source="", content_hash="", index_hash="", created_at=now)
        row.text, row.tags, row.source = record.text, record.tags, record.source
        row.provenance = record.provenance.model_dump(mode="json", exclude_none=True)
        row.content_hash, row.index_hash, row.updated_at = digest, query_index_hash(row), now
        if old is not None:
            row.version += 1
            report.queries.updated += 1
            for link in session.exec(select(QueryRubricLink).where(QueryRubricLink.query_id == qid)):
                session.delete(link)
            session.flush()
        else:
            report.queries.added += 1
        session.add(row)
        for position, rid in enumerate(rubric_ids):
            session.add(QueryRubricLink(query_id=qid, rubric_id=rid, position=position))
        session.add(Revision(entity="query", entity_id=qid, version=row.version, action="update" if old else "create",
                             changed_by=actor, changed_at=now, before=before,
                             after=_query_snapshot(row, rubric_ids)))
    if report.rubrics.added or report.rubrics.updated or report.queries.added or report.queries.updated:
        report.kb_version = bump_kb_version(session)
    return report


def _linked_ids(session: Session, query_id: str) -> list[str]:
    links = session.exec(select(QueryRubricLink).where(QueryRubricLink.query_id == query_id)
                         .order_by(col(QueryRubricLink.position)))
    return [link.rubric_id for link in links]


def _load(session: Session, table: type[Rubric] | type[Query], ids: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for chunk in _chunks(list(ids)):
        for row in session.exec(select(table).where(col(table.id).in_(chunk))):
            out[row.id] = row
    return out
