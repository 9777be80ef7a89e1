"""The expert rubric file job: read, validate every record, write all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from ingest.expert.readers import read_entries
from ingest.expert.schema import QueryEntry, RubricEntry
from ingest.job import Located, write_records
from ingest.summary import IngestSummary
from ingest.validation import field_path, validate_entry
from kb import InputProblem, KnowledgeBase, RubricStatus


def load_expert_files(
    paths: Sequence[Path],
    *,
    status: RubricStatus = RubricStatus.DRAFT,
    source: str = "expert",
    problems: list[InputProblem],
) -> list[Located]:
    """Parse and validate expert files into records; every problem is appended with its file and line."""
    located: list[Located] = []
    for path in paths:
        for raw in read_entries(path, problems):
            is_query = isinstance(raw.data, dict) and "query" in raw.data
            entry = validate_entry(QueryEntry if is_query else RubricEntry, raw.data, raw.file, raw.line, problems)
            if entry is None:
                continue
            try:
                record = entry.to_record(file=raw.file, line=raw.line, status=status, source=source)
            except ValidationError as exc:
                for error in exc.errors():
                    loc = ["query" if is_query and error["loc"][:1] == ("text",) else p for p in error["loc"]]
                    problems.append(
                        InputProblem(raw.file, raw.line, field_path(loc), error["msg"].removeprefix("Value error, "))
                    )
                continue
            located.append((raw.file, raw.line, record))
    return located


def ingest_expert_files(
    kb: KnowledgeBase,
    paths: Sequence[Path],
    *,
    dry_run: bool = False,
    status: RubricStatus = RubricStatus.DRAFT,
    source: str = "expert",
) -> IngestSummary:
    """Ingest expert rubric files (JSONL / CSV / YAML). Raises `InputRejected` and writes nothing on any problem."""
    problems: list[InputProblem] = []
    located = load_expert_files(paths, status=status, source=source, problems=problems)
    return write_records(kb, "expert", [str(p) for p in paths], located, problems, dry_run=dry_run)
