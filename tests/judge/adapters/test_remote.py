"""The thin client: same `RewardResult`s as the server's backend, transport faults as error values, and the
adapters switched to it by one setting (`judge.remote_url`)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator

import pytest

from judge import (
    JudgeErrorKind,
    RemoteRequestError,
    RemoteRewardModel,
    close_rewards,
    compute_score,
    configure_rewards,
)
from kb import Settings
from tests.judge.adapters.fakes import FakeBackend, fake_result
from ui.server import ServerThread, create_app


def _serving(settings: Settings, backend: FakeBackend) -> ServerThread:
    cfg = settings.model_copy(update={"serve": settings.serve.model_copy(update={"port": 0})})
    return ServerThread(create_app(cfg, backend, window_s=0.05), cfg)


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[ServerThread, FakeBackend]]:
    backend = FakeBackend()
    with _serving(settings, backend) as running:
        yield running, backend


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_client_returns_the_servers_results(server: tuple[ServerThread, FakeBackend]) -> None:
    running, backend = server

    async def run() -> None:
        async with RemoteRewardModel(running.url) as rm:
            group = await rm.ascore_group(
                "My MMS won't send.", ["good", [{"role": "assistant", "content": "bad"}]], reference="Turn data on."
            )
            one = await rm.ascore("Is this an MCQ?", "fail")
            health = await rm.ahealth()
            pair = await rm.acompare("q", "good", "bad")
        assert group == [fake_result("My MMS won't send.", "good"), fake_result("x", "bad")]
        assert one.error is not None and one.error.kind is JudgeErrorKind.TIMEOUT
        assert health.status == "ok" and health.served >= 2 and health.kb_version is None
        assert pair.winner == "a" and pair.decided_by == "judge:fake"

    asyncio.run(run())
    assert backend.groups[0]["reference"] == "Turn data on."


def test_a_server_that_is_down_gives_error_values_after_retries() -> None:
    async def run() -> None:
        async with RemoteRewardModel(f"http://127.0.0.1:{_closed_port()}", backoff_s=0.01) as rm:
            results = await rm.ascore_group("q", ["good", "bad"])
        assert all(r.score is None and r.error.kind is JudgeErrorKind.UNAVAILABLE for r in results)
        assert "telerubric serve" in results[0].error.message

    asyncio.run(run())


def test_a_request_the_server_rejects_raises(server: tuple[ServerThread, FakeBackend]) -> None:
    running, _ = server

    async def run() -> None:
        async with RemoteRewardModel(running.url) as rm:
            await rm.ascore_group("malformed", ["good"])

    with pytest.raises(RemoteRequestError, match="HTTP 422: labels.0.: a malformed row|HTTP 422"):
        asyncio.run(run())


def test_a_response_too_large_for_the_server_is_an_input_error_value(settings: Settings) -> None:
    cfg = settings.model_copy(update={"serve": settings.serve.model_copy(update={"max_body_bytes": 2048})})
    with _serving(cfg, FakeBackend()) as running:

        async def run() -> list:
            async with RemoteRewardModel(running.url) as rm:
                return await rm.ascore_group("q", ["x" * 4096, "good"])

        results = asyncio.run(run())
    assert all(r.error is not None and r.error.kind is JudgeErrorKind.INPUT for r in results)
    assert "max_body_bytes=2048" in results[0].error.message


def test_one_setting_switches_the_adapters_to_the_server(
    server: tuple[ServerThread, FakeBackend], settings: Settings
) -> None:
    running, backend = server
    cfg = settings.model_copy(update={"judge": settings.judge.model_copy(update={"remote_url": running.url})})
    runtime = configure_rewards(cfg, window_s=0.2, quiet_s=0.2)
    try:
        assert runtime.remote
        ground_truth = json.dumps({"request": "My MMS won't send."})

        async def batch() -> list[dict]:
            return await asyncio.gather(*(compute_score("t", s, ground_truth, {}) for s in ("good", "bad", "fail")))

        out = asyncio.run(batch())
    finally:
        close_rewards()
    assert [o["score"] for o in out] == [1.0, 0.0, 0.5]
    assert len(backend.groups) == 1 and len(backend.groups[0]["responses"]) == 3  # coalesced client-side
