"""`learn_from_pairs`: propose–evaluate–revise on every pair (concurrently, resumable from a checkpoint), aggregate
by coding rate into Theme-Tips, and write the result to the KB as `draft` rubrics with provenance."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from judge.learning.aggregate import learned_set
from judge.learning.checkpoint import Checkpoint
from judge.learning.models import LearnedSet, PairRubrics
from judge.learning.propose import alearn_pair, text_of
from judge.llm_judge import Criterion
from judge.pairs import PreferencePair
from kb import (
    ApplyReport,
    Importance,
    KnowledgeBase,
    LLMClient,
    NoProgress,
    Progress,
    Provenance,
    RubricKind,
    RubricRecord,
    RubricStatus,
)

logger = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.jsonl"
LEARNED = "learned.json"


class LearnReport(BaseModel, frozen=True):
    """What a learning run did."""

    pairs: int
    resumed: int = Field(description="Pairs taken from the checkpoint, not run again.")
    ran: int = Field(description="Pairs run in this invocation (finished ones are checkpointed).")
    failed: int = Field(description="Pairs whose LLM calls failed (not checkpointed: a rerun retries them).")
    converged: int
    learned: LearnedSet
    written: int = Field(description="Rubric records applied to the KB (new or changed).")
    checkpoint: str
    output: str


def records_of(learned: LearnedSet, *, file: str | None = None) -> list[RubricRecord]:
    """Draft KB records: one per kept rubric, with its theme, its theme's other tips and its provenance."""
    tips = {t.theme: t.tips for t in learned.themes}
    return [
        RubricRecord(
            id=r.id,
            text=r.text,
            kind=RubricKind(r.kind),
            importance=Importance.ESSENTIAL if r.kind == "hard_rule" else Importance.IMPORTANT,
            theme=r.theme[:200],
            tips=[t for t in tips.get(r.theme, ()) if t != r.text][:8],
            tags=["learned"],
            status=RubricStatus.DRAFT,
            source="learned",
            provenance=Provenance(
                file=file,
                generator=learned.model or None,
                prompt=",".join(learned.prompts) or None,
                pair_ids=list(r.pair_ids),
                round=r.round,
            ),
        )
        for r in learned.rubrics
    ]


def criteria_of_learned(learned: LearnedSet) -> list[Criterion]:
    """The learned set as judge criteria (`evaluate(..., rubrics="learned", learned=...)`)."""
    return [
        Criterion(
            id=r.id,
            text=r.text,
            kind=RubricKind(r.kind),
            rubric_ids=(r.id,),
            importance=Importance.ESSENTIAL if r.kind == "hard_rule" else Importance.IMPORTANT,
        )
        for r in learned.rubrics
    ]


def load_learned(path: Path | str) -> LearnedSet:
    """A `learned.json` written by `learn_from_pairs` (a folder means `<folder>/learned.json`)."""
    path = Path(path)
    path = path / LEARNED if path.is_dir() else path
    return LearnedSet.model_validate_json(path.read_text(encoding="utf-8"))


async def alearn_from_pairs(
    pairs: Sequence[PreferencePair],
    client: LLMClient,
    kb: KnowledgeBase,
    out: Path | str,
    *,
    rounds: int = 3,
    batch: int = 4,
    patience: int = 2,
    min_gain: float = 0.5,
    min_support: int = 3,
    seed: int = 0,
    in_flight: int | None = None,
    progress: Progress | None = None,
    source_file: str | None = None,
    write: bool = True,
) -> LearnReport:
    """Learn from every pair not yet in `<out>/checkpoint.jsonl`, then aggregate all finished pairs, write
    `<out>/learned.json` and (with `write`) the draft records through `kb.apply` (ids derive from the text, so a
    rerun never duplicates a rubric)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint = Checkpoint(folder / CHECKPOINT)
    done = checkpoint.load()
    todo = [p for p in pairs if p.id not in done]
    progress = progress or NoProgress()
    progress.start(len(todo), "learn pairs")
    failed = 0
    queue = list(todo)

    async def worker() -> None:
        nonlocal failed
        while queue:
            pair = queue.pop(0)
            result: PairRubrics = await alearn_pair(client, pair, rounds=rounds)
            if result.error is None:
                checkpoint.append(result)
                done[pair.id] = result
            else:
                failed += 1
                logger.warning("pair %s: %s (not checkpointed; a rerun retries it)", pair.id, result.error)
            progress.advance(1)

    try:
        await asyncio.gather(
            *(worker() for _ in range(max(1, min(in_flight or client.settings.concurrency, len(todo)))))
        )
    finally:
        progress.close()
    wanted = {p.id for p in pairs}
    results = [r for pid, r in done.items() if pid in wanted]
    learned = await asyncio.to_thread(
        learned_set,
        results,
        kb.embedder,
        batch=batch,
        patience=patience,
        min_gain=min_gain,
        seed=seed,
        texts={
            p.id: "\n".join((p.prompt, text_of(p.chosen, p.task_id), text_of(p.rejected, p.task_id))) for p in pairs
        },
        min_support=min_support,
    )
    (folder / LEARNED).write_text(learned.model_dump_json(indent=1), encoding="utf-8")
    written = 0
    if write and learned.rubrics:
        report: ApplyReport = await asyncio.to_thread(kb.apply, records_of(learned, file=source_file), actor="learn")
        written = _changed(report)
    return LearnReport(
        pairs=len(pairs),
        resumed=len(pairs) - len(todo),
        ran=len(todo),
        failed=failed,
        converged=sum(r.converged for r in results),
        learned=learned,
        written=written,
        checkpoint=str(checkpoint.path),
        output=str(folder / LEARNED),
    )


def _changed(report: ApplyReport) -> int:
    return report.rubrics.added + report.rubrics.updated
