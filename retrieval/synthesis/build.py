"""`build_rubric_set`: neighbours → pruning → cache → generator (or fallback) → validation → usage counts.

The generator writes up to `draft_items`; near-duplicates merge and coding rate keeps `max_items`. A failed
call falls back to the offered KB rubrics in rank order (merged, the first `max_items`), reported as such.

Pruning runs on the KB rubrics before they reach the generator, so the generator never sees noise or
generic rubrics and every item's `derived_from` names kept rubrics only. The cache key includes the ids
offered to the generator, so a change in retrieval or pruning makes a new key; `pruned` is always
computed from the current statistics, also on a cache hit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from kb import (
    ChatMessage,
    KnowledgeBase,
    LLMClient,
    LLMReply,
    RubricStatus,
    RubricView,
    Settings,
    UsageDelta,
    is_answer_key,
    load_prompt,
)
from retrieval.cache_keys import RUBRIC_SET_NAMESPACE, rubric_set_key
from retrieval.identifiers import generalise, scrub_check
from retrieval.neighbours import Neighbours
from retrieval.prune import prune
from retrieval.rubric_set import PrunedRubric, RubricItem, RubricSet, SynthesisError, SynthesisErrorKind
from retrieval.synthesis.draft import draft_model, item_from_view, items_from_draft, listed_rubrics
from retrieval.synthesis.validate import validate_items, verify_checks

logger = logging.getLogger(__name__)

PROMPT = ("retrieval", "synthesis.rubrics")


def ranked_rubrics(
    neighbours: Neighbours, *, min_query_similarity: float = -1.0, min_rubric_similarity: float = -1.0
) -> list[RubricView]:
    """Neighbour rubrics interleaved by rank (standalone i, then query i's rubrics), once each, not retired.

    Neighbours below their relevance floor (cosine with the request) are left out. Never offered: reward-basis
    rubrics (how τ² combines components: bookkeeping for verifiers, not criteria) and answer keys (another
    question's option or number; the request's own, when it is a KB query, is checked by the verifiers).
    """
    keyed: list[tuple[int, int, RubricView]] = [
        (i, -1, r.rubric) for i, r in enumerate(neighbours.rubrics) if _above(r.similarity, min_rubric_similarity)
    ]
    keyed += [
        (i, j, r)
        for i, q in enumerate(neighbours.queries)
        if _above(q.similarity, min_query_similarity)
        for j, r in enumerate(q.rubrics)
    ]
    seen: dict[str, RubricView] = {}
    for _, _, rubric in sorted(keyed, key=lambda t: (t[0], t[1])):
        bookkeeping = rubric.check is not None and rubric.check.type == "reward_basis"
        offered = not (bookkeeping or is_answer_key(rubric.check))
        if rubric.status != RubricStatus.RETIRED and offered and rubric.id not in seen:
            seen[rubric.id] = rubric
    return list(seen.values())


def offered_rubrics(
    kb: KnowledgeBase, neighbours: Neighbours, settings: Settings | None = None
) -> tuple[list[RubricView], list[PrunedRubric]]:
    """The KB rubrics the generator is offered for these neighbours, in prompt order, and those pruning removed.

    Neighbours are ranked by `ranked_rubrics` under the relevance floors, pruned by their usage statistics and
    recorded analyses (synchronous SQL reads: call it in a worker thread from async code) and capped at
    `max_neighbours`. `settings`: whose synthesis and pruning settings apply (default: the KB's).
    """
    settings = settings or kb.settings
    cfg = settings.synthesis
    candidates = ranked_rubrics(
        neighbours, min_query_similarity=cfg.min_query_similarity, min_rubric_similarity=cfg.min_rubric_similarity
    )
    ids = [r.id for r in candidates]
    kept, pruned = prune(candidates, kb.usage_of(ids), settings.pruning, kb.evidence_of(ids))
    return kept[: cfg.max_neighbours], pruned


def synthesis_messages(
    question: str, offered: Sequence[RubricView], *, max_items: int
) -> tuple[ChatMessage, ChatMessage]:
    """The exact messages the synthesis call sends for `question` and its offered rubrics (`offered_rubrics`):
    the prompt rendered from the variables `abuild_rubric_set` gives the client, as the client renders them."""
    return load_prompt(*PROMPT).render(**_variables(question, offered, max_items))


def _variables(question: str, offered: Sequence[RubricView], max_items: int) -> dict[str, object]:
    return {"question": question, "rubrics": listed_rubrics(offered), "max_items": max_items}


async def abuild_rubric_set(
    kb: KnowledgeBase,
    client: LLMClient,
    question: str,
    *,
    neighbours: Neighbours | None = None,
    use_cache: bool = True,
    record_usage: bool = True,
    settings: Settings | None = None,
) -> RubricSet:
    """The rubric set for `question`: synthesised from its (pruned) neighbours, or a reported fallback.

    Args:
        neighbours: from `retrieval.retrieve`; None = retrieve here.
        use_cache: read the SQL cache (a successful synthesis is written whenever `synthesis.cache` is on).
        record_usage: count each KB rubric in the set's `derived_from` as used once.
        settings: whose synthesis, pruning and seed apply (default: the KB's; a reward passes its own).

    Raises:
        Exception: whatever the embedder raises (merging and diversity need real vectors).
    """
    settings = settings or kb.settings
    cfg = settings.synthesis
    if neighbours is None:
        neighbours = await asyncio.to_thread(_retrieve, kb, question)
    offered, pruned = await asyncio.to_thread(offered_rubrics, kb, neighbours, settings)  # SQL reads off the loop
    prompt = load_prompt(*PROMPT)
    key = rubric_set_key(
        question,
        kb_version=neighbours.kb_version,
        model=client.model,
        prompt=prompt.ref,
        settings=cfg,
        offered=[r.id for r in offered],
        embedder=kb.embedder.model_id,
        seed=settings.seed,
    )
    base = {
        "question": question,
        "offered": tuple(r.id for r in offered),
        "pruned": tuple(pruned),
        "generator": client.model,
        "prompt": prompt.ref,
        "kb_version": neighbours.kb_version,
        "cache_key": key,
    }

    cached = await asyncio.to_thread(kb.cache_get, key) if use_cache and cfg.cache else None
    if cached is not None:
        result = RubricSet.model_validate_json(cached)
        items = tuple(scrub_items(result.items, question))  # sets cached before a scrubbing rule was added
        result = result.model_copy(update={**base, "items": items, "cached": True, "usage": None})
        logger.info("rubric set %s from cache (%d items)", key[:12], len(result.items))
    else:
        output = draft_model(cfg.draft_items)
        reply: LLMReply = await client.acomplete(
            prompt,
            output,
            _variables(question, offered, cfg.draft_items),  # what `synthesis_messages` renders
            max_tokens=cfg.max_tokens,
        )
        result = _from_reply(kb, settings, reply, offered, base)
        if not result.fallback and cfg.cache:
            await asyncio.to_thread(kb.cache_put, key, RUBRIC_SET_NAMESPACE, result.model_dump_json())
    if record_usage:
        await asyncio.to_thread(_record_use, kb, result.items)
    return result


def build_rubric_set(
    kb: KnowledgeBase,
    client: LLMClient,
    question: str,
    *,
    neighbours: Neighbours | None = None,
    use_cache: bool = True,
    record_usage: bool = True,
    settings: Settings | None = None,
) -> RubricSet:
    """Sync facade of `abuild_rubric_set`; not for use inside a running event loop."""
    return asyncio.run(
        abuild_rubric_set(
            kb,
            client,
            question,
            neighbours=neighbours,
            use_cache=use_cache,
            record_usage=record_usage,
            settings=settings,
        )
    )


def _from_reply(
    kb: KnowledgeBase, settings: Settings, reply: LLMReply, offered: Sequence[RubricView], base: dict
) -> RubricSet:
    cfg, seed = settings.synthesis, settings.seed
    error: SynthesisError | None = None
    if reply.error is not None:
        error = SynthesisError(kind=SynthesisErrorKind(reply.error.kind.value), message=reply.error.message)
    else:
        items = verify_checks(
            items_from_draft(reply.value.items, offered), {r.id: r for r in offered}, kb.embedder, cfg.check_similarity
        )
        items = scrub_items(items, base["question"])
        validated = validate_items(items, kb.embedder, cfg, seed)
        if validated.items:
            return RubricSet(
                items=validated.items, merged=validated.merged, dropped=validated.dropped, usage=reply.usage, **base
            )
        error = SynthesisError(kind=SynthesisErrorKind.EMPTY, message="the generator's reply had no usable item")
    logger.warning(
        "synthesis failed (%s: %s); falling back to %d retrieved rubrics", error.kind, error.message, len(offered)
    )
    fallback_items = scrub_items([item_from_view(r) for r in offered], base["question"])
    validated = validate_items(fallback_items, kb.embedder, cfg, seed, ranked=True)
    return RubricSet(
        items=validated.items,
        merged=validated.merged,
        dropped=validated.dropped,
        fallback=True,
        error=error,
        usage=reply.usage,
        **base,
    )


def scrub_items(items: Sequence[RubricItem], question: str) -> list[RubricItem]:
    """Items with identifiers the question does not contain generalised away (text, condition and check)."""
    out = []
    for item in items:
        text = generalise(item.text, question)
        condition = generalise(item.condition, question) if item.condition else None
        check = scrub_check(item.check, question)
        if (text, condition, check) != (item.text, item.condition, item.check):
            logger.info("generalised identifiers out of %s", item.id)
            item = item.model_copy(update={"text": text, "condition": condition, "check": check})
        out.append(item)
    return out


def _above(similarity: float | None, floor: float) -> bool:
    return floor <= -1.0 or similarity is None or similarity >= floor  # None: a hand-built neighbour


def _record_use(kb: KnowledgeBase, items: Sequence[RubricItem]) -> None:
    used = {rubric_id: 1 for item in items for rubric_id in item.derived_from}
    kb.record_usage(UsageDelta(used=used))


def _retrieve(kb: KnowledgeBase, question: str) -> Neighbours:
    from retrieval.retrieve import retrieve  # noqa: PLC0415 (written alongside; imported when first needed)

    return retrieve(kb, question)
