"""The TeleMath job: one query per problem of a netop/TeleMath export, through the shared job runner."""

from __future__ import annotations

from pathlib import Path

from ingest.job import Dataset, Located, load_dataset, run_dataset
from ingest.reader import Entry
from ingest.selection import Selection
from ingest.summary import IngestSummary
from ingest.telemath.reader import read_telemath
from ingest.telemath.records import DEFAULT_REL_TOL, TeleMathItem, item_record
from ingest.validation import validate_entry
from kb import InputProblem, KnowledgeBase, Progress, QueryRecord


def telemath_dataset(path: Path, rel_tol: float) -> Dataset[TeleMathItem]:
    def build(entry: Entry[TeleMathItem]) -> QueryRecord:
        return item_record(entry.data, entry.file, entry.line, rel_tol)

    return Dataset(
        job="telemath",
        files=[str(path)],
        read=lambda problems: read_telemath(path, problems),
        validate=lambda e, problems: validate_entry(TeleMathItem, e.data, e.file, e.line, problems),
        build=build,
        group=lambda item: item.category,
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
    selection = Selection(limit, sample, seed)
    return load_dataset(telemath_dataset(path, rel_tol), problems=problems, notes=[], selection=selection)


def ingest_telemath(
    kb: KnowledgeBase,
    path: Path,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    dry_run: bool = False,
    limit: int | None = None,
    sample: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest a TeleMath export. Raises `InputRejected` and writes nothing on any problem."""
    dataset = telemath_dataset(path, rel_tol)
    return run_dataset(kb, dataset, dry_run=dry_run, selection=Selection(limit, sample, seed), progress=progress)
