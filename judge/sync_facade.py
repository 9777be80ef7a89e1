"""The sync methods every reward model offers (`score`, `score_group`, `score_batch`, `compare`, `with`): each runs its
async twin on the model's one long-lived `LoopThread`, so limits and pools hold across calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from judge.loop_thread import LoopThread
from judge.pairwise_reward import PairResult
from judge.result import RewardResult

Response = str | Sequence[Mapping[str, Any]] | Mapping[str, Any] | None


class SyncFacade:
    """Mix into a model that defines `ascore`, `ascore_group`, `ascore_batch`, `acompare` and `close`."""

    _loop: LoopThread | None = None
    _loop_name = "telerubric-reward"

    def _run(self, coro: Any) -> Any:
        if self._loop is None:
            self._loop = LoopThread(self._loop_name)
        return self._loop.run(coro)

    def _stop_loop(self, last: Any = None) -> None:
        """Run `last` (a closing coroutine) on the loop, then stop it."""
        if self._loop is None:
            if last is not None:
                last.close()
            return
        try:
            if last is not None:
                self._loop.run(last)
        finally:
            self._loop.close()
            self._loop = None

    def score(
        self,
        request: str,
        response: Response = None,
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> RewardResult:
        """Sync `ascore`; works inside and outside a running event loop."""
        return self._run(
            self.ascore(request, response, trajectory=trajectory, task_id=task_id, reference=reference)  # type: ignore[attr-defined]
        )

    def score_group(
        self,
        request: str,
        responses: Sequence[Response],
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> list[RewardResult]:
        """Sync `ascore_group`."""
        return self._run(
            self.ascore_group(request, responses, trajectory=trajectory, task_id=task_id, reference=reference)  # type: ignore[attr-defined]
        )

    def score_batch(self, items: Sequence[Any]) -> list[RewardResult]:
        """Sync `ascore_batch`."""
        return self._run(self.ascore_batch(items))  # type: ignore[attr-defined]

    def compare(self, request: str, a: Response, b: Response, *, reference: str | None = None) -> PairResult:
        """Sync `acompare`."""
        return self._run(self.acompare(request, a, b, reference=reference))  # type: ignore[attr-defined]

    def close(self) -> None:
        self._stop_loop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
