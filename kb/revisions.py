"""A rubric's revision history (every version, who, when, why) and text diffs between snapshots (difflib)."""

from __future__ import annotations

import difflib
import json
import textwrap
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.curation import aware
from kb.tables import Revision

WRAP = 88  # rubric texts are one long line: wrap them so a diff points at the words that changed


class FieldChange(BaseModel, frozen=True):
    field: str
    before: Any = None
    after: Any = None


class RevisionView(BaseModel, frozen=True):
    """One revision row: the version it made, the action, who and why, and the snapshots before and after."""

    id: int
    entity: str = Field(description="rubric | query")
    entity_id: str
    version: int
    action: str = Field(description="create | update | status")
    changed_by: str
    changed_at: datetime = Field(description="UTC.")
    reason: str | None = None
    before: dict[str, Any] | None = Field(None, description="None for a create.")
    after: dict[str, Any] | None = None

    @property
    def changes(self) -> list[FieldChange]:
        """The fields whose value differs between the snapshots (all of them for a create), in snapshot order."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*after, *before]))
        return [
            FieldChange(field=k, before=before.get(k), after=after.get(k))
            for k in keys
            if before.get(k) != after.get(k)
        ]

    def diff(self) -> str:
        """A unified diff of the two snapshots rendered one field per line (text wrapped)."""
        return text_diff(
            render_snapshot(self.before),
            render_snapshot(self.after),
            before_label=f"v{self.version - 1}" if self.before is not None else "(none)",
            after_label=f"v{self.version}",
        )


def render_snapshot(snapshot: dict[str, Any] | None) -> str:
    """`field: value` lines, the text wrapped at WRAP columns; lists and objects as compact JSON."""
    if not snapshot:
        return ""
    lines: list[str] = []
    for key, value in snapshot.items():
        if isinstance(value, str):
            wrapped = textwrap.wrap(value, WRAP) or [""]
            lines.append(f"{key}: {wrapped[0]}")
            lines += [f"  {w}" for w in wrapped[1:]]
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False, sort_keys=True)}")
    return "\n".join(lines)


def text_diff(before: str, after: str, *, before_label: str = "before", after_label: str = "after") -> str:
    """A unified diff of two texts (lines longer than WRAP wrapped first); empty when they are equal."""

    def lines(value: str) -> list[str]:
        return [w for line in value.splitlines() for w in (textwrap.wrap(line, WRAP, drop_whitespace=False) or [""])]

    return "\n".join(
        difflib.unified_diff(lines(before), lines(after), fromfile=before_label, tofile=after_label, lineterm="")
    )


def rubric_history(engine: Engine, rubric_id: str) -> list[RevisionView]:
    """Every revision of the rubric, oldest first (by version, then by row id)."""
    stmt = (
        select(Revision)
        .where(col(Revision.entity) == "rubric", col(Revision.entity_id) == rubric_id)
        .order_by(col(Revision.version), col(Revision.id))
    )
    with Session(engine) as session:
        return [
            RevisionView(
                id=r.id or 0,
                entity=r.entity,
                entity_id=r.entity_id,
                version=r.version,
                action=r.action,
                changed_by=r.changed_by,
                changed_at=aware(r.changed_at),
                reason=r.reason,
                before=r.before,
                after=r.after,
            )
            for r in session.exec(stmt).all()
        ]
