"""A digest of what the knowledge base holds: two KBs with the same digest hold the same rubrics, queries and links
(and, when asked, the same pruning inputs), on whatever SQL backend. Evaluation checkpoints record it, so outcomes
judged against one KB are never reused against another, while a KB rebuilt from the same data on another machine
reuses them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.records import content_hash
from kb.rubric_evidence import ANALYSIS_NAMESPACE, LATEST_ANALYSIS_KEY, RubricEvidence
from kb.sql import KB_VERSION_KEY
from kb.tables import CachedResult, KBCounter, Query, QueryRubricLink, Rubric, UsageCounters


def content_digest(engine: Engine, *, pruning_inputs: bool = False) -> str:
    """sha256 over every rubric's and query's content hash and every link. `pruning_inputs` adds what pruning reads:
    the usage counters, the retrieval-event count and each stored rubric analysis's decisions. Vectors, revisions,
    caches and the KB version (it moves on an edit that changes nothing) are left out. Rows are sorted here, not in
    SQL, so the backends' collations agree."""

    def rows(statement: Any) -> list[list[Any]]:
        return sorted([list(row) for row in session.exec(statement).all()], key=lambda row: [str(v) for v in row])

    with Session(engine) as session:
        parts = {
            "rubrics": rows(select(Rubric.id, Rubric.content_hash)),
            "queries": rows(select(Query.id, Query.content_hash)),
            "links": rows(select(QueryRubricLink.query_id, QueryRubricLink.rubric_id, QueryRubricLink.position)),
        }
        if pruning_inputs:
            usage = rows(
                select(
                    UsageCounters.rubric_id,
                    UsageCounters.retrieved,
                    UsageCounters.used,
                    UsageCounters.met,
                    UsageCounters.not_met,
                    UsageCounters.not_applicable,
                )
            )
            parts["usage"] = [row for row in usage if any(row[1:])]  # an all-zero row is no usage
            parts["counters"] = rows(
                select(KBCounter.name, KBCounter.value).where(col(KBCounter.name) != KB_VERSION_KEY)
            )
            stored = session.exec(
                select(CachedResult.key, CachedResult.value).where(col(CachedResult.namespace) == ANALYSIS_NAMESPACE)
            ).all()
            evidence = [
                RubricEvidence.model_validate_json(value) for key, value in stored if key != LATEST_ANALYSIS_KEY
            ]
            # what the precision rule reads, not when or where the analysis was recorded
            parts["analyses"] = sorted([e.id, e.n_decided, e.n_agree] for e in evidence)
    return content_hash(parts)
