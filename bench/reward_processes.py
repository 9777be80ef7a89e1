"""Processes the reward bench runs beside itself: the OpenAI stub and `telerubric serve`, each in a subprocess (so
they do not share the bench's GIL, and the embedded KB is held by one process at a time)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

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

    def __init__(self, data_dir: Path, llm_url: str) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "TELERUBRIC_DATA_DIR": str(data_dir),
            "TELERUBRIC_LLM__BASE_URL": llm_url,
            "TELERUBRIC_LLM__MODEL": "stub",
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
