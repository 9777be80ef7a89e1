"""The reward contract: `RewardResult`, one `CriterionVerdict` per criterion, and `JudgeError` as a value."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from kb import TokenUsage
from retrieval import PrunedRubric


class JudgeErrorKind(StrEnum):
    """Why a reward could not be computed (the LLM kinds mirror `kb.LLMErrorKind`)."""

    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    SERVER = "server"
    UNAVAILABLE = "unavailable"
    PARSE = "parse"
    TRUNCATED = "truncated"
    REQUEST = "request"
    CONFIG = "config"
    VERIFIER = "verifier"  # a programmatic verifier could not run (bad trajectory, unknown task, replay fault)
    INPUT = "input"  # the request cannot be scored as given (nothing to judge, missing response)
    EMPTY = "empty"  # no criterion applies: neither a verifier nor a rubric
    INTERNAL = "internal"  # a bug, caught at the per-item boundary so one sample never stops a training step


class Stage(StrEnum):
    """Where on the path of one reward an error came from."""

    RETRIEVE = "retrieve"
    SYNTHESISE = "synthesise"
    VERIFY = "verify"
    JUDGE = "judge"


class JudgeError(BaseModel, frozen=True):
    kind: JudgeErrorKind
    stage: Stage
    message: str = Field(description="One line: what failed and what to do.")


class Verdict(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


class Decider(BaseModel, frozen=True):
    """Who decided a verdict: a named verifier, or a judge model with its prompt."""

    kind: Literal["verifier", "judge"]
    name: str = Field(description="Verifier name (mcq, numeric, tau2, tool_call, policy) or judge model.")
    prompt: str | None = Field(None, description="Judge prompt `id@version`; None for verifiers.")


class CriterionVerdict(BaseModel, frozen=True):
    """The verdict on one criterion of the rubric set (or one verifier check)."""

    criterion_id: str = Field(description="Rubric-set item id, or `<verifier>:<rubric id>` for a machine check.")
    text: str
    kind: str = Field(description="hard_rule | principle | tool_call")
    importance: str = Field(description="essential | important | optional | pitfall")
    weight: float = Field(ge=0.0, description="Weight in the score; pitfalls subtract it when met.")
    component: str = Field(description="The component key this verdict counts in (see COMPONENTS).")
    gate: bool = Field(False, description="A programmatic hard rule: failing it caps the score.")
    condition: str | None = Field(None, description="When the criterion applies; absent cause → not applicable.")
    verdict: Verdict
    reason: str = Field(description="One line: why.")
    rubric_ids: tuple[str, ...] = Field((), description="KB rubrics behind the criterion (provenance).")
    decided_by: Decider


# Every component is returned under a fixed key for every sample (verl takes the key set from the first one).
COMPONENTS: tuple[str, ...] = (
    "gates",  # 1 when every programmatic hard rule passes, else 0
    "hard_rules",  # share of hard-rule criteria met (programmatic and judged)
    "principles",  # weighted principle score (pitfalls subtract)
    "tool_calls",  # share of tool-call criteria met (programmatic and judged)
    "mcq",  # multiple-choice verifier
    "numeric",  # numeric-answer verifier
    "tau2",  # τ²-bench replay reward
    "collateral",  # 1 when the replay wrote nothing outside the task's scope, else 0
    "policy",  # share of the policy checks over the trajectory that pass
)


class RewardResult(BaseModel, frozen=True, extra="forbid"):
    """A reward with its breakdown; exactly one of `score` and `error` is set."""

    score: float | None = Field(None, ge=0.0, le=1.0, description="The reward in [0, 1]; None exactly on error.")
    components: dict[str, float | None] = Field(
        default_factory=dict, description="Every key of COMPONENTS; None = not applicable to this response."
    )
    verdicts: tuple[CriterionVerdict, ...] = ()
    capped: bool = Field(False, description="True when a failed gate capped the score.")
    rubric_set_key: str | None = Field(None, description="Cache key of the rubric set used.")
    matched_query: str | None = Field(None, description="KB query whose machine checks were applied.")
    pruned: tuple[PrunedRubric, ...] = Field((), description="Rubrics pruning kept away from the generator.")
    usage: tuple[TokenUsage, ...] = Field((), description="Tokens per model (generator, judge).")
    prompt_versions: dict[str, str] = Field(default_factory=dict, description="Role → prompt `id@version`.")
    latency_s: float = Field(0.0, ge=0.0, description="Wall time of this reward.")
    cache_hits: tuple[str, ...] = Field((), description="Which caches answered: rubric_set, verdicts.")
    notes: tuple[str, ...] = Field(
        (),
        description="How machine checks were matched; rubric-set fallbacks; what the screen redacted from the response "
        "before the judge read it (`screen@<version>: redacted N grader-directed segments (<kinds>)`, also on a "
        "verdict-cache hit).",
    )
    error: JudgeError | None = None

    @model_validator(mode="after")
    def _score_xor_error(self) -> Self:
        if (self.score is None) == (self.error is None):
            raise ValueError("set exactly one of score and error")
        if self.score is not None and math.isnan(self.score):
            raise ValueError("score is NaN")
        return self

    @classmethod
    def failed(cls, kind: JudgeErrorKind, stage: Stage, message: str, **fields: object) -> RewardResult:
        """An error value: no score, every component None."""
        return cls(
            error=JudgeError(kind=kind, stage=stage, message=message),
            components=dict.fromkeys(COMPONENTS),
            **fields,  # type: ignore[arg-type]
        )

    def component_values(self, missing: float = math.nan) -> dict[str, float]:
        """Every component as a float (`missing` for not applicable), in COMPONENTS order."""
        return {k: missing if self.components.get(k) is None else float(self.components[k]) for k in COMPONENTS}
