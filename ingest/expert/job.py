"""The expert rubric file job: read, validate every record, write all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ingest.expert.readers import read_expert_file
from ingest.expert.schema import QueryEntry, RubricEntry
from ingest.job import Dataset, Located, Record, load_dataset, run_dataset
from ingest.reader import Entry
from ingest.summary import IngestSummary
from ingest.validation import validate_entry, validation_problems
from kb import InputProblem, KnowledgeBase, Progress, RubricStatus


def expert_record(
    entry: Entry[Any], problems: list[InputProblem], *, status: RubricStatus, source: str
) -> Record | None:
    """A query with its rubrics (it has `query`) or a standalone rubric, validated as written and as a record."""
    is_query = isinstance(entry.data, dict) and "query" in entry.data
    parsed = validate_entry(QueryEntry if is_query else RubricEntry, entry.data, entry.file, entry.line, problems)
    if parsed is None:
        return None
    try:
        return parsed.to_record(file=entry.file, line=entry.line, status=status, source=source)
    except ValidationError as exc:  # the record's own rules (e.g. blank text), named as the file names the field
        rename = {"text": "query"} if is_query else None
        problems.extend(validation_problems(exc, entry.file, entry.line, rename=rename))
        return None


def expert_dataset(paths: Sequence[Path], *, status: RubricStatus, source: str) -> Dataset[Record]:
    return Dataset(
        job="expert",
        files=[str(p) for p in paths],
        read=lambda problems: [entry for path in paths for entry in read_expert_file(path, problems)],
        validate=partial(expert_record, status=status, source=source),
    )


def load_expert_files(
    paths: Sequence[Path],
    *,
    status: RubricStatus = RubricStatus.DRAFT,
    source: str = "expert",
    problems: list[InputProblem],
) -> list[Located]:
    """Parse and validate expert files into records; every problem is appended with its file and line."""
    return load_dataset(expert_dataset(paths, status=status, source=source), problems=problems, notes=[])


def ingest_expert_files(
    kb: KnowledgeBase,
    paths: Sequence[Path],
    *,
    dry_run: bool = False,
    status: RubricStatus = RubricStatus.DRAFT,
    source: str = "expert",
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest expert rubric files (JSONL / CSV / YAML). Raises `InputRejected` and writes nothing on any problem."""
    dataset = expert_dataset(paths, status=status, source=source)
    return run_dataset(kb, dataset, dry_run=dry_run, progress=progress)
