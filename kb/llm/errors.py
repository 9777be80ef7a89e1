"""Typed LLM call failures, and the mapping from vendor exceptions to them."""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum

import httpx
import openai
import pydantic
from langchain_core.exceptions import OutputParserException
from pydantic import BaseModel, Field

from kb.errors import EnvironmentProblem


class LLMErrorKind(StrEnum):
    """Why an LLM call produced no value."""

    TIMEOUT = "timeout"  # the call exceeded its per-call timeout
    RATE_LIMITED = "rate_limited"  # HTTP 429
    SERVER = "server"  # HTTP 5xx
    UNAVAILABLE = "unavailable"  # connection refused / reset / DNS
    PARSE = "parse"  # the reply did not validate against the output model (after one re-ask)
    TRUNCATED = "truncated"  # the reply hit max_tokens before the JSON closed
    REQUEST = "request"  # HTTP 4xx other than 429: bad request, context overflow, auth, unknown model
    CONFIG = "config"  # the embedded server or its model file could not be set up


TRANSIENT_KINDS = frozenset(
    {LLMErrorKind.TIMEOUT, LLMErrorKind.RATE_LIMITED, LLMErrorKind.SERVER, LLMErrorKind.UNAVAILABLE}
)


class LLMSetupError(EnvironmentProblem):
    """The embedded server or its model file could not be set up; the message says what to do."""


class ReplyFormatError(ValueError):
    """An endpoint answered 2xx with something that is not an OpenAI chat completion (the plain HTTP transport).

    Classified as PARSE, not retried: what the openai SDK's JSON decoding error gives on the langchain path."""


class LLMError(BaseModel, frozen=True):
    """One failed LLM call, as a value."""

    kind: LLMErrorKind = Field(description="Failure class; transient kinds are retried.")
    message: str = Field(description="One line: what failed and what to do.")
    status_code: int | None = Field(None, description="HTTP status, when the server answered.")
    retry_after_s: float | None = Field(None, description="Server-requested delay (Retry-After), if any.")

    @property
    def transient(self) -> bool:
        """True when retrying the same call may succeed."""
        return self.kind in TRANSIENT_KINDS


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _status_error(code: int, exc: BaseException, response: httpx.Response | None) -> LLMError:
    if code == 429:
        return LLMError(
            kind=LLMErrorKind.RATE_LIMITED,
            message=f"rate limited by the endpoint: {_first_line(exc)}",
            status_code=429,
            retry_after_s=_retry_after(response),
        )
    kind = LLMErrorKind.SERVER if code >= 500 else LLMErrorKind.REQUEST
    return LLMError(kind=kind, message=f"HTTP {code} from the endpoint: {_first_line(exc)}", status_code=code)


def classify(exc: BaseException) -> LLMError | None:
    """Map a known vendor/transport exception to an `LLMError`; None for anything else (a bug: re-raise it)."""
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | asyncio.TimeoutError | TimeoutError):
        return LLMError(
            kind=LLMErrorKind.TIMEOUT, message="the LLM call timed out; raise llm.timeout_s or shorten the prompt"
        )
    if isinstance(exc, EnvironmentProblem):
        return LLMError(kind=LLMErrorKind.CONFIG, message=_first_line(exc))
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc.status_code, exc, exc.response)
    if isinstance(exc, httpx.HTTPStatusError):  # the plain HTTP transport
        return _status_error(exc.response.status_code, exc, exc.response)
    if isinstance(exc, ReplyFormatError):
        return LLMError(kind=LLMErrorKind.PARSE, message=f"the endpoint's reply is malformed: {_first_line(exc)}")
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError | ConnectionError):
        return LLMError(
            kind=LLMErrorKind.UNAVAILABLE,
            message=f"cannot reach the LLM endpoint ({_first_line(exc)}); is it running? see `telerubric llm status`",
        )
    if isinstance(exc, openai.LengthFinishReasonError):
        return LLMError(kind=LLMErrorKind.TRUNCATED, message="the reply hit max_tokens; raise llm.max_tokens")
    if isinstance(exc, pydantic.ValidationError | json.JSONDecodeError | OutputParserException):
        return LLMError(kind=LLMErrorKind.PARSE, message=f"reply did not match the output model: {_first_line(exc)}")
    return None
