"""`telerubric kb serve`: share one embedded store between processes through milvus-lite's gRPC server."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

from kb.errors import EnvironmentProblem
from kb.lock import ProcessLock
from kb.settings import Settings

logger = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.1)
    return False


class StoreServer:
    """Holds the KB lock and runs `milvus-lite server` on loopback over the KB's milvus-lite folder."""

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", port: int = 0):
        if not settings.embedded_milvus:
            raise EnvironmentProblem("kb serve shares an embedded store; milvus_uri already names a server")
        self.settings, self.host, self.port = settings, host, port or free_port(host)
        self._lock = ProcessLock(settings.data_dir / "kb.lock")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 60.0) -> str:
        self._lock.acquire()
        data = Path(self.settings.resolved_milvus_uri)
        command = [
            sys.executable,
            "-c",
            "import sys; from milvus_lite.cmdline import main; sys.exit(main())",
            "server",
            "--data-dir",
            str(data),
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        self._proc = subprocess.Popen(command)
        deadline = time.monotonic() + timeout_s
        ready = wait_for_port(self.host, self.port, timeout_s) and self._answers(deadline)
        if not ready or self._proc.poll() is not None:
            self.stop()
            raise EnvironmentProblem(f"milvus-lite server did not start on {self.uri} within {timeout_s:.0f}s")
        logger.info("serving %s at %s", data, self.uri)
        return self.uri

    def _answers(self, deadline: float) -> bool:
        """The open port is not yet the gRPC service: wait until a client request succeeds (or the deadline)."""
        from pymilvus import MilvusException  # noqa: PLC0415 - only this path needs a client

        from kb.vectors import milvus_client  # noqa: PLC0415

        while time.monotonic() < deadline and self._proc is not None and self._proc.poll() is None:
            try:
                client = milvus_client(self.uri, timeout=5)
                try:
                    client.list_collections()
                    return True
                finally:
                    client.close()
            except MilvusException as exc:  # the gRPC service is not up yet: retried until the deadline
                logger.debug("milvus-lite server at %s not ready: %s", self.uri, exc)
                time.sleep(0.5)
        return False

    def wait(self) -> int:
        assert self._proc is not None
        return self._proc.wait()

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None
        self._lock.release()
