"""Programmatic checks first: the matched query's machine checks and the rubric set's policy checks, run on one
input, as `CriterionVerdict`s. A check that cannot speak to the input is not applicable; one that cannot run
raises `VerifierError` (the reward becomes an error value, never a silent score).

Which checks run where:
- the matched KB query (same question): `ChoiceCheck` → mcq, `NumericCheck` → numeric, τ² checks → replay of
  the trajectory against the task's initial state from the KB (one gate on τ²'s reward, plus per-check
  verdicts), or, without a τ² task, `ToolCallCheck` on the tool calls of a chat transcript;
- rubric-set items: only `PolicyCheck`, which holds for every request; any other check on an item came from a
  neighbour (another question) and is left to the judge as text — except that a τ² replay settles the set's fix
  steps drawn only from other tasks' fix steps: one for a cause the task's own steps fix is left to the replay's
  verdict, one for causes the task lacks (its id names them all) is not applicable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from judge.inputs import JudgedInput
from judge.matching import QueryMatch
from judge.result import CriterionVerdict, Decider, Verdict
from judge.verifiers import check_choice, check_numeric, check_policy, check_tool_call
from judge.verifiers.outcome import CheckOutcome
from judge.verifiers.tau2_kb import tau2_verdicts
from kb import (
    ChoiceCheck,
    EnvAssertionCheck,
    Importance,
    KnowledgeBase,
    NumericCheck,
    PolicyCheck,
    RewardBasisCheck,
    RubricKind,
    RubricView,
    ToolCallCheck,
    is_answer_key,
    subissues_of,
)
from retrieval import RubricItem

TAU2_CHECKS = (ToolCallCheck, EnvAssertionCheck, RewardBasisCheck)


@dataclass(frozen=True)
class MachineVerdicts:
    """Verdicts of every check that ran, and the rubric-set items they decided (left out of the LLM judge)."""

    verdicts: tuple[CriterionVerdict, ...]
    decided_items: frozenset[str]


def run_machine_checks(
    kb: KnowledgeBase,
    match: QueryMatch,
    items: Sequence[RubricItem],
    given: JudgedInput,
    *,
    gate_on_collateral: bool,
) -> MachineVerdicts:
    """Run every applicable check. Raises `VerifierError` when a check cannot run on this input."""
    verdicts: list[CriterionVerdict] = []
    for rubric in match.checked:
        if isinstance(rubric.check, ChoiceCheck):
            verdicts.append(_verdict(rubric, check_choice(given.final_answer, rubric.check), "mcq", gate=True))
        elif isinstance(rubric.check, NumericCheck):
            verdicts.append(_verdict(rubric, check_numeric(given.final_answer, rubric.check), "numeric", gate=True))
    decided: set[str] = set()
    tau2_rubrics = [r for r in match.checked if isinstance(r.check, TAU2_CHECKS)]
    if tau2_rubrics and given.trajectory is not None and match.query is not None:
        verdicts += tau2_verdicts(
            kb, match.query, tau2_rubrics, given.trajectory, gate_on_collateral=gate_on_collateral
        )
        replayed = _fix_steps_of_other_causes(kb, tau2_rubrics, items, match)
        verdicts += replayed.verdicts
        decided |= replayed.decided_items
    elif tau2_rubrics and given.tool_calls is not None:
        for rubric in tau2_rubrics:
            if isinstance(rubric.check, ToolCallCheck) and not rubric.condition:
                outcome = check_tool_call(given.tool_calls, rubric.check)
                verdicts.append(_verdict(rubric, outcome, "tool_calls", gate=rubric.kind == "hard_rule"))
    for item in items:
        if isinstance(item.check, PolicyCheck) and given.tool_calls is not None and item.id not in decided:
            outcome = check_policy(given.tool_calls, item.check)
            if outcome.verdict is Verdict.NOT_APPLICABLE:
                continue  # the check's trigger never happened: the judge reads the rubric's wider text instead
            verdicts.append(_item_verdict(item, outcome, "policy", gate=item.kind == "hard_rule"))
            decided.add(item.id)
    return MachineVerdicts(verdicts=tuple(verdicts), decided_items=frozenset(decided))


def _fix_steps_of_other_causes(
    kb: KnowledgeBase, task_rubrics: Sequence[RubricView], items: Sequence[RubricItem], match: QueryMatch
) -> MachineVerdicts:
    """A τ² replay settles the rubric set's fix steps drawn only from other tasks' fix steps. The task's causes are
    the sub-issues its id names; the verified ones are those its own fix steps are tagged with; a step's causes are
    the `subissue:` tags of the KB rubrics it came from. A step sharing a verified cause is left out (the replay's
    verdict on that fix counts); one naming only causes the task lacks is not applicable (the judge marked such steps
    unmet). The judge keeps the rest: a cause the task has but does not fix (an unfixable task's transfer), a source
    that is not a τ² fix step, a pitfall, a step carrying a policy check."""
    task_id = match.query.provenance.get("dataset_id") if match.query is not None else None
    causes = set(subissues_of(task_id)) if isinstance(task_id, str) else set()
    verified = {c for r in task_rubrics if isinstance(r.check, ToolCallCheck) for c in _subissues(r)}
    candidates = [
        item
        for item in items
        if item.kind == RubricKind.TOOL_CALL
        and item.condition
        and item.derived_from
        and item.importance != Importance.PITFALL
        and (item.check is None or isinstance(item.check, ToolCallCheck))
        and judgeable(item, match)
    ]
    sources = kb.rubrics(sorted({i for item in candidates for i in item.derived_from})) if causes else {}
    verdicts: list[CriterionVerdict] = []
    decided: set[str] = set()
    for item in candidates:
        cited = [sources.get(i) for i in item.derived_from]
        if not all(r is not None and isinstance(r.check, ToolCallCheck) and _subissues(r) for r in cited):
            continue  # not only τ² fix steps behind it: the judge decides
        named = {c for r in cited if r is not None for c in _subissues(r)}
        if named & verified:
            decided.add(item.id)
        elif not named & causes:
            decided.add(item.id)
            reason = (
                f"the τ² task's causes ({', '.join(sorted(causes))}) do not include {', '.join(sorted(named))}; "
                "the replay verifies the fix steps of the causes it has"
            )
            outcome = CheckOutcome(verdict=Verdict.NOT_APPLICABLE, reason=reason, verifier="tau2")
            verdicts.append(_item_verdict(item, outcome, "tool_calls", gate=False))
    return MachineVerdicts(verdicts=tuple(verdicts), decided_items=frozenset(decided))


def _subissues(rubric: RubricView) -> set[str]:
    return {t.removeprefix("subissue:") for t in rubric.tags if t.startswith("subissue:")}


def _verdict(rubric: RubricView, outcome: CheckOutcome, component: str, *, gate: bool) -> CriterionVerdict:
    return CriterionVerdict(
        criterion_id=f"{outcome.verifier}:{rubric.id}",
        text=rubric.text,
        kind=rubric.kind,
        importance=rubric.importance,
        weight=rubric.weight,
        component=component,
        gate=gate and outcome.verdict is not Verdict.NOT_APPLICABLE,
        condition=rubric.condition,
        verdict=outcome.verdict,
        reason=outcome.reason,
        rubric_ids=(rubric.id,),
        decided_by=Decider(kind="verifier", name=outcome.verifier),
    )


def _item_verdict(item: RubricItem, outcome: CheckOutcome, component: str, *, gate: bool) -> CriterionVerdict:
    return CriterionVerdict(
        criterion_id=item.id,
        text=item.text,
        kind=item.kind,
        importance=item.importance,
        weight=item.weight,
        component=component,
        gate=gate and outcome.verdict is not Verdict.NOT_APPLICABLE,
        condition=item.condition,
        verdict=outcome.verdict,
        reason=outcome.reason,
        rubric_ids=item.derived_from,
        decided_by=Decider(kind="verifier", name=outcome.verifier),
    )


def judgeable(item: RubricItem, match: QueryMatch) -> bool:
    """An item the LLM should judge: not a machine check that ran for the matched query, and never a
    question-specific answer check from another question."""
    if is_answer_key(item.check):
        return False  # the matched query's own answer check ran; a neighbour's belongs to another question
    matched_ids = {r.id for r in match.checked}
    return not (item.check is not None and set(item.derived_from) & matched_ids)
