"""Where the verifier's τ² tasks come from: a task folder (``tasks.json`` and the two DB files) or the knowledge
base. Both hand out the KB's one task model, `kb.Tau2VerifiableTask`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import TypeAdapter, ValidationError

from judge.verifiers.tau2.errors import Tau2DataError
from judge.verifiers.tau2.state import TelecomState, parse_agent_db, parse_user_db, read_db_text
from kb import KnowledgeBase, Tau2Environment, Tau2Task, Tau2VerifiableTask


class Tau2TaskSource(Protocol):
    """Anything that finds a τ² task by its upstream id."""

    def get(self, task_id: str) -> Tau2VerifiableTask | None:
        """The task, or None when unknown. May raise ValueError when the stored task is inconsistent."""
        ...


def base_state(environment: Tau2Environment) -> TelecomState:
    """Parse an environment's two DB documents into the state a replay starts from."""
    where = f"environment {environment.id[:12]}"
    return TelecomState(
        agent=parse_agent_db(environment.agent_db, f"{where} agent DB"),
        user=parse_user_db(environment.user_db, f"{where} user DB"),
    )


@dataclass(frozen=True)
class Tau2TaskSet:
    """Tasks of one ``tasks.json`` by id, plus the base agent and user DBs they start from."""

    tasks: dict[str, Tau2Task]
    environment: Tau2Environment = field(repr=False)
    base_state: TelecomState = field(repr=False)
    source: Path
    _verifiable: dict[str, Tau2VerifiableTask] = field(default_factory=dict, repr=False, compare=False)

    def get(self, task_id: str) -> Tau2VerifiableTask | None:
        found = self._verifiable.get(task_id)
        if found is None and (task := self.tasks.get(task_id)) is not None:
            found = self._verifiable[task_id] = Tau2VerifiableTask.of_task(task, self.environment)
        return found


class KnowledgeBaseTasks:
    """τ² tasks as the knowledge base holds them (`KnowledgeBase.tau2_task`): criteria from the linked rubrics."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def get(self, task_id: str) -> Tau2VerifiableTask | None:
        return self.kb.tau2_task(task_id)


_TASKS = TypeAdapter(list[Tau2Task])


def load_tasks(
    folder: Path | str,
    *,
    tasks_file: Path | str | None = None,
    db_file: Path | str | None = None,
    user_db_file: Path | str | None = None,
) -> Tau2TaskSet:
    """Load ``tasks.json``, ``db.toml`` and ``user_db.toml``.

    Args:
        folder: Folder holding the three files (the telecom domain data folder).
        tasks_file, db_file, user_db_file: Overrides for each file (default: inside ``folder``).

    Raises:
        Tau2DataError: A file is missing or invalid; the message names it.
    """
    folder = Path(folder)
    tasks_path = Path(tasks_file) if tasks_file else folder / "tasks.json"
    try:
        raw = tasks_path.read_bytes()
    except FileNotFoundError as exc:
        raise Tau2DataError(f"{tasks_path}: file not found; pass --tasks DIR holding tasks.json") from exc
    try:
        tasks = _TASKS.validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Tau2DataError(f"{tasks_path}: task list invalid at {where}: {first['msg']}") from exc
    agent_path = Path(db_file) if db_file else folder / "db.toml"
    user_path = Path(user_db_file) if user_db_file else folder / "user_db.toml"
    agent_text, user_text = read_db_text(agent_path), read_db_text(user_path)
    state = TelecomState(
        agent=parse_agent_db(agent_text, str(agent_path)), user=parse_user_db(user_text, str(user_path))
    )
    return Tau2TaskSet(
        tasks={t.id: t for t in tasks},
        environment=Tau2Environment(agent_db=agent_text, user_db=user_text),
        base_state=state,
        source=tasks_path,
    )


__all__ = ["KnowledgeBaseTasks", "Tau2TaskSet", "Tau2TaskSource", "base_state", "load_tasks"]
