"""What the evaluation holds out, built from the same pair sources and seed the evaluation harness uses.

- `teleqna:ZIP`: MCQ pairs (`mcq_pairs`), split by category (`split_by_category`, the harness's `--held-out`); the
  open-question builder's held-out categories are held out too, so neither evaluation overlaps the export.
- `tau2:DIR`: the gold vs drop-one pairs of τ²'s `train` split are exported; those of its `test` split are the
  evaluation's (`tau2_pairs` defaults to `test`).

TeleQnA is read in memory; no question text is written or logged here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from ingest import load_tau2, load_teleqna
from judge.export.responses import item_key, response_text
from judge.pairs import PreferencePair, load_mcq_items, mcq_pairs, open_pairs, split_by_category, tau2_pairs
from kb import InputProblem, InputRejected, QueryRecord, TelerubricError, normalise_text

logger = logging.getLogger(__name__)

SPECS = ("teleqna", "tau2")


class ExportError(TelerubricError):
    """The export cannot be made as asked (a missing or unsupported pair source)."""

    exit_code = 2


@dataclass(frozen=True)
class PairSpec:
    kind: str  # teleqna | tau2
    path: Path


def parse_pair_spec(spec: str) -> PairSpec:
    """`teleqna:ZIP` or `tau2:DIR` (a `:SPLIT` suffix on tau2 is ignored: train is exported, test held out).

    Raises:
        ExportError: any other spec (a pairs file carries no verifier and no evaluation split).
    """
    kind, _, rest = spec.partition(":")
    if kind in SPECS and rest:
        path = Path(rest.split(":", 1)[0] if kind == "tau2" else rest)
        return PairSpec(kind, path)
    raise ExportError(
        f"--pairs {spec!r}: expected teleqna:ZIP or tau2:DIR (verified builders with the evaluation's split); "
        "a pairs file has no verifier to decide per-criterion verdicts"
    )


class EvaluationSplit(BaseModel, frozen=True):
    """The items the evaluation judges: nothing of them may reach a training export."""

    seed: int
    sources: tuple[str, ...] = Field(description="Which pair sources were given (teleqna, tau2).")
    teleqna_categories: tuple[str, ...] = Field((), description="Held-out TeleQnA categories (slugs).")
    teleqna_ids: frozenset[str] = Field(frozenset(), description="KB query ids of the held-out TeleQnA questions.")
    tau2_tasks: frozenset[str] = Field(frozenset(), description="τ² task ids of the test split.")
    prompts: frozenset[str] = Field(frozenset(), description="Normalised prompts of every evaluation pair.")
    items: frozenset[str] = Field(frozenset(), description="`item_key`s of every evaluation (prompt, response).")

    def holds_prompt(self, prompt: str) -> bool:
        return normalise_text(prompt) in self.prompts

    def holds_item(self, prompt: str, response: str) -> bool:
        return item_key(prompt, response) in self.items


@dataclass
class PairSources:
    """The pairs to export (`train`) and the evaluation's (`held_out`) per source, with the split they make."""

    seed: int
    split: EvaluationSplit
    train: dict[str, list[PreferencePair]] = field(default_factory=dict)
    held_out: dict[str, list[PreferencePair]] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)

    def all_train(self) -> list[PreferencePair]:
        return [p for pairs in self.train.values() for p in pairs]

    def all_held_out(self) -> list[PreferencePair]:
        return [p for pairs in self.held_out.values() for p in pairs]


def load_sources(specs: Sequence[str], *, seed: int) -> PairSources:
    """Build every given source's pairs and the evaluation split they imply.

    Raises:
        ExportError: an unsupported or repeated spec.
        InputRejected: a data file cannot be read.
    """
    parsed = [parse_pair_spec(s) for s in specs]
    kinds = [p.kind for p in parsed]
    if len(set(kinds)) != len(kinds):
        raise ExportError(f"--pairs names a source twice: {', '.join(specs)}")
    train: dict[str, list[PreferencePair]] = {}
    held: dict[str, list[PreferencePair]] = {}
    categories: set[str] = set()
    teleqna_ids: set[str] = set()
    tau2_tasks: set[str] = set()
    for spec in parsed:
        if spec.kind == "teleqna":
            items = load_mcq_items(spec.path)
            mcq = split_by_category(mcq_pairs(items, seed=seed), seed=seed)
            open_split = split_by_category(open_pairs(items, seed=seed), seed=seed)
            categories = set(mcq.held_out_categories) | set(open_split.held_out_categories)
            teleqna_ids = {i.id for i in items if i.category in categories}
            train["teleqna"] = [p for p in mcq.train if (p.category or "") not in categories]
            held["teleqna"] = list(mcq.held_out) + [p for p in mcq.train if (p.category or "") in categories]
            held["teleqna-open"] = list(open_split.held_out)
            logger.info(
                "teleqna: %d pairs to export, %d held out (categories %s)",
                len(train["teleqna"]),
                len(held["teleqna"]),
                sorted(categories),
            )
        else:
            train["tau2"] = tau2_pairs(spec.path, split="train")
            held["tau2"] = tau2_pairs(spec.path, split="test")
            tau2_tasks = {p.task_id for p in held["tau2"] if p.task_id}
    evaluation = [p for pairs in held.values() for p in pairs]
    split = EvaluationSplit(
        seed=seed,
        sources=tuple(sorted(set(kinds))),
        teleqna_categories=tuple(sorted(categories)),
        teleqna_ids=frozenset(teleqna_ids),
        tau2_tasks=frozenset(tau2_tasks),
        prompts=frozenset(normalise_text(p.prompt) for p in evaluation),
        items=frozenset(item_key(p.prompt, response_text(r)) for p in evaluation for r in (p.chosen, p.rejected)),
    )
    return PairSources(seed=seed, split=split, train=train, held_out=held, paths={p.kind: p.path for p in parsed})


def teleqna_records(path: Path) -> dict[str, QueryRecord]:
    """TeleQnA's query records (with their rubrics, as the KB holds them) by query id, read in memory."""
    problems: list[InputProblem] = []
    located = load_teleqna(path, problems=problems, notes=[])
    if problems:
        raise InputRejected(problems)
    return {r.query_id: r for _, _, r in located if isinstance(r, QueryRecord)}


def tau2_records(folder: Path) -> dict[str, QueryRecord]:
    """τ² task records (with their rubrics, as the KB holds them) by task id."""
    problems: list[InputProblem] = []
    located = load_tau2(folder / "tasks.json", None, problems=problems)
    if problems:
        raise InputRejected(problems)
    return {
        r.provenance.dataset_id: r
        for _, _, r in located
        if isinstance(r, QueryRecord) and r.provenance.dataset_id is not None
    }
