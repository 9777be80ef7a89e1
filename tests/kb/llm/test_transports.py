"""Both transports (`llm.transport` = http | langchain) against the real stub server on loopback: the same body
sent, the same reply read, the same error kinds, retries and timeouts through `LLMClient`."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from pydantic import BaseModel

from bench.openai_stub import Fault, StubServer
from kb.llm.client import LLMClient
from kb.llm.errors import LLMErrorKind
from kb.llm.http_transport import HttpTransport
from kb.llm.langchain_transport import LangChainTransport
from kb.llm.pool import PER_CLIENT, HttpPool
from kb.llm.prompt import PromptSpec
from kb.llm.usage import TokenUsage
from kb.settings import LLMSettings, Settings

TRANSPORTS = ["http", "langchain"]


class Verdict(BaseModel):
    met: bool
    reason: str


PROMPT = PromptSpec(
    id="t.verdict", version="1", output="Verdict", system="Judge.", user="<response>{response}</response>"
)


@pytest.fixture(scope="module")
def stub() -> Iterator[StubServer]:
    with StubServer(delay_s=0.0) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(stub: StubServer) -> Iterator[None]:
    stub.app.state.faults.clear()
    stub.set_delay(0.0)
    yield
    stub.app.state.faults.clear()


def _client(stub: StubServer, transport: str, **overrides: object) -> LLMClient:
    fields: dict[str, object] = {
        "base_url": stub.url,
        "model": "stub",
        "api_key": "sk-test",
        "transport": transport,
        "backoff_s": 0.0,
        "timeout_s": 5.0,
        "max_retries": 1,
        "max_tokens": 64,
    }
    return LLMClient.from_settings(Settings(llm=LLMSettings(**{**fields, **overrides})))


def _run(client: LLMClient):
    async def call():
        try:
            return await client.acomplete(PROMPT, Verdict, {"response": "Turn mobile data on."})
        finally:
            await client.aclose()

    return asyncio.run(call())


def test_the_setting_picks_the_transport(stub: StubServer) -> None:
    assert isinstance(_client(stub, "http").transport, HttpTransport)
    assert isinstance(_client(stub, "langchain").transport, LangChainTransport)
    assert LLMSettings().transport == "http"


def test_both_send_the_same_body(stub: StubServer) -> None:
    bodies = []
    for transport in TRANSPORTS:
        assert _run(_client(stub, transport)).ok
        bodies.append(stub.bodies[-1])
    http, langchain = bodies
    assert http["response_format"]["type"] == "json_schema"
    spec = http["response_format"]["json_schema"]
    assert spec["name"] == "Verdict" and spec["schema"]["required"] == ["met", "reason"] and spec["strict"] is False
    assert http["max_completion_tokens"] == 64 and http["seed"] == 0 and http["temperature"] == 0.0
    assert http["messages"] == langchain["messages"] and http["model"] == langchain["model"] == "stub"
    for name in ("max_completion_tokens", "seed", "temperature"):
        assert http[name] == langchain[name], name
    assert {k: v for k, v in spec.items() if k != "strict"} == langchain["response_format"]["json_schema"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_reply_is_read_with_usage_and_model(stub: StubServer, transport: str) -> None:
    reply = _run(_client(stub, transport))
    assert reply.ok and isinstance(reply.value, Verdict) and reply.attempts == 1
    assert reply.usage == TokenUsage(model="stub", input_tokens=20, output_tokens=10)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_rate_limit_is_retried_after_the_servers_delay(stub: StubServer, transport: str) -> None:
    stub.fail_next(Fault(status=429, headers={"retry-after": "0"}))
    reply = _run(_client(stub, transport))
    assert reply.ok and reply.attempts == 2
    stub.fail_next(Fault(status=429, headers={"retry-after": "0"}), Fault(status=429, headers={"retry-after": "0"}))
    reply = _run(_client(stub, transport))
    assert reply.error.kind is LLMErrorKind.RATE_LIMITED and reply.error.retry_after_s == 0.0
    assert reply.error.status_code == 429 and reply.attempts == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_server_errors_are_retried_and_request_errors_are_not(stub: StubServer, transport: str) -> None:
    stub.fail_next(Fault(status=503), Fault(status=500))
    reply = _run(_client(stub, transport))
    assert reply.error.kind is LLMErrorKind.SERVER and reply.error.status_code == 500 and reply.attempts == 2
    stub.fail_next(Fault(status=400, body={"error": {"message": "context length exceeded"}}))
    reply = _run(_client(stub, transport))
    assert reply.error.kind is LLMErrorKind.REQUEST and reply.error.status_code == 400 and reply.attempts == 1
    assert "context length exceeded" in reply.error.message


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_reply_cut_at_max_tokens_is_truncated(stub: StubServer, transport: str) -> None:
    stub.fail_next(Fault(content='{"met": tr', finish_reason="length"))
    reply = _run(_client(stub, transport))
    assert reply.error.kind is LLMErrorKind.TRUNCATED and reply.attempts == 1
    assert reply.usage == TokenUsage(model="stub", input_tokens=20, output_tokens=10)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_invalid_reply_is_reasked_once(stub: StubServer, transport: str) -> None:
    stub.fail_next(Fault(content='{"met": "maybe"}'))
    reply = _run(_client(stub, transport))
    assert reply.ok and reply.reasked and reply.attempts == 2
    assert [m["role"] for m in stub.bodies[-1]["messages"]] == ["system", "user", "assistant", "user"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_slow_endpoint_times_out_per_call(stub: StubServer, transport: str) -> None:
    stub.fail_next(Fault(delay_s=1.0), Fault(delay_s=1.0))
    reply = _run(_client(stub, transport, timeout_s=0.2))
    assert reply.error.kind is LLMErrorKind.TIMEOUT and reply.attempts == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_malformed_body_is_a_parse_error_not_retried(stub: StubServer, transport: str) -> None:
    stub.fail_next(Fault(raw="<html>proxy error</html>"))
    reply = _run(_client(stub, transport))
    assert reply.value is None and reply.error.kind is LLMErrorKind.PARSE and reply.attempts == 1


def test_many_calls_share_few_small_pools(stub: StubServer) -> None:
    client = _client(stub, "http", concurrency=20)
    stub.set_delay(0.05)

    async def many():
        try:
            return await asyncio.gather(*(client.acomplete(PROMPT, Verdict, {"response": str(i)}) for i in range(40)))
        finally:
            await client.aclose()

    assert all(r.ok for r in asyncio.run(many()))
    pool = HttpPool(5.0, 20)
    with ExitStack() as stack:
        leases = [stack.enter_context(pool.lease()) for _ in range(20)]
        assert len(pool.clients) == 3  # made as the load needed them: ceil(20 / 8)
        assert sorted(Counter(leases).values()) == [4, 8, 8]
        assert all(c._transport._pool._max_connections == PER_CLIENT for c in pool.clients)
    with pool.lease() as first, pool.lease() as second:
        assert first != second  # the least busy client each time
