"""One long-lived event loop on a background thread: the sync facade's engine.

`asyncio.run` per call makes a new loop each time, so per-endpoint semaphores and connection pools never hold
across calls. A `LoopThread` owns one loop for the life of its owner; `run(coro)` works from plain code and from
inside another running loop (it blocks that caller's thread, not our loop).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str = "telerubric-loop") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the owned loop and wait for its result (exceptions propagate)."""
        if self._loop.is_closed():
            coro.close()
            raise RuntimeError("the reward model is closed")
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            coro.close()
            raise RuntimeError("inside the reward model's own loop, await the async method (ascore, …)")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
