"""The expert rubric file schema (docs/expert-rubric-format.md): a query with its rubrics, or a standalone rubric."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kb import (
    ID_PATTERN,
    MAX_QUERY_TEXT,
    MAX_RUBRIC_TEXT,
    Importance,
    MachineCheck,
    Provenance,
    QueryRecord,
    RubricKind,
    RubricRecord,
    RubricStatus,
)


class RubricEntry(BaseModel):
    """A rubric as written in an expert file."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, pattern=ID_PATTERN)
    text: str = Field(max_length=MAX_RUBRIC_TEXT)
    kind: RubricKind
    importance: Importance = Importance.IMPORTANT
    weight: float | None = Field(None, ge=0.0, le=10.0)
    theme: str | None = None
    tips: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    check: MachineCheck | None = None
    condition: str | None = Field(None, min_length=1, description="The cause under which it applies; None = always.")
    status: RubricStatus | None = None
    source: str | None = None
    section: str | None = Field(None, description="The policy section or document part the rubric cites.")

    def to_record(self, *, file: str, line: int | None, status: RubricStatus, source: str) -> RubricRecord:
        return RubricRecord(
            id=self.id,
            text=self.text,
            kind=self.kind,
            importance=self.importance,
            weight=self.weight,
            theme=self.theme,
            tips=self.tips,
            tags=self.tags,
            check=self.check,
            condition=self.condition,
            status=self.status or status,
            source=self.source or source,
            provenance=Provenance(file=file, line=line, section=self.section),
        )


class QueryEntry(BaseModel):
    """A query with the rubrics experts wrote for it."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, pattern=ID_PATTERN)
    query: str = Field(max_length=MAX_QUERY_TEXT)
    tags: list[str] = Field(default_factory=list)
    source: str | None = None
    rubrics: list[RubricEntry] = Field(min_length=1)

    def to_record(self, *, file: str, line: int | None, status: RubricStatus, source: str) -> QueryRecord:
        return QueryRecord(
            id=self.id,
            text=self.query,
            tags=self.tags,
            source=self.source or source,
            rubrics=[
                r.to_record(file=file, line=line, status=status, source=self.source or source) for r in self.rubrics
            ],
            provenance=Provenance(file=file, line=line),
        )
