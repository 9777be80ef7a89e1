"""The seam between the client and a chat endpoint: request/response models and a scripted fake."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from kb.llm.usage import TokenUsage


class ChatMessage(BaseModel, frozen=True):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(BaseModel, frozen=True):
    """One chat call with a JSON-schema-constrained reply."""

    messages: tuple[ChatMessage, ...]
    schema_name: str = Field(description="Output model name, sent as the json_schema name.")
    json_schema: dict[str, Any] = Field(description="JSON schema the reply must follow.")
    max_tokens: int = Field(ge=1)
    temperature: float = Field(ge=0.0)
    seed: int | None = None


class ChatResponse(BaseModel, frozen=True):
    """What the endpoint returned, before validation against the output model."""

    content: str
    usage: TokenUsage | None = Field(None, description="None when the server reported no usage.")
    model: str | None = Field(None, description="Model name the server reported.")
    finish_reason: str | None = Field(None, description="'stop', 'length', ... as reported.")


class Transport(Protocol):
    """Sends one request; raises vendor exceptions (mapped by `kb.llm.errors.classify`)."""

    endpoint: str  # key for the per-endpoint concurrency limit

    def __call__(self, request: ChatRequest) -> Awaitable[ChatResponse]: ...


class ScriptedTransport:
    """Test double: answers with canned replies in order; exception instances are raised.

    A reply is a `ChatResponse`, a `str` (the content; usage of 10 in / 5 out tokens) or an exception.
    Every request is kept in `requests`; `delay_s` sleeps before each reply and `max_in_flight`
    records the most calls seen at once (for timeout and concurrency tests).
    """

    def __init__(
        self, *replies: ChatResponse | str | BaseException, model: str = "scripted", delay_s: float = 0.0
    ) -> None:
        self.endpoint = f"scripted:{id(self)}"
        self.model = model
        self.delay_s = delay_s
        self.requests: list[ChatRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._replies = list(replies)

    async def __call__(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        if not self._replies:
            raise AssertionError(f"ScriptedTransport ran out of replies after {len(self.requests) - 1} calls")
        reply = self._replies.pop(0)
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self._in_flight -= 1
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, str):
            usage = TokenUsage(model=self.model, input_tokens=10, output_tokens=5)
            return ChatResponse(content=reply, usage=usage, model=self.model, finish_reason="stop")
        return reply
