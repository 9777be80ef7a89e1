"""Adding rubrics from the page through ingestion's own validation and write path (all or nothing).

An uploaded file, or the add form's one record as a JSONL line, is kept under `data_dir/uploads/` so the provenance
of what it adds (file and line) names a file that exists; a rejected or dry-run input is deleted again. Errors come
back as ingestion reports them, `file:line: field: message`, with the uploaded file's own name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest import IngestSummary, load_expert_files, write_records
from kb import InputProblem, InputRejected, KnowledgeBase

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
SUFFIXES = (".jsonl", ".ndjson", ".csv", ".yaml", ".yml")


@dataclass
class Outcome:
    """What adding did: the ingestion summary, or the problems that rejected the input (nothing written)."""

    summary: IngestSummary | None = None
    problems: list[str] = field(default_factory=list)
    rubric_ids: list[str] = field(default_factory=list)  # the rubrics the input names, in order


def _stage(kb: KnowledgeBase, name: str, content: bytes) -> Path:
    folder = kb.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{SAFE_NAME.sub('_', Path(name).name) or 'upload'}"
    path.write_bytes(content)
    return path


def _shown(problem: InputProblem, staged: Path, name: str) -> str:
    return str(problem).replace(str(staged), name, 1)


def _ingest(kb: KnowledgeBase, staged: Path, name: str, *, actor: str, dry_run: bool, new_only: bool) -> Outcome:
    problems: list[InputProblem] = []
    located = load_expert_files([staged], problems=problems)
    if new_only and not problems:
        problems += _existing(kb, located)
    try:
        summary = write_records(kb, "expert", [name], located, problems, dry_run=dry_run, actor=actor)
    except InputRejected as exc:
        staged.unlink(missing_ok=True)
        return Outcome(problems=[_shown(p, staged, name) for p in exc.problems])
    if dry_run:
        staged.unlink(missing_ok=True)
    ids = [r.rubric_id for _, _, record in located for r in getattr(record, "rubrics", None) or [record]]
    return Outcome(summary=summary, rubric_ids=list(dict.fromkeys(ids)))


def _existing(kb: KnowledgeBase, located: list[Any]) -> list[InputProblem]:
    """The add form creates: an id that exists already is refused (editing is done on the rubric's page)."""
    problems: list[InputProblem] = []
    for file, line, record in located:
        rubrics = getattr(record, "rubrics", None)
        if rubrics is not None and kb.queries([record.query_id]):
            message = f"a query with id {record.query_id} exists; open it in Queries (this form only adds new ones)"
            problems.append(InputProblem(file, line, "query", message))
        for rubric in rubrics if rubrics is not None else [record]:
            if kb.rubrics([rubric.rubric_id]):
                message = f"rubric {rubric.rubric_id} exists; edit it on its page (this form only adds new ones)"
                problems.append(InputProblem(file, line, "id", message))
    return problems


def ingest_upload(kb: KnowledgeBase, name: str, content: bytes, *, actor: str, dry_run: bool = False) -> Outcome:
    """Ingest an uploaded expert file (JSONL / CSV / YAML) as `telerubric ingest expert` would."""
    if not name.lower().endswith(SUFFIXES):
        return Outcome(problems=[f"{name}: the file must end in one of {', '.join(SUFFIXES)}"])
    return _ingest(kb, _stage(kb, name, content), name, actor=actor, dry_run=dry_run, new_only=False)


def add_entry(kb: KnowledgeBase, entry: dict[str, Any], *, actor: str) -> Outcome:
    """Add one expert-file record (a standalone rubric, or a query with its rubrics) typed into the form."""
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    return _ingest(kb, _stage(kb, "form.jsonl", line.encode()), "form", actor=actor, dry_run=False, new_only=True)
