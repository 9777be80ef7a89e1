"""The TeleQnA job: one query per question, from the upstream zip or a GSMA Open-Telco export."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ingest.job import Dataset, Located, load_dataset, run_dataset
from ingest.reader import Entry
from ingest.selection import Selection
from ingest.summary import IngestSummary
from ingest.teleqna.reader import DEFAULT_PASSWORD, read_teleqna
from ingest.teleqna.records import Question, answer_mismatch, open_telco_question, question_record, upstream_question
from kb import InputProblem, KnowledgeBase, Progress


def teleqna_dataset(path: Path, password: str) -> Dataset[Question]:
    seen: Counter[str] = Counter()  # Open-Telco rows of equal text so far, in file order

    def read(problems: list[InputProblem]) -> list[Entry[Any]]:
        seen.clear()
        return read_teleqna(path, password, problems)

    def validate(entry: Entry[Any], problems: list[InputProblem]) -> Question | None:
        if entry.key is not None:  # a member of the upstream JSON object
            return upstream_question(entry, problems)
        return open_telco_question(entry, problems, seen)

    return Dataset(
        job="teleqna",
        files=[str(path)],
        read=read,
        validate=validate,
        build=lambda e: question_record(e.data, e.file, e.line),
        group=lambda q: q.category,
        note=lambda e: answer_mismatch(e.data),
    )


def load_teleqna(
    path: Path,
    *,
    password: str = DEFAULT_PASSWORD,
    problems: list[InputProblem],
    notes: list[str],
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> list[Located]:
    """Read, validate and build query records; data problems go to `problems`, answer mismatches to `notes`."""
    selection = Selection(limit, sample, seed)
    return load_dataset(teleqna_dataset(path, password), problems=problems, notes=notes, selection=selection)


def ingest_teleqna(
    kb: KnowledgeBase,
    path: Path,
    *,
    password: str = DEFAULT_PASSWORD,
    dry_run: bool = False,
    limit: int | None = None,
    sample: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest TeleQnA (upstream zip or Open-Telco export). Raises `InputRejected` and writes nothing on any problem."""
    dataset = teleqna_dataset(path, password)
    return run_dataset(kb, dataset, dry_run=dry_run, selection=Selection(limit, sample, seed), progress=progress)
