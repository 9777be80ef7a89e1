"""The one typed model of a τ²-bench task (upstream `src/tau2/data_model/tasks.py`), shared by ingestion, the KB
and the replay verifier, plus what the KB stores so it alone can verify a trajectory: the task's initial state and
the base environment (agent and user DBs) it starts from.

Upstream fields the telecom domain never sets (`initialization_data`, `message_history`, `communicate_info`,
`nl_assertions`, `info`) are ignored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from kb.records import MachineCheck

Tau2RewardType = Literal["DB", "ENV_ASSERTION", "ACTION", "COMMUNICATE", "NL_ASSERTION"]
Tau2Side = Literal["assistant", "user"]
DEFAULT_REWARD_BASIS: tuple[Tau2RewardType, ...] = ("DB", "COMMUNICATE")  # upstream's default
TASK_ID = re.compile(r"^\[(?P<family>[a-z_]+)\](?P<subissues>[^\[\]]*)\[PERSONA:(?P<persona>[A-Za-z]+)\]$")


def subissues_of(task_id: str) -> list[str]:
    """The sub-issues a telecom task id names, in id order (each one a cause the task's fix steps address)."""
    match = TASK_ID.match(task_id)
    return [s for s in match["subissues"].split("|") if s] if match else []


class _Upstream(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Tau2EnvCall(_Upstream):
    """A function run on one side's environment: an initialization action (upstream `EnvFunctionCall`)."""

    env_type: Tau2Side = Field(description="Whose environment runs it: assistant (agent DB) or user (phone).")
    func_name: str = Field(min_length=1, description="Function name, e.g. set_user_info or turn_airplane_mode_on.")
    arguments: dict[str, Any] = Field(default_factory=dict)


class Tau2EnvAssertion(Tau2EnvCall):
    """An end-state assertion: the function's return value must equal `assert_value` (upstream `EnvAssertion`)."""

    assert_value: bool = True
    message: str | None = None


class Tau2Action(_Upstream):
    """One gold tool call; `compare_args` None compares the candidate call's own argument names."""

    action_id: str
    requestor: Tau2Side = "assistant"
    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)
    compare_args: list[str] | None = None


class Tau2Criteria(_Upstream):
    """A task's `evaluation_criteria`: gold actions, end-state assertions and the reward basis."""

    actions: list[Tau2Action] | None = None
    env_assertions: list[Tau2EnvAssertion] | None = None
    reward_basis: list[Tau2RewardType] = Field(default_factory=lambda: list(DEFAULT_REWARD_BASIS), min_length=1)

    @classmethod
    def from_checks(cls, checks: Iterable[MachineCheck | None]) -> Tau2Criteria:
        """Rebuild the criteria from rubric checks in link order: each `ToolCallCheck` is a gold action, each
        `EnvAssertionCheck` an assertion, the `RewardBasisCheck` the basis; other checks (and None) are skipped.

        Action ids are positional (`<name>_<index>`, upstream's generator convention; its transfer action omits the
        index): only the verifier's report shows them.

        Raises:
            ValueError: no `RewardBasisCheck`, or two that disagree.
        """
        actions: list[Tau2Action] = []
        assertions: list[Tau2EnvAssertion] = []
        basis: list[str] | None = None
        for check in checks:
            kind = getattr(check, "type", None)
            if kind == "tool_call":
                actions.append(
                    Tau2Action(
                        action_id=f"{check.name}_{len(actions)}",
                        requestor=check.requestor,
                        name=check.name,
                        arguments=check.arguments,
                        compare_args=check.compare_args,
                    )
                )
            elif kind == "env_assertion":
                assertions.append(
                    Tau2EnvAssertion(
                        env_type=check.env_type,
                        func_name=check.func_name,
                        arguments=check.arguments,
                        assert_value=check.assert_value,
                        message=check.message,
                    )
                )
            elif kind == "reward_basis":
                if basis is not None and basis != list(check.basis):
                    raise ValueError(f"two reward bases among the checks: {basis} and {list(check.basis)}")
                basis = list(check.basis)
        if basis is None:
            raise ValueError("no reward_basis check among the checks; a τ² task needs one to be scored")
        return cls(actions=actions, env_assertions=assertions, reward_basis=basis)  # type: ignore[arg-type]


class Tau2InitialState(_Upstream):
    """What runs before the conversation: initialization actions on top of the base environment."""

    initialization_actions: list[Tau2EnvCall] | None = None


class Tau2Instructions(_Upstream):
    """The user simulator's structured instructions (the parts ingestion reads)."""

    reason_for_call: str = Field(min_length=1)
    known_info: str | None = None


class Tau2UserScenario(_Upstream):
    persona: str | None = None
    instructions: Tau2Instructions


class Tau2Task(_Upstream):
    """One task of a τ²-bench `tasks.json`. Telecom ids name the issue family, sub-issues and persona."""

    id: str = Field(min_length=1)
    user_scenario: Tau2UserScenario
    ticket: str | None = None
    initial_state: Tau2InitialState | None = None
    evaluation_criteria: Tau2Criteria | None = None

    @property
    def family(self) -> str | None:
        """`mms_issue`, `mobile_data_issue`, `service_issue`; None when the id does not follow the telecom form."""
        match = TASK_ID.match(self.id)
        return match["family"] if match else None

    @property
    def subissues(self) -> list[str]:
        """Sub-issue names in id order, e.g. ["airplane_mode_on", "bad_vpn"]; [] when the id is not telecom."""
        return subissues_of(self.id)

    @property
    def persona(self) -> str | None:
        """Lower-case persona (none, easy, hard); None when the id is not telecom."""
        match = TASK_ID.match(self.id)
        return match["persona"].lower() if match else None

    @property
    def init_actions(self) -> list[Tau2EnvCall]:
        return list(self.initial_state.initialization_actions or []) if self.initial_state else []


class Tau2Environment(BaseModel):
    """The base agent and user databases tasks start from, as their TOML source text, identified by a hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="sha256 of the two documents; set from them when not given.")
    agent_db: str = Field(description="The agent-side DB (upstream db.toml) as text.")
    user_db: str = Field(description="The user-side DB (upstream user_db.toml) as text.")
    format: Literal["toml"] = "toml"

    @staticmethod
    def digest(agent_db: str, user_db: str) -> str:
        return hashlib.sha256(b"\x1f".join(s.encode() for s in ("tau2", agent_db, user_db))).hexdigest()

    @model_validator(mode="before")
    @classmethod
    def _id_from_content(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" not in data and {"agent_db", "user_db"} <= data.keys():
            data = {**data, "id": cls.digest(data["agent_db"], data["user_db"])}
        return data

    @model_validator(mode="after")
    def _id_matches_content(self) -> Tau2Environment:
        if self.id != self.digest(self.agent_db, self.user_db):
            raise ValueError("environment id is not the hash of its documents")
        return self


class Tau2TaskState(BaseModel):
    """What a query of a τ² task carries besides its rubrics so the KB can verify a trajectory on its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str = Field(min_length=1, description="The upstream task id.")
    initial_state: Tau2InitialState = Field(default_factory=Tau2InitialState)
    environment: Tau2Environment | None = Field(None, description="Base DBs; None = not given at ingestion.")

    def content(self) -> dict[str, Any]:
        """What identifies this state (the environment by its id only)."""
        return {
            "task_id": self.task_id,
            "initial_state": self.initial_state.model_dump(mode="json"),
            "environment_id": self.environment.id if self.environment else None,
        }


class Tau2VerifiableTask(BaseModel):
    """A τ² task as the replay verifier needs it: start state, criteria and base environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str
    query_id: str | None = Field(None, description="The KB query it was read from, if any.")
    initial_state: Tau2InitialState = Field(default_factory=Tau2InitialState)
    criteria: Tau2Criteria | None = Field(None, description="None = the task has no evaluation criteria (reward 1).")
    environment: Tau2Environment | None = Field(None, description="None = the base DBs are unknown: not verifiable.")

    @classmethod
    def of_task(cls, task: Tau2Task, environment: Tau2Environment | None) -> Tau2VerifiableTask:
        return cls(
            task_id=task.id,
            initial_state=task.initial_state or Tau2InitialState(),
            criteria=task.evaluation_criteria,
            environment=environment,
        )

    @property
    def init_actions(self) -> list[Tau2EnvCall]:
        return list(self.initial_state.initialization_actions or [])

    @property
    def gold_actions(self) -> list[Tau2Action]:
        return list(self.criteria.actions or []) if self.criteria else []

    @property
    def env_assertions(self) -> list[Tau2EnvAssertion]:
        return list(self.criteria.env_assertions or []) if self.criteria else []

    @property
    def reward_basis(self) -> list[str]:
        return list(self.criteria.reward_basis) if self.criteria else []
