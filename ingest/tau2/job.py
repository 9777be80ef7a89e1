"""The τ²-bench telecom job: one query per task with its gold actions, end-state assertions and reward basis."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ingest.job import Located, write_records
from ingest.selection import select_items, slug
from ingest.summary import IngestSummary
from ingest.tau2.rubrics import SOURCE, task_rubrics
from ingest.tau2.tasks import LocatedTask, Tau2Task, read_splits, read_tasks
from kb import InputProblem, KnowledgeBase, Provenance, QueryRecord, derived_id

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


def task_record(located: LocatedTask, splits: dict[str, list[str]] | None = None) -> QueryRecord:
    task, criteria = located.task, located.task.evaluation_criteria
    split_tags = [slug(name, prefix="split:") for name, ids in sorted((splits or {}).items()) if task.id in ids]
    tags = [
        "tau2",
        task.family,
        f"persona:{task.persona}",
        *(slug(s, prefix="subissue:") for s in task.subissues),
        *split_tags,
    ]
    rubrics = task_rubrics(
        task.id,
        criteria.actions or [],
        criteria.env_assertions or [],
        criteria.reward_basis,
        file=located.file,
        line=located.line,
    )
    return QueryRecord(
        id=query_id(task.id),
        text=query_text(task),
        tags=tags,
        source=SOURCE,
        rubrics=rubrics,
        provenance=Provenance(file=located.file, line=located.line, dataset_id=task.id),
    )


def load_tau2(
    tasks_path: Path,
    splits_path: Path | None,
    *,
    problems: list[InputProblem],
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> list[Located]:
    """Parse `tasks.json` (+ optional `split_tasks.json`) into query records; problems are appended."""
    tasks = read_tasks(tasks_path, problems)
    splits = read_splits(splits_path, problems) if splits_path is not None else {}
    split_sets = {name: set(ids) for name, ids in splits.items()}
    chosen = select_items(tasks, limit=limit, sample=sample, group=lambda t: t.task.family, seed=seed)
    located: list[Located] = []
    for item in chosen:
        located.append((item.file, item.line, task_record(item, split_sets)))  # type: ignore[arg-type]
    logger.info("tau2: %d of %d tasks selected", len(located), len(tasks))
    return located


def resolve_tau2_paths(path: Path, splits: Path | None) -> tuple[Path, Path | None]:
    """A folder means `<dir>/tasks.json` and, if present, `<dir>/split_tasks.json`; a file is the tasks file."""
    tasks = path / "tasks.json" if path.is_dir() else path
    if splits is None and (tasks.parent / "split_tasks.json").is_file():
        splits = tasks.parent / "split_tasks.json"
    return tasks, splits


def ingest_tau2(
    kb: KnowledgeBase,
    path: Path,
    *,
    splits: Path | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    sample: int | None = None,
    seed: int | None = None,
) -> IngestSummary:
    """Ingest τ²-bench telecom tasks. Raises `InputRejected` and writes nothing on any problem."""
    tasks_path, splits_path = resolve_tau2_paths(path, splits)
    problems: list[InputProblem] = []
    located = load_tau2(
        tasks_path,
        splits_path,
        problems=problems,
        limit=limit,
        sample=sample,
        seed=kb.settings.seed if seed is None else seed,
    )
    files = [str(tasks_path)] + ([str(splits_path)] if splits_path else [])
    notes = [] if splits_path else ["no split_tasks.json found: queries carry no split:* tags"]
    return write_records(kb, "tau2", files, located, problems, dry_run=dry_run, notes=notes)
