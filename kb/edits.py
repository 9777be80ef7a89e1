"""Editing one rubric by hand: optimistic locking on its version, status transitions with a reason, a Revision for
every save, and the vector index updated at once (or the row left queued, and said so)."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pymilvus.exceptions import MilvusException
from sqlalchemy import insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from kb.errors import EnvironmentProblem, InputProblem, InputRejected, TelerubricError
from kb.index_sync import IndexSync
from kb.records import DEFAULT_WEIGHTS, Importance, RubricKind, RubricRecord, RubricStatus, content_hash
from kb.sql import bump_kb_version
from kb.tables import Revision, Rubric, utcnow
from kb.vectors import Collection
from kb.views import RubricView
from kb.writer import RUBRIC_SNAPSHOT, rubric_values

logger = logging.getLogger(__name__)

MAX_REASON = 500
# draft → approved → retired, and back to draft from either; a draft can be retired (rejected) directly.
TRANSITIONS: dict[RubricStatus, frozenset[RubricStatus]] = {
    RubricStatus.DRAFT: frozenset({RubricStatus.APPROVED, RubricStatus.RETIRED}),
    RubricStatus.APPROVED: frozenset({RubricStatus.RETIRED, RubricStatus.DRAFT}),
    RubricStatus.RETIRED: frozenset({RubricStatus.DRAFT}),
}


class RubricNotFound(TelerubricError):
    """No rubric has this id."""


class EditConflict(TelerubricError):
    """The rubric changed since the editor loaded it: nothing was written."""

    def __init__(self, rubric_id: str, expected: int, current: int, changed_by: str, changed_at: datetime):
        self.rubric_id, self.expected, self.current = rubric_id, expected, current
        self.changed_by, self.changed_at = changed_by, changed_at
        super().__init__(
            f"rubric {rubric_id} is at version {current} (changed by {changed_by} at "
            f"{changed_at:%Y-%m-%d %H:%M:%S} UTC), not version {expected} you edited; nothing was saved. "
            "Reload it, compare, and save again"
        )


class StatusTransitionError(TelerubricError):
    """A status change the workflow does not allow (e.g. retired → approved without going back to draft)."""


class RubricChanges(BaseModel):
    """The fields an editor sets; fields left unset keep their value (set `theme=None` to clear a theme).

    Without `weight`, a rubric whose weight was its importance's default follows the new importance's default."""

    model_config = {"extra": "forbid"}

    text: str | None = None
    kind: RubricKind | None = None
    importance: Importance | None = None
    weight: float | None = None
    theme: str | None = None
    tips: list[str] | None = None
    tags: list[str] | None = None
    condition: str | None = None
    status: RubricStatus | None = None


class IndexState(StrEnum):
    CURRENT = "current"  # the vector index holds this version (re-indexed now, or nothing it holds changed)
    QUEUED = "queued"  # SQL has the edit; the index lags until `index_pending()` (or the next ingestion) runs


class RubricEdit(BaseModel, frozen=True):
    """What a save did."""

    rubric: RubricView = Field(description="The rubric as stored after the save.")
    changed: bool = Field(description="False when the changes equal what was stored (no new version).")
    revision_id: int | None = None
    kb_version: int | None = None
    index: IndexState = IndexState.CURRENT
    index_note: str | None = Field(None, description="Why the index lags, when it does.")


def _problems(rubric_id: str, exc: ValidationError) -> InputRejected:
    where = f"rubric {rubric_id}"
    return InputRejected(
        [InputProblem(where, None, ".".join(str(p) for p in e["loc"]) or None, e["msg"]) for e in exc.errors()]
    )


def _check_words(rubric_id: str, actor: str, reason: str) -> tuple[str, str]:
    problems = []
    if not actor.strip():
        problems.append(InputProblem(f"rubric {rubric_id}", None, "editor", "the editor's name is required"))
    if not reason.strip():
        problems.append(InputProblem(f"rubric {rubric_id}", None, "reason", "a short reason is required"))
    elif len(reason.strip()) > MAX_REASON:
        problems.append(InputProblem(f"rubric {rubric_id}", None, "reason", f"at most {MAX_REASON} characters"))
    if problems:
        raise InputRejected(problems)
    return actor.strip(), reason.strip()


def _merged(row: Rubric, changes: RubricChanges) -> RubricRecord:
    """The stored rubric with the changes applied, validated as an ingested record would be."""
    given = changes.model_dump(exclude_unset=True)
    values: dict[str, Any] = {
        "id": row.id,
        "text": row.text,
        "kind": row.kind,
        "importance": row.importance,
        "weight": row.weight,
        "theme": row.theme,
        "tips": list(row.tips),
        "tags": list(row.tags),
        "check": row.check,
        "condition": row.condition,
        "status": row.status,
        "source": row.source,
    }
    followed_default = row.weight == DEFAULT_WEIGHTS.get(Importance(row.importance))
    if "importance" in given and "weight" not in given and followed_default:
        values["weight"] = None  # it followed the default: keep following it
    values.update(given)
    try:
        return RubricRecord.model_validate(values)
    except ValidationError as exc:
        raise _problems(row.id, exc) from None


def _conflict(session: Session, rubric_id: str, expected: int) -> TelerubricError:
    session.rollback()
    row = session.get(Rubric, rubric_id, populate_existing=True)
    if row is None:
        return RubricNotFound(f"no rubric has id {rubric_id!r}")
    return EditConflict(rubric_id, expected, row.version, row.updated_by, row.updated_at)


def save_rubric(
    engine: Engine, rubric_id: str, changes: RubricChanges, *, expected_version: int, actor: str, reason: str
) -> tuple[RubricEdit, bool]:
    """Write the edit in one transaction if the rubric is still at `expected_version` (compare-and-set in the UPDATE,
    so two processes saving at once cannot both win). Returns the edit and whether the index must be refreshed.

    Raises:
        RubricNotFound, EditConflict, StatusTransitionError, InputRejected (invalid fields, missing reason or name).
    """
    actor, reason = _check_words(rubric_id, actor, reason)
    with Session(engine) as session:
        row = session.get(Rubric, rubric_id)
        if row is None:
            raise RubricNotFound(f"no rubric has id {rubric_id!r}")
        if row.version != expected_version:
            raise EditConflict(rubric_id, expected_version, row.version, row.updated_by, row.updated_at)
        record = _merged(row, changes)
        old_status, new_status = RubricStatus(row.status), record.status
        if new_status != old_status and new_status not in TRANSITIONS[old_status]:
            allowed = ", ".join(sorted(TRANSITIONS[old_status]))
            raise StatusTransitionError(
                f"rubric {rubric_id}: status {old_status} cannot become {new_status} (from {old_status}: {allowed})"
            )
        digest = content_hash([record.content(), row.standalone])
        if digest == row.content_hash:
            return RubricEdit(rubric=RubricView.of(row), changed=False), False
        values = rubric_values(record, row.standalone, digest)
        values.pop("provenance")  # where it came from does not change with an edit; the Revision says who edited
        before = {k: getattr(row, k) for k in RUBRIC_SNAPSHOT}
        reindex = values["index_hash"] != row.index_hash
        now = utcnow()
        result = session.execute(
            update(Rubric)
            .where(col(Rubric.id) == rubric_id, col(Rubric.version) == expected_version)
            .values(**values, version=expected_version + 1, updated_at=now, updated_by=actor)
        )
        if result.rowcount != 1:  # another save committed between our read and this write
            raise _conflict(session, rubric_id, expected_version)
        after = {k: values[k] for k in RUBRIC_SNAPSHOT}
        only_status = [k for k in RUBRIC_SNAPSHOT if before[k] != after[k]] == ["status"]
        action = "status" if only_status else "update"
        revision_id = session.execute(
            insert(Revision)
            .values(
                entity="rubric",
                entity_id=rubric_id,
                version=expected_version + 1,
                action=action,
                changed_by=actor,
                changed_at=now,
                reason=reason,
                before=before,
                after=after,
            )
            .returning(Revision.id)
        ).scalar_one()
        kb_version = bump_kb_version(session)
        session.commit()
        stored = session.get(Rubric, rubric_id, populate_existing=True)
        assert stored is not None
        logger.info("%s saved rubric %s v%d (%s)", actor, rubric_id, stored.version, action)
        edit = RubricEdit(rubric=RubricView.of(stored), changed=True, revision_id=revision_id, kb_version=kb_version)
        return edit, reindex


def refresh_index(sync: IndexSync, rubric_id: str) -> tuple[IndexState, str | None]:
    """Re-index one edited row now; if the index cannot be reached the row stays pending (SQL holds the edit and
    `index_pending()` finishes it), and the reason is returned instead of raised."""
    try:
        sync.ensure_collections()
        sync.index_ids(Collection.RUBRICS, [rubric_id])
    except (MilvusException, EnvironmentProblem, OSError) as exc:
        logger.warning("rubric %s saved, index update queued: %s", rubric_id, exc)
        return IndexState.QUEUED, f"{type(exc).__name__}: {exc}; run `telerubric kb doctor --fix` or re-ingest"
    return IndexState.CURRENT, None
