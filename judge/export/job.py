"""`export_sft`: write the generator's or the judge's SFT examples (train, and optionally the held-out split) as
JSON Lines in one layout, with LLaMA-Factory's `dataset_info.json` entry next to each file."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

from judge.export.formats import SftExample, SftFormat, write_dataset_info, write_rows
from judge.export.generator import add_learned, generator_examples, kb_groups
from judge.export.judge_rows import JudgeRows
from judge.export.splits import ExportError, load_sources, tau2_records, teleqna_records
from judge.learning import LearnedSet
from kb import KnowledgeBase, NoProgress, Progress

logger = logging.getLogger(__name__)


class ExportTarget(StrEnum):
    """Which model the examples train."""

    GENERATOR = "generator"
    JUDGE = "judge"


class ExportReport(BaseModel, frozen=True):
    """What an export wrote."""

    what: ExportTarget
    format: SftFormat
    out: str
    rows: int = Field(description="Training examples written to `out`.")
    held_out_out: str | None = None
    held_out_rows: int = Field(0, description="Held-out examples (the evaluation's items) written to `held_out_out`.")
    dataset_info: tuple[str, ...] = Field((), description="LLaMA-Factory dataset_info.json files written or updated.")
    sources: tuple[str, ...] = Field((), description="Pair sources given (teleqna, tau2).")
    held_out_categories: tuple[str, ...] = Field((), description="TeleQnA categories the evaluation holds out.")
    by_source: dict[str, int] = Field(default_factory=dict, description="Training examples per source.")
    skipped: dict[str, int] = Field(default_factory=dict, description="Items left out, by reason.")
    seed: int


class _Counted:
    """Wraps an example stream, counting training examples per source."""

    def __init__(self, examples: Iterable[SftExample]) -> None:
        self._examples = examples
        self.by_source: Counter[str] = Counter()

    def __iter__(self):  # noqa: ANN204 - a generator of SftExample
        for example in self._examples:
            self.by_source[example.meta.source] += 1
            yield example


def export_sft(
    what: ExportTarget | str,
    fmt: SftFormat | str,
    out: Path,
    *,
    pairs: Sequence[str],
    seed: int,
    held_out_out: Path | None = None,
    kb: KnowledgeBase | None = None,
    learned: LearnedSet | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the examples and the `dataset_info.json` entries.

    Args:
        pairs: pair sources (`teleqna:ZIP`, `tau2:DIR`): the judge's verified items, and for both the evaluation's
            split (held-out TeleQnA categories, τ²'s test split), built with `seed` as the harness builds it.
        kb: the knowledge base (generator only).
        learned: a learned set whose validated rubrics become generator targets for their pairs' prompts.
        limit: most examples per file.

    Raises:
        ExportError: a missing KB or pair source, or an unsupported spec.
    """
    what, fmt = ExportTarget(what), SftFormat(fmt)
    if held_out_out is not None and held_out_out.resolve() == out.resolve():
        raise ExportError("--held-out-out must differ from --out")
    progress = progress or NoProgress()
    sources = load_sources(pairs, seed=seed)
    skipped: Counter[str] = Counter()
    if what is ExportTarget.GENERATOR:
        if kb is None:
            raise ExportError("the generator export reads the knowledge base: open one (--data-dir)")
        groups = kb_groups(kb, sources.split)
        if learned is not None:
            skipped.update(add_learned(groups, learned, sources))
        train = _Counted(
            generator_examples(kb, groups, split="train", seed=seed, limit=limit, progress=progress, skipped=skipped)
        )
        rows = write_rows(train, fmt, out)
        held_rows = 0
        if held_out_out is not None:
            held = generator_examples(
                kb, groups, split="held_out", seed=seed, limit=limit, progress=progress, skipped=skipped
            )
            held_rows = write_rows(held, fmt, held_out_out)
    else:
        if not sources.train:
            raise ExportError("the judge export needs verified pairs: give --pairs teleqna:ZIP and/or tau2:DIR")
        builder = JudgeRows(
            split=sources.split,
            teleqna=teleqna_records(sources.paths["teleqna"]) if "teleqna" in sources.paths else {},
            tau2=tau2_records(sources.paths["tau2"]) if "tau2" in sources.paths else {},
            seed=seed,
        )
        train = _Counted(_limited(builder.examples(sources.all_train(), split="train"), limit))
        rows = write_rows(train, fmt, out)
        held_rows = 0
        if held_out_out is not None:
            held_pairs = [p for name, ps in sources.held_out.items() if name != "teleqna-open" for p in ps]
            held_rows = write_rows(_limited(builder.examples(held_pairs, split="held_out"), limit), fmt, held_out_out)
        skipped.update(builder.skipped)
    files = [out] + ([held_out_out] if held_out_out is not None else [])
    infos = write_dataset_info(fmt, files)
    logger.info("export %s/%s: %d training rows, %d held out", what, fmt, rows, held_rows)
    return ExportReport(
        what=what,
        format=fmt,
        out=str(out),
        rows=rows,
        held_out_out=str(held_out_out) if held_out_out is not None else None,
        held_out_rows=held_rows,
        dataset_info=tuple(str(p) for p in infos),
        sources=sources.split.sources,
        held_out_categories=sources.split.teleqna_categories,
        by_source=dict(sorted(train.by_source.items())),
        skipped=dict(sorted(skipped.items())),
        seed=seed,
    )


def _limited(examples: Iterable[SftExample], limit: int | None) -> Iterable[SftExample]:
    for n, example in enumerate(examples):
        if limit is not None and n >= limit:
            return
        yield example
