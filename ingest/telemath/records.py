"""A TeleMath problem as a query with a numeric-answer hard rule and the shared principle on showing the derivation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingest.selection import slug
from kb import (
    Importance,
    NumericCheck,
    Provenance,
    QueryRecord,
    RubricKind,
    RubricRecord,
    RubricStatus,
    derived_id,
    normalise_text,
)

SOURCE = "telemath"
DEFAULT_REL_TOL = 1e-2
DERIVATION = (
    "The response shows the derivation: the formula it applies, the values it substitutes with their "
    "units, and the intermediate results that lead to the final number"
)


class TeleMathItem(BaseModel):
    """One TeleMath problem as published (extra columns are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    question: str = Field(min_length=1)
    answer: float = Field(allow_inf_nan=False, description="The numeric answer (units are not part of it).")
    category: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    difficulty: str | None = None

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_from_text(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return [t for t in (p.strip() for p in value.split(",")) if t]
        return list(value) if not isinstance(value, list) else value


def _format_value(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else repr(value)


def item_record(item: TeleMathItem, file: str, line: int | None, rel_tol: float) -> QueryRecord:
    qid = derived_id("q", SOURCE, normalise_text(item.question))
    category = slug(item.category, prefix="category:")
    tags = [SOURCE, "math", category, *(slug(t, prefix="topic:") for t in item.tags)]
    if item.difficulty:
        tags.append(slug(item.difficulty, prefix="difficulty:"))
    where = Provenance(file=file, line=line, dataset_id=qid)
    check = NumericCheck(value=item.answer, rel_tol=rel_tol)
    answer = RubricRecord(
        id=derived_id("r", SOURCE, qid, check.model_dump_json()),
        kind=RubricKind.HARD_RULE,
        importance=Importance.ESSENTIAL,
        check=check,
        theme="numeric answer",
        tags=[SOURCE, "math", category],
        text=f"The final answer is {_format_value(item.answer)} (within {rel_tol:.3g} relative tolerance; units aside)",
        status=RubricStatus.APPROVED,
        source=SOURCE,
        provenance=where,
    )
    derivation = RubricRecord(
        id=derived_id("r", SOURCE, "principle", normalise_text(DERIVATION)),
        kind=RubricKind.PRINCIPLE,
        importance=Importance.IMPORTANT,
        text=DERIVATION,
        theme="derivation",
        tags=[SOURCE, "math"],
        status=RubricStatus.APPROVED,
        source=SOURCE,
        provenance=Provenance(file=file),
    )
    return QueryRecord(
        id=qid, text=item.question, tags=tags, source=SOURCE, rubrics=[answer, derivation], provenance=where
    )
