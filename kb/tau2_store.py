"""τ² task state in SQL: writing each task's initial state beside its query (base environments once, by hash) and
reading a task back as a `Tau2VerifiableTask` whose criteria come from its linked rubrics' checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.records import MachineCheck, content_hash
from kb.tables import Environment, QueryRubricLink, Rubric, Tau2TaskRow
from kb.tau2_tasks import Tau2Criteria, Tau2Environment, Tau2InitialState, Tau2TaskState, Tau2VerifiableTask

ENVIRONMENT_KIND = "tau2"
_CHECK = TypeAdapter(MachineCheck)


def state_digest(state: Tau2TaskState) -> str:
    return content_hash(state.content())


def stored_digest(session: Session, query_id: str) -> str | None:
    """The digest of the τ² state stored for a query, if any (for revision snapshots)."""
    row = session.get(Tau2TaskRow, query_id)
    return row.content_hash if row else None


def write_states(session: Session, states: Sequence[tuple[str, Tau2TaskState | None]]) -> None:
    """Replace the τ² state of each (query id, state) pair; None removes it. Environments go in once each.

    The caller has written the queries (the rows reference them) and commits.
    """
    if not states:
        return
    environments = {s.environment.id: s.environment for _, s in states if s is not None and s.environment}
    if environments:
        known = set(session.exec(select(Environment.id).where(col(Environment.id).in_(list(environments)))))
        missing = [
            {"id": env.id, "kind": ENVIRONMENT_KIND, "documents": env.model_dump(mode="json", exclude={"id"})}
            for env_id, env in environments.items()
            if env_id not in known
        ]
        if missing:
            session.execute(insert(Environment), missing)
    ids = [qid for qid, _ in states]
    for start in range(0, len(ids), 500):
        session.execute(delete(Tau2TaskRow).where(col(Tau2TaskRow.query_id).in_(ids[start : start + 500])))
    rows: list[dict[str, Any]] = [
        {
            "query_id": qid,
            "task_id": state.task_id,
            "environment_id": state.environment.id if state.environment else None,
            "initial_state": state.initial_state.model_dump(mode="json"),
            "content_hash": state_digest(state),
        }
        for qid, state in states
        if state is not None
    ]
    if rows:
        session.execute(insert(Tau2TaskRow), rows)


def read_task(engine: Engine, *, task_id: str | None = None, query_id: str | None = None) -> Tau2VerifiableTask | None:
    """The τ² task stored under this task id (or query id); None when there is none.

    Its criteria are `Tau2Criteria.from_checks` over the query's linked rubrics in link order (any status).

    Raises:
        ValueError: the linked checks do not make criteria (no reward basis, or two that disagree).
    """
    if (task_id is None) == (query_id is None):
        raise TypeError("give exactly one of task_id and query_id")
    with Session(engine) as session:
        stmt = select(Tau2TaskRow)
        stmt = stmt.where(col(Tau2TaskRow.task_id) == task_id) if task_id is not None else stmt
        stmt = stmt.where(col(Tau2TaskRow.query_id) == query_id) if query_id is not None else stmt
        row = session.exec(stmt).first()
        if row is None:
            return None
        checks = session.exec(
            select(Rubric.check)
            .join(QueryRubricLink, col(QueryRubricLink.rubric_id) == col(Rubric.id))
            .where(QueryRubricLink.query_id == row.query_id)
            .order_by(col(QueryRubricLink.position))
        ).all()
        env = session.get(Environment, row.environment_id) if row.environment_id else None
        environment = Tau2Environment(id=env.id, **env.documents) if env is not None else None
        try:
            criteria = Tau2Criteria.from_checks(_CHECK.validate_python(c) if c else None for c in checks)
        except ValueError as exc:
            raise ValueError(f"τ² task {row.task_id!r} (query {row.query_id}): {exc}") from None
        return Tau2VerifiableTask(
            task_id=row.task_id,
            query_id=row.query_id,
            initial_state=Tau2InitialState.model_validate(row.initial_state),
            criteria=criteria,
            environment=environment,
        )
