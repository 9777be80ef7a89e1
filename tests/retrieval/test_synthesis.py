"""Rubric-set synthesis: parsing, source mapping, checks, fallback, merging, size cap, cache, hit counting,
pruning; a scripted transport for control flow and one real SmolLM2 call for the structured-output path."""

from __future__ import annotations

import asyncio
import json

import pytest

from kb.llm.client import LLMClient
from kb.llm.transport import ScriptedTransport
from kb.records import ChoiceCheck, NumericCheck, QueryRecord, RewardBasisCheck, RubricRecord, ToolCallCheck
from kb.settings import LLMSettings, Settings, SynthesisSettings
from kb.store import KnowledgeBase
from kb.usage import UsageDelta
from retrieval.cache_keys import rubric_set_key
from retrieval.neighbours import Neighbours, QueryNeighbour, RubricNeighbour
from retrieval.rubric_set import ItemOrigin, PruneReason, RubricItem, SynthesisErrorKind
from retrieval.synthesis import abuild_rubric_set, build_rubric_set, ranked_rubrics, validate_items
from retrieval.synthesis.build import offered_rubrics, synthesis_messages

QUESTION = "I ran out of data on line 555-123-2002 and need more right now."

RECORDS = [
    QueryRecord(
        id="q-refuel",
        text="I've used up my data for this month and need more now.",
        tags=["billing"],
        rubrics=[
            RubricRecord(
                id="r-refuel-limit",
                kind="hard_rule",
                importance="essential",
                text="The agent refuels at most the plan's maximum amount and states the charge.",
            ),
            RubricRecord(
                id="r-refuel-call",
                kind="tool_call",
                importance="essential",
                text="The agent calls refuel_data for the customer's line after confirmation.",
                check=ToolCallCheck(name="refuel_data", arguments={"gb": 2.0}, compare_args=["gb"]),
            ),
            RubricRecord(
                id="r-polite", kind="principle", importance="optional", text="The agent stays polite and concise."
            ),
        ],
    ),
    RubricRecord(
        id="r-identity",
        kind="hard_rule",
        importance="essential",
        status="approved",
        text="The agent identifies the customer before changing any account data.",
    ),
]


def _item(text: str, kind: str = "principle", importance: str = "important", sources: list[int] | None = None):
    return {"text": text, "kind": kind, "importance": importance, "sources": sources or []}


def _reply(*items: dict) -> str:
    return json.dumps({"items": list(items)})


@pytest.fixture
def refuel_kb(kb: KnowledgeBase) -> KnowledgeBase:
    kb.apply(RECORDS)
    return kb


def _neighbours(kb: KnowledgeBase) -> Neighbours:
    query = kb.queries(["q-refuel"])["q-refuel"]
    linked = kb.rubrics(query.rubric_ids)
    identity = kb.rubrics(["r-identity"])["r-identity"]
    return Neighbours(
        question=QUESTION,
        reranker="test",
        kb_version=kb.version(),
        queries=[QueryNeighbour(query=query, score=0.9, fused=0.03, rubrics=[linked[i] for i in query.rubric_ids])],
        rubrics=[RubricNeighbour(rubric=identity, score=0.8, fused=0.02)],
    )


def _client(kb: KnowledgeBase, transport: ScriptedTransport) -> LLMClient:
    return LLMClient(kb.settings.llm.model_copy(update={"max_retries": 0}), transport, seed=0)


def _build(kb: KnowledgeBase, *replies: object, **kwargs: object):
    transport = ScriptedTransport(*replies)
    result = build_rubric_set(kb, _client(kb, transport), QUESTION, neighbours=_neighbours(kb), **kwargs)
    return result, transport


def test_neighbour_rubrics_are_interleaved_by_rank(refuel_kb: KnowledgeBase) -> None:
    ids = [r.id for r in ranked_rubrics(_neighbours(refuel_kb))]
    assert ids == ["r-identity", "r-refuel-limit", "r-refuel-call", "r-polite"]


def test_bookkeeping_and_other_questions_answer_keys_are_never_offered_to_the_generator(
    refuel_kb: KnowledgeBase,
) -> None:
    refuel_kb.apply(
        [
            RubricRecord(
                id="r-basis",
                kind="hard_rule",
                text="The reward is ENV_ASSERTION.",
                check=RewardBasisCheck(basis=["ENV_ASSERTION"]),
            ),
            RubricRecord(
                id="r-option",
                kind="hard_rule",
                text='The response selects option 2 ("2 GB")',
                check=ChoiceCheck(answer=2, options=["1 GB", "2 GB"]),
            ),
            RubricRecord(id="r-number", kind="hard_rule", text="The answer is 2 GB.", check=NumericCheck(value=2.0)),
        ]
    )
    neighbours = _neighbours(refuel_kb)
    unofferable = refuel_kb.rubrics(["r-basis", "r-option", "r-number"]).values()
    first = [RubricNeighbour(rubric=r, score=0.95, fused=0.03) for r in unofferable]
    offered = ranked_rubrics(neighbours.model_copy(update={"rubrics": [*first, *neighbours.rubrics]}))
    assert sorted(r.id for r in offered) == sorted(r.id for r in ranked_rubrics(neighbours))  # the same four


def test_reply_maps_source_numbers_to_kb_ids_and_carries_the_one_check(refuel_kb: KnowledgeBase) -> None:
    reply = _reply(
        _item("The agent confirms the customer's identity first.", "hard_rule", "essential", [1]),
        _item("The agent calls refuel_data only after the customer agrees.", "tool_call", "essential", [3, 9]),
        _item("The agent explains what the refuel costs.", "principle", "important", [2, 3]),
    )
    result, transport = _build(refuel_kb, reply)
    assert not result.fallback and result.error is None and not result.cached
    assert [i.derived_from for i in result.items] == [
        ("r-identity",),
        ("r-refuel-call",),
        ("r-refuel-limit", "r-refuel-call"),
    ]
    assert all(i.origin is ItemOrigin.SYNTHESISED and i.id.startswith("s-") for i in result.items)
    # the neighbour's 2.0 GB is not in this request: the carried check compares the tool name only
    assert result.items[1].check == ToolCallCheck(name="refuel_data", arguments={}, compare_args=[])
    assert result.items[0].check is None and result.items[2].check is None  # no check / a principle
    assert [i.weight for i in result.items] == [1.0, 1.0, 0.6]
    assert result.offered == ("r-identity", "r-refuel-limit", "r-refuel-call", "r-polite")
    assert result.prompt == "retrieval.synthesis@4" and result.usage is not None

    request = transport.requests[0]
    assert request.schema_name == "RubricDraft" and request.json_schema["properties"]["items"]["maxItems"] == 8
    assert request.max_tokens == refuel_kb.settings.synthesis.max_tokens
    user = request.messages[1].content
    assert QUESTION in user and "3. [tool_call, essential, tool refuel_data] The agent calls refuel_data" in user


def test_a_check_is_not_carried_to_an_item_unlike_its_checked_source(refuel_kb: KnowledgeBase) -> None:
    reply = _reply(
        _item("The agent asks the user to turn off Wi-Fi calling when MMS fails.", "tool_call", "important", [3])
    )
    result, _ = _build(refuel_kb, reply)
    assert result.items[0].derived_from == ("r-refuel-call",) and result.items[0].check is None


@pytest.mark.parametrize(
    ("replies", "kind"),
    [
        (("not json", "still not json"), SynthesisErrorKind.PARSE),
        ((TimeoutError(),), SynthesisErrorKind.TIMEOUT),
        ((_reply(_item("            ")),), SynthesisErrorKind.EMPTY),
    ],
)
def test_a_failed_generator_falls_back_to_retrieved_rubrics_and_is_not_cached(
    refuel_kb: KnowledgeBase, replies: tuple, kind: SynthesisErrorKind
) -> None:
    result, _ = _build(refuel_kb, *replies)
    assert result.fallback and result.error is not None and result.error.kind is kind
    assert [i.id for i in result.items] == ["r-identity", "r-refuel-limit", "r-refuel-call", "r-polite"]
    assert all(i.origin is ItemOrigin.RETRIEVED for i in result.items)
    assert result.items[2].check is not None and result.items[2].derived_from == ("r-refuel-call",)
    again, transport = _build(refuel_kb, _reply(_item("The agent is kind to the customer.")))
    assert not again.fallback and not again.cached and len(transport.requests) == 1


def test_near_duplicates_merge_into_the_more_important_item_but_pitfalls_stay_apart(
    refuel_kb: KnowledgeBase,
) -> None:
    reply = _reply(
        _item("The agent states the refuel charge before applying it.", "hard_rule", "important", [2]),
        _item("The agent states the refuel charge before applying the refuel.", "hard_rule", "essential", [3]),
        _item("The agent states the refuel charge before applying it.", "hard_rule", "pitfall", []),
    )
    result, _ = _build(refuel_kb, reply)
    assert result.merged == 1 and len(result.items) == 2
    kept = result.items[0]
    assert kept.importance == "essential" and kept.derived_from == ("r-refuel-call", "r-refuel-limit")
    assert result.items[1].importance == "pitfall"


def test_the_reply_is_capped_by_coding_rate_and_the_fallback_by_rank(refuel_kb: KnowledgeBase) -> None:
    refuel_kb.settings.synthesis.max_items, refuel_kb.settings.synthesis.draft_items = 2, 4
    texts = [
        "The agent checks the customer's data usage first.",
        "The agent checks the data usage of the line.",
        "The agent says goodbye politely.",
        "The agent asks whether airplane mode is on.",
    ]
    result, transport = _build(refuel_kb, _reply(*(_item(t) for t in texts)))
    assert transport.requests[0].json_schema["properties"]["items"]["maxItems"] == 4
    assert "Write at most 4 rubrics" in transport.requests[0].messages[1].content
    assert len(result.items) == 2 and result.dropped + result.merged == 2
    assert len({i.text for i in result.items} & set(texts[:2])) <= 1  # the two near-copies are not both kept

    fallback, _ = _build(refuel_kb, TimeoutError(), use_cache=False)
    assert fallback.fallback and [i.id for i in fallback.items] == ["r-identity", "r-refuel-limit"]
    assert fallback.dropped == 2


def test_validation_merges_then_selects_diverse_items(embedder) -> None:  # noqa: ANN001
    texts = [
        "The agent checks the customer's data usage first.",
        "The agent checks the data usage of the line.",
        "The agent says goodbye politely.",
        "The agent asks whether airplane mode is on.",
    ]
    items = [
        RubricItem(
            id=f"s-{n}", text=t, kind="principle", importance="important", weight=0.6, origin=ItemOrigin.SYNTHESISED
        )
        for n, t in enumerate(texts)
    ]
    cfg = SynthesisSettings(max_items=2, merge_similarity=0.99)
    first = validate_items(items, embedder, cfg, seed=0)
    assert len(first.items) == 2 and first.dropped == 2 and first.merged == 0
    assert len({i.id for i in first.items} & {"s-0", "s-1"}) <= 1  # the two near-copies are not both kept
    assert validate_items(items, embedder, cfg, seed=0) == first  # deterministic
    plain = validate_items(items, embedder, cfg.model_copy(update={"diversity": False}), seed=0)
    assert [i.id for i in plain.items] == ["s-0", "s-1"]


def test_cache_hit_skips_the_generator_until_the_kb_changes(refuel_kb: KnowledgeBase) -> None:
    reply = _reply(_item("The agent confirms the customer's identity first.", "hard_rule", "essential", [1]))
    first, _ = _build(refuel_kb, reply)
    second, transport = _build(refuel_kb)  # no scripted reply: a generator call would fail the test
    assert second.cached and not transport.requests
    assert second.items == first.items and second.cache_key == first.cache_key and second.usage is None

    bypass, transport = _build(refuel_kb, reply, use_cache=False)
    assert not bypass.cached and len(transport.requests) == 1

    refuel_kb.apply([RubricRecord(id="r-new", kind="principle", text="The agent summarises the next steps.")])
    after, transport = _build(refuel_kb, reply)
    assert not after.cached and after.cache_key != first.cache_key and len(transport.requests) == 1


def test_use_is_counted_for_each_source_rubric_also_on_cache_hits(refuel_kb: KnowledgeBase) -> None:
    reply = _reply(
        _item("The agent confirms the customer's identity first.", "hard_rule", "essential", [1, 2]),
        _item("The agent is brief and polite.", "principle", "optional", [4]),
    )
    _build(refuel_kb, reply)
    _build(refuel_kb)
    _build(refuel_kb, record_usage=False)
    stats = refuel_kb.usage_of(["r-identity", "r-refuel-limit", "r-polite", "r-refuel-call"])
    assert {k: s.used for k, s in stats.items()} == {
        "r-identity": 2,
        "r-refuel-limit": 2,
        "r-polite": 2,
        "r-refuel-call": 0,
    }


def test_pruned_rubrics_are_reported_and_never_offered(refuel_kb: KnowledgeBase) -> None:
    refuel_kb.settings.pruning.warmup_uses = 5
    refuel_kb.record_usage(
        UsageDelta(retrieval_events=10, retrieved={"r-polite": 9, "r-identity": 5}, met={"r-identity": 1})
    )
    refuel_kb.settings.pruning.min_verdicts = 1  # r-identity: met by 1 of 1
    result, transport = _build(refuel_kb, _reply(_item("The agent answers the question asked.", sources=[1])))
    assert {(p.rubric_id, p.reason) for p in result.pruned} == {
        ("r-polite", PruneReason.TOO_COMMON),
        ("r-identity", PruneReason.ALWAYS_MET),
    }
    assert result.offered == ("r-refuel-limit", "r-refuel-call")
    assert "stays polite" not in transport.requests[0].messages[1].content
    assert result.items[0].derived_from == ("r-refuel-limit",)


def test_synthesis_messages_are_what_the_generator_call_sends(refuel_kb: KnowledgeBase) -> None:
    refuel_kb.settings.pruning.warmup_uses = 5  # r-polite pruned: the offered list is the pruned, capped one
    refuel_kb.record_usage(UsageDelta(retrieval_events=10, retrieved={"r-polite": 9}))
    offered, pruned = offered_rubrics(refuel_kb, _neighbours(refuel_kb))  # before the build records usage
    result, transport = _build(refuel_kb, _reply(_item("The agent answers the question asked.", sources=[1])))
    assert tuple(r.id for r in offered) == result.offered and tuple(pruned) == result.pruned
    assert [p.rubric_id for p in pruned] == ["r-polite"]
    expected = synthesis_messages(QUESTION, offered, max_items=refuel_kb.settings.synthesis.draft_items)
    assert list(transport.requests[0].messages) == list(expected)


def test_the_callers_pruning_settings_win_over_the_kbs(refuel_kb: KnowledgeBase) -> None:
    refuel_kb.settings.pruning.warmup_uses = 5
    refuel_kb.record_usage(UsageDelta(retrieval_events=10, retrieved={"r-polite": 9}))
    never = refuel_kb.settings.model_copy(
        update={"pruning": refuel_kb.settings.pruning.model_copy(update={"warmup_uses": 10**9})}
    )
    assert [p.rubric_id for p in offered_rubrics(refuel_kb, _neighbours(refuel_kb))[1]] == ["r-polite"]
    offered, pruned = offered_rubrics(refuel_kb, _neighbours(refuel_kb), never)
    assert pruned == [] and "r-polite" in [r.id for r in offered]
    result, _ = _build(refuel_kb, _reply(_item("The agent answers the question asked.", sources=[1])), settings=never)
    assert result.pruned == () and "r-polite" in result.offered


def test_real_smollm2_follows_the_draft_schema(refuel_kb: KnowledgeBase, smollm2_llm: LLMSettings) -> None:
    refuel_kb.settings.synthesis.max_tokens, refuel_kb.settings.synthesis.draft_items = 400, 3
    client = LLMClient.from_settings(Settings(llm=smollm2_llm, data_dir=refuel_kb.settings.data_dir))

    async def run():
        try:
            return await abuild_rubric_set(refuel_kb, client, QUESTION, neighbours=_neighbours(refuel_kb))
        finally:
            await client.aclose()

    result = asyncio.run(run())
    assert result.generator == smollm2_llm.model and result.items
    if result.fallback:  # SmolLM2 is tiny; a reported fallback is fine, but the LLM path must have run
        assert result.error is not None and result.error.kind in {
            SynthesisErrorKind.PARSE,
            SynthesisErrorKind.TRUNCATED,
            SynthesisErrorKind.EMPTY,
        }
    else:
        assert result.usage is not None and result.usage.output_tokens > 0
        assert all(set(i.derived_from) <= set(result.offered) for i in result.items)


def test_the_cache_key_names_every_input_that_shapes_the_set() -> None:
    base = {
        "kb_version": 3,
        "model": "m",
        "prompt": "retrieval.synthesis@2",
        "settings": SynthesisSettings(),
        "offered": ["a", "b"],
        "embedder": "e",
        "seed": 0,
    }
    key = rubric_set_key("Why can't I send MMS?", **base)
    assert rubric_set_key("  why can't I send  mms? ", **base) == key  # normalised question
    assert rubric_set_key("Why can't I send MMS?", **{**base, "settings": SynthesisSettings(cache=False)}) == key
    for change in (
        {"kb_version": 4},
        {"model": "n"},
        {"prompt": "retrieval.synthesis@4"},
        {"offered": ["b", "a"]},
        {"settings": SynthesisSettings(max_items=3)},
        {"embedder": "f"},
        {"seed": 1},
    ):
        assert rubric_set_key("Why can't I send MMS?", **{**base, **change}) != key, change


class _ZeroEmbedder:
    model_id, dimension = "zero", 3

    def embed(self, texts):  # noqa: ANN001, ANN201
        import numpy as np

        return np.zeros((len(texts), 3), dtype=np.float32)


def test_validation_raises_on_zero_vectors_instead_of_merging_everything() -> None:
    items = [
        RubricItem(
            id=f"s-{n}",
            text=f"The agent does thing {n}.",
            kind="principle",
            importance="important",
            weight=0.6,
            origin=ItemOrigin.SYNTHESISED,
        )
        for n in range(2)
    ]
    with pytest.raises(ValueError, match="zero"):
        validate_items(items, _ZeroEmbedder(), SynthesisSettings(), seed=0)


def test_a_fix_step_keeps_a_cause_from_its_sources_or_from_its_own_text(refuel_kb: KnowledgeBase) -> None:
    from retrieval.synthesis.draft import DraftItem, items_from_draft

    views = refuel_kb.rubrics(["r-refuel-call", "r-polite"])
    conditional = views["r-refuel-call"].model_copy(update={"condition": "the line has used all its data"})
    offered = [conditional, views["r-polite"]]

    def draft(text: str, kind: str, sources: list[int], condition: str | None = None) -> DraftItem:
        return DraftItem(text=text, kind=kind, importance="important", sources=sources, condition=condition)

    mixed, principle, echoed, own, leading = items_from_draft(
        [
            draft("The agent refuels data politely.", "tool_call", [1, 2]),  # one conditional source of two
            draft("The agent is polite while refuelling.", "principle", [1, 2]),
            draft("The agent refuels data (only if: the customer asks for more data).", "tool_call", []),
            draft("The agent refuels data.", "tool_call", [1], condition="the customer agrees to the charge"),
            draft("If the user is abroad and roaming is off, the agent enables roaming.", "tool_call", []),
        ],
        offered,
    )
    assert leading.condition == "the user is abroad and roaming is off"
    assert leading.text == "If the user is abroad and roaming is off, the agent enables roaming."
    assert mixed.condition == "the line has used all its data"  # a tool call built on a fix step stays conditional
    assert principle.condition is None  # a principle is conditional only when every source is
    assert (echoed.text, echoed.condition) == ("The agent refuels data", "the customer asks for more data")
    assert own.condition == "the customer agrees to the charge"  # the generator's own condition wins
