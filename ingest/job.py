"""The one write path every ingestion job shares: duplicate checks, all-or-nothing apply, summary."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from ingest.summary import IngestSummary
from ingest.validation import check_duplicate_ids
from kb import InputProblem, InputRejected, KnowledgeBase, QueryRecord, RubricRecord

logger = logging.getLogger(__name__)

Located = tuple[str, int | None, QueryRecord | RubricRecord]


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
