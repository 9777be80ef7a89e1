"""Generator SFT examples: (request + retrieved neighbours) → the approved or consistency-filtered rubric set.

The input is the synthesis prompt as `abuild_rubric_set` sends it (`retrieval.offered_rubrics`, then
`retrieval.synthesis_messages`), so a fine-tuned generator sees what it will see in use. Neighbours come from
`Retriever.retrieve_many` with the request's own queries (every KB query of the same text) and the rubrics only
they link left out: no target in the references.

Targets (SQL is the source of truth): the approved rubrics linked to the request's queries (reward-basis
bookkeeping left out), most-linked first when several queries share the text, plus the rubrics a learned set
(`learned.json`) validated for a preference pair with this prompt. They are serialised as the generator's
`RubricDraft` JSON, each item's `sources` naming the listed reference it is (if it is one).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from judge.export.formats import ExportMeta, SftExample
from judge.export.splits import EvaluationSplit, ExportError, PairSources
from judge.learning import LearnedSet
from kb import (
    ChatMessage,
    Importance,
    KnowledgeBase,
    NoProgress,
    Progress,
    QueryView,
    RubricStatus,
    RubricView,
    SearchFilter,
    content_hash,
    load_prompt,
    normalise_text,
)
from retrieval import (
    SYNTHESIS_PROMPT,
    DraftItem,
    Neighbours,
    Retriever,
    draft_model,
    offered_rubrics,
    synthesis_messages,
)

logger = logging.getLogger(__name__)

BATCH = 64  # requests per retrieval batch


@dataclass(frozen=True)
class TargetRubric:
    """One rubric of a target set, as the generator would write it."""

    id: str
    text: str
    kind: str
    importance: str
    condition: str | None
    decider: str  # kb-approved | learned


@dataclass
class Group:
    """All that shares one normalised request text: its queries, pairs, targets and split."""

    question: str
    query_ids: list[str] = field(default_factory=list)
    pair_ids: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    task_ids: list[str] = field(default_factory=list)
    targets: dict[str, TargetRubric] = field(default_factory=dict)
    links: Counter[str] = field(default_factory=Counter)
    held_out: bool = False

    def add(self, target: TargetRubric) -> None:
        self.targets.setdefault(target.id, target)
        self.links[target.id] += 1

    def ordered(self) -> list[TargetRubric]:
        """Most-linked first, then in the order first seen."""
        order = {rid: i for i, rid in enumerate(self.targets)}
        return [self.targets[r] for r in sorted(self.targets, key=lambda r: (-self.links[r], order[r]))]


@dataclass(frozen=True)
class SynthesisInput:
    """The synthesis prompt's messages for one request and the KB rubrics it lists, in prompt order."""

    messages: tuple[ChatMessage, ChatMessage]
    offered: tuple[RubricView, ...]
    kb_version: int


def synthesis_input(kb: KnowledgeBase, question: str, neighbours: Neighbours) -> SynthesisInput:
    """The generator's prompt for `question` as `abuild_rubric_set` renders it from these neighbours."""
    offered, _ = offered_rubrics(kb, neighbours)
    messages = synthesis_messages(question, offered, max_items=kb.settings.synthesis.draft_items)
    return SynthesisInput(messages=messages, offered=tuple(offered), kb_version=neighbours.kb_version)


def draft_target(
    targets: Sequence[TargetRubric], offered: Sequence[RubricView], max_items: int
) -> tuple[str, list[TargetRubric], int] | None:
    """The `RubricDraft` JSON of `targets` (the first `max_items` that fit the generator's item model), the targets
    kept, and how many were dropped; None when none fits."""
    numbers: dict[str, int] = {}
    for n, rubric in enumerate(offered, start=1):
        numbers.setdefault(rubric.id, n)
        numbers.setdefault(normalise_text(rubric.text), n)
    items, kept, dropped = [], [], 0
    for target in targets:
        number = numbers.get(target.id) or numbers.get(normalise_text(target.text))
        try:
            item = DraftItem(
                text=" ".join(target.text.split()),
                kind=target.kind,
                importance=target.importance,
                sources=[number] if number else [],
                condition=" ".join(target.condition.split()) if target.condition else None,
            )
        except ValidationError:
            dropped += 1
            continue
        if len(items) == max_items:
            dropped += 1
            continue
        items.append(item)
        kept.append(target)
    if not items:
        return None
    return draft_model(max_items)(items=items).model_dump_json(), kept, dropped


# groups ---------------------------------------------------------------------------------------------------------------
def _category(query: QueryView) -> str:
    return next((t.split(":", 1)[1] for t in query.tags if t.startswith("category:")), "")


def _held_out(query: QueryView, split: EvaluationSplit) -> bool:
    """Is this KB query one the evaluation judges? (TeleQnA and τ² queries need their source's split.)"""
    if query.source in ("teleqna", "tau2") and query.source not in split.sources:
        spec = "teleqna:ZIP" if query.source == "teleqna" else "tau2:DIR"
        raise ExportError(
            f"the knowledge base holds {query.source} queries: give --pairs {spec} so the export holds out what the "
            "evaluation judges"
        )
    if query.source == "teleqna" and (query.id in split.teleqna_ids or _category(query) in split.teleqna_categories):
        return True
    if query.source == "tau2" and query.provenance.get("dataset_id") in split.tau2_tasks:
        return True
    return split.holds_prompt(query.text)


def kb_groups(kb: KnowledgeBase, split: EvaluationSplit) -> dict[str, Group]:
    """Every KB query with at least one approved target, grouped by normalised text."""
    ids = kb.query_ids(limit=10**9)
    queries = kb.queries(ids)
    rubrics = kb.rubrics(list(dict.fromkeys(r for q in queries.values() for r in q.rubric_ids)))
    groups: dict[str, Group] = {}
    for query in queries.values():
        targets = [
            TargetRubric(r.id, r.text, r.kind, r.importance, r.condition, "kb-approved")
            for r in (rubrics[i] for i in query.rubric_ids if i in rubrics)
            if r.status == RubricStatus.APPROVED and not (r.check is not None and r.check.type == "reward_basis")
        ]
        if not targets:
            continue
        group = groups.setdefault(normalise_text(query.text), Group(question=query.text))
        group.query_ids.append(query.id)
        group.sources.add(f"kb:{query.source}")
        if category := _category(query):
            group.categories.add(category)
        if query.source == "tau2" and query.provenance.get("dataset_id"):
            group.task_ids.append(str(query.provenance["dataset_id"]))
        group.held_out = group.held_out or _held_out(query, split)
        for target in targets:
            group.add(target)
    return groups


def add_learned(groups: dict[str, Group], learned: LearnedSet, sources: PairSources) -> Counter[str]:
    """Add each learned rubric to the groups of the pairs whose validated sets contained it. A rubric learned from
    any evaluation pair never becomes a training target. Returns counts of what was left out."""
    train = {p.id: p for p in sources.all_train()}
    held = {p.id: p for p in sources.all_held_out()}
    skipped: Counter[str] = Counter()
    for rubric in learned.rubrics:
        tainted = any(pid in held for pid in rubric.pair_ids)
        importance = Importance.ESSENTIAL if rubric.kind == "hard_rule" else Importance.IMPORTANT
        target = TargetRubric(rubric.id, rubric.text, rubric.kind, importance.value, None, "learned")
        for pair_id in rubric.pair_ids:
            pair = train.get(pair_id) or held.get(pair_id)
            if pair is None:
                skipped["learned: pair not in the given sources"] += 1
                continue
            in_eval = pair_id in held or sources.split.holds_prompt(pair.prompt)
            if tainted and not in_eval:
                skipped["learned: rubric also learned from an evaluation pair"] += 1
                continue
            group = groups.setdefault(normalise_text(pair.prompt), Group(question=pair.prompt))
            group.pair_ids.append(pair_id)
            group.sources.add("learned")
            group.held_out = group.held_out or in_eval
            if pair.category:
                group.categories.add(pair.category)
            group.add(target)
    return skipped


# examples -------------------------------------------------------------------------------------------------------------
def _exclusions(groups: dict[str, Group], kb: KnowledgeBase) -> dict[str, list[str]]:
    """Per group: its queries and the rubrics linked only to them (left out of its neighbours)."""
    all_ids = [q for g in groups.values() for q in g.query_ids]
    linked_by: dict[str, set[str]] = {}
    for query in kb.queries(all_ids).values():
        for rubric_id in query.rubric_ids:
            linked_by.setdefault(rubric_id, set()).add(query.id)
    out = {}
    for key, group in groups.items():
        own = set(group.query_ids)
        only_here = sorted(r for r in group.targets if r in linked_by and linked_by[r] <= own)
        out[key] = sorted(own) + only_here
    return out


def generator_examples(
    kb: KnowledgeBase,
    groups: dict[str, Group],
    *,
    split: str,
    seed: int,
    limit: int | None = None,
    progress: Progress | None = None,
    skipped: Counter[str] | None = None,
) -> Iterator[SftExample]:
    """One example per group of `split` (train | held_out), retrieving neighbours in batches."""
    chosen = {k: g for k, g in sorted(groups.items()) if g.held_out == (split == "held_out")}
    keys = list(chosen)[:limit] if limit is not None else list(chosen)
    exclude = _exclusions({k: chosen[k] for k in keys}, kb)
    cfg = kb.settings.synthesis
    progress = progress or NoProgress()
    skipped = skipped if skipped is not None else Counter()
    progress.start(len(keys), f"generator {split}")
    try:
        with Retriever(kb, record_usage=False) as retriever:
            for start in range(0, len(keys), BATCH):
                batch = keys[start : start + BATCH]
                neighbours = retriever.retrieve_many(
                    [chosen[k].question for k in batch], filters=[SearchFilter(exclude_ids=exclude[k]) for k in batch]
                )
                for key, found in zip(batch, neighbours, strict=True):
                    example = _example(kb, chosen[key], key, found, split, seed, cfg.draft_items)
                    if example is None:
                        skipped["generator: no target fits the item model"] += 1
                    else:
                        yield example
                progress.advance(len(batch))
    finally:
        progress.close()


def _example(
    kb: KnowledgeBase, group: Group, key: str, neighbours: Neighbours, split: str, seed: int, max_items: int
) -> SftExample | None:
    prompt = synthesis_input(kb, group.question, neighbours)
    target = draft_target(group.ordered(), prompt.offered, max_items)
    if target is None:
        return None
    reply, kept, dropped = target
    system, user = prompt.messages
    meta = ExportMeta(
        what="generator",
        split=split,
        source="+".join(sorted(group.sources)),
        item_id=f"g-{content_hash(key)[:16]}",
        pair_id=",".join(group.pair_ids),
        query_ids=list(group.query_ids),
        task_id=group.task_ids[0] if len(group.task_ids) == 1 else "",
        category=next(iter(group.categories)) if len(group.categories) == 1 else "",
        rubric_ids=[t.id for t in kept],
        offered_ids=[r.id for r in prompt.offered],
        deciders=[t.decider for t in kept],
        prompt=load_prompt(*SYNTHESIS_PROMPT).ref,
        output=draft_model(max_items).__name__,
        kb_version=prompt.kb_version,
        dropped=dropped,
        seed=seed,
    )
    return SftExample(system=system.content, user=user.content, assistant=reply, meta=meta)
