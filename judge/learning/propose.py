"""Propose–evaluate–revise on one pair (OpenRubrics' contrastive generation + its preference-label consistency
filter, Auto-Rubric's revise rounds): a set is kept only when the judge, using it, prefers chosen in both orders."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from typing import Any

from judge.inputs import judged_input
from judge.learning.models import DraftRubric, PairRubrics, RubricDraft
from judge.llm_judge import Criterion, PairOutcome, ajudge_pair, both_orders, defuse, pairwise_prompt
from judge.pairs import PreferencePair, Response
from judge.result import JudgeError
from kb import Importance, LLMClient, LLMError, PromptSpec, RubricKind, TokenUsage, load_prompt, sum_usage

logger = logging.getLogger(__name__)


@cache
def contrastive_prompt() -> PromptSpec:
    return load_prompt("judge", "learn.contrastive")


@cache
def revise_prompt() -> PromptSpec:
    return load_prompt("judge", "learn.revise")


def text_of(response: Response, task_id: str | None = None) -> str:
    """What the generator and judge read: text, or the transcript of messages / a τ² trajectory."""
    if isinstance(response, dict):
        return judged_input(None, trajectory=response, task_id=task_id).text
    return judged_input(response).text


def criteria_of(rubrics: Sequence[DraftRubric]) -> list[Criterion]:
    return [
        Criterion(
            id=f"c{n}",
            text=r.text,
            kind=RubricKind(r.kind),
            importance=Importance.ESSENTIAL if r.kind == "hard_rule" else Importance.IMPORTANT,
        )
        for n, r in enumerate(rubrics, start=1)
    ]


async def consistent(client: LLMClient, pair: PreferencePair, rubrics: Sequence[DraftRubric]) -> PairOutcome:
    """The judge's both-order comparison of chosen (a) and rejected (b) using `rubrics` as the criteria."""
    criteria = criteria_of(rubrics)

    async def judge(request: str, first: str, second: str) -> Any:
        return await ajudge_pair(client, request, first, second, criteria)

    return await both_orders(
        judge, pair.prompt, text_of(pair.chosen, pair.task_id), text_of(pair.rejected, pair.task_id)
    )


def _listed(rubrics: Sequence[DraftRubric]) -> str:
    return "\n".join(f"- [{r.kind}] {r.text}" for r in rubrics)


async def alearn_pair(
    client: LLMClient, pair: PreferencePair, *, rounds: int = 3, generator: LLMClient | None = None
) -> PairRubrics:
    """Up to `rounds` rounds: propose (round 1) or revise (later rounds, with the failed set and what the judge said),
    then validate with the consistency filter. Never raises for LLM faults: they end the loop with `error` set."""
    generator = generator or client
    usages: list[TokenUsage | None] = []
    failed: list[tuple[DraftRubric, ...]] = []
    reasons: list[str] = []
    prompts = {contrastive_prompt().ref, pairwise_prompt().ref}
    base = {
        "request": defuse(pair.prompt),
        "chosen": defuse(text_of(pair.chosen, pair.task_id)),
        "rejected": defuse(text_of(pair.rejected, pair.task_id)),
    }
    last_reason = ""

    def result(
        converged: bool, round_: int, rubrics: tuple[DraftRubric, ...] = (), error: str | None = None
    ) -> PairRubrics:
        return _result(pair, client, converged, round_, rubrics, failed, reasons, prompts, usages, error)

    def fault(round_: int, step: str, error: LLMError | JudgeError) -> PairRubrics:
        reasons.append(f"round {round_}: {step} failed: {error.kind}: {error.message}")
        return result(False, round_, error=f"{error.kind}: {error.message}")

    for round_ in range(1, rounds + 1):
        if round_ == 1:
            reply = await generator.acomplete(contrastive_prompt(), RubricDraft, base)
        else:
            prompts.add(revise_prompt().ref)
            variables = {**base, "failed": _listed(failed[-1]) if failed else "(none)", "judge_said": last_reason}
            reply = await generator.acomplete(revise_prompt(), RubricDraft, variables)
        usages.append(reply.usage)
        if reply.error is not None:
            return fault(round_, "generator", reply.error)
        rubrics = tuple(reply.value.rubrics)  # type: ignore[union-attr]
        outcome = await consistent(client, pair, rubrics)
        usages.append(outcome.usage)
        if outcome.error is not None:
            return fault(round_, "judge", outcome.error)
        if outcome.winner == "a":
            reasons.append(f"round {round_}: chosen preferred in both orders")
            return result(True, round_, rubrics)
        last_reason = outcome.reason
        reasons.append(f"round {round_}: not validated ({outcome.reason})")
        failed.append(rubrics)
    return result(False, rounds)


def _result(
    pair: PreferencePair,
    client: LLMClient,
    converged: bool,
    round_: int,
    rubrics: tuple[DraftRubric, ...],
    failed: list[tuple[DraftRubric, ...]],
    reasons: list[str],
    prompts: set[str],
    usages: list[TokenUsage | None],
    error: str | None,
) -> PairRubrics:
    known = [u for u in usages if u is not None]
    return PairRubrics(
        pair_id=pair.id,
        converged=converged,
        round=round_,
        rubrics=rubrics,
        failed=tuple(failed),
        reasons=tuple(reasons),
        model=client.model,
        prompts=tuple(sorted(prompts)),
        usage=sum_usage(known) if known and len(known) == len(usages) else None,
        error=error,
    )
