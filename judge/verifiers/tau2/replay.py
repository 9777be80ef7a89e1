"""Replay a trajectory in a fresh telecom environment and score it like tau2-bench's evaluator."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from judge.verifiers.tau2.actions import check_actions
from judge.verifiers.tau2.diff import diff_agent, diff_user
from judge.verifiers.tau2.environment import MUTATING_TOOLS, TelecomEnvironment
from judge.verifiers.tau2.result import AssertionResult, ReplayedCall, Tau2Result
from judge.verifiers.tau2.state import TelecomState, db_hash
from judge.verifiers.tau2.tasks import KnowledgeBaseTasks, Tau2TaskSet, Tau2TaskSource, base_state
from judge.verifiers.tau2.trajectory import ToolCallRecord, Trajectory
from kb import KnowledgeBase, Tau2VerifiableTask

logger = logging.getLogger(__name__)

STOP_REASONS = frozenset({"agent_stop", "user_stop"})


@dataclass(frozen=True, slots=True)
class _GoldEnd:
    agent: dict[str, Any]
    user: dict[str, Any]


class _ScoringAborted(Exception):
    """Upstream would raise here (strict content mismatch, non-bool assertion)."""


def _key(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)


def _as_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text


class Tau2Verifier:
    """Scores trajectories of τ²-bench telecom tasks by replay.

    Args:
        tasks: Where tasks come from: a task folder (:func:`~judge.verifiers.tau2.tasks.load_tasks`) or the
            knowledge base (:meth:`from_kb`).
        gate_on_collateral: Reward 0 when the final agent DB differs from the gold replay's.
        strict: Like upstream's default evaluation, a recorded result of a mutating call that
            differs from the replay aborts scoring (an error value, reward None). Off by default:
            mismatches are only counted in ``content_mismatches``.
        run_reads: Execute read tools too, so every call gets a content string (same end state;
            upstream skips them). Off: only mutating calls run and the others have content None.
        with_state_diff: Add ``final_state_diff`` (oracle format) to each result.
        with_hashes: Add upstream-compatible SHA-256 hashes of the final agent and user DBs.
    """

    def __init__(
        self,
        tasks: Tau2TaskSource,
        *,
        gate_on_collateral: bool = False,
        strict: bool = False,
        run_reads: bool = True,
        with_state_diff: bool = False,
        with_hashes: bool = False,
    ) -> None:
        self.tasks = tasks
        self.gate_on_collateral = gate_on_collateral
        self.strict = strict
        self.run_reads = run_reads
        self.with_state_diff = with_state_diff
        self.with_hashes = with_hashes
        self._base_states: dict[str, TelecomState] = {}
        if isinstance(tasks, Tau2TaskSet):
            self._base_states[tasks.environment.id] = tasks.base_state
        self._init_cache: dict[str, TelecomState] = {}
        self._gold_cache: dict[str, _GoldEnd] = {}

    @classmethod
    def from_kb(cls, kb: KnowledgeBase, **options: bool) -> Tau2Verifier:
        """A verifier that reads each task from the knowledge base: initial state, base DBs and its rubrics' checks."""
        return cls(KnowledgeBaseTasks(kb), **options)

    # -- environments ----------------------------------------------------------------------------
    def base_state(self, task: Tau2VerifiableTask) -> TelecomState:
        """The parsed base DBs of the task's environment (parsed once per environment)."""
        if task.environment is None:
            raise _ScoringAborted(
                f"task {task.task_id!r} has no base environment (db.toml, user_db.toml); ingest it with them"
            )
        state = self._base_states.get(task.environment.id)
        if state is None:
            state = self._base_states[task.environment.id] = base_state(task.environment)
        return state

    def initial_environment(self, task: Tau2VerifiableTask) -> TelecomEnvironment:
        """A fresh environment after the task's initialization (cached per base DBs and init list, then cloned)."""
        base = self.base_state(task)
        key = _key(task.environment.id if task.environment else None, [a.model_dump() for a in task.init_actions])
        state = self._init_cache.get(key)
        if state is None:
            env = TelecomEnvironment(base.clone())
            env.sync()
            for action in task.init_actions:
                env.run_env_function(action.env_type, action.func_name, dict(action.arguments))
            env.sync()
            state = self._init_cache[key] = env.state
        return TelecomEnvironment(state.clone())

    def _gold_end(self, task: Tau2VerifiableTask) -> _GoldEnd:
        key = _key(
            task.environment.id if task.environment else None,
            [a.model_dump() for a in task.init_actions],
            [g.model_dump(exclude={"action_id"}) for g in task.gold_actions],
        )
        cached = self._gold_cache.get(key)
        if cached is None:
            env = self.initial_environment(task)
            for g in task.gold_actions:
                env.call_tool(g.requestor, g.name, dict(g.arguments))
            env.sync()
            cached = self._gold_cache[key] = _GoldEnd(agent=env.state.agent, user=env.state.user)
        return cached

    def _upstream_db_match(self, task: Tau2VerifiableTask, final: TelecomState) -> bool:
        """Upstream's DB check: gold actions run without any sync after them."""
        env = self.initial_environment(task)
        for g in task.gold_actions:
            content, error = env.call_tool(g.requestor, g.name, dict(g.arguments), sync=False)
            if error:
                logger.debug("gold action %s failed in the unsynced gold env of %s: %s", g.name, task.task_id, content)
        return db_hash(env.state.agent) == db_hash(final.agent) and db_hash(env.state.user) == db_hash(final.user)

    # -- scoring ---------------------------------------------------------------------------------
    def verify(self, trajectory: Trajectory) -> Tau2Result:
        """Score one trajectory. Unknown tasks and upstream aborts come back as error values."""
        try:
            task = self.tasks.get(trajectory.task_id)
        except ValueError as exc:  # a stored task whose checks do not make criteria
            return Tau2Result(task_id=trajectory.task_id, source=trajectory.source, reward=None, error=str(exc))
        if task is None:
            return Tau2Result(
                task_id=trajectory.task_id,
                source=trajectory.source,
                reward=None,
                error=f"unknown task id {trajectory.task_id!r}; check the task folder or KB holds that task",
            )
        return self.verify_task(task, trajectory)

    def verify_task(self, task: Tau2VerifiableTask, trajectory: Trajectory) -> Tau2Result:
        """Score one trajectory against a given task (its ``task_id`` is not compared). Aborts are error values."""
        try:
            return self._verify(task, trajectory)
        except _ScoringAborted as exc:
            message = str(exc)
        except Exception as exc:  # an init or assertion function raised: upstream aborts too
            logger.warning("scoring %s failed: %s", trajectory.source or task.task_id, exc, exc_info=True)
            message = f"evaluation aborted: {type(exc).__name__}: {exc}"
        return Tau2Result(task_id=task.task_id, source=trajectory.source, reward=None, error=message)

    def verify_many(self, trajectories: Iterable[Trajectory]) -> Iterator[Tau2Result]:
        """Score trajectories lazily, in order."""
        for trajectory in trajectories:
            yield self.verify(trajectory)

    def _replay(self, env: TelecomEnvironment, calls: tuple[ToolCallRecord, ...]) -> list[ReplayedCall]:
        out = []
        for i, call in enumerate(calls):
            mutating = call.name in MUTATING_TOOLS
            content: str | None = None
            error: bool | None = None
            if call.arguments is None:
                content, error = f"Error: {call.arguments_error}", True
            elif mutating or self.run_reads:
                content, error = env.call_tool(call.requestor, call.name, call.arguments)
            same = None
            if call.recorded_content is not None and content is not None:
                same = content == call.recorded_content or _as_json(content) == _as_json(call.recorded_content)
                if not same and self.strict and mutating:
                    raise _ScoringAborted(
                        f"call {i} ({call.name}): recorded content differs from the replay "
                        f"(recorded {call.recorded_content[:80]!r}, replayed {content[:80]!r})"
                    )
            out.append(
                ReplayedCall(
                    index=i,
                    requestor=call.requestor,
                    name=call.name,
                    arguments=call.arguments,
                    content=content,
                    error=error,
                    mutating=mutating,
                    recorded_content=call.recorded_content,
                    content_matches=same,
                )
            )
        return out

    def _verify(self, task: Tau2VerifiableTask, trajectory: Trajectory) -> Tau2Result:
        env = self.initial_environment(task)
        replayed = self._replay(env, trajectory.calls)
        env.sync()
        assertions = []
        for a in task.env_assertions:
            value = env.run_env_function(a.env_type, a.func_name, dict(a.arguments))
            if not isinstance(value, bool):
                raise _ScoringAborted(f"assertion {a.func_name} returned {value!r}, not a bool")
            assertions.append(
                AssertionResult(
                    env_type=a.env_type,
                    func_name=a.func_name,
                    arguments=a.arguments,
                    assert_value=a.assert_value,
                    met=value == a.assert_value,
                )
            )
        checks = check_actions(trajectory.calls, task.gold_actions)
        env_assertion = float(all(a.met for a in assertions))
        action = float(all(c.matched for c in checks))
        final = env.state
        basis = task.reward_basis
        db_match = self._upstream_db_match(task, final) if "DB" in basis else None
        values = {"ENV_ASSERTION": env_assertion, "ACTION": action, "DB": float(bool(db_match))}
        components = {b: values[b] for b in basis if b in values}
        gold = self._gold_end(task)
        # Agent-DB writes coerce numbers through float arithmetic, so == equals the hash comparison.
        damage = final.agent != gold.agent
        paths = sorted(diff_agent(gold.agent, final.agent)) if damage else []
        reason = trajectory.termination_reason or "agent_stop"
        reward = 1.0
        for value in components.values():
            reward *= value
        if reason not in STOP_REASONS:
            reward, components = 0.0, {}
        gated = self.gate_on_collateral and damage and reward > 0
        if gated:
            reward = 0.0
        state_diff = None
        if self.with_state_diff:
            base = self.base_state(task)
            state_diff = {"agent": diff_agent(base.agent, final.agent), "user": diff_user(base.user, final.user)}
        hashes = (db_hash(final.agent), db_hash(final.user)) if self.with_hashes else (None, None)
        return Tau2Result(
            task_id=task.task_id,
            source=trajectory.source,
            reward=reward,
            termination_reason=reason,
            reward_basis=basis,
            components=components,
            env_assertion=env_assertion,
            action=action,
            db_match=db_match,
            assertion_results=assertions,
            action_checks=checks,
            calls=replayed,
            content_mismatches=sum(1 for c in replayed if c.content_matches is False),
            collateral_damage=damage,
            collateral_paths=paths,
            user_db_matches_gold_replay=final.user == gold.user,
            reward_gated_by_collateral=gated,
            agent_db_hash=hashes[0],
            user_db_hash=hashes[1],
            final_state_diff=state_diff,
        )
