"""The typed summary every ingestion job returns and the CLI prints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kb import ApplyReport, InputProblem


class EntityCounts(BaseModel):
    added: int = 0
    updated: int = 0
    unchanged: int = 0


class IngestSummary(BaseModel):
    """Added / updated / unchanged per entity, the problems that rejected the input, and notes worth reading."""

    job: str = Field(description="expert | tau2 | teleqna | telemath")
    files: list[str]
    dry_run: bool = False
    records: int = Field(0, description="Records read (queries + standalone rubrics).")
    rubrics: EntityCounts = Field(default_factory=EntityCounts)
    queries: EntityCounts = Field(default_factory=EntityCounts)
    rejected: list[str] = Field(
        default_factory=list, description="`file:line: field: problem`; non-empty = nothing written."
    )
    notes: list[str] = Field(default_factory=list, description="Reported data issues that did not block ingestion.")
    kb_version: int | None = Field(None, description="KB version after the write; None = nothing changed.")
    seconds: float = 0.0

    @classmethod
    def from_report(
        cls,
        job: str,
        files: list[str],
        records: int,
        report: ApplyReport,
        *,
        dry_run: bool,
        notes: list[str] | None = None,
        seconds: float = 0.0,
    ) -> IngestSummary:
        return cls(
            job=job,
            files=files,
            dry_run=dry_run,
            records=records,
            rubrics=EntityCounts(**vars(report.rubrics)),
            queries=EntityCounts(**vars(report.queries)),
            kb_version=None if dry_run else report.kb_version,
            notes=notes or [],
            seconds=seconds,
        )

    @classmethod
    def rejected_input(cls, job: str, files: list[str], problems: list[InputProblem]) -> IngestSummary:
        return cls(job=job, files=files, rejected=[str(p) for p in problems])
