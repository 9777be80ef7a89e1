import httpx
import openai
import pytest
from pydantic import BaseModel, ValidationError

from kb.llm.errors import LLMErrorKind, ReplyFormatError, classify
from kb.llm.model_files import ModelFileError

REQUEST = httpx.Request("POST", "http://127.0.0.1:1/v1/chat/completions")


def _status(code: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    response = httpx.Response(code, request=REQUEST, headers=headers or {}, json={"error": {"message": "boom"}})
    cls = {429: openai.RateLimitError, 500: openai.InternalServerError, 400: openai.BadRequestError}.get(
        code, openai.APIStatusError
    )
    return cls("boom", response=response, body=None)


def _http_status(code: int, headers: dict[str, str] | None = None) -> httpx.HTTPStatusError:
    """What the plain HTTP transport raises for a 4xx/5xx answer."""
    response = httpx.Response(code, request=REQUEST, headers=headers or {}, json={"error": {"message": "boom"}})
    return httpx.HTTPStatusError(f"Error code: {code} - boom", request=REQUEST, response=response)


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
        (_http_status(429), LLMErrorKind.RATE_LIMITED),
        (_http_status(502), LLMErrorKind.SERVER),
        (_http_status(404), LLMErrorKind.REQUEST),
        (ReplyFormatError("no choices"), LLMErrorKind.PARSE),
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


@pytest.mark.parametrize("make", [_status, _http_status], ids=["openai", "httpx"])
def test_retry_after_is_read_from_429(make) -> None:
    error = classify(make(429, {"retry-after": "7"}))
    assert error is not None and error.retry_after_s == 7.0 and error.status_code == 429


def test_both_transports_report_a_status_alike() -> None:
    sdk, plain = classify(_status(400)), classify(_http_status(400))
    assert sdk is not None and plain is not None
    assert (sdk.kind, sdk.status_code, sdk.transient) == (plain.kind, plain.status_code, plain.transient)
    assert all(e.message.startswith("HTTP 400 from the endpoint: ") and "boom" in e.message for e in (sdk, plain))


def test_unknown_exceptions_are_not_swallowed() -> None:
    assert classify(KeyError("bug")) is None
