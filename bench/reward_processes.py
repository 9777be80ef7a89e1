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


class Stub:
    """`bench.openai_stub` in a subprocess."""

    def __init__(self, delay_s: float) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.openai_stub", "--port", str(self.port), "--delay-ms", str(delay_s * 1000)],
            cwd=REPO,
        )
        wait_up(f"http://127.0.0.1:{self.port}/v1/models", self.proc)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def calls(self) -> dict[str, int]:
        return httpx.get(f"http://127.0.0.1:{self.port}/stats").json()["calls"]

    def reset(self) -> None:
        httpx.post(f"http://127.0.0.1:{self.port}/stats/reset")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Served:
    """`telerubric serve` in a subprocess over the bench KB."""

    def __init__(self, data_dir: Path, llm_url: str, transport: str = "http", embedder_threads: int = 0) -> None:
        self.port = free_port()
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
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ui.cli.main", "serve", "--port", str(self.port)],
            cwd=REPO,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        wait_up(f"{self.url}/health", self.proc)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


class Relay:
    """`bench.relay` in a subprocess: the served path's floor (parse, one LLM call, answer)."""

    def __init__(self, llm_url: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.relay", "--port", str(self.port), "--upstream", llm_url], cwd=REPO
        )
        wait_up(f"{self.url}/health", self.proc)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


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
