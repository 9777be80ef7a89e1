"""The TeleMath job: JSONL or Parquet exports of netop/TeleMath (question, answer, category, tags, difficulty);
one query per problem with a numeric-answer hard rule and a shared principle on showing the derivation."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingest.expert.readers import read_jsonl
from ingest.job import Located, write_records
from ingest.selection import select_items, slug
from ingest.summary import IngestSummary
from ingest.validation import validate_entry
from kb import (
    EnvironmentProblem,
    Importance,
    InputProblem,
    KnowledgeBase,
    NumericCheck,
    Provenance,
    QueryRecord,
    RubricKind,
    RubricRecord,
    RubricStatus,
    derived_id,
    normalise_text,
)

logger = logging.getLogger(__name__)

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


def read_rows(path: Path, problems: list[InputProblem]) -> list[tuple[int, Any]]:
    """(line or row number, raw row) from a `.jsonl` file or a `.parquet` file (needs pyarrow)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise EnvironmentProblem(
                f"{path}: reading Parquet needs pyarrow; run `pip install pyarrow`, or export the dataset as JSONL"
            ) from None
        try:
            rows = pq.read_table(path).to_pylist()
        except (OSError, ValueError) as exc:
            problems.append(InputProblem(str(path), None, None, f"not a readable Parquet file: {exc}"))
            return []
        return list(enumerate(rows, start=1))
    if suffix not in (".jsonl", ".json"):
        problems.append(InputProblem(str(path), None, None, "unknown format; expected .jsonl or .parquet"))
        return []
    return [(entry.line, entry.data) for entry in read_jsonl(path, problems)]


def _format_value(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else repr(value)


def item_record(item: TeleMathItem, file: str, line: int, rel_tol: float) -> QueryRecord:
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


def load_telemath(
    path: Path,
    *,
    problems: list[InputProblem],
    rel_tol: float = DEFAULT_REL_TOL,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> list[Located]:
    """Read and validate a TeleMath export into query records; problems are appended with their line or row."""
    items: list[tuple[int, TeleMathItem]] = []
    for line, raw in read_rows(path, problems):
        item = validate_entry(TeleMathItem, raw, str(path), line, problems)
        if item is not None:
            items.append((line, item))
    chosen = select_items(items, limit=limit, sample=sample, group=lambda pair: pair[1].category, seed=seed)
    return [(str(path), line, item_record(item, str(path), line, rel_tol)) for line, item in chosen]


def ingest_telemath(
    kb: KnowledgeBase,
    path: Path,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    dry_run: bool = False,
    limit: int | None = None,
    sample: int | None = None,
    seed: int | None = None,
) -> IngestSummary:
    """Ingest a TeleMath export. Raises `InputRejected` and writes nothing on any problem."""
    problems: list[InputProblem] = []
    located = load_telemath(
        path,
        problems=problems,
        rel_tol=rel_tol,
        limit=limit,
        sample=sample,
        seed=kb.settings.seed if seed is None else seed,
    )
    return write_records(kb, "telemath", [str(path)], located, problems, dry_run=dry_run)
