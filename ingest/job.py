"""The one ingestion job: read and validate every entry, select, build records, then write all or nothing.

A dataset says how to read, validate, group and build (`Dataset`); `load_dataset` turns it into located records and
`run_dataset` writes them through `write_records`, the write path every job shares."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from ingest.reader import Entry
from ingest.selection import Selection
from ingest.summary import IngestSummary
from ingest.validation import check_duplicate_ids, validation_problems
from kb import InputProblem, InputRejected, KnowledgeBase, NoProgress, Progress, QueryRecord, RubricRecord

logger = logging.getLogger(__name__)

T = TypeVar("T")
Record = QueryRecord | RubricRecord
Located = tuple[str, int | None, Record]


def _as_record(entry: Entry[Any]) -> Record:
    return entry.data


@dataclass(frozen=True)
class Dataset(Generic[T]):
    """What the job needs to know about one dataset."""

    job: str  # the summary's job name: expert | teleqna | telemath | tau2
    files: Sequence[str]
    read: Callable[[list[InputProblem]], Iterable[Entry[Any]]]  # raw located entries; problems appended
    validate: Callable[[Entry[Any], list[InputProblem]], T | None]  # one entry → item, or None after problems
    build: Callable[[Entry[T]], Record] = _as_record  # one selected item → its record (default: it is one)
    group: Callable[[T], str] | None = None  # the group a balanced sample draws evenly from
    note: Callable[[Entry[T]], str | None] | None = None  # a reported data issue that does not block ingestion


def load_dataset(
    dataset: Dataset[T],
    *,
    problems: list[InputProblem],
    notes: list[str],
    selection: Selection = Selection(),
    progress: Progress | None = None,
) -> list[Located]:
    """Validate every entry (a problem anywhere is reported, whatever the selection), then build the selected ones."""
    progress = progress or NoProgress()
    raw = list(dataset.read(problems))
    items: list[Entry[T]] = []
    progress.start(len(raw), f"{dataset.job}: validating")
    for entry in raw:
        item = dataset.validate(entry, problems)
        if item is not None:
            items.append(replace(entry, data=item))
        progress.advance(1)
    group = dataset.group
    chosen = selection.choose(items, group=None if group is None else lambda e: group(e.data))
    located: list[Located] = []
    progress.start(len(chosen), f"{dataset.job}: building records")
    for entry in chosen:
        note = dataset.note(entry) if dataset.note else None
        if note:
            notes.append(note)
        try:
            located.append((entry.file, entry.line, dataset.build(entry)))
        except ValidationError as exc:
            problems.extend(validation_problems(exc, entry.file, entry.line, prefix=entry.key))
        progress.advance(1)
    progress.close()
    logger.info("%s: %d of %d entries selected, %d notes", dataset.job, len(located), len(raw), len(notes))
    return located


def run_dataset(
    kb: KnowledgeBase,
    dataset: Dataset[T],
    *,
    dry_run: bool = False,
    selection: Selection = Selection(),
    progress: Progress | None = None,
) -> IngestSummary:
    """Load `dataset` (a sample's seed defaults to the KB's `seed` setting) and write it all or nothing.

    Raises `InputRejected` listing every problem; nothing is written then."""
    problems: list[InputProblem] = []
    notes: list[str] = []
    if selection.seed is None:
        selection = replace(selection, seed=kb.settings.seed)
    located = load_dataset(dataset, problems=problems, notes=notes, selection=selection, progress=progress)
    return write_records(kb, dataset.job, dataset.files, located, problems, dry_run=dry_run, notes=notes)


def write_records(
    kb: KnowledgeBase,
    job: str,
    files: Sequence[str],
    located: Sequence[Located],
    problems: list[InputProblem],
    *,
    dry_run: bool = False,
    notes: Sequence[str] = (),
    actor: str | None = None,
) -> IngestSummary:
    """Validate across records, then write all or nothing. Raises `InputRejected` listing every problem."""
    started = time.perf_counter()
    check_duplicate_ids(located, problems)
    if problems:
        raise InputRejected(problems)
    records = [record for _, _, record in located]
    report = kb.apply(records, actor=actor or f"ingest:{job}", dry_run=dry_run)
    if not dry_run and not report.changed:
        kb.index_pending()  # a rerun after an interrupted write finishes the index
    summary = IngestSummary.from_report(
        job,
        list(files),
        len(records),
        report,
        dry_run=dry_run,
        notes=list(notes),
        seconds=time.perf_counter() - started,
    )
    logger.info("%s: %d records, rubrics %s, queries %s", job, len(records), summary.rubrics, summary.queries)
    return summary
