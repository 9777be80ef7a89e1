"""Running the reward server: `serve` (the CLI's, blocking, graceful on SIGTERM/SIGINT) and `ServerThread`
(in-process on a background thread, for tests and benches)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from judge import RewardBackend
from kb import EnvironmentProblem, Settings
from ui.server.app import create_app

logger = logging.getLogger(__name__)

GRACE_S = 5.0  # beyond serve.request_timeout_s: how long a shutdown waits for requests in flight


def _config(app: FastAPI, settings: Settings, *, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.serve.host,
        port=settings.serve.port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=int(settings.serve.request_timeout_s + GRACE_S),
    )


class _Stopped(Exception):
    """SIGTERM/SIGINT after uvicorn's graceful shutdown (uvicorn re-raises the signal once it has stopped)."""


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped(signal.Signals(signum).name)


@contextmanager
def _stop_signals() -> Iterator[None]:
    """While serving, uvicorn handles SIGTERM/SIGINT (graceful); afterwards it re-raises the signal, which would kill
    the process before the reward model is closed. Turn that re-raise into `_Stopped`, so cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(settings: Settings, *, backend: RewardBackend | None = None, log_level: str = "info") -> None:
    """Serve rewards on `serve.host:serve.port` until SIGTERM/SIGINT; requests in flight are finished first.

    Opens one `RewardModel` (it holds the embedded KB) unless `backend` is given, and closes it on the way out
    (flushing verdict counts).

    Raises:
        EnvironmentProblem: the KB is held by another process, or the port cannot be bound.
    """
    if backend is None:
        from judge import RewardModel  # noqa: PLC0415 (opens the KB: only when serving for real)

    model = backend or RewardModel(settings)
    try:
        server = uvicorn.Server(_config(create_app(settings, model), settings, log_level=log_level))
        try:
            with _stop_signals():
                server.run()  # on SIGTERM/SIGINT: stop accepting, finish the requests in flight, return
        except _Stopped as stop:
            logger.info("reward server stopped by %s", stop)
        except SystemExit:  # uvicorn exits when it cannot bind
            pass
        if not server.started:
            raise EnvironmentProblem(
                f"the reward server could not listen on {settings.serve.host}:{settings.serve.port}; "
                "is the port in use? choose another with --port"
            )
    finally:
        if backend is None:
            model.close()


class ServerThread:
    """A uvicorn server for `app` on a background thread (no signal handlers); a context manager.

    `url` is known once started (port 0 picks a free one).
    """

    def __init__(self, app: FastAPI, settings: Settings, *, log_level: str = "warning") -> None:
        self._server = uvicorn.Server(_config(app, settings, log_level=log_level))
        self._thread = threading.Thread(target=self._server.run, name="telerubric-serve", daemon=True)
        self.host = settings.serve.host
        self.port = settings.serve.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> str:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise EnvironmentProblem(f"the reward server did not start on {self.host}:{self.port}")
            time.sleep(0.02)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self.url

    def stop(self, timeout_s: float = 30.0) -> None:
        """Graceful: stop accepting, let requests in flight finish."""
        self._server.should_exit = True
        self._thread.join(timeout_s)

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
