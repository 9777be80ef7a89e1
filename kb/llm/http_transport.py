"""`HttpTransport`: a `ChatRequest` as one plain httpx POST to `{base_url}/chat/completions`.

It sends the body the LangChain path sends (model, messages, `response_format` of type `json_schema`, sampling
parameters, `max_completion_tokens`) and reads back content, usage, model and finish reason. Faults surface as
httpx exceptions (`httpx.HTTPStatusError` carrying the response for 4xx/5xx) or `ReplyFormatError`, which
`kb.llm.errors.classify` maps to the same kinds as the openai SDK's, so retries and timeouts behave alike.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

import httpx

from kb.llm.endpoint import EndpointTransport
from kb.llm.errors import ReplyFormatError
from kb.llm.transport import ChatRequest, ChatResponse
from kb.llm.usage import TokenUsage


class HttpTransport(EndpointTransport):
    """Sends a `ChatRequest` with httpx alone (no SDK layers).

    Endpoint, lazy start and connection pools: `EndpointTransport`.
    """

    @cached_property
    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body of `request` (what the LangChain path sends; `strict` false, as it leaves it unset)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.json_schema, "strict": False},
            },
            "temperature": request.temperature,
            "max_completion_tokens": request.max_tokens,
            "stream": False,
        }
        if request.seed is not None:
            body["seed"] = request.seed
        return body

    async def __call__(self, request: ChatRequest) -> ChatResponse:
        url = self.base_url.rstrip("/") + "/chat/completions"
        pool = self._pools.current()
        content = json.dumps(self.body(request), ensure_ascii=False).encode()
        with pool.lease() as index:
            response = await pool.clients[index].post(url, content=content, headers=self._headers)
        if response.status_code >= 400:
            raise httpx.HTTPStatusError(_status_message(response), request=response.request, response=response)
        return self._parse(response)

    def _parse(self, response: httpx.Response) -> ChatResponse:
        try:
            data = json.loads(response.content)
            choice = data["choices"][0]
            message = choice.get("message") or {}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ReplyFormatError(f"not an OpenAI chat completion ({type(exc).__name__}: {exc})") from exc
        content = message.get("content")
        if isinstance(content, list):  # content parts
            content = "".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
        return ChatResponse(
            content=content or "",
            usage=TokenUsage.from_metadata(self.model, data.get("usage")),
            model=data.get("model") or None,
            finish_reason=choice.get("finish_reason"),
        )

    async def aclose(self) -> None:
        """Close the HTTP connections held for the running loop."""
        await self._pools.aclose()


def _status_message(response: httpx.Response) -> str:
    """`<status> <server's error message>`: the first line is what `classify` reports."""
    detail = ""
    try:
        error = json.loads(response.content).get("error")
        detail = error.get("message", "") if isinstance(error, dict) else str(error or "")
    except (ValueError, AttributeError):
        detail = response.text[:300]
    return f"Error code: {response.status_code} - {detail}".strip(" -")
