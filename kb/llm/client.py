"""The one place that talks to an OpenAI-compatible server: structured calls with retries, limits and usage.

The wire is a `Transport` (`kb.llm.transport`): `HttpTransport` (plain httpx) or `LangChainTransport` (langchain's
`ChatOpenAI`), chosen by `llm.transport`; retries, timeouts, the concurrency limit and validation live here, once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kb.errors import EnvironmentProblem
from kb.llm.errors import LLMError, LLMErrorKind, classify
from kb.llm.http_transport import HttpTransport
from kb.llm.langchain_transport import LangChainTransport
from kb.llm.prompt import PromptSpec, load_prompt
from kb.llm.transport import ChatMessage, ChatRequest, ChatResponse, Transport
from kb.llm.usage import TokenUsage, sum_usage
from kb.settings import LLMSettings, Settings

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
MAX_BACKOFF_S = 30.0


class LLMReply(BaseModel, Generic[M]):
    """The outcome of one structured call: exactly one of `value` and `error` is set."""

    model_config = ConfigDict(frozen=True)

    value: M | None = Field(None, description="The validated reply.")
    error: LLMError | None = Field(None, description="Why there is no value.")
    usage: TokenUsage | None = Field(None, description="Tokens over all attempts; None when any went unreported.")
    model: str = Field(description="Model name asked for.")
    prompt: str = Field(description="Prompt `id@version`.")
    latency_s: float = Field(ge=0, description="Seconds spent in calls (not queueing or backoff).")
    attempts: int = Field(ge=0, description="Calls made, including retries and the re-ask.")
    reasked: bool = Field(False, description="True when a parse failure was re-asked once.")

    @model_validator(mode="after")
    def _value_xor_error(self) -> Self:
        if (self.value is None) == (self.error is None):
            raise ValueError("set exactly one of value and error")
        return self

    @property
    def ok(self) -> bool:
        return self.error is None


class Ping(BaseModel):
    """Output of the `judge/prompts/llm.ping.toml` prompt."""

    echo: str = Field(description="The word the model was asked to repeat.")
    ok: bool


class EndpointStatus(BaseModel, frozen=True):
    """Whether an OpenAI-compatible endpoint answers `GET /models`."""

    base_url: str
    answers: bool
    models: tuple[str, ...] = ()
    latency_s: float | None = None
    error: str | None = None


# One semaphore per (event loop, endpoint): asyncio primitives are bound to the loop that first waits on them.
_semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


# JSON schema per output model, built once: pydantic rebuilds it on every `model_json_schema()` call.
_schemas: weakref.WeakKeyDictionary[type[BaseModel], dict[str, Any]] = weakref.WeakKeyDictionary()
TRANSPORTS = {"langchain": LangChainTransport, "http": HttpTransport}


def json_schema_of(output: type[BaseModel]) -> dict[str, Any]:
    """`output.model_json_schema()`, cached per model class (treat the result as read-only)."""
    schema = _schemas.get(output)
    if schema is None:
        schema = _schemas[output] = output.model_json_schema()
    return schema


def endpoint_semaphore(endpoint: str, limit: int) -> asyncio.Semaphore:
    """The running loop's concurrency limit for `endpoint` (the first caller's `limit` wins)."""
    per_loop = _semaphores.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(endpoint, asyncio.Semaphore(limit))


class LLMClient:
    """Structured LLM calls: schema-constrained output, typed errors, retries, per-call timeout,
    one concurrency limit per endpoint, token usage per call.

    Build it with `LLMClient.from_settings(settings)` (the transport `llm.transport` names); tests pass a
    `ScriptedTransport`.
    """

    def __init__(self, settings: LLMSettings, transport: Transport, *, seed: int | None = None) -> None:
        self.settings = settings
        self.transport = transport
        self.seed = seed
        self._ready = False
        self._reask: PromptSpec | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMClient:
        """A client for `settings.llm`; without `llm.base_url` the embedded server starts at the first call."""
        llm = settings.llm
        base_url: str | Callable[[], str]
        if llm.base_url:
            base_url, endpoint = llm.base_url, llm.base_url
        else:
            from kb.llm.server import shared_server_url  # noqa: PLC0415 (keeps xllamacpp out of remote setups)

            data_dir: Path = settings.data_dir
            base_url = lambda: shared_server_url(llm, data_dir)  # noqa: E731
            endpoint = f"embedded:{llm.gguf_path or llm.packaged_model}"
        transport = TRANSPORTS[llm.transport](
            base_url,
            model=llm.model,
            api_key=llm.api_key.get_secret_value(),
            timeout_s=llm.timeout_s,
            endpoint=endpoint,
            connections=llm.concurrency,
        )
        return cls(llm, transport, seed=settings.seed)

    @property
    def model(self) -> str:
        return self.settings.model

    async def acomplete(
        self,
        prompt: PromptSpec,
        output: type[M],
        variables: Mapping[str, object] | None = None,
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> LLMReply[M]:
        """Render `prompt` with `variables`, call the model, validate the reply as `output`.

        Transient faults (timeout, 429, 5xx, connection) are retried up to `llm.max_retries` times with
        exponential backoff; a reply that fails validation is re-asked once. Never raises for LLM faults.

        Raises:
            ValueError: `prompt.output` does not name `output`, or the variables do not fit the template.
        """
        if prompt.output != output.__name__:
            raise ValueError(f"prompt {prompt.ref} declares output {prompt.output!r}, got model {output.__name__}")
        messages = list(prompt.render(**(variables or {})))
        reply = LLMReply[output]  # type: ignore[valid-type]
        base = {"model": self.model, "prompt": prompt.ref}
        setup_error = await self._astart()
        if setup_error is not None:
            return reply(error=setup_error, latency_s=0.0, attempts=0, **base)

        usages: list[TokenUsage | None] = []
        latency, attempts, retries, reasked = 0.0, 0, 0, False
        schema = json_schema_of(output)
        while True:
            request = ChatRequest(
                messages=tuple(messages),
                schema_name=output.__name__,
                json_schema=schema,
                max_tokens=max_tokens or self.settings.max_tokens,
                temperature=self.settings.temperature if temperature is None else temperature,
                seed=self.seed,
            )
            attempts += 1
            outcome, seconds = await self._attempt(request)
            latency += seconds
            if isinstance(outcome, LLMError):
                if outcome.transient and retries < self.settings.max_retries:
                    retries += 1
                    delay = self._backoff(retries, outcome)
                    logger.info("%s: %s, retry %d in %.1f s", prompt.ref, outcome.kind, retries, delay)
                    await asyncio.sleep(delay)
                    continue
                return reply(
                    error=outcome,
                    usage=sum_usage(usages) if usages else None,
                    latency_s=latency,
                    attempts=attempts,
                    reasked=reasked,
                    **base,
                )
            usages.append(outcome.usage)
            logger.debug("%s reply: %s", prompt.ref, outcome.content)
            try:
                value = output.model_validate_json(outcome.content)
            except ValidationError as exc:
                if outcome.finish_reason == "length":
                    error = LLMError(
                        kind=LLMErrorKind.TRUNCATED,
                        message=f"reply hit max_tokens={request.max_tokens}; raise llm.max_tokens",
                    )
                elif not reasked:
                    reasked = True
                    messages += [ChatMessage(role="assistant", content=outcome.content), self._reask_message(exc)]
                    continue
                else:
                    error = classify(exc) or LLMError(kind=LLMErrorKind.PARSE, message=str(exc))
                return reply(
                    error=error, usage=sum_usage(usages), latency_s=latency, attempts=attempts, reasked=reasked, **base
                )
            return reply(
                value=value, usage=sum_usage(usages), latency_s=latency, attempts=attempts, reasked=reasked, **base
            )

    def complete(
        self,
        prompt: PromptSpec,
        output: type[M],
        variables: Mapping[str, object] | None = None,
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> LLMReply[M]:
        """Sync facade of `acomplete`; not for use inside a running event loop."""
        return asyncio.run(self.acomplete(prompt, output, variables, max_tokens=max_tokens, temperature=temperature))

    async def _astart(self) -> LLMError | None:
        if self._ready:
            return None
        astart = getattr(self.transport, "astart", None)
        if astart is not None:
            try:
                await astart()
            except EnvironmentProblem as exc:
                return classify(exc)
        self._ready = True
        return None

    async def _attempt(self, request: ChatRequest) -> tuple[ChatResponse | LLMError, float]:
        """One call under the endpoint's concurrency limit; the timeout starts once a slot is held."""
        async with endpoint_semaphore(self.transport.endpoint, self.settings.concurrency):
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self.settings.timeout_s):
                    return await self.transport(request), time.perf_counter() - started
            except Exception as exc:  # noqa: BLE001 (unknown exceptions are re-raised below)
                error = classify(exc)
                if error is None:
                    raise
                return error, time.perf_counter() - started

    def _backoff(self, retry: int, error: LLMError) -> float:
        if error.retry_after_s is not None:
            return min(error.retry_after_s, 2 * MAX_BACKOFF_S)
        return min(self.settings.backoff_s * 2 ** (retry - 1), MAX_BACKOFF_S)

    def _reask_message(self, exc: ValidationError) -> ChatMessage:
        if self._reask is None:
            self._reask = load_prompt("kb.llm", "llm.reask")
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()[:5])
        return self._reask.render(problems=problems)[1]

    async def aclose(self) -> None:
        """Close HTTP connections held for the current loop(s)."""
        aclose = getattr(self.transport, "aclose", None)
        if aclose is not None:
            await aclose()


async def aprobe_endpoint(base_url: str, api_key: str = "", timeout_s: float = 5.0) -> EndpointStatus:
    """`GET {base_url}/models`: does the endpoint answer, and which models does it list."""
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as http:
            response = await http.get(f"{base_url.rstrip('/')}/models", headers=headers)
        response.raise_for_status()
        models = tuple(str(m.get("id")) for m in response.json().get("data", []))
    except (httpx.HTTPError, ValueError) as exc:
        return EndpointStatus(base_url=base_url, answers=False, error=f"{type(exc).__name__}: {exc}"[:300])
    return EndpointStatus(base_url=base_url, answers=True, models=models, latency_s=time.perf_counter() - started)


async def aping(client: LLMClient, word: str = "pong") -> LLMReply[Ping]:
    """One tiny schema-constrained call (prompt `llm.ping`): does the endpoint follow a JSON schema."""
    return await client.acomplete(load_prompt("kb.llm", "llm.ping"), Ping, {"text": word}, max_tokens=32)
