"""Loading τ²-bench telecom tasks and the two DB files from a folder given by path."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from judge.verifiers.tau2.errors import Tau2DataError
from judge.verifiers.tau2.state import TelecomState, load_agent_db, load_user_db

RewardType = Literal["DB", "ENV_ASSERTION", "ACTION", "COMMUNICATE", "NL_ASSERTION", "NL_ASSERTIONS"]


class EnvFunctionCall(BaseModel, frozen=True):
    """An initialization action: a function run on one side's toolkit."""

    model_config = ConfigDict(extra="ignore")
    env_type: Literal["user", "assistant"]
    func_name: str
    arguments: dict[str, Any] = {}


class EnvAssertion(EnvFunctionCall, frozen=True):
    """An assertion function and the boolean it must return."""

    assert_value: bool = True
    message: str | None = None


class GoldAction(BaseModel, frozen=True):
    """One expected tool call; ``compare_args`` None means "the candidate's own argument names"."""

    model_config = ConfigDict(extra="ignore")
    action_id: str
    requestor: Literal["user", "assistant"] = "assistant"
    name: str
    arguments: dict[str, Any] = {}
    compare_args: list[str] | None = None


class _InitialState(BaseModel, frozen=True):
    model_config = ConfigDict(extra="ignore")
    initialization_actions: list[EnvFunctionCall] | None = None


class _Criteria(BaseModel, frozen=True):
    model_config = ConfigDict(extra="ignore")
    actions: list[GoldAction] | None = None
    env_assertions: list[EnvAssertion] | None = None
    reward_basis: list[RewardType] = ["DB", "COMMUNICATE"]


class Tau2Task(BaseModel, frozen=True):
    """The parts of a τ²-bench task the verifier reads."""

    model_config = ConfigDict(extra="ignore")
    id: str
    initial_state: _InitialState | None = None
    evaluation_criteria: _Criteria | None = None

    @property
    def init_actions(self) -> list[EnvFunctionCall]:
        return list(self.initial_state.initialization_actions or []) if self.initial_state else []

    @property
    def gold_actions(self) -> list[GoldAction]:
        return list(self.evaluation_criteria.actions or []) if self.evaluation_criteria else []

    @property
    def env_assertions(self) -> list[EnvAssertion]:
        return list(self.evaluation_criteria.env_assertions or []) if self.evaluation_criteria else []

    @property
    def reward_basis(self) -> list[str]:
        return list(self.evaluation_criteria.reward_basis) if self.evaluation_criteria else []


@dataclass(frozen=True)
class Tau2TaskSet:
    """Tasks by id plus the pristine agent and user DBs they start from."""

    tasks: dict[str, Tau2Task]
    base_state: TelecomState = field(repr=False)
    source: Path

    def get(self, task_id: str) -> Tau2Task | None:
        return self.tasks.get(task_id)


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
    state = TelecomState(
        agent=load_agent_db(Path(db_file) if db_file else folder / "db.toml"),
        user=load_user_db(Path(user_db_file) if user_db_file else folder / "user_db.toml"),
    )
    return Tau2TaskSet(tasks={t.id: t for t in tasks}, base_state=state, source=tasks_path)


__all__ = ["EnvAssertion", "EnvFunctionCall", "GoldAction", "Tau2Task", "Tau2TaskSet", "load_tasks"]
