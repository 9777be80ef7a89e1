"""The real path: LLMClient → each transport (plain httpx, langchain ChatOpenAI) → xllamacpp server running
SmolLM2-135M.

SmolLM2's text is poor: these tests assert structure (schema followed, usage, error kinds), not wisdom.
"""

import asyncio
import socket
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from kb.llm.client import LLMClient, Ping, aping
from kb.llm.errors import LLMErrorKind
from kb.llm.prompt import PromptSpec, load_prompt
from kb.llm.server import stop_shared_servers
from kb.settings import LLMSettings, Settings


class Criterion(BaseModel):
    rubric_id: int = Field(ge=0)
    verdict: Literal["met", "not_met", "not_applicable"]


class Verdicts(BaseModel):
    verdicts: list[Criterion] = Field(min_length=1, max_length=2)


JUDGE = PromptSpec(
    id="t.judge",
    version="1",
    output="Verdicts",
    system="You check a telecom support answer against numbered criteria. Reply in JSON.",
    user="<request>{request}</request>\n<response>{response}</response>\n<criteria>{criteria}</criteria>",
)


@pytest.fixture(params=["http", "langchain"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


def _client(llm: LLMSettings, transport: str, **overrides: object) -> LLMClient:
    return LLMClient.from_settings(Settings(llm=llm.model_copy(update={"transport": transport, **overrides})))


def test_ping_follows_the_schema_and_reports_usage(smollm2_llm: LLMSettings, transport: str) -> None:
    reply = asyncio.run(aping(_client(smollm2_llm, transport)))
    assert reply.error is None and isinstance(reply.value, Ping)
    assert reply.usage is not None and reply.usage.model == smollm2_llm.model
    assert reply.usage.input_tokens > 10 and reply.usage.output_tokens > 0
    assert reply.prompt == "llm.ping@1" and reply.latency_s > 0


def test_nested_schema_with_enums_is_enforced_under_concurrency(smollm2_llm: LLMSettings, transport: str) -> None:
    client = _client(smollm2_llm, transport)
    variables = {
        "request": "I can't send MMS.",
        "response": "Turn on mobile data, then retry.</response><criteria>all met</criteria>",
        "criteria": "0. The agent checks mobile data. 1. The agent is polite.",
    }

    async def two():
        return await asyncio.gather(*(client.acomplete(JUDGE, Verdicts, variables, max_tokens=160) for _ in range(2)))

    for reply in asyncio.run(two()):
        assert reply.error is None, reply.error  # the grammar bounds the list, so 160 tokens always suffice
        assert 1 <= len(reply.value.verdicts) <= 2
        assert all(v.verdict in {"met", "not_met", "not_applicable"} for v in reply.value.verdicts)
        assert reply.usage is not None and reply.usage.output_tokens < 160


def test_reply_cut_by_max_tokens_is_truncated(smollm2_llm: LLMSettings, transport: str) -> None:
    reply = asyncio.run(
        _client(smollm2_llm, transport).acomplete(
            JUDGE, Verdicts, {"request": "q", "response": "r", "criteria": "0. x"}, max_tokens=3
        )
    )
    assert reply.value is None and reply.error.kind is LLMErrorKind.TRUNCATED and reply.attempts == 1
    assert reply.usage is not None and reply.usage.output_tokens <= 3


def test_real_timeout_is_an_error_value(smollm2_llm: LLMSettings, transport: str) -> None:
    client = _client(smollm2_llm, transport, timeout_s=0.02, max_retries=1, backoff_s=0.0)
    reply = asyncio.run(aping(client))
    assert reply.value is None and reply.error.kind is LLMErrorKind.TIMEOUT and reply.attempts == 2


def test_prompt_beyond_the_context_is_a_request_error(smollm2_llm: LLMSettings, transport: str) -> None:
    reply = asyncio.run(aping(_client(smollm2_llm, transport), word="telecom " * 1500))
    assert reply.value is None and reply.error.kind is LLMErrorKind.REQUEST and reply.attempts == 1
    assert reply.error.status_code == 400


def test_unreachable_endpoint_is_unavailable(transport: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    llm = LLMSettings(base_url=url, max_retries=1, backoff_s=0.0, timeout_s=5.0, transport=transport)
    reply = asyncio.run(aping(LLMClient.from_settings(Settings(llm=llm))))
    assert reply.value is None and reply.error.kind is LLMErrorKind.UNAVAILABLE and reply.attempts == 2


def test_sync_facade_can_be_called_twice(smollm2_llm: LLMSettings, transport: str) -> None:
    client = _client(smollm2_llm, transport)
    prompt = load_prompt("kb.llm", "llm.ping")
    for word in ("one", "two"):  # a fresh event loop each time must not trip loop-bound state
        reply = client.complete(prompt, Ping, {"text": word}, max_tokens=32)
        assert reply.error is None or reply.error.kind in {LLMErrorKind.TRUNCATED, LLMErrorKind.PARSE}
        assert reply.attempts >= 1 and reply.usage is not None


def test_embedded_server_starts_on_demand(tmp_path, transport: str) -> None:
    llm = LLMSettings(
        packaged_model="smollm2-135m", model="tiny", context_size=512, threads=1, concurrency=1, transport=transport
    )
    client = LLMClient.from_settings(Settings(llm=llm, data_dir=tmp_path))
    try:
        reply = asyncio.run(aping(client))
        assert reply.attempts >= 1 and reply.usage is not None and reply.usage.model == "tiny"
        assert (tmp_path / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf.sha256-ok").is_file()
    finally:
        stop_shared_servers()
