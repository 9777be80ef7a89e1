"""What the reward bench runs beside itself: the OpenAI stub and `telerubric serve`, each in a subprocess (so they do
not share the bench's GIL, and the embedded KB is held by one process at a time), and a profiler over the event
loop and its worker threads."""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


class _Subprocess:
    """A `python -m` server on a free local port, polled at `url + ready` until it answers; `close` stops it."""

    path = ""  # what `url` adds to the origin
    ready = "/health"
    close_s = 10

    def __init__(self, *cmd: str, **popen: Any) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", *cmd, "--port", str(self.port)], cwd=REPO, **popen)
        wait_up(f"{self.url}{self.ready}", self.proc)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(self.close_s)


class Stub(_Subprocess):
    """`bench.openai_stub` in a subprocess."""

    path, ready = "/v1", "/models"

    def __init__(self, delay_s: float) -> None:
        super().__init__("bench.openai_stub", "--delay-ms", str(delay_s * 1000))

    def calls(self) -> dict[str, int]:
        return httpx.get(f"http://127.0.0.1:{self.port}/stats").json()["calls"]

    def reset(self) -> None:
        httpx.post(f"http://127.0.0.1:{self.port}/stats/reset")


class Served(_Subprocess):
    """`telerubric serve` in a subprocess over the bench KB."""

    close_s = 60

    def __init__(self, data_dir: Path, llm_url: str, transport: str = "http", embedder_threads: int = 0) -> None:
        env = {
            **os.environ,
            "TELERUBRIC_DATA_DIR": str(data_dir),
            "TELERUBRIC_LLM__BASE_URL": llm_url,
            "TELERUBRIC_LLM__MODEL": "stub",
            "TELERUBRIC_LLM__TRANSPORT": transport,
            "TELERUBRIC_EMBEDDER__THREADS": str(embedder_threads),
            "TELERUBRIC_LLM__CONCURRENCY": "256",
            "TELERUBRIC_LLM__MAX_RETRIES": "0",
            "TELERUBRIC_JUDGE__USAGE_FLUSH_EVERY": "256",
        }
        super().__init__("ui.cli.main", "serve", env=env, stderr=subprocess.DEVNULL)


class Relay(_Subprocess):
    """`bench.relay` in a subprocess: the served path's floor (parse, one LLM call, answer)."""

    def __init__(self, llm_url: str) -> None:
        super().__init__("bench.relay", "--upstream", llm_url)


class Profiled:
    """cProfile of the loop thread and of every `asyncio.to_thread` call while active, merged into one file."""

    def __init__(self, out: Path | None) -> None:
        self.out = out
        self.profiles: list[cProfile.Profile] = []
        self.local = threading.local()

    def __enter__(self) -> None:
        if self.out is None:
            return
        self._to_thread = original = asyncio.to_thread

        async def to_thread(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
            def run() -> Any:
                prof = getattr(self.local, "prof", None)
                if prof is None:
                    prof = self.local.prof = cProfile.Profile()
                    self.profiles.append(prof)
                prof.enable()
                try:
                    return func(*args, **kwargs)
                finally:
                    prof.disable()

            return await original(run)

        asyncio.to_thread = to_thread  # type: ignore[assignment]
        self.main = cProfile.Profile()
        self.profiles.append(self.main)
        self.main.enable()

    def __exit__(self, *exc: object) -> None:
        if self.out is None:
            return
        self.main.disable()
        asyncio.to_thread = self._to_thread  # type: ignore[assignment]
        stats = pstats.Stats(self.profiles[0])
        for prof in self.profiles[1:]:
            stats.add(prof)
        stats.dump_stats(self.out)
        print(f"wrote {self.out} (read it with: python -m pstats {self.out})")
