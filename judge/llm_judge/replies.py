"""What a judge call returns: verdicts or a pair choice with cost and prompt version, or an error value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from judge.llm_judge.criteria import Criterion
from judge.llm_judge.screen import Finding
from judge.result import CriterionVerdict, Decider, JudgeError, JudgeErrorKind, Stage, Verdict
from kb import LLMError, RubricKind, TokenUsage

Granularity = Literal["response", "criterion"]

COMPONENT_OF_KIND: dict[RubricKind, str] = {
    RubricKind.HARD_RULE: "hard_rules",
    RubricKind.PRINCIPLE: "principles",
    RubricKind.TOOL_CALL: "tool_calls",
}


def judge_error(error: LLMError, where: str) -> JudgeError:
    """The `JudgeError` of a failed LLM call (`where` names the prompt, and the criterion if one)."""
    return JudgeError(kind=JudgeErrorKind(error.kind.value), stage=Stage.JUDGE, message=f"{where}: {error.message}")


class JudgedCriterion(BaseModel, frozen=True):
    """The judge's verdict on one criterion."""

    criterion_id: str
    verdict: Verdict
    reason: str = Field(description="The judge's short grounds (its own words: untrusted, for display).")


class JudgeReply(BaseModel, frozen=True):
    """Verdicts on every criterion asked about, or an error value: exactly one of the two."""

    verdicts: tuple[JudgedCriterion, ...] = Field((), description="One per criterion, in the order asked; () on error.")
    granularity: Granularity
    usage: TokenUsage | None = Field(None, description="Tokens over all calls; None when any went unreported.")
    model: str = Field(description="Judge model asked for.")
    prompt: str = Field(description="Prompt `id@version`.")
    calls: int = Field(0, ge=0, description="LLM calls made, with retries and re-asks.")
    latency_s: float = Field(0.0, ge=0.0, description="Seconds spent in LLM calls, summed over calls.")
    findings: tuple[Finding, ...] = Field((), description="Grader-directed text redacted from the response.")
    error: JudgeError | None = None

    @property
    def flagged(self) -> bool:
        """True when the response addressed the grader (a reward may penalise the attempt)."""
        return bool(self.findings)

    @model_validator(mode="after")
    def _verdicts_xor_error(self) -> Self:
        if bool(self.verdicts) == (self.error is not None):
            raise ValueError("set exactly one of verdicts and error")
        ids = [v.criterion_id for v in self.verdicts]
        if len(ids) != len(set(ids)):
            raise ValueError(f"a criterion was judged twice: {ids}")
        return self

    @property
    def ok(self) -> bool:
        return self.error is None

    def criterion_verdicts(self, criteria: Sequence[Criterion]) -> tuple[CriterionVerdict, ...]:
        """The verdicts as the reward contract's `CriterionVerdict`s (for `aggregate`).

        Raises:
            ValueError: the reply is an error, or does not cover exactly `criteria`.
        """
        if self.error is not None:
            raise ValueError(f"no verdicts: {self.error.kind}: {self.error.message}")
        by_id = {v.criterion_id: v for v in self.verdicts}
        if set(by_id) != {c.id for c in criteria}:
            raise ValueError(f"verdicts cover {sorted(by_id)}, criteria are {sorted(c.id for c in criteria)}")
        decider = Decider(kind="judge", name=self.model, prompt=self.prompt)
        return tuple(
            CriterionVerdict(
                criterion_id=c.id,
                text=c.text,
                kind=c.kind.value,
                importance=c.importance.value,
                weight=c.weight,
                component=COMPONENT_OF_KIND[c.kind],
                condition=c.condition,
                verdict=by_id[c.id].verdict,
                reason=by_id[c.id].reason,
                rubric_ids=c.rubric_ids,
                decided_by=decider,
            )
            for c in criteria
        )


def judged(criterion: Criterion, label: str, reason: str) -> JudgedCriterion:
    """The verdict on `criterion` from the model's label.

    An unconditional criterion always applies: 'not_applicable' on it counts as not met (for a pitfall: the bad
    thing was not done), so a reply cannot escape a criterion by talking the judge out of its scope.
    """
    verdict = Verdict(label)
    if verdict is Verdict.NOT_APPLICABLE and not criterion.conditional:
        verdict = Verdict.NOT_MET
        reason = f"(judged not applicable, but the criterion has no condition) {reason}"
    return JudgedCriterion(criterion_id=criterion.id, verdict=verdict, reason=reason)


class PairReply(BaseModel, frozen=True):
    """One pairwise judgement in one order: `better` is 'A' (the first reply shown), 'B' or 'tie'; or an error."""

    better: Literal["A", "B", "tie"] | None = None
    reason: str = ""
    usage: TokenUsage | None = None
    model: str
    prompt: str = Field(description="Prompt `id@version`.")
    calls: int = Field(0, ge=0)
    latency_s: float = Field(0.0, ge=0.0)
    findings_a: tuple[Finding, ...] = Field((), description="Grader-directed text redacted from the first reply.")
    findings_b: tuple[Finding, ...] = Field((), description="Grader-directed text redacted from the second reply.")
    error: JudgeError | None = None

    @model_validator(mode="after")
    def _better_xor_error(self) -> Self:
        if (self.better is None) == (self.error is None):
            raise ValueError("set exactly one of better and error")
        return self

    @property
    def label(self) -> str | None:
        """The choice, for `vote`."""
        return self.better
