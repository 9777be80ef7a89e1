"""τ² replay fed from the knowledge base, as reward verdicts: one gate on τ²'s own reward, one verdict per gold
action and end-state assertion (their rubrics, in link order), and collateral damage as its own component."""

from __future__ import annotations

import weakref
from collections.abc import Sequence

from judge.result import CriterionVerdict, Decider, Verdict
from judge.verifiers.outcome import VerifierError
from judge.verifiers.tau2 import Tau2Result, Tau2Verifier, Trajectory
from kb import EnvAssertionCheck, KnowledgeBase, QueryView, RubricView, ToolCallCheck

_VERIFIERS: weakref.WeakKeyDictionary[KnowledgeBase, Tau2Verifier] = weakref.WeakKeyDictionary()
_TAU2 = Decider(kind="verifier", name="tau2")


def tau2_verdicts(
    kb: KnowledgeBase,
    query: QueryView,
    rubrics: Sequence[RubricView],
    trajectory: Trajectory,
    *,
    gate_on_collateral: bool,
) -> list[CriterionVerdict]:
    """Replay `trajectory` against the τ² task the KB stores with `query`.

    Raises:
        VerifierError: the query holds no τ² task, or the replay could not score the trajectory.
    """
    task = kb.tau2_task_of_query(query.id)
    if task is None:
        raise VerifierError(f"KB query {query.id} holds no τ² task (initial state); ingest it with `ingest tau2`")
    verifier = _VERIFIERS.get(kb)
    if verifier is None:
        verifier = _VERIFIERS[kb] = Tau2Verifier.from_kb(kb)
    result = verifier.verify_task(task, trajectory)
    if result.reward is None:
        raise VerifierError(f"τ² task {task.task_id}: {result.error}")
    return [
        _gate(task.task_id, result),
        _collateral(task.task_id, result, gate_on_collateral),
        *_checks(rubrics, result),
    ]


def _gate(task_id: str, result: Tau2Result) -> CriterionVerdict:
    parts = ", ".join(f"{k} {v:g}" for k, v in result.components.items())
    return CriterionVerdict(
        criterion_id=f"tau2:{task_id}",
        text="τ²-bench reward: the trajectory solves the task (end state, and actions where they count).",
        kind="hard_rule",
        importance="essential",
        weight=1.0,
        component="tau2",
        gate=True,
        verdict=Verdict.MET if result.reward == 1.0 else Verdict.NOT_MET,
        reason=f"reward {result.reward:g} over {'+'.join(result.reward_basis)} ({parts})",
        decided_by=_TAU2,
    )


def _collateral(task_id: str, result: Tau2Result, gate: bool) -> CriterionVerdict:
    damaged = bool(result.collateral_damage)
    paths = ", ".join(result.collateral_paths[:3]) + (" …" if len(result.collateral_paths) > 3 else "")
    return CriterionVerdict(
        criterion_id=f"collateral:{task_id}",
        text="The agent leaves the account as the gold fix does: no write beyond it, none missing (collateral).",
        kind="hard_rule",
        importance="essential",
        weight=1.0,
        component="collateral",
        gate=gate,
        verdict=Verdict.NOT_MET if damaged else Verdict.MET,
        reason=f"agent DB differs from the gold replay at {paths}" if damaged else "no write outside the task",
        decided_by=_TAU2,
    )


def _checks(rubrics: Sequence[RubricView], result: Tau2Result) -> list[CriterionVerdict]:
    """Per-check verdicts: the task's tool-call rubrics pair with `action_checks`, its end-state rubrics with
    `assertion_results`, both in link order (the order `Tau2Criteria.from_checks` builds the criteria in)."""
    actions = [r for r in rubrics if isinstance(r.check, ToolCallCheck)]
    assertions = [r for r in rubrics if isinstance(r.check, EnvAssertionCheck)]
    out: list[CriterionVerdict] = []
    for rubric, action in zip(actions, result.action_checks, strict=False):
        reason = f"a call of {action.name} by the {action.requestor} " + ("matches" if action.matched else "is missing")
        out.append(_verdict(rubric, action.matched, reason, "tool_calls"))
    for rubric, assertion in zip(assertions, result.assertion_results, strict=False):
        reason = f"{assertion.func_name} is {'as expected' if assertion.met else 'not as expected'} at the end"
        out.append(_verdict(rubric, assertion.met, reason, "hard_rules"))
    return out


def _verdict(rubric: RubricView, met: bool, reason: str, component: str) -> CriterionVerdict:
    return CriterionVerdict(
        criterion_id=f"tau2:{rubric.id}",
        text=rubric.text,
        kind=rubric.kind,
        importance=rubric.importance,
        weight=rubric.weight,
        component=component,
        condition=rubric.condition,
        verdict=Verdict.MET if met else Verdict.NOT_MET,
        reason=reason,
        rubric_ids=(rubric.id,),
        decided_by=_TAU2,
    )
