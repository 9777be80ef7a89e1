"""Typed output of the τ² telecom replay verifier."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ReplayedCall(BaseModel, frozen=True):
    """One call of the trajectory as the verifier ran it."""

    index: int
    requestor: str
    name: str
    arguments: dict[str, Any] | None
    content: str | None = Field(description="Tool message content from the replay; None if not executed.")
    error: bool | None = Field(description="Error flag of the replayed result; None if not executed.")
    mutating: bool = Field(description="A write tool on either side (the calls upstream replays).")
    recorded_content: str | None = None
    content_matches: bool | None = Field(
        None, description="Replayed content equals the recorded one (both JSON-parsed when they parse)."
    )


class AssertionResult(BaseModel, frozen=True):
    """One env assertion evaluated on the final state."""

    env_type: str
    func_name: str
    arguments: dict[str, Any]
    assert_value: bool
    met: bool


class ActionCheck(BaseModel, frozen=True):
    """Whether some call of the trajectory matches one gold action (upstream ``compare_with_tool_call``)."""

    action_id: str
    requestor: str
    name: str
    arguments: dict[str, Any]
    compare_args: list[str] | None
    matched: bool


class Tau2Result(BaseModel, frozen=True):
    """Reward and breakdown for one trajectory; ``reward`` is None exactly when ``error`` is set."""

    task_id: str
    source: str | None = None
    reward: float | None = Field(description="Product of the components in the task's reward basis, in [0, 1].")
    error: str | None = Field(None, description="Why the trajectory could not be scored (then reward is None).")
    termination_reason: str = "agent_stop"
    reward_basis: list[str] = []
    components: dict[str, float] = Field({}, description="Upstream reward_breakdown: basis components only.")
    env_assertion: float | None = Field(None, description="ENV_ASSERTION value, computed for every task.")
    action: float | None = Field(None, description="ACTION value (all gold actions matched), for every task.")
    db_match: bool | None = Field(None, description="Upstream DB check (unsynced gold env); only if DB is in basis.")
    assertion_results: list[AssertionResult] = []
    action_checks: list[ActionCheck] = []
    calls: list[ReplayedCall] = []
    content_mismatches: int = Field(0, description="Calls whose recorded content differs from the replay.")
    collateral_damage: bool | None = Field(
        None, description="Final agent DB differs from the end state of replaying the gold actions."
    )
    collateral_paths: list[str] = Field([], description="Agent-DB paths that differ from the gold replay.")
    user_db_matches_gold_replay: bool | None = None
    reward_gated_by_collateral: bool = Field(False, description="Reward set to 0 because of collateral damage.")
    agent_db_hash: str | None = Field(None, description="Upstream-compatible SHA-256 of the final agent DB.")
    user_db_hash: str | None = Field(None, description="Upstream-compatible SHA-256 of the final user DB.")
    final_state_diff: dict[str, dict[str, Any]] | None = Field(
        None, description="Final state against the freshly loaded DBs (oracle format), when requested."
    )
