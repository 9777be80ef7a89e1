import httpx
import openai
import pytest
from pydantic import BaseModel, ValidationError

from kb.llm.errors import LLMErrorKind, classify
from kb.llm.model_files import ModelFileError

REQUEST = httpx.Request("POST", "http://127.0.0.1:1/v1/chat/completions")


def _status(code: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    response = httpx.Response(code, request=REQUEST, headers=headers or {}, json={"error": {"message": "boom"}})
    cls = {429: openai.RateLimitError, 500: openai.InternalServerError, 400: openai.BadRequestError}.get(
        code, openai.APIStatusError
    )
    return cls("boom", response=response, body=None)


class Model(BaseModel):
    x: int


def _validation_error() -> ValidationError:
    with pytest.raises(ValidationError) as info:
        Model.model_validate_json('{"x": "nope"}')
    return info.value


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (openai.APITimeoutError(request=REQUEST), LLMErrorKind.TIMEOUT),
        (TimeoutError(), LLMErrorKind.TIMEOUT),
        (httpx.ReadTimeout("slow", request=REQUEST), LLMErrorKind.TIMEOUT),
        (_status(429), LLMErrorKind.RATE_LIMITED),
        (_status(500), LLMErrorKind.SERVER),
        (_status(503), LLMErrorKind.SERVER),
        (_status(400), LLMErrorKind.REQUEST),
        (openai.APIConnectionError(request=REQUEST), LLMErrorKind.UNAVAILABLE),
        (httpx.ConnectError("refused", request=REQUEST), LLMErrorKind.UNAVAILABLE),
        (_validation_error(), LLMErrorKind.PARSE),
        (ModelFileError("missing"), LLMErrorKind.CONFIG),
    ],
)
def test_vendor_exceptions_map_to_kinds(exc: BaseException, kind: LLMErrorKind) -> None:
    error = classify(exc)
    assert error is not None and error.kind is kind
    assert error.transient == (kind in {"timeout", "rate_limited", "server", "unavailable"})


def test_retry_after_is_read_from_429() -> None:
    error = classify(_status(429, {"retry-after": "7"}))
    assert error is not None and error.retry_after_s == 7.0 and error.status_code == 429


def test_unknown_exceptions_are_not_swallowed() -> None:
    assert classify(KeyError("bug")) is None
