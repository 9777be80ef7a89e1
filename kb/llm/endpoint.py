"""What both OpenAI-compatible transports share: the endpoint, possibly started lazily, and its connection pools."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

from kb.llm.pool import LoopPools


class EndpointTransport:
    """An endpoint at `base_url` (or a callable that starts the embedded server on first use) with `connections`
    keep-alive connections (the client's per-endpoint concurrency), spread over small pools (`kb.llm.pool`)."""

    def __init__(
        self,
        base_url: str | Callable[[], str],
        *,
        model: str,
        api_key: str,
        timeout_s: float,
        endpoint: str | None = None,
        connections: int = 64,
    ) -> None:
        self._base_url = base_url
        self.model = model
        self._api_key = api_key
        self._timeout_s = timeout_s
        self.endpoint = endpoint or (base_url if isinstance(base_url, str) else f"lazy:{id(self)}")
        self._pools = LoopPools(timeout_s, connections)

    async def astart(self) -> None:
        """Resolve the endpoint (start the embedded server) off the event loop; raises `LLMSetupError`.

        The callable must be idempotent and thread-safe (`shared_server_url` is).
        """
        if not isinstance(self._base_url, str):
            self._base_url = await asyncio.to_thread(self._base_url)

    @property
    def base_url(self) -> str:
        """The resolved endpoint; a `RuntimeError` before `astart()`."""
        self.require_started()
        return cast(str, self._base_url)

    def require_started(self) -> None:
        """A `RuntimeError` unless `astart()` resolved the endpoint (a call must not start a server itself)."""
        if not isinstance(self._base_url, str):
            raise RuntimeError(f"{type(self).__name__}.astart() was not awaited")
