"""Learning rubrics from pairs: the consistency filter, revise rounds, resume after an interruption (scripted
transport for control flow), coding-rate aggregation, and SmolLM2 for the real client path."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from judge.learning import (
    Checkpoint,
    LearnedRubric,
    LearnedSet,
    SpecificityCheck,
    Theme,
    alearn_from_pairs,
    alearn_pair,
    learned_set,
    load_learned,
    records_of,
    select_in_batches,
)
from judge.learning.models import DraftRubric, PairRubrics
from judge.pairs import PreferencePair
from kb import KnowledgeBase, LLMClient, LLMSettings, ScriptedTransport, Settings

PAIR = PreferencePair(
    id="p1",
    prompt="My phone cannot send MMS.",
    chosen="Check the APN MMSC URL, then reboot.",
    rejected="Buy a new phone.",
)
PAIR2 = PreferencePair(
    id="p2", prompt="Mobile data is slow abroad.", chosen="Turn data roaming on.", rejected="Wait until you are home."
)


def _draft(*texts: str) -> str:
    return json.dumps({"rubrics": [{"text": t, "kind": "hard_rule", "theme": "mms settings"} for t in texts]})


def _judge(better: str) -> str:
    return json.dumps({"reason": "because", "better": better})


def _client(transport: ScriptedTransport) -> LLMClient:
    return LLMClient(LLMSettings(concurrency=1), transport, seed=0)


def test_a_set_that_prefers_rejected_is_dropped() -> None:
    # (a, b) picks B (= rejected), (b, a) picks A (= rejected): the set favours rejected in both orders.
    transport = ScriptedTransport(_draft("The response recommends buying a new phone."), _judge("B"), _judge("A"))
    result = asyncio.run(alearn_pair(_client(transport), PAIR, rounds=1))
    assert not result.converged and result.rubrics == () and result.round == 1
    assert result.failed[0][0].text == "The response recommends buying a new phone."
    assert len(transport.requests) == 3


def test_a_judge_fault_ends_the_loop_with_the_error_and_keeps_the_rounds_before_it() -> None:
    transport = ScriptedTransport(
        _draft("The response is polite."),
        _judge("A"),
        _judge("A"),  # round 1: the orders disagree
        _draft("The agent checks the APN MMSC URL."),
        *["not json"] * 4,  # round 2: both orders' replies fail to parse, and again when re-asked
    )
    result = asyncio.run(alearn_pair(_client(transport), PAIR, rounds=3))
    assert not result.converged and result.round == 2 and result.rubrics == ()
    assert result.error is not None and result.error.startswith("parse:")
    assert [r.text for r in result.failed[0]] == ["The response is polite."]
    assert result.reasons[-1].startswith("round 2: judge failed: parse:")


def test_revise_round_sees_the_failed_rubrics_and_converges() -> None:
    transport = ScriptedTransport(
        _draft("The response is polite."),
        _judge("A"),
        _judge("A"),  # position bias: orders disagree
        _draft("The agent checks the APN MMSC URL."),
        _judge("A"),
        _judge("B"),  # chosen in both orders
    )
    result = asyncio.run(alearn_pair(_client(transport), PAIR, rounds=3))
    assert result.converged and result.round == 2
    assert [r.text for r in result.rubrics] == ["The agent checks the APN MMSC URL."]
    revise = transport.requests[3].messages[1].content
    assert "The response is polite." in revise and "position bias" in revise
    assert any(p.startswith("learn.revise@") for p in result.prompts)


def test_resume_after_interruption_adds_no_duplicates(tmp_path: Path, kb: KnowledgeBase) -> None:
    out = tmp_path / "learn"
    first = ScriptedTransport(
        _draft("The agent checks the APN MMSC URL."),
        _judge("A"),
        _judge("B"),
        TimeoutError(),
        TimeoutError(),
        TimeoutError(),
        TimeoutError(),
    )
    client = LLMClient(LLMSettings(concurrency=1, max_retries=0), first, seed=0)
    report = asyncio.run(
        alearn_from_pairs([PAIR, PAIR2], client, kb, out, rounds=1, min_gain=0.0, min_support=0, in_flight=1)
    )
    assert report.ran == 2 and report.failed == 1 and report.converged == 1  # p2 hit timeouts: "killed"
    assert set(Checkpoint(out / "checkpoint.jsonl").load()) == {"p1"}
    with (out / "checkpoint.jsonl").open("a") as fh:
        fh.write('{"pair_id": "p2", "conver')  # a torn line, as a kill mid-write leaves it
    second = ScriptedTransport(_draft("The agent has the user turn data roaming on."), _judge("A"), _judge("B"))
    report = asyncio.run(
        alearn_from_pairs([PAIR, PAIR2], _client(second), kb, out, rounds=1, min_gain=0.0, min_support=0)
    )
    assert report.resumed == 1 and report.ran == 1 and report.converged == 2
    assert len(second.requests) == 3  # p1 was not run again
    learned = load_learned(out)
    assert {r.pair_ids for r in learned.rubrics} == {("p1",), ("p2",)}
    ids = [r.id for r in learned.rubrics]
    views = kb.rubrics(ids)
    assert {v.status for v in views.values()} == {"draft"} and len(views) == 2
    assert all(v.provenance.get("generator") for v in views.values())
    # pair ids and the round live in their own provenance fields, not in dataset_id / section
    assert sorted(tuple(v.provenance["pair_ids"]) for v in views.values()) == [("p1",), ("p2",)]
    assert {v.provenance["round"] for v in views.values()} == {1}
    assert not any("dataset_id" in v.provenance or "section" in v.provenance for v in views.values())
    # a third run finds everything done: no call, no new rubric
    third = ScriptedTransport()
    report = asyncio.run(
        alearn_from_pairs([PAIR, PAIR2], _client(third), kb, out, rounds=1, min_gain=0.0, min_support=0)
    )
    assert report.ran == 0 and report.written == 0 and not third.requests
    assert len(kb.rubrics(ids)) == 2


def test_records_carry_pair_ids_and_round_in_provenance() -> None:
    rubric = LearnedRubric(
        id="r-1",
        text="The agent checks the APN.",
        kind="hard_rule",
        theme="mms",
        gain=1.0,
        pair_ids=("p1", "p9"),
        round=2,
    )
    learned = LearnedSet(
        rubrics=(rubric,),
        themes=(Theme(theme="mms", tips=(rubric.text,), rubric_ids=("r-1",), pair_ids=("p1", "p9")),),
        pool=1,
        pairs=2,
        converged=2,
        model="m",
        prompts=("learn.contrastive@1",),
        seed=0,
        batch=4,
        patience=2,
        min_gain=0.5,
    )
    (record,) = records_of(learned, file="pairs.jsonl")
    p = record.provenance
    assert (p.pair_ids, p.round, p.file, p.generator) == (["p1", "p9"], 2, "pairs.jsonl", "m")
    assert p.dataset_id is None and p.section is None


def test_batches_stop_after_patience_low_gain_batches() -> None:
    rng = np.random.default_rng(0)
    distinct = np.eye(8)[:4]
    repeats = np.repeat(distinct[:1], 8, axis=0) + 1e-6 * rng.standard_normal((8, 8))
    vectors = np.vstack([distinct, repeats])
    kept, gains = select_in_batches(vectors, batch=2, patience=2, min_gain=1.0, seed=0)
    assert len(kept) == 4 and {int(np.argmax(vectors[i])) for i in kept} == {0, 1, 2, 3}  # one per direction
    assert kept == select_in_batches(vectors, batch=2, patience=2, min_gain=1.0, seed=0)[0]  # seeded


def test_learning_with_smollm2_runs_end_to_end(smollm2_llm: LLMSettings) -> None:
    client = LLMClient.from_settings(Settings(llm=smollm2_llm.model_copy(update={"max_tokens": 400})))
    result = asyncio.run(alearn_pair(client, PAIR, rounds=1))
    assert result.pair_id == "p1" and result.round == 1 and result.model == smollm2_llm.model
    assert result.converged == bool(result.rubrics)
    assert result.error is not None or result.usage is not None


QUESTIONS = {  # pair id -> request and replies, as the learning job joins them
    "q1": "Which spacing does the example carrier use? It uses 30 kHz (SCS). / 15 kHz.",
    "q2": "How does a UE find its paging frames in idle-mode DRX? From the UE id. / Randomly.",
    "q3": "What does data roaming do abroad? It lets the phone use partner networks. / Nothing.",
    "q4": "Why is mobile data slow with data roaming off? The line has no partner access. / Weather.",
    "q5": "How do I enable data roaming on an iPhone? Settings, Mobile Data, Roaming. / Reboot.",
}


def test_a_rubric_quoting_its_own_pair_is_pair_specific_and_vocabulary_is_not() -> None:
    check = SpecificityCheck(QUESTIONS, min_support=3)
    assert check.quoted("The response states that the spacing is '30 kHz (SCS)'.", ["q1"]) == "30 khz"
    assert check.quoted("The response uses the word 'carrier'.", ["q1"]) == "carrier"  # a quoted single word
    quoted = check.quoted("The response says a UE finds paging frames in idle-mode DRX.", ["q2"])
    assert quoted in {"paging frames", "idle-mode drx"}
    assert check.quoted("The response gives a clear and concise explanation of the purpose.", ["q1"]) is None
    # "data roaming" recurs in three pairs: domain vocabulary, kept
    assert check.support("data roaming") == 3
    assert check.quoted("The agent checks that data roaming is on.", ["q3"]) is None
    # a phrase from another pair does not tie the rubric to its own source
    assert check.quoted("The response mentions paging frames.", ["q1"]) is None
    assert SpecificityCheck(QUESTIONS, min_support=0).quoted("It is '30 kHz (SCS)'.", ["q1"]) is None


class _OneHot:
    """An embedder that gives every text its own direction (selection then keeps them all)."""

    def embed(self, texts):
        return np.eye(max(8, len(texts)))[: len(texts)].tolist()


def test_the_learned_set_drops_pair_specific_rubrics_and_says_which(caplog: pytest.LogCaptureFixture) -> None:
    def result(pid: str, *texts: str) -> PairRubrics:
        rubrics = tuple(DraftRubric(text=t, kind="principle", theme="accuracy") for t in texts)
        return PairRubrics(pair_id=pid, converged=True, round=1, rubrics=rubrics, model="m", prompts=("p@1",))

    results = [
        result("q1", "The response names the spacing, which is '30 kHz (SCS)'.", "The response is brief."),
        result("q3", "The agent explains what data roaming does.", "The response answers the question asked."),
    ]
    with caplog.at_level(logging.INFO, logger="judge.learning"):
        learned = learned_set(results, _OneHot(), min_gain=0.0, texts=QUESTIONS)
    assert "q1" in caplog.text and "30 kHz" not in caplog.text  # a pair's text (TeleQnA's) is never logged
    kept = {r.text for r in learned.rubrics}
    assert learned.pair_specific == ("The response names the spacing, which is '30 kHz (SCS)'.",)
    assert kept == {r.text for x in results for r in x.rubrics} - set(learned.pair_specific)
    assert learned.pool == 4 and learned.min_support == 3
    unchecked = learned_set(results, _OneHot(), min_gain=0.0)
    assert unchecked.pair_specific == () and len(unchecked.rubrics) == 4 and unchecked.min_support == 0
