"""Usage over time: append-only snapshots of the usage counters (`usagesnapshot`), and a rubric's series.

The counters (`rubricstats`) hold totals only. A snapshot copies, in one INSERT … SELECT, the counters of every
rubric that changed since the previous snapshot (unused rubrics are never copied), so the table grows with activity,
not with the KB. Snapshots are taken when someone calls `snapshot_usage` (the UI does, at most every
`ui.usage_snapshot_every_s`); a series is as fine-grained as they were taken, and ends with the live counters.
"""

from __future__ import annotations

import time
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import func, insert, literal, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.curation import aware
from kb.sql import get_meta, set_meta
from kb.tables import UsageCounters, UsageSnapshot, utcnow

SNAPSHOT_AT_KEY = "usage.snapshot_at"  # epoch seconds of the last snapshot (Meta), for the rate limit


class UsagePoint(BaseModel, frozen=True):
    """A rubric's cumulative counters at one instant."""

    at: datetime = Field(description="UTC.")
    retrieved: int = 0
    used: int = 0
    met: int = 0
    not_met: int = 0
    not_applicable: int = 0


def snapshot_usage(engine: Engine, *, min_interval_s: float = 0.0) -> int | None:
    """Copy the counters that changed since the last snapshot; None (nothing done) when the last one is younger than
    `min_interval_s`. Returns the rows written."""
    with Session(engine) as session:
        last = get_meta(session, SNAPSHOT_AT_KEY)
        if last is not None and time.time() - float(last) < min_interval_s:
            return None
        previous = select(func.max(UsageSnapshot.taken_at)).scalar_subquery()
        used = (
            UsageCounters.retrieved
            + UsageCounters.used
            + UsageCounters.met
            + UsageCounters.not_met
            + UsageCounters.not_applicable
        )
        now = utcnow()
        changed = select(
            UsageCounters.rubric_id,
            literal(now, UsageSnapshot.taken_at.type),  # type: ignore[attr-defined]
            UsageCounters.retrieved,
            UsageCounters.used,
            UsageCounters.met,
            UsageCounters.not_met,
            UsageCounters.not_applicable,
        ).where(used > 0, or_(previous.is_(None), col(UsageCounters.updated_at) > previous))
        columns = ["rubric_id", "taken_at", "retrieved", "used", "met", "not_met", "not_applicable"]
        # counted by RETURNING: psycopg reports no rowcount for INSERT … SELECT
        copy = insert(UsageSnapshot).from_select(columns, changed).returning(UsageSnapshot.id)
        written = len(session.execute(copy).all())
        set_meta(session, SNAPSHOT_AT_KEY, repr(time.time()))
        session.commit()
        return int(written or 0)


def usage_series(engine: Engine, rubric_id: str) -> list[UsagePoint]:
    """The rubric's snapshots oldest first, then its live counters now (empty for a rubric never used)."""
    with Session(engine) as session:
        snaps = session.exec(
            select(UsageSnapshot).where(col(UsageSnapshot.rubric_id) == rubric_id).order_by(col(UsageSnapshot.taken_at))
        ).all()
        live = session.get(UsageCounters, rubric_id)
    points = [
        UsagePoint(
            at=aware(s.taken_at),
            retrieved=s.retrieved,
            used=s.used,
            met=s.met,
            not_met=s.not_met,
            not_applicable=s.not_applicable,
        )
        for s in snaps
    ]
    if live is not None and (live.retrieved + live.used + live.met + live.not_met + live.not_applicable):
        points.append(
            UsagePoint(
                at=utcnow(),
                retrieved=live.retrieved,
                used=live.used,
                met=live.met,
                not_met=live.not_met,
                not_applicable=live.not_applicable,
            )
        )
    return points
