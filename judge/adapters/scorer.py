"""`GroupScorer`: what every adapter needs from a reward backend — rows grouped by request, and single samples
coalesced into groups — over either an in-process `RewardModel` or a `RemoteRewardModel`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from judge.adapters.coalesce import GroupCoalescer, GroupKey
from judge.adapters.target import RewardTarget
from judge.result import RewardResult

GroupSlot = tuple[list[RewardResult], int]  # (the results of the sample's group, the sample's index in it)


class RewardBackend(Protocol):
    """The async surface shared by `RewardModel` and `RemoteRewardModel`."""

    async def ascore(
        self,
        request: str,
        response: Any = None,
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> RewardResult: ...

    async def ascore_group(
        self,
        request: str,
        responses: Sequence[Any],
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> list[RewardResult]: ...


class GroupScorer:
    """Scores trainer rows with one `ascore_group` per request. Use it on one event loop.

    Args:
        backend: `RewardModel` or `RemoteRewardModel`.
        window_s: the longest a single sample waits for siblings of the same request (`submit`).
        quiet_s: a group closes when no sibling arrived for this long.
        max_group: the largest group scored in one call.
    """

    def __init__(
        self, backend: RewardBackend, *, window_s: float = 0.02, quiet_s: float = 0.004, max_group: int = 64
    ) -> None:
        self.backend = backend
        self._coalescer = GroupCoalescer(self._score_key, window_s=window_s, quiet_s=quiet_s, max_size=max_group)

    async def _score_key(self, key: GroupKey, responses: Sequence[Any]) -> list[RewardResult]:
        request, task_id, reference = key
        return await self.backend.ascore_group(request, responses, task_id=task_id, reference=reference)

    async def _alone(self, target: RewardTarget, response: Any) -> GroupSlot:
        result = await self.backend.ascore(
            target.request or "",
            response,
            trajectory=target.trajectory,
            task_id=target.task_id,
            reference=target.reference,
        )
        return [result], 0

    async def submit(self, target: RewardTarget, response: Any) -> GroupSlot:
        """One sample, scored together with the samples of the same request that arrive within the window.
        A sample with its own trajectory is scored alone (a group shares one trajectory)."""
        if target.trajectory is not None:
            return await self._alone(target, response)
        return await self._coalescer.submit(target.group_key, response)

    async def score_rows(self, targets: Sequence[RewardTarget], responses: Sequence[Any]) -> list[GroupSlot]:
        """Rows of one batch, grouped by request (one `ascore_group` per group, all groups concurrently)."""
        if len(targets) != len(responses):
            raise ValueError(f"{len(targets)} targets for {len(responses)} responses")
        groups: dict[GroupKey, list[int]] = {}
        alone: list[int] = []
        for i, target in enumerate(targets):
            if target.trajectory is not None:
                alone.append(i)
            else:
                groups.setdefault(target.group_key, []).append(i)
        slots: list[GroupSlot | None] = [None] * len(targets)

        async def group(key: GroupKey, rows: list[int]) -> None:
            results = await self._score_key(key, [responses[i] for i in rows])
            for index, row in enumerate(rows):
                slots[row] = (results, index)

        async def single(row: int) -> None:
            slots[row] = await self._alone(targets[row], responses[row])

        await asyncio.gather(*(group(k, rows) for k, rows in groups.items()), *(single(i) for i in alone))
        return [slot for slot in slots if slot is not None]
