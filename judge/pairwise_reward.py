"""Pairwise rewards: which of two responses to one request is better. Programmatic gates decide first (one passes,
the other fails); else the LLM judges both orders (a win counts only when both agree), with `judge.votes` samples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from judge.inputs import Messages, judged_input
from judge.llm_judge import Criterion, PairOutcome, ajudge_pair, both_orders, sample_client, vote
from judge.machine_checks import judgeable
from judge.reference import with_reference
from judge.result import JudgeError, JudgeErrorKind, RewardResult, Stage
from judge.verifiers.outcome import VerifierError
from kb import TokenUsage

if TYPE_CHECKING:
    from judge.reward_model import RewardModel


class PairResult(BaseModel, frozen=True):
    """The better of two responses, or None (a tie, orders that disagree, or an error) with the reason."""

    winner: Literal["a", "b"] | None
    consistent: bool | None = Field(description="Both orders agreed (None when the judge was not asked).")
    decided_by: str = Field(description="verifier | judge:<model> | none")
    reason: str
    usage: TokenUsage | None = None
    error: JudgeError | None = None

    @classmethod
    def of(cls, outcome: PairOutcome) -> PairResult:
        model = outcome.orders[0].model
        return cls(
            winner=outcome.winner,
            consistent=outcome.consistent if outcome.error is None else None,
            decided_by=f"judge:{model}",
            reason=outcome.reason,
            usage=outcome.usage,
            error=outcome.error,
        )


async def acompare(
    model: RewardModel, request: str, a: str | Messages, b: str | Messages, *, reference: str | None = None
) -> PairResult:
    """Which of two responses is better. Programmatic gates decide first (one passes, the other fails); else
    the LLM judges both orders (a win counts only when both agree), with `judge.votes` samples. `reference` (an
    expected answer) is shown to the judge and, as in pointwise scoring, adds the reference-agreement criterion
    unless the matched query has an answer check."""
    cfg = model.settings.judge
    try:
        prepared = await model._prepare(request, None)
        if isinstance(prepared, RewardResult):
            return PairResult(winner=None, consistent=None, decided_by="none", reason="", error=prepared.error)
        gates = [await model._gates(prepared, r) for r in (a, b)]
        if None not in gates and gates[0] != gates[1]:
            winner = "a" if gates[0] == 1.0 else "b"
            return PairResult(
                winner=winner, consistent=True, decided_by="verifier", reason=f"only {winner} passes every gate"
            )
        if not cfg.use_llm:  # the gates are all there is: equal gates are no decision, never an LLM call
            reason = "no gate separates them and judge.use_llm is off"
            return PairResult(
                winner=None, consistent=None, decided_by="verifier" if None not in gates else "none", reason=reason
            )
        items = list(prepared.rubric_set.items) if prepared.rubric_set else []
        criteria = [Criterion.from_item(i) for i in items if judgeable(i, prepared.match)]
        with_reference(criteria, cfg, reference, prepared.match)
        texts = [judged_input(r).text for r in (a, b)]

        async def once(i: int) -> PairOutcome:
            client = (
                model._client if cfg.votes == 1 else sample_client(model._client, i, temperature=cfg.vote_temperature)
            )

            async def judge_pair(req: str, first: str, second: str) -> Any:
                return await ajudge_pair(client, req, first, second, criteria, reference=reference)

            return await both_orders(judge_pair, request, texts[0], texts[1])

        if cfg.votes == 1:
            outcome = await once(0)
            return PairResult.of(outcome)
        voted = await vote(once, cfg.votes)
        return PairResult(
            winner=voted.label,  # type: ignore[arg-type]
            consistent=all(s.consistent for s in voted.samples),
            decided_by=f"judge:{model._client.model}",
            reason=voted.reason,
            error=voted.error,
        )
    except VerifierError as exc:
        return PairResult(
            winner=None, consistent=None, decided_by="none", reason="",
            error=JudgeError(kind=JudgeErrorKind.VERIFIER, stage=Stage.VERIFY, message=str(exc)),
        )  # fmt: skip
