"""The τ²-bench telecom job: one query per task with its gold actions, end-state assertions and reward basis."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from ingest.job import Located, write_records
from ingest.selection import select_items, slug
from ingest.summary import IngestSummary
from ingest.tau2.rubrics import SOURCE, task_rubrics
from ingest.tau2.tasks import LocatedTask, read_environment, read_splits, read_tasks
from kb import (
    InputProblem,
    KnowledgeBase,
    Provenance,
    QueryRecord,
    RubricKind,
    Tau2Environment,
    Tau2InitialState,
    Tau2Task,
    Tau2TaskState,
    derived_id,
)

logger = logging.getLogger(__name__)


def query_id(task_id: str) -> str:
    """The KB id of a τ² task's query (task ids run past 200 characters, so they are hashed)."""
    return derived_id("q", SOURCE, task_id)


_SECOND_PERSON = [  # the user simulator's instructions say "you"; the agent hears the caller say "I"
    (re.compile(r"\bYou mobile\b"), "My mobile"),  # upstream typo for "Your mobile"
    (re.compile(r"\bYour\b"), "My"),
    (re.compile(r"\byour\b"), "my"),
    (re.compile(r"\bYou are\b"), "I am"),
    (re.compile(r"\byou are\b"), "I am"),
    (re.compile(r"\bYou\b"), "I"),
    (re.compile(r"\byou\b"), "me"),
]


def first_person(text: str) -> str:
    """The simulator's second-person instruction as the caller would say it ("Your phone …" → "My phone …")."""
    for pattern, replacement in _SECOND_PERSON:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def query_text(task: Tau2Task) -> str:
    """What a support agent would receive: the caller's reason and what they know (first person), then the ticket.

    Only 3 reasons, 3 known-info lines and 5 tickets occur across the 2,285 tasks, so many queries share a text.
    """
    instructions = task.user_scenario.instructions
    said = first_person(instructions.reason_for_call)
    if instructions.known_info:
        said += " " + first_person(instructions.known_info)
    return f"{said}\nTicket: {task.ticket.strip()}" if task.ticket else said


def family_tag(family: str) -> str:
    """The DESIGN tag of an issue family: `mms_issue` → `mms`, `mobile_data_issue` → `mobile_data`, …"""
    return slug(family.removesuffix("_issue"))


def task_record(
    located: LocatedTask,
    splits: dict[str, set[str]] | None = None,
    environment: Tau2Environment | None = None,
) -> QueryRecord:
    """One query per task: its rubrics, tags, and the initial state (+ base DBs) the KB verifies it from."""
    task = located.task
    split_tags = [slug(name, prefix="split:") for name, ids in sorted((splits or {}).items()) if task.id in ids]
    tags = [
        "tau2",
        family_tag(task.family or "unknown"),
        f"persona:{task.persona}",
        *(slug(s, prefix="subissue:") for s in task.subissues),
        *split_tags,
    ]
    state = Tau2TaskState(
        task_id=task.id, initial_state=task.initial_state or Tau2InitialState(), environment=environment
    )
    return QueryRecord(
        id=query_id(task.id),
        text=query_text(task),
        tags=tags,
        source=SOURCE,
        rubrics=task_rubrics(task, file=located.file, line=located.line),
        provenance=Provenance(file=located.file, line=located.line, dataset_id=task.id),
        tau2=state,
    )


def load_tau2(
    tasks_path: Path,
    splits_path: Path | None,
    *,
    problems: list[InputProblem],
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
    db_paths: tuple[Path, Path] | None = None,
) -> list[Located]:
    """Parse `tasks.json` (+ optional `split_tasks.json`, + the base DBs `db_paths` = (db.toml, user_db.toml)) into
    query records; problems are appended."""
    tasks = read_tasks(tasks_path, problems)
    splits = read_splits(splits_path, problems) if splits_path is not None else {}
    environment = read_environment(*db_paths, problems) if db_paths is not None else None
    split_sets = {name: set(ids) for name, ids in splits.items()}
    chosen = select_items(tasks, limit=limit, sample=sample, group=lambda t: t.task.family or "", seed=seed)
    located: list[Located] = []
    for item in chosen:
        located.append((item.file, item.line, task_record(item, split_sets, environment)))  # type: ignore[arg-type]
    logger.info("tau2: %d of %d tasks selected", len(located), len(tasks))
    return located


def resolve_tau2_paths(path: Path, splits: Path | None) -> tuple[Path, Path | None]:
    """A folder means `<dir>/tasks.json` and, if present, `<dir>/split_tasks.json`; a file is the tasks file."""
    tasks = path / "tasks.json" if path.is_dir() else path
    if splits is None and (tasks.parent / "split_tasks.json").is_file():
        splits = tasks.parent / "split_tasks.json"
    return tasks, splits


def resolve_db_paths(tasks: Path, db: Path | None, user_db: Path | None) -> tuple[Path, Path] | None:
    """The base DBs: as given, else `db.toml` / `user_db.toml` beside the tasks file; None when either is missing."""
    db = db or tasks.parent / "db.toml"
    user_db = user_db or tasks.parent / "user_db.toml"
    return (db, user_db) if db.is_file() and user_db.is_file() else None


def _unconditional_fixes(located: Sequence[Located]) -> int:
    """Gold actions of fixable tasks that no sub-issue of the table accounts for (they stay unconditional)."""
    return sum(
        1
        for _, _, record in located
        if isinstance(record, QueryRecord)
        for r in record.rubrics
        if r.kind is RubricKind.TOOL_CALL and r.condition is None
    )


def ingest_tau2(
    kb: KnowledgeBase,
    path: Path,
    *,
    splits: Path | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    sample: int | None = None,
    seed: int | None = None,
    db: Path | None = None,
    user_db: Path | None = None,
) -> IngestSummary:
    """Ingest τ²-bench telecom tasks with their initial state and base DBs (`db`, `user_db`; default: beside the
    tasks file), so the KB alone can verify a trajectory. Raises `InputRejected` and writes nothing on any problem.
    """
    tasks_path, splits_path = resolve_tau2_paths(path, splits)
    db_paths = resolve_db_paths(tasks_path, db, user_db)
    problems: list[InputProblem] = []
    if db_paths is None and (db or user_db):
        problems.append(InputProblem(str(db or user_db), None, None, "file not found; pass both --db and --user-db"))
    located = load_tau2(
        tasks_path,
        splits_path,
        problems=problems,
        limit=limit,
        sample=sample,
        seed=kb.settings.seed if seed is None else seed,
        db_paths=db_paths,
    )
    files = [str(tasks_path)] + ([str(splits_path)] if splits_path else []) + [str(p) for p in db_paths or ()]
    notes = [] if splits_path else ["no split_tasks.json found: queries carry no split:* tags"]
    if db_paths is None:
        notes.append(
            "no db.toml and user_db.toml beside the tasks file: the KB holds the tasks' initial state but cannot "
            "verify their trajectories on its own"
        )
    if unconditional := _unconditional_fixes(located):
        notes.append(f"{unconditional} gold action(s) match no known sub-issue fix: their rubrics are unconditional")
    return write_records(kb, "tau2", files, located, problems, dry_run=dry_run, notes=notes)
