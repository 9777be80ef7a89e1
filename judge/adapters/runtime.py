"""The adapters' reward backend for this process: built lazily from `Settings`, run on one long-lived loop thread.

One setting decides in-process or thin client: with `judge.remote_url` set the adapters call a running
`telerubric serve` (`RemoteRewardModel`); without it they open the KB themselves (`RewardModel`; the embedded KB
admits one process). Frameworks call rewards from their own event loops (TRL's daemon loop, verl's Ray actor loop)
or from plain threads (OpenRLHF's `asyncio.to_thread`, verl's legacy batch manager); every call is handed to the
runtime's own loop, so the LLM client's per-endpoint limit and connection pool live on exactly one loop.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from judge.adapters.scorer import GroupScorer, GroupSlot, RewardBackend
from judge.adapters.target import RewardTarget
from judge.loop_thread import LoopThread
from kb import Settings, load_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_WINDOW_S = 0.02
DEFAULT_QUIET_S = 0.004


class AdapterRuntime:
    """A reward backend on its own event-loop thread, awaitable from any loop and callable from any thread.

    Args:
        settings: used to build the backend on first use; default `load_settings()` (env + TOML).
        backend: use this backend instead of building one (not closed by `close`).
        window_s: the longest a single sample waits for siblings of its request (see `GroupCoalescer`).
        quiet_s: a group closes when no sibling arrived for this long.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        backend: RewardBackend | None = None,
        window_s: float = DEFAULT_WINDOW_S,
        quiet_s: float = DEFAULT_QUIET_S,
    ) -> None:
        self._settings = settings
        self._backend = backend
        self._owns_backend = backend is None
        self._window_s = window_s
        self._quiet_s = quiet_s
        self._scorer: GroupScorer | None = None
        self._init_lock: asyncio.Lock | None = None
        self._thread = LoopThread("telerubric-rewards")
        self.pid = os.getpid()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def remote(self) -> bool:
        """True when the backend is (or will be) a `telerubric serve` client."""
        return self._backend is None and bool(self.settings.judge.remote_url)

    # backend ----------------------------------------------------------------------------------------------------
    def _build(self) -> RewardBackend:
        settings = self.settings
        if settings.judge.remote_url:
            from judge.remote import RemoteRewardModel  # noqa: PLC0415 (remote.py imports this package)

            logger.info("rewards from the server at %s", settings.judge.remote_url)
            return RemoteRewardModel(settings.judge.remote_url, timeout_s=settings.serve.request_timeout_s)
        from judge.reward_model import RewardModel  # noqa: PLC0415 (opens the KB: only when first needed)

        logger.info("rewards in process (knowledge base at %s)", settings.data_dir)
        return RewardModel(settings)

    async def _ready(self) -> GroupScorer:
        if self._scorer is not None:
            return self._scorer
        if self._init_lock is None:
            self._init_lock = asyncio.Lock()
        async with self._init_lock:
            if self._scorer is None:
                if self._backend is None:
                    self._backend = await asyncio.to_thread(self._build)
                self._scorer = GroupScorer(self._backend, window_s=self._window_s, quiet_s=self._quiet_s)
        return self._scorer

    async def _on_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` on the runtime loop from whatever loop the caller runs on."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._thread.loop:
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._thread.loop))

    # what adapters call -----------------------------------------------------------------------------------------
    async def asubmit(self, target: RewardTarget, response: Any) -> GroupSlot:
        """One sample, coalesced with its siblings: (its group's results, its index)."""

        async def run() -> GroupSlot:
            return await (await self._ready()).submit(target, response)

        return await self._on_loop(run())

    async def ascore_rows(self, targets: Sequence[RewardTarget], responses: Sequence[Any]) -> list[GroupSlot]:
        """A batch of rows, grouped by request."""

        async def run() -> list[GroupSlot]:
            return await (await self._ready()).score_rows(targets, responses)

        return await self._on_loop(run())

    async def abackend(self) -> RewardBackend:
        """The backend itself (built if needed), e.g. for `acompare`."""

        async def run() -> RewardBackend:
            return (await self._ready()).backend

        return await self._on_loop(run())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run an `a…` call of this runtime from synchronous code (blocks the calling thread only)."""
        return self._thread.run(self._on_loop(coro))

    def close(self) -> None:
        """Close the backend this runtime built (flushes usage counts, releases the KB) and stop the loop."""
        backend, self._backend, self._scorer = self._backend, None, None
        try:
            if backend is not None and self._owns_backend:
                aclose = getattr(backend, "aclose", None)
                if aclose is not None:
                    self._thread.run(aclose())
                close = getattr(backend, "close", None)
                if close is not None:
                    close()
        finally:
            self._thread.close()


_lock = threading.Lock()
_runtime: AdapterRuntime | None = None
_atexit_registered = False


def adapter_runtime() -> AdapterRuntime:
    """The process-wide runtime (built on first use from `load_settings()`; rebuilt in a forked child)."""
    global _runtime, _atexit_registered
    with _lock:
        if _runtime is None or _runtime.pid != os.getpid():
            _runtime = AdapterRuntime()
            if not _atexit_registered:
                atexit.register(close_rewards)
                _atexit_registered = True
        return _runtime


def configure_rewards(
    settings: Settings | None = None,
    *,
    backend: RewardBackend | None = None,
    window_s: float = DEFAULT_WINDOW_S,
    quiet_s: float = DEFAULT_QUIET_S,
) -> AdapterRuntime:
    """Set what the module-level adapters (`compute_score`, `reward_func`, `telerubric_reward`) use, closing the
    previous runtime. Call it once at start-up when env vars / telerubric.toml are not how you configure rewards."""
    global _runtime, _atexit_registered
    with _lock:
        old, _runtime = _runtime, AdapterRuntime(settings, backend=backend, window_s=window_s, quiet_s=quiet_s)
        if not _atexit_registered:
            atexit.register(close_rewards)
            _atexit_registered = True
        new = _runtime
    if old is not None and old.pid == os.getpid():
        old.close()
    return new


def close_rewards() -> None:
    """Close the process-wide runtime (at exit: flushes the verdict counts to the KB)."""
    global _runtime
    with _lock:
        old, _runtime = _runtime, None
    if old is not None and old.pid == os.getpid():
        try:
            old.close()
        except Exception:  # at interpreter exit nothing is left to report to
            logger.exception("closing the reward runtime failed")
