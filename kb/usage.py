"""Usage statistics per rubric: batched increments (retrieved, used, verdicts) and the rates pruning reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.sql import RETRIEVAL_EVENTS, add_to_counter, read_counter
from kb.tables import UsageCounters, utcnow


class UsageDelta(BaseModel):
    """Increments to add in one batched write."""

    retrieval_events: int = Field(0, ge=0, description="Retrieval calls these counts come from.")
    retrieved: dict[str, int] = Field(default_factory=dict, description="rubric id → times among neighbours")
    used: dict[str, int] = Field(default_factory=dict, description="rubric id → times in a judged rubric set")
    met: dict[str, int] = Field(default_factory=dict)
    not_met: dict[str, int] = Field(default_factory=dict)
    not_applicable: dict[str, int] = Field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (
            self.retrieval_events or self.retrieved or self.used or self.met or self.not_met or self.not_applicable
        )


class RubricUsage(BaseModel, frozen=True):
    """One rubric's counts and the rates derived from them."""

    rubric_id: str
    retrieved: int = 0
    used: int = 0
    met: int = 0
    not_met: int = 0
    not_applicable: int = 0
    retrieval_events: int = Field(0, description="All retrieval calls so far (the retrieval-rate denominator).")

    @property
    def retrieval_rate(self) -> float | None:
        """Share of retrieval calls that returned this rubric; None before any retrieval."""
        return self.retrieved / self.retrieval_events if self.retrieval_events else None

    @property
    def verdicts(self) -> int:
        return self.met + self.not_met

    @property
    def met_rate(self) -> float | None:
        """Share of applicable verdicts that were `met`; None without verdicts."""
        return self.met / self.verdicts if self.verdicts else None


def add_usage(engine: Engine, delta: UsageDelta) -> None:
    """Apply all increments in one transaction: one `x = x + n` UPDATE per rubric touched, in id order (so two
    writers lock rows in the same order and cannot deadlock on PostgreSQL), then the retrieval counter the same
    way. Nothing is read and written back, so processes counting at once lose nothing."""
    if delta.is_empty():
        return
    per_rubric: dict[str, Counter[str]] = {}
    for column in ("retrieved", "used", "met", "not_met", "not_applicable"):
        for rubric_id, n in getattr(delta, column).items():
            per_rubric.setdefault(rubric_id, Counter())[column] += n
    now = utcnow()
    with Session(engine) as session:
        for rubric_id, counts in sorted(per_rubric.items()):
            values = {c: getattr(UsageCounters, c) + n for c, n in counts.items()}
            session.execute(
                update(UsageCounters).where(col(UsageCounters.rubric_id) == rubric_id).values(**values, updated_at=now)
            )
        if delta.retrieval_events:
            add_to_counter(session, RETRIEVAL_EVENTS, delta.retrieval_events)
        session.commit()


def usage_of(engine: Engine, ids: Sequence[str]) -> Mapping[str, RubricUsage]:
    with Session(engine) as session:
        events = read_counter(session, RETRIEVAL_EVENTS)
        out: dict[str, RubricUsage] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            for row in session.exec(select(UsageCounters).where(col(UsageCounters.rubric_id).in_(chunk))):
                out[row.rubric_id] = RubricUsage(
                    rubric_id=row.rubric_id,
                    retrieved=row.retrieved,
                    used=row.used,
                    met=row.met,
                    not_met=row.not_met,
                    not_applicable=row.not_applicable,
                    retrieval_events=events,
                )
        return out
