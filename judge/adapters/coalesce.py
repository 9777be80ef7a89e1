"""Many concurrent one-response calls for the same request → one `ascore_group` call.

verl's reward loop and OpenRLHF call the reward once per sample, concurrently; the rollouts of one prompt arrive
within milliseconds of each other. Scoring them as one group builds the rubric set once (one synthesis call, then
one judge call per response) instead of once per sample, and lets `neutral.flatten_group` see the group.

A group is scored as soon as it closes, also while an earlier group of the same request is still being scored:
the reward model shares one rubric set between them (a set being prepared is awaited, not built twice; a prepared
one is reused), so a late sample waits for its own judge call, not for its predecessors'.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from judge.result import RewardResult

logger = logging.getLogger(__name__)

GroupKey = tuple[str, str | None, str | None]  # (request, task_id, reference)
ScoreGroup = Callable[[GroupKey, Sequence[Any]], Awaitable[list[RewardResult]]]


@dataclass
class _Batch:
    future: asyncio.Future[list[RewardResult]]
    deadline: float
    responses: list[Any] = field(default_factory=list)
    launched: bool = False
    timer: asyncio.TimerHandle | None = None


class GroupCoalescer:
    """Collects responses per `GroupKey` and scores them with one `score_group(key, responses)` call once no sibling
    arrived for `quiet_s`, `window_s` after the first one at the latest, or at `max_size`. A lone request waits
    only `quiet_s`. Lives on one event loop (the one that calls `submit`).

    Args:
        score_group: scores one group; must return one result per response, in order.
        window_s: the longest the first response of a group waits for its siblings.
        quiet_s: a group is closed when no sibling came for this long.
        max_size: a group this large is scored at once.
    """

    def __init__(
        self, score_group: ScoreGroup, *, window_s: float = 0.02, quiet_s: float = 0.004, max_size: int = 64
    ) -> None:
        if window_s < 0 or quiet_s < 0 or max_size < 1:
            raise ValueError("window_s and quiet_s must be >= 0 and max_size >= 1")
        self._score_group = score_group
        self.window_s = window_s
        self.quiet_s = min(quiet_s, window_s)
        self.max_size = max_size
        self._open: dict[GroupKey, _Batch] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, key: GroupKey, response: Any) -> tuple[list[RewardResult], int]:
        """Score `response` with whatever arrives for the same key in the window: (the group's results, its index)."""
        loop = asyncio.get_running_loop()
        batch = self._open.get(key)
        if batch is None:
            batch = self._open[key] = _Batch(future=loop.create_future(), deadline=loop.time() + self.window_s)
        index = len(batch.responses)
        batch.responses.append(response)
        if batch.timer is not None:
            batch.timer.cancel()
        if len(batch.responses) >= self.max_size:
            self._launch(key, batch)
        else:
            batch.timer = loop.call_at(min(loop.time() + self.quiet_s, batch.deadline), self._launch, key, batch)
        results = await asyncio.shield(batch.future)  # one caller giving up does not cancel its siblings
        return results, index

    def _launch(self, key: GroupKey, batch: _Batch) -> None:
        if batch.launched:
            return
        batch.launched = True
        if self._open.get(key) is batch:
            del self._open[key]
        if batch.timer is not None:
            batch.timer.cancel()
        task = asyncio.get_running_loop().create_task(self._run(key, batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: GroupKey, batch: _Batch) -> None:
        logger.debug("scoring a coalesced group of %d for %r", len(batch.responses), key[0][:60])
        try:
            results = await self._score_group(key, list(batch.responses))
            if len(results) != len(batch.responses):
                raise RuntimeError(f"score_group returned {len(results)} results for {len(batch.responses)}")
        except BaseException as exc:  # handed to every waiter; nothing is swallowed
            if not batch.future.done():
                batch.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        if not batch.future.done():
            batch.future.set_result(results)
