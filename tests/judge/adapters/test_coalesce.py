"""Coalescing single samples into groups, and the group-neutral filling of missing values."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

import pytest

from judge import COMPONENTS, JudgeErrorKind, RewardResult, Stage
from judge.adapters import GroupCoalescer, GroupKey, flatten_group


def _ok(score: float, **components: float) -> RewardResult:
    return RewardResult(score=score, components={**dict.fromkeys(COMPONENTS), **components})


def _failed() -> RewardResult:
    return RewardResult.failed(JudgeErrorKind.PARSE, Stage.JUDGE, "bad reply")


class Recorder:
    def __init__(self) -> None:
        self.groups: list[tuple[GroupKey, list[Any]]] = []

    async def __call__(self, key: GroupKey, responses: Sequence[Any]) -> list[RewardResult]:
        self.groups.append((key, list(responses)))
        await asyncio.sleep(0.01)
        return [_ok(float(r)) for r in responses]


def test_siblings_within_the_quiet_gap_form_one_group_and_late_ones_another() -> None:
    record = Recorder()
    coalescer = GroupCoalescer(record, window_s=0.5, quiet_s=0.03)
    key: GroupKey = ("q", None, None)

    async def run() -> list[tuple[list[RewardResult], int]]:
        async def late(delay: float, value: float) -> tuple[list[RewardResult], int]:
            await asyncio.sleep(delay)
            return await coalescer.submit(key, value)

        return await asyncio.gather(late(0, 1), late(0.01, 0), late(0.02, 1), late(0.2, 0))

    slots = asyncio.run(run())
    assert [len(g[1]) for g in record.groups] == [3, 1]
    assert [index for _, index in slots] == [0, 1, 2, 0]
    assert [results[index].score for results, index in slots] == [1.0, 0.0, 1.0, 0.0]


def test_different_requests_never_share_a_group_and_max_size_closes_one() -> None:
    record = Recorder()
    coalescer = GroupCoalescer(record, window_s=1.0, quiet_s=1.0, max_size=2)

    async def run() -> None:
        await asyncio.gather(*(coalescer.submit(("a", None, None), 1) for _ in range(3)),
                             coalescer.submit(("b", None, None), 0))  # fmt: skip

    asyncio.run(asyncio.wait_for(run(), 5))
    sizes = sorted((key[0], len(responses)) for key, responses in record.groups)
    assert sizes == [("a", 1), ("a", 2), ("b", 1)]


def test_a_caller_that_gives_up_does_not_cancel_its_siblings() -> None:
    record = Recorder()
    coalescer = GroupCoalescer(record, window_s=0.05, quiet_s=0.05)

    async def run() -> tuple[list[RewardResult], int]:
        impatient = asyncio.create_task(coalescer.submit(("q", None, None), 1))
        patient = asyncio.create_task(coalescer.submit(("q", None, None), 0))
        await asyncio.sleep(0.01)
        impatient.cancel()
        return await patient

    results, index = asyncio.run(run())
    assert results[index].score == 0.0 and len(record.groups[0][1]) == 2


def test_a_bug_in_scoring_reaches_every_waiter() -> None:
    async def broken(key: GroupKey, responses: Sequence[Any]) -> list[RewardResult]:
        raise RuntimeError("bug")

    coalescer = GroupCoalescer(broken, window_s=0.01)

    async def run() -> list[Any]:
        return await asyncio.gather(*(coalescer.submit(("q", None, None), i) for i in range(2)), return_exceptions=True)

    assert all(isinstance(e, RuntimeError) for e in asyncio.run(run()))


def test_missing_values_are_filled_with_the_group_mean_of_the_others() -> None:
    flat = flatten_group([_ok(1.0, principles=1.0, mcq=1.0), _ok(0.0, principles=0.5), _failed()])
    assert [f.score for f in flat] == [1.0, 0.0, 0.5]
    assert [f.components["principles"] for f in flat] == [1.0, 0.5, 0.75]
    assert [f.components["mcq"] for f in flat] == [1.0, 1.0, 1.0]  # applies to one: the others get its value
    assert [f.components["tau2"] for f in flat] == [0.0, 0.0, 0.0]  # applies to none: equal values
    assert flat[2].error and flat[2].filled[0] == "score" and not flat[0].error
    assert flat[1].as_dict()["reward_error"] == 0.0 and flat[2].as_dict()["reward_error"] == 1.0
    assert all(math.isfinite(v) for f in flat for v in f.as_dict().values())


def test_fills_give_zero_advantage_under_grpo_normalisation() -> None:
    flat = flatten_group([_ok(0.9), _ok(0.3), _failed(), _ok(0.6)])
    scores = [f.score for f in flat]
    mean = sum(scores) / len(scores)
    assert scores[2] - mean == pytest.approx(0.0)


def test_samples_arriving_while_their_request_is_scored_form_the_next_group_without_waiting_for_it() -> None:
    spans: list[tuple[int, float, float]] = []

    async def slow(key: GroupKey, responses: Sequence[Any]) -> list[RewardResult]:
        started = asyncio.get_running_loop().time()
        await asyncio.sleep(1.0)
        spans.append((len(responses), started, asyncio.get_running_loop().time()))
        return [_ok(float(r)) for r in responses]

    coalescer = GroupCoalescer(slow, window_s=0.2, quiet_s=0.1)  # wide gaps: a loaded machine delays timers

    async def run() -> None:
        async def late(delay: float) -> tuple[list[RewardResult], int]:
            await asyncio.sleep(delay)
            return await coalescer.submit(("q", None, None), 1)

        # the first group is scored from ~0.1 s to ~1.1 s; the four late ones close at ~0.5 s and go at once
        await asyncio.gather(late(0), late(0.3), late(0.31), late(0.32), late(0.33))

    asyncio.run(run())
    (first, first_start, first_end), (second, second_start, _) = sorted(spans, key=lambda s: s[1])
    assert (first, second) == (1, 4)
    assert first_start < second_start < first_end  # not queued behind the group in flight
