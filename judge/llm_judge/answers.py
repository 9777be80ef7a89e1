"""What the judge model must reply: small JSON schemas (short names, enums, bounded reasons) for a 1.5B model.

The reason comes before the verdict in every schema, so the model writes its grounds before it decides.
"""

from __future__ import annotations

from functools import cache
from typing import ClassVar, Literal, Self

from pydantic import BaseModel, Field, create_model, model_validator

MAX_REASON = 120  # characters; ~25 tokens of a short justification
MAX_CRITERIA = 40  # criteria in one pointwise call; the schema bounds the list to exactly the count asked

VerdictLabel = Literal["met", "not_met", "not_applicable"]


class NumberedVerdict(BaseModel):
    """The verdict on criterion `number` of the numbered list."""

    number: int = Field(ge=1, le=MAX_CRITERIA, description="Criterion number from the list.")
    reason: str = Field(max_length=MAX_REASON, description="Short grounds, quoting the reply where possible.")
    verdict: VerdictLabel


class CriterionVerdicts(BaseModel):
    """Output of `judge.pointwise`: one verdict per criterion number, each number exactly once."""

    count: ClassVar[int | None] = None  # set by `verdicts_model(n)`; None = numbers are not checked against a count

    verdicts: list[NumberedVerdict] = Field(min_length=1, max_length=MAX_CRITERIA)

    @model_validator(mode="after")
    def _each_number_once(self) -> Self:
        numbers = [v.number for v in self.verdicts]
        expected = set(range(1, (self.count or max(numbers)) + 1))
        duplicate = sorted({n for n in numbers if numbers.count(n) > 1})
        missing, unknown = sorted(expected - set(numbers)), sorted(set(numbers) - expected)
        if duplicate or missing or unknown:
            found = {"duplicate": duplicate, "missing": missing, "unknown": unknown}
            problems = ", ".join(f"{name} {values}" for name, values in found.items() if values)
            raise ValueError(f"give criteria 1..{len(expected)} exactly once each: {problems}")
        return self


@cache
def verdicts_model(count: int) -> type[CriterionVerdicts]:
    """`CriterionVerdicts` for exactly `count` criteria: the schema bounds the list and the numbers, and
    validation rejects a duplicate, missing or unknown number (one model class per count, so schemas are stable)."""
    if not 1 <= count <= MAX_CRITERIA:
        raise ValueError(f"one pointwise call judges 1..{MAX_CRITERIA} criteria, got {count}")
    item = create_model(
        "NumberedVerdict",
        __base__=NumberedVerdict,
        number=(int, Field(ge=1, le=count, description="Criterion number from the list.")),
    )
    model = create_model(
        "CriterionVerdicts",
        __base__=CriterionVerdicts,
        __doc__=CriterionVerdicts.__doc__,
        verdicts=(list[item], Field(min_length=count, max_length=count)),  # type: ignore[valid-type]
    )
    model.count = count
    return model


class CriterionAnswer(BaseModel):
    """Output of `judge.criterion`: the verdict on the one criterion asked about."""

    reason: str = Field(max_length=MAX_REASON, description="Short grounds, quoting the reply where possible.")
    verdict: VerdictLabel


class PairAnswer(BaseModel):
    """Output of `judge.pairwise`: which reply is better, A or B (or a tie)."""

    reason: str = Field(max_length=MAX_REASON, description="Short grounds for the choice.")
    better: Literal["A", "B", "tie"]
