"""Generator examples from a small real KB (SQLite + milvus-lite in tmp_path, the packaged embedder): the input is
exactly the synthesis prompt inference sends, the request's own queries never reach its references, and targets
are approved KB rubrics and learned rubrics only, as `RubricDraft` JSON."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from judge.export import EvaluationSplit, ExportError, PairSources, synthesis_input
from judge.export.generator import add_learned, generator_examples, kb_groups
from judge.learning import LearnedRubric, LearnedSet
from judge.pairs import PreferencePair
from kb import (
    KnowledgeBase,
    LLMClient,
    QueryRecord,
    RewardBasisCheck,
    RubricRecord,
    ScriptedTransport,
    SearchFilter,
    normalise_text,
)
from retrieval import Retriever, abuild_rubric_set, draft_model

MMS = "I can't send picture messages (MMS) from my phone, but texts work."
ROAM = "My mobile data stopped working while I am travelling abroad in France."


def _r(id_: str, text: str, kind: str = "principle", status: str = "approved", **kw: object) -> RubricRecord:
    return RubricRecord(id=id_, text=text, kind=kind, status=status, **kw)


APN = _r("r-mms-apn", "The agent checks the MMSC URL in the phone's APN settings.")
RECORDS = [
    QueryRecord(
        id="q-mms",
        text=MMS,
        tags=["mms"],
        rubrics=[
            _r(
                "r-mms-wifi",
                "If Wi-Fi calling is on, the agent has the user turn Wi-Fi calling off.",
                kind="tool_call",
                condition="Wi-Fi calling is on",
            ),
            APN,
            _r("r-mms-old", "The agent tells the user to buy a new phone.", status="retired"),
            _r("r-mms-draft", "The agent asks which messaging app the user has.", status="draft"),
            _r(
                "r-mms-basis",
                "The reward for this task is ENV_ASSERTION as τ²-bench computes it.",
                kind="hard_rule",
                check=RewardBasisCheck(basis=["ENV_ASSERTION"]),
            ),
        ],
    ),
    QueryRecord(  # the same request, worded with other spacing and case: one group with q-mms
        id="q-mms-dup",
        text="I can't send picture messages (MMS) from my phone,   but TEXTS work.",
        tags=["mms"],
        rubrics=[APN, _r("r-mms-own", "The agent confirms that plain SMS still works on the line.")],
    ),
    QueryRecord(
        id="q-mms-near",
        text="I cannot send picture messages (MMS) from my phone, though texts work.",
        tags=["mms"],
        rubrics=[APN, _r("r-mms-restart", "The agent has the user restart the phone after changing the APN.")],
    ),
    QueryRecord(
        id="q-roam",
        text=ROAM,
        tags=["roaming"],
        rubrics=[_r("r-roam", "The agent checks that roaming is enabled on the customer's line.", kind="tool_call")],
    ),
    QueryRecord(
        id="q-bill",
        text="Why is my bill so high this month? I was charged twice.",
        rubrics=[_r("r-bill-draft", "The agent explains each charge on the bill.", status="draft")],
    ),
    _r("s-verify", "The agent verifies the customer's identity before changing the account.", kind="hard_rule"),
    _r("s-polite", "The agent stays polite and apologises for the inconvenience."),
]
NO_SPLIT = EvaluationSplit(seed=0, sources=("teleqna", "tau2"))


@pytest.fixture
def small_kb(kb: KnowledgeBase) -> KnowledgeBase:
    kb.apply(RECORDS)
    return kb


def _examples(kb: KnowledgeBase, groups: dict, split: str = "train") -> dict[tuple[str, ...], object]:
    return {tuple(e.meta.query_ids): e for e in generator_examples(kb, groups, split=split, seed=0)}


def test_groups_hold_approved_targets_of_every_query_with_the_same_text(small_kb: KnowledgeBase) -> None:
    groups = kb_groups(small_kb, NO_SPLIT)
    mms = groups[normalise_text(MMS)]
    assert sorted(mms.query_ids) == ["q-mms", "q-mms-dup"]
    # linked twice first, then link order; retired, draft and reward-basis rubrics are never targets
    assert [t.id for t in mms.ordered()] == ["r-mms-apn", "r-mms-wifi", "r-mms-own"]
    assert normalise_text("Why is my bill so high this month? I was charged twice.") not in groups  # drafts only
    assert not any(g.held_out for g in groups.values())


def test_input_is_the_synthesis_prompt_inference_sends(small_kb: KnowledgeBase) -> None:
    examples = _examples(small_kb, kb_groups(small_kb, NO_SPLIT))
    example = examples[("q-mms", "q-mms-dup")]
    own = SearchFilter(exclude_ids=["q-mms", "q-mms-dup", "r-mms-own"])  # the group's queries, rubrics only they link
    with Retriever(small_kb, record_usage=False) as retriever:
        neighbours = retriever.retrieve(MMS, filters=own)
    prompt = synthesis_input(small_kb, MMS, neighbours)
    assert (prompt.messages[0].content, prompt.messages[1].content) == (example.system, example.user)
    assert example.meta.offered_ids == [r.id for r in prompt.offered]

    # The real synthesis call sends the same two messages, and our target passes its parser as a non-fallback set.
    transport = ScriptedTransport(example.assistant)
    client = LLMClient(small_kb.settings.llm, transport)
    result = asyncio.run(
        abuild_rubric_set(small_kb, client, MMS, neighbours=neighbours, use_cache=False, record_usage=False)
    )
    sent = transport.requests[0]
    assert [m.content for m in sent.messages] == [example.system, example.user]
    assert sent.schema_name == example.meta.output == "RubricDraft"
    assert not result.fallback and result.prompt == example.meta.prompt == "retrieval.synthesis@4"


def test_targets_are_draft_json_that_names_listed_references(small_kb: KnowledgeBase) -> None:
    example = _examples(small_kb, kb_groups(small_kb, NO_SPLIT))[("q-mms", "q-mms-dup")]
    offered = example.meta.offered_ids
    assert "r-mms-own" not in offered  # linked only to the request's own queries: no target leakage
    assert "r-mms-apn" in offered  # reached through the near-duplicate query, a legitimate neighbour
    draft = draft_model(small_kb.settings.synthesis.draft_items).model_validate_json(example.assistant)
    by_text = {i.text: i for i in draft.items}
    apn = by_text[APN.text]
    assert apn.sources == [offered.index("r-mms-apn") + 1] and apn.kind == "principle"
    wifi = by_text["If Wi-Fi calling is on, the agent has the user turn Wi-Fi calling off."]
    assert wifi.condition == "Wi-Fi calling is on" and wifi.kind == "tool_call"
    assert example.meta.rubric_ids == ["r-mms-apn", "r-mms-wifi", "r-mms-own"]
    assert example.meta.deciders == ["kb-approved"] * 3 and example.meta.what == "generator"
    assert json.loads(example.assistant) == draft.model_dump()  # compact JSON of the output model, nothing else


def test_learned_rubrics_become_targets_unless_learned_from_an_evaluation_pair(small_kb: KnowledgeBase) -> None:
    train = PreferencePair(id="p-train", prompt=ROAM, chosen="Enable roaming.", rejected="Buy a phone.")
    held = PreferencePair(id="p-eval", prompt="Roaming fails in Spain.", chosen="a", rejected="b")
    split = NO_SPLIT.model_copy(update={"prompts": frozenset({normalise_text(held.prompt)})})
    sources = PairSources(seed=0, split=split, train={"pairs": [train]}, held_out={"pairs": [held]})

    def learned(id_: str, text: str, pair_ids: tuple[str, ...]) -> LearnedRubric:
        return LearnedRubric(id=id_, text=text, kind="principle", theme="roaming", gain=1.0, pair_ids=pair_ids, round=1)

    learned_set = LearnedSet(
        rubrics=(
            learned("l-clean", "The response names the roaming setting on the phone and on the line.", ("p-train",)),
            learned("l-tainted", "The response warns about roaming charges abroad.", ("p-train", "p-eval")),
            learned("l-unknown", "The response stays short.", ("p-elsewhere",)),
        ),
        themes=(),
        pool=3,
        pairs=3,
        converged=3,
        model="m",
        prompts=("learn.contrastive@1",),
        seed=0,
        batch=4,
        patience=2,
        min_gain=0.5,
    )
    groups = kb_groups(small_kb, split)
    skipped = add_learned(groups, learned_set, sources)
    assert skipped == Counter(
        {"learned: rubric also learned from an evaluation pair": 1, "learned: pair not in the given sources": 1}
    )
    roam = groups[normalise_text(ROAM)]
    assert [t.id for t in roam.ordered()] == ["r-roam", "l-clean"] and not roam.held_out
    assert groups[normalise_text(held.prompt)].held_out  # the evaluation pair's prompt: held out only

    train_rows = _examples(small_kb, groups)
    row = next(e for e in train_rows.values() if "p-train" in e.meta.pair_id)
    assert row.meta.deciders == ["kb-approved", "learned"] and row.meta.source == "kb:expert+learned"
    held_rows = list(generator_examples(small_kb, groups, split="held_out", seed=0))
    assert [r.meta.pair_id for r in held_rows] == ["p-eval"] and held_rows[0].meta.split == "held_out"
    assert not any("p-eval" in e.meta.pair_id for e in train_rows.values())


def test_a_dataset_source_without_its_split_is_refused(kb: KnowledgeBase) -> None:
    kb.apply([QueryRecord(id="teleqna-q1", text="What does MMSC stand for?", source="teleqna", rubrics=[APN])])
    with pytest.raises(ExportError, match="--pairs teleqna:ZIP"):
        kb_groups(kb, EvaluationSplit(seed=0, sources=("tau2",)))
