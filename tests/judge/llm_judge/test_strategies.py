"""both_orders and vote: strategies around one judge call, with a scripted pair judge."""

from __future__ import annotations

import asyncio
import functools

import pytest

from judge.llm_judge import PairReply, ajudge_pair, both_orders, sample_client, vote
from judge.result import JudgeError, JudgeErrorKind, Stage
from tests.judge.llm_judge.conftest import pair_json

TIMEOUT = JudgeError(kind=JudgeErrorKind.TIMEOUT, stage=Stage.JUDGE, message="judge.pairwise@3: timed out")


def _fixed(choice_by_first: dict[str, str | JudgeError]):
    """A pair judge whose answer depends on which response is shown first (no LLM)."""
    calls: list[tuple[str, str]] = []

    async def judge(request: str, first: str, second: str) -> PairReply:
        calls.append((first, second))
        await asyncio.sleep(0.01)
        answer = choice_by_first[first]
        if isinstance(answer, JudgeError):
            return PairReply(model="m", prompt="judge.pairwise@3", error=answer)
        return PairReply(better=answer, model="m", prompt="judge.pairwise@3")

    judge.calls = calls  # type: ignore[attr-defined]
    return judge


@pytest.mark.parametrize(
    ("ab", "ba", "winner", "consistent", "reason"),
    [
        ("A", "B", "a", True, "a in both orders"),
        ("B", "A", "b", True, "b in both orders"),
        ("tie", "tie", None, True, "a tie in both orders"),
        ("A", "A", None, False, "position bias"),
        ("B", "B", None, False, "position bias"),
        ("A", "tie", None, False, "(a, b) chose a, (b, a) chose tie"),
    ],
)
def test_a_win_counts_only_when_both_orders_agree(ab, ba, winner, consistent, reason) -> None:
    judge = _fixed({"x": ab, "y": ba})
    outcome = asyncio.run(both_orders(judge, "q", "x", "y"))
    assert (outcome.winner, outcome.consistent, outcome.error) == (winner, consistent, None)
    assert reason in outcome.reason and outcome.label == winner
    assert judge.calls == [("x", "y"), ("y", "x")]
    assert [o.better for o in outcome.orders] == [ab, ba]


def test_orders_run_concurrently_through_the_client(scripted) -> None:
    client, transport = scripted(pair_json("A"), pair_json("B"), delay_s=0.05)
    outcome = asyncio.run(both_orders(functools.partial(ajudge_pair, client), "q", "good", "bad"))
    assert outcome.winner == "a" and outcome.consistent and transport.max_in_flight == 2
    firsts = [r.messages[1].content.split("<response_a>\n")[1].split("\n")[0] for r in transport.requests]
    assert sorted(firsts) == ["bad", "good"]
    assert outcome.usage is not None and outcome.usage.input_tokens == 20


def test_a_failed_order_is_an_error_outcome() -> None:
    outcome = asyncio.run(both_orders(_fixed({"x": "A", "y": TIMEOUT}), "q", "x", "y"))
    assert outcome.winner is None and not outcome.consistent and outcome.error.kind is JudgeErrorKind.TIMEOUT
    assert "(b, a) failed" in outcome.reason and outcome.votes == ("a", None)


def _labels(*labels: str | None | JudgeError):
    async def call(i: int) -> PairReply:
        answer = labels[i]
        if isinstance(answer, JudgeError):
            return PairReply(model="m", prompt="p", error=answer)
        return PairReply(better=answer, model="m", prompt="p")

    return call


def test_vote_takes_the_majority() -> None:
    outcome = asyncio.run(vote(_labels("A", "B", "A"), k=3))
    assert outcome.label == "A" and outcome.counts == {"A": 2, "B": 1} and outcome.error is None
    assert "A chosen by 2 of 3" in outcome.reason and len(outcome.samples) == 3


def test_vote_tie_is_none_with_a_reason() -> None:
    outcome = asyncio.run(vote(_labels("A", "B", "tie", "B", "A", "tie"), k=6))
    assert outcome.label is None and outcome.reason == "tie between A and B and tie (2 votes each of 6)"


def test_vote_failed_sample_is_an_error_value() -> None:
    outcome = asyncio.run(vote(_labels("A", TIMEOUT, "A"), k=3))
    assert outcome.label is None and outcome.error == TIMEOUT and "1 of 3 samples failed" in outcome.reason


def test_vote_over_both_order_outcomes_counts_no_winner_as_a_vote() -> None:
    judges = [_fixed({"x": "A", "y": "B"}), _fixed({"x": "A", "y": "A"}), _fixed({"x": "A", "y": "A"})]
    outcome = asyncio.run(vote(lambda i: both_orders(judges[i], "q", "x", "y"), k=3))
    assert outcome.counts == {"a": 1, "none": 2} and outcome.label is None
    assert "none chosen by 2 of 3" in outcome.reason
    assert sum(s.consistent for s in outcome.samples) == 1  # swap consistency over the samples


def test_vote_samples_get_their_own_seed_and_the_settings_temperature(scripted) -> None:
    client, transport = scripted(pair_json("A"), pair_json("A"), pair_json("B"), temperature=0.7)
    outcome = asyncio.run(vote(lambda i: ajudge_pair(sample_client(client, i), "q", "a", "b"), k=3))
    assert outcome.label == "A"
    assert sorted(r.seed for r in transport.requests) == [7, 8, 9]
    assert {r.temperature for r in transport.requests} == {0.7}
    other = sample_client(client, 1, temperature=1.0)
    assert other.settings.temperature == 1.0 and other.transport is client.transport


def test_vote_needs_a_sample() -> None:
    with pytest.raises(ValueError, match="k >= 1"):
        asyncio.run(vote(_labels("A"), k=0))
