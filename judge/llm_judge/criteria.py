"""The criteria as the LLM judge sees them: `Criterion`, built from a rubric-set item, and its one-line listing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Self

from pydantic import BaseModel, Field, model_validator

from kb import DEFAULT_WEIGHTS, Importance, RubricKind
from retrieval import RubricItem

MAX_CRITERION_TEXT = 300  # characters of one criterion shown to the judge
# "If the APN has no MMSC URL, the agent …": the cause of a conditional fix step written into the text.
_CONDITION_IN_TEXT = re.compile(r"^\s*(?:only\s+)?(?:if|when)\s+(?P<cause>[^,]{3,200}),\s*(?:the|then)\b", re.I)
_NOT_A_CAUSE = frozenset({"possible", "needed", "necessary", "appropriate", "applicable", "relevant", "in doubt"})


class Criterion(BaseModel, frozen=True):
    """One yes/no criterion for the judge."""

    id: str = Field(min_length=1, description="Rubric-set item id.")
    text: str = Field(min_length=1, description="'The agent …' / 'The response …'.")
    kind: RubricKind = RubricKind.PRINCIPLE
    importance: Importance = Importance.IMPORTANT
    weight: float = Field(-1.0, description="Weight in the score; negative = the importance's default.")
    condition: str | None = Field(
        None, description="When it applies ('the APN has no MMSC URL'); absent cause → not applicable."
    )
    rubric_ids: tuple[str, ...] = Field((), description="KB rubrics behind it (provenance).")

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        importance = Importance(data.get("importance", Importance.IMPORTANT))
        if data.get("weight") is None or data["weight"] < 0:
            data["weight"] = DEFAULT_WEIGHTS[importance]
        if not data.get("condition") and isinstance(data.get("text"), str):
            data["condition"] = condition_in(data["text"])
        return data

    @classmethod
    def from_item(cls, item: RubricItem) -> Self:
        """The criterion of a rubric-set item (its condition, or one written as 'If <cause>, the agent …')."""
        return cls(
            id=item.id,
            text=item.text,
            kind=item.kind,
            importance=item.importance,
            weight=item.weight,
            condition=item.condition,
            rubric_ids=item.derived_from,
        )

    @property
    def conditional(self) -> bool:
        return self.condition is not None


def condition_in(text: str) -> str | None:
    """The cause of a criterion written as 'If <cause>, the agent …' (None when the text states no condition)."""
    match = _CONDITION_IN_TEXT.match(text)
    if match is None or match["cause"].strip().lower() in _NOT_A_CAUSE:
        return None
    return " ".join(match["cause"].split())


def criterion_line(criterion: Criterion) -> str:
    """`[tool_call, essential; only if: the APN has no MMSC URL] The agent …` (pitfalls say so)."""
    text = " ".join(criterion.text.split())
    text = text if len(text) <= MAX_CRITERION_TEXT else text[: MAX_CRITERION_TEXT - 1] + "…"
    tags = f"{criterion.kind}, {criterion.importance}"
    if criterion.importance == Importance.PITFALL:
        tags = f"{criterion.kind}, pitfall: met means the agent did this bad thing"
    if criterion.condition:
        tags += f"; only if: {criterion.condition}"
    return f"[{tags}] {text}"


def numbered_criteria(criteria: Sequence[Criterion]) -> str:
    """The numbered list (from 1) the pointwise prompt shows."""
    return "\n".join(f"{n}. {criterion_line(c)}" for n, c in enumerate(criteria, start=1))
