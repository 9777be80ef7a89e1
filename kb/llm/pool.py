"""HTTP connections to one endpoint, per event loop, spread over several small httpx pools.

httpcore 1.0's connection pool does O(connections²) work each time a request enters or leaves it (it rebuilds a
list of every connection inside its loop over connections): at 64 connections that is ~8,000 calls and several
milliseconds of CPU per request, more than the whole rest of a reward (measured with `bench/reward.py`; bare httpx
with one 64-connection client stays under half the ideal rate against a 200 ms endpoint). Several clients of at
most `PER_CLIENT` connections each, with each request leased to the least busy one, keep that cost flat. Clients
are made when the load first needs them and share one TLS context (loading the CA bundle costs ~30 ms per client).
"""

from __future__ import annotations

import asyncio
import ssl
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import httpx

PER_CLIENT = 8  # connections per httpx client


@cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), built once per process."""
    return httpx.create_ssl_context()


class HttpPool:
    """Up to `connections` keep-alive connections over at most ceil(connections / PER_CLIENT) `httpx.AsyncClient`s."""

    def __init__(self, timeout_s: float, connections: int) -> None:
        self._timeout_s = timeout_s
        self._size = min(PER_CLIENT, max(1, connections))
        self._max_clients = max(1, -(-connections // PER_CLIENT))
        self.clients: list[httpx.AsyncClient] = []
        self._in_flight: list[int] = []

    @contextmanager
    def lease(self) -> Iterator[int]:
        """The index in `clients` of the least busy client (a new one when all are full), busy until the block ends."""
        index = min(range(len(self._in_flight)), key=self._in_flight.__getitem__, default=-1)
        if (index < 0 or self._in_flight[index] >= self._size) and len(self.clients) < self._max_clients:
            limits = httpx.Limits(max_connections=self._size, max_keepalive_connections=self._size)
            self.clients.append(httpx.AsyncClient(timeout=self._timeout_s, limits=limits, verify=tls_context()))
            self._in_flight.append(0)
            index = len(self.clients) - 1
        self._in_flight[index] += 1
        try:
            yield index
        finally:
            self._in_flight[index] -= 1

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


class LoopPools:
    """One `HttpPool` per event loop (httpx clients must not cross loops)."""

    def __init__(self, timeout_s: float, connections: int) -> None:
        self._timeout_s = timeout_s
        self._connections = connections
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HttpPool] = weakref.WeakKeyDictionary()

    def current(self) -> HttpPool:
        """The running loop's pool, made on first use."""
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = HttpPool(self._timeout_s, self._connections)
        return pool

    async def aclose(self) -> None:
        """Close the running loop's connections."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.aclose()
